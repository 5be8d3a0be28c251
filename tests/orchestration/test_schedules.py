"""The daily schedule's run requests and the incident line a failed run leaves behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg


def test_daily_schedule_requests_a_valid_run_for_its_day():
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    schedule = repo.get_schedule_def("daily_schedule")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "UTC"
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
    )
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.run_key == "daily-2026-11-20"
    ops = request.run_config["ops"]
    assert ops["reclaim_dbt_assets"]["config"]["as_of"] == "2026-11-20"
    assert ops["amazon__ledger_detail"]["config"]["end_date"] == "2026-11-20"
    # The config is one the job accepts (every op named exists, every field is known).
    job = defs.resolve_job_def("daily_job")
    assert dg.validate_run_config(job, request.run_config)


def test_a_failed_run_writes_an_incident_line(tmp_path, monkeypatch):
    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path))
    from orchestration.schedules import run_failure_incidents

    @dg.op
    def pull_reports():
        raise RuntimeError("SP-API answered 403 Unauthorized for seller A1X")

    @dg.job
    def broken():
        pull_reports()

    instance = dg.DagsterInstance.ephemeral()
    result = broken.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_incidents",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    run_failure_incidents(context)
    [line] = (tmp_path / "incidents.jsonl").read_text().splitlines()
    incident = json.loads(line)
    assert incident["job"] == "broken" and incident["run_id"] == result.run_id
    [step] = incident["failed_steps"]
    assert step["step"] == "pull_reports" and "403 Unauthorized" in step["error"]


def _old(paths, seconds=3600):
    import os
    import time

    for p in paths:
        t = time.time() - seconds
        os.utime(p, (t, t))


def test_a_newly_registered_seller_starts_its_onboarding_once(tmp_path, monkeypatch):
    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path))
    from orchestration.definitions import defs
    from orchestration.sellers import Seller, SellerRegistry

    sensor = defs.get_repository_def().get_sensor_def("new_seller_backfill")
    registry = SellerRegistry(tmp_path / "state")
    registry.upsert(Seller(seller_id="A1NEWSELLER", kind="sp-api"))
    registry.upsert(Seller(seller_id="A2FILESONLY", kind="files"))
    with dg.instance_for_test() as instance:
        result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    [request] = result.run_requests
    assert request.run_key == "onboard-A1NEWSELLER"
    assert request.tags["reclaim/seller"] == "A1NEWSELLER"
    ops = request.run_config["ops"]
    assert ops["amazon__ledger_detail"]["config"] == {"sellers": ["A1NEWSELLER"]}
    assert dg.validate_run_config(defs.resolve_job_def("daily_job"), request.run_config)

    # once pulled (a cursor exists), nothing more to onboard
    (tmp_path / "landing" / "_cursors" / "A1NEWSELLER").mkdir(parents=True)
    with dg.instance_for_test() as instance:
        result = sensor.evaluate_tick(dg.build_sensor_context(instance=instance))
    assert not result.run_requests and "no newly registered" in result.skip_message


def test_dropped_files_are_ingested_once_settled(tmp_path, monkeypatch):
    import shutil

    from tests.conftest import FIXTURES

    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path))
    from orchestration.definitions import defs
    from orchestration.home import ReclaimHome
    from orchestration.runner import run_job

    sensor = defs.get_repository_def().get_sensor_def("dropbox_files")
    drop = tmp_path / "dropbox" / "A1DROPPER"
    drop.mkdir(parents=True)
    (tmp_path / "dropbox" / "not a seller!").mkdir()
    files = [
        shutil.copy(FIXTURES / "handwritten" / n, drop / n)
        for n in ("ledger.tsv", "reimbursements.tsv", "product_master.csv")
    ]

    def tick():
        with dg.instance_for_test() as instance:
            return sensor.evaluate_tick(dg.build_sensor_context(instance=instance))

    assert not tick().run_requests  # still being copied in (modified seconds ago)
    _old(files)
    [request] = tick().run_requests
    assert request.run_key.startswith("dropbox-A1DROPPER-")
    config = request.run_config["ops"]["seller_input__dropped_report_files"]["config"]
    assert config == {
        "seller_id": "A1DROPPER",
        "paths": ["ledger.tsv", "product_master.csv", "reimbursements.tsv"],
    }
    assert dg.validate_run_config(defs.resolve_job_def("ingest_job"), request.run_config)
    assert tick().run_requests[0].run_key == request.run_key  # same files, same run key

    home = ReclaimHome(tmp_path)
    run_job(
        home,
        "ingest_job",
        request.run_config["ops"],
        asset_selection=[dg.AssetKey(["seller_input", "dropped_report_files"])],
    )
    landed = tmp_path / "landing" / "parquet" / "ledger_detail" / "seller_id=A1DROPPER"
    assert list(landed.rglob("*.parquet"))

    # a changed file is a new run
    with open(files[0], "a", encoding="utf-8") as fh:
        fh.write("")
    (drop / "more.tsv").write_text("not a report\n")
    _old([*files, drop / "more.tsv"])
    [again] = tick().run_requests
    assert again.run_key != request.run_key
    # ... and a file that is not a report fails that run by name, nothing of it loaded
    import pytest

    from orchestration.runner import PipelineFailed

    with pytest.raises(PipelineFailed, match=r"more\.tsv"):
        run_job(
            home,
            "ingest_job",
            again.run_config["ops"],
            asset_selection=[dg.AssetKey(["seller_input", "dropped_report_files"])],
        )
