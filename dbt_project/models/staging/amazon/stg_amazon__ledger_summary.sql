-- Inventory ledger summary (GET_LEDGER_SUMMARY_VIEW_DATA), one row per period, FNSKU,
-- disposition and location; latest snapshot of each row (see latest_document_rows): periods are
-- restated between pulls. summary_date is the period's first day for monthly rows (MM/YYYY).

with

source as (
    select * from {{ source('amazon', 'ledger_summary') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(date as date) as summary_date,
        cast(date_granularity as {{ dbt.type_string() }}) as date_granularity,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(msku as {{ dbt.type_string() }}) as msku,
        cast(title as {{ dbt.type_string() }}) as title,
        cast(disposition as {{ dbt.type_string() }}) as disposition,
        cast(starting_warehouse_balance as {{ dbt.type_bigint() }}) as starting_warehouse_balance,
        cast(
            in_transit_between_warehouses as {{ dbt.type_bigint() }}
        ) as in_transit_between_warehouses,
        cast(receipts as {{ dbt.type_bigint() }}) as receipts,
        cast(customer_shipments as {{ dbt.type_bigint() }}) as customer_shipments,
        cast(customer_returns as {{ dbt.type_bigint() }}) as customer_returns,
        cast(vendor_returns as {{ dbt.type_bigint() }}) as vendor_returns,
        cast(warehouse_transfer_in_out as {{ dbt.type_bigint() }}) as warehouse_transfer_in_out,
        cast(found as {{ dbt.type_bigint() }}) as found,
        cast(lost as {{ dbt.type_bigint() }}) as lost,
        cast(damaged as {{ dbt.type_bigint() }}) as damaged,
        cast(disposed as {{ dbt.type_bigint() }}) as disposed,
        cast(other_events as {{ dbt.type_bigint() }}) as other_events,
        cast(ending_warehouse_balance as {{ dbt.type_bigint() }}) as ending_warehouse_balance,
        cast(unknown_events as {{ dbt.type_bigint() }}) as unknown_events,
        case
            when upper(trim(location)) = 'UK' then 'GB'
            else upper(trim(location))
        end as location_code,
        cast(store as {{ dbt.type_string() }}) as store,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', [
        'seller_id', 'summary_date', 'date_granularity', 'fnsku', 'msku', 'disposition',
        'location_code', 'store'
    ]) }}
)

select
    seller_id,
    summary_date,
    date_granularity,
    fnsku,
    asin,
    msku,
    title,
    disposition,
    starting_warehouse_balance,
    in_transit_between_warehouses,
    receipts,
    customer_shipments,
    customer_returns,
    vendor_returns,
    warehouse_transfer_in_out,
    found,
    lost,
    damaged,
    disposed,
    other_events,
    ending_warehouse_balance,
    unknown_events,
    location_code,
    store,
    _source_file,
    _row_number,
    _snapshot_at
from latest
