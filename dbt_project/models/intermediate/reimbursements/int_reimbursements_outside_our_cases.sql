-- Reimbursement lines that count as "already paid" when a rule nets what Amazon paid: every line
-- except payments under a case the agency filed through fba-reclaim (claim outcome log) and the
-- reversals of those payments. Those are the outcome of our own claims and are reconciled in
-- fct_claims (status reimbursed / reversed); they must not make the claim itself disappear.
-- The same rule as the FC netting (macro fc_adjustments_netted), shared by the order, removal and
-- reversal rules.

with

all_reimbursements as (
    select * from {{ ref('stg_amazon__reimbursements') }}
),

claim_outcomes as (
    select * from {{ ref('int_claim_outcomes') }}
),

our_case_payments as (
    select distinct
        all_reimbursements.seller_id,
        all_reimbursements.reimbursement_id
    from all_reimbursements
    inner join claim_outcomes
        on
            all_reimbursements.seller_id = claim_outcomes.seller_id
            and all_reimbursements.case_id = claim_outcomes.case_id
)

select
    all_reimbursements.seller_id,
    all_reimbursements.approved_at,
    all_reimbursements.approval_date,
    all_reimbursements.reimbursement_id,
    all_reimbursements.case_id,
    all_reimbursements.amazon_order_id,
    all_reimbursements.reason,
    all_reimbursements.sku,
    all_reimbursements.fnsku,
    all_reimbursements.asin,
    all_reimbursements.product_name,
    all_reimbursements.condition,
    all_reimbursements.currency_unit,
    all_reimbursements.amount_per_unit,
    all_reimbursements.amount_total,
    all_reimbursements.quantity_reimbursed_cash,
    all_reimbursements.quantity_reimbursed_inventory,
    all_reimbursements.quantity_reimbursed_total,
    all_reimbursements.original_reimbursement_id,
    all_reimbursements.original_reimbursement_type,
    all_reimbursements._source_file,
    all_reimbursements._row_number,
    all_reimbursements._snapshot_at
from all_reimbursements
left join our_case_payments as paid
    on
        all_reimbursements.seller_id = paid.seller_id
        and all_reimbursements.reimbursement_id = paid.reimbursement_id
left join our_case_payments as reversed
    on
        all_reimbursements.seller_id = reversed.seller_id
        and all_reimbursements.original_reimbursement_id = reversed.reimbursement_id
where paid.reimbursement_id is null and reversed.reimbursement_id is null
