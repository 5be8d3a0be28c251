-- The claim queue: one row per detected claim, all claim types, in the export contract's
-- column order (DESIGN.md), then region, valuation_source, as_of and the lifecycle columns
-- (detection_status, case_id, filed_date, recovered_amount).
--
-- Each claim type contributes one int_<claim_type>_candidates model with the columns of
-- claim_candidate_columns(); add it as a CTE and to the union below. Everything after the union
-- (marketplace, currency, claim id, windows, status, amount, case text) is shared.

{%- set candidate_columns = claim_candidate_columns() | join(',\n        ') %}
{#- How a user finds the claim: its type and the ids it has. -#}
{%- set claim_reference = dbt.concat([
    'claim_type', "' claim'",
    "case when order_id is null then '' else " ~ dbt.concat(["' order '", 'order_id']) ~ " end",
    "case when shipment_id is null then '' else "
        ~ dbt.concat(["' shipment '", 'shipment_id']) ~ " end",
    "case when removal_order_id is null then '' else "
        ~ dbt.concat(["' removal '", 'removal_order_id']) ~ " end",
    "case when sku is null then '' else " ~ dbt.concat(["' SKU '", 'sku']) ~ " end",
]) %}

with

warehouse_lost as (
    select * from {{ ref('int_warehouse_lost_candidates') }}
),

warehouse_damaged as (
    select * from {{ ref('int_warehouse_damaged_candidates') }}
),

disposed_unauthorized as (
    select * from {{ ref('int_disposed_unauthorized_candidates') }}
),

reimbursement_underpaid as (
    select * from {{ ref('int_reimbursement_underpaid_candidates') }}
),

refund_not_returned as (
    select * from {{ ref('int_refund_not_returned_candidates') }}
),

return_damaged_unreimbursed as (
    select * from {{ ref('int_return_damaged_unreimbursed_candidates') }}
),

removal_unaccounted as (
    select * from {{ ref('int_removal_unaccounted_candidates') }}
),

reversal_unjustified as (
    select * from {{ ref('int_reversal_unjustified_candidates') }}
),

fulfillment_fee_overcharge as (
    select * from {{ ref('int_fulfillment_fee_overcharge_candidates') }}
),

storage_fee_overcharge as (
    select * from {{ ref('int_storage_fee_overcharge_candidates') }}
),

refund_exceeds_charge as (
    select * from {{ ref('int_refund_exceeds_charge_candidates') }}
),

inbound_shortage as (
    select * from {{ ref('int_inbound_shortage_candidates') }}
),

candidates as (
    select
        {{ candidate_columns }}
    from warehouse_lost
    union all
    select
        {{ candidate_columns }}
    from warehouse_damaged
    union all
    select
        {{ candidate_columns }}
    from disposed_unauthorized
    union all
    select
        {{ candidate_columns }}
    from reimbursement_underpaid
    union all
    select
        {{ candidate_columns }}
    from refund_not_returned
    union all
    select
        {{ candidate_columns }}
    from return_damaged_unreimbursed
    union all
    select
        {{ candidate_columns }}
    from removal_unaccounted
    union all
    select
        {{ candidate_columns }}
    from reversal_unjustified
    union all
    select
        {{ candidate_columns }}
    from fulfillment_fee_overcharge
    union all
    select
        {{ candidate_columns }}
    from storage_fee_overcharge
    union all
    select
        {{ candidate_columns }}
    from refund_exceeds_charge
    union all
    select
        {{ candidate_columns }}
    from inbound_shortage
),

marketplaces as (
    select * from {{ ref('marketplaces') }}
),

claim_windows as (
    select * from {{ ref('claim_windows') }}
),

located as (
    select
        candidates.*,
        marketplaces.marketplace_id,
        marketplaces.region,
        coalesce(candidates.value_currency, marketplaces.currency) as currency,
        {{ claim_id('candidates.seller_id', 'candidates.claim_type', 'candidates.claim_key') }}
            as claim_id
    from candidates
    left join marketplaces
        on candidates.country = marketplaces.country_code
),

-- The policy row of the claim's type and marketplace (country) with the greatest
-- effective_from on or before the anchor (event) date. There is no fallback to another
-- marketplace or region: without a row the claim waits for one (needs_data).
window_matches as (
    select
        located.claim_id,
        claim_windows.window_opens_days,
        claim_windows.deadline_days,
        claim_windows.effective_from,
        claim_windows.confidence,
        claim_windows.source,
        row_number() over (
            partition by located.claim_id
            order by claim_windows.effective_from desc
        ) as window_rank
    from located
    inner join claim_windows
        on
            located.claim_type = claim_windows.claim_type
            and located.country = claim_windows.country
            and located.event_date >= claim_windows.effective_from
),

windowed as (
    select
        located.*,
        cast(
            {{ dbt.dateadd('day', 'window_matches.window_opens_days', 'located.event_date') }}
            as date
        ) as eligible_from,
        cast(
            {{ dbt.dateadd('day', 'window_matches.deadline_days', 'located.event_date') }}
            as date
        ) as deadline,
        case
            when window_matches.claim_id is not null
                then {{ dbt.concat([
                    "'claim_windows:'", 'located.country', "':'", 'located.claim_type', "':'",
                    dbt.cast('window_matches.effective_from', dbt.type_string())
                ]) }}
        end as window_policy,
        window_matches.confidence as window_confidence,
        window_matches.source as window_source,
        -- What a claim waits for: its window row, or a policy row its rule needed (the
        -- candidate's evidence names it under "missing_policy"). A claim without an anchor date
        -- waits for data instead (missing_data below).
        case
            when window_matches.claim_id is null and located.event_date is not null
                then {{ dbt.concat([
                    "'claim_windows row for '", 'located.claim_type', "' in '",
                    "coalesce(located.country, 'an unknown marketplace')",
                    "' on or before '", dbt.cast('located.event_date', dbt.type_string())
                ]) }}
        end as missing_window,
        {{ as_of_date() }} as as_of
    from located
    left join window_matches
        on
            located.claim_id = window_matches.claim_id
            and window_matches.window_rank = 1
),

-- What a claim waits for in the seller's own data (a refund, a unit cost, ...), in words a
-- user reads (missing_data, per claim) and without ids or dates (waiting_for_data, what
-- `reclaim status` groups by: the fact and the report or file that would complete it). A
-- candidate names it in its evidence ("missing_data", "waiting_for_data"); otherwise it follows
-- from a claim without anchor date, unit value or currency. A value that waits for a policy row
-- (a fee card: "missing_policy") is waiting_for_policy, not missing data.
checked as (
    select
        *,
        cast(round(quantity * unit_value, 2) as decimal(18, 2)) as amount,
        case
            when {{ json_text_field('evidence', 'missing_data') }} is not null
                then {{ json_text_field('evidence', 'missing_data') }}
            when event_date is null
                then {{ dbt.concat([
                    "'date of the '", 'claim_type', "' event for '", claim_reference
                ]) }}
            when evidence like '%"missing_policy":"%' then null
            when unit_value is null and valuation_source = 'missing_unit_cost'
                then {{ dbt.concat([
                    "'unit cost of SKU '", "coalesce(sku, '?')",
                    "' in the product master (sourcing or manufacturing cost per unit)'"
                ]) }}
            when unit_value is null and valuation_source = 'missing_order_value'
                then {{ dbt.concat([
                    "'refund amount for order '", "coalesce(order_id, '?')",
                    "', SKU '", "coalesce(sku, '?')",
                    "' (settlement report or Finances transactions covering '",
                    dbt.cast('event_date', dbt.type_string()), "')'"
                ]) }}
            when unit_value is null or quantity is null
                then {{ dbt.concat([
                    "'unit value of '", claim_reference,
                    "' (valuation: '", "coalesce(valuation_source, 'none')", "')'"
                ]) }}
            when currency is null
                then {{ dbt.concat([
                    "'currency of marketplace '", "coalesce(country, '(unknown country)')",
                    "' for '", claim_reference, "' (marketplaces seed)'"
                ]) }}
        end as missing_data,
        case
            when {{ json_text_field('evidence', 'waiting_for_data') }} is not null
                then {{ json_text_field('evidence', 'waiting_for_data') }}
            when {{ json_text_field('evidence', 'missing_data') }} is not null
                then {{ dbt.concat(["'data for '", 'claim_type']) }}
            when event_date is null
                then {{ dbt.concat(["'event date of '", 'claim_type', "' claims'"]) }}
            when evidence like '%"missing_policy":"%' then null
            when unit_value is null and valuation_source = 'missing_unit_cost'
                then 'unit cost: product master'
            when unit_value is null and valuation_source = 'missing_order_value'
                then 'refund amount: settlement report or Finances transactions'
            when unit_value is null or quantity is null
                then {{ dbt.concat(["'unit value of '", 'claim_type', "' claims'"]) }}
            when currency is null then 'currency: marketplaces seed'
        end as waiting_for_data
    from windowed
),

valued as (
    select
        *,
        -- A claim waiting for a policy row or for its anchor date has no window. One whose
        -- value or currency is unknown is never ready: it waits for data unless it has expired.
        case
            when
                missing_window is not null
                or evidence like '%"missing_policy":"%'
                or eligible_from is null
                or deadline is null
                then 'needs_data'
            when as_of > deadline then 'expired'
            when
                missing_data is not null
                or amount is null
                or currency is null
                then 'needs_data'
            when as_of < eligible_from then 'upcoming'
            else 'ready'
        end as detection_status,
        case
            when missing_window is null then evidence
            else {{ dbt.concat([
                'substring(evidence, 1, ' ~ dbt.length('evidence') ~ ' - 1)',
                "case when evidence = '{}' then '' else ',' end",
                "'\"missing_policy\":\"'", 'missing_window', "'\"}'"
            ]) }}
        end as claim_evidence,
        -- The policy a needs_data claim waits for, without dates: what `reclaim status` lists.
        case
            when missing_window is not null
                then {{ dbt.concat([
                    "'claim_windows '", 'claim_type', "' '", "coalesce(country, '?')"
                ]) }}
            when evidence like '%"missing_policy":"fba_fulfillment_fees%'
                then {{ dbt.concat(["'fba_fulfillment_fees '", "coalesce(country, '?')"]) }}
            when evidence like '%"missing_policy":"%'
                then {{ dbt.concat(["'policy row for '", 'claim_type']) }}
        end as waiting_for_policy
    from checked
),

outcomes as (
    select * from {{ ref('int_claim_outcomes') }}
),

case_lines as (
    select * from {{ ref('int_claim_case_payment_lines') }}
),

-- The agency's lifecycle (claim outcome log) over the detection status.
with_outcomes as (
    select
        valued.*,
        outcomes.lifecycle_status,
        outcomes.case_id,
        outcomes.filed_date
    from valued
    left join outcomes
        on valued.claim_id = outcomes.claim_id
),

-- What Amazon paid against each claim: the lines of its case that name it (order id, FNSKU,
-- quantity), never a claim with a recorded denial (macro case_payment_attribution).
{{ case_payment_attribution('with_outcomes', 'case_lines', 'paid') }},

claim_payments as (
    select
        claim_id,
        sum(case when payment_kind = 'recovered' then amount else 0 end) as claim_paid,
        sum(case when payment_kind = 'reversed' then amount else 0 end) as claim_reversed
    from paid_shares
    where claim_id is not null
    group by claim_id
),

statused as (
    select
        with_outcomes.*,
        case
            when with_outcomes.case_id is not null
                then
                    cast(
                        coalesce(claim_payments.claim_paid, 0)
                        - coalesce(claim_payments.claim_reversed, 0) as decimal(18, 2)
                    )
        end as recovered_amount,
        case
            when with_outcomes.lifecycle_status is null then with_outcomes.detection_status
            when with_outcomes.case_id is null then with_outcomes.lifecycle_status
            when
                claim_payments.claim_paid > 0
                and claim_payments.claim_paid - claim_payments.claim_reversed <= 0
                then 'reversed'
            when
                claim_payments.claim_paid - claim_payments.claim_reversed
                >= with_outcomes.amount
                then 'reimbursed'
            when claim_payments.claim_paid - claim_payments.claim_reversed > 0
                then 'partially_reimbursed'
            else with_outcomes.lifecycle_status
        end as status
    from with_outcomes
    left join claim_payments
        on with_outcomes.claim_id = claim_payments.claim_id
)

select
    cast(claim_id as {{ dbt.type_string() }}) as claim_id,
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(marketplace_id as {{ dbt.type_string() }}) as marketplace_id,
    cast(claim_type as {{ dbt.type_string() }}) as claim_type,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(fnsku as {{ dbt.type_string() }}) as fnsku,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(asin as {{ dbt.type_string() }}) as asin,
    cast(order_id as {{ dbt.type_string() }}) as order_id,
    cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
    cast(removal_order_id as {{ dbt.type_string() }}) as removal_order_id,
    cast(reference_id as {{ dbt.type_string() }}) as reference_id,
    cast(fulfillment_center_id as {{ dbt.type_string() }}) as fulfillment_center_id,
    cast(event_date as date) as event_date,
    cast(quantity as {{ dbt.type_bigint() }}) as quantity,
    cast(unit_value as decimal(18, 4)) as unit_value,
    cast(amount as decimal(18, 2)) as amount,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(eligible_from as date) as eligible_from,
    cast(deadline as date) as deadline,
    cast(claim_evidence as {{ dbt.type_string() }}) as evidence,
    cast({{ dbt.concat([
        'case_summary',
        claim_request_sentence('claim_type', 'quantity', 'unit_value', 'amount', 'currency')
    ]) }} as {{ dbt.type_string() }}) as case_text,
    cast(region as {{ dbt.type_string() }}) as region,
    cast(valuation_source as {{ dbt.type_string() }}) as valuation_source,
    cast(as_of as date) as as_of,
    cast(detection_status as {{ dbt.type_string() }}) as detection_status,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(filed_date as date) as filed_date,
    cast(recovered_amount as decimal(18, 2)) as recovered_amount,
    cast(window_policy as {{ dbt.type_string() }}) as window_policy,
    cast(window_confidence as {{ dbt.type_string() }}) as window_confidence,
    cast(waiting_for_policy as {{ dbt.type_string() }}) as waiting_for_policy,
    cast(missing_data as {{ dbt.type_string() }}) as missing_data,
    cast(waiting_for_data as {{ dbt.type_string() }}) as waiting_for_data
from statused
