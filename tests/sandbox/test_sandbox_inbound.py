"""FBA Inbound v0 in the sandbox: the simulator's shipments (consistent with the ledger's Receipts
rows), their ground truth, and the emulator's getShipments / getShipmentItemsByShipmentId /
getShipmentItems routes driven through python-amazon-sp-api's real v0 client over HTTP (no mocks
of the library)."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime

import pyarrow.parquet as pq
import pytest
from sp_api.base import SellingApiBadRequestException, SellingApiRequestThrottledException

from extractors.sandbox.emulator import SpApiEmulator
from extractors.sandbox.inbound import INBOUND_FILE
from extractors.spapi.api_extract import extract_inbound_shipments
from extractors.spapi.client import SpApiConnection, clear_token_cache, inbound_client
from extractors.spapi.reports import RetryPolicy

pytestmark = pytest.mark.timeout(60)

LEDGER = "GET_LEDGER_DETAIL_VIEW_DATA"
REIMB = "GET_FBA_REIMBURSEMENTS_DATA"


def _conn(emu, seller_id="SANDBOX1") -> SpApiConnection:
    return emu.connection(seller_id, timeout=10, rate_speedup=1e6)


def _file(sandbox, seller_id="SANDBOX1") -> dict:
    return json.loads((sandbox.out_dir / seller_id / INBOUND_FILE).read_text(encoding="utf-8"))


def _ledger_receipts(sandbox, seller_id="SANDBOX1") -> dict[tuple[str, str], int]:
    """(shipment id, MSKU) -> units received, read from the ledger file independently."""
    path = sandbox.seller(seller_id).files[LEDGER]
    out: dict[tuple[str, str], int] = defaultdict(int)
    with open(path, encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            if row["Event Type"] == "Receipts":
                out[(row["Reference ID"], row["MSKU"])] += int(row["Quantity"])
    return out


def _all_pages(client, **query) -> list[dict]:
    res = client.get_shipments(**query)
    shipments = list(res.payload["ShipmentData"])
    while res.payload.get("NextToken"):
        res = client.get_shipments(QueryType="NEXT_TOKEN", NextToken=res.payload["NextToken"])
        shipments += res.payload["ShipmentData"]
    return shipments


@pytest.fixture
def small_pages(sandbox):
    clear_token_cache()
    with SpApiEmulator(sandbox.out_dir, inbound_page_size=2) as emu:
        yield emu
    clear_token_cache()


# -- simulator ------------------------------------------------------------------------------


def test_shipments_match_the_ledger_receipts(sandbox):
    doc = _file(sandbox)
    received = _ledger_receipts(sandbox)
    statuses = Counter(s["shipment"]["ShipmentStatus"] for s in doc["shipments"])
    assert statuses["CLOSED"] > 50 and statuses["RECEIVING"] >= 1
    assert statuses["SHIPPED"] >= 1 and statuses["IN_TRANSIT"] >= 1
    short = over = 0
    for s in doc["shipments"]:
        info = s["shipment"]
        assert set(info) >= {"ShipmentId", "ShipmentStatus", "DestinationFulfillmentCenterId"}
        for item in s["items"]:
            assert item["ShipmentId"] == info["ShipmentId"]
            key = (info["ShipmentId"], item["SellerSKU"])
            # Amazon's received count is the ledger's Receipts rows of that shipment and SKU.
            assert item["QuantityReceived"] == received.get(key, 0)
            short += item["QuantityShipped"] > item["QuantityReceived"]
            over += item["QuantityShipped"] < item["QuantityReceived"]
    assert short > 10 and over >= 1  # shortfalls, and mislabels showing as overages


def test_inbound_truth_is_closed_shortfalls_not_reimbursed(sandbox):
    shipments = {s["shipment"]["ShipmentId"]: s for s in _file(sandbox)["shipments"]}
    with open(sandbox.seller("SANDBOX1").files["ground_truth"], encoding="utf-8") as fh:
        truth = [r for r in csv.DictReader(fh) if r["claim_type"] == "inbound_shortage"]
    with open(sandbox.seller("SANDBOX1").files[REIMB], encoding="utf-8") as fh:
        paid = [r for r in csv.DictReader(fh, delimiter="\t") if r["reason"].endswith("_Inbound")]
    assert len(truth) >= 5 and {r["status"] for r in truth} >= {"ready", "expired"}
    assert paid, "some shortfalls are reimbursed (Lost_Inbound / Damaged_Inbound)"
    for r in truth:
        s = shipments[r["shipment_id"]]
        assert s["shipment"]["ShipmentStatus"] == "CLOSED"
        item = next(i for i in s["items"] if i["SellerSKU"] == r["sku"])
        assert 0 < int(r["quantity"]) <= item["QuantityShipped"] - item["QuantityReceived"]


# -- emulator routes ------------------------------------------------------------------------


def test_get_shipments_pages_with_next_token(sandbox, small_pages):
    with inbound_client(_conn(small_pages)) as client:
        first = client.get_shipments(QueryType="SHIPMENT", ShipmentStatusList="CLOSED,RECEIVING")
        assert len(first.payload["ShipmentData"]) == 2 and first.payload["NextToken"]
        got = _all_pages(client, QueryType="SHIPMENT", ShipmentStatusList="CLOSED,RECEIVING")
    expected = [
        s["shipment"]["ShipmentId"]
        for s in _file(sandbox)["shipments"]
        if s["shipment"]["ShipmentStatus"] in ("CLOSED", "RECEIVING")
    ]
    assert sorted(s["ShipmentId"] for s in got) == sorted(expected)
    assert all("last_updated" not in s for s in got)  # the file's filter key is not served
    # a token is good for one page: replaying it is an error, as an expired token is
    with inbound_client(_conn(small_pages)) as client:
        client.get_shipments(QueryType="NEXT_TOKEN", NextToken=first.payload["NextToken"])
        with pytest.raises(SellingApiBadRequestException):
            client.get_shipments(QueryType="NEXT_TOKEN", NextToken=first.payload["NextToken"])


def test_shipment_items_paged_and_by_seller(sandbox, small_pages):
    doc = _file(sandbox)
    big = next(s for s in doc["shipments"] if len(s["items"]) > 2)
    sid = big["shipment"]["ShipmentId"]
    with inbound_client(_conn(small_pages)) as client:
        res = client.shipment_items_by_shipment_only(sid)
        # a large shipment's first page carries a NextToken, as Amazon's example does ...
        assert len(res.payload["ItemData"]) == 2 and res.payload["NextToken"]
        # ... which ByShipmentId does not take (the model has no NextToken there) ...
        with pytest.raises(SellingApiBadRequestException, match="QueryType=NEXT_TOKEN"):
            client.shipment_items_by_shipment(sid, NextToken=res.payload["NextToken"])
        # ... and getShipmentItems with QueryType=NEXT_TOKEN continues
        items = list(res.payload["ItemData"])
        for _ in range(50):
            if not res.payload.get("NextToken"):
                break
            res = client.shipment_items(QueryType="NEXT_TOKEN", NextToken=res.payload["NextToken"])
            items += res.payload["ItemData"]
        assert items == big["items"] and not res.payload.get("NextToken")
        assert {"SellerSKU", "FulfillmentNetworkSKU", "QuantityShipped", "QuantityReceived",
                "QuantityInCase"} <= set(items[0])  # fmt: skip
        with pytest.raises(SellingApiBadRequestException):
            client.shipment_items_by_shipment("FBA15NOSUCH1")
    # another seller's shipment is not there for this seller
    other = inbound_client(_conn(small_pages, "SANDBOX2"))
    with other, pytest.raises(SellingApiBadRequestException):
        other.shipment_items_by_shipment(sid)


def test_date_range_and_request_validation(sandbox, emulator):
    after, before = "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"
    lo, hi = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    expected = sorted(
        s["shipment"]["ShipmentId"]
        for s in _file(sandbox)["shipments"]
        if lo <= datetime.fromisoformat(s["last_updated"].replace("Z", "+00:00")) <= hi
    )
    with inbound_client(_conn(emulator)) as client:
        got = _all_pages(
            client,
            QueryType="DATE_RANGE",
            LastUpdatedAfter=after,
            LastUpdatedBefore=before,
            ShipmentStatusList="WORKING,SHIPPED,IN_TRANSIT,RECEIVING,CLOSED",
        )
        assert sorted(s["ShipmentId"] for s in got) == expected and expected
        with pytest.raises(SellingApiBadRequestException) as exc:
            client.get_shipments(QueryType="DATE_RANGE", LastUpdatedAfter=after,
                                 LastUpdatedBefore=before)  # fmt: skip
        assert "ShipmentStatusList" in str(exc.value.error)
        for bad in (
            {"QueryType": "EVERYTHING", "ShipmentStatusList": "CLOSED"},
            {"QueryType": "SHIPMENT", "ShipmentStatusList": "LOST"},
            {"QueryType": "DATE_RANGE", "ShipmentStatusList": "CLOSED", "LastUpdatedAfter": after},
            {"QueryType": "NEXT_TOKEN"},
        ):
            with pytest.raises(SellingApiBadRequestException):
                client.get_shipments(**bad)
        by_id = client.get_shipments(QueryType="SHIPMENT", ShipmentIdList=expected[0])
        assert [s["ShipmentId"] for s in by_id.payload["ShipmentData"]] == expected[:1]


def test_inbound_faults(sandbox, emulator):
    with inbound_client(_conn(emulator)) as client:
        emulator.inject("throttle", operations={"getShipments"})
        with pytest.raises(SellingApiRequestThrottledException):
            client.get_shipments(QueryType="SHIPMENT", ShipmentStatusList="CLOSED")
        emulator.inject("throttle_empty_body", operations={"getShipmentItemsByShipmentId"})
        sid = _file(sandbox)["shipments"][0]["shipment"]["ShipmentId"]
        # the library returns an empty payload for a 429 without an errors body
        assert not client.shipment_items_by_shipment(sid).payload
        assert client.shipment_items_by_shipment(sid).payload["ItemData"]


def test_extraction_lands_every_item_despite_faults(sandbox, emulator, tmp_path):
    emulator.inject("throttle_empty_body", operations={"getShipments"})
    emulator.inject("server_error", operations={"getShipmentItemsByShipmentId"})
    no_sleep = RetryPolicy(attempts=3, base_delay_s=0.0, sleep=lambda s: None)
    start = sandbox.scenario.start.replace(day=1)
    end = date.fromordinal(sandbox.scenario.as_of.toordinal() + 1)
    outcomes = extract_inbound_shipments(
        tmp_path, "SANDBOX1", _conn(emulator), start, end, retry=no_sleep
    )
    assert sum(o.result.rows_quarantined for o in outcomes) == 0
    files = sorted((tmp_path / "landing" / "parquet" / "inbound_shipment_items").rglob("*.parquet"))
    rows = [row for f in files for row in pq.read_table(f).to_pylist()]
    landed = [row for row in rows if row["record_type"] == "item"]
    # every item lands with its shipment's status (the document holds both), and each shipment
    # once as a shipment row
    assert all(row["shipment_status"] for row in landed)
    assert {r["shipment_id"] for r in rows if r["record_type"] == "shipment"} == {
        row["shipment_id"] for row in landed
    }
    items = {
        (i["ShipmentId"], i["SellerSKU"]): i
        for s in _file(sandbox)["shipments"]
        for i in s["items"]
    }
    assert len(landed) == len(items)
    for row in landed:
        item = items[(row["shipment_id"], row["seller_sku"])]
        assert row["quantity_shipped"] == item["QuantityShipped"]
        assert row["quantity_received"] == item["QuantityReceived"]


def test_shipment_items_by_date_range(sandbox, small_pages):
    after, before = "2026-09-01T00:00:00Z", "2026-10-01T00:00:00Z"
    lo, hi = datetime(2026, 9, 1, tzinfo=UTC), datetime(2026, 10, 1, tzinfo=UTC)
    expected = [
        (i["ShipmentId"], i["SellerSKU"])
        for s in _file(sandbox)["shipments"]
        if lo <= datetime.fromisoformat(s["last_updated"].replace("Z", "+00:00")) <= hi
        for i in s["items"]
    ]
    with inbound_client(_conn(small_pages)) as client:
        res = client.shipment_items(
            QueryType="DATE_RANGE", LastUpdatedAfter=after, LastUpdatedBefore=before
        )
        items = list(res.payload["ItemData"])
        for _ in range(500):
            if not res.payload.get("NextToken"):
                break
            res = client.shipment_items(QueryType="NEXT_TOKEN", NextToken=res.payload["NextToken"])
            items += res.payload["ItemData"]
        assert sorted((i["ShipmentId"], i["SellerSKU"]) for i in items) == sorted(expected)
        assert expected
        for bad in (
            {"QueryType": "SHIPMENT"},  # getShipments' query type, not this operation's
            {"QueryType": "DATE_RANGE", "LastUpdatedAfter": after},
            {"QueryType": "NEXT_TOKEN"},
            {"QueryType": "NEXT_TOKEN", "NextToken": "never-issued"},
            {"QueryType": "DATE_RANGE", "LastUpdatedAfter": after, "LastUpdatedBefore": before,
             "ShipmentIdList": "FBA1"},  # not a parameter of getShipmentItems
        ):  # fmt: skip
            with pytest.raises(SellingApiBadRequestException):
                client.shipment_items(**bad)


def test_extraction_pages_large_shipments_through_get_shipment_items(
    sandbox, small_pages, tmp_path
):
    """Shipments with more items than a page: ByShipmentId once per shipment, the rest through
    getShipmentItems NEXT_TOKEN, every item landed exactly once."""
    start = sandbox.scenario.start.replace(day=1)
    end = date.fromordinal(sandbox.scenario.as_of.toordinal() + 1)
    outcomes = extract_inbound_shipments(tmp_path, "SANDBOX1", _conn(small_pages), start, end)
    shipments = _file(sandbox)["shipments"]
    by_id = small_pages.calls("GET", "/fba/inbound/v0/shipments/")
    assert by_id == len(shipments)  # each shipment once (every window holds each update once)
    extra_pages = sum((len(s["items"]) - 1) // 2 for s in shipments)
    assert extra_pages > 0
    assert small_pages.calls("GET", "/fba/inbound/v0/shipmentItems") == extra_pages
    files = sorted((tmp_path / "landing" / "parquet" / "inbound_shipment_items").rglob("*.parquet"))
    landed = [
        (r["shipment_id"], r["seller_sku"])
        for f in files
        for r in pq.read_table(f).to_pylist()
        if r["record_type"] == "item"
    ]
    assert sorted(landed) == sorted(
        (i["ShipmentId"], i["SellerSKU"]) for s in shipments for i in s["items"]
    )
    assert sum(o.result.rows_quarantined for o in outcomes) == 0
