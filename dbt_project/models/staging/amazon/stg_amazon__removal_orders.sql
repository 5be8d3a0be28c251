-- Removal order lines, latest snapshot of each line (rows are updated in place until the
-- order completes; see latest_document_rows).

with

source as (
    select * from {{ source('amazon', 'removal_orders') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        request_date as requested_at,
        {{ utc_date('request_date') }} as request_date,
        cast(order_id as {{ dbt.type_string() }}) as removal_order_id,
        cast(order_source as {{ dbt.type_string() }}) as order_source,
        cast(order_type as {{ dbt.type_string() }}) as order_type,
        cast(service_speed as {{ dbt.type_string() }}) as service_speed,
        cast(order_status as {{ dbt.type_string() }}) as order_status,
        last_updated_date as last_updated_at,
        {{ utc_date('last_updated_date') }} as last_updated_date,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(disposition as {{ dbt.type_string() }}) as disposition,
        cast(requested_quantity as {{ dbt.type_bigint() }}) as requested_quantity,
        cast(cancelled_quantity as {{ dbt.type_bigint() }}) as cancelled_quantity,
        cast(disposed_quantity as {{ dbt.type_bigint() }}) as disposed_quantity,
        cast(shipped_quantity as {{ dbt.type_bigint() }}) as shipped_quantity,
        cast(in_process_quantity as {{ dbt.type_bigint() }}) as in_process_quantity,
        cast(removal_fee as decimal(18, 4)) as removal_fee,
        upper(trim(currency)) as currency,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', [
        'seller_id', 'removal_order_id', 'fnsku', 'sku', 'disposition'
    ]) }}
)

select
    seller_id,
    requested_at,
    request_date,
    removal_order_id,
    order_source,
    order_type,
    service_speed,
    order_status,
    last_updated_at,
    last_updated_date,
    sku,
    fnsku,
    disposition,
    requested_quantity,
    cancelled_quantity,
    disposed_quantity,
    shipped_quantity,
    in_process_quantity,
    removal_fee,
    currency,
    _source_file,
    _row_number,
    _snapshot_at
from latest
