"""Layouts Amazon has shipped and sellers hold (tracker #18): the settlement V1 flat file,
all-orders lines with a blank item-status, regional fee-preview variants (CA, NA with
amazon-store and `--`, UK, JP) in Cp1252 and Shift_JIS, and files of reports fba-reclaim does not
read (retired or unused), which are named for what they are. Fixtures:
tests/fixtures/reports/README.md."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from extractors.ingest import ingest_files
from extractors.reports import catalog
from extractors.reports.catalog import (
    ALL_ORDERS,
    FEE_PREVIEW,
    SETTLEMENTS,
    SETTLEMENTS_V1,
    detect,
    header_key,
)
from extractors.reports.parsing import DocumentError, parse_document, read_header
from orchestration.home import DBT_PROJECT_DIR
from tests.extractors.test_report_types import FIXTURES, _table, _write

# file, spec, rows
LAYOUTS = [
    ("settlement_v1_ca.tsv", SETTLEMENTS_V1, 16),
    ("all_orders_cancelled_mfn.tsv", ALL_ORDERS, 3),
    ("fee_preview_ca.tsv", FEE_PREVIEW, 2),
    ("fee_preview_na_store.tsv", FEE_PREVIEW, 2),
    ("fee_preview_uk.txt", FEE_PREVIEW, 2),
    ("fee_preview_jp.txt", FEE_PREVIEW, 2),
]
IDS = [c[0] for c in LAYOUTS]


def _parse(name: str):
    return parse_document((FIXTURES / name).read_bytes(), name)


@pytest.mark.parametrize(("name", "spec", "rows"), LAYOUTS, ids=IDS)
def test_each_layout_is_detected_as_its_own_type_and_lands_every_row(tmp_path, name, spec, rows):
    header = read_header((FIXTURES / name).read_bytes(), name)
    present = {header_key(h) for h in header}
    accepting = [s for s in catalog.SPECS if all(c.header_keys() & present for c in s.required)]
    assert accepting == [spec] and detect(header) is spec
    doc = _parse(name)
    assert doc.rows_in == rows and len(doc.frame) == rows and not doc.quarantine

    report = ingest_files(tmp_path / "home", "A1TEST", [FIXTURES / name])
    assert report.ok, report.failed
    result = report.outcomes[0].result
    assert result.source == spec.source
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (rows, rows, 0)


# -- settlement V1 ------------------------------------------------------------------------------


def test_settlement_v1_is_its_own_report_not_a_broken_v2():
    header = read_header((FIXTURES / "settlement_v1_ca.tsv").read_bytes(), "v1")
    assert "amount-type" not in header and detect(header) is SETTLEMENTS_V1
    assert SETTLEMENTS_V1.report_type == "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE"
    assert catalog.BY_REPORT_TYPE["GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE"] is SETTLEMENTS_V1
    # and a V2 file is still V2
    v2 = read_header((FIXTURES / "settlement_us.tsv").read_bytes(), "v2")
    assert detect(v2) is SETTLEMENTS


def test_settlement_v1_values_are_typed_and_add_up_to_the_total():
    f = _parse("settlement_v1_ca.tsv").frame
    summary = f[f["transaction_type"].isna()]
    assert len(summary) == 1
    s = summary.iloc[0]
    assert s["total_amount"] == Decimal("32.03") and s["currency"] == "CAD"
    assert s["deposit_date"] == pd.Timestamp("2024-03-17T17:00:00Z")
    amounts = [
        c.name
        for c in SETTLEMENTS_V1.columns
        if c.kind == catalog.LOCAL_DECIMAL and c.name != "total_amount"
    ]
    total = sum(v for c in amounts for v in f[c] if v is not None and not pd.isna(v))
    assert total == Decimal("32.03")
    order = f[f["order_id"] == "702-1111111-1111111"]
    assert order["price_type"].dropna().tolist() == ["Principal", "Tax"]
    assert order["item_related_fee_type"].dropna().tolist() == [
        "Commission",
        "FBAPerUnitFulfillmentFee",
    ]
    assert order["posted_date"].iloc[0] == pd.Timestamp("2024-03-04T12:00:00Z")
    refund = f[f["transaction_type"] == "Refund"]
    assert refund["price_amount"].dropna().tolist() == [Decimal("-19.99")]
    # the quantity-only row of an item lands like any other
    qty_only = f[(f["order_id"] == "702-3333333-3333333") & f["price_type"].isna()]
    assert qty_only["quantity_purchased"].dropna().tolist() == [1]
    other = f[f["transaction_type"] == "WAREHOUSE_DAMAGE"]
    assert other["other_amount"].tolist() == [Decimal("12.50")]


def test_settlement_v1_without_its_price_columns_is_named_as_v1(tmp_path):
    header, data, delimiter = _table("settlement_v1_ca.tsv")
    i = header.index("price-type")
    header = header[:i] + header[i + 1 :]
    data = [r[:i] + r[i + 1 :] for r in data]
    f = _write(tmp_path / "v1-no-price-type.tsv", header, data, delimiter)
    with pytest.raises(DocumentError) as exc:
        parse_document(f.read_bytes(), f.name)
    assert "Settlement report V1" in str(exc.value) and "price-type" in str(exc.value)


def test_reclaim_ingest_of_a_v1_settlement_prints_a_landed_line(tmp_path, reclaim):
    r = reclaim(
        tmp_path / "home", "ingest", "--seller", "A1TEST", str(FIXTURES / "settlement_v1_ca.tsv")
    )
    assert r.returncode == 0, r.stderr
    assert "settlement_v1_ca.tsv: settlements_v1: 16 row(s) loaded" in r.stdout
    assert "quarantined" not in r.stdout and "Traceback" not in r.stderr


# -- all orders, fee preview ---------------------------------------------------------------------


def test_cancelled_merchant_lines_with_blank_item_status_load():
    f = _parse("all_orders_cancelled_mfn.tsv").frame
    cancelled = f[f["order_status"] == "Cancelled"]
    assert len(cancelled) == 2 and cancelled["item_status"].isna().all()
    assert cancelled["quantity"].tolist() == [0, 0] and cancelled["currency"].isna().all()


def test_fee_preview_regional_variants_share_one_set_of_columns():
    ca = _parse("fee_preview_ca.tsv")
    # older NA layout: no expected-fulfillment-fee-per-unit, the fee in pick-pack + weight
    assert ca.frame["expected_fulfillment_fee_per_unit"].isna().all()
    assert ca.frame["estimated_pick_pack_fee_per_unit"].tolist() == [
        Decimal("5.16"),
        Decimal("4.21"),
    ]
    assert ca.frame["product_name"].iloc[0].startswith("Érable")

    na = _parse("fee_preview_na_store.tsv").frame
    assert na["amazon_store"].tolist() == ["CA", "US"]
    # `--` (fee does not apply) is empty, not a bad amount
    assert na["estimated_pick_pack_fee_per_unit"].isna().all()
    assert na["expected_future_fulfillment_fee_per_unit"].isna().all()
    assert na["expected_fulfillment_fee_per_unit"].tolist() == [Decimal("10.16"), Decimal("4.05")]

    uk = _parse("fee_preview_uk.txt")
    assert uk.encoding == "cp1252" and "£5" in uk.frame["product_name"].iloc[0]
    assert uk.frame["expected_fulfillment_fee_per_unit"].tolist() == [
        Decimal("2.85"),
        Decimal("3.73"),
    ]

    jp = _parse("fee_preview_jp.txt")
    assert jp.encoding == "cp932"
    assert jp.frame["product_name"].tolist() == ["抹茶 100g 缶入り", "湯呑み 2個セット"]
    assert jp.frame["your_price"].tolist() == [Decimal("1980"), Decimal("3300")]
    assert jp.frame["currency"].tolist() == ["JPY", "JPY"]


def test_dashes_are_still_a_bad_amount_outside_the_fee_preview(tmp_path):
    header, data, delimiter = _table("settlement_us.tsv")
    data[-1][header.index("amount")] = "--"
    f = _write(tmp_path / "settlement-dashes.tsv", header, data, delimiter)
    doc = parse_document(f.read_bytes(), f.name)
    assert [q["field"] for q in doc.quarantine] == ["amount"]


# -- reports fba-reclaim does not read -----------------------------------------------------------

ADJUSTMENTS = [
    "adjusted-date",
    "transaction-item-id",
    "fnsku",
    "sku",
    "product-name",
    "fulfillment-center-id",
    "quantity",
    "reason",
    "disposition",
]
OTHER = [
    (ADJUSTMENTS, "Inventory Adjustments", "Inventory Ledger"),
    (
        ["adjustment-date", *ADJUSTMENTS[1:]],  # the UAE help page's spelling
        "Inventory Adjustments",
        "Inventory Ledger",
    ),
    (
        [
            "received-date",
            "fnsku",
            "sku",
            "product-name",
            "quantity",
            "fba-shipment-id",
            "fulfillment-center-id",
        ],
        "Inventory Receipts",
        "Inventory Ledger",
    ),
    (
        [
            "snapshot-date",
            "transaction-type",
            "fnsku",
            "sku",
            "product-name",
            "fulfillment-center-id",
            "quantity",
            "disposition",
        ],
        "Inventory Event Detail",
        "Inventory Ledger",
    ),
    (
        [
            "shipment-date",
            "sku",
            "asin",
            "fulfillment-center-id",
            "original-fulfillment-center-id",
            "quantity",
            "replacement-reason-code",
            "replacement-amazon-order-id",
            "original-amazon-order-id",
        ],
        "Replacements",
        "customer returns",
    ),
]


@pytest.mark.parametrize(("header", "title", "instead"), OTHER, ids=[o[1] for o in OTHER])
def test_report_we_do_not_read_is_named_with_what_to_use_instead(tmp_path, header, title, instead):
    row = ["x"] * len(header)
    f = _write(tmp_path / "report.txt", header, [row], "\t")
    with pytest.raises(DocumentError) as exc:
        parse_document(f.read_bytes(), f.name)
    message = str(exc.value)
    assert title in message and instead in message and "does not read" in message
    assert "missing" not in message
    report = ingest_files(tmp_path / "home", "A1TEST", [f])
    assert not report.ok and title in report.failed[0].error


def test_inventory_adjustments_says_it_was_retired():
    message = catalog.other_report(ADJUSTMENTS)
    assert message and "retired by Amazon on 31 Jan 2023" in message
    assert "GET_LEDGER_DETAIL_VIEW_DATA" in message


def test_xml_settlement_is_named_and_points_to_the_flat_file(tmp_path):
    f = tmp_path / "settlement.xml"
    f.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<AmazonEnvelope>\n<Message><SettlementReport>'
        "</SettlementReport></Message>\n</AmazonEnvelope>\n",
        encoding="utf-8",
    )
    with pytest.raises(DocumentError) as exc:
        parse_document(f.read_bytes(), f.name)
    assert "XML" in str(exc.value) and "flat-file settlement report" in str(exc.value)


def test_unknown_header_still_gets_the_generic_message(tmp_path):
    f = _write(tmp_path / "odd.tsv", ["foo", "bar"], [["1", "2"]], "\t")
    with pytest.raises(DocumentError, match="not a recognised report"):
        parse_document(f.read_bytes(), f.name)


@pytest.mark.parametrize(
    "header",
    [
        ["date/time", "settlement id", "type", "order id", "sku", "description", "product sales"],
        ["Datum/Uhrzeit", "Abrechnungsnummer", "Typ", "Bestellnummer", "SKU", "Beschreibung"],
        ["date/heure", "type", "sku", "marketplace", "ventes de produits"],
        ["data/ora:", "tipo", "sku", "marketplace", "vendite"],
        ["fecha y hora", "tipo", "sku", "web de amazon", "ventas de productos"],
    ],
    ids=["en", "de", "fr", "it", "es"],
)
def test_localised_date_range_report_is_named_in_every_language(tmp_path, header):
    f = tmp_path / "range.csv"
    f.write_text(",".join(f'"{h}"' for h in header) + "\n" + ",".join(["1"] * len(header)) + "\n")
    with pytest.raises(DocumentError, match="date range \\(transaction\\) report"):
        parse_document(f.read_bytes(), f.name)


@pytest.mark.slow
def test_v1_settlement_refunds_and_fees_reach_the_money_history(tmp_path, reclaim):
    """`reclaim ingest` of the V1 file, then dbt builds int_money_events and its parents: every
    V1 amount is one settlement_v1 line in the V2 vocabulary, and they add up to the total."""
    home = tmp_path / "home"
    r = reclaim(home, "ingest", "--seller", "A1TEST", str(FIXTURES / "settlement_v1_ca.tsv"))
    assert r.returncode == 0, r.stderr
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RECLAIM_", "DBT_"))},
        "RECLAIM_HOME": str(home),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
    }
    (home / "warehouse").mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "build",
            "--select",
            "+int_money_events",
            # tests that also need models outside the selection (a seed's relationships to
            # another seed) are left to the full build
            "--indirect-selection",
            "cautious",
            "--vars",
            '{"as_of": "2026-11-20"}',
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    con = duckdb.connect(str(home / "warehouse" / "reclaim.duckdb"), read_only=True)
    try:
        lines = con.sql(
            "select money_source, transaction_type, amazon_order_id, amount_type, "
            "amount_description, cast(amount as varchar), currency, quantity_purchased "
            "from intermediate.int_money_events order by posted_date, money_line_id"
        ).fetchall()
        total = con.sql(
            "select cast(sum(amount) as varchar) from intermediate.int_money_events"
        ).fetchall()[0][0]
    finally:
        con.close()
    assert {line[0] for line in lines} == {"settlement_v1"} and len(lines) == 14
    assert total == "32.0300"
    assert ("settlement_v1", "Refund", "702-2222222-2222222", "ItemPrice", "Principal") in {
        line[:5] for line in lines
    }
    fees = [
        (line[2], line[5], line[7])
        for line in lines
        if line[1] == "Order" and line[4] == "FBAPerUnitFulfillmentFee"
    ]
    # the second order's quantity sat on a row of its own: its fee line carries it
    assert sorted(fees) == [
        ("702-1111111-1111111", "-10.3200", 2),
        ("702-3333333-3333333", "-5.1600", 1),
    ]
    assert all(line[6] == "CAD" for line in lines)
    other = {(line[1], line[3], line[4]) for line in lines if line[3] not in ("ItemPrice",)}
    assert ("WAREHOUSE_DAMAGE", "Other", "WAREHOUSE_DAMAGE") in other
    assert ("other-transaction", "OtherFee", "Inbound Transportation Charge") in other


def test_an_html_page_is_not_called_an_xml_report(tmp_path):
    f = tmp_path / "download.txt"
    f.write_text("<html><body>Request expired</body></html>\n")
    with pytest.raises(DocumentError) as exc:
        parse_document(f.read_bytes(), f.name)
    assert "not a recognised report" in str(exc.value) and "XML" not in str(exc.value)


def test_fee_preview_short_future_fee_header_is_read(tmp_path):
    header, data, delimiter = _table("fee_preview_na_store.tsv")
    i = header.index("estimated-future-fee (Current Selling on Amazon + Future Fulfillment fees)")
    header[i] = "estimated-future-fee"
    data[0][i] = "18.40"
    f = _write(tmp_path / "fee-preview-short.tsv", header, data, delimiter)
    doc = parse_document(f.read_bytes(), f.name)
    assert doc.frame["estimated_future_fee"].tolist()[0] == Decimal("18.40")
    assert not doc.warnings and not doc.quarantine
