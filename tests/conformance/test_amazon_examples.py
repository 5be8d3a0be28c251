"""Amazon's own example responses (the models' x-amzn-api-sandbox examples) replayed to the
extractor over HTTP on 127.0.0.1 (tests/conformance/replay.py): it must END, in a bounded number
of calls, with the rows the examples hold.

Amazon's getShipmentItemsByShipmentId example carries a NextToken although the operation takes
none; feeding it back into ByShipmentId gets the same page and token for ever (10,001 calls, then
a failure, before the fix). getShipments' example repeats its token the same way."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, date, datetime

import pyarrow.parquet as pq
import pytest
import sp_api.auth.access_token_client as token_module
from sp_api.base import SellingApiBadRequestException

from extractors.landing import LandingZone
from extractors.reports.catalog import INBOUND_SHIPMENT_ITEMS
from extractors.spapi import api_extract
from extractors.spapi.client import inbound_client, reports_client
from extractors.spapi.reports import (
    ApiCaller,
    ReportStillRunning,
    RetryPolicy,
    create_report,
    find_done_reports,
    wait_for_report,
)
from tests.conformance.models import INBOUND, load
from tests.conformance.replay import ReplayServer

pytestmark = pytest.mark.timeout(120)

NO_SLEEP = RetryPolicy(attempts=2, base_delay_s=0.0, sleep=lambda s: None)
# A loop is caught long before the extractor's own bound: a correct client needs a handful.
BUDGET = 60


@pytest.fixture
def replay():
    token_module.cache.clear()
    with ReplayServer(budget=BUDGET) as server:
        yield server
    token_module.cache.clear()


def _example(operation_id: str, status: int = 200) -> dict:
    return next(r for s, _, r in load(INBOUND).by_id(operation_id).examples() if s == status)


def test_the_examples_hand_out_next_tokens_the_operation_does_not_take():
    """The premise, read from the model: ByShipmentId takes no NextToken, yet its example has
    one; getShipmentItems (QueryType=NEXT_TOKEN) is where item pages continue."""
    model = load(INBOUND)
    by_id = model.by_id("getShipmentItemsByShipmentId")
    assert "NextToken" not in by_id.query_parameters()
    assert _example("getShipmentItemsByShipmentId")["payload"]["NextToken"]
    items = model.by_id("getShipmentItems").query_parameters()
    assert "NEXT_TOKEN" in items["QueryType"]["enum"] and "NextToken" in items


def test_item_pages_of_the_example_shipment_end_with_its_one_item(replay, tmp_path):
    conn = replay.connection()
    with ApiCaller(conn, NO_SLEEP, home=tmp_path) as call, inbound_client(conn) as client:
        pages = api_extract._shipment_item_pages(client, call, "FBA15DJ9SVVD")
    items = [i for p in pages for i in p["payload"].get("ItemData") or []]
    assert items == _example("getShipmentItemsByShipmentId")["payload"]["ItemData"]
    # ByShipmentId once, with nothing but the shipment id; then getShipmentItems NEXT_TOKEN,
    # whose example page repeats the item: nothing new, so paging ends.
    assert replay.calls("getShipmentItemsByShipmentId") == 1
    assert replay.calls("getShipmentItems") == 1
    first, second = replay.exchanges
    assert first["path"].endswith("/shipments/FBA15DJ9SVVD/items") and first["query"] == {}
    assert second["query"]["QueryType"] == ["NEXT_TOKEN"]
    assert second["query"]["NextToken"] == [_example("getShipmentItemsByShipmentId")["payload"]
                                            ["NextToken"]]  # fmt: skip


def test_inbound_extraction_of_the_examples_ends_with_the_right_rows(replay, tmp_path):
    conn = replay.connection()
    start, end = date(2026, 11, 1), date(2026, 11, 2)
    outcomes = api_extract.extract_inbound_shipments(
        tmp_path, "A1REPLAY", conn, start, end, retry=NO_SLEEP,
        now=datetime(2026, 11, 3, tzinfo=UTC),
    )  # fmt: skip
    calls = {op: replay.calls(op) for op in
             ("getShipments", "getShipmentItemsByShipmentId", "getShipmentItems")}  # fmt: skip
    # getShipments: the page, then its repeated token once; one shipment, its items once, then
    # one continuation page that brings nothing new.
    assert calls == {"getShipments": 2, "getShipmentItemsByShipmentId": 1, "getShipmentItems": 1}
    assert replay.calls() == 4
    [outcome] = outcomes
    shipment = _example("getShipments")["payload"]["ShipmentData"][0]
    [item] = _example("getShipmentItemsByShipmentId")["payload"]["ItemData"]
    zone = LandingZone(tmp_path)
    digest = outcome.result.document_sha256
    original = json.loads(gzip.decompress(
        zone.original_path(INBOUND_SHIPMENT_ITEMS, "A1REPLAY", digest).read_bytes()
    ))  # fmt: skip
    assert [s["ShipmentId"] for p in original["pages"] for s in p["payload"]["ShipmentData"]] == [
        shipment["ShipmentId"]
    ]
    landed = [i for p in original["shipment_items"] for i in p["payload"]["ItemData"]]
    assert landed == [item]
    # Amazon's item example names another shipment (FBA15DF2763D) than the one its shipments
    # example lists: the shipment row and the item row both land (the item waits for its
    # shipment's status, joined in dbt when a file lists it).
    assert (outcome.result.rows_loaded, outcome.result.rows_quarantined) == (2, 0)
    rows = pq.read_table(outcome.result.parquet_path).to_pylist()
    assert [(r["record_type"], r["shipment_id"]) for r in rows] == [
        ("shipment", shipment["ShipmentId"]),
        ("item", item["ShipmentId"]),
    ]
    assert rows[1]["shipment_status"] is None and rows[1]["seller_sku"] == item["SellerSKU"]


def test_a_bad_shipment_gets_the_error_example_raised_not_landed(replay, tmp_path):
    conn = replay.connection()
    with (
        ApiCaller(conn, NO_SLEEP, home=tmp_path) as call,
        inbound_client(conn) as client,
        pytest.raises(SellingApiBadRequestException) as exc,
    ):
        api_extract._shipment_item_pages(client, call, "BADFBA15DJ9SVVD")
    assert exc.value.error == _example("getShipmentItemsByShipmentId", 400)["errors"]
    assert replay.calls() == 1  # a 400 is not retried


def test_report_examples_end_in_bounded_calls(replay, tmp_path):
    """The Reports examples never reach DONE (getReport stays IN_PROGRESS) and getReports
    repeats its page and nextToken: polling stops at its bound, listing at the first page that
    brings nothing new, each report listed once."""
    conn = replay.connection()
    start, end = datetime(2024, 3, 10, tzinfo=UTC), datetime(2024, 3, 11, tzinfo=UTC)
    with ApiCaller(conn, NO_SLEEP, home=tmp_path) as call, reports_client(conn) as client:
        report_id = create_report(client, call, "GET_MERCHANT_LISTINGS_ALL_DATA", start, end)
        assert report_id == "ID323"
        with pytest.raises(ReportStillRunning):
            wait_for_report(client, call, report_id, poll_interval_s=0, max_polls=5)
        assert replay.calls("getReport") == 5
        found = find_done_reports(client, call, "FEE_DISCOUNTS_REPORT", start, max_pages=3)
    assert replay.calls("getReports") == 2
    assert [r["reportId"] for r in found] == ["ReportId1"]
