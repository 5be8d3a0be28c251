-- Settlement report V1 flat file (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE) in the settlement V2
-- vocabulary, so int_money_events reads it like stg_amazon__settlements: one row per amount the
-- file carries, plus the settlement's summary row (is_summary_row).
-- A V1 row holds its amount in one of its type/amount column pairs, or in a column of its own:
--   price-type / price-amount                     -> ItemPrice / <price-type> (Principal, Tax...)
--   item-related-fee-type / item-related-fee-amount -> ItemFees / <fee type> (Commission,
--                                                      FBAPerUnitFulfillmentFee, ...)
--   promotion-type / promotion-amount             -> Promotion / <promotion-type>
--   shipment-fee-type / shipment-fee-amount       -> ShipmentFees / <shipment-fee-type>
--   order-fee-type / order-fee-amount             -> OrderFees / <order-fee-type>
--   direct-payment-type / direct-payment-amount   -> DirectPayment / <direct-payment-type>
--   misc-fee-amount                               -> MiscFee / MiscFee
--   other-fee-amount                              -> OtherFee / <other-fee-reason-description>
--   other-amount                                  -> Other / <price-type, else transaction-type>
--                                                      (V1 names reimbursements and account
--                                                      fees in transaction-type: WAREHOUSE_DAMAGE,
--                                                      Subscription Fee, ...)
-- ItemPrice/ItemFees/Promotion are the V2 amount-types of the same pairs (amazon-reports.md
-- 1.12); the other amount-type names are ours (no rule reads them). transaction-type is kept as
-- sent (Order, Refund, ...). A type-less column's 0 is left out when another column of the row
-- holds the amount. An item's quantity-purchased may sit on a row of its own with no amount
-- (real V1 files): every amount line of the item takes it, and that row has no line of its own.
-- A closed settlement does not change: all rows of the latest document of each settlement.

with

source as (
    select * from {{ source('amazon', 'settlements_v1') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(settlement_id as {{ dbt.type_string() }}) as settlement_id,
        settlement_start_date as settlement_start_at,
        {{ utc_date('settlement_start_date') }} as settlement_start_date,
        settlement_end_date as settlement_end_at,
        {{ utc_date('settlement_end_date') }} as settlement_end_date,
        deposit_date as deposit_at,
        {{ utc_date('deposit_date') }} as deposit_date,
        cast(total_amount as decimal(18, 4)) as total_amount,
        upper(trim(currency)) as row_currency,
        cast(transaction_type as {{ dbt.type_string() }}) as transaction_type,
        cast(order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(merchant_order_id as {{ dbt.type_string() }}) as merchant_order_id,
        cast(adjustment_id as {{ dbt.type_string() }}) as adjustment_id,
        cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
        cast(marketplace_name as {{ dbt.type_string() }}) as marketplace_name,
        cast(fulfillment_id as {{ dbt.type_string() }}) as fulfillment_id,
        posted_date as posted_at,
        {{ utc_date('posted_date') }} as posted_date,
        cast(order_item_code as {{ dbt.type_string() }}) as order_item_code,
        cast(merchant_order_item_id as {{ dbt.type_string() }}) as merchant_order_item_id,
        cast(
            merchant_adjustment_item_id as {{ dbt.type_string() }}
        ) as merchant_adjustment_item_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity_purchased as {{ dbt.type_bigint() }}) as quantity_purchased,
        cast(promotion_id as {{ dbt.type_string() }}) as promotion_id,
        cast(price_type as {{ dbt.type_string() }}) as price_type,
        cast(price_amount as decimal(18, 4)) as price_amount,
        cast(item_related_fee_type as {{ dbt.type_string() }}) as item_related_fee_type,
        cast(item_related_fee_amount as decimal(18, 4)) as item_related_fee_amount,
        cast(promotion_type as {{ dbt.type_string() }}) as promotion_type,
        cast(promotion_amount as decimal(18, 4)) as promotion_amount,
        cast(shipment_fee_type as {{ dbt.type_string() }}) as shipment_fee_type,
        cast(shipment_fee_amount as decimal(18, 4)) as shipment_fee_amount,
        cast(order_fee_type as {{ dbt.type_string() }}) as order_fee_type,
        cast(order_fee_amount as decimal(18, 4)) as order_fee_amount,
        cast(direct_payment_type as {{ dbt.type_string() }}) as direct_payment_type,
        cast(direct_payment_amount as decimal(18, 4)) as direct_payment_amount,
        cast(
            other_fee_reason_description as {{ dbt.type_string() }}
        ) as other_fee_reason_description,
        cast(misc_fee_amount as decimal(18, 4)) as misc_fee_amount,
        cast(other_fee_amount as decimal(18, 4)) as other_fee_amount,
        cast(other_amount as decimal(18, 4)) as other_amount,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', ['seller_id', 'settlement_id']) }}
),

-- the currency of each settlement document (its summary row's)
document_currencies as (
    select
        seller_id,
        settlement_id,
        _source_file,
        max(row_currency) as document_currency
    from latest
    group by seller_id, settlement_id, _source_file
),

-- the quantity of each item of a document, wherever the file put it
item_quantities as (
    select
        seller_id,
        _source_file,
        transaction_type,
        amazon_order_id,
        adjustment_id,
        order_item_code,
        merchant_adjustment_item_id,
        sku,
        posted_date,
        max(quantity_purchased) as item_quantity
    from latest
    where transaction_type is not null and quantity_purchased is not null
    group by
        seller_id, _source_file, transaction_type, amazon_order_id, adjustment_id,
        order_item_code, merchant_adjustment_item_id, sku, posted_date
),

-- how many amount columns each row fills (a type-less column's 0 is a line only when alone)
counted as (
    select
        latest.*,
        case when latest.price_amount is not null then 1 else 0 end
        + case when latest.item_related_fee_amount is not null then 1 else 0 end
        + case when latest.promotion_amount is not null then 1 else 0 end
        + case when latest.shipment_fee_amount is not null then 1 else 0 end
        + case when latest.order_fee_amount is not null then 1 else 0 end
        + case when latest.direct_payment_amount is not null then 1 else 0 end
        + case when latest.misc_fee_amount is not null then 1 else 0 end
        + case when latest.other_fee_amount is not null then 1 else 0 end
        + case when latest.other_amount is not null then 1 else 0 end as amounts_on_row
    from latest
),

amounts as (
    select
        counted.*,
        true as is_summary_row,
        cast(null as {{ dbt.type_string() }}) as amount_type,
        cast(null as {{ dbt.type_string() }}) as amount_description,
        cast(null as decimal(18, 4)) as amount,
        cast(null as {{ dbt.type_string() }}) as v1_amount_column
    from counted
    where counted.transaction_type is null

    union all

    select
        counted.*,
        false as is_summary_row,
        'ItemPrice' as amount_type,
        counted.price_type as amount_description,
        counted.price_amount as amount,
        'price_amount' as v1_amount_column
    from counted
    where counted.transaction_type is not null and counted.price_amount is not null

    union all

    select
        counted.*,
        false as is_summary_row,
        'ItemFees' as amount_type,
        counted.item_related_fee_type as amount_description,
        counted.item_related_fee_amount as amount,
        'item_related_fee_amount' as v1_amount_column
    from counted
    where counted.transaction_type is not null and counted.item_related_fee_amount is not null

    union all

    select
        counted.*,
        false as is_summary_row,
        'Promotion' as amount_type,
        counted.promotion_type as amount_description,
        counted.promotion_amount as amount,
        'promotion_amount' as v1_amount_column
    from counted
    where counted.transaction_type is not null and counted.promotion_amount is not null

    union all

    select
        counted.*,
        false as is_summary_row,
        'ShipmentFees' as amount_type,
        counted.shipment_fee_type as amount_description,
        counted.shipment_fee_amount as amount,
        'shipment_fee_amount' as v1_amount_column
    from counted
    where counted.transaction_type is not null and counted.shipment_fee_amount is not null

    union all

    select
        counted.*,
        false as is_summary_row,
        'OrderFees' as amount_type,
        counted.order_fee_type as amount_description,
        counted.order_fee_amount as amount,
        'order_fee_amount' as v1_amount_column
    from counted
    where counted.transaction_type is not null and counted.order_fee_amount is not null

    union all

    select
        counted.*,
        false as is_summary_row,
        'DirectPayment' as amount_type,
        counted.direct_payment_type as amount_description,
        counted.direct_payment_amount as amount,
        'direct_payment_amount' as v1_amount_column
    from counted
    where counted.transaction_type is not null and counted.direct_payment_amount is not null

    union all

    select
        counted.*,
        false as is_summary_row,
        'MiscFee' as amount_type,
        'MiscFee' as amount_description,
        counted.misc_fee_amount as amount,
        'misc_fee_amount' as v1_amount_column
    from counted
    where
        counted.transaction_type is not null
        and counted.misc_fee_amount is not null
        and (counted.misc_fee_amount != 0 or counted.amounts_on_row = 1)

    union all

    select
        counted.*,
        false as is_summary_row,
        'OtherFee' as amount_type,
        coalesce(counted.other_fee_reason_description, 'OtherFee') as amount_description,
        counted.other_fee_amount as amount,
        'other_fee_amount' as v1_amount_column
    from counted
    where
        counted.transaction_type is not null
        and counted.other_fee_amount is not null
        and (counted.other_fee_amount != 0 or counted.amounts_on_row = 1)

    union all

    select
        counted.*,
        false as is_summary_row,
        'Other' as amount_type,
        coalesce(counted.price_type, counted.transaction_type) as amount_description,
        counted.other_amount as amount,
        'other_amount' as v1_amount_column
    from counted
    where
        counted.transaction_type is not null
        and counted.other_amount is not null
        and (counted.other_amount != 0 or counted.amounts_on_row = 1)
),

resolved as (
    select
        amounts.*,
        coalesce(amounts.row_currency, document_currencies.document_currency) as currency,
        coalesce(
            amounts.quantity_purchased, item_quantities.item_quantity
        ) as item_quantity_purchased
    from amounts
    left join document_currencies
        on
            amounts.seller_id = document_currencies.seller_id
            and amounts.settlement_id = document_currencies.settlement_id
            and amounts._source_file = document_currencies._source_file
    left join item_quantities
        on
            not amounts.is_summary_row
            and amounts.seller_id = item_quantities.seller_id
            and amounts._source_file = item_quantities._source_file
            and amounts.transaction_type = item_quantities.transaction_type
            and amounts.amazon_order_id is not distinct from item_quantities.amazon_order_id
            and amounts.adjustment_id is not distinct from item_quantities.adjustment_id
            and amounts.order_item_code is not distinct from item_quantities.order_item_code
            and amounts.merchant_adjustment_item_id
            is not distinct from item_quantities.merchant_adjustment_item_id
            and amounts.sku is not distinct from item_quantities.sku
            and amounts.posted_date is not distinct from item_quantities.posted_date
)

select
    seller_id,
    settlement_id,
    is_summary_row,
    settlement_start_at,
    settlement_start_date,
    settlement_end_at,
    settlement_end_date,
    deposit_at,
    deposit_date,
    total_amount,
    currency,
    transaction_type,
    amazon_order_id,
    merchant_order_id,
    adjustment_id,
    shipment_id,
    marketplace_name,
    amount_type,
    amount_description,
    amount,
    fulfillment_id,
    posted_at,
    posted_date,
    order_item_code,
    merchant_order_item_id,
    merchant_adjustment_item_id,
    sku,
    item_quantity_purchased as quantity_purchased,
    promotion_id,
    v1_amount_column,
    _source_file,
    _row_number,
    _snapshot_at
from resolved
