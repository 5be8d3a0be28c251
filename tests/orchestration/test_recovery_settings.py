"""Recovery settings in the seller registry: defaults, validation, the snapshot dbt reads, and the
Monday schedule's run config."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pyarrow.parquet as pq
import pytest

from orchestration.evaluation import CLAIM_TYPES
from orchestration.reporting.common import ReportError, parse_week, week_label
from orchestration.reporting.invoice import previous_period
from orchestration.reporting.settings import (
    RecoverySettings,
    SettingsError,
    parse_settings,
    write_settings_snapshot,
)
from orchestration.reporting.weekly import default_week
from orchestration.schedules import weekly_run_config
from orchestration.sellers import Seller, SellerRegistry


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
