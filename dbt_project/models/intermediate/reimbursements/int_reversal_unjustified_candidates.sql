-- reversal_unjustified claim candidates (claim-policy.md 2.13): reimbursement reversals
-- (reason Reimbursement_Reversal) that no event justifies. A reversal is justified by the item
-- coming back: for an order-related original (amazon-order-id set, e.g. CustomerReturn) a
-- customer return of that order and SKU; otherwise a found event in the ledger for the FNSKU
-- (reason group 'Inventory found' except N, which can be replacement inventory) on or after the
-- original reimbursement's approval date. Found units are shared by the FNSKU's reversals oldest
-- first. Units reversed beyond what the original reimbursed are never justified.
--
-- One path per unit (no double counting with the FC rules): a reversal of a Lost_Warehouse
-- (Damaged_Warehouse) reimbursement is netted back by int_warehouse_losses_netted
-- (int_warehouse_damages_netted) — the reversal reopens the loss and the warehouse_lost
-- (warehouse_damaged) claim carries it. The netting is per FNSKU, so the units it carries are
-- the open units of the FNSKU's loss (damage) rows the original could have paid: rows dated no
-- later than the original's approval plus Amazon's research period (var
-- fc_research_period_days). Those open units are shared by the FNSKU's reversals oldest first,
-- and each reversal is claimed here only for the units they do not cover (the loss predates the
-- pulled ledger history, there is no loss row, or the FNSKU's losses are all reconciled).
-- Reversals of our own case payments are excluded (fct_claims shows the claim as reversed).
with

reimbursements as (
    select * from {{ ref('int_reimbursements_outside_our_cases') }}
),

all_reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
),

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

reason_codes as (
    select * from {{ ref('ledger_reason_codes') }}
),

returns as (
    select * from {{ ref('stg_amazon__customer_returns') }}
),

losses as (
    select * from {{ ref('int_warehouse_losses_netted') }}
),

damages as (
    select * from {{ ref('int_warehouse_damages_netted') }}
),

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

marketplaces as (
    select * from {{ ref('marketplaces') }}
),

reversal_lines as (
    select
        seller_id,
        reimbursement_id,
        fnsku,
        min(sku) as sku,
        min(asin) as asin,
        min(amazon_order_id) as amazon_order_id,
        min(case_id) as case_id,
        min(approval_date) as approval_date,
        min(currency_unit) as currency,
        min(original_reimbursement_id) as original_reimbursement_id,
        min(original_reimbursement_type) as original_reimbursement_type,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as reversed_units,
        sum(abs(coalesce(amount_total, 0))) as reversed_amount
    from reimbursements
    where reason = 'Reimbursement_Reversal' and fnsku is not null
    group by seller_id, reimbursement_id, fnsku
),

original_lines as (
    select
        seller_id,
        reimbursement_id,
        fnsku,
        min(reason) as reason,
        min(approval_date) as approval_date,
        min(amazon_order_id) as amazon_order_id,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units,
        sum(amount_total) as amount
    from all_reimbursements
    where reason != 'Reimbursement_Reversal'
    group by seller_id, reimbursement_id, fnsku
),

linked as (
    select
        reversal_lines.*,
        original_lines.approval_date as original_approval_date,
        original_lines.units as original_units,
        original_lines.amount as original_amount,
        coalesce(
            reversal_lines.original_reimbursement_type, original_lines.reason
        ) as original_type,
        coalesce(
            original_lines.amazon_order_id, reversal_lines.amazon_order_id
        ) as original_order_id,
        coalesce(
            original_lines.approval_date, reversal_lines.approval_date
        ) as justification_since,
        sum(reversal_lines.reversed_units) over (
            partition by
                reversal_lines.seller_id,
                reversal_lines.original_reimbursement_id,
                reversal_lines.fnsku
            order by reversal_lines.approval_date, reversal_lines.reimbursement_id
            rows between unbounded preceding and current row
        ) as reversed_of_original_to_date
    from reversal_lines
    left join original_lines
        on
            reversal_lines.seller_id = original_lines.seller_id
            and reversal_lines.original_reimbursement_id = original_lines.reimbursement_id
            and reversal_lines.fnsku = original_lines.fnsku
),

-- Open loss (damage) rows, i.e. the units the warehouse_lost (warehouse_damaged) claims carry.
fc_open_rows as (
    select
        seller_id,
        fnsku,
        'Lost_Warehouse' as original_type,
        event_date,
        open_units
    from losses
    where open_units > 0
    union all
    select
        seller_id,
        fnsku,
        'Damaged_Warehouse' as original_type,
        event_date,
        open_units
    from damages
    where open_units > 0
),

-- Open units of the rows the original could have paid (reported by the end of the research
-- period after it).
fc_capacity as (
    select
        linked.seller_id,
        linked.reimbursement_id,
        linked.fnsku,
        sum(fc_open_rows.open_units) as fc_open_units
    from linked
    inner join fc_open_rows
        on
            linked.seller_id = fc_open_rows.seller_id
            and linked.fnsku = fc_open_rows.fnsku
            and linked.original_type = fc_open_rows.original_type
            and fc_open_rows.event_date <= cast({{ dbt.dateadd(
                'day', var('fc_research_period_days'), 'linked.justification_since'
            ) }} as date)
    group by linked.seller_id, linked.reimbursement_id, linked.fnsku
),

capped as (
    select
        linked.*,
        coalesce(fc_capacity.fc_open_units, 0) as fc_open_units,
        case
            when coalesce(fc_capacity.fc_open_units, 0) < linked.reversed_units
                then coalesce(fc_capacity.fc_open_units, 0)
            else linked.reversed_units
        end as fc_share
    from linked
    left join fc_capacity
        on
            linked.seller_id = fc_capacity.seller_id
            and linked.reimbursement_id = fc_capacity.reimbursement_id
            and linked.fnsku = fc_capacity.fnsku
),

shared as (
    select
        *,
        coalesce(sum(fc_share) over (
            partition by seller_id, fnsku, original_type
            order by approval_date, reimbursement_id
            rows between unbounded preceding and 1 preceding
        ), 0) as fc_share_before
    from capped
),

routed as (
    select
        *,
        case
            when fc_open_units - fc_share_before <= 0 then 0
            when fc_open_units - fc_share_before >= reversed_units then reversed_units
            else fc_open_units - fc_share_before
        end as fc_carried_units
    from shared
),

candidates as (
    select
        *,
        reversed_units - fc_carried_units as claimable_units
    from routed
    where reversed_units > fc_carried_units
),

order_returns as (
    select
        seller_id,
        amazon_order_id,
        sku,
        sum(coalesce(quantity, 1)) as returned_units
    from returns
    where amazon_order_id is not null
    group by seller_id, amazon_order_id, sku
),

fnsku_since as (
    select
        seller_id,
        fnsku,
        min(justification_since) as since
    from candidates
    where original_order_id is null
    group by seller_id, fnsku
),

found_units as (
    select
        ledger.seller_id,
        ledger.fnsku,
        sum(ledger.quantity) as found_units
    from ledger
    inner join reason_codes
        on ledger.reason_code = reason_codes.code
    inner join fnsku_since
        on
            ledger.seller_id = fnsku_since.seller_id
            and ledger.fnsku = fnsku_since.fnsku
            and ledger.event_date >= fnsku_since.since
    where
        ledger.event_type = 'Adjustments'
        and reason_codes.reason_group = 'Inventory found'
        and ledger.reason_code != 'N'
        and ledger.quantity > 0
    group by ledger.seller_id, ledger.fnsku
),

fnsku_ordered as (
    select
        candidates.*,
        coalesce(found_units.found_units, 0) as fnsku_found_units,
        coalesce(order_returns.returned_units, 0) as order_returned_units,
        sum(
            case
                when candidates.original_order_id is null then candidates.claimable_units else 0
            end
        ) over (
            partition by candidates.seller_id, candidates.fnsku
            order by candidates.approval_date, candidates.reimbursement_id
            rows between unbounded preceding and current row
        ) as fnsku_reversed_to_date
    from candidates
    left join found_units
        on
            candidates.seller_id = found_units.seller_id
            and candidates.fnsku = found_units.fnsku
    left join order_returns
        on
            candidates.seller_id = order_returns.seller_id
            and candidates.original_order_id = order_returns.amazon_order_id
            and candidates.sku = order_returns.sku
),

judged as (
    select
        *,
        case
            when original_order_id is not null
                then case
                        when claimable_units > order_returned_units
                            then claimable_units - order_returned_units
                        else 0
                    end
            -- found units consumed oldest reversal first
            when fnsku_reversed_to_date - claimable_units >= fnsku_found_units
                then claimable_units
            when fnsku_reversed_to_date > fnsku_found_units
                then fnsku_reversed_to_date - fnsku_found_units
            else 0
        end as unexplained_units,
        case
            when original_units is null then 0
            when reversed_of_original_to_date - reversed_units >= original_units
                then reversed_units
            when reversed_of_original_to_date > original_units
                then reversed_of_original_to_date - original_units
            else 0
        end as excess_units
    from fnsku_ordered
),

fnsku_ledger as (
    select
        seller_id,
        fnsku,
        country,
        msku,
        row_number() over (
            partition by seller_id, fnsku
            order by count(*) desc, country asc, msku asc
        ) as usage_rank
    from ledger
    where country is not null
    group by seller_id, fnsku, country, msku
),

single_currency_countries as (
    select
        currency,
        min(country_code) as country_code
    from marketplaces
    group by currency
    having count(*) = 1
),

valued as (
    select
        judged.*,
        product_costs.unit_cost,
        coalesce(judged.sku, fnsku_ledger.msku) as claim_sku,
        coalesce(fnsku_ledger.country, single_currency_countries.country_code) as country,
        case
            when judged.excess_units > judged.unexplained_units then judged.excess_units
            else judged.unexplained_units
        end as unjustified_units
    from judged
    left join fnsku_ledger
        on
            judged.seller_id = fnsku_ledger.seller_id
            and judged.fnsku = fnsku_ledger.fnsku
            and fnsku_ledger.usage_rank = 1
    left join single_currency_countries
        on judged.currency = single_currency_countries.currency
    left join product_costs
        on
            judged.seller_id = product_costs.seller_id
            and coalesce(judged.sku, fnsku_ledger.msku) = product_costs.sku
            and judged.currency = product_costs.currency
)

select
    seller_id,
    cast('reversal_unjustified' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['reimbursement_id', 'fnsku']) }} as claim_key,
    fnsku,
    claim_sku as sku,
    asin,
    original_order_id as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    reimbursement_id as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    approval_date as event_date,
    country,
    cast(unjustified_units as {{ dbt.type_bigint() }}) as quantity,
    cast(
        case
            when reversed_amount > 0 and reversed_units > 0 then reversed_amount / reversed_units
            else unit_cost
        end as decimal(18, 4)
    ) as unit_value,
    currency as value_currency,
    case
        when reversed_amount > 0 and reversed_units > 0 then 'reversed_amount'
        when unit_cost is not null then 'product_master_unit_cost'
        else 'missing_unit_cost'
    end as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'reversal_unjustified'"],
        ['reversal_id', 'reimbursement_id'],
        ['reversal_approval_date', dbt.cast('approval_date', dbt.type_string())],
        ['original_reimbursement_id', 'original_reimbursement_id'],
        ['original_reimbursement_type', 'original_type'],
        ['original_approval_date', dbt.cast('original_approval_date', dbt.type_string())],
        ['original_units', 'original_units', 'number'],
        ['original_amount', 'original_amount', 'number'],
        ['order_id', 'original_order_id'],
        ['case_id', 'case_id'],
        ['fnsku', 'fnsku'],
        ['msku', 'claim_sku'],
        ['asin', 'asin'],
        ['reversed_units', 'reversed_units', 'number'],
        ['reversed_amount', 'reversed_amount', 'number'],
        ['units_reopened_on_fc_claims', 'fc_carried_units', 'number'],
        ['currency', 'currency'],
        ['found_units_since_original', 'fnsku_found_units', 'number'],
        ['order_returned_units', 'order_returned_units', 'number'],
        ['units_beyond_original', 'excess_units', 'number'],
        ['unjustified_units', 'unjustified_units', 'number'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Reimbursement reversal dispute: reversal ID '", 'reimbursement_id',
        "' (approved '", dbt.cast('approval_date', dbt.type_string()),
        "') took back '", dbt.cast('reversed_units', dbt.type_string()),
        "' unit(s) of FNSKU '", 'fnsku', "' (SKU '", "coalesce(claim_sku, 'unknown')",
        "') reimbursed under original reimbursement ID '",
        "coalesce(original_reimbursement_id, 'unknown')",
        "' ('", "coalesce(" ~ reason_text('original_type') ~ ", 'unknown type')",
        "case when original_approval_date is null then '' else "
            ~ dbt.concat(["', approved '", dbt.cast('original_approval_date', dbt.type_string())])
            ~ " end",
        "'), but '",
        "case when original_order_id is null"
            ~ " then 'the inventory ledger shows no found event for this FNSKU since then'"
            ~ " else " ~ dbt.concat([
                "'no customer return of order '", 'original_order_id', "' was received'"
            ]) ~ " end",
        "case when excess_units > 0 then "
            ~ dbt.concat([
                "', and '", dbt.cast('excess_units', dbt.type_string()),
                "' unit(s) exceed what the original reimbursed'"
            ]) ~ " else '' end",
        "': '", dbt.cast('unjustified_units', dbt.type_string()),
        "' unit(s) were reversed without justification.'"
    ]) }} as case_summary
from valued
where unjustified_units > 0
