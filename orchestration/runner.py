"""Run the Dagster jobs in this process, for the CLI: the same definitions the UI runs."""

from __future__ import annotations

import contextlib
import sys
from dataclasses import dataclass
from datetime import UTC, datetime

from orchestration.home import REPO_ROOT, ReclaimHome


class PipelineFailed(RuntimeError):
    pass


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
) -> RunOutcome:
    home.activate()
    import dagster as dg

    from extractors.landing import LandingZone

    # Every source's zero-row schema file, so a build over a home with nothing landed yet for
    # some source (or none at all) builds empty models instead of failing on an empty glob.
    LandingZone(home.root).ensure_schemas()

    from orchestration.definitions import defs

    instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
    job = defs.resolve_job_def(job_name)
    run_config = {
        "ops": ops_config or {},
        "loggers": {"console": {"config": {"log_level": log_level}}},
    }
    # dbt's own progress lines (dagster-dbt echoes them to stdout) go to a log file, so the CLI
    # prints a summary rather than a build transcript; `--verbose` shows them as they happen.
    logs = home.root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{datetime.now(UTC):%Y%m%dT%H%M%S}-{job_name}.log"
    with open(log_path, "a", encoding="utf-8") as fh:
        target = sys.stdout if verbose else fh
        with contextlib.redirect_stdout(target):
            result = job.execute_in_process(
                run_config=run_config,
                instance=instance,
                raise_on_error=False,
                asset_selection=asset_selection,
            )
    failures = []
    for event in result.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            err = event.step_failure_data.error
            msg = err.message.strip() if err else "unknown error"
            failures.append(f"{event.step_key}: {msg}")
    outcome = RunOutcome(result.run_id, result.success, failures, str(log_path))
    if not result.success:
        detail = "\n".join(f"  - {f}" for f in failures) or "  (no step failure recorded)"
        raise PipelineFailed(
            f"Dagster run {result.run_id} of {job_name} failed:\n{detail}\ndbt output: {log_path}"
        )
    return outcome
