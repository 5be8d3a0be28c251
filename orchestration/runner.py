"""Run the Dagster jobs in this process, for the CLI: the same definitions the UI runs."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import REPO_ROOT, ReclaimHome


class PipelineFailed(RuntimeError):
    def __init__(self, message: str, causes: frozenset[str] = frozenset()):
        super().__init__(message)
        # class names of the errors behind the failed steps (e.g. "EndpointUnreachable")
        self.causes = causes


@dataclass
class RunOutcome:
    run_id: str
    success: bool
    failures: list[str]
    log_path: str


def run_job(
    home: ReclaimHome,
    job_name: str,
    ops_config: dict | None = None,
    log_level: str = "WARNING",
    verbose: bool = False,
    asset_selection: list | None = None,
    partition_key: str | None = None,
    tags: dict[str, str] | None = None,
    capture_stdout: bool = True,
) -> RunOutcome:
    home.activate()
    import dagster as dg

    from extractors.landing import LandingZone

    # Every source's zero-row schema file, so a build over a home with nothing landed yet for
    # some source (or none at all) builds empty models instead of failing on an empty glob.
    LandingZone(home.root).ensure_schemas()

    from orchestration import lifecycle
    from orchestration.definitions import defs

    instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
    job = defs.resolve_job_def(job_name)
    # Runs killed earlier (their worker is gone) are failed with the reason and give back their
    # pool slots and their seller's place in the queue before this run starts.
    lifecycle.reap_orphans(instance, home)
    if job_name in lifecycle.BUILD_JOBS:
        as_of = ((ops_config or {}).get("reclaim_dbt_assets") or {}).get("config", {}).get("as_of")
        with lifecycle.build_lock(home, {"as_of": as_of, "job": job_name}, notify=_notify):
            lifecycle.wait_for_pool(instance, home, _notify)
            return _execute(
                home, instance, job, job_name, ops_config, log_level, verbose,
                asset_selection, partition_key, tags, capture_stdout,
            )  # fmt: skip
    return _execute(
        home, instance, job, job_name, ops_config, log_level, verbose,
        asset_selection, partition_key, tags, capture_stdout,
    )  # fmt: skip


def _notify(message: str) -> None:
    print(f"reclaim: {message}", file=sys.stderr, flush=True)


def _interrupted(result) -> bool:
    """Whether Ctrl-C / SIGTERM ended the run (in a step, or while the run was setting up)."""
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            err = event.step_failure_data.error
        elif event.event_type_value == "PIPELINE_FAILURE":
            if "interrupt" in (event.message or "").lower():
                return True
            err = getattr(event.event_specific_data, "error", None)
        else:
            continue
        while err is not None:
            if "Interrupt" in (err.cls_name or ""):
                return True
            err = err.cause
    return False


def _error_text(err) -> str:
    """A failed step's error as the CLI prints it: the error the step raised, not Dagster's
    wrapper around it ("Error occurred while executing op ..."), whose stack is not printed."""
    if err is None:
        return "unknown error"
    wrapper = "DagsterExecutionStepExecutionError"
    while wrapper in (err.cls_name or "") and err.cause is not None:
        err = err.cause
    return (err.message or "").strip() or err.cls_name or "unknown error"


MAX_CHECK_LINES = 10  # failed checks named in a run's failure message


def _failed_checks(result) -> list[str]:
    """One line per asset check that failed with ERROR severity, with what it found (the GX
    gate's description names each failed expectation, its column, row count and examples)."""
    import dagster as dg

    lines = []
    for event in result.all_events:
        if event.event_type_value != "ASSET_CHECK_EVALUATION":
            continue
        evaluation = event.event_specific_data
        if evaluation.passed or evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        key = evaluation.asset_check_key
        what = (evaluation.description or "").strip() or "failed"
        lines.append(f"check {key.asset_key.to_user_string()}:{key.name}: {what[:1000]}")
    if len(lines) > MAX_CHECK_LINES:
        more = len(lines) - MAX_CHECK_LINES
        lines = [*lines[:MAX_CHECK_LINES], f"... and {more} more failed check(s) (Dagster UI)"]
    return lines


def _execute(
    home: ReclaimHome,
    instance,
    job,
    job_name: str,
    ops_config: dict | None,
    log_level: str,
    verbose: bool,
    asset_selection: list | None,
    partition_key: str | None,
    tags: dict[str, str] | None,
    capture_stdout: bool,
) -> RunOutcome:
    from orchestration import lifecycle

    run_config = {
        "ops": ops_config or {},
        "loggers": {"console": {"config": {"log_level": log_level, "full_errors": verbose}}},
    }
    # dbt's own progress lines (dagster-dbt echoes them to stdout) go to a log file, so the CLI
    # prints a summary rather than a build transcript; `--verbose` shows them as they happen.
    logs = home.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{job_name}.log"
    with open(log_path, "a", encoding="utf-8") as fh:
        target = fh if capture_stdout and not verbose else sys.stdout
        with contextlib.redirect_stdout(target) if capture_stdout else contextlib.nullcontext():
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                raise_on_error=False,
                asset_selection=asset_selection,
                partition_key=partition_key,
                # the run's worker is this process: if it dies, the next run can tell
                tags={**(tags or {}), lifecycle.WORKER_TAG: lifecycle.this_worker().tag()},
            )
    failures = []
    causes: set[str] = set()
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            err = event.step_failure_data.error
            cause = err
            while cause is not None:
                causes.add(cause.cls_name or "")
                cause = cause.cause
            msg = _error_text(err)
            failures.append(f"{event.step_key}: {lifecycle.lock_conflict(msg) or msg}")
    failures += _failed_checks(result)
    if not result.success and _interrupted(result):
        # Ctrl-C / SIGTERM: the run is canceled, and the command stops (not only this run).
        run = instance.get_run_by_id(result.run_id)
        if run is not None:
            instance.report_run_canceled(run, "interrupted (Ctrl-C or SIGTERM) in the CLI")
        raise KeyboardInterrupt
    outcome = RunOutcome(result.run_id, result.success, failures, str(log_path))
    if log_path.exists() and log_path.stat().st_size == 0:
        log_path.unlink()  # nothing was printed (extraction runs): Dagster's own log is the log
    if not result.success:
        lifecycle.record_incident(
            home,
            result.run_id,
            job_name,
            f"run {result.run_id} of {job_name} failed",
            [{"step": f.split(": ", 1)[0], "error": f.split(": ", 1)[-1][:2000]} for f in failures],
        )
        detail = "\n".join(f"  - {f}" for f in failures) or "  (no step failure recorded)"
        where = f"\ndbt output: {log_path}" if log_path.exists() else ""
        what = f"{job_name} ({partition_key})" if partition_key else job_name
        raise PipelineFailed(
            f"Dagster run {result.run_id} of {what} failed:\n{detail}{where}", frozenset(causes)
        )
    return outcome


# Sellers pulled at once by `run_extraction` (each is one Dagster run of extract_job, in its own
# process: Dagster's in-process execution is not thread-safe). Amazon's limits are per seller, so
# sellers in parallel cost no rate; the machine's cores do.
EXTRACT_PARALLEL_ENV = "RECLAIM_EXTRACT_PARALLEL"


@dataclass
class PartitionRun:
    """One run of a partitioned job: what a schedule's or sensor's RunRequest carries."""

    partition_key: str
    tags: dict[str, str]
    ops_config: dict | None = None


def _run_partition(root: str, job_name: str, run: PartitionRun, asset_selection):
    try:
        return run_job(
            ReclaimHome(Path(root)),
            job_name,
            run.ops_config,
            asset_selection=asset_selection,
            partition_key=run.partition_key,
            tags=run.tags,
            capture_stdout=False,
        )
    except PipelineFailed as exc:
        return exc


def run_partitions(
    home: ReclaimHome,
    job_name: str,
    runs: list[PartitionRun],
    *,
    asset_selection: list | None = None,
    parallel: int | None = None,
) -> list[RunOutcome]:
    """Execute each run (one partition each), up to `parallel` at once in worker processes, as
    the run queue admits the daily schedule's runs. Every run is attempted; if any failed,
    PipelineFailed names each failure after the others finished."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    home.activate()
    if parallel is None:
        raw = os.environ.get(EXTRACT_PARALLEL_ENV, "4")
        if not raw.strip().isdigit() or int(raw) < 1:
            raise PipelineFailed(f"{EXTRACT_PARALLEL_ENV}={raw!r}: expected a whole number >= 1")
        parallel = int(raw)
    workers = max(1, min(parallel, len(runs)))
    args = [(str(home.root), job_name, r, asset_selection) for r in runs]
    if workers == 1:
        results = [_run_partition(*a) for a in args]
    else:
        # spawn: a clean interpreter per worker (no inherited locks or open storage handles)
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            results = list(pool.map(_run_partition, *zip(*args, strict=True)))
    failed = [r for r in results if isinstance(r, PipelineFailed)]
    if failed:
        raise PipelineFailed(
            "\n".join(str(r) for r in failed), frozenset().union(*(r.causes for r in failed))
        )
    return results


def run_extraction(
    home: ReclaimHome,
    seller_ids: list[str],
    day,
    ops_config: dict | None = None,
    *,
    asset_selection: list | None = None,
    parallel: int | None = None,
    extra_tags: dict[str, str] | None = None,
) -> list[RunOutcome]:
    """One extract_job run per seller for partition (day, seller), sellers in parallel, as the
    daily schedule launches them; the sellers are added to the partitions first."""
    home.activate()
    import dagster as dg

    from orchestration.assets.extraction import SELLERS, seller_day_key, seller_day_tags

    instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
    missing = [s for s in seller_ids if not instance.has_dynamic_partition(SELLERS.name, s)]
    if missing:
        instance.add_dynamic_partitions(SELLERS.name, missing)
    runs = [
        PartitionRun(
            str(seller_day_key(s, day)),
            {**seller_day_tags(s, day), **(extra_tags or {})},
            ops_config,
        )
        for s in seller_ids
    ]
    return run_partitions(
        home, "extract_job", runs, asset_selection=asset_selection, parallel=parallel
    )
