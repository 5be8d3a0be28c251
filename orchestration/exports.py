"""Claim exports: the contract columns (DESIGN.md), one seller at a time, written atomically, as
CSV, XLSX, Parquet or JSON Lines.

The default export is what the agency files now: ready claims that pass the seller's recovery
settings (claim types enabled, SKUs excluded, minimum claim value, grace days), in Seller
Support case batches (marts.fct_recovery_open_claims: per marketplace and claim type, deadline
first, at most max_items_per_case each). The rows are a case manager's queue: deadline first
across claim types, then amount (largest first), then claim id. A sidecar
`<name>.case-batches.csv` lists each batch (in the same order, by its first deadline) with its
claim ids, units, value, first deadline and one paste-ready case text in Amazon's words; an
XLSX export carries the batches as its own sheet "cases".
Claims held back by the settings are counted, never dropped silently; `--all` exports every claim
of every status, unfiltered."""

from __future__ import annotations

import csv
import json
import os
import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb

EXPORT_COLUMNS = (
    "claim_id",
    "seller_id",
    "marketplace_id",
    "claim_type",
    "status",
    "fnsku",
    "sku",
    "asin",
    "order_id",
    "shipment_id",
    "removal_order_id",
    "reference_id",
    "fulfillment_center_id",
    "event_date",
    "quantity",
    "unit_value",
    "amount",
    "currency",
    "eligible_from",
    "deadline",
    "evidence",
    "case_text",
)
FORMATS = ("csv", "xlsx", "parquet", "jsonl")
_SUFFIX_FORMATS = {".csv": "csv", ".xlsx": "xlsx", ".parquet": "parquet", ".jsonl": "jsonl"}
# Column types of the contract, for the typed formats (Parquet; XLSX cells).
_DATE_COLUMNS = ("event_date", "eligible_from", "deadline")
_MONEY_COLUMNS = {"unit_value": 4, "amount": 2}
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class ExportError(RuntimeError):
    pass


@dataclass
class ExportResult:
    path: Path
    rows: int
    batches_path: Path | None = None
    batches: int = 0
    # ready claims the seller's recovery settings hold back, by reason
    held_back: dict[str, int] = field(default_factory=dict)


BATCH_COLUMNS = (
    "case_batch",
    "seller_id",
    "marketplace_id",
    "claim_type",
    "claims",
    "quantity",
    "amount",
    "currency",
    "first_deadline",
    "claim_ids",
    "case_text",
)
# The case manager's queue: deadline first across claim types, then the biggest, then the id.
_QUEUE_ORDER = "c.deadline nulls last, c.amount desc nulls last, c.claim_id"
# Each claim type in Seller Support's words: the case subject and what we ask for.
_CASE_WORDING = {
    "warehouse_lost": (
        "Lost inventory in the fulfillment center",
        "Please locate these units or reimburse them",
    ),
    "warehouse_damaged": (
        "Inventory damaged in the fulfillment center",
        "Please reimburse these damaged units",
    ),
    "disposed_unauthorized": (
        "Inventory disposed of without a removal order from us",
        "Please reimburse these disposed units",
    ),
    "refund_not_returned": (
        "Customer refunds without the item returned",
        "Please reimburse these units, which were refunded and not returned to our inventory",
    ),
    "return_damaged_unreimbursed": (
        "Customer returns received damaged by Amazon or the carrier",
        "Please reimburse these returned units",
    ),
    "refund_exceeds_charge": (
        "Refunds above the amount charged",
        "Please reimburse the amount refunded above the amount charged",
    ),
    "inbound_shortage": (
        "Units missing from inbound shipments",
        "Please reconcile these shipments and reimburse the units not received",
    ),
    "removal_unaccounted": (
        "Units missing from removal orders",
        "Please locate these units or reimburse them",
    ),
    "fulfillment_fee_overcharge": (
        "FBA fulfillment fee overcharges",
        "Please re-measure these items and refund the fulfillment fees charged above the "
        "correct size tier",
    ),
    "storage_fee_overcharge": (
        "Monthly storage fee overcharges",
        "Please review these storage fees and refund the amount charged above the correct fee",
    ),
    "reimbursement_underpaid": (
        "Reimbursements paid below the item's value",
        "Please re-evaluate these reimbursements and pay the difference",
    ),
    "reversal_unjustified": (
        "Reimbursements reversed without the item being found or returned",
        "Please reinstate these reimbursements",
    ),
}
# Why a ready claim is not in the default export (fct_recovery_open_claims flags), in the order
# the reasons are reported.
_HOLD_REASONS = (
    ("claim type not enabled for the seller", "not claim_type_enabled"),
    ("SKU excluded by the seller", "sku_excluded"),
    ("below the seller's minimum claim value", "below_minimum_value"),
    ("within the seller's grace days", "file_from > as_of"),
)


def neutralise(value):
    """Spreadsheet-safe text: a cell that would start a formula gets a leading apostrophe, unless
    it is a plain number (negative amounts stay numbers)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        try:
            float(value)
            return value
        except ValueError:
            return "'" + value
    return value


def fetch_claims(db: Path, seller_id: str, include_all: bool = False) -> list[tuple]:
    return _fetch(db, seller_id, include_all)[0]


def _has_table(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def _fetch(
    db: Path, seller_id: str, include_all: bool, con: duckdb.DuckDBPyConnection | None = None
) -> tuple[list[tuple], list[tuple], dict[str, int]]:
    """(claim rows, case batches, held back by reason) for one seller; `con`: an open read-only
    connection to `db` to reuse (exporting every seller of a build), else one is opened."""
    if con is None:
        if not Path(db).exists():
            raise ExportError(f"no warehouse at {db}: run `reclaim build` first")
        with duckdb.connect(str(db), read_only=True) as own:
            return _fetch(db, seller_id, include_all, own)
    cols = ", ".join(f"c.{c}" for c in EXPORT_COLUMNS)
    if not _has_table(con, "marts", "fct_claims"):
        raise ExportError(f"{db} has no marts.fct_claims: run `reclaim build` first")
    if include_all:
        rows = con.execute(
            f"select {cols} from marts.fct_claims c where c.seller_id = ? order by {_QUEUE_ORDER}",
            [seller_id],
        ).fetchall()
        return rows, [], {}
    if not _has_table(con, "marts", "fct_recovery_open_claims"):
        # A warehouse built before the recovery marts: ready claims, unbatched.
        rows = con.execute(
            f"select {cols} from marts.fct_claims c where c.seller_id = ? "
            f"and c.status = 'ready' order by {_QUEUE_ORDER}",
            [seller_id],
        ).fetchall()
        return rows, [], {}
    rows = con.execute(
        f"""
        select {cols}
        from marts.fct_claims c
        join marts.fct_recovery_open_claims o on o.claim_id = c.claim_id
        where c.seller_id = ? and c.status = 'ready' and o.to_file
        order by {_QUEUE_ORDER}
        """,
        [seller_id],
    ).fetchall()
    batches = con.execute(
        f"""
        select o.case_batch, o.seller_id, o.marketplace_id, o.claim_type, count(*),
               sum(o.quantity), sum(o.amount), min(o.currency), min(o.deadline),
               string_agg(o.claim_id, ';' order by {_QUEUE_ORDER})
        from marts.fct_recovery_open_claims o
        join marts.fct_claims c on c.claim_id = o.claim_id
        where o.seller_id = ? and o.status = 'ready' and o.to_file
        group by o.case_batch, o.seller_id, o.marketplace_id, o.claim_type
        order by min(o.deadline), sum(o.amount) desc nulls last, o.case_batch
        """,
        [seller_id],
    ).fetchall()
    by_id = {r[0]: r for r in rows}
    batches = [
        (*b, case_batch_text(b, [by_id[cid] for cid in b[9].split(";") if cid in by_id]))
        for b in batches
    ]
    held = {}
    for reason, condition in _HOLD_REASONS:
        n = con.execute(
            "select count(*) from marts.fct_recovery_open_claims "
            f"where seller_id = ? and status = 'ready' and not to_file and ({condition})",
            [seller_id],
        ).fetchone()[0]
        if n:
            held[reason] = n
    return rows, batches, held


def _money(amount, currency) -> str:
    return f"{currency or ''} {Decimal(amount or 0):,.2f}".strip()


def case_batch_text(batch: tuple, claims: list[tuple]) -> str:
    """One paste-ready Seller Support case for a batch: subject, each claim's id and facts, the
    total and the ask, in Amazon's words (claim rows in EXPORT_COLUMNS order)."""
    claim_type, currency, total = batch[3], batch[7], batch[6]
    subject, ask = _CASE_WORDING.get(
        claim_type, (str(claim_type).replace("_", " ").capitalize(), "Please reimburse")
    )
    lines = [
        f"Subject: {subject}: {len(claims)} item(s), {_money(total, currency)}",
        "",
        "Hello Seller Support,",
        "",
        f"{ask}. The details of each item:",
        "",
    ]
    for n, row in enumerate(claims, start=1):
        c = dict(zip(EXPORT_COLUMNS, row, strict=True))
        facts = []
        if c["fnsku"] or c["sku"]:
            product = f"FNSKU {c['fnsku']}" if c["fnsku"] else f"SKU {c['sku']}"
            if c["fnsku"] and c["sku"]:
                product += f" (SKU {c['sku']})"
            facts.append(product)
        for key, label in (
            ("order_id", "order"),
            ("shipment_id", "shipment"),
            ("removal_order_id", "removal order"),
            ("reference_id", "reference ID"),
            ("fulfillment_center_id", "fulfillment center"),
        ):
            if c[key]:
                facts.append(f"{label} {c[key]}")
        if c["event_date"]:
            facts.append(f"on {c['event_date']}")
        if c["quantity"] is not None:
            each = f" at {_money(c['unit_value'], c['currency'])} each" if c["unit_value"] else ""
            facts.append(f"{c['quantity']} unit(s){each}")
        lines.append(
            f"{n}. {c['claim_id']}: " + ", ".join(facts) + f": {_money(c['amount'], c['currency'])}"
        )
    lines += [
        "",
        f"Total requested: {_money(total, currency)}.",
        "",
        f"{ask}. Thank you.",
    ]
    return "\n".join(lines)


def format_for(out: Path, fmt: str | None) -> str:
    """The export format: as given, else from the file suffix, else CSV."""
    if fmt:
        if fmt not in FORMATS:
            raise ExportError(f"unsupported format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    return _SUFFIX_FORMATS.get(Path(out).suffix.lower(), "csv")


def export_claims(
    db: Path,
    seller_id: str,
    out: Path,
    fmt: str | None = "csv",
    include_all: bool = False,
    con: duckdb.DuckDBPyConnection | None = None,
) -> ExportResult:
    """Write one seller's claims (ready only unless `include_all`), deadline first, with the
    contract columns, atomically (a temporary file renamed into place). `con`: an open read-only
    connection to `db` to reuse across sellers."""
    fmt = format_for(out, fmt)
    rows, batches, held = _fetch(db, seller_id, include_all, con)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "xlsx":
        _atomic(out, lambda tmp: _write_xlsx(rows, tmp, None if include_all else batches))
    else:
        _atomic(out, lambda tmp: _WRITERS[fmt](rows, tmp))
    result = ExportResult(out, len(rows), batches=len(batches), held_back=held)
    if not include_all:
        result.batches_path = out.with_name(f"{out.stem}.case-batches.csv")
        _atomic(result.batches_path, lambda tmp: _write_batches(batches, tmp))
    return result


def _atomic(out: Path, write) -> None:
    """Write through a temporary file renamed into place: readers see the old file or the new."""
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        write(tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_batches(batches: list[tuple], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(BATCH_COLUMNS)
        for row in batches:
            writer.writerow(["" if v is None else neutralise(str(v)) for v in row])


def _write_csv(rows: list[tuple], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            writer.writerow(["" if v is None else neutralise(str(v)) for v in row])


_COLUMN_WIDTHS = {"claim_id": 22, "evidence": 40, "case_text": 80}
_CURRENCY_FORMAT = "#,##0.00"


def _xlsx_sheet(wb, title: str, columns, rows, money: dict[str, int]) -> None:
    """A sheet a case manager works from: frozen, filterable header, readable widths, money in a
    number format, dates as dates, text neutralised (openpyxl would store '=...' as a formula)."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
    for i, name in enumerate(columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = _COLUMN_WIDTHS.get(name, max(12, len(name) + 2))
        if name in money:
            fmt = _CURRENCY_FORMAT + ("00" if money[name] == 4 else "")
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = fmt
        elif name in _DATE_COLUMNS or name == "first_deadline":
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.number_format = "yyyy-mm-dd"
        elif name == "case_text":
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "A2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, len(rows) + 1)}"


def _write_xlsx(rows: list[tuple], path: Path, batches: list[tuple] | None = None) -> None:
    """Sheet "claims" (the contract columns) and, for the default export, sheet "cases" (one
    row per Seller Support case batch with its paste-ready case text)."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    _xlsx_sheet(wb, "claims", EXPORT_COLUMNS, rows, _MONEY_COLUMNS)
    if batches is not None:
        _xlsx_sheet(wb, "cases", BATCH_COLUMNS, batches, {"amount": 2})
    wb.save(path)


def _write_parquet(rows: list[tuple], path: Path) -> None:
    """Typed columns (DATE, DECIMAL money, BIGINT quantity), text exactly as in the warehouse:
    neutralising formulas is for spreadsheets, not for machine formats."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    fields = []
    for name in EXPORT_COLUMNS:
        if name in _DATE_COLUMNS:
            fields.append(pa.field(name, pa.date32()))
        elif name in _MONEY_COLUMNS:
            fields.append(pa.field(name, pa.decimal128(18, _MONEY_COLUMNS[name])))
        elif name == "quantity":
            fields.append(pa.field(name, pa.int64()))
        else:
            fields.append(pa.field(name, pa.string()))
    schema = pa.schema(fields)
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in EXPORT_COLUMNS]
    table = pa.table(
        {f.name: pa.array(list(col), type=f.type) for f, col in zip(fields, columns, strict=True)},
        schema=schema,
    )
    pq.write_table(table, path)


def _write_jsonl(rows: list[tuple], path: Path) -> None:
    """One JSON object per claim; money as exact decimal strings, dates ISO, evidence as the
    JSON object it is."""
    with open(path, "w", encoding="utf-8") as fh:
        for row in rows:
            record = {}
            for name, value in zip(EXPORT_COLUMNS, row, strict=True):
                if value is None:
                    record[name] = None
                elif name == "evidence":
                    record[name] = json.loads(value)
                elif isinstance(value, Decimal | date):
                    record[name] = str(value) if isinstance(value, Decimal) else value.isoformat()
                else:
                    record[name] = value
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


_WRITERS = {
    "csv": _write_csv,
    "xlsx": _write_xlsx,
    "parquet": _write_parquet,
    "jsonl": _write_jsonl,
}
