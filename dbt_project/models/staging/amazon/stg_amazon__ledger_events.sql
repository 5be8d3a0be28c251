-- Inventory ledger events, one row per movement, latest snapshot of each row (see
-- latest_document_rows): rows are rewritten between daily pulls and pull windows overlap.
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'event_date',
    'fnsku',
    'msku',
    'event_type',
    'reference_id',
    'fulfillment_center',
    'disposition',
    'reason_code',
    'country'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('ledger_detail') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(source('amazon', 'ledger_detail'), 'ledger_detail') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(date as date) as event_date,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(msku as {{ dbt.type_string() }}) as msku,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(event_type as {{ dbt.type_string() }}) as event_type,
        cast(reference_id as {{ dbt.type_string() }}) as reference_id,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(fulfillment_center as {{ dbt.type_string() }}) as fulfillment_center,
        cast(disposition as {{ dbt.type_string() }}) as disposition,
        cast(reason as {{ dbt.type_string() }}) as reason_code,
        -- Amazon's marketplace list spells the United Kingdom UK; ISO (and our seed) say GB.
        case
            when upper(trim(country)) = 'UK' then 'GB'
            else upper(trim(country))
        end as country,
        cast(reconciled_quantity as {{ dbt.type_bigint() }}) as reconciled_quantity,
        cast(unreconciled_quantity as {{ dbt.type_bigint() }}) as unreconciled_quantity,
        cast(date_and_time as {{ dbt.type_string() }}) as date_and_time,
        cast(store as {{ dbt.type_string() }}) as store,
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
    event_date,
    fnsku,
    asin,
    msku,
    title,
    event_type,
    reference_id,
    quantity,
    fulfillment_center,
    disposition,
    reason_code,
    country,
    reconciled_quantity,
    unreconciled_quantity,
    date_and_time,
    store,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
