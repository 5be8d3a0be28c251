-- The FBA size tier and shipping weight each SKU should have, from the seller's own dimensions
-- and weight (product master length_in, width_in, height_in, weight_lb), for every version of
-- the size-tier rules (seed fba_size_tiers, by country and effective date), next to Amazon's own
-- measurement from the fee preview (product-size-tier, sides and item-package-weight, converted
-- to inches and pounds). One row per (seller, SKU, country, tier rules effective_from).
--   sides: longest / median / shortest of the three dimensions
--   dimensional weight = longest x max(median, min_side) x max(shortest, min_side) / 139
--   shipping weight = unit weight, or the greater of unit and dimensional weight (weight_basis)
--   size tier = the lowest tier_rank whose limits (blank = none) the sides, length + girth and
--               shipping weight fit
-- amazon_measurement_disagrees: the fee preview's tier differs (ignoring case, spaces, hyphens and
-- a trailing "size"; a tier name may go on with its weight range, "Extra-Large 0 to 50 lb"), or
-- one of its sides, its weight or the shipping weight its sides and weight give (same weight
-- basis as the seller's tier) exceeds the seller's by more than 5 % (and 0.1 in / 0.05 lb). The
-- shipping weight test catches sides each a little larger that together put the unit in a
-- heavier dimensional-weight band of the same tier. NULL when the SKU has no fee preview.

with

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

fee_preview as (
    select * from {{ ref('stg_amazon__fee_preview') }}
),

tiers as (
    select * from {{ ref('fba_size_tiers') }}
),

seller_dimensions as (
    select
        seller_id,
        sku,
        weight_lb,
        greatest(length_in, width_in, height_in) as longest_in,
        least(length_in, width_in, height_in) as shortest_in,
        length_in + width_in + height_in
        - greatest(length_in, width_in, height_in)
        - least(length_in, width_in, height_in) as median_in
    from product_costs
    where
        length_in > 0
        and width_in > 0
        and height_in > 0
        and weight_lb > 0
),

candidate_tiers as (
    select
        seller_dimensions.*,
        tiers.country,
        tiers.effective_from,
        tiers.size_tier,
        tiers.tier_rank,
        tiers.max_longest_in,
        tiers.max_median_in,
        tiers.max_shortest_in,
        tiers.max_length_girth_in,
        tiers.max_weight_lb,
        tiers.weight_basis,
        coalesce(tiers.min_side_in, 0) as min_side_in,
        case
            when tiers.weight_basis = 'unit' then seller_dimensions.weight_lb
            else greatest(
                    seller_dimensions.weight_lb,
                    seller_dimensions.longest_in
                    * greatest(seller_dimensions.median_in, coalesce(tiers.min_side_in, 0))
                    * greatest(seller_dimensions.shortest_in, coalesce(tiers.min_side_in, 0))
                    / 139
                )
        end as shipping_weight_lb,
        seller_dimensions.longest_in
        + 2 * (seller_dimensions.median_in + seller_dimensions.shortest_in) as length_girth_in
    from seller_dimensions
    cross join tiers
),

fitting as (
    select
        *,
        row_number() over (
            partition by seller_id, sku, country, effective_from
            order by tier_rank
        ) as fit_rank
    from candidate_tiers
    where
        (max_longest_in is null or longest_in <= max_longest_in)
        and (max_median_in is null or median_in <= max_median_in)
        and (max_shortest_in is null or shortest_in <= max_shortest_in)
        and (max_length_girth_in is null or length_girth_in <= max_length_girth_in)
        and (max_weight_lb is null or shipping_weight_lb <= max_weight_lb)
),

preview_rows as (
    select
        seller_id,
        sku,
        product_size_tier,
        expected_fulfillment_fee_per_unit,
        currency,
        longest_side,
        median_side,
        shortest_side,
        item_package_weight,
        case
            when lower(unit_of_dimension) like 'c%' then 1 / 2.54
            when lower(unit_of_dimension) like 'm%' then 1 / 0.0254
            else 1
        end as to_inches,
        case
            when lower(unit_of_weight) like 'o%' then 1.0 / 16
            when lower(unit_of_weight) like 'k%' then 2.20462262
            when lower(unit_of_weight) like 'g%' then 1 / 453.59237
            else 1
        end as to_pounds,
        row_number() over (
            partition by seller_id, sku
            order by _snapshot_at desc, _source_file desc, _row_number asc
        ) as preview_rank
    from fee_preview
),

preview as (
    select
        seller_id,
        sku,
        product_size_tier,
        expected_fulfillment_fee_per_unit,
        currency,
        longest_side * to_inches as longest_in,
        median_side * to_inches as median_in,
        shortest_side * to_inches as shortest_in,
        item_package_weight * to_pounds as weight_lb
    from preview_rows
    where preview_rank = 1
),

-- Amazon's measurement placed in the same tier rules: the tier its fee preview names (matched
-- like amazon_measurement_disagrees below), else the first tier its own sides and weight fit;
-- the shipping weight from its sides and weight on that tier's weight basis. This is the tier
-- and weight Amazon charges by, priced on the fee card by the fee rule.
amazon_candidates as (
    select
        preview.seller_id,
        preview.sku,
        tiers.country,
        tiers.effective_from,
        tiers.size_tier,
        tiers.tier_rank,
        tiers.max_weight_lb,
        case
            when tiers.weight_basis = 'unit' then preview.weight_lb
            else greatest(
                    preview.weight_lb,
                    preview.longest_in
                    * greatest(preview.median_in, coalesce(tiers.min_side_in, 0))
                    * greatest(preview.shortest_in, coalesce(tiers.min_side_in, 0))
                    / 139
                )
        end as shipping_weight_lb,
        replace(
            replace(replace(lower(preview.product_size_tier), ' ', ''), '-', ''), 'size', ''
        ) as amazon_tier_key,
        replace(
            replace(replace(lower(tiers.size_tier), ' ', ''), '-', ''), 'size', ''
        ) as tier_key,
        (tiers.max_longest_in is null or preview.longest_in <= tiers.max_longest_in)
        and (tiers.max_median_in is null or preview.median_in <= tiers.max_median_in)
        and (tiers.max_shortest_in is null or preview.shortest_in <= tiers.max_shortest_in)
        and (
            tiers.max_length_girth_in is null
            or preview.longest_in + 2 * (preview.median_in + preview.shortest_in)
            <= tiers.max_length_girth_in
        ) as sides_fit
    from preview
    cross join tiers
    where
        preview.longest_in > 0
        and preview.median_in > 0
        and preview.shortest_in > 0
        and preview.weight_lb > 0
),

amazon_tiers as (
    select
        *,
        amazon_tier_key = tier_key
        or (
            {{ dbt.position('tier_key', 'amazon_tier_key') }} = 1
            and {{ dbt.length('amazon_tier_key') }} > {{ dbt.length('tier_key') }}
            and substring(amazon_tier_key, {{ dbt.length('tier_key') }} + 1, 1)
            between '0' and '9'
        ) as named_by_amazon
    from amazon_candidates
),

amazon_fit as (
    select *
    from amazon_tiers
    where
        named_by_amazon
        or (sides_fit and (max_weight_lb is null or shipping_weight_lb <= max_weight_lb))
),

amazon_choice as (
    select
        *,
        row_number() over (
            partition by seller_id, sku, country, effective_from
            order by case when named_by_amazon then 0 else 1 end, tier_rank
        ) as choice_rank
    from amazon_fit
),

compared as (
    select
        fitting.*,
        amazon_choice.size_tier as amazon_fee_tier,
        amazon_choice.shipping_weight_lb as amazon_fee_shipping_weight_lb,
        preview.sku as preview_sku,
        preview.product_size_tier as amazon_size_tier,
        preview.expected_fulfillment_fee_per_unit as amazon_expected_fee_per_unit,
        preview.longest_in as amazon_longest_in,
        preview.median_in as amazon_median_in,
        preview.shortest_in as amazon_shortest_in,
        preview.weight_lb as amazon_weight_lb,
        case
            when fitting.weight_basis = 'unit' then preview.weight_lb
            else greatest(
                    preview.weight_lb,
                    preview.longest_in
                    * greatest(preview.median_in, fitting.min_side_in)
                    * greatest(preview.shortest_in, fitting.min_side_in)
                    / 139
                )
        end as amazon_shipping_weight_lb,
        replace(
            replace(replace(lower(preview.product_size_tier), ' ', ''), '-', ''), 'size', ''
        ) as amazon_tier_key,
        replace(
            replace(replace(lower(fitting.size_tier), ' ', ''), '-', ''), 'size', ''
        ) as seller_tier_key
    from fitting
    left join preview
        on
            fitting.seller_id = preview.seller_id
            and fitting.sku = preview.sku
    left join amazon_choice
        on
            fitting.seller_id = amazon_choice.seller_id
            and fitting.sku = amazon_choice.sku
            and fitting.country = amazon_choice.country
            and fitting.effective_from = amazon_choice.effective_from
            and amazon_choice.choice_rank = 1
    where fitting.fit_rank = 1
)

select
    seller_id,
    sku,
    country,
    effective_from,
    size_tier,
    amazon_size_tier,
    amazon_expected_fee_per_unit,
    cast(longest_in as decimal(18, 4)) as longest_in,
    cast(median_in as decimal(18, 4)) as median_in,
    cast(shortest_in as decimal(18, 4)) as shortest_in,
    cast(weight_lb as decimal(18, 4)) as unit_weight_lb,
    cast(shipping_weight_lb as decimal(18, 4)) as shipping_weight_lb,
    cast(amazon_longest_in as decimal(18, 4)) as amazon_longest_in,
    cast(amazon_median_in as decimal(18, 4)) as amazon_median_in,
    cast(amazon_shortest_in as decimal(18, 4)) as amazon_shortest_in,
    cast(amazon_weight_lb as decimal(18, 4)) as amazon_weight_lb,
    cast(amazon_shipping_weight_lb as decimal(18, 4)) as amazon_shipping_weight_lb,
    amazon_fee_tier,
    cast(amazon_fee_shipping_weight_lb as decimal(18, 4)) as amazon_fee_shipping_weight_lb,
    case
        when preview_sku is null then null
        when
            amazon_tier_key is not null
            and amazon_tier_key != seller_tier_key
            and not (
                {{ dbt.position('seller_tier_key', 'amazon_tier_key') }} = 1
                and {{ dbt.length('amazon_tier_key') }} > {{ dbt.length('seller_tier_key') }}
                and substring(amazon_tier_key, {{ dbt.length('seller_tier_key') }} + 1, 1)
                between '0' and '9'
            )
            then true
        when amazon_longest_in > longest_in * 1.05 + 0.1 then true
        when amazon_median_in > median_in * 1.05 + 0.1 then true
        when amazon_shortest_in > shortest_in * 1.05 + 0.1 then true
        when amazon_weight_lb > weight_lb * 1.05 + 0.05 then true
        when amazon_shipping_weight_lb > shipping_weight_lb * 1.05 + 0.05 then true
        else false
    end as amazon_measurement_disagrees
from compared
