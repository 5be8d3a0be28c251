-- The seller's one money history (DESIGN.md rule 12): every order charge, fee and refund line,
-- in the settlement report's vocabulary (transaction_type / amount_type / amount_description),
-- whichever source carried it:
--   settlement_v2        settlement report V2 lines (stg_amazon__settlements; summary rows left
--                        out). Amazon lists these for 90 days only (policy-2026.md 1).
--   settlement_v1        settlement report V1 flat-file lines (stg_amazon__settlements_v1, already
--                        in the V2 vocabulary): the years of Seller Central downloads sellers hold
--                        (removed from the API on 2026-11-11, policy-2026.md 1).
--   finances_2024_06_19  Finances listTransactions leaf breakdowns (the full history).
--   finances_v0          Finances v0 listFinancialEvents components (the deprecated fallback).
-- Finances lines take their settlement names from the seed money_event_types; a line the seed
-- does not name keeps its own names (breakdown path / component) and feeds no rule.
--
-- Each money event is counted once when several sources carry it. Sources rank
-- settlement_v2 > settlement_v1 > finances_2024_06_19 > finances_v0, and a lower-ranked line is
-- dropped when
--   1. its settlement (financial event group id) is one the seller's settlement reports hold (the
--      whole settlement is there: V1 lines of a settlement landed as V2, v2024 lines of one
--      landed in either layout), or
--   2. a higher-ranked source has a line with the same event key: seller, order, SKU,
--      transaction type, amount type, amount description, posted date (UTC) and amount. Lines
--      with equal keys are matched one to one in order (two identical fee lines of a two-unit
--      order in both sources drop both, a third one in Finances only is kept).
-- Finances carries no settlement for lines of an open settlement period: they are kept until
-- their settlement report lands, then dropped by rule 1 or 2.

with

settlements as (
    select * from {{ ref('stg_amazon__settlements') }}
),

settlements_v1 as (
    select * from {{ ref('stg_amazon__settlements_v1') }}
),

finance_transactions as (
    select * from {{ ref('stg_amazon__finance_transactions') }}
),

financial_events as (
    select * from {{ ref('stg_amazon__financial_events') }}
),

money_event_types as (
    select * from {{ ref('money_event_types') }}
),

marketplaces as (
    select * from {{ ref('marketplaces') }}
),

settlement_lines as (
    select
        seller_id,
        cast('settlement_v2' as {{ dbt.type_string() }}) as money_source,
        1 as source_rank,
        {{ dbt.concat([
            'settlement_id', "'|'", '_source_file', "'|'",
            dbt.cast('_row_number', dbt.type_string())
        ]) }} as money_line_id,
        settlement_id,
        transaction_type,
        amazon_order_id,
        adjustment_id,
        shipment_id,
        marketplace_name,
        amount_type,
        amount_description,
        amount,
        currency,
        upper(trim(fulfillment_id)) as fulfillment_id,
        posted_at,
        posted_date,
        order_item_code,
        merchant_adjustment_item_id,
        sku,
        quantity_purchased,
        _source_file,
        _row_number
    from settlements
    where not is_summary_row
),

settlement_v1_lines as (
    select
        seller_id,
        cast('settlement_v1' as {{ dbt.type_string() }}) as money_source,
        2 as source_rank,
        {{ dbt.concat([
            'settlement_id', "'|'", '_source_file', "'|'",
            dbt.cast('_row_number', dbt.type_string()), "'|'", 'v1_amount_column'
        ]) }} as money_line_id,
        settlement_id,
        transaction_type,
        amazon_order_id,
        adjustment_id,
        shipment_id,
        marketplace_name,
        amount_type,
        amount_description,
        amount,
        currency,
        upper(trim(fulfillment_id)) as fulfillment_id,
        posted_at,
        posted_date,
        order_item_code,
        merchant_adjustment_item_id,
        sku,
        quantity_purchased,
        _source_file,
        _row_number
    from settlements_v1
    where
        not is_summary_row
        and not exists (
            select 1
            from settlement_lines
            where
                settlement_lines.seller_id = settlements_v1.seller_id
                and settlement_lines.settlement_id = settlements_v1.settlement_id
        )
),

settled_groups as (
    select distinct
        seller_id,
        settlement_id
    from settlement_lines
    union
    select distinct
        seller_id,
        settlement_id
    from settlement_v1_lines
),

transaction_lines as (
    select
        finance_transactions.seller_id,
        cast('finances_2024_06_19' as {{ dbt.type_string() }}) as money_source,
        3 as source_rank,
        {{ dbt.concat([
            'finance_transactions.transaction_id', "'|'",
            dbt.cast('finance_transactions.line_no', dbt.type_string())
        ]) }} as money_line_id,
        finance_transactions.financial_event_group_id as settlement_id,
        coalesce(
            money_event_types.transaction_type, finance_transactions.transaction_type
        ) as transaction_type,
        finance_transactions.amazon_order_id,
        coalesce(
            finance_transactions.refund_id, finance_transactions.order_adjustment_item_id
        ) as adjustment_id,
        finance_transactions.shipment_id,
        marketplaces.marketplace_name,
        coalesce(
            money_event_types.amount_type, finance_transactions.breakdown_path
        ) as amount_type,
        coalesce(
            money_event_types.amount_description, finance_transactions.breakdown_type
        ) as amount_description,
        finance_transactions.amount,
        finance_transactions.currency,
        finance_transactions.fulfillment_network as fulfillment_id,
        finance_transactions.posted_at,
        finance_transactions.posted_date,
        cast(null as {{ dbt.type_string() }}) as order_item_code,
        finance_transactions.order_adjustment_item_id as merchant_adjustment_item_id,
        finance_transactions.sku,
        finance_transactions.quantity as quantity_purchased,
        finance_transactions._source_file,
        finance_transactions._row_number
    from finance_transactions
    left join money_event_types
        on
            money_event_types.money_source = 'finances_2024_06_19'
            and money_event_types.source_transaction_type
            = {{ normalized_name('finance_transactions.transaction_type') }}
            and money_event_types.source_type
            = {{ normalized_name('finance_transactions.breakdown_type') }}
    left join marketplaces
        on finance_transactions.marketplace_id = marketplaces.marketplace_id
    where not exists (
            select 1
            from settled_groups
            where
                settled_groups.seller_id = finance_transactions.seller_id
                and settled_groups.settlement_id = finance_transactions.financial_event_group_id
        )
),

event_lines as (
    select
        financial_events.seller_id,
        cast('finances_v0' as {{ dbt.type_string() }}) as money_source,
        4 as source_rank,
        {{ dbt.concat([
            'financial_events.event_id', "'|'",
            dbt.cast('financial_events.line_no', dbt.type_string())
        ]) }} as money_line_id,
        cast(null as {{ dbt.type_string() }}) as settlement_id,
        coalesce(
            money_event_types.transaction_type, financial_events.event_list
        ) as transaction_type,
        financial_events.amazon_order_id,
        financial_events.order_adjustment_item_id as adjustment_id,
        cast(null as {{ dbt.type_string() }}) as shipment_id,
        financial_events.marketplace_name,
        coalesce(money_event_types.amount_type, financial_events.component) as amount_type,
        coalesce(
            money_event_types.amount_description, financial_events.amount_type
        ) as amount_description,
        financial_events.amount,
        financial_events.currency,
        cast(null as {{ dbt.type_string() }}) as fulfillment_id,
        financial_events.posted_at,
        financial_events.posted_date,
        financial_events.order_item_id as order_item_code,
        financial_events.order_adjustment_item_id as merchant_adjustment_item_id,
        financial_events.sku,
        financial_events.quantity as quantity_purchased,
        financial_events._source_file,
        financial_events._row_number
    from financial_events
    left join money_event_types
        on
            money_event_types.money_source = 'finances_v0'
            and money_event_types.source_transaction_type
            = {{ normalized_name('financial_events.event_list') }}
            and money_event_types.source_component
            = {{ normalized_name('financial_events.component') }}
            and money_event_types.source_type
            = {{ normalized_name('financial_events.amount_type') }}
),

all_lines as (
    select * from settlement_lines
    union all
    select * from settlement_v1_lines
    union all
    select * from transaction_lines
    union all
    select * from event_lines
),

-- the n-th line of an event key in each source, to match lines of equal keys one to one
keyed as (
    select
        all_lines.*,
        row_number() over (
            partition by
                all_lines.seller_id,
                all_lines.money_source,
                all_lines.amazon_order_id,
                all_lines.sku,
                lower(all_lines.transaction_type),
                lower(all_lines.amount_type),
                lower(all_lines.amount_description),
                all_lines.posted_date, all_lines.amount
            order by all_lines.money_line_id
        ) as key_occurrence
    from all_lines
),

counted_once as (
    select keyed.*
    from keyed
    where not exists (
            select 1
            from keyed as higher
            where
                higher.source_rank < keyed.source_rank
                and higher.seller_id = keyed.seller_id
                and higher.amazon_order_id = keyed.amazon_order_id
                and higher.sku = keyed.sku
                and lower(higher.transaction_type) = lower(keyed.transaction_type)
                and lower(higher.amount_type) = lower(keyed.amount_type)
                and lower(higher.amount_description) = lower(keyed.amount_description)
                and higher.posted_date = keyed.posted_date
                and higher.amount = keyed.amount
                and higher.key_occurrence = keyed.key_occurrence
        )
)

select
    seller_id,
    money_source,
    money_line_id,
    settlement_id,
    transaction_type,
    amazon_order_id,
    adjustment_id,
    shipment_id,
    marketplace_name,
    amount_type,
    amount_description,
    cast(amount as decimal(18, 4)) as amount,
    currency,
    fulfillment_id,
    posted_at,
    posted_date,
    order_item_code,
    merchant_adjustment_item_id,
    sku,
    cast(quantity_purchased as {{ dbt.type_bigint() }}) as quantity_purchased,
    _source_file,
    _row_number
from counted_once
