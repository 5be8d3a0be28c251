-- The Seller Support cases the agency filed: one row per seller and case id, with its claims,
-- what was claimed, what Amazon paid under it (gross), took back (reversed) and the net, the
-- case's status derived from its claims' statuses, and what Amazon asked for or why it denied.
--
-- Money comes from fct_recovery_payments (every line of the case, attributed to a claim or
-- not); nothing is attributed here. The claimed amount and the status come from fct_claims,
-- the dates and notes from the claim outcome log (stg_seller__claim_events).
--
--   case_status   the first that holds, over the statuses (fct_claims) of the case's claims:
--                   needs_info            a claim needs info (Amazon asked for something)
--                   reversed              a claim's payment was taken back (net 0 or less)
--                   denied                every claim denied or dismissed, at least one denied
--                   dismissed             every claim dismissed
--                   reimbursed            every claim reimbursed
--                   partially_reimbursed  a claim reimbursed or partially reimbursed
--                   filed                 otherwise: waiting on Amazon (filed or approved)
--   case_state    action_needed (needs_info, reversed) | open (filed, partially_reimbursed) |
--                 closed (reimbursed, denied, dismissed)
--   amazon_request  the latest note (else reason) of a needs_info event of a claim that still
--                   needs info; denial_reason: the latest reason (else note) of a deny event
--                   of a claim that is still denied

with

claims as (
    select * from {{ ref('fct_claims') }}
),

payments as (
    select * from {{ ref('fct_recovery_payments') }}
),

events as (
    select * from {{ ref('stg_seller__claim_events') }}
),

case_claims as (
    select
        seller_id,
        case_id,
        claim_id,
        claim_type,
        status,
        amount,
        currency,
        filed_date
    from claims
    where case_id is not null
),

claim_totals as (
    select
        seller_id,
        case_id,
        count(*) as claim_count,
        {{ dbt.listagg('claim_id', "' '", 'order by claim_id') }} as claim_ids,
        min(currency) as currency,
        count(distinct currency) as currency_count,
        sum(coalesce(amount, 0)) as claimed_amount,
        min(filed_date) as filed_date,
        sum(case when status = 'needs_info' then 1 else 0 end) as needs_info_count,
        sum(case when status = 'reversed' then 1 else 0 end) as reversed_claim_count,
        sum(case when status = 'denied' then 1 else 0 end) as denied_count,
        sum(case when status = 'dismissed' then 1 else 0 end) as dismissed_count,
        sum(case when status = 'reimbursed' then 1 else 0 end) as reimbursed_count,
        sum(
            case when status = 'partially_reimbursed' then 1 else 0 end
        ) as partially_reimbursed_count
    from case_claims
    group by seller_id, case_id
),

distinct_types as (
    select distinct
        seller_id,
        case_id,
        claim_type
    from case_claims
),

claim_types as (
    select
        seller_id,
        case_id,
        {{ dbt.listagg('claim_type', "' '", 'order by claim_type') }} as claim_types
    from distinct_types
    group by seller_id, case_id
),

case_money as (
    select
        seller_id,
        case_id,
        sum(case when payment_kind = 'recovered' then amount else 0 end) as recovered_amount,
        sum(case when payment_kind = 'reversed' then amount else 0 end) as reversed_amount,
        max(approval_date) as last_payment_date
    from payments
    where case_id is not null and payment_kind in ('recovered', 'reversed')
    group by seller_id, case_id
),

claim_events as (
    select
        events.seller_id,
        case_claims.case_id,
        case_claims.status as claim_status,
        events.event_id,
        events.lifecycle_status,
        events.event_date,
        events.recorded_at,
        events.reason,
        events.note
    from events
    inner join case_claims
        on
            events.seller_id = case_claims.seller_id
            and events.claim_id = case_claims.claim_id
),

-- The events that say what a claim is still waiting on: its needs_info request or its denial.
standing as (
    select
        seller_id,
        case_id,
        lifecycle_status,
        case
            when lifecycle_status = 'needs_info' then coalesce(note, reason)
            else coalesce(reason, note)
        end as said,
        row_number() over (
            partition by seller_id, case_id, lifecycle_status
            order by event_date desc, recorded_at desc, event_id desc
        ) as recency
    from claim_events
    where lifecycle_status in ('needs_info', 'denied') and lifecycle_status = claim_status
),

case_events as (
    select
        claim_events.seller_id,
        claim_events.case_id,
        max(claim_events.event_date) as last_event_date,
        max(requests.said) as amazon_request,
        max(denials.said) as denial_reason
    from claim_events
    left join standing as requests
        on
            claim_events.seller_id = requests.seller_id
            and claim_events.case_id = requests.case_id
            and requests.lifecycle_status = 'needs_info'
            and requests.recency = 1
    left join standing as denials
        on
            claim_events.seller_id = denials.seller_id
            and claim_events.case_id = denials.case_id
            and denials.lifecycle_status = 'denied'
            and denials.recency = 1
    group by claim_events.seller_id, claim_events.case_id
),

cases as (
    select
        claim_totals.*,
        claim_types.claim_types,
        case_money.last_payment_date,
        case_events.last_event_date,
        case_events.amazon_request,
        case_events.denial_reason,
        coalesce(case_money.recovered_amount, 0) as recovered_amount,
        coalesce(case_money.reversed_amount, 0) as reversed_amount,
        case
            when claim_totals.needs_info_count > 0 then 'needs_info'
            when claim_totals.reversed_claim_count > 0 then 'reversed'
            when claim_totals.dismissed_count = claim_totals.claim_count then 'dismissed'
            when
                claim_totals.denied_count > 0
                and claim_totals.denied_count + claim_totals.dismissed_count
                = claim_totals.claim_count
                then 'denied'
            when claim_totals.reimbursed_count = claim_totals.claim_count then 'reimbursed'
            when
                claim_totals.reimbursed_count + claim_totals.partially_reimbursed_count > 0
                then 'partially_reimbursed'
            else 'filed'
        end as case_status
    from claim_totals
    inner join claim_types
        on
            claim_totals.seller_id = claim_types.seller_id
            and claim_totals.case_id = claim_types.case_id
    left join case_money
        on
            claim_totals.seller_id = case_money.seller_id
            and claim_totals.case_id = case_money.case_id
    left join case_events
        on
            claim_totals.seller_id = case_events.seller_id
            and claim_totals.case_id = case_events.case_id
),

staged as (
    select
        *,
        case
            when case_status in ('needs_info', 'reversed') then 'action_needed'
            when case_status in ('filed', 'partially_reimbursed') then 'open'
            else 'closed'
        end as case_state,
        case
            when last_payment_date is null then last_event_date
            when last_event_date is null then last_payment_date
            when last_payment_date > last_event_date then last_payment_date
            else last_event_date
        end as last_activity_date
    from cases
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(case_status as {{ dbt.type_string() }}) as case_status,
    cast(case_state as {{ dbt.type_string() }}) as case_state,
    cast(claim_count as {{ dbt.type_bigint() }}) as claim_count,
    cast(claim_ids as {{ dbt.type_string() }}) as claim_ids,
    cast(claim_types as {{ dbt.type_string() }}) as claim_types,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(currency_count as {{ dbt.type_bigint() }}) as currency_count,
    cast(claimed_amount as decimal(18, 2)) as claimed_amount,
    cast(recovered_amount as decimal(18, 2)) as recovered_amount,
    cast(reversed_amount as decimal(18, 2)) as reversed_amount,
    cast(recovered_amount - reversed_amount as decimal(18, 2)) as net_amount,
    cast(needs_info_count as {{ dbt.type_bigint() }}) as needs_info_count,
    cast(denied_count as {{ dbt.type_bigint() }}) as denied_count,
    cast(filed_date as date) as filed_date,
    cast(last_event_date as date) as last_event_date,
    cast(last_payment_date as date) as last_payment_date,
    cast(last_activity_date as date) as last_activity_date,
    cast(amazon_request as {{ dbt.type_string() }}) as amazon_request,
    cast(denial_reason as {{ dbt.type_string() }}) as denial_reason
from staged
