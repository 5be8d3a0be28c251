-- Customer-return netting per (seller, order, SKU) (claim-policy.md 2.4 and 2.5): what was
-- refunded, what came back, what came back damaged by Amazon or the carrier, and what Amazon
-- already reimbursed for the order, and from that the units still owed for each of the two
-- rules, so that a unit is never claimed twice:
--   counted refunded  = refunded units, capped at the units charged for the order item
--                       (settlement Order rows, else all-orders quantity, else units shipped in
--                       the fulfilled-shipments report; not capped when none is known): a refund
--                       posted twice for one unit (claim-policy.md 2.7) is not a second unit that
--                       could come back, the excess is a refund_exceeds_charge claim only
--   never returned    = max(0, counted refunded units - returned units (any disposition))
--   damaged returned  = returned units with detailed-disposition DAMAGED or CARRIER_DAMAGED
--   reimbursed        = units of reimbursement lines with this amazon-order-id and SKU (any
--                       reason), less units of reversals of those lines
-- A returned unit is never "never returned", whatever its disposition. Reimbursed units settle
-- the damaged returns first (Amazon grades and pays them when the return is received; the
-- returns report marks them Reimbursed), the rest settles never-returned units.
-- One row per order item that was refunded or had a damaged return; value per unit = refunded
-- principal / refunded units, else the charged principal per unit of the order item. The claim
-- anchor (last_counted_refund_date) is the refund posting that brought the refunded units up to
-- the counted ones (the latest refund when nothing is capped).

with

refunds as (
    select * from {{ ref('int_refunds') }}
),

returns as (
    select * from {{ ref('stg_amazon__customer_returns') }}
),

reimbursements as (
    select * from {{ ref('int_reimbursements_outside_our_cases') }}
),

settled_items as (
    select * from {{ ref('int_order_items_settled') }}
),

all_orders as (
    select * from {{ ref('stg_amazon__all_orders') }}
),

fulfilled_shipments as (
    select * from {{ ref('stg_amazon__fulfilled_shipments') }}
),

-- The FNSKU/ASIN a SKU is stocked under (most ledger rows), for items that name only the SKU.
sku_identities as (
    select * from {{ ref('int_sku_identities') }}
),

ordered_units as (
    select
        seller_id,
        amazon_order_id,
        sku,
        sum(quantity) as units
    from all_orders
    where quantity > 0
    group by seller_id, amazon_order_id, sku
),

shipped_units as (
    select
        seller_id,
        amazon_order_id,
        sku,
        sum(quantity_shipped) as units
    from fulfilled_shipments
    where quantity_shipped > 0
    group by seller_id, amazon_order_id, sku
),

-- Units charged for each refunded order item: the settlement Order rows, else the all-orders
-- quantity, else the units shipped; NULL when unknown (then refunds are not capped).
charged as (
    select
        refund_items.seller_id,
        refund_items.amazon_order_id,
        refund_items.sku,
        case
            when settled_items.charged_units > 0 then settled_items.charged_units
            when ordered_units.units > 0 then ordered_units.units
            when shipped_units.units > 0 then shipped_units.units
        end as charged_units,
        case
            when settled_items.charged_units > 0 then 'settlement_order_rows'
            when ordered_units.units > 0 then 'all_orders_quantity'
            when shipped_units.units > 0 then 'fulfilled_shipments_quantity'
            else 'unknown'
        end as charged_units_source
    from (
        select distinct
            seller_id,
            amazon_order_id,
            sku
        from refunds
    ) as refund_items
    left join settled_items
        on
            refund_items.seller_id = settled_items.seller_id
            and refund_items.amazon_order_id = settled_items.amazon_order_id
            and refund_items.sku = settled_items.sku
    left join ordered_units
        on
            refund_items.seller_id = ordered_units.seller_id
            and refund_items.amazon_order_id = ordered_units.amazon_order_id
            and refund_items.sku = ordered_units.sku
    left join shipped_units
        on
            refund_items.seller_id = shipped_units.seller_id
            and refund_items.amazon_order_id = shipped_units.amazon_order_id
            and refund_items.sku = shipped_units.sku
),

-- Refunded units so far at each refund posting of the order item (oldest first).
refund_progress as (
    select
        refunds.seller_id,
        refunds.amazon_order_id,
        refunds.sku,
        refunds.posted_date,
        charged.charged_units,
        sum(refunds.refunded_units) over (
            partition by refunds.seller_id, refunds.amazon_order_id, refunds.sku
            order by refunds.posted_date, refunds.refund_id
            rows between unbounded preceding and current row
        ) as running_units
    from refunds
    left join charged
        on
            refunds.seller_id = charged.seller_id
            and refunds.amazon_order_id = charged.amazon_order_id
            and refunds.sku = charged.sku
),

-- The posting that reached the units charged, where refunds went beyond them.
capped_anchor as (
    select
        seller_id,
        amazon_order_id,
        sku,
        min(posted_date) as charged_units_refund_date
    from refund_progress
    where charged_units > 0 and running_units >= charged_units
    group by seller_id, amazon_order_id, sku
),

refunded as (
    select
        seller_id,
        amazon_order_id,
        sku,
        min(country) as country,
        min(currency) as currency,
        sum(refunded_units) as refunded_units,
        sum(refunded_principal) as refunded_principal,
        min(posted_date) as first_refund_date,
        max(posted_date) as last_refund_date,
        count(*) as refund_events,
        {{ json_array_agg(
            build_json_object([
                ['refund_id', 'refund_id'],
                ['source', 'refund_source'],
                ['settlement_id', 'settlement_id'],
                ['order_item_id', 'order_item_id'],
                ['posted_date', dbt.cast('posted_date', dbt.type_string())],
                ['refunded_principal', 'refunded_principal', 'number'],
                ['refunded_units', 'refunded_units', 'number'],
            ]),
            'posted_date, refund_id'
        ) }} as refund_rows
    from refunds
    group by seller_id, amazon_order_id, sku
),

returned as (
    select
        seller_id,
        amazon_order_id,
        sku,
        min(fnsku) as fnsku,
        min(asin) as asin,
        sum(coalesce(quantity, 1)) as returned_units,
        sum(
            case
                when upper(detailed_disposition) in ('DAMAGED', 'CARRIER_DAMAGED')
                    then coalesce(quantity, 1)
                else 0
            end
        ) as damaged_units,
        sum(
            case
                when lower(trim(status)) = 'reimbursed' then coalesce(quantity, 1)
                else 0
            end
        ) as status_reimbursed_units,
        min(return_date) as first_return_date,
        min(
            case
                when upper(detailed_disposition) in ('DAMAGED', 'CARRIER_DAMAGED') then return_date
            end
        ) as first_damaged_return_date,
        {{ json_array_agg(
            build_json_object([
                ['return_date', dbt.cast('return_date', dbt.type_string())],
                ['quantity', 'quantity', 'number'],
                ['fulfillment_center_id', 'fulfillment_center_id'],
                ['detailed_disposition', 'detailed_disposition'],
                ['reason', 'reason'],
                ['status', 'status'],
                ['license_plate_number', 'license_plate_number'],
            ]),
            'return_date, license_plate_number'
        ) }} as return_rows
    from returns
    where amazon_order_id is not null
    group by seller_id, amazon_order_id, sku
),

order_reimbursement_lines as (
    select
        seller_id,
        reimbursement_id,
        amazon_order_id,
        sku,
        min(fnsku) as fnsku,
        min(reason) as reason,
        min(approval_date) as approval_date,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units,
        sum(amount_total) as amount
    from reimbursements
    where
        amazon_order_id is not null
        and reason != 'Reimbursement_Reversal'
    group by seller_id, reimbursement_id, amazon_order_id, sku
),

reversals as (
    select
        seller_id,
        original_reimbursement_id,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as reversed_units
    from reimbursements
    where reason = 'Reimbursement_Reversal'
    group by seller_id, original_reimbursement_id
),

reimbursed as (
    select
        reimbursement_lines.seller_id,
        reimbursement_lines.amazon_order_id,
        reimbursement_lines.sku,
        sum(reimbursement_lines.units) as reimbursed_units,
        sum(coalesce(reversals.reversed_units, 0)) as reversed_units,
        {{ json_array_agg(
            build_json_object([
                ['reimbursement_id', 'reimbursement_lines.reimbursement_id'],
                ['reason', 'reimbursement_lines.reason'],
                ['approval_date', dbt.cast('reimbursement_lines.approval_date', dbt.type_string())],
                ['units', 'reimbursement_lines.units', 'number'],
                ['reversed_units', 'coalesce(reversals.reversed_units, 0)', 'number'],
            ]),
            'reimbursement_lines.approval_date, reimbursement_lines.reimbursement_id'
        ) }} as reimbursement_rows
    from order_reimbursement_lines as reimbursement_lines
    left join reversals
        on
            reimbursement_lines.seller_id = reversals.seller_id
            and reimbursement_lines.reimbursement_id = reversals.original_reimbursement_id
    group by
        reimbursement_lines.seller_id,
        reimbursement_lines.amazon_order_id,
        reimbursement_lines.sku
),

order_items as (
    select
        seller_id,
        amazon_order_id,
        sku
    from refunded
    union
    select
        seller_id,
        amazon_order_id,
        sku
    from returned
    where damaged_units > 0
),

joined as (
    select
        order_items.seller_id,
        order_items.amazon_order_id,
        order_items.sku,
        refunded.first_refund_date,
        refunded.last_refund_date,
        refunded.refund_rows,
        returned.first_return_date,
        returned.first_damaged_return_date,
        returned.return_rows,
        reimbursed.reimbursement_rows,
        settled_items.charged_principal_per_unit,
        charged.charged_units,
        capped_anchor.charged_units_refund_date,
        coalesce(charged.charged_units_source, 'unknown') as charged_units_source,
        coalesce(returned.fnsku, sku_identities.fnsku) as fnsku,
        coalesce(returned.asin, sku_identities.asin) as asin,
        coalesce(refunded.country, settled_items.country) as country,
        coalesce(refunded.currency, settled_items.currency) as currency,
        coalesce(refunded.refunded_units, 0) as refunded_units,
        coalesce(refunded.refunded_principal, 0) as refunded_principal,
        coalesce(refunded.refund_events, 0) as refund_events,
        coalesce(returned.returned_units, 0) as returned_units,
        coalesce(returned.damaged_units, 0) as damaged_units,
        coalesce(returned.status_reimbursed_units, 0) as status_reimbursed_units,
        coalesce(reimbursed.reimbursed_units, 0) as reimbursed_units,
        coalesce(reimbursed.reversed_units, 0) as reversed_units
    from order_items
    left join refunded
        on
            order_items.seller_id = refunded.seller_id
            and order_items.amazon_order_id = refunded.amazon_order_id
            and order_items.sku = refunded.sku
    left join returned
        on
            order_items.seller_id = returned.seller_id
            and order_items.amazon_order_id = returned.amazon_order_id
            and order_items.sku = returned.sku
    left join reimbursed
        on
            order_items.seller_id = reimbursed.seller_id
            and order_items.amazon_order_id = reimbursed.amazon_order_id
            and order_items.sku = reimbursed.sku
    left join settled_items
        on
            order_items.seller_id = settled_items.seller_id
            and order_items.amazon_order_id = settled_items.amazon_order_id
            and order_items.sku = settled_items.sku
    left join sku_identities
        on
            order_items.seller_id = sku_identities.seller_id
            and order_items.sku = sku_identities.sku
    left join charged
        on
            order_items.seller_id = charged.seller_id
            and order_items.amazon_order_id = charged.amazon_order_id
            and order_items.sku = charged.sku
    left join capped_anchor
        on
            order_items.seller_id = capped_anchor.seller_id
            and order_items.amazon_order_id = capped_anchor.amazon_order_id
            and order_items.sku = capped_anchor.sku
),

counted as (
    select
        *,
        case
            when charged_units > 0 and refunded_units > charged_units then charged_units
            else refunded_units
        end as counted_refunded_units,
        case
            when
                charged_units > 0 and refunded_units > charged_units
                then charged_units_refund_date
            else last_refund_date
        end as last_counted_refund_date
    from joined
),

owed as (
    select
        *,
        case
            when
                counted_refunded_units > returned_units
                then counted_refunded_units - returned_units
            else 0
        end as not_returned_units,
        -- The returns report's status 'Reimbursed' counts too, should the reimbursement line
        -- itself be missing (never both: the greater of the two).
        case
            when
                status_reimbursed_units > reimbursed_units - reversed_units
                then status_reimbursed_units
            when reimbursed_units > reversed_units then reimbursed_units - reversed_units
            else 0
        end as net_reimbursed_units
    from counted
),

allocated as (
    select
        *,
        case
            when damaged_units > net_reimbursed_units then damaged_units - net_reimbursed_units
            else 0
        end as damaged_open_units,
        case
            when net_reimbursed_units > damaged_units then net_reimbursed_units - damaged_units
            else 0
        end as credits_left_for_not_returned
    from owed
)

select
    seller_id,
    amazon_order_id,
    sku,
    fnsku,
    asin,
    country,
    currency,
    cast(refunded_units as {{ dbt.type_bigint() }}) as refunded_units,
    cast(refunded_principal as decimal(18, 4)) as refunded_principal,
    first_refund_date,
    last_refund_date,
    cast(refund_events as {{ dbt.type_bigint() }}) as refund_events,
    cast(charged_units as {{ dbt.type_bigint() }}) as charged_units,
    charged_units_source,
    cast(counted_refunded_units as {{ dbt.type_bigint() }}) as counted_refunded_units,
    cast(
        case
            when counted_refunded_units < refunded_units
                then refunded_principal * counted_refunded_units / refunded_units
            else refunded_principal
        end as decimal(18, 4)
    ) as counted_refunded_principal,
    last_counted_refund_date,
    cast(returned_units as {{ dbt.type_bigint() }}) as returned_units,
    cast(damaged_units as {{ dbt.type_bigint() }}) as damaged_units,
    first_return_date,
    first_damaged_return_date,
    cast(reimbursed_units as {{ dbt.type_bigint() }}) as reimbursed_units,
    cast(reversed_units as {{ dbt.type_bigint() }}) as reversed_units,
    cast(net_reimbursed_units as {{ dbt.type_bigint() }}) as net_reimbursed_units,
    cast(not_returned_units as {{ dbt.type_bigint() }}) as not_returned_units,
    cast(
        case
            when not_returned_units > credits_left_for_not_returned
                then not_returned_units - credits_left_for_not_returned
            else 0
        end as {{ dbt.type_bigint() }}
    ) as not_returned_open_units,
    cast(damaged_open_units as {{ dbt.type_bigint() }}) as damaged_open_units,
    cast(
        case
            when refunded_units > 0 then refunded_principal / refunded_units
            else charged_principal_per_unit
        end as decimal(18, 4)
    ) as value_per_unit,
    case
        when refunded_units > 0 then 'refunded_principal'
        when charged_principal_per_unit is not null then 'charged_principal'
        else 'missing_order_value'
    end as valuation_source,
    refund_rows,
    return_rows,
    reimbursement_rows
from allocated
