-- The list-valued recovery settings, one row per value: claim_type_enabled (a claim type the
-- agency works for the seller) and excluded_sku (a SKU the seller does not want claimed).
-- Empty when the settings snapshot is not there (see dim_seller_recovery_settings).

{%- set snapshot_file = env_var('RECLAIM_HOME', '../data')
    ~ '/warehouse/inputs/recovery_setting_values.parquet' %}
{%- set snapshot_present = true %}
{%- if execute %}
    {%- set found = run_query(
        "select count(*) from glob('" ~ snapshot_file | replace("'", "''") ~ "')"
    ) %}
    {%- set snapshot_present = found.columns[0].values()[0] > 0 %}
{%- endif %}
{%- set no_snapshot %}
    (
        select
            cast(null as {{ dbt.type_string() }}) as seller_id,
            cast(null as {{ dbt.type_string() }}) as setting,
            cast(null as {{ dbt.type_string() }}) as value
        where 1 = 0
    )
{%- endset %}
{%- set settings_relation = source('seller_registry', 'recovery_setting_values') if snapshot_present
    else no_snapshot %}

with

source as (
    select * from {{ settings_relation }}
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(setting as {{ dbt.type_string() }}) as setting,
    cast(value as {{ dbt.type_string() }}) as setting_value
from source
