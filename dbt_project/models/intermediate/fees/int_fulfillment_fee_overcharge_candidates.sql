-- fulfillment_fee_overcharge claim candidates (claim-policy.md 2.10): per (seller, order, SKU),
-- the FBA per-unit fulfillment fee charged in the settlements (int_order_items_settled: ItemFees
-- / FBAPerUnitFulfillmentFee on Order rows) against the fee the seller's true dimensions and
-- weight imply (int_product_size_tiers: size tier and shipping weight; seed fba_fulfillment_fees:
-- the schedule in force on the fee date, UNCONFIRMED). A claim needs
--   charged per unit - expected per unit > var('fee_overcharge_tolerance_per_unit', 0.05)
-- and Amazon's measurement (fee preview tier, sides or weight) disagreeing with the seller's, or no
-- fee preview for the SKU: when Amazon measured the item as the seller did, a difference comes from
-- fees the schedule does not model (peak season, low-price or apparel rates), not from a wrong
-- measurement. Fee corrections Amazon already paid for the order (settlement rows outside Order
-- with amount-description INCORRECT_FEES* / *FEE*CORRECTION*, or a positive
-- FBAPerUnitFulfillmentFee; reimbursement lines of a FeeCorrection reason with the order id) are
-- netted. Value = (charged - expected) per unit; anchor = the first fee posted date (90 days).

{%- set fee_tolerance = var('fee_overcharge_tolerance_per_unit', 0.05) %}

with

settled_items as (
    select * from {{ ref('int_order_items_settled') }}
),

product_tiers as (
    select * from {{ ref('int_product_size_tiers') }}
),

fee_schedule as (
    select * from {{ ref('fba_fulfillment_fees') }}
),

money_events as (
    select * from {{ ref('int_money_events') }}
),

reimbursements as (
    select * from {{ ref('int_reimbursements_outside_our_cases') }}
),

-- The FNSKU/ASIN a SKU is stocked under (most ledger rows), for items that name only the SKU.
sku_identities as (
    select * from {{ ref('int_sku_identities') }}
),

charged as (
    select
        seller_id,
        amazon_order_id,
        sku,
        country,
        currency,
        fba_fee_charged,
        first_fee_date,
        first_settlement_id,
        last_settlement_id,
        coalesce(
            nullif(fba_fee_units, 0), nullif(charged_units, 0), 1
        ) as fee_units
    from settled_items
    where fba_fee_charged > 0 and first_fee_date is not null
),

-- The size tier and fee depend on the SKU, its country and the fee date only: they are looked up
-- once per distinct (seller, SKU, country, fee date), not once per order line.
fee_dates as (
    select distinct
        seller_id,
        sku,
        country,
        first_fee_date
    from charged
),

tier_versions as (
    select
        fee_dates.seller_id,
        fee_dates.sku,
        fee_dates.country,
        fee_dates.first_fee_date,
        product_tiers.effective_from,
        product_tiers.size_tier,
        product_tiers.shipping_weight_lb,
        product_tiers.longest_in,
        product_tiers.median_in,
        product_tiers.shortest_in,
        product_tiers.unit_weight_lb,
        product_tiers.amazon_size_tier,
        product_tiers.amazon_expected_fee_per_unit,
        product_tiers.amazon_longest_in,
        product_tiers.amazon_median_in,
        product_tiers.amazon_shortest_in,
        product_tiers.amazon_weight_lb,
        product_tiers.amazon_measurement_disagrees,
        row_number() over (
            partition by
                fee_dates.seller_id, fee_dates.sku, fee_dates.country, fee_dates.first_fee_date
            order by product_tiers.effective_from desc
        ) as version_rank
    from fee_dates
    inner join product_tiers
        on
            fee_dates.seller_id = product_tiers.seller_id
            and fee_dates.sku = product_tiers.sku
            and fee_dates.country = product_tiers.country
            and fee_dates.first_fee_date >= product_tiers.effective_from
),

expected as (
    select
        tier_versions.seller_id,
        tier_versions.sku,
        tier_versions.country,
        tier_versions.first_fee_date,
        fee_schedule.effective_from as schedule_since,
        fee_schedule.currency as schedule_currency,
        cast(fee_schedule.base_fee + case
            when
                fee_schedule.step_lb > 0
                and tier_versions.shipping_weight_lb > fee_schedule.steps_above_lb
                then ceil(
                        (tier_versions.shipping_weight_lb - fee_schedule.steps_above_lb)
                        / fee_schedule.step_lb
                    ) * fee_schedule.fee_per_step
            else 0
        end as decimal(18, 4)) as expected_fee_per_unit,
        row_number() over (
            partition by
                tier_versions.seller_id,
                tier_versions.sku,
                tier_versions.country,
                tier_versions.first_fee_date
            order by fee_schedule.effective_from desc
        ) as schedule_rank
    from tier_versions
    inner join fee_schedule
        on
            tier_versions.country = fee_schedule.country
            and tier_versions.size_tier = fee_schedule.size_tier
            and tier_versions.first_fee_date >= fee_schedule.effective_from
            and tier_versions.shipping_weight_lb > fee_schedule.weight_over_lb
            and tier_versions.shipping_weight_lb <= fee_schedule.weight_upto_lb
    where tier_versions.version_rank = 1
),

money_corrections as (
    select
        seller_id,
        amazon_order_id,
        sku,
        sum(amount) as credited
    from money_events
    where
        amazon_order_id is not null
        and lower(trim(transaction_type)) != 'order'
        and amount > 0
        and (
            upper(amount_description) like 'INCORRECT_FEES%'
            or upper(replace(amount_description, '_', '')) like '%FEECORRECTION%'
            or lower(trim(amount_description)) = 'fbaperunitfulfillmentfee'
        )
    group by seller_id, amazon_order_id, sku
),

reimbursed_corrections as (
    select
        seller_id,
        amazon_order_id,
        sku,
        sum(amount_total) as credited
    from reimbursements
    where
        amazon_order_id is not null
        and lower(replace(reason, '_', '')) like 'feecorrection%'
    group by seller_id, amazon_order_id, sku
),

compared as (
    select
        charged.*,
        tier_versions.size_tier,
        tier_versions.shipping_weight_lb,
        tier_versions.longest_in,
        tier_versions.median_in,
        tier_versions.shortest_in,
        tier_versions.unit_weight_lb,
        tier_versions.amazon_size_tier,
        tier_versions.amazon_expected_fee_per_unit,
        tier_versions.amazon_longest_in,
        tier_versions.amazon_median_in,
        tier_versions.amazon_shortest_in,
        tier_versions.amazon_weight_lb,
        tier_versions.amazon_measurement_disagrees,
        expected.schedule_since,
        expected.expected_fee_per_unit,
        sku_identities.fnsku,
        sku_identities.asin,
        charged.fba_fee_charged / charged.fee_units as charged_per_unit,
        coalesce(money_corrections.credited, 0)
        + coalesce(reimbursed_corrections.credited, 0) as credited
    from charged
    inner join tier_versions
        on
            charged.seller_id = tier_versions.seller_id
            and charged.sku = tier_versions.sku
            and charged.country = tier_versions.country
            and charged.first_fee_date = tier_versions.first_fee_date
            and tier_versions.version_rank = 1
    inner join expected
        on
            charged.seller_id = expected.seller_id
            and charged.sku = expected.sku
            and charged.country = expected.country
            and charged.first_fee_date = expected.first_fee_date
            and expected.schedule_rank = 1
    left join money_corrections
        on
            charged.seller_id = money_corrections.seller_id
            and charged.amazon_order_id = money_corrections.amazon_order_id
            and charged.sku = money_corrections.sku
    left join reimbursed_corrections
        on
            charged.seller_id = reimbursed_corrections.seller_id
            and charged.amazon_order_id = reimbursed_corrections.amazon_order_id
            and charged.sku = reimbursed_corrections.sku
    left join sku_identities
        on
            charged.seller_id = sku_identities.seller_id
            and charged.sku = sku_identities.sku
),

overcharged as (
    select
        *,
        fba_fee_charged - expected_fee_per_unit * fee_units - credited as open_overcharge
    from compared
    where
        charged_per_unit - expected_fee_per_unit > {{ fee_tolerance }}
        and coalesce(amazon_measurement_disagrees, true)
)

select
    seller_id,
    cast('fulfillment_fee_overcharge' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['amazon_order_id', 'sku']) }} as claim_key,
    fnsku,
    sku,
    asin,
    amazon_order_id as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    first_fee_date as event_date,
    country,
    cast(fee_units as {{ dbt.type_bigint() }}) as quantity,
    cast(open_overcharge / fee_units as decimal(18, 4)) as unit_value,
    currency as value_currency,
    cast('charged_minus_expected_fee' as {{ dbt.type_string() }}) as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'fulfillment_fee_overcharge'"],
        ['order_id', 'amazon_order_id'],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['fee_date', dbt.cast('first_fee_date', dbt.type_string())],
        ['settlement_ids', dbt.concat([
            'first_settlement_id',
            "case when last_settlement_id = first_settlement_id then '' else "
                ~ dbt.concat(["','", 'last_settlement_id']) ~ " end"
        ])],
        ['units', 'fee_units', 'number'],
        ['fee_charged', 'fba_fee_charged', 'number'],
        ['fee_charged_per_unit', 'cast(charged_per_unit as decimal(18, 4))', 'number'],
        ['expected_fee_per_unit', 'expected_fee_per_unit', 'number'],
        ['fee_schedule_since', dbt.cast('schedule_since', dbt.type_string())],
        ['already_credited', 'credited', 'number'],
        ['seller_size_tier', 'size_tier'],
        ['seller_dimensions_in', build_json_object([
            ['longest', 'longest_in', 'number'],
            ['median', 'median_in', 'number'],
            ['shortest', 'shortest_in', 'number'],
        ]), 'json'],
        ['seller_unit_weight_lb', 'unit_weight_lb', 'number'],
        ['seller_shipping_weight_lb', 'shipping_weight_lb', 'number'],
        ['amazon_size_tier', 'amazon_size_tier'],
        ['amazon_dimensions_in', build_json_object([
            ['longest', 'amazon_longest_in', 'number'],
            ['median', 'amazon_median_in', 'number'],
            ['shortest', 'amazon_shortest_in', 'number'],
        ]), 'json'],
        ['amazon_weight_lb', 'amazon_weight_lb', 'number'],
        ['amazon_expected_fee_per_unit', 'amazon_expected_fee_per_unit', 'number'],
        ['amazon_measurement_disagrees', dbt.cast('amazon_measurement_disagrees', dbt.type_string())],
    ])) }} as evidence,
    {{ dbt.concat([
        "'FBA fulfillment fee overcharge: order '", 'amazon_order_id',
        "', SKU '", 'sku',
        "case when fnsku is null then '' else " ~ dbt.concat(["' (FNSKU '", 'fnsku', "')'"]) ~ " end",
        "' — charged '", 'currency', "' '", money_text('charged_per_unit'),
        "' per unit for '", dbt.cast('fee_units', dbt.type_string()),
        "' unit(s) on '", dbt.cast('first_fee_date', dbt.type_string()),
        "' as '", "coalesce(amazon_size_tier, 'an unknown size tier')",
        "', while the item measures '", dbt.cast('longest_in', dbt.type_string()), "' x '",
        dbt.cast('median_in', dbt.type_string()), "' x '", dbt.cast('shortest_in', dbt.type_string()),
        "' in and '", dbt.cast('unit_weight_lb', dbt.type_string()), "' lb ('", 'size_tier',
        "', expected fee '", 'currency', "' '", money_text('expected_fee_per_unit'), "' per unit).'"
    ]) }} as case_summary
from overcharged
-- at least a cent left after corrections
where open_overcharge >= 0.01
