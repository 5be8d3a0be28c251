-- disposed_unauthorized claim candidates (claim-policy.md 2.3): sellable units the ledger shows
-- disposed of or donated (reason group 'Inventory disposed of': D/G, quantity < 0, disposition
-- SELLABLE) that no Disposal removal order of the seller accounts for.
--
-- Per (seller, FNSKU), the sellable units disposed of by the seller's own Disposal orders
-- (removal order detail, disposed-quantity) authorise ledger disposals from the order's request
-- date on. Disposals are matched to authorisations oldest first; a disposal finding none left is
-- unauthorised. With cumulative disposed units D(j) and cumulative authorised units A(t_j)
-- requested up to row j's date, the unauthorised units up to row i are
-- max(0, max over j <= i of D(j) - A(t_j)); each row claims its increment.

with

ledger as (
    select * from {{ ref('stg_amazon__ledger_events') }}
),

reason_codes as (
    select * from {{ ref('ledger_reason_codes') }}
),

removal_orders as (
    select * from {{ ref('stg_amazon__removal_orders') }}
),

product_costs as (
    select * from {{ ref('stg_seller__product_costs') }}
),

disposals as (
    select
        ledger.seller_id,
        ledger.fnsku,
        ledger.msku as sku,
        ledger.asin,
        ledger.reference_id,
        ledger.fulfillment_center,
        ledger.event_date,
        ledger.country,
        ledger.reason_code,
        ledger._source_file,
        ledger._row_number,
        -ledger.quantity as disposed_units
    from ledger
    inner join reason_codes
        on ledger.reason_code = reason_codes.code
    where
        ledger.event_type = 'Adjustments'
        and reason_codes.reason_group = 'Inventory disposed of'
        and ledger.quantity < 0
        and upper(ledger.disposition) = 'SELLABLE'
),

authorisations as (
    select
        seller_id,
        fnsku,
        removal_order_id,
        request_date,
        disposed_quantity
    from removal_orders
    where
        lower(order_type) = 'disposal'
        and lower(disposition) = 'sellable'
        and disposed_quantity > 0
),

disposals_in_order as (
    select
        *,
        sum(disposed_units) over (
            partition by seller_id, fnsku
            order by event_date, reference_id, _source_file, _row_number
            rows between unbounded preceding and current row
        ) as disposed_to_date
    from disposals
),

authorised_to_date as (
    select
        disposals_in_order.seller_id,
        disposals_in_order._source_file,
        disposals_in_order._row_number,
        coalesce(sum(authorisations.disposed_quantity), 0) as authorised_units,
        count(authorisations.removal_order_id) as authorising_orders
    from disposals_in_order
    left join authorisations
        on
            disposals_in_order.seller_id = authorisations.seller_id
            and disposals_in_order.fnsku = authorisations.fnsku
            and disposals_in_order.event_date >= authorisations.request_date
    group by
        disposals_in_order.seller_id,
        disposals_in_order._source_file,
        disposals_in_order._row_number
),

shortfalls as (
    select
        disposals_in_order.*,
        authorised_to_date.authorised_units,
        authorised_to_date.authorising_orders,
        max(
            case
                when disposals_in_order.disposed_to_date > authorised_to_date.authorised_units
                    then disposals_in_order.disposed_to_date - authorised_to_date.authorised_units
                else 0
            end
        ) over (
            partition by disposals_in_order.seller_id, disposals_in_order.fnsku
            order by
                disposals_in_order.event_date,
                disposals_in_order.reference_id,
                disposals_in_order._source_file,
                disposals_in_order._row_number
            rows between unbounded preceding and current row
        ) as unauthorised_to_date
    from disposals_in_order
    inner join authorised_to_date
        on
            disposals_in_order.seller_id = authorised_to_date.seller_id
            and disposals_in_order._source_file = authorised_to_date._source_file
            and disposals_in_order._row_number = authorised_to_date._row_number
),

per_row as (
    select
        *,
        unauthorised_to_date - coalesce(lag(unauthorised_to_date) over (
            partition by seller_id, fnsku
            order by event_date, reference_id, _source_file, _row_number
        ), 0) as unauthorised_units
    from shortfalls
),

claims as (
    select
        seller_id,
        fnsku,
        reference_id,
        event_date,
        fulfillment_center,
        min(sku) as sku,
        min(asin) as asin,
        min(country) as country,
        min(reason_code) as reason_code,
        sum(disposed_units) as disposed_units,
        sum(unauthorised_units) as unauthorised_units,
        max(authorised_units) as authorised_units,
        max(authorising_orders) as authorising_orders,
        {{ json_array_agg(
            build_json_object([
                ['_source_file', '_source_file'],
                ['_row_number', '_row_number', 'number'],
                ['reason', 'reason_code'],
                ['quantity', '-disposed_units', 'number'],
                ['unauthorised_units', 'unauthorised_units', 'number'],
            ]),
            '_source_file, _row_number'
        ) }} as source_rows
    from per_row
    group by seller_id, fnsku, reference_id, event_date, fulfillment_center
    having sum(unauthorised_units) > 0
),

valued as (
    select
        claims.*,
        product_costs.unit_cost,
        product_costs.currency as cost_currency
    from claims
    left join product_costs
        on
            claims.seller_id = product_costs.seller_id
            and claims.sku = product_costs.sku
)

select
    seller_id,
    cast('disposed_unauthorized' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['fnsku', 'reference_id', 'event_date', 'fulfillment_center']) }}
        as claim_key,
    fnsku,
    sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    reference_id,
    fulfillment_center as fulfillment_center_id,
    event_date,
    country,
    cast(unauthorised_units as {{ dbt.type_bigint() }}) as quantity,
    cast(unit_cost as decimal(18, 4)) as unit_value,
    cost_currency as value_currency,
    case
        when unit_cost is null then 'missing_unit_cost'
        else 'product_master_unit_cost'
    end as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'disposed_unauthorized'"],
        ['fnsku', 'fnsku'],
        ['msku', 'sku'],
        ['asin', 'asin'],
        ['reference_id', 'reference_id'],
        ['fulfillment_center', 'fulfillment_center'],
        ['event_date', dbt.cast('event_date', dbt.type_string())],
        ['country', 'country'],
        ['reason_code', 'reason_code'],
        ['disposition', "'SELLABLE'"],
        ['disposed_units', 'disposed_units', 'number'],
        ['unauthorised_units', 'unauthorised_units', 'number'],
        ['seller_disposal_orders_before', build_json_object([
            ['orders', 'authorising_orders', 'number'],
            ['disposed_units', 'authorised_units', 'number'],
        ]), 'json'],
        ['source_rows', 'source_rows', 'json'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Unauthorized disposal claim: FNSKU '", 'fnsku',
        "' (SKU '", "coalesce(sku, 'unknown')", "') — '",
        dbt.cast('unauthorised_units', dbt.type_string()),
        "' sellable unit(s) recorded as disposed of at fulfillment center '", "coalesce(fulfillment_center, 'unknown')",
        "' on '", dbt.cast('event_date', dbt.type_string()),
        "case when reference_id is null then '' else "
            ~ dbt.concat(["', ledger reference ID '", 'reference_id']) ~ " end",
        "', without a removal order of ours requesting their disposal.'"
    ]) }} as case_summary
from valued
