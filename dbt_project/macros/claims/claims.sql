{#
    Helpers shared by every claim type.

    claim_natural_key(columns): the natural key of a claim as text: each column cast to text,
        NULL as '', joined with '|'. Dates render as YYYY-MM-DD.
    claim_id(seller_id, claim_type, natural_key): stable claim id (DESIGN.md rule 5):
        'CLM-' + first 16 hex digits (upper case) of the hash of seller|type|natural key. Depends
        on nothing else (not quantities, not as_of).
    claim_candidate_columns(): the column list every int_<claim_type>_candidates model returns,
        in union order (see models/marts/_marts__models.yml).
    money_text(expression, currency): a decimal as text in the currency's minor unit: 2 decimals
        ('12.50'), none for a currency without one (yen: '4500'). Without a currency, 2 decimals.
    unit_value_text(expression, currency): as money_text, or 4 decimals when the value has
        precision below the minor unit.
    measure_text(expression, places): a dimension, weight or volume for case text: rounded to
        `places` decimals (2 by default) with trailing zeros dropped ('39.6', '7', '0.041').
    reason_text(expression): a report's reason value as words for case text
        ('Damaged_Warehouse' -> 'Damaged Warehouse').
    claim_request_sentence(claim_type, quantity, unit_value, amount, currency): the closing
        request of the case text; without a value it asks to reimburse the units only. An
        underpaid reimbursement asks for a re-evaluation and the difference instead; an
        unjustified reversal asks to reinstate the reimbursement; fee overcharges ask for a
        re-measurement and the overcharge (a fulfilment fee dispute without a value, waiting
        for a fee card row, for the re-measurement only); a refund above the charge asks for the excess.
#}

{% macro claim_natural_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- if not loop.first -%}{%- do parts.append("'|'") -%}{%- endif -%}
        {%- do parts.append("coalesce(" ~ dbt.cast(column, dbt.type_string()) ~ ", '')") -%}
    {%- endfor -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}


{% macro claim_id(seller_id, claim_type, natural_key) -%}
    {{ dbt.concat([
        "'CLM-'",
        "upper(substr(" ~ dbt.hash(dbt.concat([seller_id, "'|'", claim_type, "'|'", natural_key]))
            ~ ", 1, 16))"
    ]) }}
{%- endmacro %}


{% macro claim_candidate_columns() -%}
    {%- set columns = [
        'seller_id', 'claim_type', 'claim_key', 'fnsku', 'sku', 'asin', 'order_id', 'shipment_id',
        'removal_order_id', 'reference_id', 'fulfillment_center_id', 'event_date', 'country',
        'quantity', 'unit_value', 'value_currency', 'valuation_source', 'evidence', 'case_summary'
    ] -%}
    {{ return(columns) }}
{%- endmacro %}


{% macro zero_decimal_currencies() -%}
    {#- Currencies of Amazon's marketplaces that have no minor unit (ISO 4217 exponent 0). -#}
    {{ return(['JPY']) }}
{%- endmacro %}


{% macro money_text(expression, currency=none) -%}
    {%- set cents = dbt.cast("cast(round(" ~ expression ~ ", 2) as decimal(18, 2))", dbt.type_string()) -%}
    {%- if currency is none -%}
        {{ cents }}
    {%- else -%}
        case
            when {{ currency }} in ('{{ fba_reclaim.zero_decimal_currencies() | join("', '") }}')
                then {{ dbt.cast("cast(round(" ~ expression ~ ", 0) as decimal(18, 0))", dbt.type_string()) }}
            else {{ cents }}
        end
    {%- endif -%}
{%- endmacro %}


{% macro measure_text(expression, places=2) -%}
    regexp_replace(
        {{ dbt.cast("cast(round(" ~ expression ~ ", " ~ places ~ ") as decimal(18, " ~ places ~ "))", dbt.type_string()) }},
        '\.?0+$', ''
    )
{%- endmacro %}


{% macro reason_text(expression) -%}
    replace({{ expression }}, '_', ' ')
{%- endmacro %}


{% macro unit_value_text(expression, currency=none) -%}
    case
        {% if currency is not none -%}
        when {{ currency }} in ('{{ fba_reclaim.zero_decimal_currencies() | join("', '") }}')
            and {{ expression }} = round({{ expression }}, 0)
            then {{ fba_reclaim.money_text(expression, currency) }}
        {% endif -%}
        when {{ expression }} = round({{ expression }}, 2) then {{ fba_reclaim.money_text(expression) }}
        else {{ dbt.cast("cast(" ~ expression ~ " as decimal(18, 4))", dbt.type_string()) }}
    end
{%- endmacro %}


{% macro claim_request_sentence(claim_type, quantity, unit_value, amount, currency) -%}
    case
        when {{ claim_type }} = 'reimbursement_underpaid'
            then {{ dbt.concat([
                "' Please re-evaluate this reimbursement at the manufacturing cost and pay the'",
                "' difference for '", dbt.cast(quantity, dbt.type_string()),
                "' unit(s) at '", currency, "' '", fba_reclaim.unit_value_text(unit_value, currency),
                "' each ('", currency, "' '", fba_reclaim.money_text(amount, currency), "').'"
            ]) }}
        when {{ claim_type }} = 'fulfillment_fee_overcharge' and {{ unit_value }} is null
            then ' Please re-measure the item.'
        when {{ unit_value }} is null or {{ amount }} is null or {{ currency }} is null
            then {{ dbt.concat([
                "' Please investigate and reimburse '",
                dbt.cast(quantity, dbt.type_string()),
                "' unit(s).'"
            ]) }}
        when {{ claim_type }} = 'reversal_unjustified'
            then {{ dbt.concat([
                "' Please reinstate the reimbursement for '", dbt.cast(quantity, dbt.type_string()),
                "' unit(s) at '", currency, "' '", fba_reclaim.unit_value_text(unit_value, currency),
                "' each ('", currency, "' '", fba_reclaim.money_text(amount, currency), "').'"
            ]) }}
        when {{ claim_type }} = 'fulfillment_fee_overcharge'
            then {{ dbt.concat([
                "' Please re-measure the item and refund the fulfillment fee overcharge on '",
                dbt.cast(quantity, dbt.type_string()),
                "' unit(s) at '", currency, "' '", fba_reclaim.unit_value_text(unit_value, currency),
                "' each ('", currency, "' '", fba_reclaim.money_text(amount, currency), "').'"
            ]) }}
        when {{ claim_type }} = 'storage_fee_overcharge'
            then {{ dbt.concat([
                "' Please re-measure the item and refund the storage fee overcharge of '",
                currency, "' '", fba_reclaim.money_text(amount, currency), "'.'"
            ]) }}
        when {{ claim_type }} = 'refund_exceeds_charge'
            then {{ dbt.concat([
                "' Please reimburse the refunded amount above the charge ('",
                currency, "' '", fba_reclaim.money_text(amount, currency), "').'"
            ]) }}
        else {{ dbt.concat([
            "' Please investigate and reimburse '",
            dbt.cast(quantity, dbt.type_string()),
            "' unit(s) at '", currency, "' '", fba_reclaim.unit_value_text(unit_value, currency),
            "' each ('", currency, "' '", fba_reclaim.money_text(amount, currency), "').'"
        ]) }}
    end
{%- endmacro %}
