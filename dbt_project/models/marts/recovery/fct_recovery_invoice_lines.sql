-- What the agency bills: one row per reimbursement line of a case we filed (recovery) and per
-- reversal of such a line (reversal_credit), with the seller's fee percentage. Lines paid
-- automatically (no case id) are never billed. A reversal credits the fee on the invoice of the
-- period it was approved in. billable_amount and fee_amount are negative on credits.
-- The fee is rounded per line (half away from zero), so an invoice total is the sum of its lines.

with

payments as (
    select * from {{ ref('fct_recovery_payments') }}
),

settings as (
    select * from {{ ref('dim_seller_recovery_settings') }}
),

lines as (
    select
        seller_id,
        payment_kind,
        _source_file,
        _row_number,
        reimbursement_id,
        original_reimbursement_id,
        case_id,
        reason,
        sku,
        fnsku,
        approval_date,
        currency,
        max(line_amount) as line_amount,
        count(*) as claim_count,
        {{ dbt.listagg('claim_id', "' '", 'order by claim_id') }} as claim_ids,
        case
            when min(claim_type) = max(claim_type) then min(claim_type) else 'mixed'
        end as claim_type
    from payments
    where payment_kind in ('recovered', 'reversed')
    group by
        seller_id,
        payment_kind,
        _source_file,
        _row_number,
        reimbursement_id,
        original_reimbursement_id,
        case_id,
        reason,
        sku,
        fnsku,
        approval_date,
        currency
),

signed as (
    select
        lines.*,
        settings.fee_percentage,
        case
            when lines.payment_kind = 'recovered' then 'recovery' else 'reversal_credit'
        end as line_kind,
        case
            when lines.payment_kind = 'recovered' then lines.line_amount
            else -lines.line_amount
        end as billable_amount
    from lines
    left join settings
        on lines.seller_id = settings.seller_id
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(line_kind as {{ dbt.type_string() }}) as line_kind,
    cast(approval_date as date) as approval_date,
    cast(reimbursement_id as {{ dbt.type_string() }}) as reimbursement_id,
    cast(original_reimbursement_id as {{ dbt.type_string() }}) as original_reimbursement_id,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(claim_ids as {{ dbt.type_string() }}) as claim_ids,
    cast(claim_count as {{ dbt.type_bigint() }}) as claim_count,
    cast(claim_type as {{ dbt.type_string() }}) as claim_type,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(fnsku as {{ dbt.type_string() }}) as fnsku,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(billable_amount as decimal(18, 2)) as billable_amount,
    cast(fee_percentage as decimal(18, 2)) as fee_percentage,
    cast(round(billable_amount * fee_percentage * 0.01, 2) as decimal(18, 2)) as fee_amount,
    cast(_source_file as {{ dbt.type_string() }}) as _source_file,
    cast(_row_number as {{ dbt.type_bigint() }}) as _row_number
from signed
