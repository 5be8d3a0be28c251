{#
    The UTC calendar date of a timestamp-with-time-zone expression, independent of the session
    time zone. `at time zone 'UTC'` on a timestamptz gives the UTC wall-clock timestamp in DuckDB
    and PostgreSQL (the default); other engines can override with <adapter>__utc_date.
#}
{% macro utc_date(expression) -%}
    {{ return(adapter.dispatch('utc_date', 'fba_reclaim')(expression)) }}
{%- endmacro %}

{% macro default__utc_date(expression) -%}
    cast(({{ expression }} at time zone 'UTC') as date)
{%- endmacro %}
