"""Incremental extraction against the SP-API emulator over HTTP, through python-amazon-sp-api:
18-month backfill on first contact, one report per type per day afterwards, reports in flight
collected by the next run, DONE reports of the same window reused, FATAL and CANCELLED handled,
and calls paced per seller and operation."""

from __future__ import annotations

import gzip
from datetime import timedelta

import pyarrow.parquet as pq
import pytest
import sp_api.auth.access_token_client as token_module

from extractors.reports.catalog import LEDGER_DETAIL, REIMBURSEMENTS
from extractors.sandbox.emulator import DOCUMENT_PREFIX, SpApiEmulator
from extractors.spapi import reports
from extractors.spapi.extract import BACKFILL_DAYS, CursorStore, extract_report
from extractors.spapi.pacing import Pacer
from extractors.spapi.reports import ApiCaller, ReportFailed
from tests.extractors.conftest import NO_SLEEP
from tests.extractors.conftest import emulator_connection as _conn

CREATE = ("POST", "/reports/2021-06-30/reports")


def _creates(emu) -> int:
    return emu.calls(*CREATE)


def test_first_contact_backfills_18_months_then_one_report_a_day(tmp_path, scenario_dir, emulator):
    conn = _conn(emulator)
    today = scenario_dir.scenario.as_of
    first = extract_report(
        tmp_path, "SANDBOX1", conn, LEDGER_DETAIL, today=today, poll_interval_s=0, retry=NO_SLEEP
    )
    windows = -(-BACKFILL_DAYS // LEDGER_DETAIL.max_window_days)
    assert len(first) == windows == _creates(emulator)
    assert first[0].start == today - timedelta(days=BACKFILL_DAYS)
    assert first[-1].end == today
    assert all(o.how == "created" for o in first)
    cursor = CursorStore(tmp_path).load("SANDBOX1", LEDGER_DETAIL.source)
    assert cursor.complete_through == today and cursor.pending == {}

    # The next day: one report covering the new day plus the trailing look-back.
    before = _creates(emulator)
    daily = extract_report(
        tmp_path,
        "SANDBOX1",
        conn,
        LEDGER_DETAIL,
        today=today + timedelta(days=1),
        poll_interval_s=0,
        retry=NO_SLEEP,
    )
    assert len(daily) == 1 and _creates(emulator) == before + 1
    assert daily[0].end == today + timedelta(days=1)
    assert daily[0].start == today + timedelta(days=1) - timedelta(days=31)
    landed_rows = sum(o.result.rows_loaded for o in daily if o.result)
    assert landed_rows > 0


def test_a_backfill_downloads_every_document_over_one_http_client(
    tmp_path, scenario_dir, emulator, monkeypatch
):
    """A new HTTP client per document costs a TLS context and a connection (about 20 ms each,
    hundreds of documents in a backfill): one extraction reuses one client, then closes it."""
    clients: list = []

    class Recorded(reports.httpx.Client):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.documents = 0
            clients.append(self)

        def get(self, url, *args, **kwargs):
            self.documents += DOCUMENT_PREFIX in str(url)
            return super().get(url, *args, **kwargs)

    monkeypatch.setattr(reports.httpx, "Client", Recorded)
    outcomes = extract_report(
        tmp_path,
        "SANDBOX1",
        _conn(emulator),
        LEDGER_DETAIL,
        today=scenario_dir.scenario.as_of,
        poll_interval_s=0,
        retry=NO_SLEEP,
    )
    downloads = [c for c in clients if c.documents]
    documents = [o for o in outcomes if o.status == "DONE"]
    assert len(documents) > 1
    assert len(downloads) == 1 and downloads[0].documents == len(documents)
    assert downloads[0].is_closed


def test_same_window_again_reuses_the_done_report(tmp_path, scenario_dir, emulator):
    conn = _conn(emulator)
    end = scenario_dir.scenario.as_of
    start = end - timedelta(days=20)
    first = extract_report(
        tmp_path, "SANDBOX1", conn, REIMBURSEMENTS, start, end, poll_interval_s=0, retry=NO_SLEEP
    )
    assert _creates(emulator) == 1
    again = extract_report(
        tmp_path, "SANDBOX1", conn, REIMBURSEMENTS, start, end, poll_interval_s=0, retry=NO_SLEEP
    )
    assert _creates(emulator) == 1, "a DONE report of the same window must not be requested again"
    assert [o.how for o in again] == ["reused"]
    assert again[0].report_id == first[0].report_id
    # Re-landing the same document changes nothing.
    part = first[0].result.parquet_path
    assert pq.read_table(part).num_rows == first[0].result.rows_loaded


def test_report_still_running_is_collected_by_the_next_run(tmp_path, scenario_dir, emulator):
    conn = _conn(emulator)
    end = scenario_dir.scenario.as_of
    start = end - timedelta(days=10)
    with pytest.raises(ReportFailed, match="next run collects it"):
        extract_report(
            tmp_path,
            "SANDBOX1",
            conn,
            LEDGER_DETAIL,
            start,
            end,
            poll_interval_s=0,
            max_polls=1,
            reuse_hours=0,
            retry=NO_SLEEP,
        )
    cursor = CursorStore(tmp_path).load("SANDBOX1", LEDGER_DETAIL.source)
    assert len(cursor.pending) == 1
    created = _creates(emulator)
    outcomes = extract_report(
        tmp_path,
        "SANDBOX1",
        conn,
        LEDGER_DETAIL,
        start,
        end,
        poll_interval_s=0,
        reuse_hours=0,
        retry=NO_SLEEP,
    )
    assert _creates(emulator) == created, "the report in flight is collected, not re-requested"
    assert [o.how for o in outcomes] == ["resumed"]
    assert outcomes[0].report_id == next(iter(cursor.pending.values()))["report_id"]
    assert CursorStore(tmp_path).load("SANDBOX1", LEDGER_DETAIL.source).pending == {}


def test_fatal_is_a_clear_error_and_is_not_resumed(tmp_path, scenario_dir, emulator):
    conn = _conn(emulator)
    end = scenario_dir.scenario.as_of
    start = end - timedelta(days=5)
    emulator.inject("fatal")
    with pytest.raises(ReportFailed, match="ended FATAL"):
        extract_report(
            tmp_path, "SANDBOX1", conn, LEDGER_DETAIL, start, end, poll_interval_s=0,
            reuse_hours=0, retry=NO_SLEEP,
        )  # fmt: skip
    cursor = CursorStore(tmp_path).load("SANDBOX1", LEDGER_DETAIL.source)
    assert cursor.pending == {} and cursor.complete_through is None
    outcomes = extract_report(
        tmp_path, "SANDBOX1", conn, LEDGER_DETAIL, start, end, poll_interval_s=0,
        reuse_hours=0, retry=NO_SLEEP,
    )  # fmt: skip
    assert outcomes[0].status == "DONE" and outcomes[0].how == "created"


def test_fatal_reason_is_decompressed_in_the_error_and_the_incident(
    tmp_path, scenario_dir, emulator, monkeypatch
):
    """A FATAL report's error document is gzipped like every document: its reason must reach
    the error message and incidents.jsonl as text, not as gzip bytes."""
    import json

    import dagster as dg

    from orchestration.schedules import run_failure_incidents

    conn = _conn(emulator)
    end = scenario_dir.scenario.as_of
    emulator.inject("fatal")
    with pytest.raises(ReportFailed) as exc:
        extract_report(
            tmp_path, "SANDBOX1", conn, LEDGER_DETAIL, end - timedelta(days=5), end,
            poll_interval_s=0, reuse_hours=0, retry=NO_SLEEP,
        )  # fmt: skip
    message = str(exc.value)
    assert "ended FATAL: Report " in message and "the sandbox was told to fail it" in message
    assert "\\x1f" not in message and "\x1f" not in message

    @dg.op
    def pull_ledger():
        raise ReportFailed(message)

    @dg.job
    def extraction():
        pull_ledger()

    monkeypatch.setenv("RECLAIM_HOME", str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    result = extraction.execute_in_process(instance=instance, raise_on_error=False)
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_incidents",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
    ).for_run_failure()
    run_failure_incidents(context)
    [line] = (tmp_path / "incidents.jsonl").read_text(encoding="utf-8").splitlines()
    [step] = json.loads(line)["failed_steps"]
    assert "the sandbox was told to fail it" in step["error"]


@pytest.mark.parametrize(
    ("body", "compression", "expected"),
    [
        (gzip.compress(b"Report failed:\nno access to GET_LEDGER\n"), "GZIP",
         "Report failed: no access to GET_LEDGER"),
        # a GZIP flag on a plain body (Amazon incident 2023-06-21): read as it is
        (b"plain reason", "GZIP", "plain reason"),
        # gzip bytes without the flag: still decompressed
        (gzip.compress(b"unflagged reason"), None, "unflagged reason"),
        # a truncated stream: as far as it goes, and said so
        (gzip.compress(b"x" * 5000)[:30], "GZIP", "(error document truncated)"),
    ],
)  # fmt: skip
def test_error_document_text(body, compression, expected):
    assert expected in reports.error_document_text(body, "UTF-8", compression)


def test_cancelled_means_no_data_and_advances_the_cursor(tmp_path, scenario_dir, emulator):
    conn = _conn(emulator)
    end = scenario_dir.scenario.as_of
    start = end - timedelta(days=5)
    emulator.inject("cancelled")
    outcomes = extract_report(
        tmp_path, "SANDBOX1", conn, REIMBURSEMENTS, start, end, poll_interval_s=0,
        reuse_hours=0, retry=NO_SLEEP,
    )  # fmt: skip
    assert [(o.status, o.result) for o in outcomes] == [("CANCELLED", None)]
    assert CursorStore(tmp_path).load("SANDBOX1", REIMBURSEMENTS.source).complete_through == end


def test_throttled_calls_are_retried(tmp_path, scenario_dir, emulator):
    conn = _conn(emulator)
    end = scenario_dir.scenario.as_of
    emulator.inject("throttle", 2, operations={"createReport"})
    outcomes = extract_report(
        tmp_path, "SANDBOX2", _conn(emulator, "SANDBOX2"), LEDGER_DETAIL,
        end - timedelta(days=3), end, poll_interval_s=0, reuse_hours=0, retry=NO_SLEEP,
    )  # fmt: skip
    assert outcomes[0].status == "DONE"
    assert emulator.calls(*CREATE) == 3  # two 429s, then the report
    assert conn.pacing_key != _conn(emulator, "SANDBOX2").pacing_key


def test_pacer_allows_the_burst_then_amazons_rate():
    now = [0.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    pacer = Pacer({"createReport": (0.0167, 15)}, clock=lambda: now[0], sleep=sleep)
    for _ in range(15):
        assert pacer.wait("seller-a", "createReport") == 0
    wait = pacer.wait("seller-a", "createReport")
    assert wait == pytest.approx(1 / 0.0167)
    # Another seller has a bucket of its own; another operation too.
    assert pacer.wait("seller-b", "createReport") == 0
    # Eighteen monthly windows of a backfill take (18 - 15) minutes of pacing, not 18 429s.
    pacer2 = Pacer({"createReport": (0.0167, 15)}, clock=lambda: now[0], sleep=sleep)
    total = sum(pacer2.wait("s", "createReport") for _ in range(18))
    assert total == pytest.approx(3 / 0.0167)
    # The sandbox speeds Amazon's clock up.
    pacer3 = Pacer({"createReport": (0.0167, 1)}, clock=lambda: now[0], sleep=sleep)
    assert pacer3.wait("s", "createReport", speedup=1000) == 0
    assert pacer3.wait("s", "createReport", speedup=1000) == pytest.approx(1 / 16.7, rel=1e-3)


def test_pacing_is_shared_by_every_process_of_a_home(tmp_path):
    """Dagster runs each report type in its own process, and runs overlap: two pacers on the
    same RECLAIM_HOME share one bucket per seller and operation; another home does not."""
    import subprocess
    import sys

    from extractors.spapi.pacing import shared_pacer

    now = [1000.0]
    slept = []

    def sleep(s):
        slept.append(s)
        now[0] += s

    state = tmp_path / "landing" / "_pacing.sqlite"
    a = Pacer({"createReport": (0.5, 2)}, clock=lambda: now[0], sleep=sleep, state=state)
    b = Pacer({"createReport": (0.5, 2)}, clock=lambda: now[0], sleep=sleep, state=state)
    assert a.wait("seller-a", "createReport") == 0
    assert b.wait("seller-a", "createReport") == 0  # the burst of 2 is spent between them
    assert a.wait("seller-a", "createReport") == pytest.approx(2.0)
    assert b.wait("seller-a", "createReport") == pytest.approx(2.0)
    assert b.wait("seller-b", "createReport") == 0

    # shared_pacer(home) keeps its buckets in that home, for other processes too
    home = tmp_path / "home"
    pacer = shared_pacer(home)
    assert pacer.state == (home / "landing" / "_pacing.sqlite").resolve()
    assert shared_pacer(home) is pacer and shared_pacer(tmp_path / "other") is not pacer
    for _ in range(15):  # createReport's whole burst, taken by this process
        pacer.wait("A1SELLER", "createReport")
    code = (
        "import sys; from extractors.spapi.pacing import shared_pacer; "
        "p = shared_pacer(sys.argv[1]); p.sleep = lambda s: None; "
        "print(p.wait('A1SELLER', 'createReport'))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(home)], capture_output=True, text=True, check=True
    ).stdout
    assert float(out) > 50  # the other process waits for Amazon's one-a-minute rate


def test_api_caller_paces_before_each_attempt(scenario_dir, emulator):
    waits = []

    class Recording(Pacer):
        def wait(self, key, operation, speedup=1.0):
            waits.append(operation)
            return 0.0

    conn = _conn(emulator)
    calls = {"n": 0}

    def flaky():
        calls["n"] += 1
        if calls["n"] == 1:
            from sp_api.base import SellingApiRequestThrottledException

            raise SellingApiRequestThrottledException([], None)
        return "ok"

    assert ApiCaller(conn, NO_SLEEP, Recording())("getReport", flaky, "x") == "ok"
    assert waits == ["getReport", "getReport"]


def _one_window(home, manifest, emu, retry=NO_SLEEP):
    end = manifest.scenario.as_of
    return extract_report(
        home, "SANDBOX1", _conn(emu), LEDGER_DETAIL, end - timedelta(days=10), end,
        poll_interval_s=0, reuse_hours=0, retry=retry,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("fault", "operations"),
    [
        ("throttle", {"getReport"}),
        ("throttle_empty_body", {"getReportDocument"}),
        ("server_error", {"createReport"}),
        ("unavailable", {"getReportDocument"}),
        ("expired_url", None),
    ],
)
def test_each_transient_fault_is_survived_with_the_same_rows(
    tmp_path, scenario_dir, emulator, fault, operations
):
    """What Amazon really does mid-extraction (429 with and without a body, 500, 503, a document
    URL that expired before the download) costs a retry, never a row."""
    [clean] = _one_window(tmp_path / "clean", scenario_dir, emulator)
    emulator.inject(fault, 1, **({"operations": operations} if operations else {}))
    [faulted] = _one_window(tmp_path / "faulted", scenario_dir, emulator)
    assert faulted.status == clean.status == "DONE"
    assert faulted.result.rows_loaded == clean.result.rows_loaded > 0
    assert faulted.result.rows_quarantined == clean.result.rows_quarantined == 0


def test_a_truncated_document_is_a_clear_error_and_nothing_lands(tmp_path, scenario_dir, emulator):
    emulator.inject("truncated_document")
    with pytest.raises(Exception, match=r"(?i)gzip|truncated|compressed") as exc:
        _one_window(tmp_path, scenario_dir, emulator)
    assert "Traceback" not in str(exc.value)
    assert not list((tmp_path / "landing" / "parquet" / "ledger_detail").glob("seller_id=*"))
    # the next run asks again and gets the whole document
    [again] = _one_window(tmp_path, scenario_dir, emulator)
    assert again.status == "DONE" and again.result.rows_loaded > 0


def test_a_revoked_token_is_dropped_from_the_cache_and_fetched_again(tmp_path, scenario_dir):
    """The library caches an access token ~53 minutes; a token Amazon revoked in the meantime
    answers 403. Here: the token of one emulator, then another emulator that never issued it."""
    token_module.cache.clear()
    with SpApiEmulator(scenario_dir.out_dir, port=0) as first:
        [one] = _one_window(tmp_path / "a", scenario_dir, first)
    assert one.status == "DONE" and len(token_module.cache) >= 1
    with SpApiEmulator(scenario_dir.out_dir) as second:
        [two] = _one_window(tmp_path / "b", scenario_dir, second)
        assert second.calls("POST", "/auth/o2/token") >= 1
    assert two.status == "DONE" and two.result.rows_loaded == one.result.rows_loaded
    token_module.cache.clear()
