-- Removal shipments (parcels sent back for removal orders), one row per order line and parcel;
-- latest snapshot of each (pull windows overlap).

with

source as (
    select * from {{ source('amazon', 'removal_shipments') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        request_date as requested_at,
        {{ utc_date('request_date') }} as request_date,
        cast(order_id as {{ dbt.type_string() }}) as removal_order_id,
        shipment_date as shipped_at,
        {{ utc_date('shipment_date') }} as shipment_date,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(disposition as {{ dbt.type_string() }}) as disposition,
        cast(shipped_quantity as {{ dbt.type_bigint() }}) as shipped_quantity,
        cast(carrier as {{ dbt.type_string() }}) as carrier,
        cast(tracking_number as {{ dbt.type_string() }}) as tracking_number,
        cast(removal_order_type as {{ dbt.type_string() }}) as removal_order_type,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', [
        'seller_id', 'removal_order_id', 'fnsku', 'sku', 'disposition', 'carrier',
        'tracking_number'
    ]) }}
)

select
    seller_id,
    requested_at,
    request_date,
    removal_order_id,
    shipped_at,
    shipment_date,
    sku,
    fnsku,
    disposition,
    shipped_quantity,
    carrier,
    tracking_number,
    removal_order_type,
    _source_file,
    _row_number,
    _snapshot_at
from latest
