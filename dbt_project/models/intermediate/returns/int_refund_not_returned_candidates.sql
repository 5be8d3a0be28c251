-- refund_not_returned claim candidates (claim-policy.md 2.4): FBA order items refunded to the
-- customer for more units than came back to a fulfillment center (any disposition) and than
-- Amazon reimbursed for the order, per (seller, order, SKU) (int_order_returns_netted). Refunded
-- units count up to the units charged for the order item: a refund posted twice for one unit
-- is money refunded beyond the sale (refund_exceeds_charge), not a unit that could come back.
-- Valued at the refunded principal per unit; the window runs from the latest refund posted date
-- of the counted units (seed claim_windows: US +60/+120, EU/UK/JP +45/+105).

with

netted as (
    select * from {{ ref('int_order_returns_netted') }}
)

select
    seller_id,
    cast('refund_not_returned' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['amazon_order_id', 'sku']) }} as claim_key,
    fnsku,
    sku,
    asin,
    amazon_order_id as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    last_counted_refund_date as event_date,
    country,
    not_returned_open_units as quantity,
    value_per_unit as unit_value,
    currency as value_currency,
    valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'refund_not_returned'"],
        ['order_id', 'amazon_order_id'],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['country', 'country'],
        ['first_refund_date', dbt.cast('first_refund_date', dbt.type_string())],
        ['last_refund_date', dbt.cast('last_refund_date', dbt.type_string())],
        ['refunded_units', 'refunded_units', 'number'],
        ['refunded_principal', 'refunded_principal', 'number'],
        ['charged_units', 'charged_units', 'number'],
        ['charged_units_source', 'charged_units_source'],
        ['counted_refunded_units', 'counted_refunded_units', 'number'],
        ['returned_units', 'returned_units', 'number'],
        ['damaged_returned_units', 'damaged_units', 'number'],
        ['reimbursed_units', 'reimbursed_units', 'number'],
        ['reversed_units', 'reversed_units', 'number'],
        ['open_units', 'not_returned_open_units', 'number'],
        ['refunds', 'refund_rows', 'json'],
        ['returns', 'return_rows', 'json'],
        ['reimbursements', 'reimbursement_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Customer return claim: order '", 'amazon_order_id',
        "', SKU '", 'sku',
        "case when fnsku is null then '' else " ~ dbt.concat(["' (FNSKU '", 'fnsku', "')'"]) ~ " end",
        "' — the customer was refunded for '",
        dbt.cast('counted_refunded_units', dbt.type_string()),
        "' unit(s) on '", dbt.cast('last_counted_refund_date', dbt.type_string()),
        "' ('", 'currency', "' '", money_text('counted_refunded_principal', 'currency'), "' principal); '",
        dbt.cast('returned_units', dbt.type_string()), "' unit(s) were returned and '",
        dbt.cast('net_reimbursed_units', dbt.type_string()),
        "' reimbursed, so '", dbt.cast('not_returned_open_units', dbt.type_string()),
        "' unit(s) were never returned to a fulfillment center.'",
        "case when counted_refunded_units < refunded_units then "
            ~ dbt.concat([
                "' Refunds were posted for '", dbt.cast('refunded_units', dbt.type_string()),
                "' unit(s) although only '", dbt.cast('charged_units', dbt.type_string()),
                "' unit(s) were charged; the units beyond those are not counted here.'"
            ])
            ~ " else '' end"
    ]) }} as case_summary
from netted
where not_returned_open_units > 0 and last_counted_refund_date is not null
