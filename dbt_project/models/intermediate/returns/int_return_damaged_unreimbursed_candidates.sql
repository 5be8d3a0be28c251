-- return_damaged_unreimbursed claim candidates (claim-policy.md 2.5): customer returns graded
-- DAMAGED or CARRIER_DAMAGED (Amazon or its carrier is responsible and ownership passes to
-- Amazon) that Amazon has not reimbursed for the order, per (seller, order, SKU)
-- (int_order_returns_netted: reimbursements settle damaged returns first; a returned unit is
-- never a refund_not_returned unit). The seed window (anchor = refund posted date, +60/+120 US,
-- +45/+105 EU/UK; a refund posted again beyond the units charged does not move it) is the grace
-- for Amazon's own reimbursement. Without a refund (e.g. a replacement order) the anchor is the
-- first damaged return date and the value the charged principal per unit.

with

netted as (
    select * from {{ ref('int_order_returns_netted') }}
)

select
    seller_id,
    cast('return_damaged_unreimbursed' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['amazon_order_id', 'sku']) }} as claim_key,
    fnsku,
    sku,
    asin,
    amazon_order_id as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    coalesce(last_counted_refund_date, first_damaged_return_date) as event_date,
    country,
    damaged_open_units as quantity,
    value_per_unit as unit_value,
    currency as value_currency,
    valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'return_damaged_unreimbursed'"],
        ['order_id', 'amazon_order_id'],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['country', 'country'],
        ['last_refund_date', dbt.cast('last_refund_date', dbt.type_string())],
        ['last_counted_refund_date', dbt.cast('last_counted_refund_date', dbt.type_string())],
        ['first_damaged_return_date', dbt.cast('first_damaged_return_date', dbt.type_string())],
        ['refunded_units', 'refunded_units', 'number'],
        ['refunded_principal', 'refunded_principal', 'number'],
        ['returned_units', 'returned_units', 'number'],
        ['damaged_returned_units', 'damaged_units', 'number'],
        ['reimbursed_units', 'reimbursed_units', 'number'],
        ['reversed_units', 'reversed_units', 'number'],
        ['open_units', 'damaged_open_units', 'number'],
        ['refunds', 'refund_rows', 'json'],
        ['returns', 'return_rows', 'json'],
        ['reimbursements', 'reimbursement_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Damaged customer return claim: order '", 'amazon_order_id',
        "', SKU '", 'sku',
        "case when fnsku is null then '' else " ~ dbt.concat(["' (FNSKU '", 'fnsku', "')'"]) ~ " end",
        "' — '", dbt.cast('damaged_units', dbt.type_string()),
        "' returned unit(s) were graded DAMAGED/CARRIER_DAMAGED (Amazon responsible) on '",
        dbt.cast('first_damaged_return_date', dbt.type_string()),
        "case when last_counted_refund_date is null then '' else "
            ~ dbt.concat([
                "', refund posted '", dbt.cast('last_counted_refund_date', dbt.type_string())
            ])
            ~ " end",
        "', and '", dbt.cast('damaged_open_units', dbt.type_string()),
        "' of them have not been reimbursed.'"
    ]) }} as case_summary
from netted
where damaged_open_units > 0
