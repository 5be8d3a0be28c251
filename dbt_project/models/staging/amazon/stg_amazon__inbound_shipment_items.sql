-- FBA inbound shipment items (FBA Inbound v0) with their shipment's status and destination;
-- latest snapshot of each (shipment_id, sku): received quantities grow while a shipment is
-- RECEIVING, and its status moves on to CLOSED.

with

source as (
    select * from {{ source('amazon', 'inbound_shipment_items') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
        cast(shipment_name as {{ dbt.type_string() }}) as shipment_name,
        upper(trim(shipment_status)) as shipment_status,
        cast(
            destination_fulfillment_center_id as {{ dbt.type_string() }}
        ) as fulfillment_center_id,
        cast(seller_sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(quantity_shipped as {{ dbt.type_bigint() }}) as quantity_shipped,
        cast(quantity_received as {{ dbt.type_bigint() }}) as quantity_received,
        cast(quantity_in_case as {{ dbt.type_bigint() }}) as quantity_in_case,
        cast(release_date as {{ dbt.type_string() }}) as release_date,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', ['seller_id', 'shipment_id', 'sku']) }}
)

select
    seller_id,
    shipment_id,
    shipment_name,
    shipment_status,
    fulfillment_center_id,
    sku,
    fnsku,
    quantity_shipped,
    quantity_received,
    quantity_in_case,
    release_date,
    _snapshot_at as observed_at,
    _source_file,
    _row_number
from latest
