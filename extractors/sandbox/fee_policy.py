"""What the sandbox's Amazon charges as the FBA fulfilment fee on a given day, and the claim
windows it honours per marketplace: the simulator's own reading of the 2025-2026 policy
(../shared/reference/policy-2026.md s2-3 and the sources it names), kept apart from the
detector's seeds (dbt_project/seeds/). The detection side must never import this module, nor
this module read a seed: the two are independent transcriptions, so a mistake in one shows up
as a miss or a false positive in `reclaim evaluate` instead of being shared.

Fees (US; the UK keeps the sandbox's own table in fees.py, with no 2026 change modelled):
- before 2026-01-15 the 2024 card of fees.py (no increase in 2025); items under $10 get the
  Low-Price FBA rate, $0.77 below the standard rate (third-party figure for 2025);
- from 2026-01-15 the 2026 card: standard-size items priced $10-$50 cost $0.25 (small
  standard) / $0.05 (large standard) more per unit, items under $10 the $10-$50 rate less
  $0.86; items above $50 ASSUMED $0.50 above the $10-$50 rate and bulky / extra-large ASSUMED
  unchanged (Amazon's mail gives no figures the reference could confirm);
- from 2026-04-17 a 3.5 % fuel and logistics surcharge on the fee (US and CA), per unit,
  rounded to the cent;
- from 2026-01-15 a low-inventory-level fee (LILF) inside the same fee line in the months a SKU
  runs low (amounts ASSUMED; the reference says only that the line is base + surcharge + LILF).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import numpy as np

from extractors.sandbox import fees

CENT = Decimal("0.01")

CARD_2026_SINCE = date(2026, 1, 15)
SURCHARGE_SINCE = date(2026, 4, 17)
SURCHARGE_RATE = Decimal("0.035")
SURCHARGE_MARKETS = frozenset({"US", "CA"})
LILF_SINCE = date(2026, 1, 15)

_STANDARD = ("Small Standard-Size", "Large Standard-Size")
_LOW_PRICE_2025 = Decimal("0.77")
_LOW_PRICE_2026 = Decimal("0.86")
_RISE_2026 = {"Small Standard-Size": Decimal("0.25"), "Large Standard-Size": Decimal("0.05")}
_OVER_50_2026 = Decimal("0.50")  # assumption
# Low-inventory-level fee per unit by tier (assumption, see module docstring).
_LILF = {"Small Standard-Size": Decimal("0.32"), "Large Standard-Size": Decimal("0.58")}
_LILF_OTHER = Decimal("0.89")


def card_fee(dims: fees.Dims, market: str, day: date, price: Decimal) -> tuple[str, Decimal]:
    """(size tier, fulfilment fee per unit incl. surcharges, without LILF) on `day` for an item
    of these dimensions sold at `price`."""
    tier, fee = fees.fulfillment_fee(dims, market)
    if market != "US":
        return tier, fee
    standard = tier in _STANDARD
    if day < CARD_2026_SINCE:
        if standard and price < 10:
            fee -= _LOW_PRICE_2025
    elif standard:
        fee += _RISE_2026[tier]
        if price < 10:
            fee -= _LOW_PRICE_2026
        elif price > 50:
            fee += _OVER_50_2026
    if market in SURCHARGE_MARKETS and day >= SURCHARGE_SINCE:
        fee += (fee * SURCHARGE_RATE).quantize(CENT, ROUND_HALF_UP)
    return tier, fee


def lilf(tier: str, market: str, day: date) -> Decimal:
    """The low-inventory-level fee per unit folded into the fee line (US, from 2026-01-15)."""
    if market != "US" or day < LILF_SINCE:
        return Decimal(0)
    return _LILF.get(tier, _LILF_OTHER)


def regime_days(start: date, days: int) -> list[int]:
    """Day indexes (from `start`) on which the fee rules change inside the scenario, with 0."""
    cuts = [0]
    for since in (CARD_2026_SINCE, SURCHARGE_SINCE):
        i = (since - start).days
        if 0 < i < days:
            cuts.append(i)
    return sorted(set(cuts))


# -- claim windows ---------------------------------------------------------------------------
# (opens, deadline) days after the anchor, per marketplace, from policy-2026.md s2.

_FEE_DISPUTE = {"US": (0, 90), "UK": (0, 90)}  # "FBA weight/dimension fee: <= 90 d from charge"


def fee_dispute_window(month: date, market: str) -> tuple[date, date]:
    """Window of a fee dimension dispute for the month of charge (anchored on its first day)."""
    opens, closes = _FEE_DISPUTE.get(market, (0, 90))
    return month + timedelta(days=opens), month + timedelta(days=closes)


# -- order lines -----------------------------------------------------------------------------

LOW_INVENTORY_MONTH_SHARE = 0.15  # assumption: share of (SKU, month) pairs that run low


def _cents(v: Decimal) -> int:
    return int((v * 100).to_integral_value(ROUND_HALF_UP))


def low_inventory_months(rng: np.random.Generator, n_products: int, start: date, days: int):
    """(n_products, n_months) booleans: the calendar months (from `start`'s) a SKU runs low."""
    end = start + timedelta(days=days)
    months = (end.year - start.year) * 12 + end.month - start.month + 1
    return rng.random((n_products, months)) < LOW_INVENTORY_MONTH_SHARE


def order_line_fees(book, utc_day: np.ndarray, prod: np.ndarray, low: np.ndarray):
    """Per order line, in cents per unit: (fee charged incl. surcharge and LILF, fee for the
    true dimensions on the same card, the LILF part). `utc_day` is the day index of the fee's
    posting (UTC, as the money history dates it); Amazon's measurement applies from the SKU's
    `measured_since`."""
    market, start, products = book.market.code, book.start, book.products
    last = int(utc_day.max()) + 1 if len(utc_day) else 1
    cuts = regime_days(start, last)
    regime = np.searchsorted(np.array(cuts), utc_day, side="right") - 1
    n, r = len(products), len(cuts)
    true_c = np.zeros((r, n), dtype=np.int64)
    amz_c = np.zeros((r, n), dtype=np.int64)
    true_l = np.zeros((r, n), dtype=np.int64)
    amz_l = np.zeros((r, n), dtype=np.int64)
    for k, cut in enumerate(cuts):
        d = start + timedelta(days=cut)
        for j, p in enumerate(products):
            tier, fee = card_fee(p.true_dims, market, d, p.price)
            true_c[k, j], true_l[k, j] = _cents(fee), _cents(lilf(tier, market, d))
            tier, fee = card_fee(p.measured or p.true_dims, market, d, p.price)
            amz_c[k, j], amz_l[k, j] = _cents(fee), _cents(lilf(tier, market, d))
    since = np.array([p.measured_since if p.measured is not None else 1 << 30 for p in products])
    measured = utc_day >= since[prod]
    base = np.where(measured, amz_c[regime, prod], true_c[regime, prod])
    lilf_all = np.where(measured, amz_l[regime, prod], true_l[regime, prod])
    month_of_day = np.array(
        [
            (lambda d: (d.year - start.year) * 12 + d.month - start.month)(
                start + timedelta(days=i)
            )
            for i in range(last)
        ]
    )
    low_line = low[prod, np.minimum(month_of_day[utc_day], low.shape[1] - 1)]
    lilf_c = np.where(low_line, lilf_all, 0)
    return base + lilf_c, true_c[regime, prod], lilf_c


# -- ground truth ----------------------------------------------------------------------------


def fee_truth(book, utc_days: np.ndarray) -> list[dict[str, str]]:
    """fulfillment_fee_overcharge truth: one row per (SKU, month of charge) with the order lines
    Amazon charged by its (wrong, costlier) measurement: per unit the card fee at Amazon's
    measurement minus at the true one, both on the card in force (LILF excluded); anchored on
    the month's first day, window +0..+90 days."""
    o = book.orders
    over = o.fee_cents - o.lilf_cents - o.true_fee_cents
    groups: dict[tuple[int, date], list[int]] = {}
    for i in np.nonzero(over > 0)[0].tolist():
        day = book.start + timedelta(days=int(utc_days[i]))
        if day > book.as_of:
            continue
        key = (int(o.product[i]), day.replace(day=1))
        acc = groups.setdefault(key, [0, 0])
        acc[0] += int(o.qty[i])
        acc[1] += int(over[i]) * int(o.qty[i])
    rows = []
    for (prod, month), (units, cents) in sorted(groups.items()):
        amount = Decimal(cents) / 100
        eligible, deadline = fee_dispute_window(month, book.market.code)
        rows.append(
            book._truth(
                "fulfillment_fee_overcharge",
                book.products[prod],
                month,
                units,
                (amount / units).quantize(Decimal("0.0001"), ROUND_HALF_UP),
                eligible,
                deadline,
                amount=amount,
            )
        )
    return rows


def storage_truth(book, month_end) -> list[dict[str, str]]:
    """storage_fee_overcharge truth: one row per (FNSKU, month of charge), the fulfilment
    centres' overcharges (charged minus the fee for the true volume, each at least a cent)
    summed; window month end +0..+90 days."""
    groups: dict[tuple[str, date], list] = {}
    for c in book.storage:
        diff = (c.fee - c.true_fee).quantize(CENT, ROUND_HALF_UP)
        if diff < CENT:
            continue
        acc = groups.setdefault((c.product.fnsku, c.month), [c.product, Decimal(0)])
        acc[1] += diff
    rows = []
    for (_, month), (product, amount) in sorted(groups.items(), key=lambda kv: kv[0]):
        end = month_end(month)
        rows.append(
            book._truth(
                "storage_fee_overcharge",
                product,
                month,
                1,
                amount,
                end,
                end + timedelta(days=90),
                amount=amount,
            )
        )
    return rows
