"""Every flat-file report type (amazon-reports.md §1.2, §1.4, §1.6-§1.12): recognised by its
header, typed, validated, quarantined row by row, rejected whole when a required column is
missing, and landed. One hand-written file per type in tests/fixtures/reports/."""

from __future__ import annotations

import csv
import gzip
import io
import json
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from extractors.ingest import ingest_files
from extractors.landing import LandingZone
from extractors.reports import catalog
from extractors.reports.catalog import (
    ALL_ORDERS,
    CUSTOMER_RETURNS,
    FEE_PREVIEW,
    FULFILLED_SHIPMENTS,
    LEDGER_SUMMARY,
    REMOVAL_ORDERS,
    REMOVAL_SHIPMENTS,
    SETTLEMENTS,
    STORAGE_FEES,
    detect,
    header_key,
)
from extractors.reports.parsing import DocumentError, parse_document, read_header

FIXTURES = Path(__file__).parents[1] / "fixtures" / "reports"

# file, spec, rows, (a column to break, a value its kind cannot read)
CASES = [
    ("ledger_summary.csv", LEDGER_SUMMARY, 3, ("Lost", "lots")),
    ("customer_returns.tsv", CUSTOMER_RETURNS, 3, ("return-date", "yesterday")),
    ("fulfilled_shipments.tsv", FULFILLED_SHIPMENTS, 3, ("quantity-shipped", "2.5")),
    ("all_orders.txt.gz", ALL_ORDERS, 3, ("purchase-date", "2026-13-45T00:00:00Z")),
    ("removal_orders.tsv", REMOVAL_ORDERS, 3, ("requested-quantity", "five")),
    ("removal_shipments.tsv", REMOVAL_SHIPMENTS, 2, ("shipment-date", "soon")),
    ("fee_preview_us.tsv", FEE_PREVIEW, 2, ("expected-fulfillment-fee-per-unit", "$6.12")),
    ("fee_preview_eu.txt", FEE_PREVIEW, 2, ("estimated-fee-total", "8,95 EUR")),
    ("storage_fees.tsv", STORAGE_FEES, 2, ("month_of_charge", "October")),
    ("settlement_us.tsv", SETTLEMENTS, 5, ("amount", "12.30.1")),
    ("settlement_de.tsv", SETTLEMENTS, 4, ("amount", "-12,3,0")),
]
IDS = [c[0] for c in CASES]


def _text(name: str) -> tuple[str, str]:
    """The fixture as text, and its encoding."""
    data = (FIXTURES / name).read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _table(name: str) -> tuple[list[str], list[list[str]], str]:
    text, _ = _text(name)
    if name.endswith(".csv"):
        rows = list(csv.reader(io.StringIO(text)))
        return rows[0], rows[1:], ","
    rows = [line.split("\t") for line in text.splitlines() if line]
    return rows[0], rows[1:], "\t"


def _write(path: Path, header: list[str], rows: list[list[str]], delimiter: str) -> Path:
    out = io.StringIO()
    if delimiter == ",":
        csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n").writerows([header, *rows])
    else:
        out.write("\n".join("\t".join(r) for r in [header, *rows]) + "\n")
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _parse(name: str):
    return parse_document((FIXTURES / name).read_bytes(), name)


# -- detection ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "spec", "rows", "bad"), CASES, ids=IDS)
def test_each_file_is_detected_as_its_own_type_and_no_other(name, spec, rows, bad):
    header = read_header((FIXTURES / name).read_bytes(), name)
    assert detect(header) is spec
    # Unambiguous, not just best-scored: no other spec accepts this header at all.
    present = {header_key(h) for h in header}
    accepting = [s for s in catalog.SPECS if all(c.header_keys() & present for c in s.required)]
    assert accepting == [spec]
    doc = _parse(name)
    assert doc.spec is spec and doc.rows_in == rows and len(doc.frame) == rows
    assert not doc.quarantine


def test_best_covered_spec_wins_when_a_header_fits_several():
    removal_order = [c.header for c in REMOVAL_ORDERS.columns]
    shipment = [c.header for c in REMOVAL_SHIPMENTS.columns]
    # A removal order detail file with a removal-shipment column added is still one.
    assert detect([*removal_order, "carrier"]) is REMOVAL_ORDERS
    # A removal shipment file with the order detail's required columns added: both specs accept
    # it; the order detail explains 11 of its 15 columns, the shipment detail 10.
    mixed = [*shipment, "order-type", "order-status", "last-updated-date"]
    mixed += ["requested-quantity", "disposed-quantity"]
    present = {header_key(h) for h in mixed}
    both = [s for s in catalog.SPECS if all(c.header_keys() & present for c in s.required)]
    assert both == [REMOVAL_ORDERS, REMOVAL_SHIPMENTS]
    assert detect(mixed) is REMOVAL_ORDERS


def test_spec_registry_is_complete():
    for spec in (
        LEDGER_SUMMARY,
        CUSTOMER_RETURNS,
        FULFILLED_SHIPMENTS,
        ALL_ORDERS,
        REMOVAL_ORDERS,
        REMOVAL_SHIPMENTS,
        FEE_PREVIEW,
        STORAGE_FEES,
        SETTLEMENTS,
    ):
        assert catalog.BY_REPORT_TYPE[spec.report_type] is spec
        assert catalog.BY_SOURCE[spec.source] is spec
        assert set(spec.natural_key) <= {c.name for c in spec.columns}
        assert spec.date_column is None or spec.date_column in {c.name for c in spec.columns}
    assert ALL_ORDERS.max_window_days == 30 and FULFILLED_SHIPMENTS.max_window_days == 31


# -- typing -------------------------------------------------------------------------------------


def test_ledger_summary_monthly_csv_and_daily_dates():
    doc = _parse("ledger_summary.csv")
    assert doc.delimiter == ","
    row = doc.frame.iloc[0]
    assert row["date"] == pd.Timestamp("2026-10-01") and row["date_granularity"] == "month"
    assert row["lost"] == -3 and row["ending_warehouse_balance"] == 26
    assert row["title"] == 'Red widget, 12" size' and row["location"] == "US"
    assert pd.isna(row["store"])
    header, rows, _ = _table("ledger_summary.csv")
    rows[0][0] = "10/07/2026"
    text = "\n".join("\t".join(r) for r in [header, *rows])
    daily = parse_document(text.encode(), "daily.tsv")
    assert daily.frame.iloc[0]["date"] == pd.Timestamp("2026-10-07")
    assert list(daily.frame["date_granularity"]) == ["day", "month", "month"]


def test_customer_returns_types_and_amazon_order_id_header():
    row = _parse("customer_returns.tsv").frame.iloc[2]
    assert str(row["return_date"]) == "2026-10-02 16:00:00+00:00"  # -07:00 converted to UTC
    assert row["quantity"] == 2 and row["detailed_disposition"] == "DAMAGED"
    assert row["order_id"] == "113-3333333-3333333"
    text = _text("customer_returns.tsv")[0].replace("\torder-id\t", "\tamazon-order-id\t", 1)
    doc = parse_document(text.encode(), "returns.txt")
    assert doc.spec is CUSTOMER_RETURNS and doc.frame.iloc[0]["order_id"] == "113-1111111-1111111"


def test_fulfilled_shipments_types_and_no_buyer_data_anywhere(tmp_path):
    doc = _parse("fulfilled_shipments.tsv")
    row = doc.frame.iloc[2]
    assert row["item_price"] == Decimal("1040.00") and isinstance(row["item_price"], Decimal)
    assert row["quantity_shipped"] == 2
    assert str(row["shipment_date"]) == "2026-09-11 08:00:00+00:00"
    pii = ("Jane Buyer", "jane buyer@", "Example Street", "Springfield", "+1 555 0100", "62701")
    header, rows, _ = _table("fulfilled_shipments.tsv")
    rows[0][header.index("quantity-shipped")] = "two"  # a quarantined row keeps no PII either
    f = _write(tmp_path / "afs.tsv", header, rows, "\t")
    result = ingest_files(tmp_path / "home", "A1TEST", [f]).outcomes[0].result
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    zone = LandingZone(tmp_path / "home")
    stored = [
        pq.read_table(result.parquet_path).to_pandas().to_csv(),
        pq.read_table(zone.quarantine_path(FULFILLED_SHIPMENTS, "A1TEST", result.window))
        .to_pandas()
        .to_csv(),
        gzip.decompress(
            zone.original_path(FULFILLED_SHIPMENTS, "A1TEST", result.document_sha256).read_bytes()
        ).decode(),
        zone.metadata_path(FULFILLED_SHIPMENTS, "A1TEST", result.document_sha256).read_text(),
    ]
    for text in stored:
        for value in pii:
            assert value.lower() not in text.lower(), value
    assert "buyer-email" in stored[3]  # the metadata names what was not stored
    assert "ship-city" not in pq.read_table(result.parquet_path).column_names


def test_all_orders_gzip_pending_order_has_no_price():
    doc = _parse("all_orders.txt.gz")
    shipped, pending = doc.frame.iloc[0], doc.frame.iloc[2]
    assert shipped["item_price"] == Decimal("12.50") and shipped["quantity"] == 1
    assert str(shipped["purchase_date"]) == "2026-09-01 17:15:00+00:00"
    assert pending["item_price"] is None and pending["currency"] is None
    assert pending["order_status"] == "Pending"
    assert "ship-city" in doc.columns_not_stored and "cpf" in doc.columns_not_stored
    assert "Springfield" not in doc.stored_original.decode()


def test_removal_orders_with_order_source_and_types():
    row = _parse("removal_orders.tsv").frame.iloc[1]
    assert row["order_source"] == "Seller-initiated Manual Removal"
    assert row["removal_fee"] == Decimal("1.56") and row["in_process_quantity"] == 2
    assert str(row["request_date"]) == "2026-09-20 17:00:00+00:00"
    # order-source is optional
    header, rows, _ = _table("removal_orders.tsv")
    i = header.index("order-source")
    text = "\n".join("\t".join(r[:i] + r[i + 1 :]) for r in [header, *rows])
    doc = parse_document(text.encode(), "ro.tsv")
    assert doc.spec is REMOVAL_ORDERS and doc.frame["order_source"].isna().all()


def test_removal_shipments_accept_removal_date():
    text = _text("removal_shipments.tsv")[0].replace("request-date", "removal-date", 1)
    doc = parse_document(text.encode(), "rs.tsv")
    assert doc.spec is REMOVAL_SHIPMENTS
    row = doc.frame.iloc[1]
    assert str(row["request_date"]) == "2026-09-15 17:00:00+00:00"
    assert row["shipped_quantity"] == 2 and row["carrier"] == "USPS"


def test_fee_preview_us_and_eu_share_the_fulfilment_fee_column():
    us = _parse("fee_preview_us.tsv")
    eu = _parse("fee_preview_eu.txt")
    assert eu.encoding == "cp1252" and eu.conventions["decimal_separator"] == ","
    assert us.frame.iloc[0]["expected_fulfillment_fee_per_unit"] == Decimal("6.12")
    assert eu.frame.iloc[1]["expected_fulfillment_fee_per_unit"] == Decimal("4.45")
    assert eu.frame.iloc[0]["product_name"] == "Kaffeetasse Größe L – weiß"
    assert eu.frame.iloc[0]["expected_efn_fulfilment_fee_per_unit_fr"] == Decimal("4.30")
    assert us.frame.iloc[0]["estimated_future_fee"] == Decimal("9.87")


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2026-10", "2026-10-01"), ("2026-10-31", "2026-10-01"), ("10/2026", "2026-10-01")],
)
def test_storage_fees_month_of_charge_formats(value, expected):
    text = _text("storage_fees.tsv")[0].replace("\t2026-10\t", f"\t{value}\t")
    doc = parse_document(text.encode(), "st.tsv")
    assert not doc.quarantine
    assert set(doc.frame["month_of_charge"]) == {pd.Timestamp(expected)}
    row = doc.frame.iloc[0]
    assert row["estimated_monthly_storage_fee"] == Decimal("1.1517")
    assert row["average_quantity_on_hand"] == Decimal("25.5")


def test_storage_fees_require_only_the_rule_columns():
    header, rows, _ = _table("storage_fees.tsv")
    keep = [i for i, h in enumerate(header) if h in {c.header for c in STORAGE_FEES.required}]
    text = "\n".join("\t".join(r[i] for i in keep) for r in [header, *rows])
    doc = parse_document(text.encode(), "st.tsv")
    assert doc.spec is STORAGE_FEES and len(doc.frame) == 2


# -- settlements --------------------------------------------------------------------------------


def test_settlement_summary_row_is_kept_and_localised_values_read():
    de = _parse("settlement_de.tsv")
    assert de.conventions == {"decimal_separator": ",", "date_order": "DMY"}
    summary = de.frame.iloc[0]
    assert summary["_row_number"] == 1 and summary["transaction_type"] is None
    assert summary["total_amount"] == Decimal("1234.56")
    assert str(summary["settlement_start_date"]) == "2026-09-01 07:08:16+00:00"
    assert list(de.frame["amount"][1:]) == [
        Decimal("1259.96"),
        Decimal("-12.30"),
        Decimal("-13.10"),
    ]
    assert str(de.frame.iloc[1]["posted_date"]) == "2026-09-03 00:00:00+00:00"
    us = _parse("settlement_us.tsv")
    assert us.frame.iloc[0]["total_amount"] == Decimal("1027.55")
    assert us.frame.iloc[1]["amount"] == Decimal("1040.00")
    assert str(us.frame.iloc[0]["deposit_date"]) == "2026-09-17 05:23:19+00:00"


def _settlement(rows: list[list[str]]) -> bytes:
    header, _, _ = _table("settlement_us.tsv")
    width = len(header)
    return "\n".join("\t".join(r + [""] * (width - len(r))) for r in [header, *rows]).encode()


def test_settlement_short_day_first_dates_resolved_from_the_file():
    data = _settlement(
        [
            ["1", "09/06/25", "23/06/25", "25/06/25", "10.50", "GBP"],
            ["1", "", "", "", "", "", "Order", "o1", *[""] * 6, "10.50", "", "09/06/25"],
        ]
    )
    doc = parse_document(data, "uk.tsv")
    assert doc.conventions["date_order"] == "DMY" and not doc.quarantine
    assert str(doc.frame.iloc[0]["settlement_start_date"]) == "2025-06-09 00:00:00+00:00"
    assert str(doc.frame.iloc[1]["posted_date"]) == "2025-06-09 00:00:00+00:00"


def test_settlement_unreadable_and_ambiguous_values_are_quarantined_by_row_and_field():
    data = _settlement(
        [
            ["1", "06/09/25", "07/09/25", "08/09/25", "1,234", "USD"],
            ["1", "", "", "", "", "", "Order", "o1", *[""] * 6, "12.3.4", "", "2025-06-09"],
            ["1", "", "", "", "", "", "Order", "o1", *[""] * 6, "5", "", "2025-06-09"],
            ["1", "", "", "", "", "", "", "o1", *[""] * 6, "", "", "2025-06-09"],
        ]
    )
    doc = parse_document(data, "amb.tsv")
    by_row = {q["row_number"]: q for q in doc.quarantine}
    assert by_row[1]["field"] == "settlement-start-date" and "ambiguous" in by_row[1]["reason"]
    assert by_row[2]["field"] == "amount" and "'12.3.4'" in by_row[2]["reason"]
    assert all(q["source_file"] == "amb.tsv" for q in doc.quarantine)
    assert list(doc.frame["_row_number"]) == [3, 4]
    assert doc.frame.iloc[0]["amount"] == Decimal("5")


def test_settlement_amount_ambiguous_without_evidence_is_quarantined():
    data = _settlement([["1", "2025-06-01", "2025-06-14", "2025-06-16", "1.234", "EUR"]])
    doc = parse_document(data, "amb.tsv")
    assert doc.quarantine[0]["field"] == "total-amount"
    assert "decimal separator" in doc.quarantine[0]["reason"]


def test_settlement_row_that_is_neither_summary_nor_transaction_is_quarantined(tmp_path):
    f = tmp_path / "s.tsv"
    f.write_bytes(
        _settlement(
            [
                ["1", "2025-06-01", "2025-06-14", "2025-06-16", "1.00", "USD"],
                ["1", "", "", "", "", "", "Order", "o1", *[""] * 6, "1.00", "", "2025-06-09"],
                ["1", "", "", "", "", "", "", "o1", *[""] * 6, "", "", "2025-06-09"],
            ]
        )
    )
    result = ingest_files(tmp_path / "home", "A1TEST", [f]).outcomes[0].result
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (3, 2, 1)
    q = pq.read_table(
        LandingZone(tmp_path / "home").quarantine_path(SETTLEMENTS, "A1TEST", result.window)
    ).to_pylist()
    assert q[0]["row_number"] == 3 and q[0]["field"] == "amount"
    assert "summary row" in q[0]["reason"]


# -- value sets, scale ------------------------------------------------------------------------


def test_value_sets_confirmed_by_the_reference_are_checked(tmp_path):
    text = _text("customer_returns.tsv")[0].replace("\tDAMAGED\t", "\tMELTED\t")
    f = tmp_path / "r.tsv"
    f.write_text(text)
    result = ingest_files(tmp_path / "h1", "A1TEST", [f]).outcomes[0].result
    assert result.rows_quarantined == 1
    text = _text("removal_orders.tsv")[0]
    text = text.replace("\tLiquidations\t", "\tliquidation\t").replace("\tReturn\t", "\tTeleport\t")
    f = tmp_path / "ro.tsv"
    f.write_text(text)
    result = ingest_files(tmp_path / "h2", "A1TEST", [f]).outcomes[0].result
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)
    q = pq.read_table(
        LandingZone(tmp_path / "h2").quarantine_path(REMOVAL_ORDERS, "A1TEST", result.window)
    ).to_pylist()
    assert q[0]["field"] == "order-type" and "Teleport" in q[0]["reason"]


def test_more_decimal_places_than_landed_is_quarantined_not_a_crash(tmp_path):
    text = _text("removal_orders.tsv")[0].replace("\t4.15\t", "\t4.15001\t")
    f = tmp_path / "ro.tsv"
    f.write_text(text)
    result = ingest_files(tmp_path / "home", "A1TEST", [f]).outcomes[0].result
    assert (result.rows_loaded, result.rows_quarantined) == (2, 1)


# -- quarantine and rejection, every type ---------------------------------------------------------


@pytest.mark.parametrize(("name", "spec", "rows", "bad"), CASES, ids=IDS)
def test_malformed_row_is_quarantined_and_counts_reconcile(tmp_path, name, spec, rows, bad):
    column, value = bad
    header, data, delimiter = _table(name)
    target = len(data) - 1  # the last row (never a settlement summary row)
    data[target][header.index(column)] = value
    f = _write(tmp_path / f"bad-{name.removesuffix('.gz')}", header, data, delimiter)
    report = ingest_files(tmp_path / "home", "A1TEST", [f])
    assert report.ok, report.failed
    result = report.outcomes[0].result
    assert result.source == spec.source
    assert result.rows_in == rows == result.rows_loaded + result.rows_quarantined
    assert result.rows_quarantined == 1
    q = pq.read_table(
        LandingZone(tmp_path / "home").quarantine_path(spec, "A1TEST", result.window)
    ).to_pylist()[0]
    assert q["source_file"].endswith(f.name) and q["row_number"] == target + 1
    assert q["field"] == column and value in q["reason"]
    assert json.loads(q["raw_row"])[column] == value


@pytest.mark.parametrize(("name", "spec", "rows", "bad"), CASES, ids=IDS)
def test_missing_required_column_rejects_the_document_naming_it(tmp_path, name, spec, rows, bad):
    header, data, delimiter = _table(name)
    # the last required column present in the file
    required = [c for c in spec.required if any(header_key(h) in c.header_keys() for h in header)]
    gone = required[-1]
    i = next(i for i, h in enumerate(header) if header_key(h) in gone.header_keys())
    header = header[:i] + header[i + 1 :]
    data = [r[:i] + r[i + 1 :] for r in data]
    f = _write(tmp_path / f"nocol-{name.removesuffix('.gz')}", header, data, delimiter)
    with pytest.raises(DocumentError) as exc:
        parse_document(f.read_bytes(), f.name)
    assert f.name in str(exc.value) and gone.header in str(exc.value)
    report = ingest_files(tmp_path / "home", "A1TEST", [f])
    assert not report.ok and gone.header in report.failed[0].error
    assert not list((tmp_path / "home" / "landing" / "parquet").rglob("data.parquet"))
