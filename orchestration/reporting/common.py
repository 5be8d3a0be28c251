"""What the weekly report and the invoice share: reading the serving copy for one seller, ISO
weeks, atomic writes and the Jinja environment (autoescaped)."""

from __future__ import annotations

import os
import re
import uuid
from datetime import date, timedelta
from pathlib import Path

import duckdb

TEMPLATES = Path(__file__).parent / "templates"
_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")


class ReportError(RuntimeError):
    """A problem the user can fix (unknown seller, bad week, no warehouse yet)."""


def parse_week(value: str) -> date:
    """'2026-W47' -> the Monday of that ISO week."""
    m = _WEEK.match(value.strip())
    if not m:
        raise ReportError(f"{value!r} is not an ISO week YYYY-Www (e.g. 2026-W47)")
    try:
        return date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise ReportError(f"{value!r}: {m.group(1)} has no ISO week {m.group(2)}") from None


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def connect(serving: Path) -> duckdb.DuckDBPyConnection:
    if not Path(serving).exists():
        raise ReportError(f"no warehouse at {serving}: run `reclaim build` first")
    return duckdb.connect(str(serving), read_only=True)


def require_seller(con: duckdb.DuckDBPyConnection, state_dir: Path, seller_id: str):
    """The registry's Seller (None for a seller only known from its data); ReportError when the
    seller is neither registered nor in the warehouse."""
    from orchestration.sellers import SellerRegistry

    registry = SellerRegistry(state_dir)
    seller = registry.get(seller_id)
    if seller is not None:
        return seller
    try:
        known = con.execute(
            "select count(*) from marts.fct_claims where seller_id = ?", [seller_id]
        ).fetchone()[0]
    except duckdb.CatalogException as exc:
        raise ReportError("the warehouse has no claims yet: run `reclaim build` first") from exc
    landed = _sellers_with_landed_data(Path(state_dir).parent / "landing")
    if not known and seller_id not in landed:
        in_data = {
            r[0] for r in con.execute("select distinct seller_id from marts.fct_claims").fetchall()
        }
        sellers = sorted(in_data | landed | {s.seller_id for s in registry.load()})
        raise ReportError(
            f"unknown seller {seller_id!r} (known sellers: {', '.join(sellers) or 'none'})"
        )
    return None


def _sellers_with_landed_data(landing: Path) -> set[str]:
    """Sellers with anything landed (a seller whose files raise no claim is still known)."""
    return {
        d.name.split("=", 1)[1]
        for d in landing.glob("*/*/seller_id=*")
        if d.is_dir() and d.name.split("=", 1)[1]
    }


def require_table(con: duckdb.DuckDBPyConnection, table: str) -> None:
    schema, name = table.split(".")
    found = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()[0]
    if not found:
        raise ReportError(f"the warehouse has no {table}: run `reclaim build` first")


def rows_as_dicts(cursor) -> list[dict]:
    cols = [d[0] for d in cursor.description]
    return [dict(zip(cols, r, strict=True)) for r in cursor.fetchall()]


def jinja_env():
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=select_autoescape(["html", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = lambda v: "" if v is None else f"{v:,.2f}"
    env.filters["label"] = lambda v: "" if v is None else str(v).replace("_", " ")
    env.filters["num"] = lambda v: f"{v:.1f}".rstrip("0").rstrip(".")
    return env


def write_atomic(path: Path, text: str) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    return path
