"""The dbt project as Dagster assets (dagster-dbt): staging, intermediate and marts, with dbt's
tests as asset checks. One build writes the warehouse at a time (pool "warehouse")."""

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.dbt import dbt_project, ensure_manifest
from orchestration.home import ReclaimHome
from orchestration.lifecycle import build_lock, fault_point, lock_conflict

AS_OF_ENV = "RECLAIM_AS_OF"
KEEP_DBT_TARGETS = 5
PARTIAL_PARSE = "partial_parse.msgpack"


def _prune(folder: Path, keep: int) -> None:
    if not folder.is_dir():
        return
    runs = sorted((p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
    for old in runs[: max(0, len(runs) - keep)]:
        shutil.rmtree(old, ignore_errors=True)


def _reuse_parse(targets: Path, run_target: Path) -> None:
    """Start the run's dbt from the home's last parse. dbt re-parses the whole project (about 4 s)
    when its target folder has no parse state for the same profile; every run has a new target
    folder, and the profile names this home's warehouse. dbt checks the state it is given (file
    hashes, profile, vars) and re-parses what changed."""
    saved = targets / PARTIAL_PARSE
    if saved.exists():
        run_target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, run_target / PARTIAL_PARSE)


def _keep_parse(run_target: Path, targets: Path) -> None:
    """Keep the run's parse state for the next run (swapped in whole: never half-written). Only
    a saving: a failure to keep it must not hide how the build itself ended."""
    state = run_target / PARTIAL_PARSE
    staged = targets / f".{PARTIAL_PARSE}.{run_target.name}"
    try:
        if state.exists():
            shutil.copyfile(state, staged)
            os.replace(staged, targets / PARTIAL_PARSE)
    except OSError:
        staged.unlink(missing_ok=True)


LEFTOVER_WRITER_WAIT_S = 300.0


def _warehouse_free(warehouse: Path, log) -> None:
    """Before dbt opens the warehouse: if another process holds it, fail with one line naming
    that process, unless it is a dbt left running by a build killed a moment ago (it ends on
    its own, once it finds its parent gone): then wait for it, bounded."""
    if not warehouse.exists():
        return
    deadline = time.monotonic() + LEFTOVER_WRITER_WAIT_S
    told = False
    while True:
        try:
            duckdb.connect(str(warehouse)).close()
            return
        except duckdb.IOException as exc:
            line = lock_conflict(str(exc))
            if line is None:
                raise
            pid = int(line.rsplit("(PID ", 1)[1].split(")")[0])
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                cmd = b""
            if b"dbt" not in cmd or time.monotonic() > deadline:
                raise dg.Failure(description=line, allow_retries=False) from None
            if not told:
                log.warning(f"waiting for a dbt left by an earlier build to exit: {line}")
                told = True
            time.sleep(0.5)


class DbtBuildConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="The day claims are evaluated on (YYYY-MM-DD): windows, deadlines and "
        "status are computed from it. Default: today (UTC).",
    )

    full_refresh: bool = Field(
        default=False,
        description="Rebuild the incremental staging tables from every landed file (dbt "
        "--full-refresh): after an upgrade changed their columns (the build then fails and "
        "says so) or a landing was restored from a backup.",
    )

    def as_of_date(self) -> str:
        if self.as_of:
            return datetime.strptime(self.as_of, "%Y-%m-%d").date().isoformat()
        return datetime.now(UTC).date().isoformat()


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, pool="warehouse")
def reclaim_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
):
    as_of = config.as_of_date()
    # dbt's unit tests check the SQL, not the data: they run in the test suite
    # (tests/dbt/test_dbt_project.py), not in every production build.
    args = ["build", "--exclude-resource-type", "unit_test"]
    if config.full_refresh:
        args.append("--full-refresh")
    # as_of reaches the as_of_date() macro through the environment, not --vars: dbt re-parses
    # the whole project whenever --vars change (every day), but not for an env var a macro
    # reads, so each build keeps partial parsing.
    previous = os.environ.get(AS_OF_ENV)
    os.environ[AS_OF_ENV] = as_of
    # dbt's per-run target folder (manifest, compiled SQL, run results) is state: it goes under
    # RECLAIM_HOME, and only the last few runs' are kept.
    targets = ReclaimHome.from_env().root / "dbt_target"
    _prune(targets, keep=KEEP_DBT_TARGETS - 1)
    run_target = targets / context.run_id[:8]
    _reuse_parse(targets, run_target)
    home = ReclaimHome.from_env()
    try:
        # One build of a home at a time (re-entrant: a CLI build already holds it).
        with build_lock(home, {"as_of": as_of, "job": context.run.job_name}):
            _warehouse_free(home.warehouse, context.log)
            for n, event in enumerate(
                dbt.cli(args, context=context, target_path=run_target).stream()
            ):
                if n == 3:
                    fault_point("dbt")
                yield event
    finally:
        _keep_parse(run_target, targets)
        if previous is None:
            os.environ.pop(AS_OF_ENV, None)
        else:
            os.environ[AS_OF_ENV] = previous
