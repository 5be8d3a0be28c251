-- refund_exceeds_charge claim candidates (claim-policy.md 2.7): order items whose refunded
-- principal (int_refunds, all refunds of the order item) is larger than the principal charged for
-- it: settlement Order rows (int_order_items_settled), else the all-orders item-price. Order items
-- without a known charge are not judged (their settlement may predate the pulled history).
-- Value = refunded - charged (at least a cent). Quantity = the units refunded beyond the units
-- charged (a duplicate refund of a one-unit order is one unit), else 1 (a refund above the price
-- of the units charged); anchor = the latest refund posted date (window 0/90 days,
-- UNCONFIRMED). No reimbursement line is known to pay this back, so nothing is netted (open
-- question).

with

refunds as (
    select * from {{ ref('int_refunds') }}
),

settled_items as (
    select * from {{ ref('int_order_items_settled') }}
),

all_orders as (
    select * from {{ ref('stg_amazon__all_orders') }}
),

-- The FNSKU/ASIN a SKU is stocked under (most ledger rows), for items that name only the SKU.
sku_identities as (
    select * from {{ ref('int_sku_identities') }}
),

refunded as (
    select
        seller_id,
        amazon_order_id,
        sku,
        min(country) as country,
        min(currency) as currency,
        sum(refunded_principal) as refunded_principal,
        sum(refunded_units) as refunded_units,
        count(*) as refund_events,
        max(posted_date) as last_refund_date,
        {{ json_array_agg(
            build_json_object([
                ['refund_id', 'refund_id'],
                ['settlement_id', 'settlement_id'],
                ['order_item_id', 'order_item_id'],
                ['posted_date', dbt.cast('posted_date', dbt.type_string())],
                ['refunded_principal', 'refunded_principal', 'number'],
            ]),
            'posted_date, refund_id'
        ) }} as refund_rows
    from refunds
    group by seller_id, amazon_order_id, sku
),

ordered as (
    select
        seller_id,
        amazon_order_id,
        sku,
        sum(item_price) as item_price,
        sum(quantity) as quantity
    from all_orders
    where item_price is not null
    group by seller_id, amazon_order_id, sku
),

compared as (
    select
        refunded.*,
        sku_identities.fnsku,
        sku_identities.asin,
        case
            when settled_items.charged_principal > 0 then settled_items.charged_principal
            else ordered.item_price
        end as charged_principal,
        case
            when settled_items.charged_principal > 0 then 'settlement_order_rows'
            else 'all_orders_item_price'
        end as charge_source,
        case
            when settled_items.charged_principal > 0 then settled_items.charged_units
            else ordered.quantity
        end as charged_units
    from refunded
    left join settled_items
        on
            refunded.seller_id = settled_items.seller_id
            and refunded.amazon_order_id = settled_items.amazon_order_id
            and refunded.sku = settled_items.sku
    left join ordered
        on
            refunded.seller_id = ordered.seller_id
            and refunded.amazon_order_id = ordered.amazon_order_id
            and refunded.sku = ordered.sku
    left join sku_identities
        on
            refunded.seller_id = sku_identities.seller_id
            and refunded.sku = sku_identities.sku
),

excess as (
    select
        *,
        refunded_principal - charged_principal as excess_amount,
        case
            when refunded_units > charged_units then refunded_units - charged_units else 1
        end as claim_units
    from compared
    where
        charged_principal is not null
        and refunded_principal - charged_principal >= 0.01
)

select
    seller_id,
    cast('refund_exceeds_charge' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['amazon_order_id', 'sku']) }} as claim_key,
    fnsku,
    sku,
    asin,
    amazon_order_id as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    last_refund_date as event_date,
    country,
    cast(claim_units as {{ dbt.type_bigint() }}) as quantity,
    cast(excess_amount / claim_units as decimal(18, 4)) as unit_value,
    currency as value_currency,
    cast('refunded_minus_charged' as {{ dbt.type_string() }}) as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'refund_exceeds_charge'"],
        ['order_id', 'amazon_order_id'],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['last_refund_date', dbt.cast('last_refund_date', dbt.type_string())],
        ['refund_events', 'refund_events', 'number'],
        ['refunded_units', 'refunded_units', 'number'],
        ['charged_units', 'charged_units', 'number'],
        ['refunded_principal', 'refunded_principal', 'number'],
        ['charged_principal', 'charged_principal', 'number'],
        ['charge_source', 'charge_source'],
        ['excess_amount', 'excess_amount', 'number'],
        ['currency', 'currency'],
        ['refunds', 'refund_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Refund above the sale: order '", 'amazon_order_id', "', SKU '", 'sku',
        "' — '", dbt.cast('refund_events', dbt.type_string()),
        "' refund(s), the latest on '", dbt.cast('last_refund_date', dbt.type_string()),
        "', returned '", 'currency', "' '", money_text('refunded_principal', 'currency'),
        "' of principal to the customer although only '", 'currency', "' '",
        money_text('charged_principal', 'currency'), "' was charged for the item.'"
    ]) }} as case_summary
from excess
