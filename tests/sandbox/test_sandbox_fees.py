"""The sandbox's US fulfilment fee table (extractors/sandbox/fees.py) and the detector's seeds
(dbt_project/seeds/fba_size_tiers.csv, fba_fulfillment_fees.csv) are two independent
transcriptions of the same published rate card: neither reads the other, so this test is what
notices when they drift apart (a drift shows up as missed or invented fee overcharges that no
measurement explains). The seed is evaluated here the way int_product_size_tiers and
int_fulfillment_fee_overcharge_candidates read it."""

from __future__ import annotations

import csv
import random
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

import pytest

from extractors.sandbox import fees

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def _num(v: str) -> Decimal | None:
    return Decimal(v) if v not in ("", None) else None


def _us_rows(name: str) -> list[dict[str, str]]:
    with open(SEEDS / name, newline="", encoding="utf-8") as fh:
        return [r for r in csv.DictReader(fh) if r["country"] == "US"]


TIERS = sorted(_us_rows("fba_size_tiers.csv"), key=lambda r: int(r["tier_rank"]))
SCHEDULE = _us_rows("fba_fulfillment_fees.csv")


def _seed_fee(d: fees.Dims) -> tuple[str, Decimal]:
    tiers, schedule = TIERS, SCHEDULE
    long_, med, short = d.sides
    for t in tiers:
        floor = _num(t["min_side_in"]) or Decimal(0)
        ship = (
            d.weight
            if t["weight_basis"] == "unit"
            else max(d.weight, long_ * max(med, floor) * max(short, floor) / 139)
        )
        limits = (
            (long_, t["max_longest_in"]),
            (med, t["max_median_in"]),
            (short, t["max_shortest_in"]),
            (long_ + 2 * (med + short), t["max_length_girth_in"]),
            (ship, t["max_weight_lb"]),
        )
        if all(_num(lim) is None or v <= _num(lim) for v, lim in limits):
            break
    for r in schedule:
        if r["size_tier"] == t["size_tier"] and _num(r["weight_over_lb"]) < ship <= _num(
            r["weight_upto_lb"]
        ):
            fee = _num(r["base_fee"])
            step, above = _num(r["step_lb"]), _num(r["steps_above_lb"])
            if step and ship > above:
                fee += ((ship - above) / step).to_integral_value(ROUND_CEILING) * _num(
                    r["fee_per_step"]
                )
            return t["size_tier"], fee
    raise AssertionError(f"no fee row for {t['size_tier']} at {ship} lb")


def _tier_key(tier: str) -> str:
    return tier.lower().replace(" ", "").replace("-", "").replace("size", "")


@pytest.mark.parametrize("seed", range(4))
def test_simulator_fee_table_matches_the_detectors_seed(seed: int) -> None:
    rng = random.Random(seed)
    for i in range(2500):
        small = i % 2 == 0
        sides = [round(rng.uniform(0.2, 18 if small else 70), 1) for _ in range(3)]
        weight = round(rng.uniform(0.02, 8 if small else 160), 2)
        d = fees.Dims(*(Decimal(str(v)) for v in (*sides, weight)))
        tier, fee = fees.fulfillment_fee(d, "US")
        seed_tier, seed_fee = _seed_fee(d)
        assert _tier_key(tier).startswith(_tier_key(seed_tier)), (d, tier, seed_tier)
        assert fee == seed_fee, (d, tier, fee, seed_fee)


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
def test_us_rate_card_examples(dims, tier, fee) -> None:
    assert fees.fulfillment_fee(fees.Dims(*(Decimal(v) for v in dims)), "US") == (
        tier,
        Decimal(fee),
    )
