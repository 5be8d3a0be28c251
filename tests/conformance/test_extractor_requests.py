"""Every request the extractor sends for the Reports API and FBA Inbound v0, valid against the
official models: a known operation, only the parameters it takes, the required ones present,
values in their enums and formats (ISO-8601 date-times, one CSV value per list), within the
documented limits (list sizes, pageSize), and a createReport body valid against
CreateReportSpecification. The extractions run against the recording emulator, whose answers are
checked on the way too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from extractors.reports.catalog import LEDGER_DETAIL
from extractors.spapi.api_extract import extract_inbound_shipments
from extractors.spapi.client import reports_client
from extractors.spapi.extract import extract_report
from extractors.spapi.finances import extract_finances
from extractors.spapi.reports import ApiCaller, ReportFailed, RetryPolicy, find_done_reports
from tests.conformance.conftest import response_problems
from tests.conformance.models import find_operation

pytestmark = pytest.mark.timeout(180)

NO_SLEEP = RetryPolicy(attempts=3, base_delay_s=0.0, sleep=lambda s: None)
# python-amazon-sp-api adds its four marketplace spellings to every GET that names none of them,
# and its get_report has no way to leave them out (sp-api-client.md §2.1, §2.8: verified on the
# wire; Amazon ignores them). Tolerated for getReport only; every other request must be clean.
LIBRARY_ADDED = {
    "getReport": {"MarketplaceId", "MarketplaceIds", "marketplace_ids", "marketplaceIds"}
}
INBOUND_OPERATIONS = {"getShipments", "getShipmentItemsByShipmentId", "getShipmentItems"}


def request_problems(wire: list[dict]) -> list[str]:
    problems = []
    for ex in wire:
        hit = find_operation(ex["method"], ex["path"])
        if hit is None:
            problems.append(f"{ex['method']} {ex['path']}: no such operation in the models")
            continue
        op, _ = hit
        tolerated = LIBRARY_ADDED.get(op.operation_id, set())
        problems += op.request_errors(ex["query"], ex["request_body"], tolerated=tolerated)
    return problems


def _conn(emu, seller="SANDBOX1"):
    return emu.connection(seller, timeout=10, rate_speedup=1e6)


def test_report_extraction_requests_conform(tmp_path, recording_emulator, conformance_sandbox):
    emu, conn = recording_emulator, _conn(recording_emulator)
    end = conformance_sandbox.scenario.as_of
    extract_report(tmp_path, "SANDBOX1", conn, LEDGER_DETAIL, end - timedelta(days=40), end,
                   poll_interval_s=0, reuse_hours=0, retry=NO_SLEEP)  # fmt: skip
    emu.inject("fatal")
    with pytest.raises(ReportFailed):
        extract_report(tmp_path / "fatal", "SANDBOX1", conn, LEDGER_DETAIL,
                       end - timedelta(days=3), end, poll_interval_s=0, reuse_hours=0,
                       retry=NO_SLEEP)  # fmt: skip
    with ApiCaller(conn, NO_SLEEP, home=tmp_path) as call, reports_client(conn) as client:
        since = datetime.combine(end - timedelta(days=30), datetime.min.time(), UTC)
        find_done_reports(client, call, LEDGER_DETAIL.report_type, since, page_size=1)
    ops = {ex["operation"] for ex in emu.wire}
    assert ops >= {"createReport", "getReport", "getReportDocument", "getReports"}
    assert sum(1 for ex in emu.wire if ex["operation"] == "getReports") > 1  # paged
    assert request_problems(emu.wire) == []
    assert response_problems(emu.wire) == []


def test_inbound_extraction_requests_conform(tmp_path, recording_emulator, conformance_sandbox):
    emu = recording_emulator
    scenario = conformance_sandbox.scenario
    extract_inbound_shipments(tmp_path, "SANDBOX1", _conn(emu), scenario.start,
                              scenario.as_of + timedelta(days=1), retry=NO_SLEEP)  # fmt: skip
    inbound = [ex for ex in emu.wire if ex["operation"] in INBOUND_OPERATIONS]
    seen = {ex["operation"] for ex in inbound}
    assert seen == INBOUND_OPERATIONS  # small pages: every continuation path was taken
    by_id = [ex for ex in inbound if ex["operation"] == "getShipmentItemsByShipmentId"]
    assert by_id and all(ex["query"] == {} for ex in by_id)  # the shipment id, nothing else
    assert len({ex["path"] for ex in by_id}) == len(by_id)  # once per shipment
    assert all(ex["query"]["QueryType"] == ["NEXT_TOKEN"]
               for ex in inbound if ex["operation"] == "getShipmentItems")  # fmt: skip
    assert request_problems(emu.wire) == []
    assert response_problems(emu.wire) == []


@pytest.mark.parametrize("refused", [None, 404])
def test_finances_extraction_requests_conform(
    tmp_path, recording_emulator, conformance_sandbox, refused
):
    """listTransactions (v2024-06-19) and, when Amazon refuses it, the v0 fallback
    listFinancialEvents: every request and answer valid against its model (180-day windows,
    ISO-8601 posted dates, the token alone with the window it belongs to)."""
    emu = recording_emulator
    if refused:
        emu.finances.refuse["listTransactions"] = refused
    scenario = conformance_sandbox.scenario
    extract_finances(tmp_path, "SANDBOX1", _conn(emu), scenario.start,
                     scenario.as_of + timedelta(days=1), retry=NO_SLEEP)  # fmt: skip
    ops = {ex["operation"] for ex in emu.wire} - {None}
    assert ops == ({"listTransactions", "listFinancialEvents"} if refused else {"listTransactions"})
    assert any("nextToken" in ex["query"] or "NextToken" in ex["query"] for ex in emu.wire)
    assert request_problems(emu.wire) == []
    assert response_problems(emu.wire) == []
