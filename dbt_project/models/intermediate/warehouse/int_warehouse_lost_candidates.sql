-- warehouse_lost claim candidates (claim-policy.md 2.1): losses with units still open after
-- netting, valued at the product master unit cost (see the fc_adjustment_candidates macro).

{{ fc_adjustment_candidates(
    netted_model='int_warehouse_losses_netted',
    claim_type='warehouse_lost',
    units_column='lost_units',
    net_found_units=true,
    claim_label='Lost inventory claim',
    event_words='misplaced',
    open_words='not found and not reimbursed'
) }}
