"""The benchmark harness end to end on its smallest scenario (1 seller x 2 months), so that it
cannot rot. No timing thresholds: only that every stage ran and measured something (the first
demo after install included), and that both baselines (DuckDB SQL and pandas) give the
pipeline's warehouse_lost, refund_not_returned and inbound_shortage claims."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
TIMED_STAGES = (
    "generate",
    "ingest",
    "dbt_build",
    "exports",
    "baseline_duckdb",
    "baseline_pandas",
    "daily_ingest",
    "daily_dbt_build",
    "daily_baseline_duckdb",
)


@pytest.mark.slow
def test_bench_smoke_writes_every_stage_and_baselines_agree(tmp_path):
    home = tmp_path / "home"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RECLAIM_", "DBT_"))},
        "RECLAIM_HOME": str(home),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--smoke"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]

    results = sorted((home / "bench").glob("results-*.json"))
    assert len(results) == 1
    assert (home / "bench" / "results.md").read_text().startswith("# fba-reclaim benchmark")
    doc = json.loads(results[0].read_text())
    assert doc["machine"]["cores"] >= 1 and doc["machine"]["memory_gb"] > 0
    assert doc["agree"] is True

    (scenario,) = doc["scenarios"]
    assert (scenario["sellers"], scenario["months"]) == (1, 2)
    for name in ("ledger", "settlement", "returns", "orders", "inbound_items"):
        assert scenario["rows"][name] > 0, name
    assert scenario["claims"] > 0 and scenario["claims_per_s"] > 0
    stages = scenario["stages"]
    for name in TIMED_STAGES:
        assert stages[name]["wall_s"] > 0, name
        assert stages[name]["peak_rss_tree_mb"] > 0, name
    # what a build publishes: the serving copy, then each seller's export read from it
    published = stages["exports"]
    assert published["serving_copy_s"] > 0 and published["serving_copy_mb"] > 0
    assert published["files"] == 1 and published["rows"] > 0
    for build in ("dbt_build", "daily_dbt_build"):
        layers = stages[build]["layers"]
        for layer in ("staging", "intermediate", "marts"):
            assert layers[layer]["nodes"] > 0 and layers[layer]["node_s"] > 0, (build, layer)
        # the profile: the build's slowest nodes, slowest first
        slowest = [n["s"] for n in stages[build]["slowest_nodes"]]
        assert len(slowest) == 10 and slowest == sorted(slowest, reverse=True), build
    assert "## Slowest dbt nodes" in (home / "bench" / "results.md").read_text()

    # Every rule with a baseline, both engines after the full build and DuckDB after the daily
    # one, gives the pipeline's claims (key, quantity and amount), and each rule has claims.
    rules = ("warehouse_lost", "refund_not_returned", "inbound_shortage")
    assert set(scenario["baselines"]["rules"]) == set(rules)
    assert scenario["baselines"]["pending_rules"] == {}
    for key, engines in (
        ("baselines", ("duckdb", "pandas")),
        ("baselines_after_daily", ("duckdb",)),
    ):
        baselines = scenario[key]
        assert baselines["agree"] is True
        for engine in engines:
            for rule in rules:
                cmp = baselines[f"{engine}:{rule}"]
                assert cmp["agree"] is True, (key, engine, rule, cmp)
                assert cmp["pipeline_claims"] == cmp["baseline_claims"] > 0, (key, engine, rule)
                assert {"quantity", "amount", "seller_id", "event_date"} <= set(cmp["compared"])
    assert scenario["baselines"]["compared"]["inbound_shortage"][:3] == [
        "seller_id",
        "shipment_id",
        "sku",
    ]

    assert stages["daily_dbt_build"]["materializations"]["staging"]
    assert "Compared, claim for claim" in (home / "bench" / "results.md").read_text()
    assert doc["history_growth"]["2"]["daily_build_s"] > 0
    assert {t["target"] for t in doc["targets"]} >= {
        "full build ≤ 1.5 × bare-DuckDB baseline",
        "daily build ≤ 10 % of full build",
    }

    # the first demo after install: run from a clean copy of the checkout (its own dbt parse),
    # timed, and its comparison with the ground truth read back into the demo target
    demo = doc["demo"]
    assert demo["parsed_in_copy"] is True
    assert demo["demo_s"] > 0 and demo["peak_rss_tree_mb"] > 0
    assert demo["truth_claims"] > 0 and 0 < demo["true_positives"] <= demo["found_claims"]
    (row,) = [t for t in doc["targets"] if t["target"] == "make demo after install ≤ 60 s"]
    assert row["value"] == demo["demo_s"] and row["met"] == (demo["demo_s"] <= 60)
    assert f"of {demo['truth_claims']:,} ground-truth claims" in row["note"]


def test_extraction_bench_counts_calls_against_the_rate_limits(tmp_path):
    """One seller, one month: the backfill asks for every report type's windows at Amazon's
    pace (simulated, so it takes seconds), the next day one createReport per report type."""
    from benchmarks.extraction import markdown, run
    from orchestration.assets.extraction import API_EXTRACTORS, EXTRACTED_REPORTS

    result = run(1, tmp_path)
    backfill, daily = result["phases"]["backfill"], result["phases"]["daily"]
    assert backfill["failed"] == [] and daily["failed"] == []
    reports = {s.source for s in EXTRACTED_REPORTS} - set(API_EXTRACTORS)
    assert all(backfill["create_report_per_type"][s] >= 1 for s in reports)
    assert {s: daily["create_report_per_type"][s] for s in reports} == dict.fromkeys(reports, 1)
    # more createReports than the burst: the limits bound the backfill, and we stay near them
    assert backfill["bounded_by"] == "createReport" and backfill["minimum_s"] > 3600
    assert backfill["minimum_s"] <= backfill["simulated_s"] < 1.1 * backfill["minimum_s"]
    # Finances: listTransactions for the 18-month horizon in 180-day windows, measured alone
    finances = backfill["per_source"]["finance_transactions"]
    assert finances["calls"]["listTransactions"] >= 4
    assert "| backfill | finance_transactions |" in markdown(result)
    assert "| backfill" in markdown(result)


def test_a_demo_that_fails_is_recorded_and_marked_missed(tmp_path, monkeypatch):
    """The demo runs last, after the scenarios: its failure must not lose their results, and the
    targets table must not show the demo target as met or unmeasured."""
    from benchmarks import run
    from benchmarks.measure import StageError
    from benchmarks.report import targets

    def failing(name, *args, **kwargs):
        raise StageError(f"{name}: exit 1 (log: demo.log)\nreclaim demo exited 1")

    monkeypatch.setattr(run, "run_stage", failing)
    demo = run.first_demo(tmp_path)
    assert "reclaim demo exited 1" in demo["error"]
    (row,) = [
        t
        for t in targets({"scenarios": [], "demo": demo})
        if t["target"] == "make demo after install ≤ 60 s"
    ]
    assert row["met"] is False and row["value"] is None
