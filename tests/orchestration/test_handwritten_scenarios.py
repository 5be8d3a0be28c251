"""Hand-written multi-source scenarios, one per marketplace group (US, UK, JP), written from
Amazon's layouts (reference/amazon-reports.md, sp-api-models/finances_2024-06-19.json), not
from the simulator. The expected claims are worked out by hand from the claim policy
(reference/policy-2026.md s2, claim-policy.md, seed claim_windows); each fixture folder's README
says what each row is.

Homes (one `reclaim build` each, as of 2026-11-20):
  markets      sellers A1HWUS (money history from Finances pages), A1HWUK, A1HWJP
  settlement   seller A1HWUS, the same files but the money history from settlement reports V2
  both         seller A1HWUS, Finances pages and settlement reports together
"""

from __future__ import annotations

import csv
import re
from decimal import Decimal

import duckdb
import pytest

from orchestration.exports import EXPORT_COLUMNS
from tests.conftest import FIXTURES, run_reclaim

AS_OF = "2026-11-20"
US_DIR = FIXTURES / "handwritten_us"
UK_DIR = FIXTURES / "handwritten_uk"
JP_DIR = FIXTURES / "handwritten_jp"
REPORTS = (
    "ledger_detail.tsv",
    "reimbursements.tsv",
    "customer_returns.tsv",
    "all_orders.tsv",
    "product_master.csv",
)


def _files(folder, *, finances: bool = True, settlements: bool = False) -> list[str]:
    files = [folder / n for n in REPORTS]
    if finances:
        files += sorted(folder.glob("finances_transactions_page*.json"))
    if settlements:
        files += sorted(folder.glob("settlement_*.tsv"))
    return [str(f) for f in files]


def _build(home, sellers: dict[str, list[str]]):
    for seller, files in sellers.items():
        r = run_reclaim(home, "ingest", "--seller", seller, *files)
        assert r.returncode == 0, r.stderr + r.stdout
        assert "quarantine" not in r.stdout.lower(), r.stdout
    r = run_reclaim(home, "build", "--as-of", AS_OF, timeout=1200)
    assert r.returncode == 0, r.stderr + r.stdout
    return home


def _export(home, tmp_path, seller: str, *extra: str) -> list[dict]:
    out = tmp_path / f"{seller}{'-all' if extra else ''}.csv"
    r = run_reclaim(home, "claims", "export", "--seller", seller, "--out", str(out), *extra)
    assert r.returncode == 0, r.stderr + r.stdout
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert tuple(rows[0]) == EXPORT_COLUMNS
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def _claims(rows: list[dict]) -> set[tuple]:
    """(type, status, fnsku, order, reference, event date, qty, unit value, amount, currency,
    eligible from, deadline) of each exported claim; money as Decimal (4500.00 == 4500)."""
    return {
        (
            x["claim_type"],
            x["status"],
            x["fnsku"],
            x["order_id"],
            x["reference_id"],
            x["event_date"],
            int(x["quantity"]),
            Decimal(x["unit_value"]),
            Decimal(x["amount"]),
            x["currency"],
            x["eligible_from"],
            x["deadline"],
        )
        for x in rows
    }


def _expected(claims: set[tuple]) -> set[tuple]:
    return {(*c[:7], Decimal(c[7]), Decimal(c[8]), *c[9:]) for c in claims}


@pytest.fixture(scope="module")
def markets_home(tmp_path_factory):
    return _build(
        tmp_path_factory.mktemp("markets"),
        {"A1HWUS": _files(US_DIR), "A1HWUK": _files(UK_DIR), "A1HWJP": _files(JP_DIR)},
    )


@pytest.fixture(scope="module")
def us_settlement_home(tmp_path_factory):
    return _build(
        tmp_path_factory.mktemp("settlement"),
        {"A1HWUS": _files(US_DIR, finances=False, settlements=True)},
    )


@pytest.fixture(scope="module")
def us_both_home(tmp_path_factory):
    return _build(
        tmp_path_factory.mktemp("both"),
        {"A1HWUS": _files(US_DIR, finances=True, settlements=True)},
    )


# US (seed claim_windows US rows of 2024-10-23; as of 2026-11-20).
# fmt: off
US_EXPECTED = {
    # ledger M 10/01 ref 7001001, 2 units unreconciled, no Lost_Warehouse reimbursement:
    # claim-policy.md 2.1 (open units = Unreconciled Quantity); policy-2026.md s2 FC lost US
    # <= 60 d from 2024-10-23 (+14 d project grace): opens 10/15, deadline 11/30; value
    # claim-policy.md s1 seller unit_cost 9.00 from the product master.
    ("warehouse_lost", "ready", "X0USMUG001", "", "7001001", "2026-10-01",
     2, "9.00", "18.00", "USD", "2026-10-15", "2026-11-30"),
    # ledger E 10/10 ref 7001002 (+ its P row into WAREHOUSE_DAMAGED, the same unit):
    # claim-policy.md 2.2; FC damaged US <= 60 d (+14): opens 10/24, deadline 12/09; cost 15.00.
    ("warehouse_damaged", "ready", "X0USLAMP01", "", "7001002", "2026-10-10",
     1, "15.00", "15.00", "USD", "2026-10-24", "2026-12-09"),
    # ledger M 11/15 ref 7001006: claim-policy.md s1 window opens +14 d -> 11/29 > as-of.
    ("warehouse_lost", "upcoming", "X0USMUG001", "", "7001006", "2026-11-15",
     1, "9.00", "9.00", "USD", "2026-11-29", "2027-01-14"),
    # ledger 5 (misplaced) 08/01 ref 7001007, 3 units: deadline +60 d = 09/30 < as-of.
    ("warehouse_lost", "expired", "X0USPEN001", "", "7001007", "2026-08-01",
     3, "3.00", "9.00", "USD", "2026-08-15", "2026-09-30"),
    # order 114-1000001 refunded 09/10 (Finances Refund / Principal -24.99), no return, no
    # reimbursement: claim-policy.md 2.4; policy-2026.md s2 customer returns US 60-120 d after
    # the refund: opens 11/09, deadline 2027-01-08; value = refunded principal per unit.
    ("refund_not_returned", "ready", "X0USMUG001", "114-1000001-0000001", "", "2026-09-10",
     1, "24.99", "24.99", "USD", "2026-11-09", "2027-01-08"),
    # order 114-1000003 refunded 10/15: +60 d = 12/14 > as-of.
    ("refund_not_returned", "upcoming", "X0USPEN001", "114-1000003-0000003", "", "2026-10-15",
     1, "11.99", "11.99", "USD", "2026-12-14", "2027-02-12"),
    # order 114-1000004 refunded 06/01: +120 d = 09/29 < as-of.
    ("refund_not_returned", "expired", "X0USMUG001", "114-1000004-0000004", "", "2026-06-01",
     1, "24.99", "24.99", "USD", "2026-07-31", "2026-09-29"),
    # No claim (claim-policy.md 2.1 step 3 / 2.4 step 2, de-duplicated against reimbursements):
    #   ledger M 09/25 ref 7001003 reconciled 1 by the F of 10/05 (found);
    #   ledger M 09/28 ref 7001005, Lost_Warehouse reimbursement 9200001 paid at cost (15.00);
    #   order 114-1000002 refunded 09/12, returned 09/20 (SELLABLE);
    #   order 114-1000005 refunded 09/05, CustomerReturn reimbursement 9200002 on 11/05;
    #   order 114-1000006 (2 units) never refunded.
}
# fmt: on

# UK (seed claim_windows GB rows of 2025-01-09; GBP).
# fmt: off
UK_EXPECTED = {
    # ledger M 10/01 ref 8001001, 2 units open: policy-2026.md s2 FC lost EU+UK <= 60 d from
    # 2025-01-09 (+14 grace): opens 10/15, deadline 11/30; cost 7.50 GBP.
    ("warehouse_lost", "ready", "X0UKTEAP01", "", "8001001", "2026-10-01",
     2, "7.50", "15.00", "GBP", "2026-10-15", "2026-11-30"),
    # ledger E/P 10/20 ref 8001002: FC damaged EU+UK <= 60 d (+14): opens 11/03, deadline 12/19.
    ("warehouse_damaged", "ready", "X0UKSCAR01", "", "8001002", "2026-10-20",
     1, "4.20", "4.20", "GBP", "2026-11-03", "2026-12-19"),
    # ledger M 11/12 ref 8001005: opens 11/26 > as-of.
    ("warehouse_lost", "upcoming", "X0UKTEAP01", "", "8001005", "2026-11-12",
     1, "7.50", "7.50", "GBP", "2026-11-26", "2027-01-11"),
    # ledger M 08/15 ref 8001006: deadline 10/14 < as-of.
    ("warehouse_lost", "expired", "X0UKSCAR01", "", "8001006", "2026-08-15",
     1, "4.20", "4.20", "GBP", "2026-08-29", "2026-10-14"),
    # order 206-2000001 refunded 09/25, never returned: policy-2026.md s2 customer returns
    # EU+UK 45-105 d: day 56 is open (it would still be upcoming under the US 60 d);
    # opens 11/09, deadline 2027-01-08; value the refunded principal 19.99.
    ("refund_not_returned", "ready", "X0UKTEAP01", "206-2000001-0000001", "", "2026-09-25",
     1, "19.99", "19.99", "GBP", "2026-11-09", "2027-01-08"),
    # order 206-2000003 refunded 10/20: +45 d = 12/04 > as-of.
    ("refund_not_returned", "upcoming", "X0UKCAND01", "206-2000003-0000003", "", "2026-10-20",
     1, "9.99", "9.99", "GBP", "2026-12-04", "2027-02-02"),
    # order 206-2000002 refunded 08/01: day 111, past the EU+UK 105 d (the US 120 d would
    # still be open): deadline 11/14 < as-of.
    ("refund_not_returned", "expired", "X0UKSCAR01", "206-2000002-0000002", "", "2026-08-01",
     1, "14.50", "14.50", "GBP", "2026-09-15", "2026-11-14"),
    # order 206-2000005 refunded 09/20 (Finances), returned 09/28 graded CARRIER_DAMAGED, not
    # reimbursed: customer returns EU+UK 45-105 d after the refund: opens 11/04, deadline
    # 2027-01-03; value the refunded principal 14.50.
    ("return_damaged_unreimbursed", "ready", "X0UKSCAR01", "206-2000005-0000005", "",
     "2026-09-20", 1, "14.50", "14.50", "GBP", "2026-11-04", "2027-01-03"),
    # No claim: ledger M 09/20 ref 8001003 found by the F of 10/02 (reconciled 1);
    # order 206-2000004 refunded 09/05 and returned 09/15 SELLABLE; order 206-2000005 was
    # returned (damaged), so it is no refund_not_returned.
}
# fmt: on

# JP (seed claim_windows JP rows of 2025-01-10; JPY has no decimals).
# fmt: off
JP_EXPECTED = {
    # ledger M 10/01 ref 9001001, 2 units open: policy-2026.md s2 FC lost JP <= 60 d from
    # 2025-01-10 (+14 grace): opens 10/15, deadline 11/30; cost 1200 JPY.
    ("warehouse_lost", "ready", "X0JPBENT01", "", "9001001", "2026-10-01",
     2, "1200", "2400", "JPY", "2026-10-15", "2026-11-30"),
    # ledger E/P 10/20 ref 9001002: FC damaged JP <= 60 d (+14): opens 11/03, deadline 12/19.
    ("warehouse_damaged", "ready", "X0JPKETT01", "", "9001002", "2026-10-20",
     1, "4500", "4500", "JPY", "2026-11-03", "2026-12-19"),
    # ledger M 11/12 ref 9001004: opens 11/26 > as-of.
    ("warehouse_lost", "upcoming", "X0JPBENT01", "", "9001004", "2026-11-12",
     1, "1200", "1200", "JPY", "2026-11-26", "2027-01-11"),
    # ledger M 08/15 ref 9001005: deadline 10/14 < as-of.
    ("warehouse_lost", "expired", "X0JPKETT01", "", "9001005", "2026-08-15",
     1, "4500", "4500", "JPY", "2026-08-29", "2026-10-14"),
    # order 503-3000001 refunded 09/25, never returned: policy-2026.md s2 customer returns JP
    # 45-105 d from 2025-01-10: day 56 open; opens 11/09, deadline 2027-01-08; 3980 JPY.
    ("refund_not_returned", "ready", "X0JPBENT01", "503-3000001-0000001", "", "2026-09-25",
     1, "3980", "3980", "JPY", "2026-11-09", "2027-01-08"),
    # order 503-3000003 refunded 10/20: +45 d = 12/04 > as-of.
    ("refund_not_returned", "upcoming", "X0JPKETT01", "503-3000003-0000003", "", "2026-10-20",
     1, "12800", "12800", "JPY", "2026-12-04", "2027-02-02"),
    # order 503-3000002 refunded 08/01: day 111 > 105 (policy-2026.md s2: JP used to fall back
    # to the US 120 d and showed days 106-120 as fileable): deadline 11/14 < as-of.
    ("refund_not_returned", "expired", "X0JPTENU01", "503-3000002-0000002", "", "2026-08-01",
     1, "1280", "1280", "JPY", "2026-09-15", "2026-11-14"),
    # No claim: ledger M 09/28 ref 9001003, Lost_Warehouse reimbursement 9300001 (350 JPY =
    # cost) not yet reflected in the ledger; order 503-3000004 refunded 09/05, returned 09/14.
}
# fmt: on


def _check(rows, expected, seller, marketplace, decimals):
    assert _claims(rows) == _expected(expected)
    for x in rows:
        assert x["seller_id"] == seller and x["marketplace_id"] == marketplace
        assert x["claim_id"] and x["evidence"].startswith("{") and x["case_text"]
        # JPY has no minor unit: every JP value is whole yen.
        assert Decimal(x["amount"]) == round(Decimal(x["amount"]), decimals)
        assert Decimal(x["unit_value"]) == round(Decimal(x["unit_value"]), decimals)


def _check_ready_export(home, tmp_path, seller, expected):
    ready = _export(home, tmp_path, seller)
    assert _claims(ready) == _expected({c for c in expected if c[1] == "ready"})


@pytest.mark.slow
def test_us_scenario_from_finances_pages(markets_home, tmp_path):
    rows = _export(markets_home, tmp_path, "A1HWUS", "--all")
    _check(rows, US_EXPECTED, "A1HWUS", "ATVPDKIKX0DER", 2)
    _check_ready_export(markets_home, tmp_path, "A1HWUS", US_EXPECTED)


@pytest.mark.slow
def test_uk_scenario(markets_home, tmp_path):
    rows = _export(markets_home, tmp_path, "A1HWUK", "--all")
    _check(rows, UK_EXPECTED, "A1HWUK", "A1F83G8C2ARO7P", 2)
    _check_ready_export(markets_home, tmp_path, "A1HWUK", UK_EXPECTED)


@pytest.mark.slow
def test_jp_scenario(markets_home, tmp_path):
    rows = _export(markets_home, tmp_path, "A1HWJP", "--all")
    _check(rows, JP_EXPECTED, "A1HWJP", "A1VC38T7YXB528", 0)
    _check_ready_export(markets_home, tmp_path, "A1HWJP", JP_EXPECTED)


def _by_id(rows):
    return {x["claim_id"]: {k: v for k, v in x.items() if k != "evidence"} for x in rows}


@pytest.mark.slow
def test_us_scenario_from_settlement_reports_gives_the_same_claims(
    markets_home, us_settlement_home, tmp_path
):
    # DESIGN.md rule 12: the same claims whether the money history came from settlements or
    # Finances (claim ids, amounts, windows and case text alike).
    rows = _export(us_settlement_home, tmp_path, "A1HWUS", "--all")
    _check(rows, US_EXPECTED, "A1HWUS", "ATVPDKIKX0DER", 2)
    finances = _export(markets_home, tmp_path, "A1HWUS", "--all")
    assert _by_id(rows) == _by_id(finances)


@pytest.mark.slow
def test_us_scenario_from_settlements_and_finances_counts_each_refund_once(
    markets_home, us_both_home, tmp_path
):
    # Both sources carry every order and refund line (all but one Finances refund name their
    # settlement; that one is matched by its event key): each is counted once, so no refund
    # doubles its units or value.
    rows = _export(us_both_home, tmp_path, "A1HWUS", "--all")
    _check(rows, US_EXPECTED, "A1HWUS", "ATVPDKIKX0DER", 2)
    finances = _export(markets_home, tmp_path, "A1HWUS", "--all")
    assert _by_id(rows) == _by_id(finances)
    # The money history holds each of the 6 order items (principal, commission) and 5 refunds
    # once, from the settlement reports (they outrank Finances).
    assert _money_lines(us_both_home) == {
        ("settlement_v2", "Order", "Principal"): 6,
        ("settlement_v2", "Order", "Commission"): 6,
        ("settlement_v2", "Refund", "Principal"): 5,
    }
    assert _money_lines(markets_home) == {
        ("finances_2024_06_19", "Order", "Principal"): 6,
        ("finances_2024_06_19", "Order", "Commission"): 6,
        ("finances_2024_06_19", "Refund", "Principal"): 5,
    }


def _money_lines(home) -> dict[tuple, int]:
    with duckdb.connect(str(home / "serving" / "reclaim.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select money_source, transaction_type, amount_description, count(*) "
            "from intermediate.int_money_events where seller_id = 'A1HWUS' group by all"
        ).fetchall()
    return {tuple(r[:3]): r[3] for r in rows}


@pytest.mark.slow
def test_jp_case_text_writes_whole_yen(markets_home, tmp_path):
    rows = _export(markets_home, tmp_path, "A1HWJP", "--all")
    assert rows
    for x in rows:
        assert not re.search(r"JPY -?[\d,]+\.\d", x["case_text"]), x["case_text"]
    # Yen in whole units (the damaged unit of 9001002 is worth JPY 4500).
    assert any(re.search(r"JPY 4500\b", x["case_text"]) for x in rows)
