-- Finances v0 financial events, one row per money component (item charge, fee, refund
-- adjustment, withheld tax, promotion, inventory adjustment item); latest copy of each
-- (event_id, line_no) across overlapping pull windows.
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'event_id',
    'line_no'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('financial_events') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(source('amazon', 'financial_events'), 'financial_events') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(line_no as {{ dbt.type_bigint() }}) as line_no,
        cast(event_list as {{ dbt.type_string() }}) as event_list,
        posted_date as posted_at,
        {{ utc_date('posted_date') }} as posted_date,
        cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(seller_order_id as {{ dbt.type_string() }}) as seller_order_id,
        cast(marketplace_name as {{ dbt.type_string() }}) as marketplace_name,
        cast(seller_sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(order_item_id as {{ dbt.type_string() }}) as order_item_id,
        cast(order_adjustment_item_id as {{ dbt.type_string() }}) as order_adjustment_item_id,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(adjustment_type as {{ dbt.type_string() }}) as adjustment_type,
        cast(component as {{ dbt.type_string() }}) as component,
        cast(amount_type as {{ dbt.type_string() }}) as amount_type,
        cast(amount as decimal(18, 4)) as amount,
        upper(trim(currency)) as currency,
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
    event_id,
    line_no,
    event_list,
    posted_at,
    posted_date,
    amazon_order_id,
    seller_order_id,
    marketplace_name,
    sku,
    fnsku,
    asin,
    order_item_id,
    order_adjustment_item_id,
    quantity,
    adjustment_type,
    component,
    amount_type,
    amount,
    currency,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
