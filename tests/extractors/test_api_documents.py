"""Saved SP-API JSON (Finances v0 financial events, FBA Inbound v0 shipments and items): flattened
into rows with exact money, typed and validated like the flat-file reports, and landed by
`reclaim ingest`."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.ingest import ingest_files
from extractors.reports.api_documents import parse_api_document
from extractors.reports.parsing import DocumentError
from extractors.reports.schemas import validate

FIXTURES = Path(__file__).parents[1] / "fixtures" / "api"
# The saved documents at the top of FIXTURES (inbound_split/ holds files ingested apart).
SAVED = sorted(FIXTURES.glob("*.json"))
SPLIT = FIXTURES / "inbound_split"


def test_financial_events_are_flattened_with_exact_money():
    parsed = parse_api_document((FIXTURES / "financial_events.json").read_bytes(), "fe.json")
    f = parsed.frame
    assert parsed.rows_in == len(f) == 8 and parsed.quarantine == []
    refund = f[(f.event_list == "RefundEventList") & (f.amount_type == "Principal")]
    assert len(refund) == 1
    r = refund.iloc[0]
    assert r.amount == Decimal("-19.99") and r.component == "item_charge_adjustment"
    assert r.amazon_order_id == "113-1234567-1234567" and r.order_adjustment_item_id
    assert r.quantity == 1 and str(r.posted_date) == "2026-09-20 10:00:00+00:00"
    fee = f[f.amount_type == "FBAPerUnitFulfillmentFee"].iloc[0]
    assert fee.amount == Decimal("-7.5") and fee.component == "item_fee" and fee.quantity == 2
    adj = f[f.event_list == "AdjustmentEventList"].iloc[0]
    assert (adj.adjustment_type, adj.fnsku, adj.quantity) == ("FBAInventoryReimbursement",
                                                             "X00WIDGET1", 1)  # fmt: skip
    # Event lists fba-reclaim does not read are counted, not silently dropped.
    assert any("ProductAdsPaymentEventList" in w for w in parsed.warnings)
    # The same event always gets the same id (overlapping pulls are deduplicated by it).
    again = parse_api_document((FIXTURES / "financial_events.json").read_bytes(), "other.json")
    assert list(again.frame.event_id) == list(f.event_id)


def test_money_keeps_its_digits_and_bad_amounts_are_quarantined():
    doc = {
        "payload": {
            "FinancialEvents": {
                "RefundEventList": [
                    {
                        "AmazonOrderId": "111-0000000-0000001",
                        "PostedDate": "2026-09-20T10:00:00Z",
                        "ShipmentItemAdjustmentList": [
                            {
                                "SellerSKU": "A",
                                "QuantityShipped": 1,
                                "ItemChargeAdjustmentList": [
                                    {"ChargeType": "Principal",
                                     "ChargeAmount": {"CurrencyCode": "USD",
                                                      "CurrencyAmount": 0.1}},
                                    {"ChargeType": "Tax",
                                     "ChargeAmount": {"CurrencyCode": "USD",
                                                      "CurrencyAmount": "n/a"}},
                                ],
                            }
                        ],
                    }
                ]
            }
        }
    }  # fmt: skip
    parsed = parse_api_document(json.dumps(doc).encode(), "refund.json")
    assert list(parsed.frame.amount) == [Decimal("0.1")]
    [q] = parsed.quarantine
    assert q["source_file"] == "refund.json" and q["row_number"] == 2 and q["field"] == "amount"


def test_inbound_document_lands_shipments_and_items_and_keeps_items_without_shipment():
    parsed = parse_api_document((FIXTURES / "inbound_shipments.json").read_bytes(), "in.json")
    f = parsed.frame
    assert len(f) == 6 and parsed.rows_in == 6 and not parsed.quarantine
    shipments = f[f.record_type == "shipment"]
    assert sorted(shipments.shipment_id) == ["FBA15DJ9S3J5", "FBA15DJ9S3J6"]
    assert shipments.seller_sku.isna().all() and shipments.quantity_shipped.isna().all()
    items = f[f.record_type == "item"]
    short = items[(items.shipment_id == "FBA15DJ9S3J5") & (items.seller_sku == "WIDGET-01")]
    short = short.iloc[0]
    assert (short.quantity_shipped, short.quantity_received) == (100, 97)
    # the same document lists the shipment: the item carries its status and destination
    assert short.shipment_status == "CLOSED"
    assert short.destination_fulfillment_center_id == "MKC6"
    # an item of a shipment not in the document is kept, without status, and named
    waiting = items[items.shipment_id == "FBA15UNKNOWN"].iloc[0]
    assert waiting.seller_sku == "WIDGET-03" and waiting.shipment_status is None
    [warning] = parsed.warnings
    assert "FBA15UNKNOWN" in warning and "kept" in warning and "quarantined" not in warning
    valid, failures = validate("inbound_shipment_items", f)
    assert not failures and len(valid) == 6


def test_inbound_files_saved_one_call_each_flatten_apart():
    """getShipments and getShipmentItemsByShipmentId saved as separate files (one API call per
    file, exactly Amazon's response): each lands on its own, nothing quarantined."""
    shipments = parse_api_document((SPLIT / "getShipments.json").read_bytes(), "s.json")
    assert set(shipments.frame.record_type) == {"shipment"}
    assert dict(zip(shipments.frame.shipment_id, shipments.frame.shipment_status, strict=True)) == {
        "FBA17SPLIT01": "CLOSED",
        "FBA17SPLIT02": "RECEIVING",
    }
    assert not shipments.quarantine and not shipments.warnings
    items = parse_api_document((SPLIT / "items-FBA17SPLIT01.json").read_bytes(), "i.json")
    assert set(items.frame.record_type) == {"item"} and not items.quarantine
    assert items.frame.shipment_status.isna().all()
    assert sorted(items.frame.seller_sku) == ["SPLIT-A", "SPLIT-B"]
    [warning] = items.warnings
    assert warning.startswith("i.json: items of 1 shipment(s) whose shipment is not in this")
    assert "FBA17SPLIT01" in warning and "they are kept" in warning
    for parsed in (shipments, items):
        assert not validate("inbound_shipment_items", parsed.frame)[1]


def test_inbound_rows_missing_what_their_kind_needs_are_quarantined():
    doc = {"payload": {"ShipmentData": [{"ShipmentId": "FBA1"}],
                       "ItemData": [{"ShipmentId": "FBA1", "QuantityShipped": 3,
                                     "QuantityReceived": 1},
                                    {"ShipmentId": "FBA1", "SellerSKU": "A",
                                     "QuantityShipped": 3}]}}  # fmt: skip
    parsed = parse_api_document(json.dumps(doc).encode(), "bad.json")
    valid, failures = validate("inbound_shipment_items", parsed.frame)
    assert len(valid) == 0
    assert sorted(fld for _, fld, _ in failures) == [
        "quantity_shipped",
        "seller_sku",
        "shipment_status",
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b'{"payload": {"Orders": []}}', "not a Finances v0"),
        (
            b'{"errors": [{"code": "InvalidInput", "message": "Input not valid."}]}',
            "an SP-API error response",
        ),
    ],
)
def test_json_that_is_not_usable_is_rejected_by_name(body, message):
    with pytest.raises(DocumentError, match=message) as err:
        parse_api_document(body, "saved.json")
    assert str(err.value).startswith("saved.json: ")


def test_ingest_lands_saved_api_json_once(tmp_path):
    report = ingest_files(tmp_path, "A1TEST", SAVED)
    assert report.ok
    by_source = {o.source: o.result.rows_loaded for o in report.outcomes}
    assert by_source == {"financial_events": 8, "inbound_shipment_items": 6}
    again = ingest_files(tmp_path, "A1TEST", SAVED)
    assert all(o.skipped for o in again.outcomes)
