-- Finances v0 financial events, one row per money component (item charge, fee, refund
-- adjustment, withheld tax, promotion, inventory adjustment item); latest copy of each
-- (event_id, line_no) across overlapping pull windows.

with

source as (
    select * from {{ source('amazon', 'financial_events') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(event_id as {{ dbt.type_string() }}) as event_id,
        cast(line_no as {{ dbt.type_bigint() }}) as line_no,
        cast(event_list as {{ dbt.type_string() }}) as event_list,
        posted_date as posted_at,
        {{ utc_date('posted_date') }} as posted_date,
        cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(seller_order_id as {{ dbt.type_string() }}) as seller_order_id,
        cast(marketplace_name as {{ dbt.type_string() }}) as marketplace_name,
        cast(seller_sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(order_item_id as {{ dbt.type_string() }}) as order_item_id,
        cast(order_adjustment_item_id as {{ dbt.type_string() }}) as order_adjustment_item_id,
        cast(quantity as {{ dbt.type_bigint() }}) as quantity,
        cast(adjustment_type as {{ dbt.type_string() }}) as adjustment_type,
        cast(component as {{ dbt.type_string() }}) as component,
        cast(amount_type as {{ dbt.type_string() }}) as amount_type,
        cast(amount as decimal(18, 4)) as amount,
        upper(trim(currency)) as currency,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', ['seller_id', 'event_id', 'line_no']) }}
)

select
    seller_id,
    event_id,
    line_no,
    event_list,
    posted_at,
    posted_date,
    amazon_order_id,
    seller_order_id,
    marketplace_name,
    sku,
    fnsku,
    asin,
    order_item_id,
    order_adjustment_item_id,
    quantity,
    adjustment_type,
    component,
    amount_type,
    amount,
    currency,
    _source_file,
    _row_number,
    _snapshot_at
from latest
