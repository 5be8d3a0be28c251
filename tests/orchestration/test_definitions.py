"""The Dagster code location loads, with the assets, jobs and dbt checks it promises."""

from __future__ import annotations

import dagster as dg


def test_definitions_load_with_every_layer():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    keys = {k.to_user_string() for k in repo.asset_graph.get_all_asset_keys()}
    for key in (
        "amazon/ledger_detail",
        "amazon/reimbursements",
        "staging/stg_amazon__ledger_events",
        "staging/stg_amazon__reimbursements",
        "intermediate/int_warehouse_losses_netted",
        "marts/fct_claims",
        "serving_warehouse",
        "claim_exports",
    ):
        assert key in keys, f"missing asset {key}"
    # dbt sources map onto the extraction assets: the graph is connected end to end
    deps = repo.asset_graph.get(dg.AssetKey(["staging", "stg_amazon__ledger_events"])).parent_keys
    assert dg.AssetKey(["amazon", "ledger_detail"]) in deps
    assert {j.name for j in repo.get_all_jobs()} >= {"extract_job", "build_job"}
    # dbt tests become asset checks
    checks = {c.name for c in repo.asset_graph.asset_check_keys}
    assert any("unique_fct_claims_claim_id" in c for c in checks)
