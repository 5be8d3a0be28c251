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
