-- FBA inbound shipment items (FBA Inbound v0 getShipmentItemsByShipmentId), latest snapshot of
-- each (seller_id, shipment_id, sku): received quantities grow while a shipment is RECEIVING.
-- Items only: their shipment's status, name and destination come from
-- stg_amazon__inbound_shipments (whatever file listed the shipment) and are joined in
-- int_inbound_shipment_items. Rows landed before the record_type column (no record_type) were
-- items with their shipment's columns: they are items here too.

with

source as (
    select * from {{ source('amazon', 'inbound_shipment_items') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
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
    where coalesce(record_type, 'item') = 'item'
),

latest as (
    {{ latest_document_rows('renamed', ['seller_id', 'shipment_id', 'sku']) }}
)

select
    seller_id,
    shipment_id,
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
