"""Every response the emulator serves for the Reports API and FBA Inbound v0, valid against the
official models: status codes the operation lists, bodies valid against the response schema
(closed-world), errors as {"errors": [{code, message, details}]}, x-amzn-RateLimit-Limit where
(and only where) the model sends it, with the usage plan's rate.

The requests are made over HTTP with httpx, not the library, so malformed ones can be sent too.
"""

from __future__ import annotations

import json

import httpx
import pytest

from tests.conformance.conftest import response_problems

pytestmark = pytest.mark.timeout(120)

REPORTS = "/reports/2021-06-30"
INBOUND = "/fba/inbound/v0"


class Raw:
    """A seller's raw HTTP session with the emulator (an LWA token, then plain requests)."""

    def __init__(self, emu, seller):
        self.emu, self.http = emu, httpx.Client(base_url=emu.endpoint, timeout=10)
        form = {
            "grant_type": "refresh_token",
            "refresh_token": seller.refresh_token,
            "client_id": seller.lwa_app_id,
            "client_secret": seller.lwa_client_secret,
        }
        self.token = self.http.post("/auth/o2/token", data=form).json()["access_token"]

    def __call__(self, method, path, *, token=None, **kw) -> httpx.Response:
        headers = {"x-amz-access-token": token or self.token}
        return self.http.request(method, path, headers=headers, **kw)

    def close(self):
        self.http.close()


@pytest.fixture
def raw(recording_emulator, conformance_sandbox):
    session = Raw(recording_emulator, conformance_sandbox.sellers[0])
    yield session
    session.close()


def _shipments(raw, **params):
    return raw("GET", f"{INBOUND}/shipments", params={"MarketplaceId": "ATVPDKIKX0DER", **params})


def _items(raw, **params):
    return raw(
        "GET", f"{INBOUND}/shipmentItems", params={"MarketplaceId": "ATVPDKIKX0DER", **params}
    )


def _seen(emu) -> set[tuple[str, int]]:
    return {(ex["operation"], ex["status"]) for ex in emu.wire}


def test_report_responses_conform(raw, recording_emulator, conformance_sandbox):
    emu = recording_emulator
    mid = conformance_sandbox.sellers[0].marketplace_id
    spec = {
        "reportType": "GET_LEDGER_DETAIL_VIEW_DATA",
        "marketplaceIds": [mid],
        "dataStartTime": "2026-10-01T00:00:00Z",
        "dataEndTime": "2026-10-05T00:00:00Z",
    }
    created = raw("POST", f"{REPORTS}/reports", json=spec)
    assert created.status_code == 202
    rid = created.json()["reportId"]
    statuses = [raw("GET", f"{REPORTS}/reports/{rid}").json()["processingStatus"] for _ in range(3)]
    assert statuses[-1] == "DONE"
    doc_id = raw("GET", f"{REPORTS}/reports/{rid}").json()["reportDocumentId"]
    assert raw("GET", f"{REPORTS}/documents/{doc_id}").status_code == 200
    # listing, paged one report a page, the nextToken alone
    raw("POST", f"{REPORTS}/reports", json=spec)
    page = raw("GET", f"{REPORTS}/reports",
               params={"reportTypes": spec["reportType"], "pageSize": 1}).json()  # fmt: skip
    assert page["nextToken"]
    assert raw("GET", f"{REPORTS}/reports", params={"nextToken": page["nextToken"]}).is_success
    # cancel: IN_QUEUE only
    queued = raw("POST", f"{REPORTS}/reports", json=spec).json()["reportId"]
    assert raw("DELETE", f"{REPORTS}/reports/{queued}").status_code == 200
    assert raw("DELETE", f"{REPORTS}/reports/{rid}").status_code == 400
    # FATAL (with its error document) and CANCELLED
    for fault, final in (("fatal", "FATAL"), ("cancelled", "CANCELLED")):
        emu.inject(fault)
        r = raw("POST", f"{REPORTS}/reports", json=spec).json()["reportId"]
        got = [raw("GET", f"{REPORTS}/reports/{r}").json() for _ in range(2)][-1]
        assert got["processingStatus"] == final
    # errors of every kind the emulator produces
    bad_requests = [
        ("POST", f"{REPORTS}/reports", {"json": {**spec, "reportType": "BAD_FEE_REPORT"}}),
        ("POST", f"{REPORTS}/reports", {"json": {**spec, "reportTypo": "x"}}),
        ("POST", f"{REPORTS}/reports", {"json": {**spec, "marketplaceIds": []}}),
        ("GET", f"{REPORTS}/reports", {"params": {"reportTypes": spec["reportType"],
                                                  "processingStatuses": "BAD_VALUE"}}),
        ("GET", f"{REPORTS}/reports", {"params": {"nextToken": "x", "pageSize": 5}}),
        ("GET", f"{REPORTS}/reports", {"params": {"reportTypes": spec["reportType"],
                                                  "pageSize": 101}}),
        ("GET", f"{REPORTS}/reports/{rid}", {"params": {"includeEverything": "true"}}),
        ("GET", f"{REPORTS}/documents/{doc_id}",
         {"params": {"enableContentEncodingUrlHeader": "maybe"}}),
    ]  # fmt: skip
    for method, path, kw in bad_requests:
        assert raw(method, path, **kw).status_code == 400, (method, path, kw)
    assert raw("GET", f"{REPORTS}/reports/badReportId1").status_code == 404
    assert raw("GET", f"{REPORTS}/documents/badDocumentId1").status_code == 404
    assert raw("GET", f"{REPORTS}/reports/{rid}", token="Atza|forged").status_code == 403
    for fault, status in (("throttle", 429), ("server_error", 500), ("unavailable", 503)):
        emu.inject(fault, operations={"getReport"})
        assert raw("GET", f"{REPORTS}/reports/{rid}").status_code == status
    assert _seen(emu) >= {
        ("createReport", 202), ("createReport", 400), ("getReport", 200), ("getReport", 400),
        ("getReport", 404), ("getReport", 403), ("getReport", 429), ("getReport", 500),
        ("getReport", 503), ("getReports", 200), ("getReports", 400), ("cancelReport", 200),
        ("cancelReport", 400), ("getReportDocument", 200), ("getReportDocument", 400),
        ("getReportDocument", 404),
    }  # fmt: skip
    assert response_problems(emu.wire) == []


def test_inbound_responses_conform(raw, recording_emulator, conformance_sandbox):
    emu = recording_emulator
    listed = _shipments(raw, QueryType="SHIPMENT", ShipmentStatusList="CLOSED,RECEIVING").json()
    token = listed["payload"]["NextToken"]
    assert _shipments(raw, QueryType="NEXT_TOKEN", NextToken=token).is_success
    dated = _shipments(raw, QueryType="DATE_RANGE", ShipmentStatusList="CLOSED",
                       LastUpdatedAfter="2026-08-01T00:00:00Z",
                       LastUpdatedBefore="2026-11-20T00:00:00Z")  # fmt: skip
    assert dated.is_success
    sid = listed["payload"]["ShipmentData"][0]["ShipmentId"]
    first = raw("GET", f"{INBOUND}/shipments/{sid}/items").json()["payload"]
    token = first.get("NextToken")
    for _ in range(100):
        if not token:
            break
        token = (
            _items(raw, QueryType="NEXT_TOKEN", NextToken=token).json()["payload"].get("NextToken")
        )
    by_date = _items(raw, QueryType="DATE_RANGE", LastUpdatedAfter="2026-08-01T00:00:00Z",
                     LastUpdatedBefore="2026-11-20T00:00:00Z").json()  # fmt: skip
    assert by_date["payload"]["ItemData"]
    bad = [
        lambda: _shipments(raw, QueryType="BADSHIPMENT"),
        lambda: _shipments(raw, QueryType="SHIPMENT"),  # no status or id list
        lambda: _shipments(raw, QueryType="SHIPMENT", ShipmentStatusList="LOST"),
        lambda: _shipments(raw, QueryType="SHIPMENT", ShipmentStatusList="CLOSED", Color="red"),
        lambda: _shipments(raw, QueryType="NEXT_TOKEN", NextToken="never-issued"),
        lambda: raw("GET", f"{INBOUND}/shipments/BADFBA15DJ9SVVD/items"),
        lambda: raw("GET", f"{INBOUND}/shipments/{sid}/items", params={"NextToken": "T"}),
        lambda: _items(raw, QueryType="SHIPMENT"),
        lambda: _items(raw, QueryType="DATE_RANGE"),
        lambda: _items(raw, QueryType="DATE_RANGE", LastUpdatedAfter="yesterday",
                       LastUpdatedBefore="2026-11-20T00:00:00Z"),
        lambda: raw("GET", f"{INBOUND}/shipmentItems", params={"QueryType": "DATE_RANGE"}),
    ]  # fmt: skip
    for call in bad:
        resp = call()
        assert resp.status_code == 400, resp.text
        assert resp.json()["errors"][0]["code"] == "InvalidInput"
    assert raw("GET", f"{INBOUND}/shipmentItems", token="Atza|forged").status_code == 403
    for op in ("getShipments", "getShipmentItemsByShipmentId", "getShipmentItems"):
        emu.inject("throttle", operations={op})
    assert _shipments(raw, QueryType="SHIPMENT", ShipmentStatusList="CLOSED").status_code == 429
    assert raw("GET", f"{INBOUND}/shipments/{sid}/items").status_code == 429
    assert _items(raw, QueryType="NEXT_TOKEN", NextToken="x").status_code == 429
    assert _seen(emu) >= {
        ("getShipments", 200), ("getShipments", 400), ("getShipments", 429),
        ("getShipmentItemsByShipmentId", 200), ("getShipmentItemsByShipmentId", 400),
        ("getShipmentItemsByShipmentId", 429), ("getShipmentItems", 200),
        ("getShipmentItems", 400), ("getShipmentItems", 403), ("getShipmentItems", 429),
    }  # fmt: skip
    assert response_problems(emu.wire) == []


def test_large_shipments_answer_with_a_next_token_small_ones_without(
    raw, recording_emulator, conformance_sandbox
):
    """As Amazon's example does: ByShipmentId's first page may carry a NextToken."""
    doc = json.loads(
        (conformance_sandbox.out_dir / "SANDBOX1" / "inbound_shipments.json").read_text()
    )
    sizes = {s["shipment"]["ShipmentId"]: len(s["items"]) for s in doc["shipments"]}
    big = next(sid for sid, n in sizes.items() if n > 2)
    small = next(sid for sid, n in sizes.items() if n <= 2)
    big_page = raw("GET", f"{INBOUND}/shipments/{big}/items").json()["payload"]
    small_page = raw("GET", f"{INBOUND}/shipments/{small}/items").json()["payload"]
    assert big_page["NextToken"] and len(big_page["ItemData"]) == 2
    assert "NextToken" not in small_page and len(small_page["ItemData"]) == sizes[small]
    assert response_problems(recording_emulator.wire) == []


def test_finances_responses_conform(raw, recording_emulator):
    """listTransactions and listFinancialEvents: pages, the token alone with its window, and
    every error the emulator gives (a window over 180 days, postedBefore too recent, an unknown
    parameter, a throttle, a refused version) valid against the Finances models."""
    emu = recording_emulator
    emu.finances.page_size = 2
    v2024, v0 = "/finances/2024-06-19/transactions", "/finances/v0/financialEvents"
    window = {"postedAfter": "2026-10-01T00:00:00Z", "postedBefore": "2026-10-20T00:00:00Z"}
    first = raw("GET", v2024, params=window)
    assert first.status_code == 200 and first.json()["payload"]["nextToken"]
    token = first.json()["payload"]["nextToken"]
    assert raw("GET", v2024, params={**window, "nextToken": token}).status_code == 200
    old = {"PostedAfter": "2026-10-01T00:00:00Z", "PostedBefore": "2026-10-20T00:00:00Z"}
    assert raw("GET", v0, params={**old, "MaxResultsPerPage": 2}).status_code == 200
    bad = [
        (v2024, {"postedAfter": "2026-01-01T00:00:00Z", "postedBefore": "2026-10-01T00:00:00Z"}),
        (v2024, {"postedAfter": "2026-10-01T00:00:00Z", "postedBefore": "2099-01-01T00:00:00Z"}),
        (v2024, {**window, "MarketplaceIds": "X", "pageSize": "5"}),
        (v0, {"PostedAfter": "2026-01-01T00:00:00Z", "PostedBefore": "2026-10-01T00:00:00Z"}),
    ]
    for path, params in bad:
        assert raw("GET", path, params=params).status_code == 400, (path, params)
    emu.inject("throttle", operations={"listTransactions"})
    assert raw("GET", v2024, params=window).status_code == 429
    emu.finances.refuse["listTransactions"] = 403
    assert raw("GET", v2024, params=window).status_code == 403
    assert {s for op, s in _seen(emu) if op == "listTransactions"} == {200, 400, 403, 429}
    assert response_problems(emu.wire) == []
