"""A local SP-API emulator that python-amazon-sp-api talks to unchanged.

It serves a generated sandbox directory (see `simulator.generate`) over HTTP on 127.0.0.1: the
LWA token endpoint, the Reports API 2021-06-30 (createReport, getReport, getReports,
cancelReport, getReportDocument), an S3-like document host with pre-signed, expiring URLs, and
FBA Inbound v0 getShipments, getShipmentItemsByShipmentId and getShipmentItems (paged with
NextToken, the way the model pages them). Shapes, status codes and headers follow the official
models (tests/conformance validates every answer against them) and
../shared/reference/sp-api-client.md §2.8, §3.3, §5 and §7. Errors are always
`{"errors": [{"code", "message", "details"}]}`; a parameter an operation does not take is a 400
InvalidInput (QUERY_PARAMETERS).

Where the emulator has to guess (the models and Amazon's documentation do not say), it says so
in the docstring of the function concerned: `_check_query` (unknown and repeated parameters),
`op_get_shipment_items_query` (item update times, DATE_RANGE without dates, a ByShipmentId
NextToken continuing in getShipmentItems), `op_get_shipments` (a status or id list required with
DATE_RANGE), `op_create_report` (unknown body fields), and the FATAL error document's text.
Finances v2024-06-19 listTransactions and v0 listFinancialEvents:
extractors.sandbox.emulator_finances.

Point the library at it with `auth_token_client_class=` (a subclass of
`sp_api.auth.AccessTokenClient` with `scheme="http://"`, `host="127.0.0.1:PORT"`) and by assigning
`client.endpoint = emulator.endpoint` after construction. The emulator ignores the `Host` header
(the library derives it as `endpoint[8:]`, which is wrong for http://) and tolerates the extra
marketplace parameters the library adds to every call.

Fault injection (`inject`) is the extension point for throttling and failure scenarios; rate
limiting proper (token buckets) can plug into `limiter`.
"""

from __future__ import annotations

import argparse
import base64
import bisect
import gzip
import hashlib
import hmac
import json
import logging
import secrets
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from extractors.sandbox.catalog import (
    REPORTS,
    SCENARIO_FILE,
    SETTLEMENT_DIR,
    SETTLEMENT_REPORT_TYPE,
)
from extractors.sandbox.emulator_finances import (
    FINANCIAL_EVENTS_PATH,
    TRANSACTIONS_PATH,
    FinancesEmulation,
)
from extractors.sandbox.inbound import INBOUND_FILE
from extractors.sandbox.simulator import (
    MARKETPLACES,
    SandboxManifest,
    Scenario,
    generate,
    load_manifest,
)
from extractors.spapi.client import SpApiConnection

log = logging.getLogger(__name__)

API_PREFIX = "/reports/2021-06-30"
INBOUND_PREFIX = "/fba/inbound/v0"
DOCUMENT_PREFIX = "/_s3/"
TOKEN_PATH = "/auth/o2/token"
PROCESSING_STATUSES = ("CANCELLED", "DONE", "FATAL", "IN_PROGRESS", "IN_QUEUE")
# FBA Inbound v0 ShipmentStatusList query enum (the ShipmentStatus definition plus READY_TO_SHIP).
SHIPMENT_STATUSES = frozenset(
    {
        "WORKING",
        "READY_TO_SHIP",
        "SHIPPED",
        "RECEIVING",
        "CANCELLED",
        "DELETED",
        "CLOSED",
        "ERROR",
        "IN_TRANSIT",
        "DELIVERED",
        "CHECKED_IN",
    }
)
TOKEN_LIFETIME_S = 3600

# x-amzn-RateLimit-Limit per operation: the default usage plans (sp-api-client.md §6).
RATE_LIMITS = {
    "createReport": "0.0167",
    "getReport": "2.0",
    "getReports": "0.0222",
    "cancelReport": "0.0222",
    "getReportDocument": "0.0167",
    "getShipments": "2.0",
    "getShipmentItemsByShipmentId": "2.0",
    "getShipmentItems": "2.0",
    "listTransactions": "0.5",
    "listFinancialEvents": "0.5",
}
API_OPERATIONS = frozenset(RATE_LIMITS)
# The query parameters each operation takes, as its model names them (tests/conformance checks
# this table against the official models). Anything else is refused with 400 InvalidInput, and
# so is a parameter given twice (a Python list sent as repeated keys: the models take CSV). The
# library's four marketplace spellings are tolerated everywhere (sp-api-client.md §2.1, §7.3).
QUERY_PARAMETERS: dict[str, frozenset[str]] = {
    "getReports": frozenset(
        {
            "reportTypes",
            "processingStatuses",
            "marketplaceIds",
            "pageSize",
            "createdSince",
            "createdUntil",
            "nextToken",
        }
    ),
    "createReport": frozenset(),
    "getReport": frozenset(),
    "cancelReport": frozenset(),
    "getReportDocument": frozenset({"enableContentEncodingUrlHeader"}),
    "getShipments": frozenset(
        {
            "ShipmentStatusList",
            "ShipmentIdList",
            "LastUpdatedAfter",
            "LastUpdatedBefore",
            "QueryType",
            "NextToken",
            "MarketplaceId",
        }
    ),
    "getShipmentItemsByShipmentId": frozenset({"MarketplaceId"}),
    "getShipmentItems": frozenset(
        {"LastUpdatedAfter", "LastUpdatedBefore", "QueryType", "NextToken", "MarketplaceId"}
    ),
    "listTransactions": frozenset(
        {
            "postedAfter",
            "postedBefore",
            "marketplaceId",
            "transactionStatus",
            "relatedIdentifierName",
            "relatedIdentifierValue",
            "nextToken",
        }
    ),
    "listFinancialEvents": frozenset(
        {"MaxResultsPerPage", "PostedAfter", "PostedBefore", "NextToken"}
    ),
}
CREATE_REPORT_FIELDS = frozenset(
    {"reportType", "marketplaceIds", "dataStartTime", "dataEndTime", "reportOptions"}
)
_TOLERATED_MARKETPLACE_PARAMS = frozenset(
    {"MarketplaceId", "MarketplaceIds", "marketplace_ids", "marketplaceIds"}
)

# Request-level faults: kind -> (HTTP status, error code, message).
REQUEST_FAULTS: dict[str, tuple[int, str, str]] = {
    "throttle": (429, "QuotaExceeded", "You exceeded your quota for the requested resource."),
    "server_error": (500, "InternalFailure", "We encountered an internal error. Please try again."),
    "unavailable": (503, "ServiceUnavailable", "Service temporarily unavailable."),
    "throttle_empty_body": (429, "", ""),  # sent without a body
}
# Report- and document-level faults, consumed by the next report/document they can apply to.
REPORT_FAULTS = frozenset({"fatal", "cancelled"})
DOCUMENT_FAULTS = frozenset({"expired_url", "truncated_document"})
FAULT_KINDS = frozenset(REQUEST_FAULTS) | REPORT_FAULTS | DOCUMENT_FAULTS
# Where a fault applies when `inject` is not told which operations.
_DEFAULT_SCOPE: dict[str, frozenset[str]] = {
    **{kind: API_OPERATIONS for kind in REQUEST_FAULTS},
    "fatal": frozenset({"createReport"}),
    "cancelled": frozenset({"createReport"}),
    "expired_url": frozenset({"getReportDocument"}),
    "truncated_document": frozenset({"document"}),
}

_SNAPSHOT = datetime(1970, 1, 1, tzinfo=UTC)  # sort key of snapshot-report rows

# Nominal Amazon processing time per non-terminal status, scaled by `time_scale`.
_QUEUE_S, _PROGRESS_S = 15.0, 45.0


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: str = ""):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


@dataclass
class _Fault:
    kind: str
    remaining: int
    operations: frozenset[str] | None  # None = every API operation


@dataclass
class _Report:
    report_id: str
    seller_id: str
    report_type: str
    marketplace_ids: list[str]
    start: datetime | None
    end: datetime | None
    created: float  # emulator clock, epoch seconds
    options: dict[str, str] = field(default_factory=dict)
    polls: int = 0
    forced: str | None = None  # "FATAL" / "CANCELLED" by fault injection
    cancelled: bool = False
    status: str = "IN_QUEUE"
    processing_start: float | None = None
    processing_end: float | None = None
    document_id: str | None = None
    rows: int | None = None


@dataclass
class _Document:
    document_id: str
    seller_id: str
    body: bytes  # gzip


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _iso_dt(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _parse_time(value, name: str) -> datetime:
    if not isinstance(value, str) or not value:
        raise ApiError(400, "InvalidInput", f"{name} must be an ISO 8601 date-time.")
    try:
        dt = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(400, "InvalidInput", f"Invalid {name}: {value}.") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# Settlement reports (amazon-reports.md §1.12) are generated by Amazon per settlement period and
# can only be listed (getReports) and downloaded; createReport refuses every settlement type.
SETTLEMENT_REPORT_TYPES = frozenset(
    {
        SETTLEMENT_REPORT_TYPE,
        "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE",
        "GET_V2_SETTLEMENT_REPORT_DATA_XML",
    }
)
# Amazon publishes a settlement's report some time after the period closes: its createdTime is
# the settlement end plus this delay.
SETTLEMENT_PUBLISH_DELAY = timedelta(days=1, hours=7)


def _settlement_time(value: str) -> datetime | None:
    """A settlement summary date as the simulator localises it (§1.12): `2026-09-11 08:00:00
    UTC` or `11.09.2026 08:00:00 UTC`."""
    text = value.strip().removesuffix("UTC").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
    return None


class SpApiEmulator:
    """The emulator. `start()` returns the base URL; use as a context manager to stop it."""

    def __init__(
        self,
        sandbox_dir: Path,
        *,
        time_scale: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
        polls_to_done: int = 3,
        url_ttl_s: float = 300.0,
        document_charset: str | None = None,
        clock: Callable[[], float] = time.time,
        inbound_page_size: int = 10,
        settlement_retention_days: int | None = 90,
    ):
        """`time_scale` scales Amazon's nominal processing time (15 s queued, 45 s in progress);
        0 advances reports on polls only: IN_QUEUE, then IN_PROGRESS, terminal on poll number
        `polls_to_done`. With time_scale > 0 a report also needs the scaled time to elapse.
        `url_ttl_s` is the lifetime of document URLs (Amazon: 5 minutes). `document_charset`
        None serves each seller's documents in its marketplace's charset (US UTF-8, UK Cp1252,
        declared in the Content-Type); a value forces that charset for every seller.
        `inbound_page_size` is how many shipments (getShipments) or items
        (getShipmentItemsByShipmentId, getShipmentItems) a page holds before a NextToken; Amazon
        does not document its page sizes, so this is a guess that tests turn down to force
        paging.
        `settlement_retention_days`: getReports lists a settlement report only if it was created
        within that many days of the emulator's clock (Amazon keeps them listable for 90 days,
        policy-2026.md §1); None lists the whole simulated history. Finances
        (`self.finances`, extractors.sandbox.emulator_finances) always serves the whole period."""
        self.sandbox_dir = Path(sandbox_dir)
        self.manifest: SandboxManifest = load_manifest(self.sandbox_dir)
        self.time_scale = float(time_scale)
        self.host, self.port = host, port
        self.polls_to_done = int(polls_to_done)
        self.url_ttl_s = float(url_ttl_s)
        self.document_charset = document_charset
        self.clock = clock
        self.inbound_page_size = int(inbound_page_size)
        self.settlement_retention_days = settlement_retention_days
        self.finances = FinancesEmulation(self)
        # Hook for rate limiting: limiter(operation, seller_id) -> True to allow, False for 429.
        self.limiter: Callable[[str, str], bool] | None = None
        self.endpoint: str | None = None
        self.token_url: str | None = None
        self.requests: list[tuple[str, str, str | None]] = []
        # Set to a list to record every SP-API exchange (operation, method, path, query, request
        # body, status, headers, response body) for conformance checks; None records nothing.
        self.wire: list[dict] | None = None

        self._lock = threading.RLock()
        self._key = secrets.token_bytes(32)
        self._instance = secrets.token_hex(4)
        self._tokens: dict[str, tuple[str, float]] = {}
        self._reports: dict[str, _Report] = {}
        self._documents: dict[str, _Document] = {}
        self._next_tokens: dict[str, tuple[str, list[str], int, int]] = {}
        self._rows: dict[tuple[str, str], tuple[str, list[datetime], list[str]]] = {}
        self._inbound: dict[str, list[dict]] = {}
        self._inbound_tokens: dict[str, tuple[str, str, list[dict], int]] = {}
        self._faults: list[_Fault] = []
        self._counters: dict[str, int] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._sellers = {s.seller_id: s for s in self.manifest.sellers}
        self._by_refresh_token = {s.refresh_token: s.seller_id for s in self.manifest.sellers}
        self._apps = {(s.lwa_app_id, s.lwa_client_secret) for s in self.manifest.sellers}

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> str:
        if self._server is not None:
            return self.endpoint or ""
        handler = type("EmulatorHandler", (_Handler,), {"emulator": self})
        server = ThreadingHTTPServer((self.host, self.port), handler)
        server.daemon_threads = True
        self._server = server
        host, port = server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        self.token_url = f"{self.endpoint}{TOKEN_PATH}"
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"sp-api-emulator-{port}",
            daemon=True,
        )
        self._thread.start()
        return self.endpoint

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> SpApiEmulator:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def connection(
        self, seller_id: str, *, timeout: float = 30, rate_speedup: float = 1.0
    ) -> SpApiConnection:
        """A sandbox seller's SP-API connection to this (started) emulator, with the seller's
        sandbox credentials; rate_speedup multiplies Amazon's rate limits in client pacing."""
        s = self._sellers[seller_id]
        return SpApiConnection(
            marketplace_id=s.marketplace_id,
            refresh_token=s.refresh_token,
            lwa_app_id=s.lwa_app_id,
            lwa_client_secret=s.lwa_client_secret,
            endpoint=self.endpoint,
            token_url=self.token_url,
            timeout=timeout,
            rate_speedup=rate_speedup,
        )

    # -- test helpers -----------------------------------------------------------------------

    def inject(self, kind: str, count: int = 1, *, operations: set[str] | None = None) -> None:
        """Make the next `count` matching requests fail. Kinds:
        - `throttle` (429 QuotaExceeded), `server_error` (500), `unavailable` (503): API calls,
          all operations or only `operations` (createReport, getReport, getReports,
          cancelReport, getReportDocument, getShipments, getShipmentItemsByShipmentId,
          getShipmentItems, listTransactions, listFinancialEvents; also
          `token` and `document` when named);
        - `throttle_empty_body`: a 429 without the `errors` body (the library then returns an
          empty payload instead of raising: sp-api-client.md §2.5);
        - `fatal` / `cancelled`: the next created reports end FATAL / CANCELLED;
        - `expired_url`: the next getReportDocument hands out an already expired URL;
        - `truncated_document`: the next document download is cut short (corrupt gzip).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; known: {sorted(FAULT_KINDS)}")
        with self._lock:
            ops = frozenset(operations) if operations else None
            self._faults.append(_Fault(kind, int(count), ops))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def calls(
        self, method: str | None = None, path: str | None = None, seller: str | None = None
    ) -> int:
        """How many logged requests match (path matches as a prefix)."""
        with self._lock:
            return sum(
                1
                for m, p, s in self.requests
                if (method is None or m == method)
                and (path is None or p.startswith(path))
                and (seller is None or s == seller)
            )

    # -- internals --------------------------------------------------------------------------

    def _next(self, kind: str) -> int:
        with self._lock:
            n = self._counters.get(kind, 0) + 1
            self._counters[kind] = n
            return n

    def _take_fault(self, kinds, operation: str) -> str | None:
        """Consume one pending fault of one of `kinds` that applies to `operation`."""
        with self._lock:
            for f in self._faults:
                if f.kind not in kinds or f.remaining <= 0:
                    continue
                scope = f.operations if f.operations is not None else _DEFAULT_SCOPE[f.kind]
                if operation not in scope:
                    continue
                f.remaining -= 1
                if f.remaining <= 0:
                    self._faults.remove(f)
                return f.kind
        return None

    def _log(self, method: str, path: str, seller: str | None) -> None:
        with self._lock:
            self.requests.append((method, path, seller))

    def _seller_for_token(self, token: str | None) -> str | None:
        if not token:
            return None
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry[1] < self.clock():
            return None
        return entry[0]

    def _rows_for(self, seller_id: str, report_type: str):
        key = (seller_id, report_type)
        with self._lock:
            cached = self._rows.get(key)
        if cached is not None:
            return cached
        spec = REPORTS[report_type]
        seller = self._sellers[seller_id]
        path = seller.files.get(report_type) or self.sandbox_dir / seller_id / spec.file_name
        header, keyed = spec.header, []
        if Path(path).exists():
            with open(path, encoding="utf-8", newline="") as fh:
                header = fh.readline().rstrip("\r\n")
                names = header.split("\t")
                idx = names.index(spec.date_column) if spec.date_column else None
                for n, line in enumerate(fh):
                    line = line.rstrip("\r\n")
                    if not line:
                        continue
                    if idx is None:  # a snapshot report: every row, whatever the window
                        keyed.append((_SNAPSHOT, n, line))
                    else:
                        keyed.append((spec.parse_date(line.split("\t")[idx]), n, line))
        keyed.sort()
        value = (header, [k for k, _, _ in keyed], [line for _, _, line in keyed])
        with self._lock:
            self._rows[key] = value
        return value

    def _window_lines(self, report: _Report) -> tuple[str, list[str]]:
        header, keys, lines = self._rows_for(report.seller_id, report.report_type)
        if REPORTS[report.report_type].date_column is None:
            return header, lines
        lo = 0 if report.start is None else bisect.bisect_left(keys, report.start)
        hi = len(keys) if report.end is None else bisect.bisect_left(keys, report.end)
        return header, lines[lo:hi]

    def _advance(self, report: _Report) -> None:
        """Recompute the report's status from its polls (and elapsed time)."""
        if report.status in ("DONE", "CANCELLED", "FATAL"):
            return
        p = report.polls
        stage = 2 if p >= self.polls_to_done else 1 if p >= 2 else 0
        if self.time_scale > 0:
            elapsed = self.clock() - report.created
            q, g = _QUEUE_S * self.time_scale, _PROGRESS_S * self.time_scale
            stage = min(stage, 0 if elapsed < q else 1 if elapsed < q + g else 2)
        now = self.clock()
        if stage >= 1 and report.processing_start is None:
            report.processing_start = now
        if stage == 0:
            report.status = "IN_QUEUE"
        elif stage == 1:
            report.status = "IN_PROGRESS"
        else:
            self._finish(report, now)

    def _finish(self, report: _Report, now: float) -> None:
        report.processing_end = now
        if report.forced == "CANCELLED":
            report.status = "CANCELLED"
            return
        if report.forced == "FATAL":
            report.status = "FATAL"
            doc_id = self._document_id(report)
            # Amazon does not document the error document's wording; this text is made up,
            # and gzipped like every document (compressionAlgorithm GZIP applies to it too).
            body = f"Report {report.report_id} failed: the sandbox was told to fail it.\n"
            self._documents[doc_id] = _Document(
                doc_id, report.seller_id, gzip.compress(body.encode(), mtime=0)
            )
            report.document_id = doc_id
            return
        header, lines = self._window_lines(report)
        report.rows = len(lines)
        if not lines:
            report.status = "CANCELLED"  # Amazon: no data for the requested window
            return
        text = header + "\n" + "\n".join(lines) + "\n"
        charset = self.charset_for(report.seller_id)
        codec = {"cp1252": "cp1252", "windows-1252": "cp1252"}.get(charset.lower(), charset)
        doc_id = self._document_id(report)
        self._documents[doc_id] = _Document(
            doc_id, report.seller_id, gzip.compress(text.encode(codec, "replace"), mtime=0)
        )
        report.document_id = doc_id
        report.status = "DONE"

    def charset_for(self, seller_id: str) -> str:
        """The charset a seller's documents are encoded in and declared with: the emulator's
        `document_charset` when set, else the marketplace's (EU: Cp1252, amazon-reports.md §0)."""
        if self.document_charset:
            return self.document_charset
        market = next(
            (
                m
                for m in MARKETPLACES.values()
                if m.marketplace_id == self._sellers[seller_id].marketplace_id
            ),
            None,
        )
        return market.charset if market else "UTF-8"

    def _document_id(self, report: _Report) -> str:
        region = self._sellers[report.seller_id].region.lower()
        digest = uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox:{report.seller_id}:{report.report_id}")
        return f"amzn1.spdoc.1.4.{region}.{digest}.T{report.report_id}"

    def _report_json(self, r: _Report) -> dict:
        out: dict = {
            "reportId": r.report_id,
            "reportType": r.report_type,
            "marketplaceIds": r.marketplace_ids,
        }
        if r.start is not None:
            out["dataStartTime"] = _iso_dt(r.start)
        if r.end is not None:
            out["dataEndTime"] = _iso_dt(r.end)
        out["createdTime"] = _iso(r.created)
        out["processingStatus"] = r.status
        if r.processing_start is not None:
            out["processingStartTime"] = _iso(r.processing_start)
        if r.processing_end is not None:
            out["processingEndTime"] = _iso(r.processing_end)
        if r.document_id is not None:
            out["reportDocumentId"] = r.document_id
        return out

    def _sign(self, doc_id: str, expires: int) -> str:
        msg = f"{doc_id}:{expires}".encode()
        return hmac.new(self._key, msg, hashlib.sha256).hexdigest()[:40]

    def _report(self, seller_id: str, report_id: str) -> _Report:
        r = self._reports.get(report_id)
        if r is None or r.seller_id != seller_id:
            raise ApiError(404, "NotFound", f"Report {report_id} was not found.")
        return r

    # -- operations -------------------------------------------------------------------------

    def op_create_report(self, seller_id: str, body: dict) -> tuple[int, dict]:
        report_type = body.get("reportType")
        if not isinstance(report_type, str) or not report_type:
            raise ApiError(400, "InvalidInput", "reportType is required.")
        # CreateReportSpecification's properties, plus the duplicate key the library adds when
        # marketplaceIds is not passed (sp-api-client.md §2.1). Refusing the rest is a guess.
        unknown = sorted(set(body) - CREATE_REPORT_FIELDS - {"MarketplaceIds"})
        if unknown:
            raise ApiError(
                400,
                "InvalidInput",
                f"{unknown[0]} is not a field of CreateReportSpecification.",
                f"Accepted: {', '.join(sorted(CREATE_REPORT_FIELDS))}.",
            )
        if report_type in SETTLEMENT_REPORT_TYPES:
            # Amazon answers this with 400 InvalidInput "Request for report type 1118 is not
            # allowed at this time" (observed by users; not in the reference).
            raise ApiError(
                400,
                "InvalidInput",
                f"Request for report type {report_type} is not allowed at this time.",
                "Settlement reports are generated by Amazon on its own schedule and cannot be "
                "requested or scheduled: list them with getReports.",
            )
        if report_type not in REPORTS:
            raise ApiError(
                400, "InvalidInput", f"Report type {report_type} is not supported by the sandbox."
            )
        mids = body.get("marketplaceIds", body.get("MarketplaceIds"))
        if (
            not isinstance(mids, list)
            or not 1 <= len(mids) <= 25
            or not all(isinstance(m, str) and m for m in mids)
        ):
            raise ApiError(400, "InvalidInput", "marketplaceIds must list 1 to 25 marketplaces.")
        seller = self._sellers[seller_id]
        if seller.marketplace_id not in mids:
            raise ApiError(
                400,
                "InvalidInput",
                f"The seller is not registered in marketplace(s) {', '.join(mids)}.",
            )
        start = body.get("dataStartTime")
        end = body.get("dataEndTime")
        start_dt = _parse_time(start, "dataStartTime") if start is not None else None
        end_dt = _parse_time(end, "dataEndTime") if end is not None else None
        if start_dt and end_dt and start_dt >= end_dt:
            raise ApiError(400, "InvalidInput", "dataStartTime must be before dataEndTime.")
        options = body.get("reportOptions") or {}
        if not isinstance(options, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in options.items()
        ):
            raise ApiError(400, "InvalidInput", "reportOptions must map strings to strings.")
        forced = self._take_fault(REPORT_FAULTS, "createReport")
        report = _Report(
            report_id=str(50_000_000_000 + self._next("report")),
            seller_id=seller_id,
            report_type=report_type,
            marketplace_ids=list(mids),
            start=start_dt,
            end=end_dt,
            created=self.clock(),
            options=dict(options),
            forced={"fatal": "FATAL", "cancelled": "CANCELLED"}.get(forced or ""),
        )
        with self._lock:
            self._reports[report.report_id] = report
            if self.polls_to_done <= 0:
                self._advance(report)
        return 202, {"reportId": report.report_id}

    def op_get_report(self, seller_id: str, report_id: str) -> tuple[int, dict]:
        with self._lock:
            r = self._report(seller_id, report_id)
            r.polls += 1
            self._advance(r)
            return 200, self._report_json(r)

    def op_cancel_report(self, seller_id: str, report_id: str) -> tuple[int, dict | None]:
        with self._lock:
            r = self._report(seller_id, report_id)
            self._advance(r)
            if r.status != "IN_QUEUE":
                raise ApiError(
                    400,
                    "InvalidInput",
                    f"Report {report_id} cannot be cancelled: its processingStatus is "
                    f"{r.status}; only IN_QUEUE reports can be cancelled.",
                )
            r.cancelled = True
            r.status = "CANCELLED"
            r.processing_end = self.clock()
        return 200, None

    def op_get_reports(self, seller_id: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        page_size = 10
        if "nextToken" in query:
            if len(query) > 1:
                raise ApiError(
                    400,
                    "InvalidInput",
                    "NextToken cannot be specified with other input parameters.",
                )
            token = query["nextToken"][0]
            with self._lock:
                entry = self._next_tokens.pop(token, None)
            if entry is None or entry[0] != seller_id:
                raise ApiError(400, "InvalidInput", "The nextToken is invalid or expired.")
            _, ids, offset, page_size = entry
        else:
            types = _csv(query, "reportTypes")
            if not types:
                raise ApiError(400, "InvalidInput", "Either reportTypes or nextToken is required.")
            if len(types) > 10:
                raise ApiError(400, "InvalidInput", "reportTypes accepts 1 to 10 values.")
            statuses = _csv(query, "processingStatuses")
            if any(s not in PROCESSING_STATUSES for s in statuses):
                raise ApiError(
                    400, "InvalidInput", "Invalid input", "Invalid input in processing status"
                )
            if "pageSize" in query:
                try:
                    page_size = int(query["pageSize"][0])
                except ValueError:
                    page_size = -1
                if not 1 <= page_size <= 100:
                    raise ApiError(400, "InvalidInput", "pageSize must be between 1 and 100.")
            now = self.clock()
            since = (
                _parse_time(query["createdSince"][0], "createdSince").timestamp()
                if "createdSince" in query
                else now - 90 * 86400
            )
            until = (
                _parse_time(query["createdUntil"][0], "createdUntil").timestamp()
                if "createdUntil" in query
                else now + 1
            )
            mids = set(_csv(query, "marketplaceIds"))
            if SETTLEMENT_REPORT_TYPES & set(types):
                self._load_settlement_reports(seller_id)
            with self._lock:
                matched = []
                for r in self._reports.values():
                    if r.seller_id != seller_id or r.report_type not in types:
                        continue
                    if not since <= r.created <= until:
                        continue
                    if (
                        r.report_type in SETTLEMENT_REPORT_TYPES
                        and self.settlement_retention_days is not None
                        and r.created < now - self.settlement_retention_days * 86400
                    ):
                        continue
                    if mids and not mids & set(r.marketplace_ids):
                        continue
                    self._advance(r)
                    if statuses and r.status not in statuses:
                        continue
                    matched.append(r)
            matched.sort(key=lambda r: (r.created, int(r.report_id)), reverse=True)
            ids, offset = [r.report_id for r in matched], 0
        page = ids[offset : offset + page_size]
        with self._lock:
            reports = []
            for rid in page:
                r = self._reports[rid]
                self._advance(r)
                reports.append(self._report_json(r))
            out: dict = {"reports": reports}
            if offset + page_size < len(ids):
                token = base64.b64encode(secrets.token_bytes(24)).decode()
                self._next_tokens[token] = (seller_id, ids, offset + page_size, page_size)
                out["nextToken"] = token
        return 200, out

    def _load_settlement_reports(self, seller_id: str) -> None:
        """The seller's settlement reports as Amazon keeps them: one DONE report of type
        GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 per settlement file the simulator wrote under
        <sandbox>/<seller>/settlements/, created SETTLEMENT_PUBLISH_DELAY after the settlement
        closed, its document served by the document route like any other. Report ids are derived
        from seller and settlement (stable across emulator restarts); files that appear later are
        picked up by the next listing. getReports lists only those created within
        `settlement_retention_days` (None: all, an explicit createdSince then reaches the whole
        simulated history)."""
        seller = self._sellers[seller_id]
        folder = Path(
            seller.files.get("settlements") or self.sandbox_dir / seller_id / SETTLEMENT_DIR
        )
        if not folder.is_dir():
            return
        market = next(
            (m for m in MARKETPLACES.values() if m.marketplace_id == seller.marketplace_id), None
        )
        # the simulator writes settlement files in the marketplace's charset
        file_codec = "cp1252" if market and market.charset.lower() == "cp1252" else "utf-8"
        charset = self.charset_for(seller_id)
        codec = {"cp1252": "cp1252", "windows-1252": "cp1252"}.get(charset.lower(), charset)
        for path in sorted(folder.glob(f"{SETTLEMENT_REPORT_TYPE}_*.tsv")):
            settlement_id = path.stem.removeprefix(f"{SETTLEMENT_REPORT_TYPE}_")
            digest = hashlib.sha256(f"{seller_id}:{settlement_id}".encode()).hexdigest()
            report_id = str(20_000_000_000 + int(digest, 16) % 10_000_000_000)
            with self._lock:
                if report_id in self._reports:
                    continue
            text = path.read_bytes().decode(file_codec, "replace")
            lines = text.splitlines()
            if len(lines) < 2:
                log.warning("%s: no settlement summary row; not listed", path)
                continue
            header, summary = lines[0].split("\t"), lines[1].split("\t")
            fields = dict(zip(header, summary, strict=False))
            start = _settlement_time(fields.get("settlement-start-date", ""))
            end = _settlement_time(fields.get("settlement-end-date", ""))
            if start is None or end is None:
                log.warning("%s: unreadable settlement dates; not listed", path)
                continue
            created = (end + SETTLEMENT_PUBLISH_DELAY).timestamp()
            report = _Report(
                report_id=report_id,
                seller_id=seller_id,
                report_type=SETTLEMENT_REPORT_TYPE,
                marketplace_ids=[seller.marketplace_id],
                start=start,
                end=end,
                created=created,
                status="DONE",
                processing_start=created,
                processing_end=created + 60,
            )
            report.document_id = self._document_id(report)
            report.rows = max(0, len(lines) - 1)
            body = gzip.compress(text.encode(codec, "replace"), mtime=0)
            with self._lock:
                if report_id in self._reports:
                    continue
                self._documents[report.document_id] = _Document(report.document_id, seller_id, body)
                self._reports[report_id] = report

    def op_get_report_document(self, seller_id: str, doc_id: str) -> tuple[int, dict]:
        with self._lock:
            doc = self._documents.get(doc_id)
        if doc is None or doc.seller_id != seller_id:
            raise ApiError(404, "NotFound", f"Report document {doc_id} was not found.")
        now = self.clock()
        expired = self._take_fault({"expired_url"}, "getReportDocument")
        expires = int(now - 1) if expired else int(now + self.url_ttl_s)
        sig = self._sign(doc_id, expires)
        url = f"{self.endpoint}{DOCUMENT_PREFIX}{doc_id}?expires={expires}&sig={sig}"
        return 200, {"reportDocumentId": doc_id, "url": url, "compressionAlgorithm": "GZIP"}

    # -- FBA Inbound v0 -----------------------------------------------------------------------

    def _shipments_for(self, seller_id: str) -> list[dict]:
        """The seller's rendered shipments ({"last_updated", "shipment", "items"}), oldest update
        first; none when the sandbox has no inbound file."""
        with self._lock:
            cached = self._inbound.get(seller_id)
        if cached is not None:
            return cached
        seller = self._sellers[seller_id]
        path = seller.files.get("inbound_shipments") or self.sandbox_dir / seller_id / INBOUND_FILE
        shipments = []
        if Path(path).exists():
            doc = json.loads(Path(path).read_text(encoding="utf-8"))
            for entry in doc.get("shipments", []):
                entry = {**entry, "_updated": _parse_time(entry["last_updated"], "last_updated")}
                shipments.append(entry)
        shipments.sort(key=lambda e: (e["_updated"], e["shipment"]["ShipmentId"]))
        with self._lock:
            self._inbound[seller_id] = shipments
        return shipments

    def _inbound_page(self, seller_id: str, kind: str, rows: list, offset: int) -> dict:
        size = self.inbound_page_size
        key = "ShipmentData" if kind == "shipments" else "ItemData"
        page = rows[offset : offset + size]
        out: dict = {key: [r["shipment"] if kind == "shipments" else r for r in page]}
        if offset + size < len(rows):
            token = base64.b64encode(secrets.token_bytes(24)).decode()
            with self._lock:
                self._inbound_tokens[token] = (seller_id, kind, rows, offset + size)
            out["NextToken"] = token
        return {"payload": out}

    def _take_inbound_token(self, seller_id: str, kind: str, token: str) -> tuple[list, int]:
        with self._lock:
            entry = self._inbound_tokens.pop(token, None)
        if entry is None or entry[0] != seller_id or entry[1] != kind:
            raise ApiError(400, "InvalidInput", "The NextToken is invalid or expired.")
        return entry[2], entry[3]

    def op_get_shipments(self, seller_id: str, query: dict[str, list[str]]) -> tuple[int, dict]:
        """getShipments: QueryType SHIPMENT (by status and/or id), DATE_RANGE (last updated in
        [LastUpdatedAfter, LastUpdatedBefore], both inclusive as the model says "or at", with a
        status or id list, as users report Amazon requires), NEXT_TOKEN (the following page)."""

        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        if not one("MarketplaceId"):
            raise ApiError(400, "InvalidInput", "MarketplaceId is required.")
        query_type = one("QueryType")
        if query_type not in ("SHIPMENT", "DATE_RANGE", "NEXT_TOKEN"):
            raise ApiError(
                400, "InvalidInput", "QueryType must be one of SHIPMENT, DATE_RANGE, NEXT_TOKEN."
            )
        if query_type == "NEXT_TOKEN":
            token = one("NextToken")
            if not token:
                raise ApiError(
                    400, "InvalidInput", "NextToken is required for QueryType NEXT_TOKEN."
                )
            rows, offset = self._take_inbound_token(seller_id, "shipments", token)
            return 200, self._inbound_page(seller_id, "shipments", rows, offset)
        if one("NextToken"):
            raise ApiError(400, "InvalidInput", "NextToken goes with QueryType NEXT_TOKEN only.")
        statuses, ids = _csv(query, "ShipmentStatusList"), _csv(query, "ShipmentIdList")
        if not statuses and not ids:
            raise ApiError(
                400,
                "InvalidInput",
                "At least one of ShipmentStatusList and ShipmentIdList must be provided",
            )
        bad = [s for s in statuses if s not in SHIPMENT_STATUSES]
        if bad:
            raise ApiError(400, "InvalidInput", f"Invalid ShipmentStatusList value: {bad[0]}.")
        if len(ids) > 999:
            raise ApiError(400, "InvalidInput", "ShipmentIdList accepts at most 999 ids.")
        after = before = None
        if query_type == "DATE_RANGE":
            if not one("LastUpdatedAfter") or not one("LastUpdatedBefore"):
                raise ApiError(
                    400,
                    "InvalidInput",
                    "LastUpdatedAfter and LastUpdatedBefore are required for QueryType DATE_RANGE.",
                )
            after = _parse_time(one("LastUpdatedAfter"), "LastUpdatedAfter")
            before = _parse_time(one("LastUpdatedBefore"), "LastUpdatedBefore")
            if after > before:
                raise ApiError(
                    400, "InvalidInput", "LastUpdatedAfter must be before LastUpdatedBefore."
                )
        rows = [
            e
            for e in self._shipments_for(seller_id)
            if (not statuses or e["shipment"]["ShipmentStatus"] in statuses)
            and (not ids or e["shipment"]["ShipmentId"] in ids)
            and (after is None or after <= e["_updated"] <= before)
        ]
        return 200, self._inbound_page(seller_id, "shipments", rows, 0)

    def op_get_shipment_items(
        self, seller_id: str, shipment_id: str, query: dict[str, list[str]]
    ) -> tuple[int, dict]:
        """getShipmentItemsByShipmentId: the shipment's items. The operation takes no NextToken
        (the model: shipmentId, and a deprecated MarketplaceId); a shipment with more items than
        `inbound_page_size` answers its first page with a NextToken, as Amazon's own example does,
        and the rest is had from getShipmentItems with QueryType=NEXT_TOKEN (a NextToken sent
        here is refused by the query check). An unknown shipment (or another seller's) is a 400,
        as Amazon's sandbox answers BADFBA15DJ9SVVD."""
        for e in self._shipments_for(seller_id):
            if e["shipment"]["ShipmentId"] == shipment_id:
                return 200, self._inbound_page(seller_id, "items", e["items"], 0)
        raise ApiError(400, "InvalidInput", f"Invalid shipment id: {shipment_id}.")

    def op_get_shipment_items_query(
        self, seller_id: str, query: dict[str, list[str]]
    ) -> tuple[int, dict]:
        """getShipmentItems (GET /fba/inbound/v0/shipmentItems): QueryType DATE_RANGE (the items
        of shipments last updated in [LastUpdatedAfter, LastUpdatedBefore], both inclusive) or
        NEXT_TOKEN (the next page of an earlier getShipmentItems or getShipmentItemsByShipmentId
        answer); MarketplaceId is required, as the model says.

        Where this guesses: the simulator keeps one update time per shipment, not per item, so an
        item counts as updated when its shipment was; the model marks both dates optional, but
        DATE_RANGE without both is refused here (QueryType's description says the range is given
        by the two); and that a ByShipmentId NextToken continues here is how policy-2026.md §1
        and the library's docstring read the model, which does not say so in as many words."""

        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        if not one("MarketplaceId"):
            raise ApiError(400, "InvalidInput", "MarketplaceId is required.")
        query_type = one("QueryType")
        if query_type not in ("DATE_RANGE", "NEXT_TOKEN"):
            raise ApiError(400, "InvalidInput", "QueryType must be one of DATE_RANGE, NEXT_TOKEN.")
        if query_type == "NEXT_TOKEN":
            token = one("NextToken")
            if not token:
                raise ApiError(
                    400, "InvalidInput", "NextToken is required for QueryType NEXT_TOKEN."
                )
            rows, offset = self._take_inbound_token(seller_id, "items", token)
            return 200, self._inbound_page(seller_id, "items", rows, offset)
        if one("NextToken"):
            raise ApiError(400, "InvalidInput", "NextToken goes with QueryType NEXT_TOKEN only.")
        if not one("LastUpdatedAfter") or not one("LastUpdatedBefore"):
            raise ApiError(
                400,
                "InvalidInput",
                "LastUpdatedAfter and LastUpdatedBefore are required for QueryType DATE_RANGE.",
            )
        after = _parse_time(one("LastUpdatedAfter"), "LastUpdatedAfter")
        before = _parse_time(one("LastUpdatedBefore"), "LastUpdatedBefore")
        if after > before:
            raise ApiError(
                400, "InvalidInput", "LastUpdatedAfter must be before LastUpdatedBefore."
            )
        rows = [
            item
            for e in self._shipments_for(seller_id)
            if after <= e["_updated"] <= before
            for item in e["items"]
        ]
        return 200, self._inbound_page(seller_id, "items", rows, 0)

    def op_token(self, form: dict[str, list[str]]) -> tuple[int, dict, str | None]:
        def one(name: str) -> str:
            return (form.get(name) or [""])[0]

        if one("grant_type") != "refresh_token":
            return (
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not supported.",
                },
                None,
            )
        if (one("client_id"), one("client_secret")) not in self._apps:
            return (
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
                None,
            )
        seller_id = self._by_refresh_token.get(one("refresh_token"))
        if seller_id is None:
            return (
                400,
                {
                    "error": "invalid_grant",
                    "error_description": "The request has an invalid grant parameter : "
                    "refresh_token",
                },
                None,
            )
        # Unique across emulator instances: a token cached by the library from an earlier
        # emulator must never be taken for another seller's token here.
        token = f"Atza|emu-{self._next('token')}.{self._instance}"
        with self._lock:
            self._tokens[token] = (seller_id, self.clock() + TOKEN_LIFETIME_S)
        body = {
            "access_token": token,
            "refresh_token": one("refresh_token"),
            "token_type": "bearer",
            "expires_in": TOKEN_LIFETIME_S,
        }
        return 200, body, seller_id


def _csv(query: dict[str, list[str]], name: str) -> list[str]:
    out: list[str] = []
    for v in query.get(name, []):
        out += [x.strip() for x in v.split(",") if x.strip()]
    return out


def _check_query(operation: str, query: dict[str, list[str]]) -> None:
    """400 InvalidInput for a parameter the operation does not take, or one given twice.

    Where this is a guess: Amazon's answer to an unknown parameter is not documented, and it
    evidently ignores at least one (a NextToken sent to getShipmentItemsByShipmentId comes back
    as the same first page, which is how clients loop for ever). The emulator refuses instead, so
    such a request fails a test rather than passing unnoticed."""
    allowed = QUERY_PARAMETERS.get(operation)
    if allowed is None:
        return
    for name, values in query.items():
        if name not in allowed and name not in _TOLERATED_MARKETPLACE_PARAMS:
            hint = ""
            if operation == "getShipmentItemsByShipmentId" and name == "NextToken":
                hint = " Page on with getShipmentItems and QueryType=NEXT_TOKEN."
            raise ApiError(
                400,
                "InvalidInput",
                f"{name} is not a parameter of {operation}.{hint}",
                f"Accepted: {', '.join(sorted(allowed)) or 'none'}.",
            )
        if len(values) > 1 and name not in _TOLERATED_MARKETPLACE_PARAMS:
            raise ApiError(
                400,
                "InvalidInput",
                f"{name} is given {len(values)} times; send one comma-separated value.",
            )
    flag = query.get("enableContentEncodingUrlHeader")
    if flag and flag[0] not in ("true", "false"):
        raise ApiError(400, "InvalidInput", "enableContentEncodingUrlHeader must be a boolean.")


def _s3_error(code: str, message: str, request_id: str, extra: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Error><Code>{code}</Code><Message>{message}</Message>{extra}"
        f"<RequestId>{request_id}</RequestId><HostId>sandbox</HostId></Error>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    emulator: SpApiEmulator  # set on the per-emulator subclass
    protocol_version = "HTTP/1.0"

    def version_string(self) -> str:
        return "fba-reclaim-sandbox"

    def log_message(self, format, *args) -> None:
        log.debug("emulator: " + format, *args)

    # -- plumbing -----------------------------------------------------------------------------

    def _send(self, status: int, body: bytes, content_type: str, headers: dict | None = None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _request_id(self) -> str:
        return str(uuid.uuid4())

    def _json(self, status: int, payload, operation: str | None = None) -> None:
        headers = {"x-amzn-RequestId": self._request_id()}
        # The models list the rate header on 200/201/202, 400 and 404 only (not 401/403/415/
        # 429/5xx).
        if operation in RATE_LIMITS and status in (200, 202, 400, 404):
            headers["x-amzn-RateLimit-Limit"] = RATE_LIMITS[operation]
        body = b"" if payload is None else json.dumps(payload).encode()
        wire = self.emulator.wire
        if wire is not None:  # recorded before sending: the client may look right after
            parts = urlsplit(self.path)
            with self.emulator._lock:
                wire.append(
                    {
                        "operation": operation,
                        "method": self.command,
                        "path": parts.path,
                        "query": parse_qs(parts.query, keep_blank_values=True),
                        "request_body": getattr(self, "_request_body", b""),
                        "status": status,
                        "headers": headers,
                        "body": body,
                    }
                )
        self._send(status, body, "application/json", headers)

    def _error(self, err: ApiError, operation: str | None) -> None:
        payload = {"errors": [{"code": err.code, "message": err.message, "details": err.details}]}
        self._json(err.status, payload, operation)

    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        self._request_body = self.rfile.read(length) if length > 0 else b""
        return self._request_body

    # -- dispatch -----------------------------------------------------------------------------

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def _dispatch(self, method: str) -> None:
        emu = self.emulator
        parts = urlsplit(self.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        try:
            if path == TOKEN_PATH and method == "POST":
                return self._token()
            if path.startswith(DOCUMENT_PREFIX) and method == "GET":
                return self._document(path[len(DOCUMENT_PREFIX) :], query)
            operation, arg = _route(method, path)
        except Exception:  # pragma: no cover - defensive: never leave a request hanging
            log.exception("emulator: %s %s failed", method, path)
            return self._error(ApiError(500, "InternalFailure", "Internal error."), None)

        seller = emu._seller_for_token(self.headers.get("x-amz-access-token"))
        emu._log(method, path, seller)
        try:
            if operation is None:
                raise ApiError(404, "NotFound", f"No such resource: {method} {path}.")
            if seller is None:
                raise ApiError(
                    403,
                    "Unauthorized",
                    "Access to requested resource is denied.",
                    "The access token you provided is revoked, malformed or invalid.",
                )
            fault = emu._take_fault(REQUEST_FAULTS, operation)
            if fault == "throttle_empty_body":
                return self._json(429, None, operation)
            if fault is not None:
                status, code, message = REQUEST_FAULTS[fault]
                raise ApiError(status, code, message)
            if emu.limiter is not None and not emu.limiter(operation, seller):
                raise ApiError(429, *REQUEST_FAULTS["throttle"][1:])
            _check_query(operation, query)
            if operation == "createReport":
                try:
                    body = json.loads(self._body() or b"{}")
                except ValueError:
                    raise ApiError(400, "InvalidInput", "The request body is not JSON.") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "InvalidInput", "The request body must be an object.")
                status, payload = emu.op_create_report(seller, body)
            elif operation == "getReport":
                status, payload = emu.op_get_report(seller, arg)
            elif operation == "cancelReport":
                status, payload = emu.op_cancel_report(seller, arg)
            elif operation == "getReports":
                # The library adds four marketplace params to every GET without a nextToken:
                # tolerate the three that are not getReports filters.
                q = query
                if "nextToken" not in query:
                    q = {k: v for k, v in query.items() if k not in _LIBRARY_MARKETPLACE_PARAMS}
                status, payload = emu.op_get_reports(seller, q)
            elif operation == "getShipments":
                status, payload = emu.op_get_shipments(seller, query)
            elif operation == "getShipmentItemsByShipmentId":
                status, payload = emu.op_get_shipment_items(seller, arg, query)
            elif operation == "getShipmentItems":
                status, payload = emu.op_get_shipment_items_query(seller, query)
            elif operation == "listTransactions":
                status, payload = emu.finances.op_list_transactions(seller, query)
            elif operation == "listFinancialEvents":
                status, payload = emu.finances.op_list_financial_events(seller, query)
            else:  # getReportDocument
                status, payload = emu.op_get_report_document(seller, arg)
            self._json(status, payload, operation)
        except ApiError as err:
            self._error(err, operation)
        except Exception:  # pragma: no cover - defensive
            log.exception("emulator: %s %s failed", method, path)
            self._error(ApiError(500, "InternalFailure", "Internal error."), operation)

    def _token(self) -> None:
        emu = self.emulator
        form = parse_qs(self._body().decode("utf-8", "replace"), keep_blank_values=True)
        fault = emu._take_fault(REQUEST_FAULTS, "token")
        if fault is not None:
            emu._log("POST", TOKEN_PATH, None)
            status = REQUEST_FAULTS[fault][0]
            payload = {"error": "server_error", "error_description": REQUEST_FAULTS[fault][2]}
        else:
            status, payload, seller = emu.op_token(form)
            emu._log("POST", TOKEN_PATH, seller)
        headers = {"x-amzn-RequestId": self._request_id()}
        self._send(status, json.dumps(payload).encode(), "application/json;charset=UTF-8", headers)

    def _document(self, doc_id: str, query: dict[str, list[str]]) -> None:
        emu = self.emulator
        rid = self._request_id()
        with emu._lock:
            doc = emu._documents.get(doc_id)
        emu._log("GET", DOCUMENT_PREFIX + doc_id, doc.seller_id if doc else None)
        fault = emu._take_fault(REQUEST_FAULTS, "document")
        if fault is not None:
            status = REQUEST_FAULTS[fault][0]
            code = "SlowDown" if status in (429, 503) else "InternalError"
            return self._send(
                503 if status == 429 else status,
                _s3_error(code, REQUEST_FAULTS[fault][2], rid),
                "application/xml",
            )
        try:
            expires = int((query.get("expires") or ["0"])[0])
        except ValueError:
            expires = 0
        sig = (query.get("sig") or [""])[0]
        if doc is None:
            return self._send(
                404,
                _s3_error("NoSuchKey", "The specified key does not exist.", rid),
                "application/xml",
            )
        if not hmac.compare_digest(sig, emu._sign(doc_id, expires)):
            return self._send(
                403,
                _s3_error(
                    "SignatureDoesNotMatch",
                    "The request signature we calculated does not match the signature you "
                    "provided.",
                    rid,
                ),
                "application/xml",
            )
        now = emu.clock()
        if now > expires:
            extra = (
                f"<X-Amz-Expires>{int(emu.url_ttl_s)}</X-Amz-Expires>"
                f"<Expires>{datetime.fromtimestamp(expires, UTC):%Y-%m-%dT%H:%M:%SZ}</Expires>"
                f"<ServerTime>{datetime.fromtimestamp(now, UTC):%Y-%m-%dT%H:%M:%SZ}</ServerTime>"
            )
            return self._send(
                403, _s3_error("AccessDenied", "Request has expired", rid, extra), "application/xml"
            )
        body = doc.body
        if emu._take_fault({"truncated_document"}, "document"):
            body = body[: max(10, len(body) // 2)]
        self._send(
            200,
            body,
            f"text/plain;charset={emu.charset_for(doc.seller_id)}",
            {
                "x-amz-request-id": rid,
                "ETag": f'"{hashlib.md5(doc.body, usedforsecurity=False).hexdigest()}"',
            },
        )


_LIBRARY_MARKETPLACE_PARAMS = frozenset({"MarketplaceId", "MarketplaceIds", "marketplace_ids"})


def _route(method: str, path: str) -> tuple[str | None, str]:
    """(operation, path argument) of an API request; operation None when no route matches."""
    reports = f"{API_PREFIX}/reports"
    documents = f"{API_PREFIX}/documents/"
    if path == reports:
        return {"GET": "getReports", "POST": "createReport"}.get(method), ""
    if path.startswith(reports + "/"):
        rid = path[len(reports) + 1 :]
        if rid and "/" not in rid:
            return {"GET": "getReport", "DELETE": "cancelReport"}.get(method), rid
    if path.startswith(documents) and method == "GET":
        doc_id = path[len(documents) :]
        if doc_id and "/" not in doc_id:
            return "getReportDocument", doc_id
    shipments = f"{INBOUND_PREFIX}/shipments"
    if path == shipments and method == "GET":
        return "getShipments", ""
    if path.startswith(shipments + "/") and path.endswith("/items") and method == "GET":
        shipment_id = path[len(shipments) + 1 : -len("/items")]
        if shipment_id and "/" not in shipment_id:
            return "getShipmentItemsByShipmentId", shipment_id
    if path == f"{INBOUND_PREFIX}/shipmentItems" and method == "GET":
        return "getShipmentItems", ""
    if path == TRANSACTIONS_PATH and method == "GET":
        return "listTransactions", ""
    if path == FINANCIAL_EVENTS_PATH and method == "GET":
        return "listFinancialEvents", ""
    return None, ""


def main(
    sandbox_dir: Path | str | None = None,
    *,
    port: int = 0,
    seed: int = 7,
    argv: list[str] | None = None,
) -> int:
    """`reclaim sandbox serve`: generate the sandbox if needed, serve it, block until Ctrl-C."""
    if sandbox_dir is None:
        parser = argparse.ArgumentParser(
            prog="sandbox-emulator", description="Serve a sandbox directory as SP-API."
        )
        parser.add_argument("--dir", default="data/sandbox", help="sandbox directory")
        parser.add_argument("--port", type=int, default=0, help="port (default: any free)")
        parser.add_argument("--seed", type=int, default=7, help="seed if generating")
        args = parser.parse_args(argv)
        sandbox_dir, port, seed = args.dir, args.port, args.seed
    sandbox_dir = Path(sandbox_dir)
    existing = None
    if (sandbox_dir / SCENARIO_FILE).exists():
        existing = load_manifest(sandbox_dir).scenario
    if existing is None or existing.seed != seed:
        # Generated data only, and deterministic: regenerating is always safe.
        print(f"Generating sandbox (seed {seed}) in {sandbox_dir} ...", flush=True)
        generate(Scenario(seed=seed), sandbox_dir)
    emulator = SpApiEmulator(sandbox_dir, port=port)
    endpoint = emulator.start()
    scenario = emulator.manifest.scenario
    print(f"SP-API emulator serving {sandbox_dir} (seed {scenario.seed}, as of {scenario.as_of})")
    print(f"  endpoint:  {endpoint}")
    print(f"  token URL: {emulator.token_url}")
    print("  sandbox sellers (made-up credentials):")
    for s in emulator.manifest.sellers:
        print(f"    {s.seller_id}  {s.name}  marketplace {s.marketplace_id} ({s.region})")
        print(f"      refresh_token={s.refresh_token}")
        print(f"      lwa_app_id={s.lwa_app_id}  lwa_client_secret={s.lwa_client_secret}")
    print("Press Ctrl-C to stop.", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
