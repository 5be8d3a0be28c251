"""Recovery settings in the seller registry: defaults, validation, the snapshot dbt reads, and the
Monday schedule's run config."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from orchestration.evaluation import CLAIM_TYPES
from orchestration.reporting.common import ReportError, parse_week, week_label
from orchestration.reporting.invoice import previous_period
from orchestration.reporting.settings import (
    Agency,
    AgencyError,
    RecoverySettings,
    SettingsError,
    parse_settings,
    settings_to_json,
    write_settings_snapshot,
)
from orchestration.reporting.weekly import default_week
from orchestration.schedules import weekly_run_config
from orchestration.sellers import Seller, SellerRegistry
from tests.conftest import run_reclaim


def test_defaults_for_everything_unset():
    s = parse_settings("A1", None)
    assert s == RecoverySettings()
    assert (s.fee_percentage, s.billing_cadence, s.follow_up_days) == (
        Decimal("25.00"),
        "weekly",
        7,
    )
    assert s.claim_types_enabled == CLAIM_TYPES and s.excluded_skus == ()
    assert "fee_percentage" in s.defaults_used


def test_every_problem_is_named():
    with pytest.raises(SettingsError) as err:
        parse_settings(
            "A1",
            {
                "fee_percentage": "120",
                "billing_cadence": "daily",
                "grace_days": -1,
                "max_items_per_case": "10",
                "claim_types_enabled": ["warehouse_lost", "lost_in_space"],
                "excluded_skus": "SKU-1",
                "colour": "blue",
            },
        )
    text = str(err.value)
    for needle in (
        "fee_percentage",
        "billing_cadence",
        "grace_days",
        "max_items_per_case",
        "lost_in_space",
        "excluded_skus",
        "unknown key(s) colour",
    ):
        assert needle in text


def test_registry_rejects_invalid_settings(tmp_path):
    (tmp_path / "sellers.json").write_text(
        '{"sellers": [{"seller_id": "A1LIFE", "settings": {"recovery": {"fee_percentage": "x"}}}]}'
    )
    with pytest.raises(ValueError, match=r"A1LIFE.*fee_percentage"):
        SellerRegistry(tmp_path).load()


def test_snapshot_for_dbt(tmp_path):
    sellers = [
        Seller("A1", settings={"recovery": {"fee_percentage": 20, "excluded_skus": ["S-1"]}}),
        Seller("A2"),
    ]
    settings, values = write_settings_snapshot(tmp_path, sellers)
    rows = pq.read_table(settings).to_pylist()
    assert [(r["seller_id"], r["fee_percentage"]) for r in rows] == [
        ("A1", Decimal("20.00")),
        ("A2", Decimal("25.00")),
    ]
    vals = pq.read_table(values).to_pylist()
    assert {"seller_id": "A1", "setting": "excluded_sku", "value": "S-1"} in vals
    assert sum(v["setting"] == "claim_type_enabled" for v in vals) == 2 * len(CLAIM_TYPES)


AGENCY = {
    "name": "Reclaim Partners Ltd",
    "address": ["1 Dock Road", "Bristol BS1 4AA", "United Kingdom"],
    "email": "billing@reclaim.example",
    "tax_id": "GB123456789",
    "payment_terms_days": 21,
}


def test_invoice_settings_bill_to_and_payment_terms():
    s = parse_settings("A1", None)
    assert s.bill_to == () and s.payment_terms_days is None  # seller's name; agency's terms
    assert "bill_to" not in settings_to_json(s) and "payment_terms_days" not in settings_to_json(s)
    s = parse_settings("A1", {"bill_to": [" Life & Co ", "1 Market St"], "payment_terms_days": 0})
    assert s.bill_to == ("Life & Co", "1 Market St") and s.payment_terms_days == 0
    assert parse_settings("A1", settings_to_json(s)) == s
    with pytest.raises(SettingsError) as err:
        parse_settings("A1", {"bill_to": "Life & Co", "payment_terms_days": 366})
    (line,) = str(err.value).splitlines()
    assert "bill_to: 'Life & Co' is not a list of address lines" in line
    assert "payment_terms_days: 366 must be between 0 and 365" in line
    for bad in ([], ["ok", " "], [1]):
        with pytest.raises(SettingsError, match="bill_to"):
            parse_settings("A1", {"bill_to": bad})
    for bad in ("30", 1.5, True, -1):
        with pytest.raises(SettingsError, match="payment_terms_days"):
            parse_settings("A1", {"payment_terms_days": bad})


def test_registry_agency_is_validated_in_one_line(tmp_path):
    registry = SellerRegistry(tmp_path)
    assert registry.agency() is None
    path = tmp_path / "sellers.json"
    path.write_text(json.dumps({"sellers": [], "agency": AGENCY}))
    assert registry.agency() == Agency(
        name="Reclaim Partners Ltd",
        address=("1 Dock Road", "Bristol BS1 4AA", "United Kingdom"),
        email="billing@reclaim.example",
        tax_id="GB123456789",
        payment_terms_days=21,
    )
    minimal = {k: AGENCY[k] for k in ("name", "address", "email")}
    path.write_text(json.dumps({"sellers": [], "agency": minimal}))
    assert (registry.agency().tax_id, registry.agency().payment_terms_days) == (None, 14)

    bad = {
        **AGENCY,
        "payment_terms_days": "thirty",
        "address": "1 Dock Road",
        "email": "nobody",
        "phone": "0",
    }
    path.write_text(json.dumps({"sellers": [], "agency": bad}))
    for call in (registry.load, registry.agency):
        with pytest.raises(AgencyError) as err:
            call()
        (line,) = str(err.value).splitlines()
        assert line.startswith(f"{path}: invalid agency: ")
        for needle in (
            "agency: unknown key(s) phone (known: name, address, email, tax_id, "
            "payment_terms_days)",
            "agency.payment_terms_days: 'thirty' is not a whole number (expected a whole number "
            "between 0 and 365)",
            "agency.address: '1 Dock Road' is not a list of address lines",
            "agency.email: 'nobody' is not an email address",
        ):
            assert needle in line
    path.write_text(json.dumps({"sellers": [], "agency": {"name": "X"}}))
    with pytest.raises(AgencyError, match=r"agency.address: missing.*agency.email: missing"):
        registry.agency()
    with pytest.raises(AgencyError, match=r"agency\.payment_terms_days: 400 must be between"):
        registry.set_agency({**AGENCY, "payment_terms_days": 400})


def test_cli_names_a_bad_agency_in_one_line(tmp_path):
    (tmp_path / "state").mkdir()
    path = tmp_path / "state" / "sellers.json"
    path.write_text(
        json.dumps(
            {"sellers": [{"seller_id": "A1LIFE"}], "agency": {**AGENCY, "payment_terms_days": -3}}
        )
    )
    r = run_reclaim(tmp_path, "invoice", "--seller", "A1LIFE")
    assert r.returncode == 2
    (line,) = r.stderr.strip().splitlines()
    assert str(path) in line and "agency.payment_terms_days: -3 must be between 0 and 365" in line


def test_registry_rewrite_keeps_the_agency(tmp_path):
    registry = SellerRegistry(tmp_path)
    registry.set_agency(AGENCY)
    registry.upsert(Seller("A1LIFE", name="Life & Co"))
    registry.ensure("A2OTHER")
    s = registry.get("A1LIFE")
    s.settings = {"recovery": {"bill_to": ["Life & Co Ltd", "1 Market St"]}}
    registry.upsert(s)
    registry.save(registry.load())
    data = json.loads((tmp_path / "sellers.json").read_text())
    assert data["agency"] == AGENCY
    assert [x["seller_id"] for x in data["sellers"]] == ["A1LIFE", "A2OTHER"]
    assert registry.get("A1LIFE").recovery.bill_to == ("Life & Co Ltd", "1 Market St")
    registry.set_agency(None)
    assert "agency" not in json.loads((tmp_path / "sellers.json").read_text())
    assert len(registry.load()) == 2


def test_snapshot_leaves_the_invoice_settings_to_the_registry(tmp_path):
    sellers = [Seller("A1", settings={"recovery": {"bill_to": ["X"], "payment_terms_days": 30}})]
    settings, values = write_settings_snapshot(tmp_path, sellers)
    (row,) = pq.read_table(settings).to_pylist()
    assert "bill_to" not in row and "payment_terms_days" not in row
    assert "bill_to" not in row["defaults_used"] and "payment_terms" not in row["defaults_used"]
    assert {v["setting"] for v in pq.read_table(values).to_pylist()} == {"claim_type_enabled"}


def test_weeks_and_periods():
    assert parse_week("2026-W48") == date(2026, 11, 23)
    assert week_label(date(2026, 11, 29)) == "2026-W48"
    with pytest.raises(ReportError):
        parse_week("2026-48")
    assert default_week(date(2026, 11, 23)) == date(2026, 11, 16)  # Monday: the week just ended
    assert previous_period("weekly", date(2026, 11, 23)) == (date(2026, 11, 16), date(2026, 11, 22))
    assert previous_period("monthly", date(2026, 12, 7)) == (date(2026, 11, 1), date(2026, 11, 30))
    assert previous_period("monthly", date(2026, 12, 14)) is None


def test_monday_schedule_reports_the_week_just_ended():
    config = weekly_run_config(datetime(2026, 11, 23, 7, tzinfo=UTC))["ops"]
    assert config["reclaim_dbt_assets"]["config"]["as_of"] == "2026-11-23"
    assert config["weekly_recovery_reports"]["config"]["week"] == "2026-W47"
    assert config["recovery_invoices"]["config"]["run_day"] == "2026-11-23"
