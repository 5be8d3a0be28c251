"""Finances over HTTP through python-amazon-sp-api against the SP-API emulator: v2024-06-19
listTransactions pulled for the 18-month onboarding in windows of at most 180 days, every page,
every transaction landed once as leaf-breakdown rows with Decimal money; throttling costs a retry,
not a row; v0 listFinancialEvents takes over when v2024 is refused; Amazon's own example response
(a nextToken that never changes) ends after a bounded number of calls; settlement reports older
than 90 days are no longer listed while Finances still serves them."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import sp_api.auth.access_token_client as token_module
from sp_api.base import ApiResponse, SellingApiBadRequestException

from extractors.reports.api_documents import parse_api_document
from extractors.reports.catalog import FINANCE_TRANSACTIONS, FINANCIAL_EVENTS
from extractors.sandbox.emulator import SETTLEMENT_PUBLISH_DELAY, SpApiEmulator
from extractors.spapi.client import finance_transactions_client
from extractors.spapi.extract import BACKFILL_DAYS, CursorStore, extract_settlements
from extractors.spapi.finances import (
    FinancesUnavailable,
    _transaction_pages,
    extract_finances,
)
from extractors.spapi.pacing import Pacer
from extractors.spapi.reports import ApiCaller
from tests.extractors.conftest import NO_SLEEP
from tests.extractors.conftest import emulator_connection as _conn

TRANSACTIONS = ("GET", "/finances/2024-06-19/transactions")
EVENTS = ("GET", "/finances/v0/financialEvents")
EXAMPLE = (
    Path(__file__).parents[1]
    / "fixtures"
    / "spapi_examples"
    / "finances_2024-06-19_listTransactions_200.json"
)


def _settlement_lines(manifest, seller_id="SANDBOX1") -> list[dict]:
    """The simulator's settlement data rows (ground truth of the money history)."""
    out = []
    for path in sorted(manifest.seller(seller_id).files["settlements"].glob("*.tsv")):
        lines = path.read_text(encoding="utf-8").splitlines()
        header = lines[0].split("\t")
        out += [dict(zip(header, line.split("\t"), strict=False)) for line in lines[2:] if line]
    return out


def _landed(home: Path, source: str, seller_id="SANDBOX1"):
    root = home / "landing" / "parquet" / source / f"seller_id={seller_id}"
    tables = [pq.read_table(p).to_pylist() for p in sorted(root.glob("*/data.parquet"))]
    return [row for t in tables for row in t]


def _today(manifest):
    return manifest.scenario.as_of + timedelta(days=1)


def test_onboarding_lands_every_transaction_once_in_180_day_windows(
    tmp_path, scenario_dir, emulator
):
    emulator.finances.page_size = 40  # many pages per window
    truth = _settlement_lines(scenario_dir)
    outcomes = extract_finances(
        tmp_path, "SANDBOX1", _conn(emulator), today=_today(scenario_dir), retry=NO_SLEEP
    )
    # 18 months in windows of at most 180 days, contiguous, ending today.
    assert outcomes[0].start == _today(scenario_dir) - timedelta(days=BACKFILL_DAYS)
    assert outcomes[-1].end == _today(scenario_dir)
    assert all(o.end - o.start <= timedelta(days=180) for o in outcomes)
    assert all(a.end == b.start for a, b in pairwise(outcomes))
    assert len(outcomes) == -(-BACKFILL_DAYS // 180)
    # Paged: more pages than windows, one request per page, nothing from v0.
    pages = sum(o.pages for o in outcomes)
    assert pages > len(outcomes)
    assert emulator.calls(*TRANSACTIONS) == pages and emulator.calls(*EVENTS) == 0

    rows = _landed(tmp_path, FINANCE_TRANSACTIONS.source)
    # One row per settlement line, each (transaction, line) once, every transaction present.
    assert len(rows) == len(truth)
    assert len({(r["transaction_id"], r["line_no"]) for r in rows}) == len(rows)
    served = {t.transaction_id for t in emulator.finances.transactions("SANDBOX1")}
    assert {r["transaction_id"] for r in rows} == served
    assert sum(o.result.rows_quarantined for o in outcomes) == 0
    # Money: Decimal, and to the cent the settlement history's total.
    assert all(isinstance(r["amount"], Decimal) for r in rows)
    total = sum(Decimal(line["amount"].replace(",", "")) for line in truth)
    assert sum(r["amount"] for r in rows) == total
    # The contract's columns, filled from the transaction, its identifiers and its items.
    refund = next(r for r in rows if r["transaction_type"] == "Refund")
    assert refund["refund_id"] and refund["order_adjustment_item_id"]
    assert refund["amazon_order_id"] and refund["financial_event_group_id"]
    sale = next(r for r in rows if r["breakdown_type"] == "Principle")
    assert sale["breakdown_path"] == "Product Charges / Principle"
    assert sale["seller_sku"] and sale["asin"] and sale["quantity"] >= 1
    assert sale["fulfillment_network"] == "AFN" and sale["currency"] == "USD"
    assert sale["line_no"] >= 1 and sale["posted_date"].tzinfo is not None
    types = Counter(r["breakdown_type"] for r in rows)
    assert set(types) >= {"Principle", "FBAPerUnitFulfillmentFee", "Commission"}
    cursor = CursorStore(tmp_path).load("SANDBOX1", FINANCE_TRANSACTIONS.source)
    assert cursor.complete_through == _today(scenario_dir)

    # The next day: one window of a week's look-back, one page or a few.
    before = emulator.calls(*TRANSACTIONS)
    again = extract_finances(
        tmp_path,
        "SANDBOX1",
        _conn(emulator),
        today=_today(scenario_dir) + timedelta(days=1),
        retry=NO_SLEEP,
    )
    assert len(again) == 1 and again[0].end - again[0].start == timedelta(days=7)
    assert emulator.calls(*TRANSACTIONS) - before == again[0].pages


@pytest.mark.parametrize("fault", ["throttle", "throttle_empty_body", "server_error"])
def test_a_throttled_page_costs_a_retry_not_a_row(tmp_path, scenario_dir, emulator, fault):
    emulator.finances.page_size = 100
    start, end = scenario_dir.scenario.as_of - timedelta(days=60), _today(scenario_dir)
    clean = extract_finances(
        tmp_path / "a", "SANDBOX1", _conn(emulator), start, end, retry=NO_SLEEP
    )
    calls = emulator.calls(*TRANSACTIONS)
    emulator.inject(fault, 2, operations={"listTransactions"})
    hit = extract_finances(tmp_path / "b", "SANDBOX1", _conn(emulator), start, end, retry=NO_SLEEP)
    assert emulator.calls(*TRANSACTIONS) - calls == calls + 2
    assert [o.pages for o in hit] == [o.pages for o in clean]
    a = _landed(tmp_path / "a", FINANCE_TRANSACTIONS.source)
    b = _landed(tmp_path / "b", FINANCE_TRANSACTIONS.source)
    key = [c.name for c in FINANCE_TRANSACTIONS.columns]
    assert sorted(tuple(str(r[k]) for k in key) for r in a) == sorted(
        tuple(str(r[k]) for k in key) for r in b
    )
    assert len(a) > 100


@pytest.mark.parametrize("status", [403, 404])
def test_v0_takes_over_when_v2024_is_refused(tmp_path, scenario_dir, emulator, status):
    emulator.finances.refuse["listTransactions"] = status
    truth = _settlement_lines(scenario_dir)
    outcomes = extract_finances(
        tmp_path, "SANDBOX1", _conn(emulator), today=_today(scenario_dir), retry=NO_SLEEP
    )
    # Asked once (a 403 is retried once with a fresh token), then v0 for every window.
    assert emulator.calls(*TRANSACTIONS) == (2 if status == 403 else 1)
    assert emulator.calls(*EVENTS) == sum(o.pages for o in outcomes)
    assert len(outcomes) == -(-BACKFILL_DAYS // 180)
    assert _landed(tmp_path, FINANCE_TRANSACTIONS.source) == []
    events = _landed(tmp_path, FINANCIAL_EVENTS.source)
    assert len(events) == len(truth)
    total = sum(Decimal(line["amount"].replace(",", "")) for line in truth)
    assert sum(r["amount"] for r in events) == total
    assert all(isinstance(r["amount"], Decimal) for r in events)
    # The Finances cursor advanced whichever version answered.
    cursor = CursorStore(tmp_path).load("SANDBOX1", FINANCE_TRANSACTIONS.source)
    assert cursor.complete_through == _today(scenario_dir)


def test_both_versions_refused_is_a_clear_error(tmp_path, scenario_dir, emulator):
    emulator.finances.refuse.update({"listTransactions": 404, "listFinancialEvents": 404})
    with pytest.raises(FinancesUnavailable, match=r"listTransactions.*listFinancialEvents"):
        extract_finances(
            tmp_path, "SANDBOX1", _conn(emulator), today=_today(scenario_dir), retry=NO_SLEEP
        )
    assert (
        CursorStore(tmp_path).load("SANDBOX1", FINANCE_TRANSACTIONS.source).complete_through is None
    )


def test_the_client_reads_money_as_decimal_and_the_emulator_refuses_bad_windows(
    scenario_dir, emulator
):
    client = finance_transactions_client(_conn(emulator))
    after = datetime.combine(scenario_dir.scenario.as_of, datetime.min.time(), UTC)
    page = client.list_transactions(
        postedAfter=(after - timedelta(days=10)).isoformat(), postedBefore=after.isoformat()
    ).payload
    amounts = [t["totalAmount"]["currencyAmount"] for t in page["transactions"]]
    assert amounts and all(isinstance(a, Decimal) for a in amounts)
    for kwargs, message in (
        ({"postedAfter": (after - timedelta(days=181)).isoformat()}, "180 days"),
        ({"postedBefore": after.isoformat()}, "Start date cannot be null"),
        (
            {
                "postedAfter": after.isoformat(),
                "postedBefore": (datetime.now(UTC) + timedelta(minutes=1)).isoformat(),
            },
            "2 minutes",
        ),
    ):
        with pytest.raises(SellingApiBadRequestException, match=message):
            client.list_transactions(**kwargs)
    client.close()


class _ReplayClient:
    """Answers every listTransactions with Amazon's example response (nextToken "Next token
    value" forever), parsed as the client parses money: Decimal."""

    def __init__(self):
        self.body = EXAMPLE.read_text()
        self.calls = 0

    def list_transactions(self, **kwargs):
        self.calls += 1
        if self.calls > 50:
            raise AssertionError("unbounded paging")
        return ApiResponse(**json.loads(self.body, parse_float=Decimal))


def test_amazons_example_response_ends_in_bounded_calls(scenario_dir, emulator):
    client = _ReplayClient()
    call = ApiCaller(
        _conn(emulator), NO_SLEEP, pacer=Pacer(clock=lambda: 0.0, sleep=lambda s: None)
    )
    end = datetime(2023, 3, 8, tzinfo=UTC)
    document = _transaction_pages(client, call, end - timedelta(days=1), end)
    assert client.calls == 2  # the first page, then the token again: stop
    assert document["stopped"] == "repeated nextToken"
    original = json.dumps(document, sort_keys=True, default=str).encode()
    parsed = parse_api_document(original, "example")
    # The example transaction has no id, no items, no breakdowns: one row of its total, under
    # a stable hash of its JSON, counted once although served twice.
    assert len(parsed.frame) == 1 and not parsed.quarantine
    row = parsed.frame.iloc[0]
    assert row["transaction_id"].startswith("sha256:")
    assert row["amount"] == Decimal("10") and row["currency"] == "USD"
    assert row["amazon_order_id"] == "8129762527551" and row["transaction_type"] == "Shipment"
    assert row["financial_event_group_id"] == "4MVaHcsAfaYAlwlaPWrXJxrfUiKfYZ2ooWtY7528FUA"
    assert any("counted once" in w for w in parsed.warnings)
    again = parse_api_document(original, "example")
    assert again.frame.iloc[0]["transaction_id"] == row["transaction_id"]


def test_bad_transactions_are_quarantined_with_a_reason_and_amounts_stay_exact():
    good = {
        "transactionId": "T1",
        "transactionType": "Shipment",
        "postedDate": "2026-05-01T10:00:00Z",
        "relatedIdentifiers": [
            {"relatedIdentifierName": "SETTLEMENT_ID", "relatedIdentifierValue": "S9"}
        ],
        "items": [
            {
                "totalAmount": {"currencyAmount": 1234567890123.07, "currencyCode": "USD"},
                "breakdowns": {  # the model example's object-wrapped list
                    "breakdowns": [
                        {
                            "breakdownType": "Sales",
                            "breakdownAmount": {"currencyAmount": 0.3, "currencyCode": "USD"},
                            "breakdowns": [
                                {
                                    "breakdownType": "Product Charges",
                                    "breakdownAmount": {
                                        "currencyAmount": 1234567890123.07,
                                        "currencyCode": "USD",
                                    },
                                }
                            ],
                        },
                        {
                            "breakdownType": "Expenses",
                            "breakdownAmount": {"currencyAmount": -0.1, "currencyCode": "USD"},
                            "breakdowns": [],
                        },
                    ]
                },
                "contexts": [{"contextType": "ProductContext", "sku": "S-1", "quantityShipped": 2}],
            }
        ],
    }
    doc = {"payload": {"transactions": [good, 42, {"transactionType": "Refund"}]}}
    parsed = parse_api_document(json.dumps(doc).encode(), "saved.json")
    rows = parsed.frame.sort_values("line_no").to_dict("records")
    assert [r["breakdown_path"] for r in rows] == ["Sales / Product Charges", "Expenses"]
    assert [r["breakdown_type"] for r in rows] == ["Product Charges", "Expenses"]
    assert rows[0]["amount"] == Decimal("1234567890123.07")  # a float would not keep the cents
    assert rows[1]["amount"] == Decimal("-0.1")
    assert rows[0]["financial_event_group_id"] == "S9" and rows[0]["quantity"] == 2
    reasons = sorted(q["reason"] for q in parsed.quarantine)
    assert reasons == ["transaction has no postedDate", "transaction is not a JSON object"]
    assert parsed.rows_in == len(rows) + 2


def test_old_settlements_are_no_longer_listed_but_finances_has_them(tmp_path, scenario_dir):
    as_of = scenario_dir.scenario.as_of
    clock_at = datetime.combine(as_of + timedelta(days=45), datetime.min.time(), UTC)
    token_module.cache.clear()
    with SpApiEmulator(scenario_dir.out_dir, clock=clock_at.timestamp) as emu:
        conn = _conn(emu)
        today = as_of + timedelta(days=3)
        listed = extract_settlements(
            tmp_path / "s", "SANDBOX1", conn, today=today, retry=NO_SLEEP, now=clock_at
        )
        finance = extract_finances(
            tmp_path / "f", "SANDBOX1", conn, today=today, retry=NO_SLEEP, now=clock_at
        )
    token_module.cache.clear()
    folder = scenario_dir.seller("SANDBOX1").files["settlements"]
    cutoff = clock_at - timedelta(days=90) - SETTLEMENT_PUBLISH_DELAY
    ends = {}
    for path in folder.glob("*.tsv"):
        summary = path.read_text(encoding="utf-8").splitlines()[1].split("\t")
        ends[path.stem.rsplit("_", 1)[1]] = datetime.strptime(
            summary[2], "%Y-%m-%d %H:%M:%S UTC"
        ).replace(tzinfo=UTC)
    recent = {sid for sid, end in ends.items() if end >= cutoff}
    assert 0 < len(recent) < len(ends)
    root = tmp_path / "s" / "landing" / "parquet" / "settlements" / "seller_id=SANDBOX1"
    landed = {p.name.removeprefix("window=settlement-") for p in root.iterdir()}
    assert landed == recent and len(listed) == len(recent)
    # Finances still reaches every settlement period.
    groups = {
        r["financial_event_group_id"] for r in _landed(tmp_path / "f", "finance_transactions")
    }
    assert groups == set(ends)
    assert finance
