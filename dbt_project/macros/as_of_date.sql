{#
    "Today" as a parameter (DESIGN.md rule 3): a date literal built from var('as_of'), YYYY-MM-DD,
    or, when the var is not given, from the environment variable RECLAIM_AS_OF (the pipeline
    passes it that way: a var that changes every day makes dbt re-parse the whole project, an env
    var read in a macro does not). Never use the clock in a model. A missing or malformed value is
    a compiler error, raised only at execution time so that `dbt parse` works without it.
#}
{% macro as_of_date() %}
    {%- set raw = var('as_of', none) or env_var('RECLAIM_AS_OF', '') -%}
    {%- set text = '' if raw is none else (raw | string | trim) -%}
    {%- if text == '' -%}
        {%- if execute -%}
            {{ exceptions.raise_compiler_error(
                "Missing var 'as_of' (the run date, YYYY-MM-DD). Pass it, e.g. "
                ~ "dbt build --vars '{as_of: 2026-11-20}', or set RECLAIM_AS_OF."
            ) }}
        {%- endif -%}
        {{ return("cast(null as date)") }}
    {%- endif -%}
    {%- if execute and not fba_reclaim._is_iso_date(text) -%}
        {{ exceptions.raise_compiler_error(
            "Invalid var 'as_of': '" ~ text ~ "' (expected a calendar date YYYY-MM-DD)."
        ) }}
    {%- endif -%}
    {{ return("cast('" ~ text ~ "' as date)") }}
{% endmacro %}


{% macro _is_iso_date(text) %}
    {%- set match = modules.re.match('^([0-9]{4})-([0-9]{2})-([0-9]{2})$', text) -%}
    {%- if not match -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set year = match.group(1) | int -%}
    {%- set month = match.group(2) | int -%}
    {%- set day = match.group(3) | int -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(1 <= month <= 12 and 1 <= day <= month_days[month - 1]) }}
{% endmacro %}
