"""Settlement V2 reports over HTTP through python-amazon-sp-api against the SP-API emulator:
never requested (createReport refuses them), listed DONE with getReports (createdSince /
createdUntil, pages with the nextToken alone), downloaded, landed keyed by settlement, the cursor
advanced; the next run downloads nothing it has already landed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow.parquet as pq
import pytest
from sp_api.base import SellingApiBadRequestException

from extractors.reports.catalog import SETTLEMENTS
from extractors.sandbox.catalog import SETTLEMENT_REPORT_TYPE
from extractors.sandbox.emulator import SETTLEMENT_PUBLISH_DELAY
from extractors.spapi.client import reports_client
from extractors.spapi.extract import (
    BACKFILL_DAYS,
    SETTLEMENT_LIST_DAYS,
    CursorStore,
    extract_settlements,
)
from extractors.spapi.reports import ApiCaller, create_report
from tests.extractors.conftest import NO_SLEEP
from tests.extractors.conftest import emulator_connection as _conn

LIST = ("GET", "/reports/2021-06-30/reports")
CREATE = ("POST", "/reports/2021-06-30/reports")
DOCUMENTS = ("GET", "/reports/2021-06-30/documents/")


def _settlement_files(manifest, seller_id="SANDBOX1") -> dict[str, int]:
    """settlement id -> data rows (summary row included) of the simulator's files."""
    folder = manifest.seller(seller_id).files["settlements"]
    out = {}
    for path in sorted(folder.glob("*.tsv")):
        lines = [line for line in path.read_bytes().splitlines() if line]
        out[path.stem.rsplit("_", 1)[1]] = len(lines) - 1
    return out


def test_settlements_listed_paged_downloaded_and_landed_by_settlement(
    tmp_path, scenario_dir, emulator
):
    files = _settlement_files(scenario_dir)
    assert len(files) >= 5
    today = scenario_dir.scenario.as_of + timedelta(days=3)
    conn = _conn(emulator)
    outcomes = extract_settlements(
        tmp_path, "SANDBOX1", conn, today=today, retry=NO_SLEEP, page_size=2
    )
    # One outcome per settlement, oldest first, none requested.
    assert len(outcomes) == len(files)
    assert emulator.calls(*CREATE) == 0
    assert [o.how for o in outcomes] == ["listed"] * len(files)
    assert [o.start for o in outcomes] == sorted(o.start for o in outcomes)
    # First contact lists the backfill horizon in slices of at most 90 days, each slice paged
    # 2 reports at a time (the nextToken goes alone: the emulator refuses anything else).
    slices = -(-BACKFILL_DAYS // SETTLEMENT_LIST_DAYS)
    assert emulator.calls(*LIST) > slices  # some slice took more than one page
    assert emulator.calls(*DOCUMENTS) == len(files)
    # Landed keyed by settlement, every row of every file.
    root = tmp_path / "landing" / "parquet" / SETTLEMENTS.source / "seller_id=SANDBOX1"
    landed = {p.parent.name: pq.read_table(p).num_rows for p in root.glob("*/data.parquet")}
    assert landed == {f"window=settlement-{sid}": rows for sid, rows in files.items()}
    assert all(o.result.rows_quarantined == 0 for o in outcomes)
    table = pq.read_table(root / f"window=settlement-{next(iter(files))}" / "data.parquet")
    assert set(table.column("settlement_id").to_pylist()) == {next(iter(files))}
    cursor = CursorStore(tmp_path).load("SANDBOX1", SETTLEMENTS.source)
    assert cursor.complete_through == today and cursor.pending == {}

    # The next day: a week of look-back listed again, nothing downloaded again.
    listed, downloaded = emulator.calls(*LIST), emulator.calls(*DOCUMENTS)
    again = extract_settlements(
        tmp_path, "SANDBOX1", conn, today=today + timedelta(days=1), retry=NO_SLEEP
    )
    assert again == []
    assert emulator.calls(*LIST) == listed + 1
    assert emulator.calls(*DOCUMENTS) == downloaded
    cursor = CursorStore(tmp_path).load("SANDBOX1", SETTLEMENTS.source)
    assert cursor.complete_through == today + timedelta(days=1)


def test_a_new_settlement_is_picked_up_and_a_redownload_replaces_it_whole(
    tmp_path, scenario_dir, emulator
):
    conn = _conn(emulator, "SANDBOX2")
    today = scenario_dir.scenario.as_of + timedelta(days=3)
    first = extract_settlements(tmp_path, "SANDBOX2", conn, today=today, retry=NO_SLEEP)
    assert first
    # Amazon closes another period: a new file appears in the sandbox (the last one, re-dated
    # 14 days later under a new settlement id, with one row fewer).
    folder = scenario_dir.seller("SANDBOX2").files["settlements"]
    last = max(folder.glob("*.tsv"), key=lambda p: int(p.stem.rsplit("_", 1)[1]))
    old_id = last.stem.rsplit("_", 1)[1]
    new_id = str(int(old_id) + 1)
    lines = last.read_text(encoding="utf-8").splitlines()
    summary = lines[1].split("\t")
    end = datetime.strptime(summary[2], "%Y-%m-%d %H:%M:%S UTC")
    shift = lambda d: (d + timedelta(days=14)).strftime("%Y-%m-%d %H:%M:%S UTC")  # noqa: E731
    summary[1], summary[2] = summary[2], shift(end)
    body = [lines[0], "\t".join(summary)] + [line.replace(old_id, new_id) for line in lines[2:-1]]
    body[1] = body[1].replace(old_id, new_id)
    new_file = folder / f"{SETTLEMENT_REPORT_TYPE}_{new_id}.tsv"
    new_file.write_text("\n".join(body) + "\n", encoding="utf-8")
    try:
        published = end + timedelta(days=14) + SETTLEMENT_PUBLISH_DELAY
        later = published.date() + timedelta(days=1)
        more = extract_settlements(
            tmp_path,
            "SANDBOX2",
            conn,
            today=later,
            retry=NO_SLEEP,
            now=datetime.combine(later, datetime.min.time(), UTC),  # createdUntil <= now
        )
        assert [o.result.window for o in more] == [f"settlement-{new_id}"]
        assert more[0].result.rows_loaded == len(body) - 1
    finally:
        new_file.unlink()

    # The same settlements downloaded again (cursor and landing metadata gone): each partition
    # is replaced whole, not appended to.
    part = first[-1].result.parquet_path
    rows = pq.read_table(part).num_rows
    CursorStore(tmp_path).path("SANDBOX2", SETTLEMENTS.source).unlink()
    originals = tmp_path / "landing" / "originals" / SETTLEMENTS.source / "seller_id=SANDBOX2"
    for meta in originals.glob("*.json"):
        meta.unlink()
    redo = extract_settlements(tmp_path, "SANDBOX2", conn, today=today, retry=NO_SLEEP)
    assert len(redo) == len(first)
    assert pq.read_table(part).num_rows == rows


def test_created_since_until_and_status_filters(scenario_dir, emulator):
    conn = _conn(emulator)
    with reports_client(conn) as client:
        everything = client.get_reports(
            reportTypes=[SETTLEMENT_REPORT_TYPE],
            processingStatuses=["DONE"],
            createdSince=datetime(2020, 1, 1, tzinfo=UTC),
            pageSize=100,
        ).payload["reports"]
        assert len(everything) == len(_settlement_files(scenario_dir))
        assert all(r["processingStatus"] == "DONE" and r["reportDocumentId"] for r in everything)
        newest = everything[0]  # newest first
        created = datetime.fromisoformat(newest["createdTime"])
        assert created == datetime.fromisoformat(newest["dataEndTime"]) + SETTLEMENT_PUBLISH_DELAY
        only_newest = client.get_reports(
            reportTypes=[SETTLEMENT_REPORT_TYPE],
            createdSince=created - timedelta(hours=1),
            createdUntil=created + timedelta(hours=1),
        ).payload["reports"]
        assert [r["reportId"] for r in only_newest] == [newest["reportId"]]
        queued = client.get_reports(
            reportTypes=[SETTLEMENT_REPORT_TYPE],
            processingStatuses=["IN_QUEUE", "IN_PROGRESS"],
            createdSince=datetime(2020, 1, 1, tzinfo=UTC),
        ).payload["reports"]
        assert queued == []
        # the document is served by the document route like any other
        doc = client.get_report_document(newest["reportDocumentId"], download=True).payload
        assert doc["document"].startswith("settlement-id\t")


def test_create_report_of_a_settlement_type_is_refused(scenario_dir, emulator):
    conn = _conn(emulator)
    call = ApiCaller(conn, NO_SLEEP)
    with reports_client(conn) as client, pytest.raises(SellingApiBadRequestException) as err:
        create_report(
            client,
            call,
            SETTLEMENT_REPORT_TYPE,
            datetime(2026, 9, 1, tzinfo=UTC),
            datetime(2026, 9, 15, tzinfo=UTC),
        )
    [error] = err.value.error
    assert error["code"] == "InvalidInput"
    assert "not allowed" in error["message"] and "getReports" in error["details"]
    assert emulator.calls(*CREATE) == 1
