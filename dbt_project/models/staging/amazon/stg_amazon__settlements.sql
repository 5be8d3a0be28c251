-- Settlement report V2 lines, one row per amount component plus the settlement's summary row
-- (is_summary_row: settlement dates, total_amount and currency only; transaction columns NULL).
-- A closed settlement does not change: when it arrives in several documents, all rows of the
-- latest one are kept (latest_document_rows keyed by settlement). Component rows often leave
-- currency blank: they take the summary row's currency.
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the settlements they carry; equal to a full refresh. Settlement lines
-- are the largest source (about 60 rows per seller per day), read by three intermediate models.

{%- set natural_key = ['seller_id', 'settlement_id'] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('settlements') }}",
) }}

with

source as not materialized (
    {{ fba_reclaim.landed_rows(source('amazon', 'settlements'), 'settlements') }}
),

-- the currency of each settlement document (its summary row's): an aggregate joined back, not a
-- window over the wide rows
document_currencies as (
    select
        seller_id as document_seller_id,
        settlement_id as document_settlement_id,
        _source_file as document_source_file,
        max(upper(trim(currency))) as document_currency
    from source
    group by seller_id, settlement_id, _source_file
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(settlement_id as {{ dbt.type_string() }}) as settlement_id,
        settlement_start_date as settlement_start_at,
        {{ utc_date('settlement_start_date') }} as settlement_start_date,
        settlement_end_date as settlement_end_at,
        {{ utc_date('settlement_end_date') }} as settlement_end_date,
        deposit_date as deposit_at,
        {{ utc_date('deposit_date') }} as deposit_date,
        cast(total_amount as decimal(18, 4)) as total_amount,
        coalesce(
            upper(trim(currency)),
            (
                select document_currencies.document_currency
                from document_currencies
                where
                    document_currencies.document_seller_id is not distinct from source.seller_id
                    and document_currencies.document_settlement_id
                    is not distinct from source.settlement_id
                    and document_currencies.document_source_file
                    is not distinct from source._source_file
            )
        ) as currency,
        cast(transaction_type as {{ dbt.type_string() }}) as transaction_type,
        cast(order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(merchant_order_id as {{ dbt.type_string() }}) as merchant_order_id,
        cast(adjustment_id as {{ dbt.type_string() }}) as adjustment_id,
        cast(shipment_id as {{ dbt.type_string() }}) as shipment_id,
        cast(marketplace_name as {{ dbt.type_string() }}) as marketplace_name,
        cast(amount_type as {{ dbt.type_string() }}) as amount_type,
        cast(amount_description as {{ dbt.type_string() }}) as amount_description,
        cast(amount as decimal(18, 4)) as amount,
        cast(fulfillment_id as {{ dbt.type_string() }}) as fulfillment_id,
        coalesce(posted_date_time, posted_date) as posted_at,
        {{ utc_date('coalesce(posted_date, posted_date_time)') }} as posted_date,
        cast(order_item_code as {{ dbt.type_string() }}) as order_item_code,
        cast(merchant_order_item_id as {{ dbt.type_string() }}) as merchant_order_item_id,
        cast(
            merchant_adjustment_item_id as {{ dbt.type_string() }}
        ) as merchant_adjustment_item_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(quantity_purchased as {{ dbt.type_bigint() }}) as quantity_purchased,
        cast(promotion_id as {{ dbt.type_string() }}) as promotion_id,
        coalesce(transaction_type is null and amount is null, false) as is_summary_row,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at,
        _landed_file,
        _landed_at
    from source
),

candidates as not materialized (
    {{ fba_reclaim.incremental_candidates('renamed', natural_key) }}
),

latest as (
    {{ latest_document_rows(
        'candidates', natural_key,
        copy_order=['_landed_at desc', '_landed_file desc'],
        copy_file_column='_landed_file'
    ) }}
)

select
    seller_id,
    settlement_id,
    is_summary_row,
    settlement_start_at,
    settlement_start_date,
    settlement_end_at,
    settlement_end_date,
    deposit_at,
    deposit_date,
    total_amount,
    currency,
    transaction_type,
    amazon_order_id,
    merchant_order_id,
    adjustment_id,
    shipment_id,
    marketplace_name,
    amount_type,
    amount_description,
    amount,
    fulfillment_id,
    posted_at,
    posted_date,
    order_item_code,
    merchant_order_item_id,
    merchant_adjustment_item_id,
    sku,
    quantity_purchased,
    promotion_id,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
