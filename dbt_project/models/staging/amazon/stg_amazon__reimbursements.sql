-- FBA reimbursement lines, latest snapshot of each line (see latest_document_rows).
-- Incremental (macros/staging/incremental_landing.sql): a run reads only the files landed since
-- the last one and replaces the natural keys they touch; equal to a full refresh.

{%- set natural_key = [
    'seller_id',
    'reimbursement_id',
    'fnsku',
    'sku',
    'reason',
    'amazon_order_id',
    'original_reimbursement_id'
] -%}

{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=fba_reclaim.null_safe_key(natural_key),
    on_schema_change='fail',
    pre_hook="{{ fba_reclaim.delete_rows_of_rebuilt_sellers('reimbursements') }}",
) }}

with

source as (
    {{ fba_reclaim.landed_rows(source('amazon', 'reimbursements'), 'reimbursements') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        approval_date as approved_at,
        {{ utc_date('approval_date') }} as approval_date,
        cast(reimbursement_id as {{ dbt.type_string() }}) as reimbursement_id,
        cast(case_id as {{ dbt.type_string() }}) as case_id,
        cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(condition as {{ dbt.type_string() }}) as condition,
        upper(trim(currency_unit)) as currency_unit,
        cast(amount_per_unit as decimal(18, 4)) as amount_per_unit,
        cast(amount_total as decimal(18, 4)) as amount_total,
        cast(quantity_reimbursed_cash as {{ dbt.type_bigint() }}) as quantity_reimbursed_cash,
        cast(
            quantity_reimbursed_inventory as {{ dbt.type_bigint() }}
        ) as quantity_reimbursed_inventory,
        cast(quantity_reimbursed_total as {{ dbt.type_bigint() }}) as quantity_reimbursed_total,
        cast(original_reimbursement_id as {{ dbt.type_string() }}) as original_reimbursement_id,
        cast(
            original_reimbursement_type as {{ dbt.type_string() }}
        ) as original_reimbursement_type,
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
    approved_at,
    approval_date,
    reimbursement_id,
    case_id,
    amazon_order_id,
    reason,
    sku,
    fnsku,
    asin,
    product_name,
    condition,
    currency_unit,
    amount_per_unit,
    amount_total,
    quantity_reimbursed_cash,
    quantity_reimbursed_inventory,
    quantity_reimbursed_total,
    original_reimbursement_id,
    original_reimbursement_type,
    _source_file,
    _row_number,
    _snapshot_at,
    _landed_file,
    _landed_at
from latest
