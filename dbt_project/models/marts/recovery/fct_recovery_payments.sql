-- What Amazon paid that the recovery reports count: one row per reimbursement line and claim.
--
--   recovered           a line whose case-id is the Seller Support case of a claim we filed
--                       (fct_claims.case_id): the agency's work, billable. A case filed for
--                       several claims shares the line among them by claim amount.
--   reversed            a Reimbursement_Reversal of such a line (original-reimbursement-id): the
--                       money taken back, shared the same way; credited on the invoice.
--   paid_automatically  a line without a case id whose reason settles a claim type the pipeline
--                       detects (the reason mapping in `automatic`): Amazon paid on its own,
--                       detection nets it from the claims, not billable. One row, no claim id.
--
-- Every amount is positive (money paid, money taken back). The rows of a line add up to the
-- line's amount exactly: each claim gets the difference of the rounded cumulative shares.

with

reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
),

claims as (
    select * from {{ ref('fct_claims') }}
),

lines as (
    select
        seller_id,
        _source_file,
        _row_number,
        reimbursement_id,
        reason,
        original_reimbursement_id,
        sku,
        fnsku,
        approval_date,
        currency_unit as currency,
        nullif(trim(case_id), '') as case_id,
        abs(cast(amount_total as decimal(18, 2))) as line_amount
    from reimbursements
),

case_claims as (
    select
        seller_id,
        case_id,
        claim_id,
        claim_type,
        coalesce(amount, 0) as claim_amount
    from claims
    where case_id is not null
),

filed_cases as (
    select
        seller_id,
        case_id,
        sum(claim_amount) as case_amount,
        count(*) as case_claims
    from case_claims
    group by seller_id, case_id
),

case_payments as (
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

won as (
    select
        seller_id,
        reimbursement_id,
        min(attributed_case_id) as case_id
    from case_payments
    group by seller_id, reimbursement_id
),

case_reversals as (
    select
        lines.*,
        won.case_id as attributed_case_id,
        'reversed' as payment_kind
    from lines
    inner join won
        on
            lines.seller_id = won.seller_id
            and lines.original_reimbursement_id = won.reimbursement_id
    where lines.reason = 'Reimbursement_Reversal'
),

attributed as (
    select * from case_payments
    union all
    select * from case_reversals
),

weighted as (
    select
        attributed.*,
        case_claims.claim_id,
        case_claims.claim_type,
        case
            when filed_cases.case_amount > 0 then case_claims.claim_amount else 1
        end as claim_weight,
        case
            when filed_cases.case_amount > 0 then filed_cases.case_amount
            else filed_cases.case_claims
        end as total_weight
    from attributed
    inner join case_claims
        on
            attributed.seller_id = case_claims.seller_id
            and attributed.attributed_case_id = case_claims.case_id
    inner join filed_cases
        on
            attributed.seller_id = filed_cases.seller_id
            and attributed.attributed_case_id = filed_cases.case_id
),

cumulative as (
    select
        *,
        sum(claim_weight) over (
            partition by seller_id, _source_file, _row_number, payment_kind
            order by claim_id
            rows between unbounded preceding and current row
        ) as cumulative_weight
    from weighted
),

preceding as (
    select
        *,
        cumulative_weight - claim_weight as preceding_weight
    from cumulative
),

shared as (
    select
        *,
        case
            when cumulative_weight >= total_weight then line_amount
            else cast(round(line_amount * cumulative_weight / total_weight, 2) as decimal(18, 2))
        end as cumulative_amount,
        case
            when preceding_weight <= 0 then cast(0 as decimal(18, 2))
            else cast(round(line_amount * preceding_weight / total_weight, 2) as decimal(18, 2))
        end as preceding_amount
    from preceding
),

automatic as (
    select
        lines.*,
        case
            when lines.reason = 'Lost_Warehouse' then 'warehouse_lost'
            when lines.reason = 'Damaged_Warehouse' then 'warehouse_damaged'
            when lines.reason in ('Lost_Inbound', 'Damaged_Inbound') then 'inbound_shortage'
            when
                lines.reason in ('CustomerReturn', 'CustomerServiceIssue')
                then 'refund_not_returned'
            when
                lines.reason in ('RemovalOrderLost', 'Removal_Order_Lost')
                then 'removal_unaccounted'
            when
                lines.reason in ('FeeCorrection', 'Fee_Correction')
                then 'fulfillment_fee_overcharge'
        end as claim_type
    from lines
    where lines.case_id is null and lines.reason != 'Reimbursement_Reversal'
),

payments as (
    select
        seller_id,
        payment_kind,
        claim_id,
        claim_type,
        attributed_case_id as case_id,
        reimbursement_id,
        original_reimbursement_id,
        reason,
        sku,
        fnsku,
        approval_date,
        currency,
        cumulative_amount - preceding_amount as amount,
        line_amount,
        _source_file,
        _row_number
    from shared
    union all
    select
        seller_id,
        'paid_automatically' as payment_kind,
        cast(null as {{ dbt.type_string() }}) as claim_id,
        claim_type,
        cast(null as {{ dbt.type_string() }}) as case_id,
        reimbursement_id,
        original_reimbursement_id,
        reason,
        sku,
        fnsku,
        approval_date,
        currency,
        line_amount as amount,
        line_amount,
        _source_file,
        _row_number
    from automatic
    where claim_type is not null
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(payment_kind as {{ dbt.type_string() }}) as payment_kind,
    cast(claim_id as {{ dbt.type_string() }}) as claim_id,
    cast(claim_type as {{ dbt.type_string() }}) as claim_type,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(reimbursement_id as {{ dbt.type_string() }}) as reimbursement_id,
    cast(original_reimbursement_id as {{ dbt.type_string() }}) as original_reimbursement_id,
    cast(reason as {{ dbt.type_string() }}) as reason,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(fnsku as {{ dbt.type_string() }}) as fnsku,
    cast(approval_date as date) as approval_date,
    cast({{ dbt.date_trunc('week', 'approval_date') }} as date) as week_start,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(amount as decimal(18, 2)) as amount,
    cast(line_amount as decimal(18, 2)) as line_amount,
    cast(_source_file as {{ dbt.type_string() }}) as _source_file,
    cast(_row_number as {{ dbt.type_bigint() }}) as _row_number
from payments
