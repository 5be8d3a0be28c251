-- The claims still to act on, most urgent first, with the seller's recovery settings applied:
-- every claim that is upcoming, ready, approved, filed or needs_info, plus the expired ones
-- nobody acted on (the end of the deadline funnel).
--
--   deadline_stage      upcoming | ready | expiring_7d (ready or approved, deadline within 7
--                       days of as_of) | expired | filed (filed or needs_info: waiting on Amazon)
--   file_from           eligible_from + grace_days: the day the agency files (automatic
--                       payments have had time to post)
--   follow_up_due_date  filed_date + follow_up_days for claims waiting on Amazon; follow_up_due
--                       once as_of reaches it
--   below_minimum_value, sku_excluded, claim_type_enabled
--                       the seller's filters, as flags (fct_claims keeps every claim)
--   to_file             ready or approved, passing the seller's filters, file_from reached:
--                       what the agency files now (the default claim export)
--   case_batch          claims to file together under one Seller Support case: per seller,
--                       marketplace and claim type, deadline first, at most max_items_per_case
--                       (default 10) each, e.g. warehouse_lost-ATVPDKIKX0DER-001
--   urgency_rank        1 = most urgent, per seller: expiring, follow-up due, ready, waiting,
--                       upcoming, expired; then by deadline

with

claims as (
    select * from {{ ref('fct_claims') }}
),

settings as (
    select * from {{ ref('dim_seller_recovery_settings') }}
),

setting_values as (
    select * from {{ ref('dim_seller_recovery_setting_values') }}
),

open_claims as (
    select
        claims.*,
        coalesce(settings.grace_days, 0) as grace_days,
        settings.follow_up_days,
        settings.minimum_claim_value,
        coalesce(settings.max_items_per_case, 10) as max_items_per_case,
        {{ dbt.datediff('claims.as_of', 'claims.deadline', 'day') }} as days_to_deadline  -- noqa: LT05
    from claims
    left join settings
        on claims.seller_id = settings.seller_id
    where
        claims.status in ('upcoming', 'ready', 'approved', 'filed', 'needs_info', 'expired')
),

enabled_types as (
    select
        seller_id,
        setting_value as claim_type
    from setting_values
    where setting = 'claim_type_enabled'
),

excluded_skus as (
    select
        seller_id,
        setting_value as sku
    from setting_values
    where setting = 'excluded_sku'
),

staged as (
    select
        open_claims.*,
        case
            when open_claims.status in ('filed', 'needs_info') then 'filed'
            when open_claims.status = 'expired' then 'expired'
            when open_claims.status = 'upcoming' then 'upcoming'
            when open_claims.days_to_deadline <= 7 then 'expiring_7d'
            else 'ready'
        end as deadline_stage,
        cast(
            {{ dbt.dateadd('day', 'open_claims.grace_days', 'open_claims.eligible_from') }}
            as date
        ) as file_from,
        cast(
            {{ dbt.dateadd('day', 'open_claims.follow_up_days', 'open_claims.filed_date') }}
            as date
        ) as follow_up_from_filing,
        coalesce(
            open_claims.amount < open_claims.minimum_claim_value, false
        ) as below_minimum_value,
        excluded_skus.sku is not null as sku_excluded,
        enabled_types.claim_type is not null or open_claims.follow_up_days is null
            as claim_type_enabled
    from open_claims
    left join enabled_types
        on
            open_claims.seller_id = enabled_types.seller_id
            and open_claims.claim_type = enabled_types.claim_type
    left join excluded_skus
        on
            open_claims.seller_id = excluded_skus.seller_id
            and open_claims.sku = excluded_skus.sku
),

flagged as (
    select
        *,
        case
            when status in ('filed', 'needs_info') then follow_up_from_filing
        end as follow_up_due_date
    from staged
),

followed as (
    select
        *,
        coalesce(follow_up_due_date <= as_of, false) as follow_up_due
    from flagged
),

fileable as (
    select
        *,
        status in ('ready', 'approved')
        and claim_type_enabled
        and not sku_excluded
        and not below_minimum_value
        and file_from <= as_of as to_file
    from followed
),

batched as (
    select
        *,
        case
            when to_file
                then
                    claim_type || '-' || marketplace_id || '-' || lpad(
                        cast(
                            cast(
                                floor(
                                    (
                                        row_number() over (
                                            partition by
                                                seller_id, marketplace_id, claim_type, to_file
                                            order by deadline, claim_id
                                        ) - 1
                                    ) / max_items_per_case
                                ) + 1 as {{ dbt.type_int() }}
                            ) as {{ dbt.type_string() }}
                        ),
                        3,
                        '0'
                    )
        end as case_batch
    from fileable
),

ranked as (
    select
        *,
        row_number() over (
            partition by seller_id
            order by
                case
                    when deadline_stage = 'expiring_7d' then 1
                    when follow_up_due then 2
                    when deadline_stage = 'ready' then 3
                    when deadline_stage = 'filed' then 4
                    when deadline_stage = 'upcoming' then 5
                    else 6
                end,
                deadline,
                claim_id
        ) as urgency_rank
    from batched
)

select
    cast(claim_id as {{ dbt.type_string() }}) as claim_id,
    cast(seller_id as {{ dbt.type_string() }}) as seller_id,
    cast(claim_type as {{ dbt.type_string() }}) as claim_type,
    cast(status as {{ dbt.type_string() }}) as status,
    cast(deadline_stage as {{ dbt.type_string() }}) as deadline_stage,
    cast(urgency_rank as {{ dbt.type_bigint() }}) as urgency_rank,
    cast(sku as {{ dbt.type_string() }}) as sku,
    cast(fnsku as {{ dbt.type_string() }}) as fnsku,
    cast(asin as {{ dbt.type_string() }}) as asin,
    cast(event_date as date) as event_date,
    cast(quantity as {{ dbt.type_bigint() }}) as quantity,
    cast(amount as decimal(18, 2)) as amount,
    cast(currency as {{ dbt.type_string() }}) as currency,
    cast(eligible_from as date) as eligible_from,
    cast(file_from as date) as file_from,
    cast(deadline as date) as deadline,
    cast(days_to_deadline as {{ dbt.type_bigint() }}) as days_to_deadline,
    cast(as_of as date) as as_of,
    cast(case_id as {{ dbt.type_string() }}) as case_id,
    cast(filed_date as date) as filed_date,
    cast(follow_up_due_date as date) as follow_up_due_date,
    cast(follow_up_due as {{ dbt.type_boolean() }}) as follow_up_due,
    cast(below_minimum_value as {{ dbt.type_boolean() }}) as below_minimum_value,
    cast(sku_excluded as {{ dbt.type_boolean() }}) as sku_excluded,
    cast(claim_type_enabled as {{ dbt.type_boolean() }}) as claim_type_enabled,
    cast(to_file as {{ dbt.type_boolean() }}) as to_file,
    cast(case_batch as {{ dbt.type_string() }}) as case_batch,
    cast(marketplace_id as {{ dbt.type_string() }}) as marketplace_id
from ranked
