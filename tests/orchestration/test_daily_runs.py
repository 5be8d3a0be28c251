"""Two sandbox sellers over two days through the Dagster definitions, as the daemon runs them: the
daily schedule's per-seller extraction runs (partition seller x day, launched concurrently), then
the build the build_after_extraction sensor requests. The first day onboards both
(cursor-planned backfill), the second pulls one report per type per seller; each build passes
dbt's tests and the GX gate before both sellers' exports are published; a failing expectation
blocks every export until a fixed rerun; a claim keeps its id from one day to the next."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import dagster as dg
import duckdb
import pytest

from extractors.spapi.extract import CursorStore
from orchestration.home import REPO_ROOT

CREATE = ("POST", "/reports/2021-06-30/reports")


def _instance():
    return dg.DagsterInstance.from_config(str(REPO_ROOT))


def _tick(name, when):
    """The requests of schedule or sensor `name` evaluated against the real instance at `when`."""
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    instance = _instance()
    if name in {s.name for s in repo.schedule_defs}:
        context = dg.build_schedule_context(
            instance=instance, scheduled_execution_time=when, repository_def=repo
        )
        return repo.get_schedule_def(name).evaluate_tick(context).run_requests
    context = dg.build_sensor_context(instance_ref=instance.get_ref(), repository_def=repo)
    with context:  # closed after the tick, so its instance does not outlive it as the current one
        return repo.get_sensor_def(name).evaluate_tick(context).run_requests


def _fast(request) -> dict:
    """The request's ops config, with no pause between getReport polls (the emulator is fast)."""
    ops = request.run_config["ops"]
    for name, op in ops.items():
        if name.startswith("amazon__"):
            op["config"]["poll_interval_seconds"] = 0
    return ops


def _launch(home, job_name, request):
    """Execute one run request as the daemon would launch it (its config, partition and tags)."""
    from orchestration.runner import run_job

    return run_job(
        home, job_name, _fast(request), partition_key=request.partition_key, tags=request.tags
    )


def _daily(home, day):
    """One scheduled day: the schedule's per-seller extraction runs, executed two at a time in
    worker processes as the run queue admits them, then the build the build_after_extraction
    sensor requests."""
    from orchestration.runner import PartitionRun, run_partitions

    requests = _tick("daily_schedule", datetime.combine(day, time(6), tzinfo=UTC))
    runs = [PartitionRun(str(r.partition_key), r.tags, _fast(r)) for r in requests]
    extracted = run_partitions(home, "extract_job", runs, parallel=2)
    [build] = _tick("build_after_extraction", None)
    assert build.tags["reclaim/day"] == str(day - timedelta(days=1))
    return requests, extracted, build


def _strict_suite(tmp_path, monkeypatch):
    """The shipped suites, with fct_claims made to demand what no real claim has (quantity <= 0):
    a failing expectation, as a bad rule change or bad data would cause."""
    import json
    import shutil

    from expectations import checkpoint

    suites = tmp_path / "suites"
    shutil.copytree(checkpoint.SUITES_DIR, suites)
    path = suites / "fct_claims.json"
    spec = json.loads(path.read_text())
    spec["expectations"].append(
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "quantity", "max_value": 0},
        }
    )
    path.write_text(json.dumps(spec))
    monkeypatch.setattr(checkpoint, "SUITES_DIR", suites)


def _checks(run_id) -> dict[str, bool]:
    instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
    records = instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
    evaluations = [r.dagster_event.event_specific_data for r in records]
    return {f"{e.asset_key.to_user_string()}:{e.check_name}": e.passed for e in evaluations}


def _claims(home) -> dict[str, tuple]:
    with duckdb.connect(str(home.serving), read_only=True) as con:
        rows = con.execute(
            "select claim_id, seller_id, claim_type, max(as_of) over () from marts.fct_claims"
        ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _parsed_from_scratch(home, run_id) -> bool:
    """Whether the run's dbt re-parsed the whole project (dbt's UnableToPartialParse event)."""
    log = home.root / "dbt_target" / run_id[:8] / "dbt.log"
    return '"UnableToPartialParse"' in log.read_text()


def _overlapped(run_ids) -> bool:
    """Whether the runs were in flight at the same time (their start..end intervals intersect)."""
    stats = [_instance().get_run_stats(r) for r in run_ids]
    return max(s.start_time for s in stats) < min(s.end_time for s in stats)


@pytest.mark.slow
def test_two_sellers_two_days_through_the_schedule_and_sensors(
    two_seller_home, monkeypatch, tmp_path
):
    from orchestration.assets.extraction import API_EXTRACTORS, EXTRACTED_REPORTS
    from orchestration.runner import PipelineFailed

    home, manifest, emu = two_seller_home
    home.activate()
    sellers = sorted(s.seller_id for s in manifest.sellers)
    day1 = manifest.scenario.as_of  # the schedule's run day: it pulls through the day before
    day2 = day1 + timedelta(days=1)
    cursors = CursorStore(home.root)
    # The sellers are partitions (new_seller_backfill adds them; covered in test_schedules).
    _instance().add_dynamic_partitions("sellers", sellers)

    # Day 1: nothing pulled yet, so each seller's cursor plans its whole backfill.
    requests, extracted, build = _daily(home, day1)
    assert sorted(r.tags["reclaim/seller"] for r in requests) == sellers
    assert _overlapped([o.run_id for o in extracted])  # sellers were pulled in parallel
    for outcome in extracted:
        checks = _checks(outcome.run_id)
        assert len(checks) == len(EXTRACTED_REPORTS) and all(checks.values())  # one per source
    assert build.run_config["ops"]["reclaim_dbt_assets"]["config"]["as_of"] == str(day1)
    first = _launch(home, "build_job", build)
    checks = _checks(first.run_id)
    assert checks.get("marts/fct_claims:fct_claims_expectations") is True  # the GX gate passed
    assert all(checks.values()), {k: v for k, v in checks.items() if not v}
    for seller in sellers:
        for spec in EXTRACTED_REPORTS:
            assert cursors.load(seller, spec.source).complete_through == day1, spec.source
        assert (home.exports / seller / f"claims-ready-{day1}.csv").exists()
    claims1 = _claims(home)
    assert {s for s, _, _ in claims1.values()} == set(sellers)
    # Asked again, the sensor names the same run key: the daemon launches a run key once.
    assert [r.run_key for r in _tick("build_after_extraction", None)] == [build.run_key]

    # Day 2: one createReport per report type per seller.
    creates = emu.calls(*CREATE)
    requests, extracted, build = _daily(home, day2)
    report_types = [s for s in EXTRACTED_REPORTS if s.source not in API_EXTRACTORS]
    assert emu.calls(*CREATE) - creates == len(sellers) * len(report_types)

    # A failing expectation blocks the serving copy and every export of the run.
    with monkeypatch.context() as mp:
        _strict_suite(tmp_path, mp)
        with pytest.raises(PipelineFailed, match="fct_claims_expectations") as failed:
            _launch(home, "build_job", build)
        # the message names the failed expectation and its column, not only the check
        assert "expect_column_values_to_be_between on quantity" in str(failed.value)
    for seller in sellers:
        assert not (home.exports / seller / f"claims-ready-{day2}.csv").exists()
    assert {a for _, _, a in _claims(home).values()} == {day1}  # serving still has day 1's

    # Fixed (the suite as shipped), a rerun of the same request succeeds and publishes.
    rerun = _launch(home, "build_job", build)
    assert all(_checks(rerun.run_id).values())
    # each build's dbt starts from the previous build's parse of the project
    assert not _parsed_from_scratch(home, rerun.run_id)
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
