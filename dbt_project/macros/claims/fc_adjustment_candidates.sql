{#
    Claim candidates from netted FC adjustments (fc_adjustments_netted), in the shape fct_claims
    unions (claim_candidate_columns()): one row per (seller, FNSKU, reference id, event date,
    fulfillment center) with open units, valued at the product master unit cost (a loss before
    a customer order is valued at manufacturing cost, claim-policy.md s3), with its evidence and
    case summary. Rows with the same claim key (e.g. identical rows inside one document) form one
    claim; it exists while any of its units is open.

    netted_model: the netting model (int_warehouse_losses_netted, ...).
    claim_type: the contract claim type.
    units_column / net_found_units: as given to fc_adjustments_netted.
    claim_label, event_words, open_words: the case summary's wording.
#}

{% macro fc_adjustment_candidates(
    netted_model, claim_type, units_column, net_found_units, claim_label, event_words, open_words
) %}

with

adjustments as (
    select * from {{ ref(netted_model) }}
),

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

-- Loss rows with the same claim key (e.g. identical rows inside one document) form one claim;
-- it exists while any of its units is open.
claims as (
    select
        seller_id,
        fnsku,
        reference_id,
        event_date,
        fulfillment_center,
        min(sku) as sku,
        min(asin) as asin,
        min(country) as country,
        min(reason_code) as reason_code,
        sum({{ units_column }}) as {{ units_column }},
        sum(ledger_reconciled) as ledger_reconciled,
        sum(ledger_open) as ledger_open,
        sum(allocated_credits) as allocated_credits,
        sum(open_units) as open_units,
        max(credits_since) as credits_since,
        {%- if net_found_units %}
        max(fnsku_found_units) as fnsku_found_units,
        {%- endif %}
        max(fnsku_reimbursed_units) as fnsku_reimbursed_units,
        max(fnsku_reversed_units) as fnsku_reversed_units,
        max(fnsku_report_credits) as fnsku_report_credits,
        max(fnsku_ledger_reconciled) as fnsku_ledger_reconciled,
        max(fnsku_unreflected_credits) as fnsku_unreflected_credits,
        {{ json_array_agg(
            build_json_object([
                ['_source_file', '_source_file'],
                ['_row_number', '_row_number', 'number'],
                ['reason', 'reason_code'],
                ['quantity', '-' ~ units_column, 'number'],
                ['reconciled_quantity', 'ledger_reconciled', 'number'],
                ['unreconciled_quantity', 'ledger_unreconciled', 'number'],
                ['allocated_report_credits', 'allocated_credits', 'number'],
                ['open_units', 'open_units', 'number'],
            ]),
            '_source_file, _row_number'
        ) }} as source_rows
    from adjustments
    group by seller_id, fnsku, reference_id, event_date, fulfillment_center
    having sum(open_units) > 0
),

valued as (
    select
        claims.*,
        product_costs.unit_cost,
        product_costs.currency as cost_currency
    from claims
    left join product_costs
        on
            claims.seller_id = product_costs.seller_id
            and claims.sku = product_costs.sku
)

select
    seller_id,
    cast('{{ claim_type }}' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['fnsku', 'reference_id', 'event_date', 'fulfillment_center']) }}
        as claim_key,
    fnsku,
    sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    reference_id,
    fulfillment_center as fulfillment_center_id,
    event_date,
    country,
    cast(open_units as {{ dbt.type_bigint() }}) as quantity,
    cast(unit_cost as decimal(18, 4)) as unit_value,
    cost_currency as value_currency,
    case
        when unit_cost is null then 'missing_unit_cost'
        else 'product_master_unit_cost'
    end as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'" ~ claim_type ~ "'"],
        ['fnsku', 'fnsku'],
        ['msku', 'sku'],
        ['asin', 'asin'],
        ['reference_id', 'reference_id'],
        ['fulfillment_center', 'fulfillment_center'],
        ['event_date', dbt.cast('event_date', dbt.type_string())],
        ['country', 'country'],
        ['reason_code', 'reason_code'],
        [units_column, units_column, 'number'],
        ['reconciled_units', 'ledger_reconciled', 'number'],
        ['ledger_open_units', 'ledger_open', 'number'],
        ['allocated_report_credits', 'allocated_credits', 'number'],
        ['open_units', 'open_units', 'number'],
        ['fnsku_report_credits', build_json_object([
            ['since', dbt.cast('credits_since', dbt.type_string())],
            ['found_units', 'fnsku_found_units' if net_found_units else '0', 'number'],
            ['reimbursed_units', 'fnsku_reimbursed_units', 'number'],
            ['reversed_units', 'fnsku_reversed_units', 'number'],
            ['credits', 'fnsku_report_credits', 'number'],
            ['ledger_reconciled_units', 'fnsku_ledger_reconciled', 'number'],
            ['unreflected_credits', 'fnsku_unreflected_credits', 'number'],
        ]), 'json'],
        ['source_rows', 'source_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'" ~ claim_label ~ ": FNSKU '", 'fnsku',
        "' (SKU '", "coalesce(sku, 'unknown')", "') — '",
        "case when open_units < " ~ units_column ~ " then "
            ~ dbt.concat([dbt.cast('open_units', dbt.type_string()), "' of '"])
            ~ " else '' end",
        dbt.cast(units_column, dbt.type_string()),
        "' unit(s) recorded as " ~ event_words ~ " at fulfillment center '", "coalesce(fulfillment_center, 'unknown')",
        "' on '", dbt.cast('event_date', dbt.type_string()),
        "case when reference_id is null then '' else "
            ~ dbt.concat(["', ledger reference ID '", 'reference_id']) ~ " end",
        "', are still unreconciled: " ~ open_words ~ ".'"
    ]) }} as case_summary
from valued

{% endmacro %}
