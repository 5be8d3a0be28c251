-- FBA inbound shipment items with their shipment's latest known status, name and destination
-- (FBA Inbound v0: getShipmentItemsByShipmentId joined to getShipments by seller and shipment
-- id, whichever files and days they were saved in). An item whose shipment no loaded file lists
-- yet has no status: it is left out here (nothing can be claimed on it) and stays in
-- stg_amazon__inbound_shipment_items until the shipment list is loaded, then joins on the next
-- build.

with

items as (
    select * from {{ ref('stg_amazon__inbound_shipment_items') }}
),

shipments as (
    select * from {{ ref('stg_amazon__inbound_shipments') }}
)

select
    items.seller_id,
    items.shipment_id,
    shipments.shipment_name,
    shipments.shipment_status,
    shipments.fulfillment_center_id,
    items.sku,
    items.fnsku,
    items.quantity_shipped,
    items.quantity_received,
    items.quantity_in_case,
    items.release_date,
    items.observed_at,
    shipments.observed_at as shipment_observed_at,
    items._source_file,
    items._row_number
from items
inner join shipments
    on
        items.seller_id = shipments.seller_id
        and items.shipment_id = shipments.shipment_id
