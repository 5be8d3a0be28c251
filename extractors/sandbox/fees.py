"""The sandbox's own fee tables: size tiers, FBA fulfilment fees per unit, monthly storage rates
and the referral fee.

Written for the simulator only, from the tier facts in ../shared/reference/amazon-reports.md
§1.10 (US tiers since 2024: small standard, large standard, small bulky, large bulky,
extra-large; dimensional weight divisor 139; shorter sides floored at 2 in for bulky tiers) and
the storage-fee formula of claim-policy.md 2.11 (average units on hand x item volume x rate).
Amazon publishes the amounts on rate cards that change every year. The US amounts below follow
the rate card effective 2024-02-05 (non-apparel, price $10-$50, non-peak; no low-price or peak
rates) as third-party summaries repeat it, UNCONFIRMED from Amazon; the UK amounts are
ASSUMPTIONS on the UK's tier structure, not Amazon's figures. The detector's seed
(dbt_project/seeds/fba_fulfillment_fees.csv) is a separate transcription of the same US card.
The detection side must never import this module, nor this module read the seed: what a claim
is worth is the simulator's business, what dbt thinks it is worth is the detector's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
CM_PER_IN = Decimal("2.54")
G_PER_LB = Decimal("453.59237")
CUBIC_IN_PER_CUBIC_FT = Decimal(1728)
REFERRAL_RATE = Decimal("0.15")  # assumption: the common 15 % category rate


@dataclass(frozen=True)
class Dims:
    """A unit's package: three sides in inches (any order) and weight in pounds."""

    length: Decimal
    width: Decimal
    height: Decimal
    weight: Decimal

    @property
    def sides(self) -> tuple[Decimal, Decimal, Decimal]:
        s = sorted((self.length, self.width, self.height), reverse=True)
        return s[0], s[1], s[2]

    @property
    def cubic_feet(self) -> Decimal:
        return self.length * self.width * self.height / CUBIC_IN_PER_CUBIC_FT

    def scaled(self, side: float, weight: float) -> Dims:
        def q(v: Decimal, f: float, unit: str) -> Decimal:
            return (v * Decimal(str(f))).quantize(Decimal(unit), ROUND_HALF_UP)

        return Dims(
            q(self.length, side, "0.1"),
            q(self.width, side, "0.1"),
            q(self.height, side, "0.1"),
            q(self.weight, weight, "0.01"),
        )


# -- US (inches, pounds, USD) -----------------------------------------------------------------

# (max weight in ounces, fee) per tier; beyond the last band: base + per step.
_US_SMALL_STANDARD = ((2, "3.06"), (4, "3.15"), (6, "3.24"), (8, "3.33"), (10, "3.43"),
                      (12, "3.53"), (14, "3.60"), (16, "3.65"))  # fmt: skip
_US_LARGE_STANDARD = ((4, "3.68"), (8, "3.90"), (12, "4.15"), (16, "4.55"), (20, "4.99"),
                      (24, "5.37"), (28, "5.52"), (32, "5.77"), (36, "5.87"), (40, "6.07"),
                      (44, "6.35"), (48, "6.45"))  # fmt: skip


def _us_tier(d: Dims) -> tuple[str, Decimal]:
    """(tier, shipping weight in lb)."""
    long_, med, short = d.sides
    if long_ <= 15 and med <= 12 and short <= Decimal("0.75") and d.weight <= 1:
        return "Small Standard-Size", d.weight
    dim_weight = d.length * d.width * d.height / 139
    if long_ <= 18 and med <= 14 and short <= 8 and d.weight <= 20:
        return "Large Standard-Size", max(d.weight, dim_weight)
    floored = max(med, Decimal(2)) * max(short, Decimal(2)) * long_ / 139
    ship = max(d.weight, floored)
    girth = long_ + 2 * (med + short)
    if long_ <= 37 and med <= 28 and short <= 20 and girth <= 130 and ship <= 50:
        return "Small Bulky", ship
    if long_ <= 59 and med <= 33 and short <= 33 and girth <= 130 and ship <= 50:
        return "Large Bulky", ship
    if ship <= 50:
        return "Extra-Large 0 to 50 lb", ship
    if ship <= 70:
        return "Extra-Large 50+ to 70 lb", ship
    if ship <= 150:
        return "Extra-Large 70+ to 150 lb", ship
    return "Extra-Large 150+ lb", ship  # Amazon bills 150+ lb on unit weight: not modelled


def _us_fee(d: Dims) -> tuple[str, Decimal]:
    tier, ship = _us_tier(d)
    ounces = (ship * 16).to_integral_value(ROUND_CEILING)
    if tier == "Small Standard-Size":
        return tier, Decimal(next(f for oz, f in _US_SMALL_STANDARD if ounces <= oz))
    if tier == "Large Standard-Size":
        for oz, f in _US_LARGE_STANDARD:
            if ounces <= oz:
                return tier, Decimal(f)
        quarters = ((ounces - 48) / 4).to_integral_value(ROUND_CEILING)
        return tier, Decimal("6.92") + Decimal("0.08") * quarters
    # tier: (base fee, pounds included in it, fee per further started pound)
    base, included, per_lb = {
        "Small Bulky": ("9.61", 1, "0.38"),
        "Large Bulky": ("26.33", 1, "0.38"),
        "Extra-Large 0 to 50 lb": ("40.12", 1, "0.38"),
        "Extra-Large 50+ to 70 lb": ("54.81", 51, "0.75"),
        "Extra-Large 70+ to 150 lb": ("77.60", 71, "0.75"),
    }.get(tier, ("165.86", 151, "0.19"))
    extra_lb = max(Decimal(0), ship.to_integral_value(ROUND_CEILING) - included)
    return tier, (Decimal(base) + Decimal(per_lb) * extra_lb).quantize(CENT)


# -- UK (centimetres, grams, GBP) ---------------------------------------------------------------

_UK_ENVELOPES = (  # tier, max sides (cm), max weight (g), fee
    ("Light envelope", (33, 23, Decimal("2.5")), 100, "1.80"),
    ("Standard envelope", (33, 23, Decimal("2.5")), 460, "2.14"),
    ("Large envelope", (33, 23, 4), 960, "2.72"),
    ("Extra-large envelope", (33, 23, 6), 960, "2.94"),
)
_UK_PARCELS = (  # tier, max sides (cm), max weight (g), weight bands (g, fee)
    ("Small parcel", (35, 25, 12), 3900,
     ((150, "2.91"), (400, "3.00"), (900, "3.04"), (1400, "3.05"), (1900, "3.25"),
      (3900, "5.10"))),
    ("Standard parcel", (45, 34, 26), 11900,
     ((150, "2.94"), (400, "3.01"), (900, "3.06"), (1400, "3.26"), (1900, "3.48"),
      (2900, "4.73"), (3900, "5.16"), (5900, "5.26"), (8900, "5.48"), (11900, "6.35"))),
)  # fmt: skip


def _uk_fee(d: Dims) -> tuple[str, Decimal]:
    long_, med, short = (s * CM_PER_IN for s in d.sides)
    grams = d.weight * G_PER_LB

    def fits(limits) -> bool:
        return long_ <= limits[0] and med <= limits[1] and short <= limits[2]

    for tier, limits, max_g, fee in _UK_ENVELOPES:
        if fits(limits) and grams <= max_g:
            return tier, Decimal(fee)
    for tier, limits, max_g, bands in _UK_PARCELS:
        if fits(limits) and grams <= max_g:
            return tier, Decimal(next(f for g, f in bands if grams <= g))
    dim_g = long_ * med * short / 5000 * 1000
    ship_kg = max(grams, dim_g) / 1000
    extra_kg = max(Decimal(0), ship_kg.to_integral_value(ROUND_CEILING) - 1)
    if long_ <= 61 and med <= 46 and short <= 46 and ship_kg <= Decimal("1.76"):
        return "Small oversize", Decimal("3.65") if ship_kg <= Decimal("0.76") else Decimal("3.73")
    if long_ <= 120 and med <= 60 and short <= 60 and ship_kg <= Decimal("29.76"):
        return "Standard oversize", (Decimal("6.24") + Decimal("0.25") * extra_kg).quantize(CENT)
    return "Large oversize", (Decimal("10.94") + Decimal("0.25") * extra_kg).quantize(CENT)


def fulfillment_fee(dims: Dims, market: str) -> tuple[str, Decimal]:
    """(size tier, FBA fulfilment fee per unit) for a unit with these dimensions."""
    return _uk_fee(dims) if market == "UK" else _us_fee(dims)


def is_oversize(tier: str) -> bool:
    return tier.endswith(("Bulky", "oversize")) or tier.startswith("Extra-Large")


def storage_rate(tier: str, month: date, market: str) -> Decimal:
    """Monthly storage fee per cubic foot (assumption): higher October to December."""
    peak = month.month >= 10
    if market == "UK":
        return (
            Decimal("0.53" if not peak else "0.73")
            if is_oversize(tier)
            else (Decimal("0.75" if not peak else "1.04"))
        )
    return (
        Decimal("0.56" if not peak else "1.40")
        if is_oversize(tier)
        else (Decimal("0.78" if not peak else "2.40"))
    )
