"""Claim exports: the contract columns (DESIGN.md), one seller at a time, written atomically."""

from __future__ import annotations

import csv
import os
import uuid
from dataclasses import dataclass
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
FORMATS = ("csv",)
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


def export_claims(
    db: Path, seller_id: str, out: Path, fmt: str = "csv", include_all: bool = False
) -> ExportResult:
    if fmt not in FORMATS:
        raise ExportError(f"unsupported format {fmt!r}; choose one of {', '.join(FORMATS)}")
    rows = fetch_claims(db, seller_id, include_all)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(EXPORT_COLUMNS)
            for row in rows:
                writer.writerow(["" if v is None else neutralise(str(v)) for v in row])
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            tmp.unlink()
    return ExportResult(out, len(rows))
