"""The fixtures are Amazon's files unchanged, and every table the emulator and the client-side
pacer keep about Amazon's operations (routes, parameters, rate limits) says what the models say.
Also the validator itself, tried on Amazon's own examples."""

from __future__ import annotations

import hashlib
import re

import pytest

from extractors.sandbox import emulator
from extractors.spapi import pacing
from tests.conformance.models import FINANCES, FINANCES_V0, INBOUND, MODELS_DIR, REPORTS, load

# The operations fba-reclaim reads (the emulator serves them, the extractor calls them).
SERVED = {
    REPORTS: ("getReports", "createReport", "getReport", "cancelReport", "getReportDocument"),
    INBOUND: ("getShipments", "getShipmentItemsByShipmentId", "getShipmentItems"),
    FINANCES: ("listTransactions",),
    FINANCES_V0: ("listFinancialEvents",),
}
SERVED_OPS = [(model, op) for model, ops in SERVED.items() for op in ops]


def test_fixtures_are_the_files_named_in_source_md():
    table = (MODELS_DIR / "SOURCE.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([^`]+\.json)` \|.*\| `([0-9a-f]{64})` \|$", table, re.M))
    assert set(listed) == {p.name for p in MODELS_DIR.glob("*.json")} == set(SERVED)
    for name, digest in listed.items():
        assert hashlib.sha256((MODELS_DIR / name).read_bytes()).hexdigest() == digest, name


@pytest.mark.parametrize(("model", "operation_id"), SERVED_OPS)
def test_emulator_routes_take_the_models_parameters(model, operation_id):
    op = load(model).by_id(operation_id)
    path = re.sub(r"\{\w+\}", "X1", op.template)
    assert emulator._route(op.method, path)[0] == operation_id
    assert emulator.QUERY_PARAMETERS[operation_id] == set(op.query_parameters())


@pytest.mark.parametrize(("model", "operation_id"), SERVED_OPS)
def test_rate_limits_are_the_usage_plans(model, operation_id):
    rate, burst = load(model).by_id(operation_id).usage_plan()
    assert float(emulator.RATE_LIMITS[operation_id]) == rate
    assert pacing.RATE_LIMITS[operation_id] == (rate, burst)


def test_the_validator_finds_what_amazons_own_examples_get_wrong():
    """Amazon's examples, checked with the same validator the emulator's answers go through.
    Known deviations in Amazon's examples are listed; anything else failing means the validator
    (or the fixture) is wrong."""
    known = {
        # InboundShipmentInfo requires AreCasesRequired; Amazon's example omits it
        ("getShipments", 200): [
            "payload/ShipmentData/0: 'AreCasesRequired' is a required property"
        ],
    }
    found = {}
    for name in (REPORTS, INBOUND):
        m = load(name)
        for op in m.operations:
            for status, _, body in op.examples():
                schema = (op.response(status) or {}).get("schema")
                if schema is not None and body is not None:
                    errors = m.body_errors(schema, body)
                    if errors:
                        found[(op.operation_id, status)] = errors
    assert found == known


def test_the_validator_rejects_what_the_models_forbid():
    m = load(INBOUND)
    items = m.by_id("getShipmentItems")
    schema = items.response(200)["schema"]
    bad = {"payload": {"ItemData": [{"SellerSKU": "A", "QuantityShipped": "4", "Leak": 1}]}}
    errors = m.body_errors(schema, bad)
    assert any("'4' is not of type 'integer'" in e for e in errors)
    assert any("'Leak' was unexpected" in e for e in errors)
    assert items.request_errors({"QueryType": ["SHIPMENT"], "MarketplaceId": ["A"]})
    assert items.request_errors({"QueryType": ["DATE_RANGE"]})  # MarketplaceId is required
    assert items.request_errors(
        {"QueryType": ["DATE_RANGE"], "MarketplaceId": ["A"], "LastUpdatedAfter": ["2026-01-01"]}
    )  # a date, not a date-time
    by_id = m.by_id("getShipmentItemsByShipmentId")
    assert by_id.request_errors({"NextToken": ["T"]}) == [
        "getShipmentItemsByShipmentId: NextToken is not a parameter of this operation"
    ]
    shipments = m.by_id("getShipments")
    ok = {
        "QueryType": ["SHIPMENT"],
        "MarketplaceId": ["A"],
        "ShipmentStatusList": ["CLOSED,WORKING"],
    }
    assert shipments.request_errors(ok) == []
    repeated = {**ok, "ShipmentStatusList": ["CLOSED", "WORKING"]}
    assert shipments.request_errors(repeated)
    too_many = {**ok, "ShipmentIdList": [",".join(f"FBA{i}" for i in range(1000))]}
    assert any("maxItems 999" in e for e in shipments.request_errors(too_many))
