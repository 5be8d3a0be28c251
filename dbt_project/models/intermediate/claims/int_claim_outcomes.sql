-- What became of each claim the agency acted on: its latest lifecycle status from the outcome
-- log, the case it was filed under, and what Amazon paid against that case (reimbursement lines
-- whose case-id is the claim's case id), net of reversals of those reimbursements.

with

events as (
    select * from {{ ref('stg_seller__claim_events') }}
),

reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
),

status_events as (
    select
        claim_id,
        seller_id,
        lifecycle_status,
        event_date,
        row_number() over (
            partition by claim_id order by recorded_at desc, event_id desc
        ) as recency
    from events
    where lifecycle_status is not null
),

filings as (
    select
        claim_id,
        case_id,
        event_date as filed_date,
        row_number() over (
            partition by claim_id order by recorded_at desc, event_id desc
        ) as recency
    from events
    where action = 'file' and case_id is not null
),

latest as (
    select
        status_events.claim_id,
        status_events.seller_id,
        status_events.lifecycle_status,
        status_events.event_date as status_date,
        filings.case_id,
        filings.filed_date
    from status_events
    left join filings
        on
            status_events.claim_id = filings.claim_id
            and filings.recency = 1
    where status_events.recency = 1
),

case_payments as (
    select
        seller_id,
        case_id,
        reimbursement_id,
        sum(amount_total) as paid
    from reimbursements
    where case_id is not null and reason != 'Reimbursement_Reversal'
    group by seller_id, case_id, reimbursement_id
),

case_reversals as (
    select
        case_payments.seller_id,
        case_payments.case_id,
        sum(abs(reimbursements.amount_total)) as reversed
    from reimbursements
    inner join case_payments
        on
            reimbursements.seller_id = case_payments.seller_id
            and reimbursements.original_reimbursement_id = case_payments.reimbursement_id
    where reimbursements.reason = 'Reimbursement_Reversal'
    group by case_payments.seller_id, case_payments.case_id
),

case_totals as (
    select
        case_payments.seller_id,
        case_payments.case_id,
        sum(case_payments.paid) as paid,
        max(coalesce(case_reversals.reversed, 0)) as reversed
    from case_payments
    left join case_reversals
        on
            case_payments.seller_id = case_reversals.seller_id
            and case_payments.case_id = case_reversals.case_id
    group by case_payments.seller_id, case_payments.case_id
)

select
    latest.claim_id,
    latest.seller_id,
    latest.lifecycle_status,
    latest.status_date,
    latest.case_id,
    latest.filed_date,
    cast(coalesce(case_totals.paid, 0) as decimal(18, 2)) as recovered_paid,
    cast(coalesce(case_totals.reversed, 0) as decimal(18, 2)) as recovered_reversed
from latest
left join case_totals
    on
        latest.seller_id = case_totals.seller_id
        and latest.case_id = case_totals.case_id
