"""Run lifecycle: which process runs what, and what a process that died leaves behind.

A run killed hard (kill -9, OOM, power loss) cannot report its own end: Dagster keeps it STARTED
forever, with its concurrency-pool slot (pool "warehouse") and its seller's place in the run queue
(tag limit reclaim/seller = 1). Dagster's run monitoring cannot tell here either: this
instance's DefaultRunLauncher does not implement run-worker health checks, and the CLI's runs
(execute_in_process) are launched by no launcher at all. So every run records its worker, the
process that executes it: CLI runs in the tag `reclaim/worker` (host:pid:process start), runs
launched by the daemon or the UI through Dagster's own "Started process for run (pid: N)" event.
`reap_orphans` fails every STARTED run whose worker is gone, with the reason, frees the pool slots
and pending slot claims of runs that are no longer running, and writes the incident. The CLI
calls it before each run and in `reclaim status`.

Builds of one home (dbt through publish) are mutually exclusive whole: `build_lock` is an OS
file lock (fcntl.flock) on RECLAIM_HOME/build.lock, which the kernel frees when its holder dies,
so a crash never leaves it held.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from orchestration.home import ReclaimHome

WORKER_TAG = "reclaim/worker"
WAREHOUSE_POOL = "warehouse"
INCIDENTS = "incidents.jsonl"
# Jobs that build the warehouse (dbt, the GX gate, the serving copy): one at a time per home.
BUILD_JOBS = frozenset({"build_job", "ingest_job", "weekly_recovery_job"})
# How often a waiting build looks again (it stays interruptible between looks).
POLL_S = 0.25


# -- which process is a run's worker ---------------------------------------------------------


def _boot_time() -> float | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return float(line.split()[1])
    except OSError:
        pass
    return None


def process_start(pid: int) -> float | None:
    """When process `pid` started (epoch seconds), or None if unknown (no /proc)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    boot = _boot_time()
    if boot is None:
        return None
    ticks = int(stat.rsplit(")", 1)[1].split()[19])  # field 22, starttime
    return boot + ticks / os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Worker:
    host: str
    pid: int
    since: float | None  # the process's start (tag) or a moment it was known running (event)

    def tag(self) -> str:
        return f"{self.host}:{self.pid}:{self.since or ''}"

    @classmethod
    def parse(cls, tag: str) -> Worker | None:
        try:
            host, pid, since = tag.rsplit(":", 2)
            return cls(host, int(pid), float(since) if since else None)
        except ValueError:
            return None

    def alive(self) -> bool | None:
        """False if the process is gone (or its pid now belongs to a younger process), None if
        it runs on another host (cannot tell from here)."""
        if self.host != socket.gethostname():
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass  # exists, another user's
        started = process_start(self.pid)
        # A pid now owned by a process started after the run's worker was reused: gone.
        return started is None or self.since is None or started <= self.since + 2

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"


def this_worker() -> Worker:
    pid = os.getpid()
    return Worker(socket.gethostname(), pid, process_start(pid))


def run_worker(instance, run) -> Worker | None:
    tag = run.tags.get(WORKER_TAG)
    if tag:
        return Worker.parse(tag)
    # Launched runs: the run worker's first engine event names its pid ("Started process for
    # run (pid: N)"); a run executed in process names that process ("Executing steps in
    # process (pid: N)"). Launched by the local daemon/UI on this host.
    from dagster import DagsterEventType

    for entry in instance.all_logs(run.run_id, of_type=DagsterEventType.ENGINE_EVENT):
        data = entry.dagster_event.engine_event_data if entry.dagster_event else None
        pid = data.metadata.get("pid") if data and data.metadata else None
        if pid is not None:
            value = getattr(pid, "value", pid)
            if str(value).isdigit():
                return Worker(socket.gethostname(), int(value), entry.timestamp)
    return None


# -- incidents -------------------------------------------------------------------------------


def record_incident(
    home: ReclaimHome,
    run_id: str,
    job: str,
    message: str,
    failed_steps: list[dict] | None = None,
) -> bool:
    """Append one incident line for a failed run to RECLAIM_HOME/incidents.jsonl, once per run
    (the CLI, the orphan sweep and the run_failure_incidents sensor may all see one failure).
    Returns whether a line was written."""
    path = home.root / INCIDENTS
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        fh.seek(0)
        for line in fh:
            try:
                if json.loads(line).get("run_id") == run_id:
                    return False
            except ValueError:
                continue
        record = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "job": job,
            "run_id": run_id,
            "message": message,
            "failed_steps": failed_steps or [],
        }
        fh.write(json.dumps(record) + "\n")
    return True


def _failure_message(instance, run) -> tuple[str, list[dict]]:
    from dagster import DagsterEventType

    message, steps = "run failed", []
    for entry in instance.all_logs(
        run.run_id, of_type={DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE}
    ):
        ev = entry.dagster_event
        if ev is None:
            continue
        if ev.event_type == DagsterEventType.RUN_FAILURE:
            message = ev.message or entry.user_message or message
        elif ev.step_failure_data is not None:
            err = ev.step_failure_data.error
            steps.append(
                {"step": ev.step_key, "error": (err.message.strip() if err else "")[:2000]}
            )
    return message, steps


def sync_incidents(instance, home: ReclaimHome, limit: int = 50) -> int:
    """Write the incident of every recent failed run that has none yet (runs started by the
    CLI, by a schedule, by a sensor or from the UI, whether or not any sensor is running)."""
    from dagster import DagsterRunStatus, RunsFilter

    written = 0
    for run in instance.get_runs(
        filters=RunsFilter(statuses=[DagsterRunStatus.FAILURE]), limit=limit
    ):
        message, steps = _failure_message(instance, run)
        written += record_incident(home, run.run_id, run.job_name, message, steps)
    return written


# -- orphans ---------------------------------------------------------------------------------


@dataclass
class Orphan:
    run_id: str
    job: str
    partition: str | None
    reason: str


def reap_orphans(instance, home: ReclaimHome) -> list[Orphan]:
    """Fail every STARTED/STARTING/CANCELING run whose worker process is gone, with the reason;
    then free the pool slots (claimed or pending) of every run that is not running any more."""
    from dagster import DagsterRunStatus, RunsFilter

    active = (DagsterRunStatus.STARTING, DagsterRunStatus.STARTED, DagsterRunStatus.CANCELING)
    orphans = []
    for run in instance.get_runs(filters=RunsFilter(statuses=list(active))):
        worker = run_worker(instance, run)
        if worker is None or worker.alive() is not False:
            continue
        reason = (
            f"run worker {worker} is gone (killed or crashed) while the run was "
            f"{run.status.value}; marked failed by {this_worker()} at "
            f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC"
        )
        instance.report_run_failed(run, reason)
        record_incident(home, run.run_id, run.job_name, reason)
        orphans.append(Orphan(run.run_id, run.job_name, run.tags.get("dagster/partition"), reason))
    storage = instance.event_log_storage
    if storage.supports_global_concurrency_limits:
        running = {
            r.run_id
            for r in instance.get_runs(
                filters=RunsFilter(statuses=[*active, DagsterRunStatus.QUEUED])
            )
        }
        for run_id in storage.get_concurrency_run_ids() - running:
            storage.free_concurrency_slots_for_run(run_id)
    return orphans


def stuck_runs(instance) -> list[dict]:
    """Runs that are STARTED (or STARTING/CANCELING) with the state of their worker."""
    from dagster import DagsterRunStatus, RunsFilter

    out = []
    for run in instance.get_runs(
        filters=RunsFilter(
            statuses=[
                DagsterRunStatus.STARTING,
                DagsterRunStatus.STARTED,
                DagsterRunStatus.CANCELING,
            ]
        )
    ):
        worker = run_worker(instance, run)
        alive = worker.alive() if worker else None
        out.append(
            {
                "run_id": run.run_id[:8],
                "job": run.job_name,
                "status": run.status.value,
                "partition": run.tags.get("dagster/partition"),
                "worker": str(worker) if worker else "unknown",
                "worker_alive": alive,
            }
        )
    return out


# -- waiting for the warehouse ---------------------------------------------------------------


def _interruptible_wait(ready: Callable[[], bool], timeout_s: float | None) -> bool:
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    while not ready():
        if deadline is not None and time.monotonic() >= deadline:
            return False
        time.sleep(POLL_S)  # Ctrl-C / SIGTERM land here
    return True


def wait_for_pool(
    instance,
    home: ReclaimHome,
    notify: Callable[[str], None],
    pool: str = WAREHOUSE_POOL,
    timeout_s: float | None = None,
) -> None:
    """Before a run that needs `pool`: free what dead runs hold, then, while live runs hold
    every slot, say which and wait (interruptibly) instead of blocking inside Dagster."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return
    told: set[str] = set()

    def free() -> bool:
        reap_orphans(instance, home)
        info = storage.get_concurrency_info(pool)
        limit = info.slot_count if info.slot_count else (info.limit or 0)
        if not info.claimed_slots or limit == 0 or len(info.claimed_slots) < limit:
            return True
        holders = sorted({s.run_id for s in info.claimed_slots})
        key = ",".join(holders)
        if key not in told:
            told.add(key)
            names = []
            for run_id in holders:
                run = instance.get_run_by_id(run_id)
                worker = run_worker(instance, run) if run else None
                job = run.job_name if run else "?"
                names.append(f"run {run_id[:8]} ({job}, {worker or 'worker unknown'})")
            notify(f"waiting for the {pool} pool, held by {', '.join(names)} (Ctrl-C to stop)")
        return False

    if not _interruptible_wait(free, timeout_s):
        raise TimeoutError(f"the {pool} pool stayed busy for {timeout_s:.0f} s")


# -- one build per home ----------------------------------------------------------------------

_held: dict[str, int] = {}  # lock path -> fd, for locks this process holds


def build_lock_path(home: ReclaimHome) -> Path:
    return home.root / "build.lock"


def read_holder(home: ReclaimHome) -> dict:
    try:
        return json.loads(build_lock_path(home).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}


def holds_build_lock(home: ReclaimHome) -> bool:
    return str(build_lock_path(home)) in _held


@contextlib.contextmanager
def build_lock(
    home: ReclaimHome,
    what: dict,
    notify: Callable[[str], None] | None = None,
    timeout_s: float | None = None,
) -> Iterator[None]:
    """Hold RECLAIM_HOME/build.lock for the block. If another process holds it, say who (pid,
    as-of, since) and wait for it, interruptibly; re-entrant within one process."""
    path = build_lock_path(home)
    if str(path) in _held:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:

        def take() -> bool:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                return False

        if not take():
            h = read_holder(home)
            if notify:
                notify(
                    f"waiting for the build of this home by pid {h.get('pid', '?')} "
                    f"(as of {h.get('as_of') or '?'}, {h.get('job', 'build')}, since "
                    f"{h.get('since', '?')}) (Ctrl-C to stop)"
                )
            if not _interruptible_wait(take, timeout_s):
                raise TimeoutError(
                    f"another build of {home.root} (pid {h.get('pid', '?')}) still runs"
                )
        holder = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "since": f"{datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC",
            **what,
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder).encode(), 0)
        _held[str(path)] = fd
        try:
            yield
        finally:
            _held.pop(str(path), None)
    finally:
        os.close(fd)  # releases the lock


# -- a warehouse another process has open ----------------------------------------------------


def lock_conflict(text: str) -> str | None:
    """One line for DuckDB's "Could not set lock on file ... Conflicting lock is held in <prog>
    (PID n)" buried in an error, or None."""
    import re

    m = re.search(
        r'Could not set lock on file "([^"]+)".*?Conflicting lock is held in (.*?) \(PID (\d+)\)',
        text,
        re.S,
    )
    if not m:
        return None
    path, prog, pid = m.groups()
    return (
        f"{path} is open in another process: {prog} (PID {pid}); close it (analysts read "
        "the serving copy, serving/reclaim.duckdb) and run again"
    )


# -- fault injection (tests) -----------------------------------------------------------------

FAULT_ENV = "RECLAIM_FAULT_KILL_AT"


def fault_point(phase: str) -> None:
    """Tests kill the process here (SIGKILL, as kill -9 or the OOM killer would) when
    RECLAIM_FAULT_KILL_AT names this phase: "dbt", "gate" or "publish"."""
    if os.environ.get(FAULT_ENV) == phase:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)
