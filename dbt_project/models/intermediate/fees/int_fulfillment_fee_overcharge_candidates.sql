-- fulfillment_fee_overcharge claim candidates (claim-policy.md 2.10, policy-2026.md s3): a
-- size-tier (dimension) dispute, the way Amazon takes it: one claim per seller x SKU x
-- marketplace x month of charge in which Amazon charged a SKU by a measurement that costs
-- more than the seller's own, asking for a re-measurement and the refund of the difference,
-- with the orders as the evidence of what the wrong measurement cost.
--
-- Amazon's measurement is its fee preview (tier and sides, int_product_size_tiers: the tier the
-- preview names, the shipping weight of its sides and weight); the seller's is the product
-- master. No fee-preview row, or a preview that agrees with the seller, is no claim: a charged
-- fee above the card then comes from something the card does not model (the low-inventory-level
-- fee inside the fee line, peak rates), never from a wrong measurement.
--
-- Both measurements are priced on the same fee card: the version in force on the charge date
-- for the marketplace (seed fba_fulfillment_fees, by country, effective_from and price band
-- of the item's unit price), plus the surcharge in force (seed fba_fee_surcharges, rounded to
-- the cent per unit). Per order line and unit:
--   value = least(fee at Amazon's measurement - fee at the seller's, charged - fee at the
--           seller's)
-- counted only for lines charged at least Amazon's fee (within a cent), from the first line
-- charged exactly Amazon's fee on: before it Amazon still charged another measurement, and a
-- line above the seller's fee there is a low-inventory-level fee or a surcharge, not a tier.
-- Fee corrections Amazon already paid for the order (settlement / Finances lines outside Order
-- with amount-description INCORRECT_FEES* / *FEE*CORRECTION* or a positive
-- FBAPerUnitFulfillmentFee; reimbursements of a FeeCorrection reason) are netted per order.
--
-- A line whose card row is missing (no card version for the marketplace and date, or no row
-- for the tier, weight and price band) cannot be valued: its month becomes a claim that waits
-- for the row (evidence "missing_policy"; fct_claims gives it the status needs_data).
-- Anchor (event_date) = the first day of the month of charge (deadline 90 days from it: the
-- earliest charge of the month decides).

{%- set cent = 0.01 %}

with

settled_items as (
    select * from {{ ref('int_order_items_settled') }}
),

product_tiers as (
    select * from {{ ref('int_product_size_tiers') }}
),

fee_card as (
    select * from {{ ref('fba_fulfillment_fees') }}
),

surcharges as (
    select * from {{ ref('fba_fee_surcharges') }}
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
        cast({{ dbt.date_trunc('month', 'first_fee_date') }} as date) as fee_month,
        coalesce(
            nullif(fba_fee_units, 0), nullif(charged_units, 0), 1
        ) as fee_units,
        case
            when charged_units > 0 and charged_principal > 0
                then cast(charged_principal / charged_units as decimal(18, 2))
        end as unit_price
    from settled_items
    where fba_fee_charged > 0 and first_fee_date is not null
),

-- Measurements are looked up once per distinct (seller, SKU, country, fee date).
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
        product_tiers.size_tier,
        product_tiers.shipping_weight_lb,
        product_tiers.longest_in,
        product_tiers.median_in,
        product_tiers.shortest_in,
        product_tiers.unit_weight_lb,
        product_tiers.amazon_size_tier,
        product_tiers.amazon_fee_tier,
        product_tiers.amazon_fee_shipping_weight_lb,
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

disputed as (
    select
        charged.*,
        tier_versions.size_tier,
        tier_versions.shipping_weight_lb,
        tier_versions.longest_in,
        tier_versions.median_in,
        tier_versions.shortest_in,
        tier_versions.unit_weight_lb,
        tier_versions.amazon_size_tier,
        tier_versions.amazon_fee_tier,
        tier_versions.amazon_fee_shipping_weight_lb,
        tier_versions.amazon_longest_in,
        tier_versions.amazon_median_in,
        tier_versions.amazon_shortest_in,
        tier_versions.amazon_weight_lb,
        charged.fba_fee_charged / charged.fee_units as charged_per_unit
    from charged
    inner join tier_versions
        on
            charged.seller_id = tier_versions.seller_id
            and charged.sku = tier_versions.sku
            and charged.country = tier_versions.country
            and charged.first_fee_date = tier_versions.first_fee_date
            and tier_versions.version_rank = 1
    where tier_versions.amazon_measurement_disagrees
),

-- The card version in force per (country, charge date): the greatest effective_from on or
-- before the date; its rows replace the older version's as a whole.
card_versions as (
    select distinct
        country,
        effective_from
    from fee_card
),

charge_dates as (
    select distinct
        country,
        first_fee_date
    from disputed
),

card_in_force as (
    select
        dates.country,
        dates.first_fee_date,
        card_versions.effective_from as card_since,
        row_number() over (
            partition by dates.country, dates.first_fee_date
            order by card_versions.effective_from desc
        ) as card_rank
    from charge_dates as dates
    inner join card_versions
        on
            dates.country = card_versions.country
            and dates.first_fee_date >= card_versions.effective_from
),

surcharge_in_force as (
    select
        dates.country,
        dates.first_fee_date,
        surcharges.surcharge_rate,
        surcharges.effective_from as surcharge_since,
        row_number() over (
            partition by dates.country, dates.first_fee_date
            order by surcharges.effective_from desc
        ) as surcharge_rank
    from charge_dates as dates
    inner join surcharges
        on
            dates.country = surcharges.country
            and dates.first_fee_date >= surcharges.effective_from
),

carded as (
    select
        disputed.*,
        card_in_force.card_since,
        surcharge_in_force.surcharge_since,
        coalesce(surcharge_in_force.surcharge_rate, 0) as surcharge_rate
    from disputed
    left join card_in_force
        on
            disputed.country = card_in_force.country
            and disputed.first_fee_date = card_in_force.first_fee_date
            and card_in_force.card_rank = 1
    left join surcharge_in_force
        on
            disputed.country = surcharge_in_force.country
            and disputed.first_fee_date = surcharge_in_force.first_fee_date
            and surcharge_in_force.surcharge_rank = 1
),

-- Each line twice: by the seller's measurement and by Amazon's.
measurements as (
    select
        seller_id,
        amazon_order_id,
        sku,
        country,
        card_since,
        unit_price,
        size_tier as tier,
        shipping_weight_lb as weight_lb,
        'seller' as measured_by
    from carded
    union all
    select
        seller_id,
        amazon_order_id,
        sku,
        country,
        card_since,
        unit_price,
        amazon_fee_tier as tier,
        amazon_fee_shipping_weight_lb as weight_lb,
        'amazon' as measured_by
    from carded
),

-- One card row per line and measurement: tier, weight band, price band.
card_rows as (
    select
        measurements.seller_id,
        measurements.amazon_order_id,
        measurements.sku,
        measurements.measured_by,
        fee_card.confidence,
        cast(fee_card.base_fee + case
            when
                fee_card.step_lb > 0
                and measurements.weight_lb > fee_card.steps_above_lb
                then ceil(
                        (measurements.weight_lb - fee_card.steps_above_lb) / fee_card.step_lb
                    ) * fee_card.fee_per_step
            else 0
        end as decimal(18, 4)) as card_fee
    from measurements
    inner join fee_card
        on
            measurements.country = fee_card.country
            and measurements.card_since = fee_card.effective_from
            and measurements.tier = fee_card.size_tier
            and measurements.weight_lb > fee_card.weight_over_lb
            and measurements.weight_lb <= fee_card.weight_upto_lb
            and (fee_card.price_from is null or measurements.unit_price >= fee_card.price_from)
            and (fee_card.price_to is null or measurements.unit_price <= fee_card.price_to)
),

priced as (
    select
        carded.*,
        seller_row.card_fee as seller_card_fee,
        amazon_row.card_fee as amazon_card_fee,
        case
            when seller_row.confidence = 'confirmed' and amazon_row.confidence = 'confirmed'
                then 'confirmed'
            else 'assumed'
        end as card_confidence,
        seller_row.card_fee
        + round(seller_row.card_fee * carded.surcharge_rate, 2) as seller_fee,
        amazon_row.card_fee
        + round(amazon_row.card_fee * carded.surcharge_rate, 2) as amazon_fee
    from carded
    left join card_rows as seller_row
        on
            carded.seller_id = seller_row.seller_id
            and carded.amazon_order_id = seller_row.amazon_order_id
            and carded.sku = seller_row.sku
            and seller_row.measured_by = 'seller'
    left join card_rows as amazon_row
        on
            carded.seller_id = amazon_row.seller_id
            and carded.amazon_order_id = amazon_row.amazon_order_id
            and carded.sku = amazon_row.sku
            and amazon_row.measured_by = 'amazon'
),

with_start as (
    select
        *,
        min(
            case
                when
                    amazon_fee - seller_fee >= {{ cent }}
                    and abs(charged_per_unit - amazon_fee) <= {{ cent }}
                    then first_fee_date
            end
        ) over (partition by seller_id, sku, country) as wrong_tier_since
    from priced
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

lines as (
    select
        with_start.*,
        coalesce(money_corrections.credited, 0)
        + coalesce(reimbursed_corrections.credited, 0) as credited,
        case
            when with_start.card_since is null
                then {{ dbt.concat([
                    "'fba_fulfillment_fees card for '", 'with_start.country', "' on '",
                    dbt.cast('with_start.first_fee_date', dbt.type_string())
                ]) }}
            when with_start.unit_price is null
                then {{ dbt.concat([
                    "'the item price of order '", 'with_start.amazon_order_id',
                    "' (the card has price bands)'"
                ]) }}
            when with_start.seller_fee is null or with_start.amazon_fee is null
                then {{ dbt.concat([
                    "'fba_fulfillment_fees row for '", 'with_start.country', "' card '",
                    dbt.cast('with_start.card_since', dbt.type_string()), "': '",
                    "case when with_start.seller_fee is null then with_start.size_tier "
                        ~ "else with_start.amazon_fee_tier end",
                    "' at '",
                    "cast(case when with_start.seller_fee is null then with_start.shipping_weight_lb "
                        ~ "else with_start.amazon_fee_shipping_weight_lb end as "
                        ~ dbt.type_string() ~ ")",
                    "' lb, price '", dbt.cast('with_start.unit_price', dbt.type_string())
                ]) }}
        end as missing_policy
    from with_start
    left join money_corrections
        on
            with_start.seller_id = money_corrections.seller_id
            and with_start.amazon_order_id = money_corrections.amazon_order_id
            and with_start.sku = money_corrections.sku
    left join reimbursed_corrections
        on
            with_start.seller_id = reimbursed_corrections.seller_id
            and with_start.amazon_order_id = reimbursed_corrections.amazon_order_id
            and with_start.sku = reimbursed_corrections.sku
),

-- Lines of the wrong-tier period with their value, and lines that wait for a card row (only
-- when something was charged above the seller's fee, or the seller's fee is unknown).
valued_lines as (
    select
        *,
        case
            when missing_policy is not null then null
            when
                amazon_fee - seller_fee >= {{ cent }}
                and wrong_tier_since is not null
                and first_fee_date >= wrong_tier_since
                and charged_per_unit >= amazon_fee - {{ cent }}
                then greatest(
                        cast(
                            least(amazon_fee - seller_fee, charged_per_unit - seller_fee)
                            * fee_units - credited
                            as decimal(18, 4)
                        ),
                        0
                    )
        end as line_overcharge
    from lines
    where
        missing_policy is not null
        and (seller_fee is null or charged_per_unit - seller_fee >= {{ cent }})
        or (
            missing_policy is null
            and amazon_fee - seller_fee >= {{ cent }}
            and wrong_tier_since is not null
            and first_fee_date >= wrong_tier_since
            and charged_per_unit >= amazon_fee - {{ cent }}
        )
),

claims as (
    select
        seller_id,
        sku,
        country,
        fee_month,
        min(currency) as currency,
        min(first_fee_date) as first_fee_date,
        max(first_fee_date) as last_fee_date,
        sum(case when line_overcharge > 0 then fee_units else 0 end) as units,
        sum(coalesce(line_overcharge, 0)) as overcharge,
        sum(credited) as credited,
        count(*) as order_lines,
        min(missing_policy) as missing_policy,
        min(size_tier) as size_tier,
        min(shipping_weight_lb) as shipping_weight_lb,
        min(longest_in) as longest_in,
        min(median_in) as median_in,
        min(shortest_in) as shortest_in,
        min(unit_weight_lb) as unit_weight_lb,
        min(amazon_size_tier) as amazon_size_tier,
        min(amazon_fee_tier) as amazon_fee_tier,
        min(amazon_fee_shipping_weight_lb) as amazon_fee_shipping_weight_lb,
        min(amazon_longest_in) as amazon_longest_in,
        min(amazon_median_in) as amazon_median_in,
        min(amazon_shortest_in) as amazon_shortest_in,
        min(amazon_weight_lb) as amazon_weight_lb,
        min(card_since) as card_since,
        max(card_since) as card_until,
        min(card_confidence) as card_confidence,
        max(surcharge_rate) as surcharge_rate,
        min(seller_fee) as seller_fee_min,
        max(seller_fee) as seller_fee_max,
        min(amazon_fee) as amazon_fee_min,
        max(amazon_fee) as amazon_fee_max,
        {{ json_array_agg(build_json_object([
            ['order_id', 'amazon_order_id'],
            ['fee_date', dbt.cast('first_fee_date', dbt.type_string())],
            ['units', 'fee_units', 'number'],
            ['unit_price', 'unit_price', 'number'],
            ['charged_per_unit', 'cast(charged_per_unit as decimal(18, 4))', 'number'],
            ['fee_at_seller_measurement', 'seller_fee', 'number'],
            ['fee_at_amazon_measurement', 'amazon_fee', 'number'],
            ['already_credited', 'credited', 'number'],
            ['overcharge', 'line_overcharge', 'number'],
        ]), 'first_fee_date, amazon_order_id') }} as orders_json
    from valued_lines
    group by seller_id, sku, country, fee_month
),

open_claims as (
    select
        claims.*,
        sku_identities.fnsku,
        sku_identities.asin,
        case when claims.units > 0 then claims.units else claims.order_lines end as quantity
    from claims
    left join sku_identities
        on
            claims.seller_id = sku_identities.seller_id
            and claims.sku = sku_identities.sku
    where claims.missing_policy is not null or claims.overcharge >= {{ cent }}
)

select
    seller_id,
    cast('fulfillment_fee_overcharge' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['sku', 'country', 'fee_month']) }} as claim_key,
    fnsku,
    sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    fee_month as event_date,
    country,
    cast(quantity as {{ dbt.type_bigint() }}) as quantity,
    case
        when missing_policy is null then cast(overcharge / quantity as decimal(18, 4))
    end as unit_value,
    currency as value_currency,
    cast('amazon_tier_fee_minus_seller_tier_fee' as {{ dbt.type_string() }}) as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'fulfillment_fee_overcharge'"],
        ['msku', 'sku'],
        ['fnsku', 'fnsku'],
        ['asin', 'asin'],
        ['country', 'country'],
        ['month_of_charge', dbt.cast('fee_month', dbt.type_string())],
        ['first_fee_date', dbt.cast('first_fee_date', dbt.type_string())],
        ['last_fee_date', dbt.cast('last_fee_date', dbt.type_string())],
        ['units', 'units', 'number'],
        ['overcharge', 'overcharge', 'number'],
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
        ['amazon_tier_on_card', 'amazon_fee_tier'],
        ['amazon_dimensions_in', build_json_object([
            ['longest', 'amazon_longest_in', 'number'],
            ['median', 'amazon_median_in', 'number'],
            ['shortest', 'amazon_shortest_in', 'number'],
        ]), 'json'],
        ['amazon_weight_lb', 'amazon_weight_lb', 'number'],
        ['amazon_shipping_weight_lb', 'amazon_fee_shipping_weight_lb', 'number'],
        ['fee_card_policy_row', dbt.concat([
            "'fba_fulfillment_fees:'", 'country', "':'",
            dbt.cast('card_since', dbt.type_string())
        ])],
        ['fee_card_confidence', 'card_confidence'],
        ['surcharge_rate', 'surcharge_rate', 'number'],
        ['orders', 'orders_json', 'json'],
        ['missing_policy', 'missing_policy'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'FBA fulfillment fee dimension dispute: SKU '", 'sku',
        "case when asin is null then '' else " ~ dbt.concat(["' (ASIN '", 'asin', "')'"]) ~ " end",
        "', '", dbt.cast('quantity', dbt.type_string()), "' unit(s) charged between '",
        dbt.cast('first_fee_date', dbt.type_string()), "' and '",
        dbt.cast('last_fee_date', dbt.type_string()), "' as '",
        "coalesce(amazon_size_tier, amazon_fee_tier, 'an unknown size tier')",
        "' (Amazon measured '", measure_text('amazon_longest_in'), "' x '",
        measure_text('amazon_median_in'), "' x '",
        measure_text('amazon_shortest_in'), "' in, '",
        measure_text('amazon_weight_lb'), "' lb), while the item measures '",
        measure_text('longest_in'), "' x '",
        measure_text('median_in'), "' x '",
        measure_text('shortest_in'), "' in and '",
        measure_text('unit_weight_lb'), "' lb ('", 'size_tier', "').'",
        "case when missing_policy is not null then '' else " ~ dbt.concat([
            "' The fee at the item''s own measurement is '", 'currency', "' '",
            money_text('seller_fee_min', 'currency'),
            "case when seller_fee_max = seller_fee_min then '' else "
                ~ dbt.concat(["' to '", money_text('seller_fee_max', 'currency')]) ~ " end",
            "' per unit against '", 'currency', "' '", money_text('amazon_fee_min', 'currency'),
            "case when amazon_fee_max = amazon_fee_min then '' else "
                ~ dbt.concat(["' to '", money_text('amazon_fee_max', 'currency')]) ~ " end",
            "' charged'",
            "case when card_confidence = 'confirmed' then '' else "
                ~ "' (by our reading of the fee table in force, to be checked against Amazon''s)' end",
            "'; the orders are listed in the evidence.'"
        ]) ~ " end"
    ]) }} as case_summary
from open_claims
