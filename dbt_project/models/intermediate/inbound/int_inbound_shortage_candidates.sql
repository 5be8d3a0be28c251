-- inbound_shortage claim candidates (claim-policy.md 2.8): units the seller shipped to Amazon
-- that Amazon did not receive, on CLOSED shipments (FBA Inbound v0, latest snapshot per
-- shipment and SKU):
--   shortage  = QuantityShipped - QuantityReceived, per (shipment, SKU), when > 0
--   overages  = QuantityReceived - QuantityShipped on the other SKUs of the same shipment (a
--               mislabelled or substituted unit was received, under another SKU) offset the
--               shipment's shortages, FNSKU order (2.8.2). The reports cannot say which SKU
--               was mislabelled when several shortages could explain an overage: the units
--               claimed per shipment are right, the SKU they are claimed on is then a choice
--               (netting a shortage of exactly the overage's size first was tried: no better
--               on the 18-month sandbox, 2 of 125 claims on another SKU either way);
--   payments  = Lost_Inbound / Damaged_Inbound reimbursements of the FNSKU, net of their
--               reversals (2.8.3). The reimbursements report has no shipment id, and one line
--               may pay several shipments (same-day reimbursements are combined): every
--               payment's units settle the FNSKU's open shortages sequentially, oldest shipment
--               first (last Receipts date, then shipment id, SKU), only shortages of shipments
--               fully received on or before the approval date (Amazon reconciles a shipment after
--               receiving it: an earlier payment was for something else). A payment larger than
--               what is open at its date is not carried to later shipments.
-- RECEIVING/DELIVERED/CHECKED_IN shipments are not claimed: the reference names no age after
-- which Amazon treats them as eligible for investigation (2.8.4), so only CLOSED counts.
-- Anchor (event_date): the last ledger Receipts date of the shipment (Reference ID = shipment
-- id; 2.8.2 cross-check), window from seed claim_windows (US +15/+60, EU/UK
-- +15/+180, JP +15/+270). A CLOSED shipment without any
-- Receipts row in the ledger cannot be anchored and is left out. Valued at the product master
-- unit cost like the warehouse and removal rules (missing_unit_cost when there is none).

with

shipment_items as (
    select * from {{ ref('int_inbound_shipment_items') }}
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

-- Payments settle the FNSKU's shortages oldest first (FIFO), one event stream per (seller,
-- FNSKU): each shortage arrives at its shipment's last Receipts date, each payment at its
-- approval date (shortages first on the same day) and pays the oldest units still open. Units of
-- a payment with nothing open (its shortage is not in our data: older than the ledger window, or
-- offset as a mislabel) are left unapplied, never carried to a later shipment. This is the
-- Lindley recursion open = max(0, open + shortage - payment); with S the running sum of
-- (shortage - payment) units, the units left unapplied so far are -min(0, min S).
fnsku_events as (
    select
        seller_id,
        fnsku,
        last_receipt_date as event_date,
        0 as event_order,
        shipment_id as event_key,
        sku as event_subkey,
        net_shortage_units as shortage_units,
        0 as payment_units
    from anchored
    where fnsku is not null
    union all
    select
        seller_id,
        fnsku,
        approval_date as event_date,
        1 as event_order,
        reimbursement_id as event_key,
        reason as event_subkey,
        0 as shortage_units,
        units as payment_units
    from net_payments
),

running as (
    select
        *,
        sum(shortage_units) over (
            partition by seller_id, fnsku
            order by event_date, event_order, event_key, event_subkey
            rows between unbounded preceding and current row
        ) as shortage_through,
        sum(payment_units) over (
            partition by seller_id, fnsku
            order by event_date, event_order, event_key, event_subkey
            rows between unbounded preceding and current row
        ) as paid_through,
        sum(shortage_units - payment_units) over (
            partition by seller_id, fnsku
            order by event_date, event_order, event_key, event_subkey
            rows between unbounded preceding and current row
        ) as balance
    from fnsku_events
),

lowest as (
    select
        *,
        min(balance) over (
            partition by seller_id, fnsku
            order by event_date, event_order, event_key, event_subkey
            rows between unbounded preceding and current row
        ) as lowest_balance
    from running
),

unapplied as (
    select
        *,
        case when lowest_balance < 0 then -lowest_balance else 0 end as unapplied_through
    from lowest
),

-- Applied payment units, numbered in shortage-unit order: payment p pays the FNSKU's shortage
-- units [applied_from, applied_to), shortage line l owns [shortage_from, shortage_to).
payment_spans as (
    select
        seller_id,
        fnsku,
        event_key as reimbursement_id,
        event_subkey as reason,
        event_date as approval_date,
        event_order,
        paid_through - payment_units
        - coalesce(lag(unapplied_through) over (
            partition by seller_id, fnsku
            order by event_date, event_order, event_key, event_subkey
        ), 0) as applied_from,
        paid_through - unapplied_through as applied_to
    from unapplied
),

shortage_spans as (
    select
        seller_id,
        fnsku,
        event_key as shipment_id,
        event_subkey as sku,
        shortage_through as shortage_to,
        shortage_through - shortage_units as shortage_from
    from running
    where event_order = 0
),

line_payment_units as (
    select
        shortage_spans.seller_id,
        shortage_spans.shipment_id,
        shortage_spans.sku,
        payment_spans.reimbursement_id,
        payment_spans.reason,
        payment_spans.approval_date,
        case
            when payment_spans.applied_to < shortage_spans.shortage_to
                then payment_spans.applied_to
            else shortage_spans.shortage_to
        end
        - case
            when payment_spans.applied_from > shortage_spans.shortage_from
                then payment_spans.applied_from
            else shortage_spans.shortage_from
        end as units
    from shortage_spans
    inner join payment_spans
        on
            shortage_spans.seller_id = payment_spans.seller_id
            and shortage_spans.fnsku = payment_spans.fnsku
            and shortage_spans.shortage_to > payment_spans.applied_from
            and shortage_spans.shortage_from < payment_spans.applied_to
            and payment_spans.event_order = 1
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
    from line_payment_units
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
