"""Pull one report type for one seller: plan the date range from the seller's cursor (18-month
backfill on first contact, then the days since the last run plus a trailing look-back for data
Amazon changes after the fact), slice it into windows Amazon accepts, and for each window collect
a report — one this seller already has in flight, a recent DONE one of the same window, or a new
one — parse it with the charset Amazon declared, validate and land it.

State per (seller, source) lives in `landing/_cursors/<seller>/<source>.json` (machine state,
written atomically): `complete_through` (the end of the contiguous range landed so far) and the
reports created but not landed yet. A crash or a poll budget running out leaves the report id
there, and the next run collects that report instead of asking Amazon for the same data again.

Settlement reports are the exception: Amazon generates them and refuses createReport for them, so
`extract_settlements` lists the DONE ones created since the cursor (getReports), downloads those
not landed yet and lands each keyed by its settlement.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from extractors.landing import (
    WINDOW_RE,
    LandingResult,
    LandingZone,
    _atomic_write_bytes,
    check_seller_id,
)
from extractors.reports.catalog import SETTLEMENTS, DocumentSpec
from extractors.reports.parsing import parse_document
from extractors.spapi.client import SpApiConnection, reports_client
from extractors.spapi.reports import (
    ApiCaller,
    FetchedReport,
    RetryPolicy,
    _parse_time,
    collect_report,
    create_report,
    find_done_reports,
    get_report,
    wait_for_report,
)

log = logging.getLogger(__name__)

# Onboarding pulls what Amazon keeps: 18 months of ledger and order history.
BACKFILL_DAYS = 548
# Trailing days a daily run pulls again, per source, because Amazon changes them after the
# fact: ledger reconciliation columns as units are found or reimbursed, reimbursements and
# reversals posted late, returns back-posted, removal orders updated in place. Kept within each
# report's maximum window so the steady state is one createReport per report type per day.
DEFAULT_LOOKBACK_DAYS = 30
LOOKBACK_DAYS: dict[str, int] = {
    "ledger_detail": 31,
    "ledger_summary": 31,
    "reimbursements": 31,
    "customer_returns": 31,
    "removal_orders": 31,
    "removal_shipments": 31,
    "fulfilled_shipments": 7,
    "all_orders": 7,
    "storage_fees": 31,
    # listed by creation time: a week again catches a report listed late (still IN_PROGRESS
    # at the last listing); reports already landed are not downloaded again
    "settlements": 7,
}
# Reports that are a snapshot of now, not a history: one request of the last days, every time.
# Fee preview: dataStartTime must be at least 72 hours before the request (amazon-reports.md).
SNAPSHOT_DAYS: dict[str, int] = {"fee_preview": 3}
# A DONE report of the same window created this recently is downloaded instead of requested again.
REUSE_HOURS = 24


@dataclass
class WindowOutcome:
    start: date
    end: date
    report_id: str
    status: str
    result: LandingResult | None
    how: str = "created"  # created | resumed (in flight from an earlier run) | reused (DONE)


@dataclass
class Cursor:
    complete_through: date | None = None
    pending: dict[str, dict] = field(default_factory=dict)  # window label -> report id, created
    last_success: str | None = None

    def to_json(self) -> dict:
        return {
            "complete_through": self.complete_through.isoformat()
            if self.complete_through
            else None,
            "pending": self.pending,
            "last_success": self.last_success,
        }


class CursorStore:
    """Extraction cursors under RECLAIM_HOME/landing/_cursors, one JSON file per seller and
    source, replaced atomically."""

    def __init__(self, home: Path):
        self.root = Path(home) / "landing" / "_cursors"

    def path(self, seller_id: str, source: str) -> Path:
        return self.root / check_seller_id(seller_id) / f"{source}.json"

    def load(self, seller_id: str, source: str) -> Cursor:
        p = self.path(seller_id, source)
        if not p.exists():
            return Cursor()
        try:
            data = json.loads(p.read_text())
            through = data.get("complete_through")
            return Cursor(
                complete_through=date.fromisoformat(through) if through else None,
                pending=dict(data.get("pending") or {}),
                last_success=data.get("last_success"),
            )
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(
                f"{p}: not a valid extraction cursor ({exc}); delete it to re-run the "
                "18-month backfill for this source"
            ) from exc

    def save(self, seller_id: str, source: str, cursor: Cursor) -> None:
        body = json.dumps(cursor.to_json(), indent=2, sort_keys=True) + "\n"
        _atomic_write_bytes(body.encode(), self.path(seller_id, source))


def plan_range(
    cursor: Cursor,
    today: date,
    source: str,
    *,
    lookback_days: int | None = None,
    backfill_days: int = BACKFILL_DAYS,
) -> tuple[date, date]:
    """[start, end) to pull today: whole days up to yesterday; from the backfill horizon on
    first contact, else from the cursor or the look-back, whichever is earlier."""
    if lookback_days is None:
        lookback_days = LOOKBACK_DAYS.get(source, DEFAULT_LOOKBACK_DAYS)
    end = today
    if source in SNAPSHOT_DAYS:
        return today - timedelta(days=SNAPSHOT_DAYS[source]), end
    earliest = today - timedelta(days=backfill_days)
    if cursor.complete_through is None:
        return earliest, end
    start = min(cursor.complete_through, today - timedelta(days=lookback_days))
    return max(start, earliest), end


def windows(start: date, end: date, max_days: int) -> Iterator[tuple[date, date]]:
    """[start, end) cut into consecutive half-open slices of at most max_days."""
    cur = start
    while cur < end:
        nxt = min(end, cur + timedelta(days=max_days))
        yield cur, nxt
        cur = nxt


def _utc(d: date) -> datetime:
    return datetime.combine(d, time.min, UTC)


def _same_window(report: dict, start: datetime, end: datetime) -> bool:
    def parse(v):
        try:
            return datetime.fromisoformat(str(v).replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            return None

    return parse(report.get("dataStartTime")) == start and parse(report.get("dataEndTime")) == end


def extract_report(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    spec: DocumentSpec,
    start: date | None = None,
    end: date | None = None,
    *,
    today: date | None = None,
    lookback_days: int | None = None,
    backfill_days: int = BACKFILL_DAYS,
    poll_interval_s: float = 15.0,
    max_polls: int = 240,
    reuse_hours: float = REUSE_HOURS,
    retry: RetryPolicy | None = None,
) -> list[WindowOutcome]:
    """Extract [start, end) when given (a backfill or re-pull of an explicit range), else the
    range `plan_range` gives for `today` (default: the current UTC date). Windows are landed in
    order and the cursor advances after each; the first failure stops the source for this run
    (later windows are not attempted, so the cursor never skips a gap) and is raised."""
    if not spec.report_type:
        raise ValueError(f"{spec.source} is not an SP-API report")
    store = CursorStore(home)
    cursor = store.load(seller_id, spec.source)
    if start is None or end is None:
        start, end = plan_range(
            cursor,
            today or datetime.now(UTC).date(),
            spec.source,
            lookback_days=lookback_days,
            backfill_days=backfill_days,
        )
    zone = LandingZone(home)
    zone.ensure_schemas()
    call = ApiCaller(conn, retry or RetryPolicy(), home=home)
    outcomes: list[WindowOutcome] = []
    done_recently: list[dict] | None = None  # getReports, asked at most once per run

    with call, reports_client(conn) as client:
        for w_start, w_end in windows(start, end, spec.max_window_days):
            label = f"{w_start:%Y%m%d}-{w_end:%Y%m%d}"
            s_dt, e_dt = _utc(w_start), _utc(w_end)
            report: dict | None = None
            how = "created"
            pending = cursor.pending.get(label)
            if pending:
                report = get_report(client, call, pending["report_id"])
                if report is None:
                    log.info(
                        "%s %s: report %s no longer known; requesting again",
                        seller_id,
                        label,
                        pending["report_id"],
                    )
                    cursor.pending.pop(label, None)
                else:
                    how = "resumed"
            if report is None and reuse_hours > 0:
                if done_recently is None:
                    since = datetime.now(UTC) - timedelta(hours=reuse_hours)
                    done_recently = find_done_reports(client, call, spec.report_type, since)
                report = next((r for r in done_recently if _same_window(r, s_dt, e_dt)), None)
                if report is not None:
                    how = "reused"
            if report is None:
                report_id = create_report(client, call, spec.report_type, s_dt, e_dt)
                # Recorded before waiting: if this run dies or runs out of polls, the next one
                # collects this report instead of requesting the same data again.
                cursor.pending[label] = {
                    "report_id": report_id,
                    "created": datetime.now(UTC).isoformat(timespec="seconds"),
                }
                store.save(seller_id, spec.source, cursor)
                report = {"reportId": report_id}
            report = wait_for_report(
                client,
                call,
                report["reportId"],
                poll_interval_s=poll_interval_s,
                max_polls=max_polls,
                first=report if "processingStatus" in report else None,
            )
            if report["processingStatus"] == "FATAL":
                # A FATAL report never turns into data: forget it, so the next run asks again.
                cursor.pending.pop(label, None)
                store.save(seller_id, spec.source, cursor)
            fetched = collect_report(client, call, report, spec.report_type, s_dt, e_dt)
            result = _land(zone, seller_id, spec, fetched, label)
            outcomes.append(
                WindowOutcome(
                    w_start, w_end, fetched.report_id, fetched.processing_status, result, how
                )
            )
            cursor.pending.pop(label, None)
            if cursor.complete_through is None or w_start <= cursor.complete_through:
                cursor.complete_through = max(cursor.complete_through or w_end, w_end)
            cursor.last_success = datetime.now(UTC).isoformat(timespec="seconds")
            store.save(seller_id, spec.source, cursor)
    return outcomes


def _land(
    zone: LandingZone, seller_id: str, spec: DocumentSpec, fetched: FetchedReport, label: str
) -> LandingResult | None:
    if fetched.document is None:  # CANCELLED: no data for the window
        return None
    name = f"{spec.report_type} report {fetched.report_id} ({seller_id}, {label})"
    parsed = parse_document(fetched.document, name, spec=spec, charset=fetched.charset)
    return zone.land(
        parsed,
        fetched.document,
        seller_id=seller_id,
        window=label,
        snapshot_at=fetched.created_time,
        metadata={**fetched.metadata(), "file_name": name},
    )


# Settlement reports (amazon-reports.md §1.12) are never requested: Amazon generates one per
# settlement period on its own schedule; they are listed by creation time with getReports and
# downloaded. Listed in slices of at most 90 days (Amazon keeps reports 90 days, so on Amazon the
# older slices of a first-contact backfill simply list nothing).
SETTLEMENT_LIST_DAYS = 90
SETTLEMENT_MAX_PAGES = 50  # per slice, at 100 reports a page: 5,000 settlements


def landed_report_ids(zone: LandingZone, spec: DocumentSpec, seller_id: str) -> set[str]:
    """Report ids of the seller's documents of `spec` fully landed (their metadata written)."""
    folder = zone.metadata_path(spec, seller_id, "_").parent
    ids: set[str] = set()
    for path in folder.glob("*.json"):
        try:
            report_id = json.loads(path.read_text()).get("report_id")
        except (OSError, ValueError, AttributeError):
            continue
        if report_id:
            ids.add(str(report_id))
    return ids


def extract_settlements(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    start: date | None = None,
    end: date | None = None,
    *,
    today: date | None = None,
    lookback_days: int | None = None,
    backfill_days: int = BACKFILL_DAYS,
    retry: RetryPolicy | None = None,
    now: datetime | None = None,
    page_size: int = 100,
) -> list[WindowOutcome]:
    """Settlement V2 reports created in [start, end) (default: the range `plan_range` gives for
    `today` from the cursor: the backfill horizon on first contact, then the days since the last
    run plus a week), listed DONE with getReports slice by slice (all pages), each one not landed
    yet downloaded, parsed with the SETTLEMENTS spec and landed keyed by its settlement (window
    `settlement-<id>`: a settlement is immutable, a re-download replaces it whole). createdUntil
    never goes past `now`. The cursor advances after each slice; the first failure is raised
    (the reports landed so far stay landed and are not downloaded again)."""
    spec = SETTLEMENTS
    now = now or datetime.now(UTC)
    store = CursorStore(home)
    cursor = store.load(seller_id, spec.source)
    if start is None or end is None:
        start, end = plan_range(
            cursor,
            today or now.date(),
            spec.source,
            lookback_days=lookback_days,
            backfill_days=backfill_days,
        )
    zone = LandingZone(home)
    zone.ensure_schemas()
    call = ApiCaller(conn, retry or RetryPolicy(), home=home)
    landed = landed_report_ids(zone, spec, seller_id)
    outcomes: list[WindowOutcome] = []
    with call, reports_client(conn) as client:
        for w_start, w_end in windows(start, end, SETTLEMENT_LIST_DAYS):
            since, until = _utc(w_start), min(_utc(w_end), now)
            if since >= until:
                break
            listed = find_done_reports(
                client,
                call,
                spec.report_type,
                since,
                until,
                max_pages=SETTLEMENT_MAX_PAGES * 100 // page_size,
                page_size=page_size,
                complete=True,
            )
            # Oldest first; a report listed twice (slice boundaries, overlapping runs) once.
            listed.sort(key=lambda r: (_parse_time(r.get("createdTime")) or now, r["reportId"]))
            for report in listed:
                report_id = str(report["reportId"])
                if report_id in landed:
                    continue
                created = _parse_time(report.get("createdTime")) or now
                fetched = collect_report(
                    client,
                    call,
                    report,
                    spec.report_type,
                    _parse_time(report.get("dataStartTime")) or created,
                    _parse_time(report.get("dataEndTime")) or created,
                )
                result = _land_settlement(zone, seller_id, fetched)
                landed.add(report_id)
                outcomes.append(
                    WindowOutcome(
                        fetched.data_start.date(),
                        fetched.data_end.date(),
                        report_id,
                        fetched.processing_status,
                        result,
                        "listed",
                    )
                )
            through = w_end if until == _utc(w_end) else until.date()
            if cursor.complete_through is None or w_start <= cursor.complete_through:
                cursor.complete_through = max(cursor.complete_through or through, through)
            cursor.last_success = datetime.now(UTC).isoformat(timespec="seconds")
            store.save(seller_id, spec.source, cursor)
    return outcomes


def _land_settlement(
    zone: LandingZone, seller_id: str, fetched: FetchedReport
) -> LandingResult | None:
    if fetched.document is None:  # CANCELLED: nothing to land
        return None
    spec = SETTLEMENTS
    name = f"{spec.report_type} report {fetched.report_id} ({seller_id})"
    parsed = parse_document(fetched.document, name, spec=spec, charset=fetched.charset)
    ids = (
        {str(v) for v in parsed.frame["settlement_id"].dropna().unique() if str(v).strip()}
        if "settlement_id" in parsed.frame
        else set()
    )
    settlement_id = next(iter(ids)) if len(ids) == 1 else None
    window = f"settlement-{settlement_id}"
    if settlement_id is None or not WINDOW_RE.match(window):
        # not one readable settlement id: landed under the report instead (staging still keys
        # the rows by their settlement-id)
        window = f"report-{fetched.report_id}"
    return zone.land(
        parsed,
        fetched.document,
        seller_id=seller_id,
        window=window,
        snapshot_at=fetched.created_time,
        metadata={**fetched.metadata(), "file_name": name, "settlement_id": settlement_id},
    )
