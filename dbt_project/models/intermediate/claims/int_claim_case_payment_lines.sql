-- The reimbursement lines paid under a Seller Support case the agency filed (a case id of
-- int_claim_outcomes) and the reversals of those lines, with the case of the line they take
-- back. One row per line, what it names (order id, FNSKU, SKU, quantity) and its amount, always
-- positive. Which claim of the case a line pays is decided with the claims' facts by the macro
-- case_payment_attribution (fct_claims, fct_recovery_payments).

with

outcomes as (
    select * from {{ ref('int_claim_outcomes') }}
),

reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
),

filed_cases as (
    select distinct
        seller_id,
        case_id
    from outcomes
    where case_id is not null
),

lines as (
    select
        seller_id,
        _source_file,
        _row_number,
        reimbursement_id,
        reason,
        original_reimbursement_id,
        approval_date,
        currency_unit as currency,
        nullif(trim(case_id), '') as case_id,
        nullif(trim(amazon_order_id), '') as amazon_order_id,
        nullif(trim(sku), '') as sku,
        nullif(trim(fnsku), '') as fnsku,
        abs(quantity_reimbursed_total) as quantity,
        abs(cast(amount_total as decimal(18, 2))) as line_amount
    from reimbursements
),

payments as (
    select
        lines.*,
        lines.case_id as attributed_case_id,
        'recovered' as payment_kind
    from lines
    inner join filed_cases
        on
            lines.seller_id = filed_cases.seller_id
            and lines.case_id = filed_cases.case_id
    where lines.reason != 'Reimbursement_Reversal'
),

paid_under as (
    select
        seller_id,
        reimbursement_id,
        min(attributed_case_id) as case_id
    from payments
    group by seller_id, reimbursement_id
),

reversals as (
    select
        lines.*,
        paid_under.case_id as attributed_case_id,
        'reversed' as payment_kind
    from lines
    inner join paid_under
        on
            lines.seller_id = paid_under.seller_id
            and lines.original_reimbursement_id = paid_under.reimbursement_id
    where lines.reason = 'Reimbursement_Reversal'
),

attributed as (
    select * from payments
    union all
    select * from reversals
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(payment_kind as {{ dbt.type_string() }}) as payment_kind,
    cast(attributed_case_id as {{ dbt.type_string() }}) as case_id,
    cast(reimbursement_id as {{ dbt.type_string() }}) as reimbursement_id,
    cast(original_reimbursement_id as {{ dbt.type_string() }}) as original_reimbursement_id,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(amazon_order_id as {{ dbt.type_string() }}) as amazon_order_id,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(fnsku as {{ dbt.type_string() }}) as fnsku,
    cast(quantity as {{ dbt.type_bigint() }}) as quantity,
    cast(approval_date as date) as approval_date,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(line_amount as decimal(18, 2)) as line_amount,
    cast(_source_file as {{ dbt.type_string() }}) as _source_file,
    cast(_row_number as {{ dbt.type_bigint() }}) as _row_number
from attributed
