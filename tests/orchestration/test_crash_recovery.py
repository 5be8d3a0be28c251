"""Crash safety of runs: a build killed with SIGKILL in dbt, in the GX gate or in publish is
recovered by the next build unattended (same marts as a build never interrupted); two builds of
one home never interleave; an extraction killed hard is failed as an orphan and frees its
seller; a backfill against a closed port fails at once with one line.

Every child process runs under a timeout; every poll loop is bounded in count and time."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import FIXTURES, REPO, run_reclaim

AS_OF = "2026-11-20"
BUILD_TIMEOUT_S = 900  # a build of the fixture home takes 20 s idle, minutes on a busy machine


def _marts(serving: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(serving), read_only=True) as con:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_schema = 'marts' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}


@pytest.fixture(scope="module")
def landed(tmp_path_factory):
    """A home with the report fixtures ingested (nothing built yet), and the marts of one
    uninterrupted build of a copy of it."""
    home = tmp_path_factory.mktemp("landed") / "home"
    for folder in ("reports", "handwritten"):
        run_reclaim(home, "ingest", "--seller", "A1CRASH", str(FIXTURES / folder), timeout=300)
    reference = tmp_path_factory.mktemp("reference") / "home"
    shutil.copytree(home, reference)
    r = run_reclaim(reference, "build", "--as-of", AS_OF, timeout=BUILD_TIMEOUT_S)
    assert r.returncode == 0, r.stderr
    marts = _marts(reference / "serving" / "reclaim.duckdb")
    assert marts["fct_claims"], "the fixture home must give claims"
    return home, marts


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RECLAIM_", "DAGSTER_", "SP_API_", "LWA_", "DBT_"))
    }
    return {**env, "RECLAIM_HOME": str(home), **extra}


RECLAIM = str(Path(sys.executable).with_name("reclaim"))


def _instance(home: Path):
    import dagster as dg

    from orchestration.home import REPO_ROOT, ReclaimHome

    ReclaimHome(home).activate()
    return dg.DagsterInstance.from_config(str(REPO_ROOT))


@pytest.mark.slow
@pytest.mark.parametrize(
    "phase",
    [
        "dbt",
        "gate",
        "publish",
    ],
)
def test_a_build_killed_in_any_phase_is_recovered_by_the_next_build(landed, tmp_path, phase):
    from orchestration.lifecycle import FAULT_ENV

    template, reference_marts = landed
    home = tmp_path / "home"
    shutil.copytree(template, home)

    killed = subprocess.run(
        [RECLAIM, "build", "--as-of", AS_OF],
        env=_env(home, **{FAULT_ENV: phase}),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=BUILD_TIMEOUT_S,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    instance = _instance(home)
    [dead] = instance.get_runs()
    assert dead.status.value == "STARTED"  # what kill -9 leaves: nobody reported the end
    if phase == "publish":
        assert list((home / "serving").glob(".reclaim.*.duckdb")), "the temp copy is left"
    instance.dispose()

    started = time.monotonic()
    rerun = run_reclaim(home, "build", "--as-of", AS_OF, timeout=BUILD_TIMEOUT_S)
    assert rerun.returncode == 0, rerun.stderr
    assert f"Claims as of {AS_OF}" in rerun.stdout
    assert time.monotonic() - started < BUILD_TIMEOUT_S

    assert _marts(home / "serving" / "reclaim.duckdb") == reference_marts
    assert not list((home / "serving").glob(".reclaim.*")), "no temp copy left behind"
    instance = _instance(home)
    runs = {r.run_id: r for r in instance.get_runs()}
    assert runs[dead.run_id].status.value == "FAILURE"
    assert len(runs) == 2 and all(
        r.status.value == "SUCCESS" for i, r in runs.items() if i != dead.run_id
    )
    failure = [
        e.dagster_event.message
        for e in instance.all_logs(dead.run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_FAILURE"
    ]
    assert failure and "is gone (killed or crashed)" in failure[0]
    incidents = (home / "incidents.jsonl").read_text(encoding="utf-8")
    assert dead.run_id in incidents and "killed or crashed" in incidents
    info = instance.event_log_storage.get_concurrency_info("warehouse")
    assert not info.claimed_slots and not info.pending_steps
    instance.dispose()


@pytest.mark.slow
def test_two_builds_of_one_home_never_interleave_and_each_prints_its_own_as_of(landed, tmp_path):
    template, _ = landed
    home = tmp_path / "home"
    shutil.copytree(template, home)
    as_ofs = ("2026-11-20", "2027-03-31")
    procs = []
    for as_of in as_ofs:
        procs.append(
            subprocess.Popen(
                [RECLAIM, "build", "--as-of", as_of],
                env=_env(home),
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
        time.sleep(1.0)  # the first takes the lock first
    outs = [p.communicate(timeout=2 * BUILD_TIMEOUT_S) for p in procs]
    for p, (out, err), as_of in zip(procs, outs, as_ofs, strict=True):
        assert p.returncode == 0, err
        assert f"Claims as of {as_of}" in out
        other = next(a for a in as_ofs if a != as_of)
        assert f"Claims as of {other}" not in out
    # the second waited for the first, naming it
    assert (
        f"waiting for the build of this home by pid {procs[0].pid} (as of {as_ofs[0]}"
        in (outs[1][1])
    )
    instance = _instance(home)
    runs = sorted(
        instance.get_run_records(), key=lambda r: r.start_time or r.create_timestamp.timestamp()
    )
    assert [r.dagster_run.status.value for r in runs] == ["SUCCESS", "SUCCESS"]
    assert runs[0].end_time <= runs[1].start_time, "the runs overlapped"
    instance.dispose()
    with duckdb.connect(str(home / "serving" / "reclaim.duckdb"), read_only=True) as con:
        [(published,)] = con.execute("select max(as_of)::varchar from marts.fct_claims").fetchall()
    assert published == as_ofs[1]


def test_a_build_lock_held_by_a_dead_process_is_free(tmp_path):
    """The lock is the kernel's: a holder killed with SIGKILL leaves nothing to clean."""
    from orchestration.home import ReclaimHome
    from orchestration.lifecycle import build_lock, read_holder

    home = ReclaimHome(tmp_path / "home")
    home.root.mkdir()
    code = (
        "import sys, time; from pathlib import Path; "
        "from orchestration.home import ReclaimHome; "
        "from orchestration.lifecycle import build_lock\n"
        f"with build_lock(ReclaimHome(Path({str(home.root)!r})), {{'as_of': '2026-01-02'}}):\n"
        "    print('held', flush=True); time.sleep(60)\n"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert read_holder(home)["pid"] == holder.pid
        messages = []
        with pytest.raises(TimeoutError), build_lock(home, {}, messages.append, timeout_s=0.5):
            pass
        assert messages and f"pid {holder.pid} (as of 2026-01-02" in messages[0]
        holder.kill()
        holder.wait(timeout=10)
        with build_lock(home, {"as_of": "2026-02-03"}, messages.append, timeout_s=5):
            assert read_holder(home)["pid"] == os.getpid()
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_stale_serving_temp_files_are_removed_by_the_next_publish(tmp_path):
    from orchestration.serving import publish_serving_copy

    warehouse = tmp_path / "home" / "warehouse" / "reclaim.duckdb"
    serving = tmp_path / "home" / "serving" / "reclaim.duckdb"
    warehouse.parent.mkdir(parents=True)
    serving.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t as select 1 as x")
    stale = serving.with_name(".reclaim.0123abcd.duckdb")
    stale.write_bytes(b"\0" * 4096)
    stale.with_name(stale.name + ".wal").write_bytes(b"\0")
    publish_serving_copy(warehouse, serving)
    assert sorted(p.name for p in serving.parent.iterdir()) == ["reclaim.duckdb"]


def test_a_warehouse_held_by_another_process_is_one_line_naming_it(tmp_path):
    from orchestration.serving import WarehouseBusy, publish_serving_copy

    warehouse = tmp_path / "home" / "warehouse" / "reclaim.duckdb"
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create table t as select 1 as x")
    code = (
        f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
        "print('open', flush=True); time.sleep(60)"
    )
    reader = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        with pytest.raises(WarehouseBusy) as err:
            publish_serving_copy(warehouse, tmp_path / "home" / "serving" / "reclaim.duckdb")
        message = str(err.value)
        assert "\n" not in message and f"(PID {reader.pid})" in message
        assert str(warehouse) in message
    finally:
        reader.kill()
        reader.wait(timeout=10)


# -- extraction: orphans and unreachable endpoints --------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nothing listens there


def test_a_backfill_against_a_closed_port_fails_fast_with_one_line(sandbox_home, monkeypatch):
    from orchestration.sellers import SANDBOX_ENDPOINT_ENV, SANDBOX_TOKEN_URL_ENV

    home, manifest, _ = sandbox_home
    seller_id = manifest.sellers[0].seller_id
    port = _closed_port()
    monkeypatch.setenv(SANDBOX_ENDPOINT_ENV, f"http://127.0.0.1:{port}")
    monkeypatch.setenv(SANDBOX_TOKEN_URL_ENV, f"http://127.0.0.1:{port}/auth/o2/token")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_")}
    started = time.monotonic()
    r = subprocess.run(
        [RECLAIM, "--home", str(home.root), "backfill", "--seller", seller_id, "--months", "1"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.monotonic() - started
    assert r.returncode == 1
    failed = [ln for ln in r.stderr.splitlines() if ln.strip().startswith("failed:")]
    assert len(failed) == 1, r.stderr
    assert "SP-API endpoint unreachable" in failed[0] and "Connection refused" in failed[0]
    assert "retrying" not in r.stderr
    # Dagster's console lines are one line each: no stack trace above the summary
    assert "Stack Trace" not in r.stderr and "Traceback" not in r.stderr
    # one extraction run (a few seconds of Dagster), not 11 runs x retries for minutes
    assert elapsed < 120, elapsed


EXTRACT_ONE = """
import sys
from datetime import date
from pathlib import Path
from dagster import AssetKey
from orchestration.home import ReclaimHome
from orchestration.runner import run_extraction
run_extraction(
    ReclaimHome(Path(sys.argv[1])), [sys.argv[2]], date.fromisoformat(sys.argv[3]),
    {"amazon__ledger_detail": {"config": {"start_date": sys.argv[4],
                                          "poll_interval_seconds": 0.05}}},
    asset_selection=[AssetKey(["amazon", "ledger_detail"])],
)
"""


def test_an_extraction_killed_hard_is_failed_as_orphan_and_frees_its_seller(sandbox_home):
    import dagster as dg

    from orchestration.assets.extraction import SELLER_TAG
    from orchestration.status import collect_status, format_status

    home, manifest, _ = sandbox_home
    seller_id = manifest.sellers[0].seller_id
    day = manifest.scenario.as_of
    start = manifest.scenario.as_of.replace(day=1).isoformat()
    home.activate()
    script = [sys.executable, "-c", EXTRACT_ONE, str(home.root), seller_id, str(day), start]
    child = subprocess.Popen(script, cwd=REPO, env=dict(os.environ))
    instance = _instance(home.root)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            if instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                break
            time.sleep(0.1)
        assert child.poll() is None, "the extraction ended before it could be killed"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    [dead] = instance.get_runs()
    assert dead.status == dg.DagsterRunStatus.STARTED and dead.tags[SELLER_TAG] == seller_id

    st = collect_status(home)
    [orphan] = st.orphans_failed
    assert orphan["run_id"] == dead.run_id and "is gone (killed or crashed)" in orphan["reason"]
    assert "failed now:" in format_status(st) and not st.stuck
    in_flight = instance.get_runs(
        filters=dg.RunsFilter(
            tags={SELLER_TAG: seller_id},
            statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING],
        )
    )
    assert in_flight == []  # the seller's queue (tag limit 1) is free
    assert st.incidents == 1 and st.last_incident["run_id"] == dead.run_id

    # the next run for the seller starts and completes
    done = subprocess.run(script, cwd=REPO, env=dict(os.environ), timeout=300)
    assert done.returncode == 0
    statuses = sorted(r.status.value for r in instance.get_runs())
    assert statuses == ["FAILURE", "SUCCESS"]
    instance.dispose()


def test_sigterm_stops_a_backfill_whole_and_marks_its_run_canceled(sandbox_home):
    import dagster as dg

    home, manifest, _ = sandbox_home
    seller_id = manifest.sellers[0].seller_id
    home.activate()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAGSTER_")}
    cmd = [RECLAIM, "--home", str(home.root), "backfill", "--seller", seller_id, "--months", "1"]
    child = subprocess.Popen(
        cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    instance = _instance(home.root)
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and child.poll() is None:
            if instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
                break
            time.sleep(0.05)
        assert child.poll() is None, "the backfill ended before it could be stopped"
        stopped = time.monotonic()
        child.send_signal(signal.SIGTERM)
        _, err = child.communicate(timeout=120)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert child.returncode == 130, err
    assert "interrupted" in err and time.monotonic() - stopped < 120
    runs = instance.get_runs()
    # the whole command stopped: the run it was in is canceled, no later report was started
    assert [r.status for r in runs] == [dg.DagsterRunStatus.CANCELED]
    instance.dispose()
