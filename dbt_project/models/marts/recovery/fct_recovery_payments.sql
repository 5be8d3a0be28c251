-- What Amazon paid that the recovery reports count: one row per reimbursement line and claim.
--
--   recovered           a line whose case-id is the Seller Support case of a claim we filed
--                       (int_claim_case_payment_lines): the agency's work, billable.
--   reversed            a Reimbursement_Reversal of such a line (original-reimbursement-id): the
--                       money taken back; credited on the invoice.
--   paid_automatically  a line without a case id whose reason settles a claim type the pipeline
--                       detects (the reason mapping in `automatic`): Amazon paid on its own,
--                       detection nets it from the claims, not billable. One row, no claim id.
--
-- A case line goes to the claim(s) of its case that it names (macro case_payment_attribution:
-- order id, then FNSKU and quantity, then FNSKU; shared by amount only when the line names
-- none), never to a claim with a recorded denial; `attribution` says how. A line that names no
-- claim of its case stays whole, claim_id NULL, attribution 'unattributed'.
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

case_lines as (
    select * from {{ ref('int_claim_case_payment_lines') }}
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

-- fct_claims.status is the recorded lifecycle for a claim nothing was attributed to, so a
-- denied claim is 'denied' here (the attribution never credits it).
case_claims as (
    select
        seller_id,
        claim_id,
        claim_type,
        case_id,
        status as lifecycle_status,
        fnsku,
        sku,
        order_id,
        quantity,
        amount
    from claims
    where case_id is not null
),

case_types as (
    select
        seller_id,
        case_id,
        min(claim_type) as claim_type
    from case_claims
    group by seller_id, case_id
),

{{ case_payment_attribution('case_claims', 'case_lines', 'paid') }},

shared as (
    select
        case_lines.*,
        paid_shares.claim_id,
        paid_shares.amount,
        paid_shares.attribution,
        coalesce(paid_shares.claim_type, case_types.claim_type) as claim_type
    from case_lines
    inner join paid_shares
        on
            case_lines.seller_id = paid_shares.seller_id
            and case_lines._source_file = paid_shares._source_file
            and case_lines._row_number = paid_shares._row_number
            and case_lines.payment_kind = paid_shares.payment_kind
    left join case_types
        on
            case_lines.seller_id = case_types.seller_id
            and case_lines.case_id = case_types.case_id
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
        case_id,
        reimbursement_id,
        original_reimbursement_id,
        reason,
        sku,
        fnsku,
        approval_date,
        currency,
        amount,
        line_amount,
        attribution,
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
        'no_case' as attribution,
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
    cast(attribution as {{ dbt.type_string() }}) as attribution,
    cast(_source_file as {{ dbt.type_string() }}) as _source_file,
    cast(_row_number as {{ dbt.type_bigint() }}) as _row_number
from payments
