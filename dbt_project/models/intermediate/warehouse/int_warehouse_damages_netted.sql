-- FC-damage netting (claim-policy.md 2.2): one row per ledger damage (Adjustments in the
-- reason group 'Damaged at Amazon FC', i.e. E/6/7/H/K/U, quantity < 0) with the units still
-- open after Damaged_Warehouse reimbursements (see the fc_adjustments_netted macro). The paired
-- P row (+ into WAREHOUSE_DAMAGED) and the O row that removes a reimbursed unit are movements
-- of the same unit, never a second damage.

{{ fc_adjustments_netted(
    reason_group='Damaged at Amazon FC',
    reimbursement_reason='Damaged_Warehouse',
    net_found_units=false,
    units_column='damaged_units'
) }}
