"""Pull one report type for one seller over a date range: slice it into windows Amazon accepts,
fetch each window, parse it with the charset Amazon declared, validate and land it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from extractors.landing import LandingResult, LandingZone
from extractors.reports.catalog import DocumentSpec
from extractors.reports.parsing import parse_document
from extractors.spapi.client import SpApiConnection
from extractors.spapi.reports import RetryPolicy, fetch_report

log = logging.getLogger(__name__)


@dataclass
class WindowOutcome:
    start: date
    end: date
    report_id: str
    status: str
    result: LandingResult | None


def windows(start: date, end: date, max_days: int) -> Iterator[tuple[date, date]]:
    """[start, end) cut into consecutive half-open slices of at most max_days."""
    cur = start
    while cur < end:
        nxt = min(end, cur + timedelta(days=max_days))
        yield cur, nxt
        cur = nxt


def extract_report(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    spec: DocumentSpec,
    start: date,
    end: date,
    *,
    poll_interval_s: float = 15.0,
    retry: RetryPolicy | None = None,
) -> list[WindowOutcome]:
    if not spec.report_type:
        raise ValueError(f"{spec.source} is not an SP-API report")
    zone = LandingZone(home)
    zone.ensure_schemas()
    outcomes = []
    for w_start, w_end in windows(start, end, spec.max_window_days):
        fetched = fetch_report(
            conn,
            spec.report_type,
            datetime.combine(w_start, time.min, UTC),
            datetime.combine(w_end, time.min, UTC),
            poll_interval_s=poll_interval_s,
            retry=retry,
        )
        label = f"{w_start:%Y%m%d}-{w_end:%Y%m%d}"
        result = None
        if fetched.document is not None:
            name = f"{spec.report_type} report {fetched.report_id} ({seller_id}, {label})"
            parsed = parse_document(fetched.document, name, spec=spec, charset=fetched.charset)
            result = zone.land(
                parsed,
                fetched.document,
                seller_id=seller_id,
                window=label,
                snapshot_at=fetched.created_time,
                metadata={**fetched.metadata(), "file_name": name},
            )
        outcomes.append(
            WindowOutcome(w_start, w_end, fetched.report_id, fetched.processing_status, result)
        )
    return outcomes
