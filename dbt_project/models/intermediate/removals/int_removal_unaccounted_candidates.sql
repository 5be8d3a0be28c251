-- removal_unaccounted claim candidates (claim-policy.md 2.9): lines of Completed removal orders
-- (removal order detail, latest snapshot) whose units are not all accounted for:
--   unaccounted = requested - cancelled - disposed - shipped - in-process  (> 0)
-- A Completed order should account for every requested unit (help page 200989110). Units Amazon
-- already reimbursed for removals (reimbursement reasons starting with "Removal", e.g.
-- RemovalOrderLost / Removal_Order_Lost: spelling UNCONFIRMED) of the same FNSKU, approved on or
-- after the order's request date and not reversed, are netted oldest order first.
-- Lost in transit: the removal shipment detail report has carrier and tracking-number but no
-- delivery status, so shipped units cannot be proven undelivered from Amazon's reports alone
-- (that needs carrier tracking or the seller's receiving count); the order's parcels are listed
-- in the evidence. Anchor: the order line's last-updated date (completion); valued at the product
-- master unit cost like the warehouse rules (missing_unit_cost when there is none).

with

removal_orders as (
    select * from {{ ref('stg_amazon__removal_orders') }}
),

removal_shipments as (
    select * from {{ ref('stg_amazon__removal_shipments') }}
),

reimbursements as (
    select * from {{ ref('int_reimbursements_outside_our_cases') }}
),

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

marketplaces as (
    select * from {{ ref('marketplaces') }}
),

order_lines as (
    select
        seller_id,
        removal_order_id,
        sku,
        fnsku,
        min(order_type) as order_type,
        min(order_status) as order_status,
        min(request_date) as request_date,
        max(last_updated_date) as last_updated_date,
        min(disposition) as disposition,
        min(currency) as currency,
        sum(coalesce(requested_quantity, 0)) as requested_quantity,
        sum(coalesce(cancelled_quantity, 0)) as cancelled_quantity,
        sum(coalesce(disposed_quantity, 0)) as disposed_quantity,
        sum(coalesce(shipped_quantity, 0)) as shipped_quantity,
        sum(coalesce(in_process_quantity, 0)) as in_process_quantity
    from removal_orders
    where lower(trim(order_status)) = 'completed'
    group by seller_id, removal_order_id, sku, fnsku
),

unaccounted as (
    select
        *,
        requested_quantity - cancelled_quantity - disposed_quantity - shipped_quantity
        - in_process_quantity as unaccounted_units
    from order_lines
),

short_lines as (
    select
        *,
        coalesce(sum(unaccounted_units) over (
            partition by seller_id, fnsku
            order by request_date, removal_order_id, sku
            rows between unbounded preceding and 1 preceding
        ), 0) as unaccounted_before
    from unaccounted
    where unaccounted_units > 0
),

removal_payments as (
    select
        seller_id,
        reimbursement_id,
        fnsku,
        min(approval_date) as approval_date,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements
    where
        lower(reason) like 'removal%'
        and fnsku is not null
    group by seller_id, reimbursement_id, fnsku
),

reversals as (
    select
        seller_id,
        original_reimbursement_id,
        fnsku,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements
    where reason = 'Reimbursement_Reversal'
    group by seller_id, original_reimbursement_id, fnsku
),

fnsku_first_request as (
    select
        seller_id,
        fnsku,
        min(request_date) as first_request_date
    from short_lines
    group by seller_id, fnsku
),

fnsku_credits as (
    select
        removal_payments.seller_id,
        removal_payments.fnsku,
        sum(removal_payments.units - coalesce(reversals.units, 0)) as reimbursed_units
    from removal_payments
    inner join fnsku_first_request
        on
            removal_payments.seller_id = fnsku_first_request.seller_id
            and removal_payments.fnsku = fnsku_first_request.fnsku
            and removal_payments.approval_date >= fnsku_first_request.first_request_date
    left join reversals
        on
            removal_payments.seller_id = reversals.seller_id
            and removal_payments.reimbursement_id = reversals.original_reimbursement_id
            and removal_payments.fnsku = reversals.fnsku
    group by removal_payments.seller_id, removal_payments.fnsku
),

allocated as (
    select
        short_lines.*,
        coalesce(fnsku_credits.reimbursed_units, 0) as fnsku_reimbursed_units,
        case
            when coalesce(fnsku_credits.reimbursed_units, 0) <= short_lines.unaccounted_before
                then 0
            when
                fnsku_credits.reimbursed_units - short_lines.unaccounted_before
                >= short_lines.unaccounted_units
                then short_lines.unaccounted_units
            else fnsku_credits.reimbursed_units - short_lines.unaccounted_before
        end as reimbursed_units
    from short_lines
    left join fnsku_credits
        on
            short_lines.seller_id = fnsku_credits.seller_id
            and short_lines.fnsku = fnsku_credits.fnsku
),

parcels as (
    select
        seller_id,
        removal_order_id,
        fnsku,
        sum(coalesce(shipped_quantity, 0)) as parcel_units,
        {{ json_array_agg(
            build_json_object([
                ['shipment_date', dbt.cast('shipment_date', dbt.type_string())],
                ['carrier', 'carrier'],
                ['tracking_number', 'tracking_number'],
                ['shipped_quantity', 'shipped_quantity', 'number'],
            ]),
            'shipment_date, tracking_number'
        ) }} as parcel_rows
    from removal_shipments
    group by seller_id, removal_order_id, fnsku
),

fnsku_ledger as (
    select
        seller_id,
        fnsku,
        country,
        min(asin) as asin,
        row_number() over (
            partition by seller_id, fnsku
            order by count(*) desc, country asc
        ) as usage_rank
    from ledger
    where country is not null
    group by seller_id, fnsku, country
),

single_currency_countries as (
    select
        currency,
        min(country_code) as country_code
    from marketplaces
    group by currency
    having count(*) = 1
),

claims as (
    select
        allocated.*,
        parcels.parcel_rows,
        fnsku_ledger.asin,
        product_costs.unit_cost,
        product_costs.currency as cost_currency,
        coalesce(parcels.parcel_units, 0) as parcel_units,
        allocated.unaccounted_units - allocated.reimbursed_units as open_units,
        coalesce(fnsku_ledger.country, single_currency_countries.country_code) as country
    from allocated
    left join parcels
        on
            allocated.seller_id = parcels.seller_id
            and allocated.removal_order_id = parcels.removal_order_id
            and allocated.fnsku = parcels.fnsku
    left join fnsku_ledger
        on
            allocated.seller_id = fnsku_ledger.seller_id
            and allocated.fnsku = fnsku_ledger.fnsku
            and fnsku_ledger.usage_rank = 1
    left join single_currency_countries
        on allocated.currency = single_currency_countries.currency
    left join product_costs
        on
            allocated.seller_id = product_costs.seller_id
            and allocated.sku = product_costs.sku
)

select
    seller_id,
    cast('removal_unaccounted' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['removal_order_id', 'sku']) }} as claim_key,
    fnsku,
    sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    coalesce(last_updated_date, request_date) as event_date,
    country,
    cast(open_units as {{ dbt.type_bigint() }}) as quantity,
    cast(unit_cost as decimal(18, 4)) as unit_value,
    cost_currency as value_currency,
    case
        when unit_cost is null then 'missing_unit_cost'
        else 'product_master_unit_cost'
    end as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'removal_unaccounted'"],
        ['removal_order_id', 'removal_order_id'],
        ['order_type', 'order_type'],
        ['order_status', 'order_status'],
        ['request_date', dbt.cast('request_date', dbt.type_string())],
        ['last_updated_date', dbt.cast('last_updated_date', dbt.type_string())],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['disposition', 'disposition'],
        ['requested_quantity', 'requested_quantity', 'number'],
        ['cancelled_quantity', 'cancelled_quantity', 'number'],
        ['disposed_quantity', 'disposed_quantity', 'number'],
        ['shipped_quantity', 'shipped_quantity', 'number'],
        ['in_process_quantity', 'in_process_quantity', 'number'],
        ['unaccounted_units', 'unaccounted_units', 'number'],
        ['reimbursed_units', 'reimbursed_units', 'number'],
        ['open_units', 'open_units', 'number'],
        ['parcel_units', 'parcel_units', 'number'],
        ['parcels', 'parcel_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Removal order claim: removal order '", 'removal_order_id',
        "' ('", "coalesce(order_type, 'removal')", "', requested '",
        dbt.cast('request_date', dbt.type_string()),
        "', completed '", dbt.cast('coalesce(last_updated_date, request_date)', dbt.type_string()),
        "'), SKU '", 'sku', "' (FNSKU '", "coalesce(fnsku, 'unknown')",
        "') — '", dbt.cast('requested_quantity', dbt.type_string()), "' requested, '",
        dbt.cast('cancelled_quantity', dbt.type_string()), "' cancelled, '",
        dbt.cast('disposed_quantity', dbt.type_string()), "' disposed, '",
        dbt.cast('shipped_quantity', dbt.type_string()), "' shipped, '",
        dbt.cast('in_process_quantity', dbt.type_string()), "' in process: '",
        dbt.cast('open_units', dbt.type_string()),
        "' unit(s) are unaccounted for and not reimbursed.'"
    ]) }} as case_summary
from claims
where open_units > 0
