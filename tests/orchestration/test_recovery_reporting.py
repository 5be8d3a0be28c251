"""Recovery reporting end to end on the hand-written fixture, for two sellers with the same
products: claims filed through the outcome log, Amazon paying (and taking back) under those
cases and on its own, then the weekly mart, the weekly HTML report and the invoice."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from orchestration.claim_outcomes import Event, record
from orchestration.home import ReclaimHome
from orchestration.reporting.common import ReportError
from orchestration.reporting.invoice import (
    CSV_COLUMNS,
    InvoiceRegister,
    build_invoice,
    write_invoice,
)
from orchestration.reporting.weekly import write_weekly_report
from orchestration.sellers import SellerRegistry
from tests.conftest import FIXTURES, run_reclaim
from tests.orchestration.test_claim_outcomes import REIMB_HEADER

HANDWRITTEN = FIXTURES / "handwritten"
ME, OTHER = "A1LIFE", "A2OTHER"
EVIL_SKU = "=SUM(1+1)<i>x</i>"


def _line(day, rid, case, reason, sku, fnsku, total, original=""):
    qty = "-1" if total.startswith("-") else "1"
    return (
        f"{day}T10:00:00Z\t{rid}\t{case}\t\t{reason}\t{sku}\t{fnsku}\tB0TEST\tItem\tNew\tUSD\t"
        f"{total.lstrip('-')}\t{total}\t{qty}\t0\t{qty}\t{original}\t"
        f"{'Lost_Warehouse' if original else ''}\n"
    )


def _claim_ids(serving, seller) -> dict[str, str]:
    with duckdb.connect(str(serving), read_only=True) as con:
        rows = con.execute(
            "select reference_id, claim_id from marts.fct_claims "
            "where seller_id = ? and claim_type = 'warehouse_lost'",
            [seller],
        ).fetchall()
    return dict(rows)


def build_recovery_home(tmp):
    """Two sellers with the same products, claims filed, paid (and a payment reversed) under
    those cases and automatically, built as of 2026-11-30. The session fixture `built`
    (tests/conftest.py) builds it once for this module and the browser tests."""
    home = ReclaimHome(tmp / "home")
    files = [
        str(HANDWRITTEN / n) for n in ("ledger.tsv", "reimbursements.tsv", "product_master.csv")
    ]
    for seller in (ME, OTHER):
        r = run_reclaim(home.root, "ingest", "--seller", seller, *files)
        assert r.returncode == 0, r.stderr
    registry = SellerRegistry(home.state)
    for seller, name, recovery in (
        (ME, "Life & Co", {"fee_percentage": "20", "follow_up_days": 5}),
        (
            OTHER,
            "Other Seller Inc",
            # filters for the export test; fee and follow-up stay at their defaults
            {
                "excluded_skus": ["WIDGET-BLUE"],
                "minimum_claim_value": "13.00",
                "max_items_per_case": 1,
            },
        ),
    ):
        s = registry.get(seller)
        s.name, s.settings = name, {"recovery": recovery}
        registry.upsert(s)
    r = run_reclaim(home.root, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr + r.stdout

    mine, theirs = _claim_ids(home.serving, ME), _claim_ids(home.serving, OTHER)
    events = [
        Event(mine["5550001"], "file", case_id="C-100", event_date=date(2026, 11, 19)),
        Event(mine["5550003"], "file", case_id="C-777", event_date=date(2026, 11, 19)),
        Event(theirs["5550001"], "file", case_id="C-100", event_date=date(2026, 11, 19)),
    ]
    assert record(home.state, home.serving, events, "test", today=date(2026, 11, 20)) == 3

    paid = tmp / "reimbursements-cases.tsv"
    paid.write_text(
        REIMB_HEADER
        + "\n"
        + _line("2026-11-21", "9200001", "C-777", "Lost_Warehouse", EVIL_SKU, "X002BBBBBB", "16.00")
        + _line(
            "2026-11-21", "9200002", "C-100", "Lost_Warehouse", "WIDGET-RED", "X001AAAAAA", "12.50"
        )
        + _line("2026-11-22", "9200004", "", "Lost_Warehouse", "GADGET-9", "X009ZZZZZZ", "3.00")
        + _line(
            "2026-11-24",
            "9200003",
            "",
            "Reimbursement_Reversal",
            "WIDGET-RED",
            "X001AAAAAA",
            "-12.50",
            original="9200002",
        )
    )
    other_paid = tmp / "reimbursements-other.tsv"
    other_paid.write_text(
        REIMB_HEADER
        + "\n"
        + _line(
            "2026-11-21", "9300001", "C-100", "Lost_Warehouse", "WIDGET-RED", "X001AAAAAA", "99.00"
        )
    )
    assert run_reclaim(home.root, "ingest", "--seller", ME, str(paid)).returncode == 0
    assert run_reclaim(home.root, "ingest", "--seller", OTHER, str(other_paid)).returncode == 0
    r = run_reclaim(home.root, "build", "--as-of", "2026-11-30")
    assert r.returncode == 0, r.stderr + r.stdout
    return home, mine, theirs


def _weekly(home, seller, week_start):
    with duckdb.connect(str(home.serving), read_only=True) as con:
        cur = con.execute(
            "select * from marts.fct_recovery_weekly where seller_id = ? and week_start = ? "
            "and claim_type = 'warehouse_lost'",
            [seller, week_start],
        )
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
    assert len(rows) == 1, rows
    return rows[0]


@pytest.mark.slow
def test_weekly_mart_counts_case_recoveries_automatic_payments_and_reversals(built):
    home, _, _ = built
    week = _weekly(home, ME, date(2026, 11, 16))
    assert (week["filed_count"], week["recovered_count"]) == (2, 2)
    assert week["recovered_amount"] == Decimal("28.50")
    # The line without a case id is Amazon's own payment: counted, never billed.
    assert (week["paid_automatically_count"], week["paid_automatically_amount"]) == (
        1,
        Decimal("3.00"),
    )
    assert week["reversed_amount"] == 0
    later = _weekly(home, ME, date(2026, 11, 23))
    assert (later["reversed_count"], later["reversed_amount"]) == (1, Decimal("12.50"))
    # The other seller's case C-100 is its own: 99.00, never mixed into A1LIFE's.
    theirs = _weekly(home, OTHER, date(2026, 11, 16))
    assert theirs["recovered_amount"] == Decimal("99.00")


@pytest.mark.slow
def test_invoice_bills_case_recoveries_at_the_fee_minus_reversal_credits(built, tmp_path):
    home, mine, _ = built
    inv = write_invoice(home, ME, date(2026, 11, 16), date(2026, 11, 29))
    assert inv.html_path == home.root / "invoices" / ME / "invoice-2026-11-16_2026-11-29.html"
    (usd,) = inv.totals
    assert usd.recovered == Decimal("28.50")
    assert usd.fee_on_recovered == Decimal("5.70")  # 20 %
    assert usd.reversed == Decimal("-12.50")
    assert usd.fee_credits == Decimal("-2.50")
    assert usd.fee_due == Decimal("3.20")

    # Reconciles to the reimbursements report: the lines under the cases we filed.
    with duckdb.connect(str(home.serving), read_only=True) as con:
        report_total = con.execute(
            "select sum(amount_total) from staging.stg_amazon__reimbursements "
            "where seller_id = ? and case_id in ('C-100', 'C-777') "
            "and approval_date between '2026-11-16' and '2026-11-29'",
            [ME],
        ).fetchone()[0]
        line_fees = con.execute(
            "select sum(fee_amount) from marts.fct_recovery_invoice_lines where seller_id = ? "
            "and approval_date between '2026-11-16' and '2026-11-29'",
            [ME],
        ).fetchone()[0]
    assert report_total == usd.recovered
    assert line_fees == usd.fee_due
    assert all(r.ok for r in inv.reconciliation) and inv.reconciliation

    rows = list(csv.DictReader(io.StringIO(inv.csv_path.read_text(encoding="utf-8"))))
    assert {r["line_kind"] for r in rows} == {"recovery", "reversal_credit"}
    assert {r["reimbursement_id"] for r in rows} == {"9200001", "9200002", "9200003"}
    assert sum(Decimal(r["billable_amount"]) for r in rows) == Decimal("16.00")
    assert {r["seller_id"] for r in rows} == {ME}
    # Spreadsheet-safe: the formula-looking SKU is neutralised, negative numbers stay numbers.
    assert any(r["sku"] == "'" + EVIL_SKU for r in rows)
    assert "-12.50" in {r["billable_amount"] for r in rows}
    html = inv.html_path.read_text(encoding="utf-8")
    assert "&lt;i&gt;x&lt;/i&gt;" in html and "<i>x</i>" not in html
    assert "99.00" not in html and OTHER not in html
    assert mine["5550001"] in html  # the claim behind the case

    # The other seller's invoice: its own case, the default 25 % fee.
    other = write_invoice(home, OTHER, "2026-11-16", "2026-11-29")
    assert [(t.recovered, t.fee_due) for t in other.totals] == [
        (Decimal("99.00"), Decimal("24.75"))
    ]


@pytest.mark.slow
def test_weekly_report_html_shows_only_this_sellers_data(built):
    home, mine, theirs = built
    result = write_weekly_report(home, ME, date(2026, 11, 23))
    assert result.path == home.root / "reports" / ME / "recovery-2026-W48.html"
    html = result.path.read_text(encoding="utf-8")
    assert "Life &amp; Co" in html and 'data-seller="A1LIFE"' in html
    for chart in ("recovery", "funnel", "skus"):
        assert f'data-chart="{chart}"' in html
    assert html.count("<rect") >= 3
    assert "28.50 USD" in html  # recovered over the 12 weeks
    open_ids = [cid for ref, cid in mine.items() if ref not in ("5550001", "5550003")]
    assert any(cid in html for cid in open_ids)
    assert OTHER not in html and "Other Seller" not in html and "99.00" not in html
    assert not any(cid in html for cid in theirs.values())
    # Self-contained: nothing to fetch, nothing to run.
    for needle in ("<script", "src=", "href=", "@import", "url("):
        assert needle not in html


def _kpi(html: str, title: str) -> tuple[str, str]:
    m = re.search(
        rf'<div class="k">{re.escape(title)}</div><div class="v">([^<]*)</div>'
        r'<div class="n">([^<]*)</div>',
        html,
    )
    assert m, title
    return m.group(1), m.group(2)


@pytest.mark.slow
def test_weekly_headline_is_net_of_the_weeks_reversal_as_the_invoice_bills_it(built):
    """W48: nothing new recovered, C-100's 12.50 taken back; the invoice credits it, so the
    headline is -12.50 and says what was reversed; over 12 weeks 28.50 - 12.50 = 16.00."""
    home, _, _ = built
    html = write_weekly_report(home, ME, date(2026, 11, 23)).path.read_text(encoding="utf-8")
    value, note = _kpi(html, "Recovered this week (net)")
    assert value == "-12.50 USD"
    assert "12.50 USD reversed" in note
    value, note = _kpi(html, "Recovered, 12 weeks (net)")
    assert value == "16.00 USD"
    assert "28.50 USD recovered" in note and "12.50 USD reversed" in note
    inv = build_invoice(home, ME, date(2026, 11, 23), date(2026, 11, 29))
    assert [t.net_billable for t in inv.totals] == [Decimal("-12.50")]


def _cases(home, seller) -> dict[str, dict]:
    with duckdb.connect(str(home.serving), read_only=True) as con:
        cur = con.execute("select * from marts.fct_recovery_cases where seller_id = ?", [seller])
        cols = [d[0] for d in cur.description]
        return {r[cols.index("case_id")]: dict(zip(cols, r, strict=True)) for r in cur.fetchall()}


CASE_ROW = re.compile(
    r'<tr class="case" data-case-id="([^"]*)" data-status="([^"]*)" data-state="([^"]*)">'
    r"(.*?)</tr>",
    re.S,
)


def _case_rows(html: str) -> list[dict]:
    """The rows of the cases table in page order, with their cells by class."""
    rows = []
    for case_id, status, state, body in CASE_ROW.findall(html):
        cells = dict(re.findall(r'<td class="(?:num )?([a-z-]+)">(.*?)</td>', body, re.S))
        rows.append({**cells, "case_id": case_id, "status": status, "state": state})
    return rows


@pytest.mark.slow
def test_cases_mart_nets_the_reversal_per_case_and_keeps_sellers_apart(built):
    home, mine, theirs = built
    cases = _cases(home, ME)
    assert set(cases) == {"C-100", "C-777"}
    c100 = cases["C-100"]
    assert (c100["recovered_amount"], c100["reversed_amount"], c100["net_amount"]) == (
        Decimal("12.50"),
        Decimal("12.50"),
        Decimal("0.00"),
    )
    assert (c100["case_status"], c100["case_state"]) == ("reversed", "action_needed")
    assert c100["claim_ids"] == mine["5550001"] and c100["claim_count"] == 1
    assert c100["last_activity_date"] == date(2026, 11, 24)  # the reversal
    c777 = cases["C-777"]
    assert (c777["recovered_amount"], c777["reversed_amount"], c777["net_amount"]) == (
        Decimal("16.00"),
        Decimal("0.00"),
        Decimal("16.00"),
    )
    assert (c777["case_status"], c777["case_state"]) == ("reimbursed", "closed")
    assert c777["filed_date"] == date(2026, 11, 19)
    # The other seller's C-100 is its own case: 99.00 paid, nothing of A1LIFE's in it.
    (other,) = _cases(home, OTHER).values()
    assert (other["case_id"], other["net_amount"]) == ("C-100", Decimal("99.00"))
    assert other["claim_ids"] == theirs["5550001"]


@pytest.mark.slow
def test_weekly_report_lists_the_cases_action_needed_first(built):
    """W48: C-100 (paid 12.50, taken back) needs action and comes first; C-777 (paid 16.00 in
    W47) is closed but had activity in the 12 weeks shown, so it is listed after it."""
    home, _, _ = built
    html = write_weekly_report(home, ME, date(2026, 11, 23)).path.read_text(encoding="utf-8")
    assert 'id="cases"' in html and 'id="cases-table"' in html
    rows = _case_rows(html)
    assert [(r["case_id"], r["status"], r["state"]) for r in rows] == [
        ("C-100", "reversed", "action_needed"),
        ("C-777", "reimbursed", "closed"),
    ]
    c100, c777 = rows
    assert (c100["recovered"], c100["reversed"], c100["net"]) == ("12.50", "-12.50", "0.00")
    assert "Payment taken back" in c100["amazon"]
    assert (c777["recovered"], c777["reversed"], c777["net"]) == ("16.00", "–", "16.00")
    assert "1 case(s) need your or our action" in html
    # The other seller's case C-100 (99.00) is never in A1LIFE's report.
    assert "99.00" not in html and OTHER not in html


@pytest.mark.slow
def test_cases_say_what_amazon_asked_for_and_why_it_denied(built, tmp_path):
    """On a copy of the built home: two more claims filed, Amazon asks for an invoice on one
    and denies the other; the report puts the request first, with what was asked, and the
    denial among the closed cases with its reason."""
    src, _, _ = built
    home = ReclaimHome(tmp_path / "home")
    shutil.copytree(src.root, home.root)
    with duckdb.connect(str(home.serving), read_only=True) as con:
        ready = [
            cid
            for (cid,) in con.execute(
                "select claim_id from marts.fct_claims where seller_id = ? and status = 'ready' "
                "order by claim_id limit 2",
                [ME],
            ).fetchall()
        ]
    assert len(ready) == 2, ready
    asked, denied = ready
    events = [
        Event(asked, "file", case_id="C-300", event_date=date(2026, 11, 25)),
        Event(denied, "file", case_id="C-400", event_date=date(2026, 11, 25)),
        Event(asked, "needs_info", note="Send the supplier invoice", event_date=date(2026, 11, 27)),
        Event(denied, "deny", reason="Outside the claim window", event_date=date(2026, 11, 28)),
    ]
    assert record(home.state, home.serving, events, "test", today=date(2026, 11, 30)) == 4
    # And a loss in a marketplace the policy calendar has no claim window for (MX): found, but
    # waiting for that rule, as the report says.
    header = (HANDWRITTEN / "ledger.tsv").read_text(encoding="utf-8").splitlines()[0]
    mx = tmp_path / "ledger-mx.tsv"
    mx.write_text(
        header + "\n10/05/2026\tX001AAAAAA\tB0AAAAAAAA\tWIDGET-RED\tRed widget\tAdjustments\t"
        "5559001\t-1\tMEX1\tSELLABLE\tM\tMX\t0\t1\t2026-10-05T06:00:00-0600\n",
        encoding="utf-8",
    )
    r = run_reclaim(home.root, "ingest", "--seller", ME, str(mx))
    assert r.returncode == 0, r.stderr + r.stdout
    r = run_reclaim(home.root, "build", "--as-of", "2026-11-30")
    assert r.returncode == 0, r.stderr + r.stdout

    cases = _cases(home, ME)
    assert (cases["C-300"]["case_status"], cases["C-300"]["amazon_request"]) == (
        "needs_info",
        "Send the supplier invoice",
    )
    assert (cases["C-400"]["case_status"], cases["C-400"]["denial_reason"]) == (
        "denied",
        "Outside the claim window",
    )
    html = write_weekly_report(home, ME, date(2026, 11, 23)).path.read_text(encoding="utf-8")
    rows = _case_rows(html)
    assert [(r["case_id"], r["status"]) for r in rows] == [
        ("C-300", "needs_info"),
        ("C-100", "reversed"),
        ("C-400", "denied"),
        ("C-777", "reimbursed"),
    ]
    assert "Asked: Send the supplier invoice" in rows[0]["amazon"]
    assert "Denied: Outside the claim window" in rows[2]["amazon"]
    assert "2 case(s) need your or our action" in html
    waiting = re.findall(
        r'<tr class="waiting" data-kind="(\w+)"><td>[^<]*</td><td>([^<]*)</td><td>([^<]*)</td>'
        r'<td class="num">(\d+)</td>',
        html,
    )
    assert (
        "policy",
        "Amazon&#39;s claim window for warehouse lost claims in MX",
        "warehouse lost",
        "1",
    ) in waiting, waiting


@pytest.mark.slow
def test_open_claims_mart_has_follow_up_dates_from_the_sellers_settings(built):
    home, mine, _ = built
    with duckdb.connect(str(home.serving), read_only=True) as con:
        rows = dict(
            con.execute(
                "select claim_id, (deadline_stage, follow_up_due_date, follow_up_due) "
                "from marts.fct_recovery_open_claims where seller_id = ?",
                [ME],
            ).fetchall()
        )
        settings = con.execute(
            "select seller_id, fee_percentage, follow_up_days "
            "from marts.dim_seller_recovery_settings order by seller_id"
        ).fetchall()
    assert settings == [(ME, Decimal("20.00"), 5), (OTHER, Decimal("25.00"), 7)]
    # C-777 was paid in full (reimbursed, no longer open); C-100 was paid then reversed.
    assert mine["5550003"] not in rows


@pytest.mark.slow
def test_cli_report_and_invoice(built, tmp_path):
    home, _, _ = built
    out = tmp_path / "weekly.html"
    r = run_reclaim(
        home.root, "report", "weekly", "--seller", ME, "--week", "2026-W47", "--out", str(out)
    )
    assert r.returncode == 0, r.stderr
    assert out.exists() and "2026-W47" in r.stdout
    r = run_reclaim(home.root, "report", "weekly", "--seller", "A9NOBODY")
    assert r.returncode == 2 and "unknown seller 'A9NOBODY'" in r.stderr
    assert "Traceback" not in r.stderr
    r = run_reclaim(home.root, "report", "weekly", "--seller", ME, "--week", "2026-W99")
    assert r.returncode == 2 and "no ISO week 99" in r.stderr and "Traceback" not in r.stderr
    r = run_reclaim(
        home.root,
        "invoice",
        "--seller",
        ME,
        "--period-start",
        "2026-11-16",
        "--period-end",
        "2026-11-29",
    )
    assert r.returncode == 0, r.stderr
    assert "fee due 3.20 at 20.00%" in r.stdout
    r = run_reclaim(
        home.root,
        "invoice",
        "--seller",
        ME,
        "--period-start",
        "2026-11-30",
        "--period-end",
        "2026-11-01",
    )
    assert r.returncode == 2 and "before it starts" in r.stderr and "Traceback" not in r.stderr
    r = run_reclaim(
        home.root,
        "invoice",
        "--seller",
        ME,
        "--period-start",
        "yesterday",
        "--period-end",
        "2026-11-01",
    )
    assert r.returncode == 2 and "not a date" in r.stderr
    for args in (("report", "weekly", "--help"), ("invoice", "--help")):
        assert run_reclaim(home.root, *args).returncode == 0


def test_sellers_json_keeps_recovery_settings_readable(tmp_path):
    """The registry round-trips the settings (json), so a human edit stays a human edit."""
    registry = SellerRegistry(tmp_path)
    s = registry.ensure("A1LIFE")
    s.settings = {"recovery": {"fee_percentage": "17.5", "excluded_skus": ["SAMPLE-1"]}}
    registry.upsert(s)
    data = json.loads((tmp_path / "sellers.json").read_text())
    assert data["sellers"][0]["settings"]["recovery"]["fee_percentage"] == "17.5"
    assert registry.get("A1LIFE").recovery.fee_percentage == Decimal("17.50")


@pytest.mark.slow
def test_export_applies_the_sellers_settings_and_batches_cases(built, tmp_path):
    """The default export is what the agency files now: OTHER excludes WIDGET-BLUE, does not
    claim under 13.00 and files one claim per case; held-back claims are counted, --all has
    them all."""
    home, _, _ = built
    with duckdb.connect(str(home.serving), read_only=True) as con:
        ready = con.execute(
            "select claim_id, sku, amount from marts.fct_claims "
            "where seller_id = ? and status = 'ready'",
            [OTHER],
        ).fetchall()
    to_file = {cid for cid, sku, amount in ready if sku != "WIDGET-BLUE" and amount >= 13}
    held_sku = sum(1 for _, sku, _ in ready if sku == "WIDGET-BLUE")
    held_min = sum(1 for _, _, amount in ready if amount < 13)
    assert to_file and held_sku and held_min  # the fixture exercises every branch

    out = tmp_path / "other.csv"
    r = run_reclaim(home.root, "claims", "export", "--seller", OTHER, "--out", str(out))
    assert r.returncode == 0, r.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert {x["claim_id"] for x in rows} == to_file
    batches = list(csv.DictReader(out.with_name("other.case-batches.csv").open(encoding="utf-8")))
    assert len(batches) == len(to_file)  # max_items_per_case 1
    assert {b["claim_ids"] for b in batches} == to_file
    assert all(b["case_batch"].startswith(b["claim_type"] + "-ATVPDKIKX0DER-") for b in batches)
    assert f"in {len(to_file)} Seller Support case batch(es)" in r.stdout
    assert f"{held_sku} ready claim(s) held back: SKU excluded by the seller" in r.stdout
    assert f"{held_min} ready claim(s) held back: below the seller's minimum" in r.stdout

    # ME has default filters: every ready claim, batched per type (max 10 per case)
    mine = tmp_path / "mine.csv"
    r = run_reclaim(home.root, "claims", "export", "--seller", ME, "--out", str(mine))
    with duckdb.connect(str(home.serving), read_only=True) as con:
        (n_ready,) = con.execute(
            "select count(*) from marts.fct_claims where seller_id = ? and status = 'ready'",
            [ME],
        ).fetchone()
    assert r.returncode == 0 and len(list(csv.DictReader(mine.open()))) == n_ready
    assert "held back" not in r.stdout

    everything = tmp_path / "all.csv"
    r = run_reclaim(
        home.root, "claims", "export", "--seller", OTHER, "--out", str(everything), "--all"
    )
    skus = {x["sku"] for x in csv.DictReader(everything.open(encoding="utf-8"))}
    assert "WIDGET-BLUE" in skus and not everything.with_name("all.case-batches.csv").exists()


@pytest.mark.slow
def test_invoice_register_bills_a_payment_once_and_refuses_overlaps_and_the_future(built, tmp_path):
    src, _, _ = built
    home = ReclaimHome(tmp_path / "home")  # a copy: the register is state of its own
    shutil.copytree(src.serving.parent, home.serving.parent)
    (home.root / "state").mkdir()
    today = date(2026, 12, 1)
    first = write_invoice(home, ME, date(2026, 11, 16), date(2026, 11, 22), today=today)
    assert first.number == f"{ME}-0001"
    assert [t.recovered for t in first.totals] == [Decimal("28.50")]
    register = json.loads((home.state / "invoices.json").read_text())["invoices"]
    assert [(e["number"], e["period_start"], e["period_end"]) for e in register] == [
        (f"{ME}-0001", "2026-11-16", "2026-11-22")
    ]
    assert len(register[0]["payments"]) == 2

    # The same period again is the same invoice, not a second bill.
    again = write_invoice(home, ME, "2026-11-16", "2026-11-22", today=today)
    assert again.number == first.number and again.totals == first.totals
    # Overlapping periods and periods not over yet are refused, naming why.
    with pytest.raises(ReportError, match=rf"overlaps invoice {ME}-0001"):
        write_invoice(home, ME, "2026-11-20", "2026-11-26", today=today)
    with pytest.raises(ReportError, match="has not ended yet"):
        write_invoice(home, ME, "2026-11-30", "2026-12-06", today=today)
    r = run_reclaim(
        home.root,
        "invoice",
        "--seller",
        ME,
        "--period-start",
        "2026-11-01",
        "--period-end",
        "2099-11-30",
    )
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "has not ended yet" in r.stderr

    # The next period gets the next number and bills only its own (the reversal credit).
    second = write_invoice(home, ME, "2026-11-23", "2026-11-29", today=today)
    assert second.number == f"{ME}-0002"
    assert [(t.recovered, t.reversed) for t in second.totals] == [
        (Decimal("0.00"), Decimal("-12.50"))
    ]
    # A payment already on an invoice is never billed again, even if its period is re-issued
    # with it recorded elsewhere (e.g. an approval date Amazon later corrected).
    entries = json.loads((home.state / "invoices.json").read_text())
    entries["invoices"][1]["payments"] += entries["invoices"][0]["payments"]
    (home.state / "invoices.json").write_text(json.dumps(entries))
    reissued = write_invoice(home, ME, "2026-11-16", "2026-11-22", today=today)
    assert reissued.number == first.number and reissued.totals == []
    # The other seller numbers its own invoices.
    assert write_invoice(home, OTHER, "2026-11-16", "2026-11-22", today=today).number == (
        f"{OTHER}-0001"
    )


def test_invoice_register_from_before_issue_dates_still_loads(tmp_path):
    old = {
        "invoices": [
            {
                "number": f"{ME}-0001",
                "seller_id": ME,
                "period_start": "2026-11-16",
                "period_end": "2026-11-22",
                "issued_at": "2026-11-24T07:00:03Z",
                "payments": [],
            }
        ]
    }
    (tmp_path / "invoices.json").write_text(json.dumps(old))
    register = InvoiceRegister(tmp_path)
    (entry,) = register.load()
    assert entry["issued_on"] == date(2026, 11, 24) and "due_on" not in entry
    register.save([entry])
    saved = json.loads((tmp_path / "invoices.json").read_text())["invoices"][0]
    assert (
        saved["issued_on"] == "2026-11-24" and saved["issued_at"] == old["invoices"][0]["issued_at"]
    )


@pytest.mark.slow
def test_invoice_register_keeps_the_issue_date_and_dues_it_after_the_terms(built, tmp_path):
    src, _, _ = built
    home = ReclaimHome(tmp_path / "home")  # a copy: the register and registry are changed
    shutil.copytree(src.serving.parent, home.serving.parent)
    (home.root / "state").mkdir()
    shutil.copy(src.state / "sellers.json", home.state / "sellers.json")
    registry = SellerRegistry(home.state)
    registry.set_agency(
        {
            "name": "Reclaim Partners Ltd",
            "address": ["1 Dock Road", "Bristol BS1 4AA"],
            "email": "billing@reclaim.example",
            "payment_terms_days": 21,
        }
    )
    # No terms of the seller's own: the agency's 21 days; no bill_to: the seller's name.
    first = write_invoice(home, ME, "2026-11-16", "2026-11-22", today=date(2026, 12, 1))
    assert (first.issued_on, first.due_on, first.payment_terms_days) == (
        date(2026, 12, 1),
        date(2026, 12, 22),
        21,
    )
    assert first.bill_to == ("Life & Co",) and first.agency.name == "Reclaim Partners Ltd"
    (entry,) = json.loads((home.state / "invoices.json").read_text())["invoices"]
    assert (entry["issued_on"], entry["due_on"], entry["payment_terms_days"]) == (
        "2026-12-01",
        "2026-12-22",
        21,
    )

    # Re-issued later with the seller's own terms: the issue date stays, the due date follows.
    seller = registry.get(ME)
    seller.settings["recovery"].update(
        {"bill_to": ["Life & Co Ltd", "1 Market Street", "Leeds LS1 1AA"], "payment_terms_days": 30}
    )
    registry.upsert(seller)
    again = write_invoice(home, ME, "2026-11-16", "2026-11-22", today=date(2026, 12, 9))
    assert again.number == first.number
    assert (again.issued_on, again.due_on) == (date(2026, 12, 1), date(2026, 12, 31))
    html = again.html_path.read_text(encoding="utf-8")
    for text in (
        "Reclaim Partners Ltd",
        "1 Dock Road",
        "billing@reclaim.example",
        "Life &amp; Co Ltd",
        "Leeds LS1 1AA",
        "2026-12-01",
        "2026-12-31",
        "Payment terms: 30 days",
    ):
        assert text in html, text
    # The CSV contract is unchanged: the same columns.
    header = again.csv_path.read_text(encoding="utf-8").splitlines()[0]
    assert tuple(header.split(",")) == CSV_COLUMNS
    # A new invoice is issued (and due) from its own day.
    second = write_invoice(home, ME, "2026-11-23", "2026-11-29", today=date(2026, 12, 10))
    assert (second.issued_on, second.due_on) == (date(2026, 12, 10), date(2027, 1, 9))

    # Without an agency, the invoice says it is not set and invents nothing.
    registry.set_agency(None)
    bare = write_invoice(home, ME, "2026-11-16", "2026-11-22", today=date(2026, 12, 11))
    html = bare.html_path.read_text(encoding="utf-8")
    assert "Agency details not set (state/sellers.json → agency)" in html
    assert "1 Dock Road" not in html and bare.due_on == date(2026, 12, 31)


@pytest.mark.slow
def test_unknown_seller_or_claim_id_is_one_line_and_writes_nothing(built, tmp_path):
    home, _, _ = built
    out = tmp_path / "typo.csv"
    r = run_reclaim(home.root, "claims", "export", "--seller", "A1TYPO", "--out", str(out))
    assert r.returncode == 2 and not out.exists()
    (line,) = r.stderr.strip().splitlines()
    assert "unknown seller 'A1TYPO'" in line and f"{ME}, {OTHER}" in line
    r = run_reclaim(home.root, "claims", "review", "CLM-0000000000000000", "--approve")
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "claim_id 'CLM-0000000000000000': no such claim" in r.stderr


@pytest.mark.slow
def test_claims_list_and_show_find_a_claim_with_its_history(built):
    home, mine, _ = built
    r = run_reclaim(home.root, "claims", "show", "c-100", "--seller", ME)
    assert r.returncode == 0, r.stderr
    assert mine["5550001"] in r.stdout and OTHER not in r.stdout
    assert "file -> filed" in r.stdout and "case C-100" in r.stdout
    assert "recovered  9200002  USD 12.50" in r.stdout and "reversed  9200003" in r.stdout
    r = run_reclaim(home.root, "claims", "show", "X002BBBBBB", "--seller", ME)
    assert r.returncode == 0 and mine["5550003"] in r.stdout
    r = run_reclaim(home.root, "claims", "show", "NO-SUCH-THING")
    assert r.returncode == 2 and "no claim matches 'NO-SUCH-THING'" in r.stderr
    r = run_reclaim(home.root, "claims", "list", "--seller", ME, "--status", "ready")
    assert r.returncode == 0, r.stderr
    listed = [line.split()[0] for line in r.stdout.splitlines()[1:-1]]
    assert listed and mine["5550001"] not in listed
    r = run_reclaim(home.root, "claims", "list", "--seller", "A1TYPO")
    assert r.returncode == 2 and "unknown seller 'A1TYPO'" in r.stderr
