-- return_damaged_unreimbursed claim candidates (claim-policy.md 2.5): customer returns graded
-- DAMAGED or CARRIER_DAMAGED (Amazon or its carrier is responsible and ownership passes to
-- Amazon) that Amazon has not reimbursed for the order, per (seller, order, SKU)
-- (int_order_returns_netted: reimbursements settle damaged returns first; a returned unit is
-- never a refund_not_returned unit). The seed window (anchor = refund posted date, +60/+120 US,
-- +45/+105 EU/UK/JP, policy-2026.md 2: "after refund"; a refund posted again beyond the units
-- charged does not move it) is the grace for Amazon's own reimbursement. The value is the
-- refunded principal per unit. Without a refund in the money history (settlement reports and
-- Finances transactions) the claim can be neither dated nor valued at the refund: event_date is
-- NULL and the evidence names what is missing ("missing_data"), so fct_claims gives it the status
-- needs_data, never ready (the charged principal per unit stays as an indicative unit_value).

{%- set missing_refund -%}
    case
        when last_counted_refund_date is null or refunded_principal <= 0
            then {{ dbt.concat([
                "'refund amount and date for order '", 'amazon_order_id', "', SKU '", 'sku',
                "' (settlement report or Finances transactions covering '",
                dbt.cast('first_damaged_return_date', dbt.type_string()), "' onwards)'"
            ]) }}
    end
{%- endset %}

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
    last_counted_refund_date as event_date,
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
        ['missing_data', missing_refund],
        ['waiting_for_data', "case when " ~ missing_refund ~ " is not null then "
            ~ "'refund amount and date: settlement report or Finances transactions' end"],
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
