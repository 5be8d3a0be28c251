-- The claim outcome log, typed; one row per recorded event (append-only, no deduplication
-- needed: every event has its own id).

with

source as (
    select * from {{ source('seller', 'claim_events') }}
)

select
    cast(event_id as {{ dbt.type_string() }}) as event_id,
    cast(claim_id as {{ dbt.type_string() }}) as claim_id,
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(action as {{ dbt.type_string() }}) as action,  -- noqa: RF04
    cast(status as {{ dbt.type_string() }}) as lifecycle_status,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(event_date as date) as event_date,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(note as {{ dbt.type_string() }}) as note,
    cast(source as {{ dbt.type_string() }}) as event_source,
    cast(recorded_at as {{ dbt.type_timestamp() }}) as recorded_at
from source
where event_id is not null
