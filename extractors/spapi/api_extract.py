"""Finances v0 financial events and FBA Inbound v0 shipments, per seller, through
python-amazon-sp-api's own clients: windows planned from the same cursors as the reports, every
page paced and retried on its own (so a 429 on page 7 retries page 7, not a generator that
silently stops: the decorator-order pitfall of sp-api-client.md §2.6), the pages of a window kept
as the original document and flattened into rows (extractors.reports.api_documents) for landing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sp_api.base import SellingApiServerException

from extractors.landing import LandingResult, LandingZone
from extractors.reports.api_documents import parse_api_document
from extractors.reports.catalog import INBOUND_SHIPMENT_ITEMS, DocumentSpec
from extractors.spapi.client import SpApiConnection, inbound_client
from extractors.spapi.extract import BACKFILL_DAYS, CursorStore, plan_range, windows
from extractors.spapi.reports import ApiCaller, RetryPolicy

log = logging.getLogger(__name__)

# Late finance events (orders of the last 48 h missing, deferred events released later) and
# inbound receiving that goes on for weeks after delivery.
FINANCES_LOOKBACK_DAYS = 7
INBOUND_LOOKBACK_DAYS = 45
# PostedBefore must be more than 2 minutes before the request (sp-api-client.md §4).
POSTED_BEFORE_MARGIN = timedelta(minutes=3)
MAX_PAGES = 10_000  # bound on NextToken loops: 1 M events per window at 100 a page
# getShipments statuses to ask for (a status list is required for DATE_RANGE queries; READY_TO_SHIP
# is left out: historically rejected, and such a shipment has received nothing yet).
INBOUND_STATUSES = (
    "WORKING",
    "SHIPPED",
    "IN_TRANSIT",
    "DELIVERED",
    "CHECKED_IN",
    "RECEIVING",
    "CLOSED",
    "CANCELLED",
    "DELETED",
    "ERROR",
)


@dataclass
class ApiWindowOutcome:
    start: date
    end: date
    pages: int
    result: LandingResult


def _utc(d: date) -> datetime:
    return datetime.combine(d, time.min, UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _nonempty(payload, what: str) -> dict:
    # A 429/5xx without an `errors` body reaches us as an empty payload (sp-api-client.md §8.3):
    # retried as a server error, never taken as "no events".
    if not isinstance(payload, dict) or not payload:
        raise SellingApiServerException([{"message": f"{what}: empty response"}], None)
    return payload


def _paged(call: ApiCaller, operation: str, first: Callable, more: Callable, what: str):
    """All pages: `first()` then `more(token)` while a NextToken comes back."""
    pages = []
    payload = call(operation, lambda: _nonempty(first().payload, what), what)
    for _ in range(MAX_PAGES):
        pages.append({"payload": payload})
        token = payload.get("NextToken")
        if not token:
            return pages
        payload = call(
            operation, lambda t=token: _nonempty(more(t).payload, what), f"{what} (next page)"
        )
    raise RuntimeError(f"{what}: more than {MAX_PAGES} pages; narrow the window")


def _inbound_pages(client, call: ApiCaller, start: datetime, end: datetime) -> dict:
    args = {
        "QueryType": "DATE_RANGE",
        "LastUpdatedAfter": _iso(start),
        "LastUpdatedBefore": _iso(end),
        # A CSV string: a Python list would go out as repeated keys (sp-api-client.md §8.19).
        "ShipmentStatusList": ",".join(INBOUND_STATUSES),
    }
    pages = _paged(
        call,
        "getShipments",
        lambda: client.get_shipments(**args),
        lambda token: client.get_shipments(QueryType="NEXT_TOKEN", NextToken=token),
        f"getShipments {args['LastUpdatedAfter']}..{args['LastUpdatedBefore']}",
    )
    item_pages = []
    ids = [s["ShipmentId"] for p in pages for s in p["payload"].get("ShipmentData") or []]
    for shipment_id in ids:
        item_pages += _paged(
            call,
            "getShipmentItemsByShipmentId",
            lambda sid=shipment_id: client.shipment_items_by_shipment(sid),
            lambda token, sid=shipment_id: client.shipment_items_by_shipment(sid, NextToken=token),
            f"getShipmentItemsByShipmentId {shipment_id}",
        )
    return {
        "api": "fba/inbound/v0/shipments",
        "request": args,
        "pages": pages,
        "shipment_items": item_pages,
    }


def _extract_api(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    spec: DocumentSpec,
    make_client: Callable,
    fetch: Callable,
    start: date | None,
    end: date | None,
    *,
    today: date | None,
    lookback_days: int,
    backfill_days: int,
    retry: RetryPolicy | None,
    now: datetime | None,
) -> list[ApiWindowOutcome]:
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
    latest_end = (now or datetime.now(UTC)) - POSTED_BEFORE_MARGIN
    zone = LandingZone(home)
    zone.ensure_schemas()
    call = ApiCaller(conn, retry or RetryPolicy(), home=home)
    outcomes = []
    with make_client(conn) as client:
        for w_start, w_end in windows(start, end, spec.max_window_days):
            s_dt, e_dt = _utc(w_start), min(_utc(w_end), latest_end)
            if s_dt >= e_dt:
                continue
            document = fetch(client, call, s_dt, e_dt)
            label = f"{w_start:%Y%m%d}-{w_end:%Y%m%d}"
            original = json.dumps(document, sort_keys=True, default=str).encode()
            name = f"{document['api']} ({seller_id}, {label})"
            parsed = parse_api_document(original, name)
            result = zone.land(
                parsed,
                original,
                seller_id=seller_id,
                window=label,
                snapshot_at=datetime.now(UTC),
                metadata={"origin": "sp-api", "file_name": name, **document["request"]},
            )
            outcomes.append(ApiWindowOutcome(w_start, w_end, len(document["pages"]), result))
            if cursor.complete_through is None or w_start <= cursor.complete_through:
                cursor.complete_through = max(cursor.complete_through or w_end, w_end)
            cursor.last_success = datetime.now(UTC).isoformat(timespec="seconds")
            store.save(seller_id, spec.source, cursor)
    return outcomes


def extract_inbound_shipments(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    start: date | None = None,
    end: date | None = None,
    *,
    today: date | None = None,
    lookback_days: int = INBOUND_LOOKBACK_DAYS,
    backfill_days: int = BACKFILL_DAYS,
    retry: RetryPolicy | None = None,
    now: datetime | None = None,
) -> list[ApiWindowOutcome]:
    """FBA Inbound v0: shipments updated in the window (getShipments DATE_RANGE, all pages), then
    every shipment's items with QuantityShipped/QuantityReceived."""
    return _extract_api(
        home, seller_id, conn, INBOUND_SHIPMENT_ITEMS, inbound_client, _inbound_pages, start, end,
        today=today, lookback_days=lookback_days, backfill_days=backfill_days, retry=retry,
        now=now,
    )  # fmt: skip
