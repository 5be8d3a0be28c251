{#
    Netting of FC inventory adjustments against what Amazon already did about them
    (claim-policy.md 2.1 and 2.2), shared by warehouse adjustments (M/5) and FC damage
    (E/6/7/H/K/U). One row per ledger Adjustments row of `reason_group` with quantity < 0, with
    the units still open.

    Amazon's reconciliation columns on the adjustment row already reflect most found units and
    reimbursements. Report-side credits per (seller, FNSKU):
        found      = sum F (and other 'Inventory found' codes except N)
                     + max(0, sum N - replacement units of `reimbursement_reason` lines)
        reimbursed = sum |quantity_reimbursed_total| of `reimbursement_reason` lines
        reversed   = sum |quantity_reimbursed_total| of reversals of `reimbursement_reason`
        credits    = reimbursed - reversed (+ found, when `net_found_units` and an adjustment
                     row of the FNSKU has blank reconciliation columns)
    counting only credits dated on/after the FNSKU's first adjustment minus Amazon's research
    period (var fc_research_period_days). Found units are ledger events that Amazon itself
    reconciles: where the columns are filled, a found unit they do not show may settle a loss
    before the pulled history, so it is not netted again (policy 2.1 step 2). Reimbursements come
    from another report and can be ahead of the ledger. The part the ledger has not reflected,
    max(0, credits - sum ledger_reconciled), is allocated FIFO (oldest adjustment first) against
    each row's ledger_open. With blank reconciliation columns this is plain FIFO netting (policy
    2.1 step 3).

    reason_group: ledger_reason_codes.reason_group of the adjustments ('Inventory misplaced').
    reimbursement_reason: the reimbursements report reason that pays them ('Lost_Warehouse').
    net_found_units: whether found units (F/N) settle these adjustments (adjustments yes, damage no).
    units_column: output name of the adjusted units (lost_units, damaged_units).
#}

{% macro fc_adjustments_netted(reason_group, reimbursement_reason, net_found_units, units_column) %}

with

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

all_reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
),

claim_outcomes as (
    select * from {{ ref('int_claim_outcomes') }}
),

-- Payments under a case the agency filed through fba-reclaim (and their reversals) are the
-- outcome of our own claims, reconciled in fct_claims: they do not make the claim disappear.
-- Any other reimbursement, automatic or from a case filed elsewhere, is "already paid".
our_case_payments as (
    select
        all_reimbursements.seller_id,
        all_reimbursements.reimbursement_id
    from all_reimbursements
    inner join claim_outcomes
        on
            all_reimbursements.seller_id = claim_outcomes.seller_id
            and all_reimbursements.case_id = claim_outcomes.case_id
),

reimbursements as (
    select all_reimbursements.*
    from all_reimbursements
    left join our_case_payments as paid
        on
            all_reimbursements.seller_id = paid.seller_id
            and all_reimbursements.reimbursement_id = paid.reimbursement_id
    left join our_case_payments as reversed
        on
            all_reimbursements.seller_id = reversed.seller_id
            and all_reimbursements.original_reimbursement_id = reversed.reimbursement_id
    where paid.reimbursement_id is null and reversed.reimbursement_id is null
),

reason_codes as (
    select * from {{ ref('ledger_reason_codes') }}
),

adjustment_rows as (
    select
        ledger.seller_id,
        ledger.fnsku,
        ledger.msku,
        ledger.asin,
        ledger.title,
        ledger.reference_id,
        ledger.fulfillment_center,
        ledger.event_date,
        ledger.country,
        ledger.disposition,
        ledger.reason_code,
        ledger.unreconciled_quantity as ledger_unreconciled,
        ledger._source_file,
        ledger._row_number,
        -ledger.quantity as adjusted_units,
        coalesce(ledger.reconciled_quantity, 0) as ledger_reconciled
    from ledger
    inner join reason_codes
        on ledger.reason_code = reason_codes.code
    where
        ledger.event_type = 'Adjustments'
        and reason_codes.reason_group = '{{ reason_group }}'
        and ledger.quantity < 0
),

adjustments as (
    select
        *,
        -- Blank reconciliation columns: the whole loss is open. Never below 0 nor above the loss.
        case
            when coalesce(ledger_unreconciled, adjusted_units - ledger_reconciled) < 0 then 0
            when coalesce(ledger_unreconciled, adjusted_units - ledger_reconciled) > adjusted_units
                then adjusted_units
            else coalesce(ledger_unreconciled, adjusted_units - ledger_reconciled)
        end as ledger_open
    from adjustment_rows
),

fnsku_adjustments as (
    select
        seller_id,
        fnsku,
        min(event_date) as first_event_date,
        sum(ledger_reconciled) as fnsku_ledger_reconciled,
        max(case when ledger_unreconciled is null then 1 else 0 end) as has_blank_reconciliation
    from adjustments
    group by seller_id, fnsku
),

credit_windows as (
    select
        seller_id,
        fnsku,
        first_event_date,
        fnsku_ledger_reconciled,
        has_blank_reconciliation,
        cast({{ dbt.dateadd(
            'day', -1 * var('fc_research_period_days'), 'first_event_date'
        ) }} as date) as credits_since
    from fnsku_adjustments
),

found_events as (
    select
        ledger.seller_id,
        ledger.fnsku,
        -- N can be the replacement units of a reimbursement: netted against those below.
        sum(
            case when ledger.reason_code = 'N' then 0 else ledger.quantity end
        ) as found_direct_units,
        sum(
            case when ledger.reason_code = 'N' then ledger.quantity else 0 end
        ) as found_transfer_units
    from ledger
    inner join reason_codes
        on ledger.reason_code = reason_codes.code
    inner join credit_windows
        on
            ledger.seller_id = credit_windows.seller_id
            and ledger.fnsku = credit_windows.fnsku
            and ledger.event_date >= credit_windows.credits_since
    where
        ledger.event_type = 'Adjustments'
        and reason_codes.reason_group = 'Inventory found'
        and ledger.quantity > 0
    group by ledger.seller_id, ledger.fnsku
),

-- A reversal names the type it reverses; when it does not, look the original line up.
original_types as (
    select
        seller_id,
        reimbursement_id,
        fnsku,
        min(reason) as reason
    from reimbursements
    group by seller_id, reimbursement_id, fnsku
),

lost_reimbursements as (
    select
        reimbursements.seller_id,
        reimbursements.fnsku,
        reimbursements.reason,
        reimbursements.quantity_reimbursed_total,
        reimbursements.quantity_reimbursed_inventory,
        coalesce(
            reimbursements.original_reimbursement_type, original_types.reason
        ) as reversed_type
    from reimbursements
    inner join credit_windows
        on
            reimbursements.seller_id = credit_windows.seller_id
            and reimbursements.fnsku = credit_windows.fnsku
            and reimbursements.approval_date >= credit_windows.credits_since
    left join original_types
        on
            reimbursements.seller_id = original_types.seller_id
            and reimbursements.original_reimbursement_id = original_types.reimbursement_id
            and reimbursements.fnsku = original_types.fnsku
    where reimbursements.reason in ('{{ reimbursement_reason }}', 'Reimbursement_Reversal')
),

reimbursement_credits as (
    select
        seller_id,
        fnsku,
        sum(
            case
                when reason = '{{ reimbursement_reason }}' then abs(coalesce(quantity_reimbursed_total, 0))
                else 0
            end
        ) as reimbursed_units,
        sum(
            case
                when reason = '{{ reimbursement_reason }}'
                    then abs(coalesce(quantity_reimbursed_inventory, 0))
                else 0
            end
        ) as replacement_units,
        sum(
            case
                when reason = 'Reimbursement_Reversal' and reversed_type = '{{ reimbursement_reason }}'
                    then abs(coalesce(quantity_reimbursed_total, 0))
                else 0
            end
        ) as reversed_units
    from lost_reimbursements
    group by seller_id, fnsku
),

fnsku_credit_parts as (
    select
        credit_windows.seller_id,
        credit_windows.fnsku,
        credit_windows.first_event_date,
        credit_windows.credits_since,
        credit_windows.fnsku_ledger_reconciled,
        credit_windows.has_blank_reconciliation,
        coalesce(found_events.found_direct_units, 0) as found_direct_units,
        coalesce(found_events.found_transfer_units, 0) as found_transfer_units,
        coalesce(reimbursement_credits.replacement_units, 0) as replacement_units,
        coalesce(reimbursement_credits.reimbursed_units, 0) as reimbursed_units,
        coalesce(reimbursement_credits.reversed_units, 0) as reversed_units
    from credit_windows
    left join found_events
        on
            credit_windows.seller_id = found_events.seller_id
            and credit_windows.fnsku = found_events.fnsku
    left join reimbursement_credits
        on
            credit_windows.seller_id = reimbursement_credits.seller_id
            and credit_windows.fnsku = reimbursement_credits.fnsku
),

fnsku_found as (
    select
        *,
        found_direct_units
        + case
            when found_transfer_units > replacement_units
                then found_transfer_units - replacement_units
            else 0
        end as found_units
    from fnsku_credit_parts
),

fnsku_report_credits as (
    select
        *,
        reimbursed_units - reversed_units
        {%- if net_found_units %}
        + case when has_blank_reconciliation = 1 then found_units else 0 end
        {%- endif %} as report_credits
    from fnsku_found
),

fnsku_credits as (
    select
        *,
        case
            when report_credits > fnsku_ledger_reconciled
                then report_credits - fnsku_ledger_reconciled
            else 0
        end as unreflected_credits
    from fnsku_report_credits
),

fifo as (
    select
        adjustments.*,
        fnsku_credits.first_event_date,
        fnsku_credits.credits_since,
        fnsku_credits.found_units,
        fnsku_credits.reimbursed_units,
        fnsku_credits.reversed_units,
        fnsku_credits.report_credits,
        fnsku_credits.fnsku_ledger_reconciled,
        fnsku_credits.unreflected_credits,
        coalesce(sum(adjustments.ledger_open) over (
            partition by adjustments.seller_id, adjustments.fnsku
            order by
                adjustments.event_date,
                coalesce(adjustments.reference_id, ''),
                coalesce(adjustments.fulfillment_center, ''),
                adjustments._source_file,
                adjustments._row_number
            rows between unbounded preceding and 1 preceding
        ), 0) as open_before
    from adjustments
    inner join fnsku_credits
        on
            adjustments.seller_id = fnsku_credits.seller_id
            and adjustments.fnsku = fnsku_credits.fnsku
),

allocated as (
    select
        *,
        case
            when unreflected_credits <= open_before then 0
            when unreflected_credits - open_before >= ledger_open then ledger_open
            else unreflected_credits - open_before
        end as allocated_credits
    from fifo
)

select
    seller_id,
    fnsku,
    msku as sku,
    asin,
    title,
    reference_id,
    fulfillment_center,
    event_date,
    country,
    disposition,
    reason_code,
    cast(adjusted_units as {{ dbt.type_bigint() }}) as {{ units_column }},
    cast(ledger_reconciled as {{ dbt.type_bigint() }}) as ledger_reconciled,
    cast(ledger_unreconciled as {{ dbt.type_bigint() }}) as ledger_unreconciled,
    cast(ledger_open as {{ dbt.type_bigint() }}) as ledger_open,
    cast(allocated_credits as {{ dbt.type_bigint() }}) as allocated_credits,
    cast(ledger_open - allocated_credits as {{ dbt.type_bigint() }}) as open_units,
    first_event_date,
    credits_since,
    cast(found_units as {{ dbt.type_bigint() }}) as fnsku_found_units,
    cast(reimbursed_units as {{ dbt.type_bigint() }}) as fnsku_reimbursed_units,
    cast(reversed_units as {{ dbt.type_bigint() }}) as fnsku_reversed_units,
    cast(report_credits as {{ dbt.type_bigint() }}) as fnsku_report_credits,
    cast(fnsku_ledger_reconciled as {{ dbt.type_bigint() }}) as fnsku_ledger_reconciled,
    cast(unreflected_credits as {{ dbt.type_bigint() }}) as fnsku_unreflected_credits,
    _source_file,
    _row_number
from allocated

{% endmacro %}
