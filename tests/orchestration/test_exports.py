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


@pytest.fixture
def queue(tmp_path):
    """Ready claims of two types in two case batches, as fct_recovery_open_claims batches them."""
    db = tmp_path / "queue.duckdb"
    claims = [
        # claim, type, deadline, amount, batch
        (
            "CLM-L1",
            "warehouse_lost",
            date(2026, 12, 20),
            "80.00",
            "warehouse_lost-ATVPDKIKX0DER-001",
        ),
        (
            "CLM-L2",
            "warehouse_lost",
            date(2026, 12, 1),
            "10.00",
            "warehouse_lost-ATVPDKIKX0DER-001",
        ),
        ("CLM-F1", "fulfillment_fee_overcharge", date(2026, 12, 5), "5.00", "fee-001"),
        ("CLM-F2", "fulfillment_fee_overcharge", date(2026, 12, 1), "50.00", "fee-001"),
    ]
    rows = []
    for cid, ctype, deadline, amount, _ in claims:
        r = _claim(cid, "A1X", "ready", deadline, "Lost (reason M).", amount)
        r["claim_type"] = ctype
        rows.append(r)
    with duckdb.connect(str(db)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_claims as select * from (values "
            + ", ".join("(" + ", ".join("?" * len(EXPORT_COLUMNS)) + ")" for _ in rows)
            + ") t("
            + ", ".join(EXPORT_COLUMNS)
            + ")",
            [r[c] for r in rows for c in EXPORT_COLUMNS],
        )
        con.execute(
            "create table marts.fct_recovery_open_claims as select c.claim_id, c.seller_id, "
            "c.marketplace_id, c.claim_type, c.status, c.quantity, c.amount, c.currency, "
            "c.deadline, true as to_file, b.case_batch, false as sku_excluded, "
            "false as below_minimum_value, true as claim_type_enabled, "
            "date '2026-11-01' as file_from, date '2026-11-20' as as_of "
            "from marts.fct_claims c join (values "
            + ", ".join(f"('{c[0]}', '{c[4]}')" for c in claims)
            + ") b(claim_id, case_batch) using (claim_id)"
        )
    return db


def test_queue_is_deadline_first_across_types_with_one_case_text_per_batch(queue, tmp_path):
    out = tmp_path / "queue.csv"
    result = export_claims(queue, "A1X", out, "csv")
    _, rows = _read(out, "csv")
    # deadline, then amount (largest first), then claim id - whatever the claim type
    assert [r["claim_id"] for r in rows] == ["CLM-F2", "CLM-L2", "CLM-F1", "CLM-L1"]
    with open(result.batches_path, newline="", encoding="utf-8") as fh:
        batches = list(csv.DictReader(fh))
    # batches by first deadline, then value: the 90.00 lost batch before the 55.00 fee batch
    assert [b["case_batch"] for b in batches] == ["warehouse_lost-ATVPDKIKX0DER-001", "fee-001"]
    lost = batches[0]["case_text"]
    assert lost.startswith(
        "Subject: Lost inventory in the fulfillment center: 2 item(s), USD 90.00"
    )
    assert "1. CLM-L2: FNSKU X001 (SKU -SKU-1)" in lost and "2. CLM-L1:" in lost
    assert "2 unit(s) at USD 12.50 each: USD 80.00" in lost
    assert "Total requested: USD 90.00." in lost
    for internal in ("warehouse_lost", "reason M", "_"):
        assert internal not in lost.replace("ATVPDKIKX0DER", "")
    assert "re-measure" in batches[1]["case_text"]


def test_xlsx_is_ready_to_work_from(queue, tmp_path):
    from openpyxl import load_workbook

    out = tmp_path / "queue.xlsx"
    export_claims(queue, "A1X", out, "xlsx")
    wb = load_workbook(out)
    assert wb.sheetnames == ["claims", "cases"]
    ws = wb["claims"]
    assert tuple(c.value for c in ws[1]) == EXPORT_COLUMNS
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == "A1:V5"
    amount = EXPORT_COLUMNS.index("amount") + 1
    assert ws.cell(2, amount).value == 50 and ws.cell(2, amount).number_format == "#,##0.00"
    assert ws.column_dimensions["V"].width >= 60  # case_text
    cases = wb["cases"]
    header = [c.value for c in cases[1]]
    assert header[-1] == "case_text" and cases.freeze_panes == "A2"
    assert cases.cell(2, header.index("case_text") + 1).value.startswith("Subject: ")
