{#- A name compared loosely: lower case without spaces, underscores or dashes ('FBA fees',
    'FBA_Fees' and 'fba-fees' are all 'fbafees'); portable string functions only. -#}
{% macro normalized_name(expression) -%}
    lower(replace(replace(replace(trim({{ expression }}), ' ', ''), '_', ''), '-', ''))
{%- endmacro %}
