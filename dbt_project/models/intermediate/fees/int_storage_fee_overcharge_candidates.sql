-- storage_fee_overcharge claim candidates (claim-policy.md 2.11): monthly storage fee rows
-- (GET_FBA_STORAGE_FEE_CHARGES_DATA, latest snapshot) whose item_volume is larger than the volume
-- of the seller's own dimensions (product master, converted to the row's volume_units: cubic feet,
-- cubic centimetres or cubic metres) by more than 5 %. The fee is recomputed with the rate the row
-- implies (estimated_monthly_storage_fee / (average_quantity_on_hand x item_volume), which
-- includes any utilization surcharge):
--   expected = average_quantity_on_hand x seller volume x implied rate
--   overcharge = estimated_monthly_storage_fee - expected      (claimed when >= 0.01)
-- Recomputed per fulfillment center, claimed once per (seller, FNSKU, country, month of charge)
-- with the centers' overcharges summed and listed in the evidence; event_date = the first day
-- of the month charged (the window seed runs 0/90 days from it, a conservative reading of
-- "90 days from the month of the charge"). No storage-fee refunds are netted: the reports carry
-- no line for them (open question).

with

storage_fees as (
    select * from {{ ref('stg_amazon__storage_fees') }}
),

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

fnsku_skus as (
    select
        seller_id,
        fnsku,
        msku,
        row_number() over (
            partition by seller_id, fnsku
            order by count(*) desc, msku asc
        ) as usage_rank
    from ledger
    where msku is not null and fnsku is not null
    group by seller_id, fnsku, msku
),

charges as (
    select
        seller_id,
        fnsku,
        month_of_charge,
        fulfillment_center,
        min(asin) as asin,
        min(sku) as sku,
        min(country_code) as country,
        min(currency) as currency,
        min(product_size_tier) as product_size_tier,
        min(lower(volume_units)) as volume_units,
        max(item_volume) as item_volume,
        max(longest_side) as longest_side,
        max(median_side) as median_side,
        max(shortest_side) as shortest_side,
        min(measurement_units) as measurement_units,
        max(storage_rate) as storage_rate,
        sum(average_quantity_on_hand) as average_quantity_on_hand,
        sum(estimated_monthly_storage_fee) as fee_charged
    from storage_fees
    where
        fnsku is not null
        and month_of_charge is not null
        and estimated_monthly_storage_fee > 0
        and average_quantity_on_hand > 0
        and item_volume > 0
    group by seller_id, fnsku, month_of_charge, fulfillment_center
),

with_seller_volume as (
    select
        charges.*,
        product_costs.length_in,
        product_costs.width_in,
        product_costs.height_in,
        coalesce(charges.sku, fnsku_skus.msku) as claim_sku,
        product_costs.length_in * product_costs.width_in * product_costs.height_in
        * case
            when charges.volume_units like '%cent%' or charges.volume_units like 'cm%'
                then 16.387064
            when charges.volume_units like '%met%' or charges.volume_units like 'm%'
                then 0.000016387064
            when charges.volume_units like '%f%t%' then 1.0 / 1728
        end as seller_volume
    from charges
    left join fnsku_skus
        on
            charges.seller_id = fnsku_skus.seller_id
            and charges.fnsku = fnsku_skus.fnsku
            and fnsku_skus.usage_rank = 1
    inner join product_costs
        on
            charges.seller_id = product_costs.seller_id
            and coalesce(charges.sku, fnsku_skus.msku) = product_costs.sku
    where
        product_costs.length_in > 0
        and product_costs.width_in > 0
        and product_costs.height_in > 0
),

recomputed as (
    select
        *,
        cast(fee_charged * seller_volume / item_volume as decimal(18, 4)) as expected_fee,
        fee_charged / (average_quantity_on_hand * item_volume) as implied_rate
    from with_seller_volume
    where
        seller_volume > 0
        and item_volume > seller_volume * 1.05
),

overcharged as (
    select
        *,
        fee_charged - expected_fee as overcharge,
        case when upper(country) = 'UK' then 'GB' else upper(country) end as claim_country
    from recomputed
    where fee_charged - expected_fee >= 0.01
),

-- One claim per item and month: Amazon takes a dimension dispute per item, not per building.
-- Each fulfillment center's row is recomputed on its own (above) and the overcharges summed.
monthly as (
    select
        seller_id,
        fnsku,
        claim_country as country,
        month_of_charge,
        min(claim_sku) as claim_sku,
        min(asin) as asin,
        min(currency) as currency,
        min(product_size_tier) as product_size_tier,
        min(volume_units) as volume_units,
        max(item_volume) as item_volume,
        min(seller_volume) as seller_volume,
        min(length_in) as length_in,
        min(width_in) as width_in,
        min(height_in) as height_in,
        sum(average_quantity_on_hand) as average_quantity_on_hand,
        sum(fee_charged) as fee_charged,
        sum(expected_fee) as expected_fee,
        sum(overcharge) as overcharge,
        {{ json_array_agg(build_json_object([
            ['fulfillment_center', 'fulfillment_center'],
            ['amazon_item_volume', 'item_volume', 'number'],
            ['amazon_sides', build_json_object([
                ['longest', 'longest_side', 'number'],
                ['median', 'median_side', 'number'],
                ['shortest', 'shortest_side', 'number'],
                ['units', 'measurement_units'],
            ]), 'json'],
            ['average_quantity_on_hand', 'average_quantity_on_hand', 'number'],
            ['storage_rate', 'storage_rate', 'number'],
            ['implied_rate', 'cast(implied_rate as decimal(18, 6))', 'number'],
            ['fee_charged', 'fee_charged', 'number'],
            ['expected_fee', 'expected_fee', 'number'],
            ['overcharge', 'overcharge', 'number'],
        ]), 'fulfillment_center') }} as centers_json,
        {{ dbt.listagg('fulfillment_center', "', '", 'order by fulfillment_center') }}
            as fulfillment_centers
    from overcharged
    group by seller_id, fnsku, claim_country, month_of_charge
)

select
    seller_id,
    cast('storage_fee_overcharge' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['fnsku', 'country', 'month_of_charge']) }} as claim_key,
    fnsku,
    claim_sku as sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    cast(null as {{ dbt.type_string() }}) as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    month_of_charge as event_date,
    country,
    cast(1 as {{ dbt.type_bigint() }}) as quantity,
    cast(overcharge as decimal(18, 4)) as unit_value,
    currency as value_currency,
    cast('charged_minus_expected_fee' as {{ dbt.type_string() }}) as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'storage_fee_overcharge'"],
        ['fnsku', 'fnsku'],
        ['msku', 'claim_sku'],
        ['asin', 'asin'],
        ['month_of_charge', dbt.cast('month_of_charge', dbt.type_string())],
        ['country', 'country'],
        ['product_size_tier', 'product_size_tier'],
        ['seller_dimensions_in', build_json_object([
            ['length', 'length_in', 'number'],
            ['width', 'width_in', 'number'],
            ['height', 'height_in', 'number'],
        ]), 'json'],
        ['seller_item_volume', 'cast(seller_volume as decimal(18, 6))', 'number'],
        ['volume_units', 'volume_units'],
        ['fulfillment_centers', 'centers_json', 'json'],
        ['fee_charged', 'fee_charged', 'number'],
        ['expected_fee', 'expected_fee', 'number'],
        ['overcharge', 'overcharge', 'number'],
        ['currency', 'currency'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Storage fee overcharge: FNSKU '", 'fnsku',
        "' (SKU '", "coalesce(claim_sku, 'unknown')", "'), storage month '",
        dbt.cast('month_of_charge', dbt.type_string()),
        "', fulfillment center(s) '", 'fulfillment_centers',
        "' — charged '", 'currency', "' '", money_text('fee_charged', 'currency'),
        "' for an item volume of up to '", measure_text('item_volume', 4), "' '",
        "coalesce(volume_units, '')", "', while the item measures '",
        measure_text('length_in'), "' x '", measure_text('width_in'),
        "' x '", measure_text('height_in'), "' in ('",
        measure_text('seller_volume', 4), "' '", "coalesce(volume_units, '')",
        "'); at the same rates the fee is '", 'currency', "' '", money_text('expected_fee', 'currency'),
        "'.'"
    ]) }} as case_summary
from monthly
