"""Claim exports: the contract columns (DESIGN.md), one seller at a time, written atomically, as
CSV, XLSX, Parquet or JSON Lines."""

from __future__ import annotations

import csv
import json
import os
import uuid
from dataclasses import dataclass
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
    if not Path(db).exists():
        raise ExportError(f"no warehouse at {db}: run `reclaim build` first")
    where = "seller_id = ?" + ("" if include_all else " and status = 'ready'")
    cols = ", ".join(EXPORT_COLUMNS)
    with duckdb.connect(str(db), read_only=True) as con:
        try:
            return con.execute(
                f"select {cols} from marts.fct_claims where {where} order by deadline, claim_id",
                [seller_id],
            ).fetchall()
        except duckdb.CatalogException as exc:
            raise ExportError(f"{db} has no marts.fct_claims: run `reclaim build` first") from exc


def format_for(out: Path, fmt: str | None) -> str:
    """The export format: as given, else from the file suffix, else CSV."""
    if fmt:
        if fmt not in FORMATS:
            raise ExportError(f"unsupported format {fmt!r}; choose one of {', '.join(FORMATS)}")
        return fmt
    return _SUFFIX_FORMATS.get(Path(out).suffix.lower(), "csv")


def export_claims(
    db: Path, seller_id: str, out: Path, fmt: str | None = "csv", include_all: bool = False
) -> ExportResult:
    """Write one seller's claims (ready only unless `include_all`), deadline first, with the
    contract columns, atomically (a temporary file renamed into place)."""
    fmt = format_for(out, fmt)
    rows = fetch_claims(db, seller_id, include_all)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        _WRITERS[fmt](rows, tmp)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return ExportResult(out, len(rows))


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
