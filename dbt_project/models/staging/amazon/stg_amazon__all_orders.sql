-- All orders by order date, one row per order line; latest snapshot of each line (order and item
-- status move until the order closes). Pending orders have no price yet (NULL amounts).
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'amazon_order_id',
    'sku'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('all_orders') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(source('amazon', 'all_orders'), 'all_orders') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(merchant_order_id as {{ dbt.type_string() }}) as merchant_order_id,
        purchase_date as purchased_at,
        {{ utc_date('purchase_date') }} as purchase_date,
        last_updated_date as last_updated_at,
        {{ utc_date('last_updated_date') }} as last_updated_date,
        cast(order_status as {{ dbt.type_string() }}) as order_status,
        cast(fulfillment_channel as {{ dbt.type_string() }}) as fulfillment_channel,
        cast(sales_channel as {{ dbt.type_string() }}) as sales_channel,
        cast(order_channel as {{ dbt.type_string() }}) as order_channel,
        cast(ship_service_level as {{ dbt.type_string() }}) as ship_service_level,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(order_item_id as {{ dbt.type_string() }}) as order_item_id,
        cast(item_status as {{ dbt.type_string() }}) as item_status,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        upper(trim(currency)) as currency,
        cast(item_price as decimal(18, 4)) as item_price,
        cast(item_tax as decimal(18, 4)) as item_tax,
        cast(shipping_price as decimal(18, 4)) as shipping_price,
        cast(shipping_tax as decimal(18, 4)) as shipping_tax,
        cast(gift_wrap_price as decimal(18, 4)) as gift_wrap_price,
        cast(gift_wrap_tax as decimal(18, 4)) as gift_wrap_tax,
        cast(item_promotion_discount as decimal(18, 4)) as item_promotion_discount,
        cast(ship_promotion_discount as decimal(18, 4)) as ship_promotion_discount,
        cast(promotion_ids as {{ dbt.type_string() }}) as promotion_ids,
        cast(is_business_order as {{ dbt.type_string() }}) as is_business_order,
        cast(purchase_order_number as {{ dbt.type_string() }}) as purchase_order_number,
        cast(price_designation as {{ dbt.type_string() }}) as price_designation,
        cast(
            signature_confirmation_recommended as {{ dbt.type_string() }}
        ) as signature_confirmation_recommended,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at,
        _landed_file,
        _landed_at
    from source
),

candidates as not materialized (
    {{ fba_reclaim.incremental_candidates('renamed', natural_key) }}
),

latest as (
    {{ latest_document_rows(
        'candidates', natural_key,
        copy_order=['_landed_at desc', '_landed_file desc'],
        copy_file_column='_landed_file'
    ) }}
)

select
    seller_id,
    amazon_order_id,
    merchant_order_id,
    purchased_at,
    purchase_date,
    last_updated_at,
    last_updated_date,
    order_status,
    fulfillment_channel,
    sales_channel,
    order_channel,
    ship_service_level,
    product_name,
    sku,
    asin,
    order_item_id,
    item_status,
    quantity,
    currency,
    item_price,
    item_tax,
    shipping_price,
    shipping_tax,
    gift_wrap_price,
    gift_wrap_tax,
    item_promotion_discount,
    ship_promotion_discount,
    promotion_ids,
    is_business_order,
    purchase_order_number,
    price_designation,
    signature_confirmation_recommended,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
