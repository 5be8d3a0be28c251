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
# Bound on one shipment's item pages (getShipmentItems NEXT_TOKEN): far beyond the SKUs a
# shipment can hold at any page size Amazon uses.
MAX_ITEM_PAGES = 500
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


def _paged(
    call: ApiCaller,
    operation: str,
    first: Callable,
    more: Callable,
    what: str,
    *,
    records: tuple[str, Callable[[dict], object]] | None = None,
    more_operation: str | None = None,
    max_pages: int = MAX_PAGES,
):
    """All pages: `first()` then `more(token)` while a NextToken comes back, at most `max_pages`
    (then a RuntimeError naming the operation). Paging also ends when a token comes back that was
    already followed (Amazon's own example responses repeat theirs: following it again would
    only fetch the same page for ever) and, with `records` = (the payload's list, a record's
    identity), when a page brings no record not seen before; records already seen are dropped
    from a later page, so no row is landed twice. `more_operation` names the operation `more`
    calls when it is not `operation` (pacing and retries are per operation)."""
    pages = []
    seen_tokens: set[str] = set()
    seen: set = set()
    payload = call(operation, lambda: _nonempty(first().payload, what), what)
    for _ in range(max_pages):
        if records is not None:
            name, identity = records
            rows = [r for r in payload.get(name) or [] if isinstance(r, dict)]
            fresh = [r for r in rows if identity(r) not in seen]
            if pages and not fresh:
                log.warning("%s: a page with nothing new; paging ends here", what)
                return pages
            if len(fresh) < len(rows):
                payload = {**payload, name: fresh}
            seen.update(identity(r) for r in fresh)
        pages.append({"payload": payload})
        token = payload.get("NextToken")
        if not token:
            return pages
        if token in seen_tokens:
            log.warning("%s: the NextToken came back unchanged; paging ends here", what)
            return pages
        seen_tokens.add(token)
        payload = call(
            more_operation or operation,
            lambda t=token: _nonempty(more(t).payload, what),
            f"{what} (next page)",
        )
    raise RuntimeError(
        f"{what}: more than {max_pages} pages of {more_operation or operation}; "
        "Amazon keeps answering with new NextTokens (narrow the window, or report it)"
    )


def _shipment_key(shipment: dict) -> object:
    return shipment.get("ShipmentId")


def _item_key(item: dict) -> object:
    # A shipment holds each SKU once; the whole record stands in when both ids are missing.
    if item.get("SellerSKU") or item.get("FulfillmentNetworkSKU"):
        return (item.get("ShipmentId"), item.get("SellerSKU"), item.get("FulfillmentNetworkSKU"))
    return json.dumps(item, sort_keys=True, default=str)


def _shipment_item_pages(client, call: ApiCaller, shipment_id: str) -> list[dict]:
    """One shipment's items: getShipmentItemsByShipmentId once, with the shipment id and nothing
    else (the model takes no NextToken there, and its MarketplaceId is "Deprecated. Do not use."),
    then, while Amazon hands out a NextToken, getShipmentItems with QueryType=NEXT_TOKEN
    (policy-2026.md §1). Feeding the token back into ByShipmentId is what looped for ever:
    Amazon ignores it and answers the first page, token included, again."""
    marketplace_id = call.conn.marketplace_id
    return _paged(
        call,
        "getShipmentItemsByShipmentId",
        lambda: client.shipment_items_by_shipment_only(shipment_id),
        lambda token: client.shipment_items(
            QueryType="NEXT_TOKEN", NextToken=token, MarketplaceId=marketplace_id
        ),
        f"getShipmentItemsByShipmentId {shipment_id}",
        records=("ItemData", _item_key),
        more_operation="getShipmentItems",
        max_pages=MAX_ITEM_PAGES,
    )


def _inbound_pages(client, call: ApiCaller, start: datetime, end: datetime) -> dict:
    """Shipments updated in the window (getShipments DATE_RANGE, then QueryType=NEXT_TOKEN pages)
    and every one of their items (_shipment_item_pages).

    getShipmentItems with QueryType=DATE_RANGE is deliberately not used: it returns the items
    *updated* in the window, across shipments, so a shipment's item list could come back partial
    (an inbound-shortage claim needs every line of the shipment), the model does not say whether
    a receipt updates an item's date, and the items carry no shipment status, so getShipments is
    needed anyway. Per shipment it costs one call (2 requests/s, burst 30) for the ~dozens of
    shipments a seller updates in a 45-day lookback: not worth the risk of missing lines."""
    marketplace_id = call.conn.marketplace_id
    args = {
        "QueryType": "DATE_RANGE",
        "LastUpdatedAfter": _iso(start),
        "LastUpdatedBefore": _iso(end),
        # A CSV string: a Python list would go out as repeated keys (sp-api-client.md §8.19).
        "ShipmentStatusList": ",".join(INBOUND_STATUSES),
        # Named explicitly, so the library adds none of its three other marketplace spellings.
        "MarketplaceId": marketplace_id,
    }
    pages = _paged(
        call,
        "getShipments",
        lambda: client.get_shipments(**args),
        lambda token: client.get_shipments(
            QueryType="NEXT_TOKEN", NextToken=token, MarketplaceId=marketplace_id
        ),
        f"getShipments {args['LastUpdatedAfter']}..{args['LastUpdatedBefore']}",
        records=("ShipmentData", _shipment_key),
    )
    item_pages = []
    ids = [s["ShipmentId"] for p in pages for s in p["payload"].get("ShipmentData") or []]
    for shipment_id in dict.fromkeys(ids):
        item_pages += _shipment_item_pages(client, call, shipment_id)
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
