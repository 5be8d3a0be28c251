"""Claim exports in every format: contract columns in order, one seller only, ready claims by
default, spreadsheet-safe text, exact money, written atomically."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from orchestration.exports import EXPORT_COLUMNS, ExportError, export_claims, format_for

EVIL = '=HYPERLINK("http://example.invalid","click")'


def _claim(claim_id, seller, status, deadline, case_text="Lost inventory claim.", amount="25.00"):
    return {
        "claim_id": claim_id,
        "seller_id": seller,
        "marketplace_id": "ATVPDKIKX0DER",
        "claim_type": "warehouse_lost",
        "status": status,
        "fnsku": "X001",
        "sku": "-SKU-1",
        "asin": "B0X",
        "order_id": None,
        "shipment_id": None,
        "removal_order_id": None,
        "reference_id": "5550001",
        "fulfillment_center_id": "LGB3",
        "event_date": date(2026, 10, 1),
        "quantity": 2,
        "unit_value": Decimal("12.5000"),
        "amount": Decimal(amount),
        "currency": "USD",
        "eligible_from": date(2026, 10, 15),
        "deadline": deadline,
        "evidence": '{"fnsku": "X001", "open_units": 2}',
        "case_text": case_text,
    }


@pytest.fixture
def warehouse(tmp_path):
    db = tmp_path / "serving.duckdb"
    rows = [
        _claim("CLM-B", "A1X", "ready", date(2026, 11, 30), EVIL),
        _claim("CLM-A", "A1X", "ready", date(2026, 11, 25), amount="0.10"),
        _claim("CLM-C", "A1X", "expired", date(2026, 10, 1)),
        _claim("CLM-D", "A2OTHER", "ready", date(2026, 11, 20)),
    ]
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_claims (claim_id varchar, seller_id varchar, "
            "marketplace_id varchar, claim_type varchar, status varchar, fnsku varchar, "
            "sku varchar, asin varchar, order_id varchar, shipment_id varchar, "
            "removal_order_id varchar, reference_id varchar, fulfillment_center_id varchar, "
            "event_date date, quantity bigint, unit_value decimal(18,4), amount decimal(18,2), "
            "currency varchar, eligible_from date, deadline date, evidence varchar, "
            "case_text varchar)"
        )
        for r in rows:
            con.execute(
                f"insert into marts.fct_claims values ({', '.join('?' * len(EXPORT_COLUMNS))})",
                [r[c] for c in EXPORT_COLUMNS],
            )
    return db


def _read(path, fmt):
    if fmt == "csv":
        with open(path, newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    if fmt == "xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(path, read_only=True)["claims"]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]
    if fmt == "parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
        return table.column_names, table.to_pylist()
    lines = path.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    return (list(records[0].keys()) if records else []), records


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet", "jsonl"])
def test_every_format_has_the_contract_and_only_this_sellers_ready_claims(warehouse, tmp_path, fmt):
    out = tmp_path / f"claims.{fmt}"
    result = export_claims(warehouse, "A1X", out, fmt)
    assert result.rows == 2 and result.path == out
    header, rows = _read(out, fmt)
    assert tuple(header) == EXPORT_COLUMNS
    assert [r["claim_id"] for r in rows] == ["CLM-A", "CLM-B"]  # deadline first
    assert {r["seller_id"] for r in rows} == {"A1X"}
    first, second = rows
    if fmt in ("csv", "xlsx"):
        # Spreadsheet formats: a formula-looking text is neutralised.
        assert second["case_text"] == "'" + EVIL
        assert first["sku"] == "'-SKU-1"
    else:
        # Machine formats keep the exact text.
        assert second["case_text"] == EVIL and first["sku"] == "-SKU-1"
    if fmt == "csv":
        assert (first["amount"], first["event_date"]) == ("0.10", "2026-10-01")
    elif fmt == "xlsx":
        assert first["quantity"] == 2 and float(first["amount"]) == 0.10
    elif fmt == "parquet":
        assert first["amount"] == Decimal("0.10") and first["event_date"] == date(2026, 10, 1)
        assert first["unit_value"] == Decimal("12.5000")
    else:
        assert first["amount"] == "0.10" and first["deadline"] == "2026-11-25"
        assert first["evidence"] == {"fnsku": "X001", "open_units": 2}
    # No temporary file is left behind.
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_sellers_exported_over_one_connection_get_the_same_files(warehouse, tmp_path):
    sellers = ("A1X", "A2OTHER")
    alone = [export_claims(warehouse, s, tmp_path / "alone" / f"{s}.csv") for s in sellers]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        shared = [
            export_claims(warehouse, s, tmp_path / "shared" / f"{s}.csv", con=con) for s in sellers
        ]
    for a, b in zip(alone, shared, strict=True):
        assert (a.rows, a.batches, a.held_back) == (b.rows, b.batches, b.held_back)
        assert a.path.read_bytes() == b.path.read_bytes()
        assert a.batches_path.read_bytes() == b.batches_path.read_bytes()
    assert [r.rows for r in alone] == [2, 1]


def test_all_statuses_with_all_flag(warehouse, tmp_path):
    out = tmp_path / "all.jsonl"
    assert export_claims(warehouse, "A1X", out, None, include_all=True).rows == 3


def test_format_from_suffix_and_unknown_format(tmp_path):
    assert format_for(tmp_path / "x.XLSX", None) == "xlsx"
    assert format_for(tmp_path / "x.parquet", None) == "parquet"
    assert format_for(tmp_path / "x.txt", None) == "csv"
    with pytest.raises(ExportError, match="unsupported format"):
        format_for(tmp_path / "x.csv", "pdf")


def test_empty_export_still_has_the_header(warehouse, tmp_path):
    for fmt in ("csv", "xlsx", "parquet"):
        out = tmp_path / f"none.{fmt}"
        assert export_claims(warehouse, "A9NOBODY", out, fmt).rows == 0
        header, rows = _read(out, fmt)
        assert tuple(header) == EXPORT_COLUMNS and rows == []
