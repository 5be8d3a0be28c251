"""Reports API 2021-06-30: create a report, poll it to a terminal state, download its document.

Behaviour on Amazon's realities (../shared/reference/sp-api-client.md §3, §8):
- 429/5xx/transport errors are retried with exponential backoff within a bounded budget; the
  library retries nothing by itself.
- CANCELLED means "no data for the window": a success with no document.
- FATAL raises ReportFailed carrying Amazon's error document when there is one, decompressed
  (compressionAlgorithm applies to FATAL documents too) and decoded, so the reason reads as text
  in the message and in incidents.jsonl.
- The document is downloaded as bytes with httpx (the library's own download falls back to
  iso-8859-1 and may silently return bytes); the charset comes from the response's Content-Type
  and the gzip flag is checked against the bytes by the parser.
- An expired document URL (403 from the storage host) is fetched again through getReportDocument.
"""

from __future__ import annotations

import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import httpx
from sp_api.base import (
    SellingApiForbiddenException,
    SellingApiNotFoundException,
    SellingApiRequestThrottledException,
    SellingApiServerException,
    SellingApiTemporarilyUnavailableException,
)

from extractors.spapi.client import SpApiConnection, clear_token_cache, reports_client
from extractors.spapi.pacing import Pacer, shared_pacer

log = logging.getLogger(__name__)
T = TypeVar("T")

TRANSIENT = (
    SellingApiRequestThrottledException,
    SellingApiServerException,
    SellingApiTemporarilyUnavailableException,
    httpx.TransportError,
)


class EndpointUnreachable(RuntimeError):
    """Connection refused or the host name does not resolve: a wrong endpoint or a service that
    is down, not a blip. Retrying for minutes would only hide it, so it fails at once."""


class ReportFailed(RuntimeError):
    """Amazon ended the report FATAL, or it never finished within the polling budget."""


class ReportStillRunning(ReportFailed):
    """The polling budget ran out while Amazon was still processing: the report id is kept and
    the next run collects it."""


@dataclass
class RetryPolicy:
    attempts: int = 6
    base_delay_s: float = 2.0
    max_delay_s: float = 60.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def call(self, fn: Callable[[], T], what: str) -> T:
        token_refreshed = False
        for attempt in range(1, self.attempts + 1):
            try:
                return fn()
            except SellingApiForbiddenException:
                # A revoked or expired token stays cached for ~53 min: clear it and retry once.
                if token_refreshed:
                    raise
                token_refreshed = True
                clear_token_cache()
            except httpx.ConnectError as exc:
                raise EndpointUnreachable(f"{what}: cannot connect ({exc})") from exc
            except TRANSIENT as exc:
                if attempt == self.attempts:
                    raise
                delay = min(self.max_delay_s, self.base_delay_s * 2 ** (attempt - 1))
                log.warning(
                    "%s: %s (attempt %d/%d); retrying in %.1fs",
                    what,
                    type(exc).__name__,
                    attempt,
                    self.attempts,
                    delay,
                )
                self.sleep(delay)
        raise AssertionError("unreachable")


@dataclass
class FetchedReport:
    report_type: str
    report_id: str
    processing_status: str
    data_start: datetime
    data_end: datetime
    created_time: datetime
    document: bytes | None = None  # None when CANCELLED (no data)
    charset: str | None = None
    compression: str | None = None
    request: dict = field(default_factory=dict)

    def metadata(self) -> dict:
        return {
            "origin": "sp-api",
            "report_type": self.report_type,
            "report_id": self.report_id,
            "processing_status": self.processing_status,
            "data_start_time": self.data_start.isoformat(),
            "data_end_time": self.data_end.isoformat(),
            "created_time": self.created_time.isoformat(),
            "charset": self.charset,
            "compression_algorithm": self.compression,
        }


class ApiCaller:
    """Every SP-API call of one extraction: paced per seller and operation, then retried on
    transient errors (pacing first, so a retry also waits for its token). It also holds the one
    HTTP client the extraction downloads its report documents with (connections and TLS set-up
    are reused across documents); use it as a context manager, which closes that client."""

    def __init__(
        self,
        conn: SpApiConnection,
        retry: RetryPolicy,
        pacer: Pacer | None = None,
        home: Path | None = None,
    ):
        self.conn = conn
        self.retry = retry
        # shared with every process extracting for the same RECLAIM_HOME
        self.pacer = pacer or shared_pacer(home)
        self._documents: httpx.Client | None = None

    @property
    def documents(self) -> httpx.Client:
        """The HTTP client for report documents (pre-signed storage URLs), made on first use."""
        if self._documents is None:
            self._documents = httpx.Client(timeout=self.conn.timeout, follow_redirects=True)
        return self._documents

    def close(self) -> None:
        if self._documents is not None:
            self._documents.close()
            self._documents = None

    def __enter__(self) -> ApiCaller:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __call__(self, operation: str, fn: Callable[[], T], what: str) -> T:
        def paced() -> T:
            self.pacer.wait(self.conn.pacing_key, operation, self.conn.rate_speedup)
            return fn()

        return self.retry.call(paced, what)


def create_report(client, call: ApiCaller, report_type: str, start: datetime, end: datetime) -> str:
    """createReport for [start, end); the new report id."""
    return call(
        "createReport",
        lambda: _require(
            client.create_report(
                reportType=report_type,
                marketplaceIds=[call.conn.marketplace_id],
                dataStartTime=start,
                dataEndTime=end,
            ).payload,
            "reportId",
            "createReport",
        ),
        f"createReport {report_type}",
    )


def get_report(client, call: ApiCaller, report_id: str) -> dict | None:
    """The report's current state; None when Amazon no longer knows it (404: older than its
    90-day retention, or another account's id)."""
    try:
        return call(
            "getReport",
            lambda: _checked(client.get_report(report_id).payload, "processingStatus", "getReport"),
            f"getReport {report_id}",
        )
    except SellingApiNotFoundException:
        return None


def find_done_reports(
    client,
    call: ApiCaller,
    report_type: str,
    created_since: datetime,
    created_until: datetime | None = None,
    *,
    max_pages: int = 20,
    page_size: int = 100,
    complete: bool = False,
) -> list[dict]:
    """DONE reports of this type created since `created_since` (and until `created_until` when
    given) (getReports, all pages; the nextToken goes alone, sp-api-client.md §8.7), newest
    first. At most `max_pages` pages of `page_size` (1..100): beyond that the list is cut
    short, or, with `complete`, ReportFailed is raised (a listing that must not miss a report)."""
    found: list[dict] = []
    kwargs: dict = {
        "reportTypes": report_type,
        "processingStatuses": "DONE",
        "createdSince": created_since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "marketplaceIds": call.conn.marketplace_id,
        "pageSize": page_size,
    }
    if created_until is not None:
        kwargs["createdUntil"] = created_until.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def page(kw: dict) -> tuple[dict, str | None]:
        res = client.get_reports(**kw)
        payload = _checked(res.payload, "reports", "getReports")
        # The library moves `nextToken` out of the payload into `next_token` (ApiResponse).
        return payload, res.next_token or payload.get("nextToken")

    seen_tokens: set[str] = set()
    seen_ids: set[str] = set()
    for _ in range(max_pages):  # bounded (by default 2,000 reports of one type)
        payload, token = call("getReports", lambda kw=kwargs: page(kw), f"getReports {report_type}")
        # Amazon's own example answers the same page and token for ever: a report already listed
        # is not listed twice, and a token seen before (or a page with nothing new) ends paging.
        new = [r for r in payload.get("reports") or [] if str(r.get("reportId")) not in seen_ids]
        seen_ids.update(str(r.get("reportId")) for r in new)
        found.extend(new)
        if not token or token in seen_tokens or not new:
            return found
        seen_tokens.add(token)
        kwargs = {"nextToken": token}
    if complete:
        raise ReportFailed(
            f"getReports {report_type}: more than {max_pages} pages since {created_since}; "
            "narrow the range"
        )
    return found


def wait_for_report(
    client,
    call: ApiCaller,
    report_id: str,
    *,
    poll_interval_s: float,
    max_polls: int,
    first: dict | None = None,
) -> dict:
    """Poll getReport until DONE, CANCELLED or FATAL. Raises ReportFailed after `max_polls`
    (the report keeps running at Amazon; a later run can collect it)."""
    report = first or {}
    for poll in range(max_polls):
        if report.get("processingStatus") in ("DONE", "CANCELLED", "FATAL"):
            return report
        if poll:
            call.retry.sleep(poll_interval_s)
        fresh = get_report(client, call, report_id)
        if fresh is None:
            raise ReportFailed(f"report {report_id} is not known to Amazon (404)")
        report = fresh
    if report.get("processingStatus") in ("DONE", "CANCELLED", "FATAL"):
        return report
    raise ReportStillRunning(
        f"report {report_id} did not finish after {max_polls} polls "
        f"(last status {report.get('processingStatus')}); the next run collects it"
    )


def collect_report(
    client, call: ApiCaller, report: dict, report_type: str, start: datetime, end: datetime
) -> FetchedReport:
    """A finished report as FetchedReport: the document for DONE, nothing for CANCELLED,
    ReportFailed with Amazon's error document for FATAL."""
    report_id = report["reportId"]
    status = report["processingStatus"]
    created_time = _parse_time(report.get("createdTime")) or datetime.now(UTC)
    fetched = FetchedReport(report_type, report_id, status, start, end, created_time)
    if status == "CANCELLED":
        log.info("%s %s CANCELLED: no data for %s..%s", report_type, report_id, start, end)
        return fetched
    doc_id = report.get("reportDocumentId")
    if status == "FATAL":
        detail = ""
        if doc_id:
            try:
                body, charset, compression = _download(client, call, doc_id)
                detail = ": " + error_document_text(body, charset, compression)[:2000]
            except Exception as exc:  # the error document itself failed: say so
                detail = f" (error document {doc_id} could not be read: {exc})"
        raise ReportFailed(f"{report_type} report {report_id} ended FATAL{detail}")
    if not doc_id:
        raise ReportFailed(f"{report_type} report {report_id} is DONE without a document id")
    fetched.document, fetched.charset, fetched.compression = _download(client, call, doc_id)
    return fetched


def fetch_report(
    conn: SpApiConnection,
    report_type: str,
    start: datetime,
    end: datetime,
    *,
    poll_interval_s: float = 15.0,
    max_polls: int = 240,
    retry: RetryPolicy | None = None,
) -> FetchedReport:
    """Create a report for [start, end), wait for it and download it (no state kept; the
    extraction in extractors.spapi.extract adds resumption and reuse)."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    with ApiCaller(conn, retry or RetryPolicy()) as call, reports_client(conn) as client:
        report_id = create_report(client, call, report_type, start, end)
        report = wait_for_report(
            client, call, report_id, poll_interval_s=poll_interval_s, max_polls=max_polls
        )
        return collect_report(client, call, report, report_type, start, end)


def _download(
    client, call: ApiCaller, doc_id: str, url_attempts: int = 3
) -> tuple[bytes, str | None, str | None]:
    """Bytes of the document, its declared charset and compression. Re-asks for a fresh URL when
    the pre-signed one has expired."""
    last_error: Exception | None = None
    for _ in range(url_attempts):
        meta = call(
            "getReportDocument",
            lambda: _checked(
                client.get_report_document(doc_id).payload, "url", "getReportDocument"
            ),
            f"getReportDocument {doc_id}",
        )
        url = meta["url"]
        compression = meta.get("compressionAlgorithm")

        def get(url=url):
            resp = call.documents.get(url)
            if resp.status_code >= 500:
                raise httpx.RemoteProtocolError(f"document host answered {resp.status_code}")
            return resp

        resp = call.retry.call(get, f"download {doc_id}")
        if resp.status_code in (400, 403):
            last_error = ReportFailed(
                f"document URL for {doc_id} refused ({resp.status_code}); probably expired"
            )
            continue
        resp.raise_for_status()
        return resp.content, resp.charset_encoding, compression
    raise last_error or ReportFailed(f"could not download document {doc_id}")


def error_document_text(body: bytes, charset: str | None, compression: str | None) -> str:
    """A FATAL report's error document as text: gunzipped when getReportDocument said GZIP
    (compressionAlgorithm applies to every document, FATAL ones too: policy-2026.md §1) or when
    the bytes are gzip anyway; a GZIP flag on a plain body (an Amazon incident, sp-api-client.md
    §8.13) is read as it is, and a truncated stream as far as it goes."""
    # The gzip magic decides, whatever the flag says: a flagged plain body stays as it is.
    if body[:2] == b"\x1f\x8b":
        unzip = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            text = unzip.decompress(body)
            if not unzip.eof:
                text += b" ... (error document truncated)"
        except zlib.error as exc:
            text = f"(error document {compression or 'gzip'} unreadable: {exc})".encode()
        body = text
    codec = (charset or "utf-8").strip().lower()
    codec = {"windows-31j": "cp932"}.get(codec, codec)
    try:
        text = body.decode(codec, "replace")
    except LookupError:
        text = body.decode("utf-8", "replace")
    return " ".join(text.split())


def _checked(payload, key: str, what: str) -> dict:
    # A 429/5xx without an `errors` body reaches us as an empty payload (sp-api-client.md §2.5):
    # treat it as a transient server error so it is retried, never as data.
    if not isinstance(payload, dict) or key not in payload:
        raise SellingApiServerException([{"message": f"{what}: response without {key}"}], None)
    return payload


def _require(payload, key: str, what: str):
    return _checked(payload, key, what)[key]


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None
