"""The SP-API emulator, driven through python-amazon-sp-api's real Reports client over HTTP on
127.0.0.1 (no mocks of the library)."""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime

import httpx
import pytest
import sp_api.auth.access_token_client as token_module
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base import (
    SellingApiBadRequestException,
    SellingApiForbiddenException,
    SellingApiNotFoundException,
    SellingApiRequestThrottledException,
    SellingApiServerException,
)

from extractors.sandbox.emulator import SpApiEmulator

pytestmark = pytest.mark.timeout(30)

LEDGER = "GET_LEDGER_DETAIL_VIEW_DATA"
REIMB = "GET_FBA_REIMBURSEMENTS_DATA"
US = "ATVPDKIKX0DER"
MAX_POLLS = 10


def utc(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, tzinfo=UTC)


OCTOBER = (datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC))


def create(client, report_type=LEDGER, start=OCTOBER[0], end=OCTOBER[1]) -> str:
    res = client.create_report(
        reportType=report_type, marketplaceIds=[US], dataStartTime=start, dataEndTime=end
    )
    return res.payload["reportId"]


def poll(client, report_id: str) -> tuple[list[str], dict]:
    seen = []
    for _ in range(MAX_POLLS):
        report = client.get_report(report_id).payload
        seen.append(report["processingStatus"])
        if seen[-1] in ("DONE", "CANCELLED", "FATAL"):
            return seen, report
    raise AssertionError(f"report {report_id} never finished: {seen}")


def download(url: str) -> httpx.Response:
    assert url.startswith("http://127.0.0.1:")
    return httpx.get(url, timeout=5)


def file_rows(path, column: str, start: datetime, end: datetime) -> tuple[str, list[str]]:
    """The rows of a sandbox file whose date column is in [start, end), read independently."""
    lines = path.read_text(encoding="utf-8").split("\n")[:-1]
    header, rows = lines[0], lines[1:]
    idx = header.split("\t").index(column)
    picked = []
    for line in rows:
        value = line.split("\t")[idx]
        if column == "Date":
            m, d, y = (int(x) for x in value.split("/"))
            when = datetime(y, m, d, tzinfo=UTC)
        else:
            when = datetime.fromisoformat(value)
        if start <= when < end:
            picked.append(line)
    return header, picked


# ------------------------------------------------------------------------------------------


def test_create_poll_download_ledger(make_client, emulator, sandbox):
    client = make_client()
    created = client.create_report(
        reportType=LEDGER,
        marketplaceIds=[US],
        dataStartTime=utc(2026, 10, 1),
        dataEndTime=utc(2026, 11, 1),
    )
    assert created.headers["x-amzn-RateLimit-Limit"] == "0.0167"
    assert created.headers["x-amzn-RequestId"]
    report_id = created.payload["reportId"]
    statuses, report = poll(client, report_id)
    assert statuses == ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    assert report["reportType"] == LEDGER and report["marketplaceIds"] == [US]
    assert report["dataStartTime"] == "2026-10-01T00:00:00+00:00"
    assert report["dataEndTime"] == "2026-11-01T00:00:00+00:00"
    assert {"createdTime", "processingStartTime", "processingEndTime"} <= set(report)

    doc = client.get_report_document(report["reportDocumentId"]).payload
    assert doc["reportDocumentId"] == report["reportDocumentId"]
    assert doc["compressionAlgorithm"] == "GZIP"
    resp = download(doc["url"])
    assert resp.status_code == 200
    assert resp.headers["content-type"] == "text/plain;charset=UTF-8"
    text = gzip.decompress(resp.content).decode("utf-8")
    lines = text.split("\n")
    assert lines[-1] == ""
    header, expected = file_rows(
        sandbox.report_path("SANDBOX1", LEDGER), "Date", utc(2026, 10, 1), utc(2026, 11, 1)
    )
    assert lines[0] == header
    assert lines[1:-1] == expected and len(expected) > 100

    # The library's own download path decodes with the charset from Content-Type.
    again = client.get_report_document(report["reportDocumentId"], download=True).payload
    assert again["document"] == text

    assert emulator.calls("POST", "/auth/o2/token") == 1  # the library caches the token
    assert emulator.calls("GET", f"/reports/2021-06-30/reports/{report_id}") == 3
    assert emulator.calls("GET", "/_s3/") == 2
    assert emulator.calls(seller="SANDBOX2") == 0


def test_reimbursements_window_by_approval_date(make_client, sandbox):
    client = make_client("SANDBOX2")
    start, end = utc(2026, 8, 1), utc(2026, 9, 15)
    _, report = poll(client, create(client, REIMB, start, end))
    assert report["processingStatus"] == "DONE"
    url = client.get_report_document(report["reportDocumentId"]).payload["url"]
    lines = gzip.decompress(download(url).content).decode().split("\n")[:-1]
    header, expected = file_rows(
        sandbox.report_path("SANDBOX2", REIMB), "approval-date", start, end
    )
    assert lines == [header, *expected] and expected


def test_empty_window_is_cancelled(make_client):
    client = make_client()
    statuses, report = poll(client, create(client, start=utc(2020, 1, 1), end=utc(2020, 2, 1)))
    assert statuses[-1] == "CANCELLED" and len(statuses) == 3
    assert "reportDocumentId" not in report


def test_get_reports_paging_with_next_token_alone(make_client):
    client = make_client()
    ids = [create(client) for _ in range(3)] + [create(client, REIMB) for _ in range(2)]
    first = client.get_reports(reportTypes=[LEDGER, REIMB], pageSize=2)
    assert first.headers["x-amzn-RateLimit-Limit"] == "0.0222"
    pages = [first.payload["reports"]]
    token = first.next_token
    for _ in range(5):
        if not token:
            break
        page = client.get_reports(nextToken=token)
        pages.append(page.payload["reports"])
        token = page.next_token
    assert [len(p) for p in pages] == [2, 2, 1]
    listed = [r["reportId"] for p in pages for r in p]
    assert listed == sorted(ids, key=int, reverse=True)  # newest first
    assert all(r["processingStatus"] == "IN_QUEUE" for p in pages for r in p)

    again = client.get_reports(reportTypes=[LEDGER], pageSize=1)
    with pytest.raises(SellingApiBadRequestException) as exc:
        client.get_reports(nextToken=again.next_token, pageSize=1)
    assert exc.value.amzn_code == "InvalidInput"
    assert "NextToken cannot be specified with other input parameters" in exc.value.message

    only = client.get_reports(reportTypes=[REIMB], pageSize=10).payload
    assert {r["reportId"] for r in only["reports"]} == set(ids[3:])
    assert "nextToken" not in only

    poll(client, ids[0])
    done = client.get_reports(reportTypes=[LEDGER], processingStatuses=["DONE"]).payload
    assert [r["reportId"] for r in done["reports"]] == [ids[0]]
    with pytest.raises(SellingApiBadRequestException):
        client.get_reports(reportTypes=[LEDGER], processingStatuses=["BAD_VALUE"])
    with pytest.raises(SellingApiBadRequestException):
        client.get_reports(processingStatuses=["DONE"])  # neither reportTypes nor nextToken


def test_cancel_only_in_queue(make_client):
    client = make_client()
    queued = create(client)
    client.cancel_report(queued)
    assert client.get_report(queued).payload["processingStatus"] == "CANCELLED"
    done = create(client)
    poll(client, done)
    with pytest.raises(SellingApiBadRequestException):
        client.cancel_report(done)


def test_unknown_access_token_is_forbidden(make_client):
    client = make_client()
    client.restricted_data_token = "Atza|not-issued-by-the-emulator"
    with pytest.raises(SellingApiForbiddenException) as exc:
        create(client)
    assert exc.value.amzn_code == "Unauthorized"


def test_token_from_a_previous_emulator_is_forbidden(sandbox, make_client, emulator):
    make_client().get_reports(reportTypes=[LEDGER])  # caches a token of this emulator
    with SpApiEmulator(sandbox.out_dir) as other:
        client = make_client(emu=other)
        with pytest.raises(SellingApiForbiddenException):
            client.get_reports(reportTypes=[LEDGER])  # stale token from the process-wide cache
        assert other.calls("POST", "/auth/o2/token") == 0
        token_module.cache.clear()
        assert client.get_reports(reportTypes=[LEDGER]).payload == {"reports": []}
        assert other.calls("POST", "/auth/o2/token") == 1


def test_bad_lwa_credentials(make_client, emulator):
    with pytest.raises(AuthorizationError) as exc:
        create(make_client(refresh_token="Atzr|who-is-this"))
    assert exc.value.status_code == 400 and exc.value.error_code == "invalid_grant"
    with pytest.raises(AuthorizationError) as exc:
        create(make_client("SANDBOX2", lwa_client_secret="wrong"))
    assert exc.value.status_code == 401 and exc.value.error_code == "invalid_client"


def test_injected_faults(make_client, emulator):
    client = make_client()
    emulator.inject("throttle", 2, operations={"createReport"})
    for _ in range(2):
        with pytest.raises(SellingApiRequestThrottledException) as exc:
            create(client)
        assert exc.value.amzn_code == "QuotaExceeded"
        assert "x-amzn-RateLimit-Limit" not in exc.value.headers
    report_id = create(client)  # the faults are used up
    emulator.inject("server_error")
    with pytest.raises(SellingApiServerException):
        client.get_report(report_id)
    assert poll(client, report_id)[0] == ["IN_QUEUE", "IN_PROGRESS", "DONE"]

    emulator.inject("fatal")
    statuses, report = poll(client, create(client))
    assert statuses[-1] == "FATAL" and report.get("reportDocumentId")
    with pytest.raises(ValueError):
        emulator.inject("meteor_strike")


def test_expired_or_tampered_document_url(make_client, emulator):
    client = make_client()
    _, report = poll(client, create(client))
    emulator.inject("expired_url")
    url = client.get_report_document(report["reportDocumentId"]).payload["url"]
    resp = download(url)
    assert resp.status_code == 403
    assert "<Code>AccessDenied</Code>" in resp.text and "Request has expired" in resp.text
    fresh = client.get_report_document(report["reportDocumentId"]).payload["url"]
    assert download(fresh).status_code == 200
    resp = download(fresh.replace("sig=", "sig=0"))
    assert resp.status_code == 403 and "SignatureDoesNotMatch" in resp.text
    emulator.inject("truncated_document")
    with pytest.raises((EOFError, OSError)):
        gzip.decompress(download(fresh).content)


def test_request_validation_over_raw_http(emulator, sandbox):
    seller = sandbox.seller("SANDBOX1")
    with httpx.Client(base_url=emulator.endpoint, timeout=5) as http:
        tok = http.post(
            "/auth/o2/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": seller.refresh_token,
                "client_id": seller.lwa_app_id,
                "client_secret": seller.lwa_client_secret,
            },
        )
        assert tok.status_code == 200
        body = tok.json()
        assert body["token_type"] == "bearer" and body["expires_in"] == 3600
        assert body["access_token"].startswith("Atza|emu-")
        headers = {"x-amz-access-token": body["access_token"], "host": "27.0.0.1:1"}

        def post(payload):
            return http.post("/reports/2021-06-30/reports", json=payload, headers=headers)

        ok = post(
            {
                "reportType": LEDGER,
                "marketplaceIds": [US],
                "MarketplaceIds": [US],
                "dataStartTime": "2026-10-01T00:00:00Z",
            }
        )
        assert ok.status_code == 202 and ok.json()["reportId"]
        for bad in (
            {"reportType": LEDGER},
            {"reportType": LEDGER, "marketplaceIds": []},
            {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]},
            {"reportType": LEDGER, "marketplaceIds": [US], "dataStartTime": "yesterday"},
            {
                "reportType": LEDGER,
                "marketplaceIds": [US],
                "dataStartTime": "2026-10-02T00:00:00Z",
                "dataEndTime": "2026-10-01T00:00:00Z",
            },
            {"reportType": LEDGER, "marketplaceIds": ["A1PA6795UKMFR9"]},
        ):
            resp = post(bad)
            assert resp.status_code == 400, bad
            assert resp.headers["x-amzn-RequestId"]
            errors = resp.json()["errors"]
            assert set(errors[0]) == {"code", "message", "details"}
            assert errors[0]["code"] == "InvalidInput"
        missing = http.get("/reports/2021-06-30/reports/123")
        assert missing.status_code == 403
        assert missing.json()["errors"][0]["code"] == "Unauthorized"
        assert "x-amzn-RateLimit-Limit" not in missing.headers
        unknown = http.get("/reports/2021-06-30/reports/123", headers=headers)
        assert unknown.status_code == 404


def test_sellers_are_isolated(make_client):
    one, two = make_client("SANDBOX1"), make_client("SANDBOX2")
    report_id = create(one)
    with pytest.raises(SellingApiNotFoundException):
        two.get_report(report_id)
    assert two.get_reports(reportTypes=[LEDGER]).payload["reports"] == []


def test_time_scale_holds_reports_until_time_passes(sandbox, make_client):
    now = [1_800_000_000.0]
    with SpApiEmulator(sandbox.out_dir, time_scale=1.0, clock=lambda: now[0]) as emu:
        token_module.cache.clear()
        client = make_client(emu=emu)
        report_id = create(client)
        for _ in range(5):
            assert client.get_report(report_id).payload["processingStatus"] == "IN_QUEUE"
        now[0] += 16
        assert client.get_report(report_id).payload["processingStatus"] == "IN_PROGRESS"
        now[0] += 45
        assert client.get_report(report_id).payload["processingStatus"] == "DONE"
    token_module.cache.clear()


def test_as_of_boundary_rows_are_served(make_client, sandbox):
    """The last day of history (as_of) is in the ledger and reachable through the API."""
    as_of = sandbox.scenario.as_of
    client = make_client()
    start = datetime(as_of.year, as_of.month, as_of.day, tzinfo=UTC)
    _, report = poll(client, create(client, start=start, end=utc(2026, 12, 1)))
    assert report["processingStatus"] == "DONE"
    url = client.get_report_document(report["reportDocumentId"]).payload["url"]
    rows = gzip.decompress(download(url).content).decode().split("\n")[1:-1]
    assert rows and {r.split("\t")[0] for r in rows} == {as_of.strftime("%m/%d/%Y")}
    assert as_of == date(2026, 11, 20)


ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"


@pytest.mark.parametrize(
    "report_type, start, end, windowed",
    [
        ("GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL", *OCTOBER, "shipment-date"),
        (ALL_ORDERS, utc(2026, 10, 1), utc(2026, 10, 31), "purchase-date"),
        ("GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", *OCTOBER, "return-date"),
        ("GET_FBA_STORAGE_FEE_CHARGES_DATA", utc(2026, 8, 1), utc(2026, 11, 1), None),
        ("GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA", utc(2026, 11, 17), utc(2026, 11, 20), None),
    ],
)  # fmt: skip
def test_new_report_types_served(make_client, sandbox, report_type, start, end, windowed):
    """Orders, returns, storage fees and the fee preview come through createReport/getReport/
    getReportDocument like the ledger; the fee preview is a snapshot served whole."""
    client = make_client()
    _, report = poll(client, create(client, report_type, start, end))
    assert report["processingStatus"] == "DONE"
    doc = client.get_report_document(report["reportDocumentId"]).payload
    resp = download(doc["url"])
    assert resp.headers["content-type"].endswith("charset=UTF-8")
    lines = gzip.decompress(resp.content).decode("utf-8").split("\n")[:-1]
    path = sandbox.seller("SANDBOX1").files[report_type]
    if windowed:
        header, expected = file_rows(path, windowed, start, end)
        assert expected and lines[0] == header and sorted(lines[1:]) == sorted(expected)
    elif report_type.startswith("GET_FBA_STORAGE"):
        months = {line.split("\t")[17] for line in lines[1:]}
        assert months == {"2026-08", "2026-09", "2026-10"}
    else:
        assert lines == path.read_text(encoding="utf-8").split("\n")[:-1]


def test_uk_documents_are_cp1252(tmp_path):
    from extractors.sandbox.simulator import Scenario, generate

    manifest = generate(Scenario(marketplace="UK", sellers=1, months=2), tmp_path)
    with SpApiEmulator(manifest.out_dir) as emu:
        assert emu.charset_for("SANDBOX1") == "Cp1252"
    with SpApiEmulator(manifest.out_dir, document_charset="UTF-8") as emu:
        assert emu.charset_for("SANDBOX1") == "UTF-8"
