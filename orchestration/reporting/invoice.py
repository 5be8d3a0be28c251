"""The invoice per seller and period: what the agency bills for the money its cases recovered.

Lines come from marts.fct_recovery_invoice_lines (the rule lives in dbt): every reimbursement
line paid under a case we filed, at the seller's fee percentage, and a credit for every reversal
of such a line, in the period its approval date falls in. Automatic payments are never billed.
The recoveries reconcile to the reimbursements report (`reconcile`), shown on the invoice.

RECLAIM_HOME/invoices/<seller>/invoice-<start>_<end>.html and .csv, written atomically; CSV
cells that would start a spreadsheet formula are neutralised.

The invoice register, RECLAIM_HOME/state/invoices.json (human-facing record, never rebuilt),
holds every invoice issued: its number, seller, period and the payments it billed. Invoice
numbers come from it (<seller>-<n>, n counting that seller's invoices); a payment is billed on one
invoice only, ever; a seller's periods never overlap (issuing the same period again re-issues
the same number); a period that has not ended yet is refused. Each entry also records its issue
date (issued_on: the first issue, kept when the period is re-issued; registers from before it
was recorded take the date of issued_at) and its due date (due_on = issued_on + the seller's
payment terms at the latest issue, also recorded as payment_terms_days).

Who bills and who is billed come from the seller registry: its top-level `agency` (name,
address, email, tax id, default payment terms) and the seller's `settings.recovery.bill_to` and
`payment_terms_days`. Without an agency the invoice says so rather than invent one.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orchestration.exports import neutralise
from orchestration.home import ReclaimHome
from orchestration.reporting.common import (
    ReportError,
    connect,
    jinja_env,
    require_seller,
    require_table,
    rows_as_dicts,
    write_atomic,
)
from orchestration.reporting.settings import DEFAULT_PAYMENT_TERMS_DAYS, Agency

CSV_COLUMNS = (
    "invoice_number",
    "seller_id",
    "line_kind",
    "approval_date",
    "reimbursement_id",
    "original_reimbursement_id",
    "case_id",
    "claim_ids",
    "claim_type",
    "reason",
    "sku",
    "currency",
    "billable_amount",
    "fee_percentage",
    "fee_amount",
)


@dataclass
class CurrencyTotals:
    currency: str
    recovered: Decimal = Decimal("0.00")
    reversed: Decimal = Decimal("0.00")  # negative
    fee_on_recovered: Decimal = Decimal("0.00")
    fee_credits: Decimal = Decimal("0.00")  # negative

    @property
    def net_billable(self) -> Decimal:
        return self.recovered + self.reversed

    @property
    def fee_due(self) -> Decimal:
        return self.fee_on_recovered + self.fee_credits


@dataclass
class Reconciliation:
    currency: str
    report_lines: int
    report_total: Decimal
    invoiced_total: Decimal

    @property
    def ok(self) -> bool:
        return self.report_total == self.invoiced_total


@dataclass
class Invoice:
    number: str
    seller_id: str
    seller_name: str
    period_start: date
    period_end: date
    fee_percentage: Decimal | None
    lines: list[dict]
    totals: list[CurrencyTotals]
    reconciliation: list[Reconciliation] = field(default_factory=list)
    agency: Agency | None = None
    bill_to: tuple[str, ...] = ()
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    issued_on: date | None = None  # None: a draft, not in the register
    due_on: date | None = None
    html_path: Path | None = None
    csv_path: Path | None = None


def parse_period(start: str | date, end: str | date) -> tuple[date, date]:
    try:
        s = start if isinstance(start, date) else date.fromisoformat(str(start))
        e = end if isinstance(end, date) else date.fromisoformat(str(end))
    except ValueError as exc:
        raise ReportError(f"bad period date: {exc} (use YYYY-MM-DD)") from None
    if e < s:
        raise ReportError(f"the period ends ({e}) before it starts ({s})")
    return s, e


def previous_period(cadence: str, run_day: date) -> tuple[date, date] | None:
    """The billing period that ended just before run_day (a Monday run): the previous ISO week
    for weekly billing; the previous calendar month for monthly billing, on the first run day
    of a month only (None otherwise: nothing to bill that day)."""
    if cadence == "monthly":
        if run_day.day > 7:
            return None
        end = run_day.replace(day=1) - timedelta(days=1)
        return end.replace(day=1), end
    monday = run_day - timedelta(days=run_day.weekday())
    return monday - timedelta(days=7), monday - timedelta(days=1)


def reconcile(con, seller_id: str, start: date, end: date, lines: list[dict]) -> list:
    """Cross-check against the reimbursements report itself (staging): the payment lines whose
    case id is one of the seller's filed cases, approved in the period, must add up to the
    invoiced recoveries, per currency."""
    rows = con.execute(
        """
        select currency_unit, count(*), coalesce(sum(amount_total), 0)
        from staging.stg_amazon__reimbursements
        where seller_id = ? and approval_date between ? and ?
          and reason != 'Reimbursement_Reversal'
          and nullif(trim(case_id), '') in (
              select case_id from marts.fct_claims where seller_id = ? and case_id is not null)
        group by currency_unit
        """,
        [seller_id, start, end, seller_id],
    ).fetchall()
    invoiced: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        if line["line_kind"] == "recovery":
            invoiced[line["currency"] or ""] += line["billable_amount"]
    report = {(c or ""): (n, Decimal(t)) for c, n, t in rows}
    return [
        Reconciliation(
            c,
            report.get(c, (0, Decimal(0)))[0],
            report.get(c, (0, Decimal(0)))[1],
            invoiced.get(c, Decimal(0)),
        )
        for c in sorted(set(report) | set(invoiced))
    ]


REGISTER_FILE = "invoices.json"


def _payment_key(line: dict) -> str:
    """One payment of the reimbursements report, as the register remembers it."""
    return f"{line['line_kind']}:{line['reimbursement_id']}:{line['fnsku'] or line['sku'] or ''}"


class InvoiceRegister:
    """state/invoices.json: the invoices issued, with the payments each billed."""

    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / REGISTER_FILE

    def load(self) -> list[dict]:
        if not self.path.exists():
            return []
        try:
            entries = json.loads(self.path.read_text(encoding="utf-8"))["invoices"]
            for e in entries:
                e["period_start"] = date.fromisoformat(e["period_start"])
                e["period_end"] = date.fromisoformat(e["period_end"])
                e["payments"] = list(e["payments"])
                # Registers from before issue dates were recorded: the day of issued_at.
                e["issued_on"] = date.fromisoformat(e.get("issued_on") or e["issued_at"][:10])
                if e.get("due_on") is not None:
                    e["due_on"] = date.fromisoformat(e["due_on"])
                if not isinstance(e["number"], str) or not isinstance(e["seller_id"], str):
                    raise TypeError("number and seller_id must be text")
        except (ValueError, KeyError, TypeError) as exc:
            raise ReportError(f"{self.path}: not a valid invoice register ({exc!r})") from None
        return entries

    def save(self, entries: list[dict]) -> None:
        data = {
            "invoices": [
                {
                    **e,
                    "period_start": e["period_start"].isoformat(),
                    "period_end": e["period_end"].isoformat(),
                    **{
                        k: e[k].isoformat()
                        for k in ("issued_on", "due_on")
                        if isinstance(e.get(k), date)
                    },
                }
                for e in entries
            ]
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
            os.replace(tmp, self.path)
        finally:
            if tmp.exists():
                tmp.unlink()


def check_period(
    entries: list[dict], seller_id: str, start: date, end: date, today: date
) -> dict | None:
    """The register entry this period re-issues (same seller and period), or None for a new
    invoice; ReportError for a period not over yet or overlapping another invoice."""
    if end >= today:
        raise ReportError(
            f"the period {start} to {end} has not ended yet (today is {today}): "
            "invoice it once it is over"
        )
    for e in entries:
        if e["seller_id"] != seller_id:
            continue
        if (e["period_start"], e["period_end"]) == (start, end):
            return e
        if start <= e["period_end"] and end >= e["period_start"]:
            raise ReportError(
                f"the period {start} to {end} overlaps invoice {e['number']} "
                f"({e['period_start']} to {e['period_end']}) of seller {seller_id}"
            )
    return None


def build_invoice(home: ReclaimHome, seller_id: str, start: date, end: date) -> Invoice:
    start, end = parse_period(start, end)
    with connect(home.serving) as con:
        seller = require_seller(con, home.state, seller_id)
        require_table(con, "marts.fct_recovery_invoice_lines")
        lines = rows_as_dicts(
            con.execute(
                "select * from marts.fct_recovery_invoice_lines where seller_id = ? "
                "and approval_date between ? and ? "
                "order by approval_date, line_kind, case_id, reimbursement_id, _row_number",
                [seller_id, start, end],
            )
        )
        fee = con.execute(
            "select max(fee_percentage) from marts.dim_seller_recovery_settings "
            "where seller_id = ?",
            [seller_id],
        ).fetchone()[0]
        recon = reconcile(con, seller_id, start, end, lines)
    if fee is None and seller is not None:
        fee = seller.recovery.fee_percentage  # registered after the last build
    from orchestration.sellers import SellerRegistry

    agency = SellerRegistry(home.state).agency()
    settings = seller.recovery if seller is not None else None
    seller_name = seller.name if seller and seller.name else seller_id
    terms = (
        settings.payment_terms_days
        if settings is not None and settings.payment_terms_days is not None
        else agency.payment_terms_days
        if agency is not None
        else DEFAULT_PAYMENT_TERMS_DAYS
    )
    if lines and any(line["fee_amount"] is None for line in lines):
        raise ReportError(
            f"seller {seller_id} has no recovery settings in the warehouse: register it and "
            "run `reclaim build` before invoicing"
        )
    number = f"{seller_id}-{start:%Y%m%d}-{end:%Y%m%d}"  # a draft's; write_invoice registers
    return Invoice(
        number=number,
        seller_id=seller_id,
        seller_name=seller_name,
        period_start=start,
        period_end=end,
        fee_percentage=fee,
        lines=lines,
        totals=_totals(lines),
        reconciliation=recon,
        agency=agency,
        bill_to=(settings.bill_to if settings is not None and settings.bill_to else ())
        or (seller_name,),
        payment_terms_days=terms,
    )


def invoice_csv(invoice: Invoice) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for line in invoice.lines:
        record = {**line, "invoice_number": invoice.number}
        writer.writerow(
            ["" if record[c] is None else neutralise(str(record[c])) for c in CSV_COLUMNS]
        )
    return buf.getvalue()


def _totals(lines: list[dict]) -> list[CurrencyTotals]:
    totals: dict[str, CurrencyTotals] = {}
    for line in lines:
        t = totals.setdefault(line["currency"] or "", CurrencyTotals(line["currency"] or ""))
        if line["line_kind"] == "recovery":
            t.recovered += line["billable_amount"]
            t.fee_on_recovered += line["fee_amount"]
        else:
            t.reversed += line["billable_amount"]
            t.fee_credits += line["fee_amount"]
    return [totals[c] for c in sorted(totals)]


def write_invoice(
    home: ReclaimHome,
    seller_id: str,
    start: date | str,
    end: date | str,
    out_dir: Path | None = None,
    today: date | None = None,
) -> Invoice:
    """Issue (or re-issue) the invoice of a period through the register (state/invoices.json):
    payments another invoice billed are left out, the number is the register's."""
    start, end = parse_period(start, end)
    today = today or datetime.now(UTC).date()
    register = InvoiceRegister(home.state)
    entries = register.load()
    entry = check_period(entries, seller_id, start, end, today)
    invoice = build_invoice(home, seller_id, start, end)
    billed_elsewhere = {
        key
        for e in entries
        if e is not entry and e["seller_id"] == seller_id
        for key in e["payments"]
    }
    invoice.lines = [line for line in invoice.lines if _payment_key(line) not in billed_elsewhere]
    invoice.totals = _totals(invoice.lines)
    if entry is None:
        n = 1 + sum(e["seller_id"] == seller_id for e in entries)
        entry = {
            "number": f"{seller_id}-{n:04d}",
            "seller_id": seller_id,
            "period_start": start,
            "period_end": end,
            "issued_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "issued_on": today,
            "payments": [],
        }
        entries.append(entry)
    entry["payments"] = sorted({_payment_key(x) for x in invoice.lines})
    entry["payment_terms_days"] = invoice.payment_terms_days
    entry["due_on"] = entry["issued_on"] + timedelta(days=invoice.payment_terms_days)
    invoice.number = entry["number"]
    invoice.issued_on, invoice.due_on = entry["issued_on"], entry["due_on"]
    folder = Path(out_dir) if out_dir else home.root / "invoices" / seller_id
    stem = f"invoice-{invoice.period_start.isoformat()}_{invoice.period_end.isoformat()}"
    html = (
        jinja_env()
        .get_template("invoice.html.j2")
        .render(inv=invoice, generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))
    )
    invoice.csv_path = write_atomic(folder / f"{stem}.csv", invoice_csv(invoice))
    invoice.html_path = write_atomic(folder / f"{stem}.html", html)
    register.save(entries)
    return invoice
