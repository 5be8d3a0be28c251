"""Claim exports: the contract columns (DESIGN.md), one seller at a time, written atomically, as
CSV, XLSX, Parquet or JSON Lines.

The default export is what the agency files now: ready claims that pass the seller's recovery
settings (claim types enabled, SKUs excluded, minimum claim value, grace days), in Seller
Support case batches (marts.fct_recovery_open_claims: per marketplace and claim type, deadline
first, at most max_items_per_case each). The rows come batch by batch, and a sidecar
`<name>.case-batches.csv` lists each batch with its claim ids, units, value and first deadline.
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
)
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
            f"select {cols} from marts.fct_claims c where c.seller_id = ? "
            "order by c.deadline, c.claim_id",
            [seller_id],
        ).fetchall()
        return rows, [], {}
    if not _has_table(con, "marts", "fct_recovery_open_claims"):
        # A warehouse built before the recovery marts: ready claims, unbatched.
        rows = con.execute(
            f"select {cols} from marts.fct_claims c where c.seller_id = ? "
            "and c.status = 'ready' order by c.deadline, c.claim_id",
            [seller_id],
        ).fetchall()
        return rows, [], {}
    rows = con.execute(
        f"""
        select {cols}
        from marts.fct_claims c
        join marts.fct_recovery_open_claims o on o.claim_id = c.claim_id
        where c.seller_id = ? and c.status = 'ready' and o.to_file
        order by o.case_batch, c.deadline, c.claim_id
        """,
        [seller_id],
    ).fetchall()
    batches = con.execute(
        """
        select case_batch, seller_id, marketplace_id, claim_type, count(*),
               sum(quantity), sum(amount), min(currency), min(deadline),
               string_agg(claim_id, ';' order by deadline, claim_id)
        from marts.fct_recovery_open_claims
        where seller_id = ? and status = 'ready' and to_file
        group by all
        order by case_batch
        """,
        [seller_id],
    ).fetchall()
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


def _write_xlsx(rows: list[tuple], path: Path) -> None:
    """Numbers and dates as typed cells; text neutralised like the CSV (openpyxl would store a
    text starting with '=' as a formula)."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("claims")
    ws.append(list(EXPORT_COLUMNS))
    for row in rows:
        ws.append([neutralise(v) if isinstance(v, str) else v for v in row])
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
