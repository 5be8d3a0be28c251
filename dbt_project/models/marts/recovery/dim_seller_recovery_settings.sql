-- Recovery settings per registered seller (fee, cadence, thresholds), resolved with their
-- defaults by orchestration/reporting/settings.py from the seller registry.
--
-- The snapshot is written by the pipeline before each build; a dbt run by hand on a fresh home
-- may not have it yet, so the file is looked for first and the model is empty without it.
-- (DuckDB glob(); on another engine, replace this check with an adapter-dispatched macro.)

{%- set snapshot_file = env_var('RECLAIM_HOME', '../data')
    ~ '/warehouse/inputs/recovery_settings.parquet' %}
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
            cast(null as decimal(18, 2)) as fee_percentage,
            cast(null as {{ dbt.type_string() }}) as billing_cadence,
            cast(null as decimal(18, 2)) as minimum_claim_value,
            cast(null as {{ dbt.type_int() }}) as grace_days,
            cast(null as {{ dbt.type_int() }}) as max_items_per_case,
            cast(null as {{ dbt.type_int() }}) as follow_up_days,
            cast(null as {{ dbt.type_string() }}) as defaults_used
        where 1 = 0
    )
{%- endset %}
{%- set settings_relation = source('seller_registry', 'recovery_settings') if snapshot_present
    else no_snapshot %}

with

source as (
    select * from {{ settings_relation }}
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(fee_percentage as decimal(18, 2)) as fee_percentage,
    cast(billing_cadence as {{ dbt.type_string() }}) as billing_cadence,
    cast(minimum_claim_value as decimal(18, 2)) as minimum_claim_value,
    cast(grace_days as {{ dbt.type_int() }}) as grace_days,
    cast(max_items_per_case as {{ dbt.type_int() }}) as max_items_per_case,
    cast(follow_up_days as {{ dbt.type_int() }}) as follow_up_days,
    cast(defaults_used as {{ dbt.type_string() }}) as defaults_used
from source
