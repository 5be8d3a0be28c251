{#
    JSON construction, adapter-dispatched (DESIGN.md rule 11: SQL outside adapter-dispatched
    macros stays portable).

    build_json_object(pairs): pairs is a list of [key, sql_expression] or
        [key, sql_expression, kind], kind one of 'string' (default), 'number', 'json' (the
        expression is already JSON: nested object/array). Keys keep their order. Returns an
        expression of the adapter's JSON type (or JSON text on the default implementation);
        wrap it in json_to_text() to store it.
    json_array_agg(expression, order_by): aggregate JSON values of a group into a JSON array,
        ordered by the `order_by` SQL (without the ORDER BY keywords).
    json_to_text(expression): the JSON value as text (varchar).
    json_text_field(expression, key): the top-level string member `key` of a JSON text, as
        text (NULL when absent or JSON null).
#}

{% macro _json_check_key(key) %}
    {%- if not modules.re.match('^[A-Za-z0-9_]+$', key) -%}
        {{ exceptions.raise_compiler_error("JSON key must match [A-Za-z0-9_]+: " ~ key) }}
    {%- endif -%}
{% endmacro %}


{% macro build_json_object(pairs) -%}
    {{ return(adapter.dispatch('build_json_object', 'fba_reclaim')(pairs)) }}
{%- endmacro %}

{% macro duckdb__build_json_object(pairs) -%}
    json_object(
    {%- for pair in pairs %}
        {{- fba_reclaim._json_check_key(pair[0]) -}}
        '{{ pair[0] }}', {% if (pair[2] if pair | length > 2 else 'string') == 'json' -%}
            cast({{ pair[1] }} as json)
        {%- else -%}
            {{ pair[1] }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{% macro postgres__build_json_object(pairs) -%}
    json_build_object(
    {%- for pair in pairs %}
        {{- fba_reclaim._json_check_key(pair[0]) -}}
        '{{ pair[0] }}', {% if (pair[2] if pair | length > 2 else 'string') == 'json' -%}
            cast({{ pair[1] }} as json)
        {%- else -%}
            {{ pair[1] }}
        {%- endif %}{{ ',' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

{#- Text concatenation: strings are quoted with backslash and double quote escaped. -#}
{% macro default__build_json_object(pairs) -%}
    {%- set parts = ["'{'"] -%}
    {%- for pair in pairs -%}
        {%- do fba_reclaim._json_check_key(pair[0]) -%}
        {%- set kind = pair[2] if pair | length > 2 else 'string' -%}
        {%- set text = dbt.cast(pair[1], dbt.type_string()) -%}
        {%- if kind == 'json' -%}
            {%- set value = "coalesce(" ~ text ~ ", 'null')" -%}
        {%- elif kind == 'number' -%}
            {%- set value = "coalesce(" ~ text ~ ", 'null')" -%}
        {%- else -%}
            {%- set escaped = "replace(replace(" ~ text ~ ", '\\', '\\\\'), '\"', '\\\"')" -%}
            {%- set value = "case when " ~ text ~ " is null then 'null' else "
                ~ dbt.concat(["'\"'", escaped, "'\"'"]) ~ " end" -%}
        {%- endif -%}
        {%- do parts.append("'" ~ (',' if not loop.first else '') ~ '"' ~ pair[0] ~ "\":'") -%}
        {%- do parts.append(value) -%}
    {%- endfor -%}
    {%- do parts.append("'}'") -%}
    {{ dbt.concat(parts) }}
{%- endmacro %}


{% macro json_array_agg(expression, order_by) -%}
    {{ return(adapter.dispatch('json_array_agg', 'fba_reclaim')(expression, order_by)) }}
{%- endmacro %}

{% macro duckdb__json_array_agg(expression, order_by) -%}
    to_json(list({{ expression }} order by {{ order_by }}))
{%- endmacro %}

{% macro postgres__json_array_agg(expression, order_by) -%}
    json_agg({{ expression }} order by {{ order_by }})
{%- endmacro %}

{% macro default__json_array_agg(expression, order_by) -%}
    {{ dbt.concat([
        "'['",
        dbt.listagg(dbt.cast(expression, dbt.type_string()), "','", "order by " ~ order_by),
        "']'"
    ]) }}
{%- endmacro %}


{% macro json_to_text(expression) -%}
    {{ return(adapter.dispatch('json_to_text', 'fba_reclaim')(expression)) }}
{%- endmacro %}

{% macro duckdb__json_to_text(expression) -%}
    cast({{ expression }} as varchar)
{%- endmacro %}

{% macro postgres__json_to_text(expression) -%}
    cast({{ expression }} as text)
{%- endmacro %}

{% macro default__json_to_text(expression) -%}
    {{ dbt.cast(expression, dbt.type_string()) }}
{%- endmacro %}


{% macro json_text_field(expression, key) -%}
    {%- do fba_reclaim._json_check_key(key) -%}
    {{ return(adapter.dispatch('json_text_field', 'fba_reclaim')(expression, key)) }}
{%- endmacro %}

{% macro duckdb__json_text_field(expression, key) -%}
    json_extract_string({{ expression }}, '$.{{ key }}')
{%- endmacro %}

{% macro postgres__json_text_field(expression, key) -%}
    (cast({{ expression }} as json) ->> '{{ key }}')
{%- endmacro %}
