"""Parsing report files the way users get them: SP-API TSV, Seller Central CSV, gzip, charsets."""

from __future__ import annotations

import gzip
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from extractors.reports.catalog import LEDGER_DETAIL, PRODUCT_MASTER, REIMBURSEMENTS, detect
from extractors.reports.parsing import DocumentError, parse_document

FIXTURES = Path(__file__).parents[1] / "fixtures" / "handwritten"


def test_sp_api_ledger_tsv_is_typed_and_keeps_stray_quotes():
    doc = parse_document((FIXTURES / "ledger.tsv").read_bytes(), "ledger.tsv")
    assert doc.spec is LEDGER_DETAIL
    assert doc.rows_in == 10 and len(doc.frame) == 10 and not doc.quarantine
    row = doc.frame.iloc[2]
    assert row["date"] == pd.Timestamp("2026-10-01")
    assert row["quantity"] == -3 and row["reconciled_quantity"] == 1
    assert row["unreconciled_quantity"] == 2
    assert row["title"] == 'Red widget, 12" size'
    # blank reconciliation columns are missing values, not zeros
    assert pd.isna(doc.frame.iloc[0]["reconciled_quantity"])
    assert doc.frame.iloc[0]["reason"] is None


def test_reimbursements_money_is_decimal_and_dates_utc():
    doc = parse_document((FIXTURES / "reimbursements.tsv").read_bytes(), "r.tsv")
    assert doc.spec is REIMBURSEMENTS
    row = doc.frame.iloc[0]
    assert row["amount_total"] == Decimal("7.10") and isinstance(row["amount_total"], Decimal)
    assert str(row["approval_date"]) == "2026-10-12 10:00:00+00:00"


def test_seller_central_csv_download_with_quoted_headers_and_cp1252():
    text = (
        '"Date","FNSKU","ASIN","MSKU","Title","Event Type","Reference ID","Quantity",'
        '"Fulfillment Center","Disposition","Reason","Country"\r\n'
        '"10/01/2026","X001AAAAAA","B0AAAAAAAA","SKU-1","Caf\u00e9 mug, 12"" tall","Adjustments",'
        '"777","-2","LGB3","SELLABLE","M","US"\r\n'
    )
    doc = parse_document(text.encode("cp1252"), "ledger.csv")
    assert doc.spec is LEDGER_DETAIL and doc.delimiter == ","
    assert doc.encoding == "cp1252"
    assert doc.frame.iloc[0]["title"] == 'Caf\u00e9 mug, 12" tall'
    # reconciliation columns absent from this download: present as missing values
    assert pd.isna(doc.frame.iloc[0]["unreconciled_quantity"])


def test_gzip_and_declared_charsets():
    raw = (FIXTURES / "reimbursements.tsv").read_bytes()
    doc = parse_document(gzip.compress(raw), "r.tsv.gz", charset="UTF-8")
    assert len(doc.frame) == 1
    sjis = (FIXTURES / "product_master.csv").read_text().replace("GADGET-2", "\u30ac\u30b8\u30a7")
    doc = parse_document(sjis.encode("cp932"), "pm.csv", charset="Windows-31J")
    assert doc.spec is PRODUCT_MASTER and "\u30ac\u30b8\u30a7" in set(doc.frame["sku"])


def test_declared_charset_that_does_not_fit_is_an_error_not_mojibake():
    with pytest.raises(DocumentError, match="not valid"):
        parse_document(
            "sku,unit_cost,currency\n\u65e5\u672c,1.00,JPY\n".encode("utf-16"),
            "pm.csv",
            charset="utf-8",
        )


def test_truncated_gzip_is_a_clear_error():
    data = gzip.compress((FIXTURES / "ledger.tsv").read_bytes())
    with pytest.raises(DocumentError, match="truncated"):
        parse_document(data[: len(data) // 2], "ledger.tsv.gz")


def test_missing_required_column_rejects_the_document_naming_it():
    text = (FIXTURES / "reimbursements.tsv").read_text().replace("amount-total", "amount-x")
    with pytest.raises(DocumentError) as exc:
        parse_document(text.encode(), "r.tsv", spec=REIMBURSEMENTS)
    assert "r.tsv" in str(exc.value) and "amount-total" in str(exc.value)


def test_unknown_file_is_rejected_with_its_name():
    with pytest.raises(DocumentError, match=r"notes\.txt: not a recognised"):
        parse_document(b"hello\tworld\n1\t2\n", "notes.txt")


def test_bad_values_are_quarantined_with_row_field_and_reason():
    lines = (FIXTURES / "ledger.tsv").read_text().splitlines()
    lines[3] = lines[3].replace("\t-3\t", "\tthree\t")
    lines[4] = lines[4].replace("10/10/2026", "2026/31/10")
    lines.append("\t".join(["10/01/2026", "X9"] + [""] * 13))  # required values missing
    doc = parse_document("\n".join(lines).encode(), "ledger.tsv")
    assert doc.rows_in == 11
    assert len(doc.frame) + len(doc.quarantine) == doc.rows_in
    by_row = {q["row_number"]: q for q in doc.quarantine}
    assert by_row[3]["field"] == "Quantity" and "'three'" in by_row[3]["reason"]
    assert by_row[4]["field"] == "Date" and "MM/DD/YYYY" in by_row[4]["reason"]
    assert "required value missing" in by_row[11]["reason"]


def test_header_spelling_variants_are_recognised():
    assert (
        detect(
            ["Date", "FNSKU", "MSKU", "EventType", "Quantity", "FulfillmentCenter", "Disposition"]
        )
        is LEDGER_DETAIL
    )
    assert detect(["sku", "unit_cost", "currency"]) is PRODUCT_MASTER
    assert detect(["foo", "bar"]) is None
