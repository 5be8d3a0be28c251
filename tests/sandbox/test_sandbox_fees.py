"""The sandbox's fee tables (extractors/sandbox/fees.py: the 2024 size tiers and cards) and its
2026 fee behaviour (extractors/sandbox/fee_policy.py: price bands, fuel and logistics surcharge,
low-inventory-level fee), checked against figures worked out by hand from the reference
(../shared/reference/policy-2026.md s3 and the sources it names). The detector's seeds are a
separate transcription and are deliberately not compared here: `reclaim evaluate` shows where
the two readings of the policy disagree."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from extractors.sandbox import fee_policy, fees


def _dims(*v: str) -> fees.Dims:
    return fees.Dims(*(Decimal(x) for x in v))


@pytest.mark.parametrize(
    ("dims", "tier", "fee"),
    [
        (("6.0", "6.0", "4.5", "0.90"), "Large Standard-Size", "4.99"),  # 1.1655 lb dimensional
        (("6.4", "6.4", "4.8", "1.00"), "Large Standard-Size", "5.37"),  # 1.4144 lb dimensional
        (("10", "6", "0.5", "0.24"), "Small Standard-Size", "3.15"),  # 2+ to 4 oz
        (("17", "12", "2", "3.10"), "Large Standard-Size", "7.00"),  # 3 lb + one 4-oz step
        (("36", "7", "7", "6.2"), "Small Bulky", "14.17"),  # 12.69 lb -> 9.61 + 12 x 0.38
        (("39.6", "7.7", "7.7", "7.14"), "Large Bulky", "32.41"),  # 16.89 lb -> 26.33 + 16 x 0.38
        (("60", "12", "10", "40"), "Extra-Large 50+ to 70 lb", "55.56"),  # 51.8 lb dimensional
    ],
)
def test_us_2024_rate_card_examples(dims, tier, fee) -> None:
    assert fees.fulfillment_fee(_dims(*dims), "US") == (tier, Decimal(fee))


DRIPPER = ("6.0", "6.0", "4.5", "0.90")  # Large standard, 1.1655 lb: 4.99 on the 2024 card
ENVELOPE = ("10", "6", "0.5", "0.24")  # Small standard, 2+ to 4 oz: 3.15 on the 2024 card


@pytest.mark.parametrize(
    ("dims", "day", "price", "fee"),
    [
        (DRIPPER, date(2025, 6, 1), "19.99", "4.99"),  # 2024 card through 2025
        (DRIPPER, date(2025, 6, 1), "8.99", "4.22"),  # low-price rate: - 0.77
        (DRIPPER, date(2026, 1, 15), "19.99", "5.04"),  # 2026 card: large standard + 0.05
        (ENVELOPE, date(2026, 1, 15), "19.99", "3.40"),  # small standard + 0.25
        (DRIPPER, date(2026, 1, 15), "8.99", "4.18"),  # under $10: 2026 rate - 0.86
        (DRIPPER, date(2026, 1, 15), "59.99", "5.54"),  # above $50: + 0.50 (assumption)
        (DRIPPER, date(2026, 4, 16), "19.99", "5.04"),  # the day before the surcharge
        (DRIPPER, date(2026, 4, 17), "19.99", "5.22"),  # 5.04 + 3.5 % (0.1764 -> 0.18)
        (ENVELOPE, date(2026, 7, 1), "19.99", "3.52"),  # 3.40 + 0.119 -> 0.12
        (("36", "7", "7", "6.2"), date(2026, 7, 1), "19.99", "14.67"),  # bulky: 14.17 + 0.50
    ],
)
def test_us_fee_on_the_card_in_force(dims, day, price, fee) -> None:
    assert fee_policy.card_fee(_dims(*dims), "US", day, Decimal(price))[1] == Decimal(fee)


def test_uk_fees_have_no_2026_change_modelled() -> None:
    d = _dims(*DRIPPER)
    assert fee_policy.card_fee(d, "UK", date(2026, 7, 1), Decimal("19.99")) == (
        fees.fulfillment_fee(d, "UK")
    )
    assert fee_policy.lilf("Small parcel", "UK", date(2026, 7, 1)) == 0


def test_low_inventory_fee_starts_with_the_2026_card() -> None:
    assert fee_policy.lilf("Large Standard-Size", "US", date(2026, 1, 14)) == 0
    assert fee_policy.lilf("Large Standard-Size", "US", date(2026, 1, 15)) == Decimal("0.58")


def test_fee_rule_changes_inside_a_scenario() -> None:
    start = date(2026, 1, 1)
    assert fee_policy.regime_days(start, 200) == [0, 14, 106]
    assert fee_policy.regime_days(date(2026, 5, 1), 200) == [0]
