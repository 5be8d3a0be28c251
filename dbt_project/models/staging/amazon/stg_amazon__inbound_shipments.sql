-- FBA inbound shipments (FBA Inbound v0 getShipments): the latest known status, name and
-- destination of each (seller_id, shipment_id), across every file that listed the shipment
-- (a seller may save the shipment list apart from the items, on another day). Read from the
-- 'shipment' rows, and from item rows that carry their shipment's columns (the extractor's
-- documents hold both; rows landed before record_type existed). Latest snapshot wins, then the
-- later document (_source_file), then the shipment row of that document.

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
        case when record_type = 'shipment' then 0 else 1 end as _kind_rank,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
    where shipment_status is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by seller_id, shipment_id
            order by _snapshot_at desc, _source_file desc, _kind_rank asc, _row_number asc
        ) as _rank
    from renamed
)

select
    seller_id,
    shipment_id,
    shipment_name,
    shipment_status,
    fulfillment_center_id,
    _snapshot_at as observed_at,
    _source_file,
    _row_number
from ranked
where _rank = 1
