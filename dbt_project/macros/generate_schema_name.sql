{#
    Clean schema names: a node with a custom schema (+schema in dbt_project.yml) goes to exactly
    that schema (`staging`, `intermediate`, `marts`, `reference`), not `<target>_<custom>`.
    Nodes without one go to the target schema.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
