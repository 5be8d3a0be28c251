-- What the money history (int_money_events: settlement reports and Finances, each line once)
-- says about each sold order item: one row per (seller, order, SKU) with the
-- charged principal and units (transaction-type Order, amount-type ItemPrice, amount-description
-- Principal) and the FBA per-unit fulfillment fee charged (ItemFees / FBAPerUnitFulfillmentFee;
-- settlement amounts are signed, a charge is negative, stored here as a positive charge).
-- Matching is case-insensitive (amazon-reports.md 1.12: values observed, not enumerated).
-- fulfillment-id says AFN (FBA) or MFN; the marketplace-name names the country.

with

money_events as (
    select * from {{ ref('int_money_events') }}
),

marketplaces as (
    select * from {{ ref('marketplaces') }}
),

order_rows as (
    select
        seller_id,
        settlement_id,
        amazon_order_id,
        sku,
        posted_date,
        amount,
        quantity_purchased,
        currency,
        upper(trim(fulfillment_id)) as fulfillment_id,
        lower(trim(marketplace_name)) as marketplace_name,
        lower(trim(amount_type)) = 'itemprice'
        and lower(trim(amount_description)) = 'principal' as is_principal,
        lower(trim(amount_type)) = 'itemfees'
        and lower(trim(amount_description)) = 'fbaperunitfulfillmentfee' as is_fba_fee
    from money_events
    where
        lower(trim(transaction_type)) = 'order'
        and amazon_order_id is not null
        and sku is not null
),

items as (
    select
        seller_id,
        amazon_order_id,
        sku,
        min(currency) as currency,
        min(marketplace_name) as marketplace_name,
        max(case when fulfillment_id = 'AFN' then 1 else 0 end) as has_afn,
        max(case when fulfillment_id = 'MFN' then 1 else 0 end) as has_mfn,
        sum(case when is_principal then amount else 0 end) as charged_principal,
        sum(
            case when is_principal then abs(coalesce(quantity_purchased, 0)) else 0 end
        ) as charged_units,
        min(case when is_principal then posted_date end) as first_charge_date,
        sum(case when is_fba_fee then -amount else 0 end) as fba_fee_charged,
        sum(
            case when is_fba_fee then abs(coalesce(quantity_purchased, 0)) else 0 end
        ) as fba_fee_units,
        sum(case when is_fba_fee then 1 else 0 end) as fba_fee_rows,
        min(case when is_fba_fee then posted_date end) as first_fee_date,
        max(case when is_fba_fee then posted_date end) as last_fee_date,
        min(settlement_id) as first_settlement_id,
        max(settlement_id) as last_settlement_id
    from order_rows
    group by seller_id, amazon_order_id, sku
)

select
    items.seller_id,
    items.amazon_order_id,
    items.sku,
    marketplaces.country_code as country,
    coalesce(items.currency, marketplaces.currency) as currency,
    case
        when items.has_afn = 1 then true
        when items.has_mfn = 1 then false
    end as is_fba,
    cast(items.charged_principal as decimal(18, 4)) as charged_principal,
    cast(items.charged_units as {{ dbt.type_bigint() }}) as charged_units,
    case
        when items.charged_units > 0
            then cast(items.charged_principal / items.charged_units as decimal(18, 4))
    end as charged_principal_per_unit,
    items.first_charge_date,
    cast(items.fba_fee_charged as decimal(18, 4)) as fba_fee_charged,
    cast(items.fba_fee_units as {{ dbt.type_bigint() }}) as fba_fee_units,
    cast(items.fba_fee_rows as {{ dbt.type_bigint() }}) as fba_fee_rows,
    items.first_fee_date,
    items.last_fee_date,
    items.first_settlement_id,
    items.last_settlement_id
from items
left join marketplaces
    on items.marketplace_name = lower(marketplaces.marketplace_name)
