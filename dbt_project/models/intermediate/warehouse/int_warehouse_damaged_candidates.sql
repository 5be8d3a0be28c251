-- warehouse_damaged claim candidates (claim-policy.md 2.2): FC damage with units still open
-- after Damaged_Warehouse reimbursements, valued at the product master unit cost (see the
-- fc_adjustment_candidates macro).

{{ fc_adjustment_candidates(
    netted_model='int_warehouse_damages_netted',
    claim_type='warehouse_damaged',
    units_column='damaged_units',
    net_found_units=false,
    claim_label='Damaged inventory claim',
    event_words='damaged in the fulfillment center',
    open_words='not reimbursed'
) }}
