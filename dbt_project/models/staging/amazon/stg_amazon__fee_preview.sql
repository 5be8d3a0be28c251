-- Fee preview (estimated FBA and referral fees per SKU), US and EU variants on one set of
-- columns; latest snapshot per SKU and currency (the report is a snapshot refreshed every 72 h).

with

source as (
    select * from {{ source('amazon', 'fee_preview') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(amazon_store as {{ dbt.type_string() }}) as amazon_store,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(product_group as {{ dbt.type_string() }}) as product_group,
        cast(brand as {{ dbt.type_string() }}) as brand,
        cast(fulfilled_by as {{ dbt.type_string() }}) as fulfilled_by,
        cast(has_local_inventory as {{ dbt.type_string() }}) as has_local_inventory,
        cast(your_price as decimal(18, 4)) as your_price,
        cast(sales_price as decimal(18, 4)) as sales_price,
        cast(longest_side as decimal(18, 4)) as longest_side,
        cast(median_side as decimal(18, 4)) as median_side,
        cast(shortest_side as decimal(18, 4)) as shortest_side,
        cast(length_and_girth as decimal(18, 4)) as length_and_girth,
        cast(unit_of_dimension as {{ dbt.type_string() }}) as unit_of_dimension,
        cast(item_package_weight as decimal(18, 4)) as item_package_weight,
        cast(unit_of_weight as {{ dbt.type_string() }}) as unit_of_weight,
        cast(product_size_tier as {{ dbt.type_string() }}) as product_size_tier,
        cast(product_size_weight_band as {{ dbt.type_string() }}) as product_size_weight_band,
        upper(trim(currency)) as currency,
        cast(estimated_fee_total as decimal(18, 4)) as estimated_fee_total,
        cast(estimated_referral_fee_per_unit as decimal(18, 4)) as estimated_referral_fee_per_unit,
        cast(estimated_variable_closing_fee as decimal(18, 4)) as estimated_variable_closing_fee,
        cast(
            estimated_order_handling_fee_per_order as decimal(18, 4)
        ) as estimated_order_handling_fee_per_order,
        cast(
            estimated_pick_pack_fee_per_unit as decimal(18, 4)
        ) as estimated_pick_pack_fee_per_unit,
        cast(
            estimated_weight_handling_fee_per_unit as decimal(18, 4)
        ) as estimated_weight_handling_fee_per_unit,
        cast(
            expected_fulfillment_fee_per_unit as decimal(18, 4)
        ) as expected_fulfillment_fee_per_unit,
        cast(
            expected_efn_fulfilment_fee_per_unit_uk as decimal(18, 4)
        ) as expected_efn_fulfilment_fee_per_unit_uk,
        cast(
            expected_efn_fulfilment_fee_per_unit_de as decimal(18, 4)
        ) as expected_efn_fulfilment_fee_per_unit_de,
        cast(
            expected_efn_fulfilment_fee_per_unit_fr as decimal(18, 4)
        ) as expected_efn_fulfilment_fee_per_unit_fr,
        cast(
            expected_efn_fulfilment_fee_per_unit_it as decimal(18, 4)
        ) as expected_efn_fulfilment_fee_per_unit_it,
        cast(
            expected_efn_fulfilment_fee_per_unit_es as decimal(18, 4)
        ) as expected_efn_fulfilment_fee_per_unit_es,
        cast(
            expected_efn_fulfilment_fee_per_unit_se as decimal(18, 4)
        ) as expected_efn_fulfilment_fee_per_unit_se,
        cast(estimated_future_fee as decimal(18, 4)) as estimated_future_fee,
        cast(
            estimated_future_order_handling_fee_per_order as decimal(18, 4)
        ) as estimated_future_order_handling_fee_per_order,
        cast(
            estimated_future_pick_pack_fee_per_unit as decimal(18, 4)
        ) as estimated_future_pick_pack_fee_per_unit,
        cast(
            estimated_future_weight_handling_fee_per_unit as decimal(18, 4)
        ) as estimated_future_weight_handling_fee_per_unit,
        cast(
            expected_future_fulfillment_fee_per_unit as decimal(18, 4)
        ) as expected_future_fulfillment_fee_per_unit,
        cast(
            estimated_future_referral_fee_per_unit as decimal(18, 4)
        ) as estimated_future_referral_fee_per_unit,
        cast(current_fee_category as {{ dbt.type_string() }}) as current_fee_category,
        cast(future_fee_category as {{ dbt.type_string() }}) as future_fee_category,
        cast(
            future_fee_category_effective_date as {{ dbt.type_string() }}
        ) as future_fee_category_effective_date,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', [
        'seller_id', 'sku', 'fnsku', 'asin', 'currency', 'amazon_store'
    ]) }}
)

select
    seller_id,
    sku,
    fnsku,
    asin,
    amazon_store,
    product_name,
    product_group,
    brand,
    fulfilled_by,
    has_local_inventory,
    your_price,
    sales_price,
    longest_side,
    median_side,
    shortest_side,
    length_and_girth,
    unit_of_dimension,
    item_package_weight,
    unit_of_weight,
    product_size_tier,
    product_size_weight_band,
    currency,
    estimated_fee_total,
    estimated_referral_fee_per_unit,
    estimated_variable_closing_fee,
    estimated_order_handling_fee_per_order,
    estimated_pick_pack_fee_per_unit,
    estimated_weight_handling_fee_per_unit,
    expected_fulfillment_fee_per_unit,
    expected_efn_fulfilment_fee_per_unit_uk,
    expected_efn_fulfilment_fee_per_unit_de,
    expected_efn_fulfilment_fee_per_unit_fr,
    expected_efn_fulfilment_fee_per_unit_it,
    expected_efn_fulfilment_fee_per_unit_es,
    expected_efn_fulfilment_fee_per_unit_se,
    estimated_future_fee,
    estimated_future_order_handling_fee_per_order,
    estimated_future_pick_pack_fee_per_unit,
    estimated_future_weight_handling_fee_per_unit,
    expected_future_fulfillment_fee_per_unit,
    estimated_future_referral_fee_per_unit,
    current_fee_category,
    future_fee_category,
    future_fee_category_effective_date,
    _source_file,
    _row_number,
    _snapshot_at
from latest
