"""The daily schedule's run requests and the incident line a failed run leaves behind."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import dagster as dg


def test_daily_schedule_requests_one_run_per_onboarded_seller_for_yesterday(tmp_path, monkeypatch):
    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path))
    from orchestration.definitions import defs
    from orchestration.sellers import Seller, SellerRegistry

    repo = defs.get_repository_def()
    schedule = repo.get_schedule_def("daily_schedule")
    assert schedule.cron_schedule == "0 6 * * *" and schedule.execution_timezone == "UTC"
    registry = SellerRegistry(tmp_path / "state")
    for sid, kind in (("A1ONE", "sp-api"), ("A2TWO", "sandbox"), ("A3FILES", "files")):
        registry.upsert(Seller(seller_id=sid, kind=kind))
    registry.upsert(Seller(seller_id="A4NOTYET", kind="sp-api"))
    with dg.instance_for_test() as instance:
        # A4NOTYET is registered but not yet a partition: new_seller_backfill onboards it first.
        instance.add_dynamic_partitions("sellers", ["A1ONE", "A2TWO", "A3FILES"])
        context = dg.build_schedule_context(
            instance=instance,
            scheduled_execution_time=datetime(2026, 11, 20, 6, 0, tzinfo=UTC),
            repository_def=repo,
        )
        requests = schedule.evaluate_tick(context).run_requests
        job = defs.resolve_job_def("extract_job")
        for request in requests:
            # The config is one the job accepts (every op named exists, every field is known).
            assert dg.validate_run_config(job, request.run_config)
    by_seller = {r.tags["reclaim/seller"]: r for r in requests}
    assert sorted(by_seller) == ["A1ONE", "A2TWO"]  # files-only sellers are not pulled
    one = by_seller["A1ONE"]
    assert one.run_key == "daily-2026-11-19-A1ONE" and one.tags["reclaim/day"] == "2026-11-19"
    assert one.partition_key == dg.MultiPartitionKey({"day": "2026-11-19", "seller": "A1ONE"})
    # the range is the cursor's to plan: nothing pinned in the config
    assert one.run_config["ops"]["amazon__ledger_detail"]["config"] == {}


def _evaluate(sensor, instance):
    """One tick of `sensor` against `instance`, as the daemon evaluates it. The context is closed
    after the tick: an open one would leave its instance as Dagster's current one for later
    tests, after it is gone."""
    from orchestration.definitions import defs

    context = dg.build_sensor_context(
        instance_ref=instance.get_ref(), repository_def=defs.get_repository_def()
    )
    with context:
        return sensor.evaluate_tick(context)


def _extract_run(instance, seller, day, status):
    """An extract_job run of `seller`'s partition for `day`, recorded with `status`."""
    from orchestration.assets.extraction import seller_day_key, seller_day_tags

    run = instance.create_run_for_job(
        job_def=dg.GraphDefinition(name="extract_job", node_defs=[]).to_job(),
        run_id=None,
        tags={
            **seller_day_tags(seller, day),
            "dagster/partition": str(seller_day_key(seller, day)),
        },
        status=status,
    )
    return run


def test_build_waits_for_every_seller_of_the_day_then_runs_once(tmp_path, monkeypatch):
    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path))
    from orchestration.definitions import defs

    sensor = defs.get_repository_def().get_sensor_def("build_after_extraction")
    S = dg.DagsterRunStatus
    with dg.instance_for_test() as instance:
        _extract_run(instance, "A1ONE", "2026-11-19", S.SUCCESS)
        running = _extract_run(instance, "A2TWO", "2026-11-19", S.STARTED)
        result = _evaluate(sensor, instance)
        assert not result.run_requests  # A2TWO is still pulling

        instance.handle_run_event(
            running.run_id,
            dg.DagsterEvent(
                event_type_value=dg.DagsterEventType.RUN_FAILURE.value,
                job_name="extract_job",
                message="failed",
            ),
        )
        [request] = _evaluate(sensor, instance).run_requests
        # one build for the day over every seller's data, as of the day after
        assert request.run_key == "build-2026-11-19-1"
        assert request.run_config["ops"]["reclaim_dbt_assets"]["config"]["as_of"] == "2026-11-20"
        assert dg.validate_run_config(defs.resolve_job_def("build_job"), request.run_config)

        # A2TWO's retry succeeds later that day: the build runs again, with its data
        _extract_run(instance, "A2TWO", "2026-11-19", S.SUCCESS)
        [again] = _evaluate(sensor, instance).run_requests
        assert again.run_key == "build-2026-11-19-2"

        # every run of the newest day failed: nothing new to build
        _extract_run(instance, "A1ONE", "2026-11-20", S.FAILURE)
        assert not _evaluate(sensor, instance).run_requests

        # a newer day builds; an older day's late success is not built over it (the newest
        # build covers it): building as of an older day would publish an older queue
        _extract_run(instance, "A1ONE", "2026-11-21", S.SUCCESS)
        [newest] = _evaluate(sensor, instance).run_requests
        assert newest.run_key == "build-2026-11-21-1"
        _extract_run(instance, "A2TWO", "2026-11-19", S.SUCCESS)
        assert [r.run_key for r in _evaluate(sensor, instance).run_requests] == [
            "build-2026-11-21-1"
        ]


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

    repo = defs.get_repository_def()
    sensor = repo.get_sensor_def("new_seller_backfill")
    registry = SellerRegistry(tmp_path / "state")
    registry.upsert(Seller(seller_id="A1NEWSELLER", kind="sp-api"))
    registry.upsert(Seller(seller_id="A2FILESONLY", kind="files"))
    with dg.instance_for_test() as instance:

        def tick():
            return _evaluate(sensor, instance)

        result = tick()
        [request] = result.run_requests
        assert request.run_key == "onboard-A1NEWSELLER"
        assert request.tags["reclaim/seller"] == "A1NEWSELLER"
        # the seller becomes a partition of the extraction assets in the same tick
        [added] = result.dynamic_partitions_requests
        assert added.partitions_def_name == "sellers"
        assert list(added.partition_keys) == ["A1NEWSELLER"]
        assert request.partition_key.keys_by_dimension["seller"] == "A1NEWSELLER"
        # nothing pinned: the cursor of a seller never pulled plans the 18-month backfill
        assert request.run_config["ops"]["amazon__ledger_detail"]["config"] == {}
        assert dg.validate_run_config(defs.resolve_job_def("extract_job"), request.run_config)
        instance.add_dynamic_partitions("sellers", list(added.partition_keys))  # the daemon's part

        # once pulled (a cursor exists), nothing more to onboard and no partition to add
        (tmp_path / "landing" / "_cursors" / "A1NEWSELLER").mkdir(parents=True)
        result = tick()
        assert not result.run_requests and not result.dynamic_partitions_requests
        assert "no newly registered" in result.skip_message


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
            return _evaluate(sensor, instance)

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
