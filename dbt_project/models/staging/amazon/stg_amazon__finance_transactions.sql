-- Finances v2024-06-19 transactions, one row per leaf breakdown of a transaction item; latest
-- copy of each (transaction_id, line_no) across overlapping pull windows (the daily pull's
-- look-back re-reads recent days, and a DEFERRED transaction comes back RELEASED).
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'transaction_id',
    'line_no'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('finance_transactions') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(
        source('amazon', 'finance_transactions'), 'finance_transactions'
    ) }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(transaction_id as {{ dbt.type_string() }}) as transaction_id,
        cast(line_no as {{ dbt.type_bigint() }}) as line_no,
        cast(transaction_type as {{ dbt.type_string() }}) as transaction_type,
        cast(transaction_status as {{ dbt.type_string() }}) as transaction_status,
        posted_date as posted_at,
        {{ utc_date('posted_date') }} as posted_date,
        cast(marketplace_id as {{ dbt.type_string() }}) as marketplace_id,
        cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
        cast(refund_id as {{ dbt.type_string() }}) as refund_id,
        cast(
            financial_event_group_id as {{ dbt.type_string() }}
        ) as financial_event_group_id,
        cast(
            order_adjustment_item_id as {{ dbt.type_string() }}
        ) as order_adjustment_item_id,
        cast(seller_sku as {{ dbt.type_string() }}) as sku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        upper(trim(fulfillment_network)) as fulfillment_network,
        cast(item_description as {{ dbt.type_string() }}) as item_description,
        cast(breakdown_path as {{ dbt.type_string() }}) as breakdown_path,
        cast(breakdown_type as {{ dbt.type_string() }}) as breakdown_type,
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
    transaction_id,
    line_no,
    transaction_type,
    transaction_status,
    posted_at,
    posted_date,
    marketplace_id,
    amazon_order_id,
    shipment_id,
    refund_id,
    financial_event_group_id,
    order_adjustment_item_id,
    sku,
    asin,
    quantity,
    fulfillment_network,
    item_description,
    breakdown_path,
    breakdown_type,
    amount,
    currency,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
