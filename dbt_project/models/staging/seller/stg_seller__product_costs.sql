-- The seller's unit costs (and dimensions), one row per seller and SKU: the latest product
-- master wins (_snapshot_at, then _source_file). Should one file list a SKU twice, the higher
-- cost is kept so that the choice is deterministic.

with

source as (
    select * from {{ source('seller', 'product_master') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(unit_cost as decimal(18, 4)) as unit_cost,
        upper(trim(currency)) as currency,
        cast(length_in as decimal(18, 4)) as length_in,
        cast(width_in as decimal(18, 4)) as width_in,
        cast(height_in as decimal(18, 4)) as height_in,
        cast(weight_lb as decimal(18, 4)) as weight_lb,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
    where sku is not null
),

ranked as (
    select
        *,
        row_number() over (
            partition by seller_id, sku
            order by _snapshot_at desc, _source_file desc, unit_cost desc, currency asc
        ) as version_rank
    from renamed
)

select
    seller_id,
    sku,
    unit_cost,
    currency,
    length_in,
    width_in,
    height_in,
    weight_lb,
    _source_file,
    _snapshot_at
from ranked
where version_rank = 1
