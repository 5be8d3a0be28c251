-- inbound_shortage claim candidates (claim-policy.md 2.8): units the seller shipped to Amazon
-- that Amazon did not receive, on CLOSED shipments (FBA Inbound v0, latest snapshot per
-- shipment and SKU):
--   shortage  = QuantityShipped - QuantityReceived, per (shipment, SKU), when > 0
--   overages  = QuantityReceived - QuantityShipped on the other SKUs of the same shipment (a
--               mislabelled or substituted unit was received, under another SKU) offset the
--               shipment's shortages, FNSKU order (2.8.2);
--   payments  = Lost_Inbound / Damaged_Inbound reimbursements of the FNSKU, net of their
--               reversals (2.8.3). The reimbursements report has no shipment id: a payment is
--               matched to one shortage of its FNSKU whose shipment was fully received (last
--               Receipts date) on or before the approval date, preferring a shortage of exactly
--               the paid units, then the most recent shipment; at most the shortage is netted.
-- RECEIVING/DELIVERED/CHECKED_IN shipments are not claimed: the reference names no age after
-- which Amazon treats them as eligible for investigation (2.8.4), so only CLOSED counts.
-- Anchor (event_date): the last ledger Receipts date of the shipment (Reference ID = shipment
-- id; 2.8.2 cross-check), window from seed claim_windows (+15/+60). A CLOSED shipment without any
-- Receipts row in the ledger cannot be anchored and is left out. Valued at the product master
-- unit cost like the warehouse and removal rules (missing_unit_cost when there is none).

with

shipment_items as (
    select * from {{ ref('stg_amazon__inbound_shipment_items') }}
),

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

reimbursements as (
    select * from {{ ref('int_reimbursements_outside_our_cases') }}
),

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

receipts as (
    select
        seller_id,
        reference_id as shipment_id,
        fnsku,
        event_date,
        quantity,
        asin,
        country
    from ledger
    where
        event_type = 'Receipts'
        and reference_id is not null
),

shipment_receipts as (
    select
        seller_id,
        shipment_id,
        min(event_date) as first_receipt_date,
        max(event_date) as last_receipt_date,
        max(country) as country
    from receipts
    group by seller_id, shipment_id
),

line_receipts as (
    select
        seller_id,
        shipment_id,
        fnsku,
        min(asin) as asin,
        sum(quantity) as ledger_received_units
    from receipts
    group by seller_id, shipment_id, fnsku
),

closed_lines as (
    select
        seller_id,
        shipment_id,
        shipment_name,
        shipment_status,
        fulfillment_center_id,
        sku,
        fnsku,
        coalesce(quantity_shipped, 0) as quantity_shipped,
        coalesce(quantity_received, 0) as quantity_received
    from shipment_items
    where shipment_status = 'CLOSED'
),

shipment_overages as (
    select
        seller_id,
        shipment_id,
        sum(quantity_received - quantity_shipped) as overage_units
    from closed_lines
    where quantity_received > quantity_shipped
    group by seller_id, shipment_id
),

short_lines as (
    select
        *,
        quantity_shipped - quantity_received as shortage_units,
        coalesce(sum(quantity_shipped - quantity_received) over (
            partition by seller_id, shipment_id
            order by fnsku, sku
            rows between unbounded preceding and 1 preceding
        ), 0) as shortage_before
    from closed_lines
    where quantity_shipped > quantity_received
),

overage_netted as (
    select
        short_lines.*,
        case
            when coalesce(shipment_overages.overage_units, 0) <= short_lines.shortage_before
                then 0
            when
                shipment_overages.overage_units - short_lines.shortage_before
                >= short_lines.shortage_units
                then short_lines.shortage_units
            else shipment_overages.overage_units - short_lines.shortage_before
        end as overage_offset_units
    from short_lines
    left join shipment_overages
        on
            short_lines.seller_id = shipment_overages.seller_id
            and short_lines.shipment_id = shipment_overages.shipment_id
),

anchored as (
    select
        overage_netted.*,
        shipment_receipts.first_receipt_date,
        shipment_receipts.last_receipt_date,
        shipment_receipts.country,
        overage_netted.shortage_units - overage_netted.overage_offset_units as net_shortage_units
    from overage_netted
    inner join shipment_receipts
        on
            overage_netted.seller_id = shipment_receipts.seller_id
            and overage_netted.shipment_id = shipment_receipts.shipment_id
    where overage_netted.shortage_units > overage_netted.overage_offset_units
),

inbound_payments as (
    select
        seller_id,
        reimbursement_id,
        fnsku,
        min(reason) as reason,
        min(approval_date) as approval_date,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements
    where
        reason in ('Lost_Inbound', 'Damaged_Inbound')
        and fnsku is not null
    group by seller_id, reimbursement_id, fnsku
),

reversals as (
    select
        seller_id,
        original_reimbursement_id,
        fnsku,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements
    where reason = 'Reimbursement_Reversal'
    group by seller_id, original_reimbursement_id, fnsku
),

net_payments as (
    select
        inbound_payments.seller_id,
        inbound_payments.reimbursement_id,
        inbound_payments.fnsku,
        inbound_payments.reason,
        inbound_payments.approval_date,
        inbound_payments.units - coalesce(reversals.units, 0) as units
    from inbound_payments
    left join reversals
        on
            inbound_payments.seller_id = reversals.seller_id
            and inbound_payments.reimbursement_id = reversals.original_reimbursement_id
            and inbound_payments.fnsku = reversals.fnsku
    where inbound_payments.units > coalesce(reversals.units, 0)
),

payment_matches as (
    select
        net_payments.*,
        anchored.shipment_id,
        anchored.sku,
        row_number() over (
            partition by net_payments.seller_id, net_payments.reimbursement_id, net_payments.fnsku
            order by
                case when anchored.net_shortage_units = net_payments.units then 0 else 1 end,
                anchored.last_receipt_date desc,
                anchored.shipment_id desc,
                anchored.sku desc
        ) as match_rank
    from net_payments
    inner join anchored
        on
            net_payments.seller_id = anchored.seller_id
            and net_payments.fnsku = anchored.fnsku
            and net_payments.approval_date >= anchored.last_receipt_date
),

line_payments as (
    select
        seller_id,
        shipment_id,
        sku,
        sum(units) as paid_units,
        {{ json_array_agg(
            build_json_object([
                ['reimbursement_id', 'reimbursement_id'],
                ['reason', 'reason'],
                ['approval_date', dbt.cast('approval_date', dbt.type_string())],
                ['units', 'units', 'number'],
            ]),
            'approval_date, reimbursement_id'
        ) }} as payment_rows
    from payment_matches
    where match_rank = 1
    group by seller_id, shipment_id, sku
),

claims as (
    select
        anchored.*,
        line_payments.payment_rows,
        line_receipts.asin,
        line_receipts.ledger_received_units,
        product_costs.unit_cost,
        product_costs.currency as cost_currency,
        case
            when coalesce(line_payments.paid_units, 0) >= anchored.net_shortage_units
                then anchored.net_shortage_units
            else coalesce(line_payments.paid_units, 0)
        end as reimbursed_units
    from anchored
    left join line_payments
        on
            anchored.seller_id = line_payments.seller_id
            and anchored.shipment_id = line_payments.shipment_id
            and anchored.sku = line_payments.sku
    left join line_receipts
        on
            anchored.seller_id = line_receipts.seller_id
            and anchored.shipment_id = line_receipts.shipment_id
            and anchored.fnsku = line_receipts.fnsku
    left join product_costs
        on
            anchored.seller_id = product_costs.seller_id
            and anchored.sku = product_costs.sku
),

open_claims as (
    select
        *,
        net_shortage_units - reimbursed_units as open_units
    from claims
    where net_shortage_units > reimbursed_units
)

select
    seller_id,
    cast('inbound_shortage' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['shipment_id', 'sku']) }} as claim_key,
    fnsku,
    sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    fulfillment_center_id,
    last_receipt_date as event_date,
    country,
    cast(open_units as {{ dbt.type_bigint() }}) as quantity,
    cast(unit_cost as decimal(18, 4)) as unit_value,
    cost_currency as value_currency,
    case
        when unit_cost is null then 'missing_unit_cost'
        else 'product_master_unit_cost'
    end as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'inbound_shortage'"],
        ['shipment_id', 'shipment_id'],
        ['shipment_name', 'shipment_name'],
        ['shipment_status', 'shipment_status'],
        ['destination_fulfillment_center_id', 'fulfillment_center_id'],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['quantity_shipped', 'quantity_shipped', 'number'],
        ['quantity_received', 'quantity_received', 'number'],
        ['ledger_received_units', 'ledger_received_units', 'number'],
        ['first_receipt_date', dbt.cast('first_receipt_date', dbt.type_string())],
        ['last_receipt_date', dbt.cast('last_receipt_date', dbt.type_string())],
        ['shortage_units', 'shortage_units', 'number'],
        ['overage_offset_units', 'overage_offset_units', 'number'],
        ['reimbursed_units', 'reimbursed_units', 'number'],
        ['open_units', 'open_units', 'number'],
        ['reimbursements', 'payment_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Inbound shipment claim: shipment '", 'shipment_id',
        "' (CLOSED, destination '", "coalesce(fulfillment_center_id, 'unknown')",
        "', received '", dbt.cast('first_receipt_date', dbt.type_string()),
        "' to '", dbt.cast('last_receipt_date', dbt.type_string()),
        "'), SKU '", 'sku', "' (FNSKU '", "coalesce(fnsku, 'unknown')",
        "') — '", dbt.cast('quantity_shipped', dbt.type_string()), "' shipped, '",
        dbt.cast('quantity_received', dbt.type_string()), "' received, '",
        dbt.cast('overage_offset_units', dbt.type_string()),
        "' offset by overages on other SKUs of the shipment, '",
        dbt.cast('reimbursed_units', dbt.type_string()), "' reimbursed: '",
        dbt.cast('open_units', dbt.type_string()),
        "' unit(s) missing and not reimbursed.'"
    ]) }} as case_summary
from open_claims
