"""Two sandbox sellers over two days through the Dagster definitions, as the daily schedule runs
them (its own run config): the first day onboards both (cursor-planned 18-month backfill), the
second pulls one report per type per seller; each build passes dbt's tests and the GX gate
before both sellers' exports are published, and a claim keeps its id from one day to the next."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import dagster as dg
import duckdb
import pytest

from extractors.spapi.extract import CursorStore
from orchestration.home import REPO_ROOT

CREATE = ("POST", "/reports/2021-06-30/reports")


def _daily(home, day):
    from orchestration.runner import run_job
    from orchestration.schedules import daily_run_config

    ops = daily_run_config(datetime.combine(day, time(6), tzinfo=UTC))["ops"]
    for name, op in ops.items():
        if name.startswith("amazon__"):
            op["config"]["poll_interval_seconds"] = 0
    return run_job(home, "daily_job", ops)


def _checks(run_id) -> dict[str, bool]:
    instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    return {
        r.dagster_event.event_specific_data.check_name: r.dagster_event.event_specific_data.passed
        for r in records
    }


def _claims(home) -> dict[str, tuple]:
    with duckdb.connect(str(home.serving), read_only=True) as con:
        rows = con.execute(
            "select claim_id, seller_id, claim_type, max(as_of) over () from marts.fct_claims"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


@pytest.mark.slow
def test_two_sellers_two_days_through_the_daily_job(two_seller_home):
    from orchestration.assets.extraction import API_EXTRACTORS, EXTRACTED_REPORTS

    home, manifest, emu = two_seller_home
    sellers = sorted(s.seller_id for s in manifest.sellers)
    day1 = manifest.scenario.as_of
    day2 = day1 + timedelta(days=1)
    cursors = CursorStore(home.root)

    first = _daily(home, day1)
    assert first.success
    checks = _checks(first.run_id)
    assert checks.get("fct_claims_expectations") is True  # the GX gate ran and passed
    assert checks.get("no_quarantined_rows") is True
    assert all(checks.values()), {k: v for k, v in checks.items() if not v}
    for seller in sellers:
        for spec in EXTRACTED_REPORTS:
            assert cursors.load(seller, spec.source).complete_through == day1, spec.source
        assert (home.exports / seller / f"claims-ready-{day1}.csv").exists()
    claims1 = _claims(home)
    assert {s for s, _, _ in claims1.values()} == set(sellers)

    creates = emu.calls(*CREATE)
    second = _daily(home, day2)
    assert second.success and all(_checks(second.run_id).values())
    report_types = [s for s in EXTRACTED_REPORTS if s.source not in API_EXTRACTORS]
    # steady state: one createReport per report type per seller
    assert emu.calls(*CREATE) - creates == len(sellers) * len(report_types)
    for seller in sellers:
        for spec in EXTRACTED_REPORTS:
            assert cursors.load(seller, spec.source).complete_through == day2, spec.source
        assert (home.exports / seller / f"claims-ready-{day2}.csv").exists()
    claims2 = _claims(home)
    assert {a for _, _, a in claims2.values()} == {day2}
    # the same discrepancies are the same claims: nothing new was sold, lost or paid on day 2
    lost1 = {c for c, (_, t, _) in claims1.items() if t == "warehouse_lost"}
    lost2 = {c for c, (_, t, _) in claims2.items() if t == "warehouse_lost"}
    assert lost1 and lost1 == lost2
