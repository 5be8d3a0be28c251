"""Finances, per seller: v2024-06-19 listTransactions first, v0 listFinancialEvents as fallback.

Finances is the only API source of refunds, fees and adjustments older than the 90 days for
which settlement reports stay listable (policy-2026.md §1). Windows are planned from the source's
cursor like the reports' (18 months on first contact, then the days since the last run plus a
week of look-back: orders of the last 48 h are missing and deferred transactions are released
later), at most 180 days each (Amazon answers nothing beyond that), postedBefore kept more than
2 minutes in the past; every page is paced and retried on its own through ApiCaller, and the
pages of a window are kept as the original document and flattened into rows
(extractors.reports.api_documents) by the machinery of extractors.spapi.api_extract.

Paging: nextToken until there is none, at most MAX_PAGES pages a window, and a token that comes
back a second time ends the window (Amazon's own example response for listTransactions answers
"Next token value" forever); the repeated page is kept and its duplicate transactions are dropped
(with a warning) by the flattener.

Fallback, decided per operation:
- listTransactions 403 (after the one token refresh every call gets) or 404: the version is not
  granted or not served for this seller/region. That window and the rest of the run are read
  with v0 listFinancialEvents (deprecated, removal announced for 2026-08-28, then 2027-08-27) and
  land as `financial_events`; the cursor is the Finances source's either way.
- listFinancialEvents 403/404 as well: a clear error naming both refusals (nothing to fall to).
- 400 from either: our request is wrong; an error, never a fallback that would hide it.
- 429 / 5xx / an empty throttled body: retried by ApiCaller, never taken as "no transactions".
"""

from __future__ import annotations

import logging
from datetime import date, datetime
from pathlib import Path

from sp_api.base import SellingApiForbiddenException, SellingApiNotFoundException

from extractors.reports.catalog import FINANCE_TRANSACTIONS, FINANCIAL_EVENTS
from extractors.spapi.api_extract import (
    FINANCES_LOOKBACK_DAYS,
    MAX_PAGES,
    ApiWindowOutcome,
    _extract_api,
    _iso,
    _nonempty,
    _paged,
)
from extractors.spapi.client import (
    SpApiConnection,
    finance_transactions_client,
    finances_client,
)
from extractors.spapi.extract import BACKFILL_DAYS
from extractors.spapi.reports import ApiCaller, RetryPolicy

log = logging.getLogger(__name__)

TRANSACTIONS_API = "finances/2024-06-19/transactions"
FINANCIAL_EVENTS_API = "finances/v0/financialEvents"
REFUSED = (SellingApiForbiddenException, SellingApiNotFoundException)


class FinancesUnavailable(RuntimeError):
    """Neither Finances version answers for this seller."""


def _financial_pages(client, call: ApiCaller, start: datetime, end: datetime) -> dict:
    args = {"PostedAfter": _iso(start), "PostedBefore": _iso(end), "MaxResultsPerPage": 100}
    pages = _paged(
        call,
        "listFinancialEvents",
        lambda: client.list_financial_events(**args),
        # "call the operation with this token and include the same arguments"
        lambda token: client.list_financial_events(**args, NextToken=token),
        f"listFinancialEvents {args['PostedAfter']}..{args['PostedBefore']}",
    )
    return {"api": FINANCIAL_EVENTS_API, "request": args, "pages": pages}


def _transaction_pages(client, call: ApiCaller, start: datetime, end: datetime) -> dict:
    """All pages of listTransactions for [start, end): nextToken with the same arguments, ended
    by a missing token, a token seen before, or MAX_PAGES (an error: narrow the window)."""
    args = {"postedAfter": _iso(start), "postedBefore": _iso(end)}
    what = f"listTransactions {args['postedAfter']}..{args['postedBefore']}"
    pages: list[dict] = []
    seen: set[str] = set()
    payload = call(
        "listTransactions", lambda: _nonempty(client.list_transactions(**args).payload, what), what
    )
    for _ in range(MAX_PAGES):
        pages.append({"payload": payload})
        token = payload.get("nextToken")
        if not token:
            return {"api": TRANSACTIONS_API, "request": args, "pages": pages}
        if token in seen:
            log.warning("%s: nextToken %r came back again; window ended", what, token)
            return {
                "api": TRANSACTIONS_API,
                "request": args,
                "pages": pages,
                "stopped": "repeated nextToken",
            }
        seen.add(token)
        payload = call(
            "listTransactions",
            lambda t=token: _nonempty(client.list_transactions(**args, nextToken=t).payload, what),
            f"{what} (next page)",
        )
    raise RuntimeError(f"{what}: more than {MAX_PAGES} pages; narrow the window")


class _FinancesClients:
    """The v2024-06-19 client, and the v0 one made only if v2024 refuses (then used for the rest
    of the run)."""

    def __init__(self, conn: SpApiConnection):
        self.conn = conn
        self.transactions = finance_transactions_client(conn)
        self._v0 = None
        self.refused: Exception | None = None

    @property
    def v0(self):
        if self._v0 is None:
            self._v0 = finances_client(self.conn)
        return self._v0

    def __enter__(self) -> _FinancesClients:
        return self

    def __exit__(self, *exc) -> None:
        self.transactions.close()
        if self._v0 is not None:
            self._v0.close()


def _finance_pages(clients: _FinancesClients, call: ApiCaller, start: datetime, end: datetime):
    if clients.refused is None:
        try:
            return _transaction_pages(clients.transactions, call, start, end)
        except REFUSED as exc:
            clients.refused = exc
            log.warning(
                "listTransactions refused (%s: %s); falling back to Finances v0 "
                "listFinancialEvents for the rest of this run",
                type(exc).__name__,
                exc,
            )
    try:
        return _financial_pages(clients.v0, call, start, end)
    except REFUSED as exc:
        raise FinancesUnavailable(
            f"Finances unavailable: v2024-06-19 listTransactions refused "
            f"({type(clients.refused).__name__}: {clients.refused}) and v0 listFinancialEvents "
            f"refused ({type(exc).__name__}: {exc})"
        ) from exc


def extract_finances(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    start: date | None = None,
    end: date | None = None,
    *,
    today: date | None = None,
    lookback_days: int = FINANCES_LOOKBACK_DAYS,
    backfill_days: int = BACKFILL_DAYS,
    retry: RetryPolicy | None = None,
    now: datetime | None = None,
) -> list[ApiWindowOutcome]:
    """Finances in windows of at most 180 days: listTransactions, landed as
    `finance_transactions` (falling back to v0 listFinancialEvents, landed as
    `financial_events`, while v2024 is refused), under the one `finance_transactions` cursor."""
    return _extract_api(
        home, seller_id, conn, FINANCE_TRANSACTIONS, _FinancesClients, _finance_pages, start, end,
        today=today, lookback_days=lookback_days, backfill_days=backfill_days, retry=retry,
        now=now,
    )  # fmt: skip


def extract_financial_events(
    home: Path,
    seller_id: str,
    conn: SpApiConnection,
    start: date | None = None,
    end: date | None = None,
    *,
    today: date | None = None,
    lookback_days: int = FINANCES_LOOKBACK_DAYS,
    backfill_days: int = BACKFILL_DAYS,
    retry: RetryPolicy | None = None,
    now: datetime | None = None,
) -> list[ApiWindowOutcome]:
    """Finances v0 listFinancialEvents only (its own `financial_events` cursor), in windows of at
    most 180 days (Amazon answers an empty list beyond that), PostedBefore kept more than
    2 minutes in the past. Deprecated by Amazon: extract_finances is the scheduled path."""
    return _extract_api(
        home, seller_id, conn, FINANCIAL_EVENTS, finances_client, _financial_pages, start, end,
        today=today, lookback_days=lookback_days, backfill_days=backfill_days, retry=retry,
        now=now,
    )  # fmt: skip
