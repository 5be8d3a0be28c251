-- Amazon fulfilled shipments, one row per shipped order item; latest snapshot of each line
-- (pull windows overlap). No buyer data: the extractor never lands it.
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'amazon_order_id',
    'shipment_id',
    'shipment_item_id'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('fulfilled_shipments') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(source('amazon', 'fulfilled_shipments'), 'fulfilled_shipments') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(merchant_order_id as {{ dbt.type_string() }}) as merchant_order_id,
        cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
        cast(shipment_item_id as {{ dbt.type_string() }}) as shipment_item_id,
        cast(amazon_order_item_id as {{ dbt.type_string() }}) as amazon_order_item_id,
        cast(merchant_order_item_id as {{ dbt.type_string() }}) as merchant_order_item_id,
        purchase_date as purchased_at,
        {{ utc_date('purchase_date') }} as purchase_date,
        payments_date as paid_at,
        {{ utc_date('payments_date') }} as payments_date,
        shipment_date as shipped_at,
        {{ utc_date('shipment_date') }} as shipment_date,
        reporting_date as reported_at,
        {{ utc_date('reporting_date') }} as reporting_date,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(quantity_shipped as {{ dbt.type_bigint() }}) as quantity_shipped,
        upper(trim(currency)) as currency,
        cast(item_price as decimal(18, 4)) as item_price,
        cast(item_tax as decimal(18, 4)) as item_tax,
        cast(shipping_price as decimal(18, 4)) as shipping_price,
        cast(shipping_tax as decimal(18, 4)) as shipping_tax,
        cast(gift_wrap_price as decimal(18, 4)) as gift_wrap_price,
        cast(gift_wrap_tax as decimal(18, 4)) as gift_wrap_tax,
        cast(item_promotion_discount as decimal(18, 4)) as item_promotion_discount,
        cast(ship_promotion_discount as decimal(18, 4)) as ship_promotion_discount,
        cast(ship_service_level as {{ dbt.type_string() }}) as ship_service_level,
        cast(carrier as {{ dbt.type_string() }}) as carrier,
        estimated_arrival_date as estimated_arrival_at,
        {{ utc_date('estimated_arrival_date') }} as estimated_arrival_date,
        cast(fulfillment_center_id as {{ dbt.type_string() }}) as fulfillment_center_id,
        cast(fulfillment_channel as {{ dbt.type_string() }}) as fulfillment_channel,
        cast(sales_channel as {{ dbt.type_string() }}) as sales_channel,
        cast(points_granted as {{ dbt.type_bigint() }}) as points_granted,
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
    shipment_id,
    shipment_item_id,
    amazon_order_item_id,
    merchant_order_item_id,
    purchased_at,
    purchase_date,
    paid_at,
    payments_date,
    shipped_at,
    shipment_date,
    reported_at,
    reporting_date,
    sku,
    product_name,
    quantity_shipped,
    currency,
    item_price,
    item_tax,
    shipping_price,
    shipping_tax,
    gift_wrap_price,
    gift_wrap_tax,
    item_promotion_discount,
    ship_promotion_discount,
    ship_service_level,
    carrier,
    estimated_arrival_at,
    estimated_arrival_date,
    fulfillment_center_id,
    fulfillment_channel,
    sales_channel,
    points_granted,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
