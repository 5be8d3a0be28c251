-- Warehouse-lost netting (claim-policy.md 2.1): one row per ledger loss (Adjustments in the
-- reason group 'Inventory misplaced', i.e. M/5, quantity < 0) with the units still open after
-- found units and Lost_Warehouse reimbursements (see the fc_adjustments_netted macro).

{{ fc_adjustments_netted(
    reason_group='Inventory misplaced',
    reimbursement_reason='Lost_Warehouse',
    net_found_units=true,
    units_column='lost_units'
) }}
