-- reimbursement_underpaid claim candidates (claim-policy.md 2.12): reimbursements of losses
-- before a customer order, approved on or after the date Amazon values them at manufacturing
-- cost (seed reimbursement_valuation), that paid less per unit than the seller's unit_cost in
-- the product master. One row per (seller, reimbursement id, FNSKU); the claim is for the cash
-- units not clawed back by a later reversal, at the shortfall per unit.

with

reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
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

valuation as (
    select * from {{ ref('reimbursement_valuation') }}
),

paid as (
    select
        seller_id,
        reimbursement_id,
        fnsku,
        min(sku) as sku,
        min(asin) as asin,
        min(reason) as reason,
        min(case_id) as case_id,
        min(approval_date) as approval_date,
        min(currency_unit) as currency,
        sum(quantity_reimbursed_cash) as cash_units,
        sum(amount_total) as amount_paid
    from reimbursements
    where
        reason != 'Reimbursement_Reversal'
        and quantity_reimbursed_cash > 0
        and fnsku is not null
    group by seller_id, reimbursement_id, fnsku
),

reversed as (
    select
        seller_id,
        original_reimbursement_id,
        fnsku,
        sum(abs(quantity_reimbursed_total)) as reversed_units
    from reimbursements
    where
        reason = 'Reimbursement_Reversal'
        and original_reimbursement_id is not null
    group by seller_id, original_reimbursement_id, fnsku
),

-- The reimbursements report is region-level (amazon-reports.md s0): the seller's ledger says
-- which country the FNSKU is stocked in and which SKU it is; a currency only one marketplace
-- uses (USD, GBP, ...) names the country when the ledger does not.
fnsku_ledger as (
    select
        seller_id,
        fnsku,
        country,
        msku,
        row_number() over (
            partition by seller_id, fnsku
            order by count(*) desc, country asc, msku asc
        ) as usage_rank
    from ledger
    where country is not null
    group by seller_id, fnsku, country, msku
),

single_currency_countries as (
    select
        currency,
        min(country_code) as country_code
    from marketplaces
    group by currency
    having count(*) = 1
),

located as (
    select
        paid.*,
        coalesce(paid.sku, fnsku_ledger.msku) as claim_sku,
        coalesce(fnsku_ledger.country, single_currency_countries.country_code) as country,
        coalesce(reversed.reversed_units, 0) as reversed_units
    from paid
    left join fnsku_ledger
        on
            paid.seller_id = fnsku_ledger.seller_id
            and paid.fnsku = fnsku_ledger.fnsku
            and fnsku_ledger.usage_rank = 1
    left join single_currency_countries
        on paid.currency = single_currency_countries.currency
    left join reversed
        on
            paid.seller_id = reversed.seller_id
            and paid.reimbursement_id = reversed.original_reimbursement_id
            and paid.fnsku = reversed.fnsku
),

-- The valuation rule in force on the approval date for the reimbursement's marketplace and
-- reason (no row for the marketplace: no claim).
valued_at as (
    select
        located.seller_id,
        located.reimbursement_id,
        located.fnsku,
        valuation.basis,
        valuation.effective_from,
        valuation.confidence,
        row_number() over (
            partition by located.seller_id, located.reimbursement_id, located.fnsku
            order by valuation.effective_from desc
        ) as rule_rank
    from located
    inner join valuation
        on
            located.country = valuation.country
            and located.reason = valuation.reimbursement_reason
            and located.approval_date >= valuation.effective_from
),

compared as (
    select
        located.*,
        valued_at.basis,
        valued_at.effective_from as basis_since,
        valued_at.confidence as basis_confidence,
        product_costs.unit_cost,
        cast(located.amount_paid / located.cash_units as decimal(18, 4)) as paid_per_unit,
        located.cash_units - located.reversed_units as claim_units
    from located
    inner join valued_at
        on
            located.seller_id = valued_at.seller_id
            and located.reimbursement_id = valued_at.reimbursement_id
            and located.fnsku = valued_at.fnsku
            and valued_at.rule_rank = 1
    inner join product_costs
        on
            located.seller_id = product_costs.seller_id
            and located.claim_sku = product_costs.sku
            and located.currency = product_costs.currency
),

underpaid as (
    select
        *,
        cast(unit_cost - paid_per_unit as decimal(18, 4)) as shortfall_per_unit
    from compared
    where
        claim_units > 0
        -- at least a cent per unit: rounding of amount-per-unit is not a claim
        and unit_cost - paid_per_unit >= 0.01
)

select
    seller_id,
    cast('reimbursement_underpaid' as {{ dbt.type_string() }}) as claim_type,
    {{ claim_natural_key(['reimbursement_id', 'fnsku']) }} as claim_key,
    fnsku,
    claim_sku as sku,
    asin,
    cast(null as {{ dbt.type_string() }}) as order_id,
    cast(null as {{ dbt.type_string() }}) as shipment_id,
    cast(null as {{ dbt.type_string() }}) as removal_order_id,
    reimbursement_id as reference_id,
    cast(null as {{ dbt.type_string() }}) as fulfillment_center_id,
    approval_date as event_date,
    country,
    cast(claim_units as {{ dbt.type_bigint() }}) as quantity,
    shortfall_per_unit as unit_value,
    currency as value_currency,
    cast('manufacturing_cost_minus_paid' as {{ dbt.type_string() }}) as valuation_source,
    {{ json_to_text(build_json_object([
        ['claim_type', "'reimbursement_underpaid'"],
        ['reimbursement_id', 'reimbursement_id'],
        ['case_id', 'case_id'],
        ['reason', 'reason'],
        ['approval_date', dbt.cast('approval_date', dbt.type_string())],
        ['fnsku', 'fnsku'],
        ['msku', 'claim_sku'],
        ['asin', 'asin'],
        ['cash_units', 'cash_units', 'number'],
        ['reversed_units', 'reversed_units', 'number'],
        ['paid_per_unit', 'paid_per_unit', 'number'],
        ['amount_paid', 'amount_paid', 'number'],
        ['manufacturing_cost_per_unit', 'unit_cost', 'number'],
        ['valuation_basis', 'basis'],
        ['valuation_basis_since', dbt.cast('basis_since', dbt.type_string())],
        ['valuation_policy_row', dbt.concat([
            "'reimbursement_valuation:'", 'country', "':'", 'reason', "':'",
            dbt.cast('basis_since', dbt.type_string())
        ])],
        ['valuation_confidence', 'basis_confidence'],
        ['currency', 'currency'],
    ])) }} as evidence,
    {{ dbt.concat([
        "'Reimbursement re-evaluation: reimbursement ID '", 'reimbursement_id',
        "' ('", reason_text('reason'), "', approved '", dbt.cast('approval_date', dbt.type_string()),
        "') paid '", 'currency', "' '", money_text('paid_per_unit', 'currency'),
        "' per unit for '", dbt.cast('claim_units', dbt.type_string()),
        "' unit(s) of FNSKU '", 'fnsku', "' (SKU '", "coalesce(claim_sku, 'unknown')",
        "'), below the manufacturing cost of '", 'currency', "' '", money_text('unit_cost', 'currency'),
        "' per unit that applies to reimbursements approved since '",
        dbt.cast('basis_since', dbt.type_string()),
        "case when basis_confidence = 'confirmed' then '.' else "
            ~ "' (our reading of the reimbursement policy for this marketplace).' end"
    ]) }} as case_summary
from underpaid
