-- Customer refunds of order items, one row per refund event line (claim-policy.md 2.4 step 1),
-- shared by the customer-return rules. They come from the money history (int_money_events:
-- settlement report V2 lines and Finances transactions / v0 events, each money line counted
-- once; refund_source names the source that carried the line): transaction type Refund, amount
-- type ItemPrice / description Principal, negative amounts.
--
-- Units: refund lines often leave the quantity blank. The refunded units are the
-- reported quantity when given, else the refunded principal divided by the charged principal per
-- unit of the order item (charged Order lines, else all-orders item-price / quantity), rounded;
-- else 1. A refund worth less than half a unit (a partial/goodwill refund) gives 0 units: no
-- return is expected for it.
-- FBA only: fulfillment-id AFN on the refund or the order's settlement rows, else all-orders
-- fulfillment-channel 'Amazon' (or the order in the fulfilled-shipments report, which lists only
-- Amazon-fulfilled orders). Orders proven merchant-fulfilled (MFN / 'Merchant') are dropped;
-- orders with no channel information at all are kept (tolerant when those reports are absent).

with

money_events as (
    select * from {{ ref('int_money_events') }}
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

marketplaces as (
    select * from {{ ref('marketplaces') }}
),

refund_rows as (
    select
        seller_id,
        settlement_id,
        adjustment_id,
        amazon_order_id,
        sku,
        order_item_code,
        merchant_adjustment_item_id,
        posted_date,
        currency,
        amount,
        quantity_purchased,
        money_source,
        _source_file,
        _row_number,
        upper(trim(fulfillment_id)) as fulfillment_id,
        lower(trim(marketplace_name)) as marketplace_name
    from money_events
    where
        lower(trim(transaction_type)) = 'refund'
        and lower(trim(amount_type)) = 'itemprice'
        and lower(trim(amount_description)) = 'principal'
        and amazon_order_id is not null
        and sku is not null
),

refund_lines as (
    select
        seller_id,
        money_source as refund_source,
        coalesce(
            adjustment_id,
            {{ dbt.concat([
                'coalesce(settlement_id, money_source)', "'|'", "coalesce(order_item_code, '')",
                "'|'",
                dbt.cast('posted_date', dbt.type_string())
            ]) }}
        ) as refund_id,
        settlement_id,
        amazon_order_id,
        sku,
        min(order_item_code) as order_item_id,
        min(merchant_adjustment_item_id) as adjustment_item_id,
        posted_date,
        min(currency) as currency,
        min(marketplace_name) as marketplace_name,
        max(fulfillment_id) as fulfillment_id,
        -sum(amount) as refunded_principal,
        max(abs(quantity_purchased)) as reported_units,
        min(_source_file) as _source_file,
        min(_row_number) as _row_number
    from refund_rows
    group by
        seller_id, money_source, settlement_id, adjustment_id, amazon_order_id, sku,
        order_item_code, posted_date
),

order_channels as (
    select
        seller_id,
        amazon_order_id,
        sku,
        max(case when lower(trim(fulfillment_channel)) = 'amazon' then 1 else 0 end) as is_afn,
        max(case when lower(trim(fulfillment_channel)) = 'merchant' then 1 else 0 end) as is_mfn,
        min(lower(trim(sales_channel))) as sales_channel,
        sum(item_price) as item_price,
        sum(quantity) as quantity
    from all_orders
    group by seller_id, amazon_order_id, sku
),

shipped_orders as (
    select distinct
        seller_id,
        amazon_order_id
    from fulfilled_shipments
),

single_currency_countries as (
    select
        currency,
        min(country_code) as country_code
    from marketplaces
    group by currency
    having count(*) = 1
),

resolved as (
    select
        refund_lines.*,
        settled_items.charged_principal_per_unit,
        coalesce(
            settled_items.charged_principal_per_unit,
            case
                when order_channels.quantity > 0
                    then order_channels.item_price / order_channels.quantity
            end
        ) as unit_price,
        case
            when refund_lines.fulfillment_id = 'AFN' then true
            when refund_lines.fulfillment_id = 'MFN' then false
            when settled_items.is_fba is not null then settled_items.is_fba
            when order_channels.is_afn = 1 then true
            when order_channels.is_mfn = 1 then false
            when shipped_orders.amazon_order_id is not null then true
        end as is_fba,
        coalesce(
            by_name.country_code,
            by_channel.country_code,
            settled_items.country,
            single_currency_countries.country_code
        ) as country
    from refund_lines
    left join settled_items
        on
            refund_lines.seller_id = settled_items.seller_id
            and refund_lines.amazon_order_id = settled_items.amazon_order_id
            and refund_lines.sku = settled_items.sku
    left join order_channels
        on
            refund_lines.seller_id = order_channels.seller_id
            and refund_lines.amazon_order_id = order_channels.amazon_order_id
            and refund_lines.sku = order_channels.sku
    left join shipped_orders
        on
            refund_lines.seller_id = shipped_orders.seller_id
            and refund_lines.amazon_order_id = shipped_orders.amazon_order_id
    left join marketplaces as by_name
        on refund_lines.marketplace_name = lower(by_name.marketplace_name)
    left join marketplaces as by_channel
        on order_channels.sales_channel = lower(by_channel.marketplace_name)
    left join single_currency_countries
        on refund_lines.currency = single_currency_countries.currency
)

select
    seller_id,
    refund_source,
    refund_id,
    settlement_id,
    amazon_order_id,
    sku,
    order_item_id,
    adjustment_item_id,
    posted_date,
    country,
    currency,
    is_fba,
    cast(refunded_principal as decimal(18, 4)) as refunded_principal,
    cast(reported_units as {{ dbt.type_bigint() }}) as reported_units,
    cast(unit_price as decimal(18, 4)) as charged_principal_per_unit,
    cast(case
        when reported_units > 0 then reported_units
        when unit_price > 0 then round(refunded_principal / unit_price, 0)
        else 1
    end as {{ dbt.type_bigint() }}) as refunded_units,
    case
        when reported_units > 0 then 'reported'
        when unit_price > 0 then 'principal_over_unit_price'
        else 'assumed_one'
    end as units_source,
    _source_file,
    _row_number
from resolved
where
    coalesce(is_fba, true)
    and refunded_principal > 0
