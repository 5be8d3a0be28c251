-- Monthly storage fee estimates per ASIN/FNSKU and fulfillment center; latest snapshot of each
-- row (estimates are revised). month_of_charge is the first day of the month charged.

with

source as (
    select * from {{ source('amazon', 'storage_fees') }}
),

renamed as (
    select
        cast(seller_id as {{ dbt.type_string() }}) as seller_id,
        cast(asin as {{ dbt.type_string() }}) as asin,
        cast(fnsku as {{ dbt.type_string() }}) as fnsku,
        cast(sku as {{ dbt.type_string() }}) as sku,
        cast(product_name as {{ dbt.type_string() }}) as product_name,
        cast(fulfillment_center as {{ dbt.type_string() }}) as fulfillment_center,
        cast(country_code as {{ dbt.type_string() }}) as country_code,
        cast(longest_side as decimal(18, 6)) as longest_side,
        cast(median_side as decimal(18, 6)) as median_side,
        cast(shortest_side as decimal(18, 6)) as shortest_side,
        cast(measurement_units as {{ dbt.type_string() }}) as measurement_units,
        cast(weight as decimal(18, 6)) as weight,
        cast(weight_units as {{ dbt.type_string() }}) as weight_units,
        cast(item_volume as decimal(18, 6)) as item_volume,
        cast(volume_units as {{ dbt.type_string() }}) as volume_units,
        cast(product_size_tier as {{ dbt.type_string() }}) as product_size_tier,
        cast(average_quantity_on_hand as decimal(18, 6)) as average_quantity_on_hand,
        cast(
            average_quantity_pending_removal as decimal(18, 6)
        ) as average_quantity_pending_removal,
        cast(estimated_total_item_volume as decimal(18, 6)) as estimated_total_item_volume,
        cast(month_of_charge as date) as month_of_charge,
        cast(storage_rate as decimal(18, 4)) as storage_rate,
        upper(trim(currency)) as currency,
        cast(estimated_monthly_storage_fee as decimal(18, 4)) as estimated_monthly_storage_fee,
        cast(
            dangerous_goods_storage_type as {{ dbt.type_string() }}
        ) as dangerous_goods_storage_type,
        cast(
            eligible_for_inventory_discount as {{ dbt.type_string() }}
        ) as eligible_for_inventory_discount,
        cast(
            qualifies_for_inventory_discount as {{ dbt.type_string() }}
        ) as qualifies_for_inventory_discount,
        cast(total_incentive_fee_amount as decimal(18, 4)) as total_incentive_fee_amount,
        cast(
            breakdown_incentive_fee_amount as {{ dbt.type_string() }}
        ) as breakdown_incentive_fee_amount,
        cast(
            average_quantity_customer_orders as decimal(18, 6)
        ) as average_quantity_customer_orders,
        cast(storage_utilization_ratio as {{ dbt.type_string() }}) as storage_utilization_ratio,
        cast(
            storage_utilization_ratio_units as {{ dbt.type_string() }}
        ) as storage_utilization_ratio_units,
        cast(base_rate as decimal(18, 4)) as base_rate,
        cast(utilization_surcharge_rate as decimal(18, 4)) as utilization_surcharge_rate,
        cast(avg_qty_for_sus as decimal(18, 6)) as avg_qty_for_sus,
        cast(est_vol_for_sus as decimal(18, 6)) as est_vol_for_sus,
        cast(est_base_msf as decimal(18, 4)) as est_base_msf,
        cast(est_sus as decimal(18, 4)) as est_sus,
        cast(_source_file as {{ dbt.type_string() }}) as _source_file,
        cast(_row_number as {{ dbt.type_bigint() }}) as _row_number,
        cast(_snapshot_at as {{ dbt.type_timestamp() }}) as _snapshot_at
    from source
),

latest as (
    {{ latest_document_rows('renamed', [
        'seller_id', 'month_of_charge', 'asin', 'fnsku', 'fulfillment_center', 'country_code'
    ]) }}
)

select
    seller_id,
    asin,
    fnsku,
    sku,
    product_name,
    fulfillment_center,
    country_code,
    longest_side,
    median_side,
    shortest_side,
    measurement_units,
    weight,
    weight_units,
    item_volume,
    volume_units,
    product_size_tier,
    average_quantity_on_hand,
    average_quantity_pending_removal,
    estimated_total_item_volume,
    month_of_charge,
    storage_rate,
    currency,
    estimated_monthly_storage_fee,
    dangerous_goods_storage_type,
    eligible_for_inventory_discount,
    qualifies_for_inventory_discount,
    total_incentive_fee_amount,
    breakdown_incentive_fee_amount,
    average_quantity_customer_orders,
    storage_utilization_ratio,
    storage_utilization_ratio_units,
    base_rate,
    utilization_surcharge_rate,
    avg_qty_for_sus,
    est_vol_for_sus,
    est_base_msf,
    est_sus,
    _source_file,
    _row_number,
    _snapshot_at
from latest
