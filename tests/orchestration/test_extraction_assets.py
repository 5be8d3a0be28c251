"""The extraction assets as Dagster runs them, against the SP-API emulator over HTTP: the
quarantine check reports on each materialisation, the cursor plans the range when no dates are
given, and a report Amazon ends FATAL fails the step with Amazon's reason and is not retried."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from extractors.spapi.extract import CursorStore
from orchestration.assets.extraction import report_assets
from orchestration.home import ReclaimHome
from tests.orchestration.conftest import materialize_seller_day

LEDGER = next(a for a in report_assets if a.key == dg.AssetKey(["amazon", "ledger_detail"]))


def _materialize(home: ReclaimHome, manifest, config: dict):
    """The seller's partition for the day before as_of: pulled through the end of that day."""
    return materialize_seller_day(
        [LEDGER],
        home,
        manifest.sellers[0].seller_id,
        manifest.scenario.as_of - timedelta(days=1),
        {"amazon__ledger_detail": {"config": config}},
        raise_on_error=False,
    )


def test_cursor_planned_pull_reports_its_quarantine_check(sandbox_home):
    home, manifest, _ = sandbox_home
    as_of = manifest.scenario.as_of.isoformat()
    result = _materialize(home, manifest, {"poll_interval_seconds": 0})
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "no_quarantined_rows" and check.passed
    meta = result.asset_materializations_for_node("amazon__ledger_detail")[0].metadata
    assert meta["rows_loaded"].value > 0
    assert meta["window"].value == f"planned from the cursor, up to {as_of}"
    assert meta["seller"].value == manifest.sellers[0].seller_id
    cursor = CursorStore(home.root).load(manifest.sellers[0].seller_id, "ledger_detail")
    assert cursor.complete_through.isoformat() == as_of


def test_fatal_report_fails_the_step_with_amazons_reason_and_no_retry(sandbox_home):
    home, manifest, emu = sandbox_home
    emu.inject("fatal")
    end = manifest.scenario.as_of
    result = _materialize(
        home, manifest, {"start_date": end.replace(day=1).isoformat(), "poll_interval_seconds": 0}
    )
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1
    message = failures[0].step_failure_data.error.message
    assert "ended FATAL" in message and manifest.sellers[0].seller_id in message
    assert not [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert emu.calls("POST", "/reports/2021-06-30/reports") == 1
