-- FBA customer returns received at a fulfillment center, one row per returned line (often one per
-- unit/LPN); latest snapshot of each line (returns are back-posted and their status moves).
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'return_date',
    'amazon_order_id',
    'sku',
    'fnsku',
    'license_plate_number'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('customer_returns') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(source('amazon', 'customer_returns'), 'customer_returns') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        return_date as returned_at,
        {{ utc_date('return_date') }} as return_date,
        cast(order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(fulfillment_center_id as {{ dbt.type_string() }}) as fulfillment_center_id,
        upper(replace(trim(detailed_disposition), ' ', '_')) as detailed_disposition,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(status as {{ dbt.type_string() }}) as status,
        cast(license_plate_number as {{ dbt.type_string() }}) as license_plate_number,
        cast(customer_comments as {{ dbt.type_string() }}) as customer_comments,
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
    returned_at,
    return_date,
    amazon_order_id,
    sku,
    asin,
    fnsku,
    product_name,
    quantity,
    fulfillment_center_id,
    detailed_disposition,
    reason,
    status,
    license_plate_number,
    customer_comments,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
