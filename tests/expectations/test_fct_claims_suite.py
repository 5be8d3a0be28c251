"""The Great Expectations suite on fct_claims, and the gate it puts in front of the exports."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from expectations.checkpoint import suite_names, validate
from orchestration.exports import EXPORT_COLUMNS
from tests.conftest import FIXTURES


def _claim(**over) -> dict:
    row = dict.fromkeys(EXPORT_COLUMNS)
    row.update(
        claim_id="CLM-0123456789ABCDEF",
        seller_id="A1X",
        marketplace_id="ATVPDKIKX0DER",
        claim_type="warehouse_lost",
        status="ready",
        fnsku="X001",
        quantity=2,
        unit_value=12.5,
        amount=25.0,
        currency="USD",
        event_date=pd.Timestamp("2026-10-01"),
        eligible_from=pd.Timestamp("2026-10-15"),
        deadline=pd.Timestamp("2026-11-30"),
        evidence='{"fnsku": "X001"}',
        case_text="Lost inventory claim: FNSKU X001 - 2 unit(s) recorded as misplaced.",
    )
    row.update(over)
    return row


def test_every_exported_mart_has_a_suite():
    assert "fct_claims" in suite_names()


def test_a_clean_claim_queue_passes(tmp_path):
    frame = pd.DataFrame([_claim(), _claim(claim_id="CLM-0123456789ABCDEE", status="upcoming")])
    outcome = validate("fct_claims", frame, tmp_path / "docs")
    assert outcome.success, [str(f) for f in outcome.failures]
    assert outcome.evaluated >= 15
    assert (tmp_path / "docs" / "index.html").exists()


def test_each_broken_rule_is_named_with_the_rows_it_affects(tmp_path):
    frame = pd.DataFrame(
        [
            _claim(),
            _claim(),  # duplicate claim id
            _claim(claim_id="CLM-0000000000000001", claim_type="warehouse_stolen"),
            _claim(claim_id="CLM-0000000000000002", quantity=0),
            _claim(claim_id="CLM-0000000000000003", deadline=pd.Timestamp("2026-10-01")),
            _claim(claim_id="CLM-0000000000000004", currency="usd", case_text=None),
        ]
    )
    outcome = validate("fct_claims", frame)
    assert not outcome.success
    failed = {(f.expectation, f.column) for f in outcome.failures}
    assert failed == {
        ("expect_column_values_to_be_unique", "claim_id"),
        ("expect_column_values_to_be_in_set", "claim_type"),
        ("expect_column_values_to_be_between", "quantity"),
        ("expect_column_pair_values_a_to_be_greater_than_b", "deadline"),
        ("expect_column_values_to_match_regex", "currency"),
        ("expect_column_values_to_not_be_null", "case_text"),
    }
    unknown = next(f for f in outcome.failures if f.column == "claim_type")
    assert unknown.unexpected_count == 1 and unknown.examples == ["warehouse_stolen"]


def test_a_ready_claim_without_amount_or_currency_is_stopped(tmp_path):
    """Issue 18: nothing leaves the warehouse ready without an amount and a currency; a claim
    waiting for data (needs_data) may lack its value, currency and window."""
    waiting = _claim(
        claim_id="CLM-0000000000000001",
        status="needs_data",
        unit_value=None,
        amount=None,
        currency=None,
        event_date=None,
        eligible_from=None,
        deadline=None,
    )
    outcome = validate("fct_claims", pd.DataFrame([_claim(), waiting]))
    assert outcome.success, [str(f) for f in outcome.failures]

    blank = _claim(claim_id="CLM-0000000000000002", unit_value=None, amount=None, currency=None)
    outcome = validate("fct_claims", pd.DataFrame([_claim(), blank]))
    assert not outcome.success
    failed = {(f.expectation, f.column, f.unexpected_count) for f in outcome.failures}
    assert failed == {
        ("expect_column_values_to_not_be_null", "amount", 1),
        ("expect_column_values_to_not_be_null", "currency", 1),
    }


@pytest.mark.slow
def test_a_failing_suite_blocks_serving_copy_and_exports(tmp_path, reclaim, monkeypatch):
    """Build once, corrupt the warehouse the way a bad rule would, and run the gate with the
    publishing assets: the check fails, nothing downstream of it is published."""
    import dagster as dg

    home = tmp_path / "home"
    files = [str(FIXTURES / "handwritten" / n) for n in ("ledger.tsv", "product_master.csv")]
    assert reclaim(home, "ingest", "--seller", "A1GATE", *files).returncode == 0
    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr
    export = home / "exports" / "A1GATE" / "claims-ready-2026-11-20.csv"
    assert export.exists()
    export.unlink()
    serving_before = (home / "serving" / "reclaim.duckdb").stat().st_mtime_ns

    with duckdb.connect(str(home / "warehouse" / "reclaim.duckdb")) as con:
        con.execute("update marts.fct_claims set quantity = 0 where status = 'ready'")

    monkeypatch.setenv("RECLAIM_HOME", str(home))
    from orchestration.assets.quality import fct_claims_expectations
    from orchestration.definitions import defs

    gate = dg.define_asset_job(
        "gate_only",
        selection=dg.AssetSelection.checks(fct_claims_expectations)
        | dg.AssetSelection.groups("publishing"),
    )
    job = dg.Definitions.merge(defs, dg.Definitions(jobs=[gate])).resolve_job_def("gate_only")
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success
    evaluations = result.get_asset_check_evaluations()
    assert [e.passed for e in evaluations] == [False]
    assert "quantity" in evaluations[0].description
    materialized = {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}
    assert materialized == set()
    assert not export.exists()
    assert (home / "serving" / "reclaim.duckdb").stat().st_mtime_ns == serving_before
