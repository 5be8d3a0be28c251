-- The weekly recovery summary: per seller, ISO week (starting Monday), claim type and currency,
-- the claims found, filed, denied and expired, and the money recovered (case-attributed), paid
-- automatically (not billable) and reversed, as counts and amounts. Weeks without any activity
-- have no row.
--
-- Which day puts an item in a week:
--   found               the claim's event date (the loss, damage or overpayment); a claim
--                       that cannot be dated yet (needs_data: e.g. no refund loaded) the
--                       build's as-of day
--   filed               the filing date the agency recorded
--   denied              the date of the denial the agency recorded (claims denied now)
--   expired             the day after the deadline, for claims that were never acted on
--   recovered, reversed, paid_automatically
--                       the approval date of the reimbursement line (fct_recovery_payments)
-- A claim without a value (no unit cost) counts with amount 0.

with

claims as (
    select * from {{ ref('fct_claims') }}
),

payments as (
    select * from {{ ref('fct_recovery_payments') }}
),

outcomes as (
    select * from {{ ref('int_claim_outcomes') }}
),

claim_facts as (
    select
        seller_id,
        claim_type,
        currency,
        'found' as metric,
        coalesce(event_date, as_of) as activity_date,
        claim_id,
        coalesce(amount, 0) as amount
    from claims
    union all
    select
        seller_id,
        claim_type,
        currency,
        'filed' as metric,
        filed_date as activity_date,
        claim_id,
        coalesce(amount, 0) as amount
    from claims
    where filed_date is not null
    union all
    select
        claims.seller_id,
        claims.claim_type,
        claims.currency,
        'denied' as metric,
        outcomes.status_date as activity_date,
        claims.claim_id,
        coalesce(claims.amount, 0) as amount
    from claims
    inner join outcomes
        on claims.claim_id = outcomes.claim_id
    where claims.status = 'denied'
    union all
    select
        seller_id,
        claim_type,
        currency,
        'expired' as metric,
        cast({{ dbt.dateadd('day', 1, 'deadline') }} as date) as activity_date,
        claim_id,
        coalesce(amount, 0) as amount
    from claims
    where status = 'expired'
),

facts as (
    select
        seller_id,
        claim_type,
        currency,
        metric,
        cast({{ dbt.date_trunc('week', 'activity_date') }} as date) as week_start,
        count(*) as item_count,
        sum(amount) as amount
    from claim_facts
    group by
        seller_id,
        claim_type,
        currency,
        metric,
        {{ dbt.date_trunc('week', 'activity_date') }}
    union all
    select
        seller_id,
        claim_type,
        currency,
        payment_kind as metric,
        week_start,
        case
            when payment_kind = 'paid_automatically' then count(*)
            else count(distinct claim_id)
        end as item_count,
        sum(amount) as amount
    from payments
    group by seller_id, claim_type, currency, payment_kind, week_start
),

weekly as (
    select
        seller_id,
        week_start,
        claim_type,
        currency,
        sum(case when metric = 'found' then item_count else 0 end) as found_count,
        sum(case when metric = 'found' then amount else 0 end) as found_amount,
        sum(case when metric = 'filed' then item_count else 0 end) as filed_count,
        sum(case when metric = 'filed' then amount else 0 end) as filed_amount,
        sum(case when metric = 'recovered' then item_count else 0 end) as recovered_count,
        sum(case when metric = 'recovered' then amount else 0 end) as recovered_amount,
        sum(
            case when metric = 'paid_automatically' then item_count else 0 end
        ) as paid_automatically_count,
        sum(
            case when metric = 'paid_automatically' then amount else 0 end
        ) as paid_automatically_amount,
        sum(case when metric = 'denied' then item_count else 0 end) as denied_count,
        sum(case when metric = 'denied' then amount else 0 end) as denied_amount,
        sum(case when metric = 'expired' then item_count else 0 end) as expired_count,
        sum(case when metric = 'expired' then amount else 0 end) as expired_amount,
        sum(case when metric = 'reversed' then item_count else 0 end) as reversed_count,
        sum(case when metric = 'reversed' then amount else 0 end) as reversed_amount
    from facts
    group by seller_id, week_start, claim_type, currency
)

select
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(week_start as date) as week_start,
    cast({{ dbt.dateadd('day', 6, 'week_start') }} as date) as week_end,
    cast(claim_type as {{ dbt.type_string() }}) as claim_type,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(found_count as {{ dbt.type_bigint() }}) as found_count,
    cast(found_amount as decimal(18, 2)) as found_amount,
    cast(filed_count as {{ dbt.type_bigint() }}) as filed_count,
    cast(filed_amount as decimal(18, 2)) as filed_amount,
    cast(recovered_count as {{ dbt.type_bigint() }}) as recovered_count,
    cast(recovered_amount as decimal(18, 2)) as recovered_amount,
    cast(paid_automatically_count as {{ dbt.type_bigint() }}) as paid_automatically_count,
    cast(paid_automatically_amount as decimal(18, 2)) as paid_automatically_amount,
    cast(denied_count as {{ dbt.type_bigint() }}) as denied_count,
    cast(denied_amount as decimal(18, 2)) as denied_amount,
    cast(expired_count as {{ dbt.type_bigint() }}) as expired_count,
    cast(expired_amount as decimal(18, 2)) as expired_amount,
    cast(reversed_count as {{ dbt.type_bigint() }}) as reversed_count,
    cast(reversed_amount as decimal(18, 2)) as reversed_amount
from weekly
