"""A deterministic FBA seller simulator with ground truth.

`simulate(scenario)` builds, per seller, an event log of what happened to the seller's inventory
(inbound receipts, customer shipments and returns, units misplaced in a fulfillment center and
what became of them, damage, disposals, reimbursements and reversals). `generate(scenario, dir)`
renders that log into the files Amazon would hand out (report formats from
../shared/reference/amazon-reports.md §1.1 and §1.3), the seller's product master, and a
`ground_truth.csv` of the money that is still claimable as of `scenario.as_of`.

The ground truth is computed from the event log only, never from the rendered files; the claim
windows are implemented here from claim-policy.md §3, independently of the dbt seeds that the
detection side uses. Everything is drawn from numpy generators seeded from `scenario.seed`; the
clock is never read, so the same scenario always gives byte-identical files.

Adding a report type is adding a renderer to `RENDERERS` and an entry to `catalog.REPORTS`.
"""

from __future__ import annotations

import calendar
import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TextIO

import numpy as np
import pandas as pd

from extractors.sandbox.catalog import (
    GROUND_TRUTH_COLUMNS,
    GROUND_TRUTH_FILE,
    LEDGER_DETAIL,
    PRODUCT_MASTER_COLUMNS,
    PRODUCT_MASTER_FILE,
    REIMBURSEMENTS,
    REMOVAL_ORDER_DETAIL,
    REPORTS,
    SCENARIO_FILE,
)

FORMAT = "fba-reclaim-sandbox/1"
CENT = Decimal("0.01")
UPPER_ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))
MIXED_ALNUM = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))

# Sandbox LWA application: one developer app, one refresh token per seller (made-up values).
SANDBOX_LWA_APP_ID = "amzn1.application-oa2-client.sandbox0000000000000000"
SANDBOX_LWA_CLIENT_SECRET = "amzn1.oa2-cs.v1.sandbox-secret"


# --------------------------------------------------------------------------------------------
# Marketplaces


def _nth_sunday(year: int, month: int, n: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (n - 1))


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month, calendar.monthrange(year, month)[1])
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _us_pacific_offset(d: date) -> str:
    # US daylight time: second Sunday of March to first Sunday of November (day granularity).
    dst = _nth_sunday(d.year, 3, 2) <= d < _nth_sunday(d.year, 11, 1)
    return "-0700" if dst else "-0800"


def _uk_offset(d: date) -> str:
    # UK summer time: last Sunday of March to last Sunday of October (day granularity).
    dst = _last_sunday(d.year, 3) <= d < _last_sunday(d.year, 10)
    return "+0100" if dst else "+0000"


@dataclass(frozen=True)
class Marketplace:
    code: str
    marketplace_id: str
    currency: str
    country: str  # ledger `Country` column
    region: str  # SP-API region: NA / EU
    fcs: tuple[str, ...]
    order_prefixes: tuple[str, ...]
    # claim-policy.md §3: the 60-day FC lost/damaged window applies to losses on/after this date;
    # before it the window was 18 months.
    fc_window_since: date
    # claim-policy.md §3: Amazon proactively reimburses FC losses from this date (US 1 Nov 2024;
    # the UK date is an assumption: the day the UK's new policy took effect).
    proactive_since: date
    # claim-policy.md §3: losses before a customer order are reimbursed at manufacturing cost
    # from this date (US 10 Mar 2025; EU blogs give the same date, others 31 Mar 2025).
    cost_valuation_since: date
    utc_offset: Callable[[date], str]


MARKETPLACES: dict[str, Marketplace] = {
    "US": Marketplace(
        code="US",
        marketplace_id="ATVPDKIKX0DER",
        currency="USD",
        country="US",
        region="NA",
        fcs=("LGB3", "ONT8", "PHX6", "SMF3", "MDW2", "IND9", "CLT2", "ABE8", "BFI4", "TPA6"),
        order_prefixes=("111", "112", "113", "114"),
        fc_window_since=date(2024, 10, 23),
        proactive_since=date(2024, 11, 1),
        cost_valuation_since=date(2025, 3, 10),
        utc_offset=_us_pacific_offset,
    ),
    "UK": Marketplace(
        code="UK",
        marketplace_id="A1F83G8C2ARO7P",
        currency="GBP",
        country="GB",
        region="EU",
        fcs=("LBA4", "BHX4", "MAN1", "EUK5", "LTN1", "DSA6", "BRS1", "CWL1"),
        order_prefixes=("202", "203", "204", "205", "206"),
        fc_window_since=date(2025, 1, 9),
        proactive_since=date(2025, 1, 9),
        cost_valuation_since=date(2025, 3, 10),
        utc_offset=_uk_offset,
    ),
}


# --------------------------------------------------------------------------------------------
# Scenario


@dataclass(frozen=True)
class Scenario:
    """What to simulate. Every rate below is an ASSUMPTION chosen to look like a real FBA
    account, loosely following the third-party estimates in claim-policy.md §5 (which itself says
    "tune, don't trust"); none is an Amazon-published figure.

    Loss outcomes are drawn per misplaced (M/5) adjustment: `found_share`,
    `auto_reimbursed_share`, `inventory_reimbursed_share`, `found_after_reimbursed_share` and
    `reversed_unfound_share` are mutually exclusive shares; the remainder stays open (claimable).
    """

    seed: int = 7
    sellers: int = 2
    skus_per_seller: int = 12
    months: int = 6
    as_of: date = date(2026, 11, 20)
    marketplace: str = "US"
    daily_orders_per_sku: float = 3.0
    # Units misplaced per unit handled (received + shipped + returned). §5: 0.5–2 %.
    lost_rate: float = 0.01
    # Share of misplaced adjustments later found (F rows); §5: 30–60 % of misplaced units.
    found_share: float = 0.35
    # Of found adjustments with more than one unit, the share where only some units turn up.
    partial_found_share: float = 0.4
    # Share reimbursed in cash automatically (Lost_Warehouse) days after the loss; §3/§5:
    # "almost all" since Nov 2024 per Amazon, 30–60 % per older 3p estimates.
    auto_reimbursed_share: float = 0.50
    # Share reimbursed with replacement units (quantity-reimbursed-inventory + ledger N row).
    inventory_reimbursed_share: float = 0.03
    # Share reimbursed, later found, and the reimbursement reversed (§5 "Reversal").
    found_after_reimbursed_share: float = 0.03
    # Share reimbursed and then reversed although nothing was found: the units are open again.
    reversed_unfound_share: float = 0.03
    # Auto-reimbursement shares are multiplied by this before `Marketplace.proactive_since`.
    pre_proactive_factor: float = 0.4
    # Units damaged in the FC per unit handled (E/P pairs); §5: 0.3–1 %.
    damage_rate: float = 0.005
    # Share of FC-damaged units reimbursed automatically (then removed via an O row).
    damage_reimbursed_share: float = 0.85
    # Customer returns per unit shipped (assumption).
    return_rate: float = 0.05
    # Share of reimbursements paid below the seller's unit cost (assumption; §5 valuation notes).
    underpaid_share: float = 0.2
    # Seller-requested disposal removal orders of sellable stock per month (assumption).
    disposal_orders_per_month: float = 0.6
    # Sellable units Amazon disposes of (ledger D) without a removal order, per unit handled
    # (assumption; no published rate).
    unauthorized_disposal_rate: float = 0.0003
    # Planting, so that every sandbox shows every outcome: at least this many ready
    # warehouse_lost claims per seller, and this many of each other outcome (when the history is
    # long enough for it). Planted losses are extra M rows, not edits of drawn ones.
    min_ready_claims: int = 10
    min_per_outcome: int = 2

    def __post_init__(self) -> None:
        if self.marketplace not in MARKETPLACES:
            raise ValueError(f"marketplace must be one of {sorted(MARKETPLACES)}")
        if self.sellers < 1 or self.skus_per_seller < 1 or self.months < 1:
            raise ValueError("sellers, skus_per_seller and months must be at least 1")
        shares = (
            self.found_share
            + self.auto_reimbursed_share
            + self.inventory_reimbursed_share
            + self.found_after_reimbursed_share
            + self.reversed_unfound_share
        )
        if shares > 1.0 + 1e-9:
            raise ValueError("loss outcome shares add up to more than 1")
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, float) and v < 0:
                raise ValueError(f"{f.name} must not be negative")

    @property
    def market(self) -> Marketplace:
        return MARKETPLACES[self.marketplace]

    @property
    def start(self) -> date:
        """First day of history: `months` calendar months before `as_of`."""
        y, m = divmod(self.as_of.year * 12 + self.as_of.month - 1 - self.months, 12)
        day = min(self.as_of.day, calendar.monthrange(y, m + 1)[1])
        return date(y, m + 1, day)

    def to_json(self) -> dict:
        d = asdict(self)
        d["as_of"] = self.as_of.isoformat()
        return d

    @classmethod
    def from_json(cls, d: dict) -> Scenario:
        known = {f.name for f in fields(cls)}
        kw = {k: v for k, v in d.items() if k in known}
        if "as_of" in kw:
            kw["as_of"] = date.fromisoformat(kw["as_of"])
        return cls(**kw)


# --------------------------------------------------------------------------------------------
# Claim windows (claim-policy.md §3): implemented here, independently of the dbt seeds.


def fc_operations_window(event_date: date, market: Marketplace) -> tuple[date, date]:
    """(eligible_from, deadline) of an FC operations claim (lost or damaged in the FC) for an
    adjustment on `event_date`."""
    eligible = event_date + timedelta(days=14)
    if event_date >= market.fc_window_since:
        return eligible, event_date + timedelta(days=60)
    return eligible, event_date + timedelta(days=548)  # 18 months


def claim_status(as_of: date, eligible_from: date, deadline: date) -> str:
    if as_of < eligible_from:
        return "upcoming"
    if as_of > deadline:
        return "expired"
    return "ready"


# --------------------------------------------------------------------------------------------
# The event log


@dataclass
class Product:
    index: int
    sku: str
    fnsku: str
    asin: str
    title: str
    unit_cost: Decimal
    dims: tuple[Decimal, Decimal, Decimal, Decimal]  # length, width, height (in), weight (lb)
    fcs: tuple[str, str]
    fc_weight: float  # share of units shipped from fcs[0]


@dataclass
class Reimbursement:
    seq: int
    approval: datetime  # UTC
    reason: str
    product: Product
    amount_per_unit: Decimal
    qty_cash: int
    qty_inventory: int = 0
    original: Reimbursement | None = None
    reimbursement_id: str = ""

    @property
    def qty_total(self) -> int:
        return self.qty_cash + self.qty_inventory

    @property
    def amount_total(self) -> Decimal:
        return (self.amount_per_unit * self.qty_cash).quantize(CENT)


@dataclass
class Adjustment:
    """One ledger Adjustments row (or a pair sharing a Reference ID)."""

    seq: int
    when: datetime  # FC local time, naive
    product: Product
    fc: str
    reason: str
    quantity: int  # signed
    disposition: str = "SELLABLE"
    reference_id: str = ""


@dataclass
class Loss:
    """A misplaced (M/5) adjustment and everything that later happened to its units."""

    adjustment: Adjustment
    outcome: str
    planted: bool = False
    found: list[Adjustment] = field(default_factory=list)  # F (+1 each) or N (+k) rows
    reimbursements: list[Reimbursement] = field(default_factory=list)  # incl. reversals

    @property
    def units(self) -> int:
        return -self.adjustment.quantity

    @property
    def event_date(self) -> date:
        return self.adjustment.when.date()

    def last_event_date(self) -> date:
        dates = [self.event_date]
        dates += [a.when.date() for a in self.found]
        dates += [r.approval.date() for r in self.reimbursements]
        return max(dates)

    def found_units(self, as_of: date) -> int:
        return sum(a.quantity for a in self.found if a.reason == "F" and a.when.date() <= as_of)

    def reimbursed_units(self, as_of: date) -> int:
        """Units reimbursed (cash or replacement) net of reversals, as of `as_of`."""
        return sum(r.qty_total for r in self.reimbursements if r.approval.date() <= as_of)

    def reconciled(self, as_of: date) -> int:
        return min(self.units, self.found_units(as_of) + max(0, self.reimbursed_units(as_of)))

    def open_units(self, as_of: date) -> int:
        return self.units - self.reconciled(as_of)


@dataclass
class RemovalOrder:
    """A seller's removal order (one SKU line) and the ledger D row that carries it out."""

    order_id: str
    requested: datetime  # UTC
    completed: datetime  # UTC; the ledger D row is on this day
    product: Product
    order_type: str  # "Disposal"
    quantity: int
    fee_per_unit: Decimal
    disposal: Adjustment


@dataclass
class Damage:
    adjustment: Adjustment  # E row (−q SELLABLE); the P row (+q WAREHOUSE_DAMAGED) pairs with it
    reimbursement: Reimbursement | None = None
    removal: Adjustment | None = None  # O row after reimbursement


@dataclass
class Receipt:
    seq: int
    when: datetime
    product: Product
    fc: str
    shipment_id: str
    quantity: int


@dataclass
class CustomerReturn:
    seq: int
    when: datetime
    product: Product
    fc: str
    order_id: str
    disposition: str


@dataclass
class SellerBook:
    """Everything the simulator knows about one seller."""

    seller_id: str
    name: str
    scenario: Scenario
    products: list[Product]
    units_shipped: np.ndarray  # (days, products) units shipped per day
    units_from_first_fc: np.ndarray  # (days, products) of which from product.fcs[0]
    receipts: list[Receipt]
    returns: list[CustomerReturn]
    disposals: list[Adjustment]  # every ledger D row, authorised or not
    removal_orders: list[RemovalOrder]
    unauthorized_disposals: list[Adjustment]  # D rows of sellable units without a removal order
    losses: list[Loss]
    damages: list[Damage]
    reimbursements: list[Reimbursement]
    shipments_stream: int  # seed material for rendering per-row shipment details

    @property
    def market(self) -> Marketplace:
        return self.scenario.market

    @property
    def as_of(self) -> date:
        return self.scenario.as_of

    @property
    def start(self) -> date:
        return self.scenario.start

    def truth_rows(self) -> list[dict[str, str]]:
        """One row per claimable discrepancy as of `as_of`, from the event log: misplaced units
        neither found nor reimbursed (warehouse_lost), FC-damaged units not reimbursed
        (warehouse_damaged), sellable units disposed of without a removal order
        (disposed_unauthorized) and reimbursements paid below cost (reimbursement_underpaid)."""
        as_of, market = self.as_of, self.market
        rows = []

        def fc_claim(claim_type: str, adj: Adjustment, qty: int) -> dict[str, str]:
            day = adj.when.date()
            eligible, deadline = fc_operations_window(day, market)
            unit_value = adj.product.unit_cost
            return {
                "claim_type": claim_type,
                "seller_id": self.seller_id,
                "marketplace_id": market.marketplace_id,
                "fnsku": adj.product.fnsku,
                "sku": adj.product.sku,
                "asin": adj.product.asin,
                "order_id": "",
                "shipment_id": "",
                "removal_order_id": "",
                "reference_id": adj.reference_id,
                "fulfillment_center_id": adj.fc,
                "event_date": day.isoformat(),
                "quantity": str(qty),
                "unit_value": f"{unit_value:.2f}",
                "amount": f"{(unit_value * qty).quantize(CENT, ROUND_HALF_UP):.2f}",
                "currency": market.currency,
                "eligible_from": eligible.isoformat(),
                "deadline": deadline.isoformat(),
                "status": claim_status(as_of, eligible, deadline),
            }

        for loss in self.losses:
            if loss.event_date > as_of:
                continue
            qty = loss.open_units(as_of)
            if qty > 0:
                rows.append(fc_claim("warehouse_lost", loss.adjustment, qty))
        for adj in self.unauthorized_disposals:
            if adj.when.date() <= as_of:
                rows.append(fc_claim("disposed_unauthorized", adj, -adj.quantity))
        for dmg in self.damages:
            if dmg.adjustment.when.date() > as_of:
                continue
            paid = dmg.reimbursement is not None and dmg.reimbursement.approval.date() <= as_of
            if not paid:
                rows.append(fc_claim("warehouse_damaged", dmg.adjustment, -dmg.adjustment.quantity))
        rows += self._underpaid_truth()
        rows.sort(key=lambda r: (r["claim_type"], r["event_date"], r["reference_id"], r["fnsku"]))
        return rows

    def _underpaid_truth(self) -> list[dict[str, str]]:
        """Cash reimbursements of FC losses/damage approved since the manufacturing-cost valuation
        date that paid less than the unit cost, for the units no reversal took back
        (claim-policy.md 2.12; re-evaluation within 60 days of the reimbursement)."""
        as_of, market = self.as_of, self.market
        reversed_units: dict[int, int] = {}
        for r in self.reimbursements:
            if r.original is not None and r.approval.date() <= as_of:
                reversed_units[r.original.seq] = reversed_units.get(r.original.seq, 0) - r.qty_cash
        rows = []
        for r in self.reimbursements:
            day = r.approval.date()
            if r.original is not None or day > as_of or day < market.cost_valuation_since:
                continue
            if r.reason not in ("Lost_Warehouse", "Damaged_Warehouse") or r.qty_cash <= 0:
                continue
            shortfall = r.product.unit_cost - r.amount_per_unit
            qty = r.qty_cash - reversed_units.get(r.seq, 0)
            if shortfall < CENT or qty <= 0:
                continue
            eligible, deadline = day, day + timedelta(days=60)
            rows.append(
                {
                    "claim_type": "reimbursement_underpaid",
                    "seller_id": self.seller_id,
                    "marketplace_id": market.marketplace_id,
                    "fnsku": r.product.fnsku,
                    "sku": r.product.sku,
                    "asin": r.product.asin,
                    "order_id": "",
                    "shipment_id": "",
                    "removal_order_id": "",
                    "reference_id": r.reimbursement_id,
                    "fulfillment_center_id": "",
                    "event_date": day.isoformat(),
                    "quantity": str(qty),
                    "unit_value": f"{shortfall:.2f}",
                    "amount": f"{(shortfall * qty).quantize(CENT, ROUND_HALF_UP):.2f}",
                    "currency": market.currency,
                    "eligible_from": eligible.isoformat(),
                    "deadline": deadline.isoformat(),
                    "status": claim_status(as_of, eligible, deadline),
                }
            )
        return rows

    def outcome_counts(self) -> dict[str, int]:
        """Losses by outcome, counting only those whose whole story happened by `as_of`."""
        counts: dict[str, int] = {}
        for loss in self.losses:
            if loss.last_event_date() <= self.as_of:
                counts[loss.outcome] = counts.get(loss.outcome, 0) + 1
        return dict(sorted(counts.items()))


# --------------------------------------------------------------------------------------------
# Catalogue


_SELLER_PROFILES: tuple[tuple[str, str, tuple[tuple[str, str, float, tuple], ...]], ...] = (
    (
        "Kestrel Kitchen Co.",
        "KK",
        (
            ("Stainless Steel Chef's Knife, 8 Inch", "CHEF8", 9.40, (13.5, 2.4, 1.2, 0.55)),
            ("Bamboo Cutting Board Set (3 Pack)", "BOARD3", 7.85, (17.0, 12.0, 2.0, 3.10)),
            ('Silicone Baking Mat, 16.5" x 11.6"', "BAKEMAT", 3.20, (12.0, 2.2, 2.2, 0.35)),
            ("Cast Iron Skillet, Pre-Seasoned, 10 Inch", "SKIL10", 11.75, (17.8, 10.6, 2.3, 5.40)),
            ("Crème Brûlée Kitchen Torch, Refillable", "TORCH", 8.10, (7.9, 4.3, 2.6, 0.70)),
            ("Glass Meal Prep Containers, 5 Pack", "PREP5", 10.60, (12.4, 8.9, 6.1, 4.20)),
            ("Digital Kitchen Scale, 11 lb", "SCALE11", 6.45, (8.7, 6.6, 1.6, 1.10)),
            ("Pour Over Coffee Dripper, Ceramic", "DRIP", 5.30, (6.0, 6.0, 4.5, 0.90)),
            ("Magnetic Knife Strip, 16 Inch", "MAGSTRIP", 4.15, (17.0, 2.3, 1.3, 0.80)),
            ("Herb Scissors with 5 Blades", "HERBSC", 2.60, (8.2, 3.9, 0.8, 0.25)),
        ),
    ),
    (
        "Northpine Outdoors",
        "NP",
        (
            ("Insulated Water Bottle, 32 oz", "BTL32", 6.90, (11.2, 3.7, 3.7, 0.95)),
            ("Ultralight Camping Hammock with Straps", "HAMMOCK", 12.40, (9.5, 6.1, 4.2, 1.60)),
            ("LED Headlamp, Rechargeable, 400 Lumens", "HEADLAMP", 5.75, (5.3, 3.1, 2.2, 0.30)),
            ("Trekking Poles, Collapsible (Pair)", "POLES", 14.20, (26.0, 4.1, 3.0, 1.30)),
            ("Compact Camping Stove", "STOVE", 9.95, (5.5, 4.0, 3.2, 0.45)),
            ("Dry Bag, 20L, Waterproof", "DRYBAG20", 4.35, (9.8, 6.3, 1.9, 0.55)),
            ("Microfiber Travel Towel, Large", "TOWEL-L", 3.80, (8.6, 5.1, 2.0, 0.50)),
            ("Emergency Mylar Blankets (10 Pack)", "MYLAR10", 2.95, (6.1, 4.4, 2.0, 0.60)),
            ("Folding Camp Chair, 300 lb Capacity", "CHAIR", 16.30, (36.0, 7.0, 7.0, 6.20)),
            ("Carabiner Clips, Aluminum, 12 Pack", "CARAB12", 2.40, (6.4, 4.1, 1.2, 0.40)),
        ),
    ),
    (
        "Brightloom Home",
        "BL",
        (
            ("Linen Throw Pillow Cover, 18 x 18", "PILLOW18", 3.10, (10.0, 8.0, 1.0, 0.35)),
            ("Blackout Curtains, 52 x 84 (2 Panels)", "CURT84", 13.80, (14.0, 11.0, 3.5, 3.40)),
            ("Scented Soy Candle, 9 oz", "CANDLE9", 4.25, (4.2, 4.2, 4.4, 1.20)),
            ("Velvet Hangers, Non-Slip (50 Pack)", "HANG50", 11.20, (18.0, 9.5, 5.0, 4.80)),
            ("Bathroom Rug, Memory Foam, 17 x 24", "RUG1724", 6.75, (13.0, 8.0, 4.0, 1.90)),
            ("Cotton Storage Basket, Large", "BASKET-L", 7.60, (15.0, 12.0, 4.0, 1.40)),
        ),
    ),
)

_VARIANTS: tuple[tuple[str, str], ...] = (
    ("Black", "BLK"),
    ("Graphite Grey", "GRY"),
    ("Sage Green", "GRN"),
    ("Navy", "NVY"),
    ("Terracotta", "TER"),
    ("Ivory", "IVR"),
)


def _codes(rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray) -> np.ndarray:
    """n random strings of `length` characters from `alphabet` (vectorised)."""
    if n == 0:
        return np.array([], dtype=f"<U{length}")
    idx = rng.integers(0, len(alphabet), size=(n, length))
    return np.ascontiguousarray(alphabet[idx]).view(f"<U{length}").ravel()


def _unique_codes(
    rng: np.random.Generator, n: int, length: int, alphabet: np.ndarray, taken: set[str]
) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        for c in _codes(rng, n - len(out), length, alphabet):
            c = str(c)
            if c not in taken:
                taken.add(c)
                out.append(c)
    return out


def _catalogue(rng: np.random.Generator, seller_index: int, n: int, market: Marketplace):
    name, brand_code, pool = _SELLER_PROFILES[seller_index % len(_SELLER_PROFILES)]
    cycle = seller_index // len(_SELLER_PROFILES)
    if cycle:
        name = f"{name} {cycle + 1}"
        brand_code = f"{brand_code}{cycle + 1}"
    taken: set[str] = set()
    asins = _unique_codes(rng, n, 8, UPPER_ALNUM, taken)
    fnskus = _unique_codes(rng, n, 7, UPPER_ALNUM, taken)
    products = []
    for i in range(n):
        title, code, cost, dims = pool[i % len(pool)]
        variant_no = i // len(pool)
        v_name, v_code = _VARIANTS[variant_no % len(_VARIANTS)]
        suffix = "" if variant_no < len(_VARIANTS) else f"-{variant_no // len(_VARIANTS) + 1}"
        jitter = 0.9 + 0.25 * rng.random()
        unit_cost = Decimal(str(round(cost * jitter, 2))).quantize(CENT)
        fcs = rng.choice(len(market.fcs), size=2, replace=False)
        products.append(
            Product(
                index=i,
                sku=f"{brand_code}-{code}-{v_code}{suffix}",
                fnsku=f"X00{fnskus[i]}",
                asin=f"B0{asins[i]}",
                title=f"{name.split(' Co.')[0]} {title} - {v_name}{suffix}",
                unit_cost=unit_cost,
                dims=(
                    Decimal(str(dims[0])).quantize(Decimal("0.1")),
                    Decimal(str(dims[1])).quantize(Decimal("0.1")),
                    Decimal(str(dims[2])).quantize(Decimal("0.1")),
                    Decimal(str(dims[3])).quantize(CENT),
                ),
                fcs=(market.fcs[int(fcs[0])], market.fcs[int(fcs[1])]),
                fc_weight=float(0.5 + 0.3 * rng.random()),
            )
        )
    return name, products


# --------------------------------------------------------------------------------------------
# Simulation


class _Seq:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> int:
        self.n += 1
        return self.n


def _local(day: date, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day) + timedelta(minutes=int(minute))


class _SellerSim:
    """Draws one seller's event log. Each concern has its own generator stream, so the draws of
    one (e.g. shipments) never shift those of another (e.g. losses)."""

    STREAMS = (
        "catalogue",
        "flows",
        "receipts",
        "returns",
        "losses",
        "damages",
        "ids",
        "render",
        "removals",
    )

    def __init__(self, scenario: Scenario, seller_index: int):
        self.sc = scenario
        self.market = scenario.market
        self.seller_id = f"SANDBOX{seller_index + 1}"
        ss = np.random.SeedSequence([scenario.seed, seller_index])
        children = ss.spawn(len(self.STREAMS))
        self.rng = {
            name: np.random.default_rng(c) for name, c in zip(self.STREAMS, children, strict=True)
        }
        self.render_seed = int(children[self.STREAMS.index("render")].generate_state(1)[0])
        self.seq = _Seq()
        self.start, self.as_of = scenario.start, scenario.as_of
        self.days = (self.as_of - self.start).days + 1  # day 0 = start … day days-1 = as_of
        self.name, self.products = _catalogue(
            self.rng["catalogue"], seller_index, scenario.skus_per_seller, self.market
        )
        self.reimbursements: list[Reimbursement] = []

    # -- helpers --------------------------------------------------------------------------

    def day(self, i: int) -> date:
        return self.start + timedelta(days=int(i))

    def _minute(self, rng: np.random.Generator, lo: int = 6 * 60, hi: int = 23 * 60) -> int:
        return int(rng.integers(lo, hi))

    def _other_fc(self, rng: np.random.Generator, fc: str) -> str:
        choices = [f for f in self.market.fcs if f != fc]
        return choices[int(rng.integers(len(choices)))]

    def _reimburse(
        self,
        rng: np.random.Generator,
        on: date,
        reason: str,
        product: Product,
        qty_cash: int,
        qty_inventory: int = 0,
        original: Reimbursement | None = None,
    ) -> Reimbursement:
        if original is not None:
            per_unit = original.amount_per_unit
        elif rng.random() < self.sc.underpaid_share:
            per_unit = (
                product.unit_cost * Decimal(str(round(0.55 + 0.4 * rng.random(), 3)))
            ).quantize(CENT, ROUND_HALF_UP)
        else:
            per_unit = product.unit_cost
        approval = datetime(on.year, on.month, on.day, tzinfo=UTC) + timedelta(
            hours=int(rng.integers(8, 20)), minutes=int(rng.integers(0, 4)) * 15
        )
        r = Reimbursement(
            seq=self.seq(),
            approval=approval,
            reason=reason,
            product=product,
            amount_per_unit=per_unit,
            qty_cash=qty_cash,
            qty_inventory=qty_inventory,
            original=original,
        )
        self.reimbursements.append(r)
        return r

    # -- flows ----------------------------------------------------------------------------

    def flows(self) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng["flows"]
        n = len(self.products)
        orders = rng.poisson(self.sc.daily_orders_per_sku, size=(self.days, n))
        units = orders + rng.binomial(orders, 0.08)  # some orders are for two units
        weights = np.array([p.fc_weight for p in self.products])
        first = rng.binomial(units, weights[np.newaxis, :])
        return units.astype(np.int32), first.astype(np.int32)

    def receipts(self) -> list[Receipt]:
        """Inbound FBA shipments every ~2 weeks, one shipment id per destination FC, each SKU
        received over one or two days."""
        rng = self.rng["receipts"]
        daily = self.sc.daily_orders_per_sku * 1.08
        out: list[Receipt] = []
        taken: set[str] = set()
        for cycle_day in range(-7, self.days, 14):
            by_fc: dict[str, list[tuple[Product, float]]] = {}
            for p in self.products:
                by_fc.setdefault(p.fcs[0], []).append((p, p.fc_weight))
                by_fc.setdefault(p.fcs[1], []).append((p, 1 - p.fc_weight))
            for fc in sorted(by_fc):
                shipment_id = "FBA15" + _unique_codes(rng, 1, 7, UPPER_ALNUM, taken)[0]
                arrive = cycle_day + int(rng.integers(3, 8))
                for p, w in by_fc[fc]:
                    qty = round(daily * 14 * w * (0.95 + 0.35 * rng.random()))
                    if qty <= 0:
                        continue
                    parts = [qty]
                    if qty >= 8 and rng.random() < 0.4:
                        first = round(qty * (0.5 + 0.4 * rng.random()))
                        parts = [first, qty - first]
                    for k, part in enumerate(parts):
                        d = arrive + k * int(rng.integers(1, 3))
                        if 0 <= d < self.days and part > 0:
                            out.append(
                                Receipt(
                                    self.seq(),
                                    _local(self.day(d), self._minute(rng)),
                                    p,
                                    fc,
                                    shipment_id,
                                    part,
                                )
                            )
        return out

    def returns(self, units: np.ndarray) -> tuple[list[CustomerReturn], list[Adjustment]]:
        """Customer returns of shipped units; unsellable returns are later disposed (D)."""
        rng = self.rng["returns"]
        counts = rng.binomial(units, self.sc.return_rate)
        d_idx, p_idx = np.nonzero(counts)
        reps = counts[d_idx, p_idx]
        d_idx, p_idx = np.repeat(d_idx, reps), np.repeat(p_idx, reps)
        delay = rng.integers(4, 31, size=len(d_idx))
        ret_day = d_idx + delay
        keep = ret_day < self.days
        ret_day, p_idx = ret_day[keep], p_idx[keep]
        order = np.lexsort((p_idx, ret_day))
        ret_day, p_idx = ret_day[order], p_idx[order]
        returns, disposals = [], []
        seen_orders: set[str] = set()
        for d, p in zip(ret_day.tolist(), p_idx.tolist(), strict=True):
            product = self.products[p]
            while True:
                prefix = self.market.order_prefixes[
                    int(rng.integers(len(self.market.order_prefixes)))
                ]
                a, b = rng.integers(0, 10**7, size=2)
                order_id = f"{prefix}-{a:07d}-{b:07d}"
                if order_id not in seen_orders:
                    seen_orders.add(order_id)
                    break
            u = rng.random()
            disposition = "SELLABLE" if u < 0.75 else "CUSTOMER_DAMAGED" if u < 0.9 else "DEFECTIVE"
            fc = self.market.fcs[int(rng.integers(len(self.market.fcs)))]
            when = _local(self.day(d), self._minute(rng))
            returns.append(CustomerReturn(self.seq(), when, product, fc, order_id, disposition))
            if disposition != "SELLABLE" and rng.random() < 0.6:
                dd = d + int(rng.integers(20, 61))
                if dd < self.days:
                    disposals.append(
                        Adjustment(
                            self.seq(),
                            _local(self.day(dd), self._minute(rng)),
                            product,
                            fc,
                            "D",
                            -1,
                            disposition,
                        )
                    )
        return returns, disposals

    # -- losses -----------------------------------------------------------------------------

    def _handled_per_day(self) -> float:
        shipped = self.sc.daily_orders_per_sku * 1.08
        return shipped * (2.0 + self.sc.return_rate)  # received + shipped + returned

    def _loss_units(self, rng: np.random.Generator) -> int:
        return int(min(24, rng.geometric(0.55)))

    def _draw_outcome(self, rng: np.random.Generator, units: int, on: date) -> str:
        sc = self.sc
        factor = 1.0 if on >= self.market.proactive_since else sc.pre_proactive_factor
        u = rng.random()
        cuts = [
            ("found", sc.found_share),
            ("reimbursed", sc.auto_reimbursed_share * factor),
            ("reimbursed_inventory", sc.inventory_reimbursed_share * factor),
            ("found_after_reimbursed", sc.found_after_reimbursed_share * factor),
            ("reversed_unfound", sc.reversed_unfound_share * factor),
        ]
        acc = 0.0
        for name, share in cuts:
            acc += share
            if u < acc:
                if name == "found":
                    partial = units > 1 and rng.random() < sc.partial_found_share
                    return "found_partial" if partial else "found_all"
                return name
        return "open"

    def _new_loss(
        self, rng: np.random.Generator, day_index: int, product: Product, units: int
    ) -> Adjustment:
        fc = product.fcs[0] if rng.random() < product.fc_weight else product.fcs[1]
        reason = "M" if rng.random() < 0.85 else "5"
        when = _local(self.day(day_index), self._minute(rng, 0, 24 * 60))
        return Adjustment(self.seq(), when, product, fc, reason, -units)

    def _materialise(
        self, rng: np.random.Generator, loss: Loss, complete_by: date | None = None
    ) -> None:
        """Schedule the later events of a loss according to its outcome. With `complete_by`,
        every delay is squeezed so the whole story has happened by that date (planting)."""
        adj, k, outcome = loss.adjustment, loss.units, loss.outcome
        on = adj.when.date()

        def after(base: date, lo: int, hi: int) -> date:
            if complete_by is not None:
                room = (complete_by - base).days
                hi = max(0, min(hi, room))
                lo = min(lo, hi)
            return base + timedelta(days=int(rng.integers(lo, hi + 1)))

        def found(base: date, lo: int, hi: int) -> date:
            d = after(base, lo, hi)
            loss.found.append(
                Adjustment(
                    self.seq(),
                    _local(d, self._minute(rng, 0, 24 * 60)),
                    adj.product,
                    self._other_fc(rng, adj.fc),
                    "F",
                    1,
                )
            )
            return d

        if outcome in ("found_all", "found_partial"):
            n = k if outcome == "found_all" else int(rng.integers(1, k))
            for _ in range(n):
                found(on, 2, 45)
        elif outcome == "reimbursed":
            d = after(on, 2, 10)
            loss.reimbursements.append(
                self._reimburse(rng, d, "Lost_Warehouse", adj.product, qty_cash=k)
            )
        elif outcome == "reimbursed_inventory":
            d = after(on, 2, 10)
            loss.reimbursements.append(
                self._reimburse(rng, d, "Lost_Warehouse", adj.product, qty_cash=0, qty_inventory=k)
            )
            n_day = after(d, 0, 2)
            loss.found.append(
                Adjustment(
                    self.seq(),
                    _local(n_day, self._minute(rng)),
                    adj.product,
                    self._other_fc(rng, adj.fc),
                    "N",
                    k,
                )
            )
        elif outcome == "found_after_reimbursed":
            d = after(on, 2, 10)
            original = self._reimburse(rng, d, "Lost_Warehouse", adj.product, qty_cash=k)
            loss.reimbursements.append(original)
            n = k if rng.random() < 0.7 else int(rng.integers(1, k + 1))
            last = max(found(d, 3, 40) for _ in range(n))
            rev = after(last, 1, 7)
            loss.reimbursements.append(
                self._reimburse(
                    rng, rev, "Reimbursement_Reversal", adj.product, -n, original=original
                )
            )
        elif outcome == "reversed_unfound":
            d = after(on, 2, 10)
            original = self._reimburse(rng, d, "Lost_Warehouse", adj.product, qty_cash=k)
            loss.reimbursements.append(original)
            rev = after(d, 7, 35)
            loss.reimbursements.append(
                self._reimburse(
                    rng, rev, "Reimbursement_Reversal", adj.product, -k, original=original
                )
            )

    def losses(self) -> list[Loss]:
        rng = self.rng["losses"]
        sc = self.sc
        p_geom = 0.55
        # Events per day per SKU such that expected lost units = lost_rate × units handled.
        lam = sc.lost_rate * self._handled_per_day() * p_geom
        counts = rng.poisson(lam, size=(self.days, len(self.products)))
        out: list[Loss] = []
        for d, p in zip(*np.nonzero(counts), strict=True):
            for _ in range(int(counts[d, p])):
                units = self._loss_units(rng)
                adj = self._new_loss(rng, int(d), self.products[int(p)], units)
                loss = Loss(adj, self._draw_outcome(rng, units, adj.when.date()))
                self._materialise(rng, loss)
                out.append(loss)
        self._plant(rng, out)
        return out

    # Outcomes every sandbox shows, with the loss ages (days before as_of) that make them show.
    SHOWCASE: tuple[tuple[str, int, int], ...] = (
        ("found_all", 50, 150),
        ("found_partial", 20, 50),  # remainder open → a ready claim for fewer units than lost
        ("reimbursed", 15, 150),
        ("reimbursed_inventory", 15, 150),
        ("found_after_reimbursed", 60, 150),
        ("reversed_unfound", 20, 55),  # reversal without a found event → ready claim
        ("open", 0, 12),  # upcoming
        ("open", 62, 150),  # expired
    )

    def _plant(self, rng: np.random.Generator, losses: list[Loss]) -> None:
        sc, as_of = self.sc, self.as_of
        last_age = self.days - 1

        def age(loss: Loss) -> int:
            return (as_of - loss.event_date).days

        def plant(outcome: str, lo: int, hi: int) -> None:
            a = int(rng.integers(lo, min(hi, last_age) + 1))
            product = self.products[int(rng.integers(len(self.products)))]
            units = self._loss_units(rng)
            if outcome == "found_partial":
                units = max(units, 2)
            adj = self._new_loss(rng, last_age - a, product, units)
            loss = Loss(adj, outcome, planted=True)
            self._materialise(rng, loss, complete_by=as_of)
            losses.append(loss)

        for outcome, lo, hi in self.SHOWCASE:
            if lo > last_age:
                continue  # history too short for this outcome
            have = sum(
                1
                for loss in losses
                if loss.outcome == outcome
                and lo <= age(loss) <= hi
                and loss.last_event_date() <= as_of
            )
            for _ in range(max(0, sc.min_per_outcome - have)):
                plant(outcome, lo, hi)

        def ready() -> int:
            n = 0
            for loss in losses:
                if loss.open_units(as_of) > 0:
                    eligible, deadline = fc_operations_window(loss.event_date, self.market)
                    n += claim_status(as_of, eligible, deadline) == "ready"
            return n

        if last_age >= 15:
            for _ in range(max(0, sc.min_ready_claims - ready())):
                plant("open", 15, 58)

    def removals(self) -> tuple[list[RemovalOrder], list[Adjustment]]:
        """The seller's disposal removal orders of sellable stock (each carried out by a ledger
        D row on its completion day) and sellable units Amazon disposes of without one."""
        rng = self.rng["removals"]
        orders: list[RemovalOrder] = []
        months = self.days / 30.4
        for _ in range(int(rng.poisson(self.sc.disposal_orders_per_month * months))):
            product = self.products[int(rng.integers(len(self.products)))]
            day = int(rng.integers(0, self.days))
            done = day + int(rng.integers(3, 11))
            k = int(rng.integers(1, 5))
            requested = datetime.combine(self.day(day), datetime.min.time(), UTC) + timedelta(
                minutes=self._minute(rng)
            )
            completed = datetime.combine(self.day(done), datetime.min.time(), UTC) + timedelta(
                minutes=self._minute(rng)
            )
            d_row = Adjustment(
                self.seq(),
                _local(self.day(done), self._minute(rng)),
                product,
                product.fcs[0],
                "D",
                -k,
                "SELLABLE",
            )
            order_id = "".join(rng.choice(UPPER_ALNUM, size=10))
            fee = Decimal(str(round(0.6 + 1.2 * rng.random(), 2)))
            orders.append(
                RemovalOrder(order_id, requested, completed, product, "Disposal", k, fee, d_row)
            )
        lam = self.sc.unauthorized_disposal_rate * self._handled_per_day()
        counts = rng.poisson(lam, size=(self.days, len(self.products)))
        unauthorized: list[Adjustment] = []
        for d, p in zip(*np.nonzero(counts), strict=True):
            product = self.products[int(p)]
            for _ in range(int(counts[d, p])):
                fc = product.fcs[0] if rng.random() < product.fc_weight else product.fcs[1]
                when = _local(self.day(int(d)), self._minute(rng, 0, 24 * 60))
                unauthorized.append(Adjustment(self.seq(), when, product, fc, "D", -1, "SELLABLE"))
        # Planting: every sandbox with enough history shows a few, some of them claimable now.
        if self.days > 40:
            for _ in range(max(0, self.sc.min_per_outcome - len(unauthorized))):
                product = self.products[int(rng.integers(len(self.products)))]
                day = self.days - 1 - int(rng.integers(15, 40))
                when = _local(self.day(day), self._minute(rng))
                unauthorized.append(
                    Adjustment(self.seq(), when, product, product.fcs[0], "D", -1, "SELLABLE")
                )
        return orders, unauthorized

    def damages(self) -> list[Damage]:
        rng = self.rng["damages"]
        lam = self.sc.damage_rate * self._handled_per_day()
        counts = rng.poisson(lam, size=(self.days, len(self.products)))
        out: list[Damage] = []
        for d, p in zip(*np.nonzero(counts), strict=True):
            product = self.products[int(p)]
            for _ in range(int(counts[d, p])):
                fc = product.fcs[0] if rng.random() < product.fc_weight else product.fcs[1]
                when = _local(self.day(int(d)), self._minute(rng, 0, 24 * 60))
                dmg = Damage(Adjustment(self.seq(), when, product, fc, "E", -1, "SELLABLE"))
                if rng.random() < self.sc.damage_reimbursed_share:
                    on = when.date() + timedelta(days=int(rng.integers(3, 11)))
                    dmg.reimbursement = self._reimburse(rng, on, "Damaged_Warehouse", product, 1)
                    o_day = on + timedelta(days=int(rng.integers(0, 4)))
                    dmg.removal = Adjustment(
                        self.seq(),
                        _local(o_day, self._minute(rng)),
                        product,
                        fc,
                        "O",
                        -1,
                        "WAREHOUSE_DAMAGED",
                    )
                out.append(dmg)
        return out

    # -- ids --------------------------------------------------------------------------------

    def assign_ids(
        self,
        losses: list[Loss],
        damages: list[Damage],
        disposals: list[Adjustment],
    ) -> None:
        """Adjustment and reimbursement ids increase with time, as Amazon's do."""
        rng = self.rng["ids"]
        adjustments: list[Adjustment] = [
            a for loss in losses for a in (loss.adjustment, *loss.found)
        ]
        adjustments += [d.adjustment for d in damages]
        adjustments += [d.removal for d in damages if d.removal is not None]
        adjustments += disposals
        adjustments.sort(key=lambda a: (a.when, a.seq))
        ids = int(rng.integers(10**9, 3 * 10**9)) + np.cumsum(
            rng.integers(1, 4000, size=len(adjustments))
        )
        for a, i in zip(adjustments, ids.tolist(), strict=True):
            a.reference_id = str(i)
        self.reimbursements.sort(key=lambda r: (r.approval, r.seq))
        rids = int(rng.integers(10**9, 3 * 10**9)) + np.cumsum(
            rng.integers(1, 900, size=len(self.reimbursements))
        )
        for r, i in zip(self.reimbursements, rids.tolist(), strict=True):
            r.reimbursement_id = str(i)

    def run(self) -> SellerBook:
        units, first = self.flows()
        receipts = self.receipts()
        returns, disposals = self.returns(units)
        losses = self.losses()
        damages = self.damages()
        removal_orders, unauthorized = self.removals()
        disposals = sorted(
            [*disposals, *(o.disposal for o in removal_orders), *unauthorized],
            key=lambda a: (a.when, a.seq),
        )
        self.assign_ids(losses, damages, disposals)
        return SellerBook(
            seller_id=self.seller_id,
            name=self.name,
            scenario=self.sc,
            products=self.products,
            units_shipped=units,
            units_from_first_fc=first,
            receipts=receipts,
            returns=returns,
            disposals=disposals,
            removal_orders=removal_orders,
            unauthorized_disposals=unauthorized,
            losses=losses,
            damages=damages,
            reimbursements=self.reimbursements,
            shipments_stream=self.render_seed,
        )


def simulate(scenario: Scenario) -> list[SellerBook]:
    """The event log of every seller in the scenario (nothing is written)."""
    return [_SellerSim(scenario, i).run() for i in range(scenario.sellers)]


# --------------------------------------------------------------------------------------------
# Renderers: SellerBook -> Amazon's file formats


_BLOCK_DAYS = 32  # ledger rendering works through the history in blocks (bounded memory)


def _tsv_lines(columns: list) -> pd.Series:
    """Join equal-length columns (arrays/Series of str) with tabs, vectorised."""
    out = pd.Series(columns[0], dtype=object).reset_index(drop=True)
    for col in columns[1:]:
        out = out + "\t" + pd.Series(col, dtype=object).reset_index(drop=True)
    return out


def _ledger_event_rows(book: SellerBook) -> Iterator[tuple]:
    """(day_index, minute, order, seq, product_index, event type, reference, quantity, fc,
    disposition, reason, reconciled, unreconciled) for every non-Shipments ledger row."""
    as_of, start = book.as_of, book.start

    def row(when: datetime, seq: int, product: Product, *rest) -> tuple:
        day = (when.date() - start).days
        return (day, when.hour * 60 + when.minute, 1, seq, product.index, *rest)

    def adjustment(a: Adjustment, rec: str = "", unrec: str = "", **override) -> tuple:
        qty = override.get("quantity", a.quantity)
        disposition = override.get("disposition", a.disposition)
        reason = override.get("reason", a.reason)
        return row(a.when, a.seq, a.product, "Adjustments", a.reference_id, qty, a.fc,
                   disposition, reason, rec, unrec)  # fmt: skip

    for r in book.receipts:
        yield row(r.when, r.seq, r.product, "Receipts", r.shipment_id, r.quantity, r.fc,
                  "SELLABLE", "", "", "")  # fmt: skip
    for r in book.returns:
        yield row(r.when, r.seq, r.product, "CustomerReturns", r.order_id, 1, r.fc,
                  r.disposition, "", "", "")  # fmt: skip
    for a in book.disposals:
        yield adjustment(a)
    for loss in book.losses:
        rec = loss.reconciled(as_of)
        yield adjustment(loss.adjustment, str(rec), str(loss.units - rec))
        for f in loss.found:  # F/N rows: reconciled against the loss
            yield adjustment(f, str(f.quantity), "0")
    for dmg in book.damages:
        a, q = dmg.adjustment, -dmg.adjustment.quantity
        paid = dmg.reimbursement is not None and dmg.reimbursement.approval.date() <= as_of
        yield adjustment(a, str(q if paid else 0), str(0 if paid else q))
        yield adjustment(a, quantity=q, disposition="WAREHOUSE_DAMAGED", reason="P")
        if dmg.removal is not None:
            yield adjustment(dmg.removal)


_EVENT_COLUMNS = [
    "day",
    "minute",
    "order",
    "seq",
    "product",
    "event_type",
    "reference_id",
    "quantity",
    "fc",
    "disposition",
    "reason",
    "reconciled",
    "unreconciled",
]


def render_ledger(book: SellerBook, fh: TextIO) -> int:
    """GET_LEDGER_DETAIL_VIEW_DATA as of `as_of`: tab-delimited, header of §1.1 (without the
    optional Store column), rows in time order. Customer shipments are aggregated per day, SKU
    and FC. Returns the number of data rows written."""
    market, start, days = book.market, book.start, book.units_shipped.shape[0]
    products = book.products
    fnsku = np.array([p.fnsku for p in products], dtype=object)
    asin = np.array([p.asin for p in products], dtype=object)
    msku = np.array([p.sku for p in products], dtype=object)
    title = np.array([p.title for p in products], dtype=object)
    fc_index = {fc: i for i, fc in enumerate(market.fcs)}
    prod_fc = np.array([[fc_index[p.fcs[0]], fc_index[p.fcs[1]]] for p in products])
    fcs = np.array(market.fcs, dtype=object)
    day_dates = [start + timedelta(days=i) for i in range(days)]
    day_mdy = np.array([d.strftime("%m/%d/%Y") for d in day_dates], dtype=object)
    day_iso = np.array([d.isoformat() for d in day_dates], dtype=object)
    day_off = np.array([market.utc_offset(d) for d in day_dates], dtype=object)
    hhmm = np.array([f"{m // 60:02d}:{m % 60:02d}:00" for m in range(24 * 60)], dtype=object)

    events = pd.DataFrame(list(_ledger_event_rows(book)), columns=_EVENT_COLUMNS)
    events = events[events["day"] < days]
    events["block"] = events["day"] // _BLOCK_DAYS

    rng = np.random.default_rng(book.shipments_stream)
    fh.write(LEDGER_DETAIL.header + "\n")
    written = 0
    for b0 in range(0, days, _BLOCK_DAYS):
        b1 = min(days, b0 + _BLOCK_DAYS)
        # Customer shipments of this block: one row per (day, SKU, FC) with units > 0.
        units = book.units_shipped[b0:b1]
        first = book.units_from_first_fc[b0:b1]
        per_slot = np.stack([first, units - first], axis=-1)  # (days, products, 2)
        d, p, s = np.nonzero(per_slot)
        qty = per_slot[d, p, s]
        n = len(d)
        ship = pd.DataFrame(
            {
                "day": d + b0,
                "minute": rng.integers(7 * 60, 23 * 60, size=n),
                "order": 0,
                "seq": np.arange(n),
                "product": p,
                "event_type": "Shipments",
                "reference_id": np.char.add("D", _codes(rng, n, 8, MIXED_ALNUM)).astype(object),
                "quantity": -qty,
                "fc": fcs[prod_fc[p, s]] if n else np.array([], dtype=object),
                "disposition": "SELLABLE",
                "reason": "",
                "reconciled": "",
                "unreconciled": "",
            }
        )
        block = pd.concat(
            [ship, events[events["block"] == b0 // _BLOCK_DAYS].drop(columns="block")],
            ignore_index=True,
        )
        if block.empty:
            continue
        block = block.sort_values(["day", "minute", "order", "seq"], kind="stable")
        dd = block["day"].to_numpy()
        pp = block["product"].to_numpy()
        mm = block["minute"].to_numpy()
        lines = _tsv_lines(
            [
                day_mdy[dd],
                fnsku[pp],
                asin[pp],
                msku[pp],
                title[pp],
                block["event_type"].to_numpy(),
                block["reference_id"].to_numpy(),
                block["quantity"].astype(str).to_numpy(),
                block["fc"].to_numpy(),
                block["disposition"].to_numpy(),
                block["reason"].to_numpy(),
                np.full(len(block), market.country, dtype=object),
                block["reconciled"].to_numpy(),
                block["unreconciled"].to_numpy(),
                day_iso[dd] + "T" + hhmm[mm] + day_off[dd],
            ]
        )
        fh.write("\n".join(lines.tolist()) + "\n")
        written += len(lines)
    return written


def render_reimbursements(book: SellerBook, fh: TextIO) -> int:
    """GET_FBA_REIMBURSEMENTS_DATA as of `as_of` (18 columns, §1.3). Automatic reimbursements
    have no case id; reversals carry negative amounts and quantities and name the original."""
    fh.write(REIMBURSEMENTS.header + "\n")
    currency, n = book.market.currency, 0
    for r in sorted(book.reimbursements, key=lambda r: (r.approval, r.reimbursement_id)):
        if r.approval.date() > book.as_of:
            continue
        p = r.product
        fh.write(
            "\t".join(
                (
                    r.approval.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    r.reimbursement_id,
                    "",
                    "",
                    r.reason,
                    p.sku,
                    p.fnsku,
                    p.asin,
                    p.title,
                    "New",
                    currency,
                    f"{r.amount_per_unit:.2f}",
                    f"{r.amount_total:.2f}",
                    str(r.qty_cash),
                    str(r.qty_inventory),
                    str(r.qty_total),
                    r.original.reimbursement_id if r.original else "",
                    r.original.reason if r.original else "",
                )
            )
            + "\n"
        )
        n += 1
    return n


def render_removal_orders(book: SellerBook, fh: TextIO) -> int:
    """GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA as of `as_of` (§1.8): one row per order
    line, updated in place: Pending with the units in process until the order completes, then
    Completed with the disposed quantity. ISO-8601 dates with offset."""
    fh.write(REMOVAL_ORDER_DETAIL.header + "\n")
    currency, n = book.market.currency, 0
    as_of_end = datetime.combine(book.as_of + timedelta(days=1), datetime.min.time(), UTC)
    for o in sorted(book.removal_orders, key=lambda o: (o.requested, o.order_id)):
        if o.requested >= as_of_end:
            continue
        done = o.completed < as_of_end
        p = o.product
        fh.write(
            "\t".join(
                (
                    o.requested.strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    o.order_id,
                    "Seller",
                    o.order_type,
                    "Standard",
                    "Completed" if done else "Pending",
                    (o.completed if done else o.requested).strftime("%Y-%m-%dT%H:%M:%S+00:00"),
                    p.sku,
                    p.fnsku,
                    "Sellable",
                    str(o.quantity),
                    "0",
                    str(o.quantity if done else 0),
                    "0",
                    str(0 if done else o.quantity),
                    f"{o.fee_per_unit * o.quantity:.2f}",
                    currency,
                )
            )
            + "\n"
        )
        n += 1
    return n


def render_product_master(book: SellerBook, fh: TextIO) -> int:
    w = csv.writer(fh, lineterminator="\n")
    w.writerow(PRODUCT_MASTER_COLUMNS)
    for p in book.products:
        w.writerow([p.sku, f"{p.unit_cost:.2f}", book.market.currency, *(str(v) for v in p.dims)])
    return len(book.products)


def render_ground_truth(book: SellerBook, fh: TextIO) -> int:
    rows = book.truth_rows()
    w = csv.DictWriter(fh, fieldnames=GROUND_TRUTH_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return len(rows)


# Report type -> renderer. Add a report type here (plus catalog.REPORTS) to widen the sandbox.
RENDERERS: dict[str, Callable[[SellerBook, TextIO], int]] = {
    LEDGER_DETAIL.report_type: render_ledger,
    REIMBURSEMENTS.report_type: render_reimbursements,
    REMOVAL_ORDER_DETAIL.report_type: render_removal_orders,
}
# Seller-side and evaluation files: name -> (file name, renderer).
SIDE_FILES: dict[str, tuple[str, Callable[[SellerBook, TextIO], int]]] = {
    "product_master": (PRODUCT_MASTER_FILE, render_product_master),
    "ground_truth": (GROUND_TRUTH_FILE, render_ground_truth),
}


# --------------------------------------------------------------------------------------------
# Manifest and generate()


@dataclass(frozen=True)
class SandboxSeller:
    seller_id: str
    name: str
    marketplace_id: str
    country: str
    region: str
    currency: str
    refresh_token: str = field(repr=False)
    lwa_app_id: str = field(repr=False)
    lwa_client_secret: str = field(repr=False)
    # report type / "product_master" / "ground_truth" -> absolute path
    files: dict[str, Path] = field(default_factory=dict, compare=False, hash=False)
    # rows written per file, and ground-truth rows per status
    counts: dict[str, int] = field(default_factory=dict, compare=False, hash=False)


@dataclass(frozen=True)
class SandboxManifest:
    out_dir: Path
    scenario: Scenario
    sellers: tuple[SandboxSeller, ...]

    def seller(self, seller_id: str) -> SandboxSeller:
        for s in self.sellers:
            if s.seller_id == seller_id:
                return s
        raise KeyError(seller_id)

    def report_path(self, seller_id: str, report_type: str) -> Path:
        return self.seller(seller_id).files[report_type]


def _seller_entry(book: SellerBook) -> SandboxSeller:
    market = book.market
    return SandboxSeller(
        seller_id=book.seller_id,
        name=book.name,
        marketplace_id=market.marketplace_id,
        country=market.country,
        region=market.region,
        currency=market.currency,
        refresh_token=f"Atzr|sandbox-{book.seller_id}",
        lwa_app_id=SANDBOX_LWA_APP_ID,
        lwa_client_secret=SANDBOX_LWA_CLIENT_SECRET,
    )


def generate(scenario: Scenario, out_dir: Path) -> SandboxManifest:
    """Simulate the scenario and write every seller's files plus `scenario.json`."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sellers = []
    for i in range(scenario.sellers):
        book = _SellerSim(scenario, i).run()
        entry = _seller_entry(book)
        seller_dir = out_dir / book.seller_id
        seller_dir.mkdir(parents=True, exist_ok=True)
        outputs = [(rt, REPORTS[rt].file_name, fn) for rt, fn in RENDERERS.items()]
        outputs += [(key, name, fn) for key, (name, fn) in SIDE_FILES.items()]
        for key, name, render in outputs:
            path = seller_dir / name
            tmp = path.with_name(path.name + ".tmp")
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                entry.counts[key] = render(book, fh)
            tmp.replace(path)
            entry.files[key] = path
        for status in ("ready", "upcoming", "expired"):
            entry.counts[f"ground_truth_{status}"] = 0
        for row in book.truth_rows():
            entry.counts[f"ground_truth_{row['status']}"] += 1
        sellers.append(entry)
        del book
    manifest = SandboxManifest(out_dir, scenario, tuple(sellers))
    _write_manifest(manifest)
    return manifest


def _write_manifest(manifest: SandboxManifest) -> None:
    doc = {
        "format": FORMAT,
        "scenario": manifest.scenario.to_json(),
        "sellers": [
            {
                "seller_id": s.seller_id,
                "name": s.name,
                "marketplace_id": s.marketplace_id,
                "country": s.country,
                "region": s.region,
                "currency": s.currency,
                "refresh_token": s.refresh_token,
                "lwa_app_id": s.lwa_app_id,
                "lwa_client_secret": s.lwa_client_secret,
                "files": {
                    k: p.relative_to(manifest.out_dir).as_posix() for k, p in s.files.items()
                },
                "counts": s.counts,
            }
            for s in manifest.sellers
        ],
    }
    path = manifest.out_dir / SCENARIO_FILE
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8", newline="\n")
    tmp.replace(path)


def load_manifest(out_dir: Path) -> SandboxManifest:
    """The manifest of a generated sandbox directory (reads `scenario.json`)."""
    out_dir = Path(out_dir)
    doc = json.loads((out_dir / SCENARIO_FILE).read_text(encoding="utf-8"))
    if doc.get("format") != FORMAT:
        raise ValueError(f"{out_dir / SCENARIO_FILE}: not a {FORMAT} sandbox manifest")
    sellers = tuple(
        SandboxSeller(
            seller_id=s["seller_id"],
            name=s["name"],
            marketplace_id=s["marketplace_id"],
            country=s["country"],
            region=s["region"],
            currency=s["currency"],
            refresh_token=s["refresh_token"],
            lwa_app_id=s["lwa_app_id"],
            lwa_client_secret=s["lwa_client_secret"],
            files={k: out_dir / v for k, v in s.get("files", {}).items()},
            counts=dict(s.get("counts", {})),
        )
        for s in doc["sellers"]
    )
    return SandboxManifest(out_dir, Scenario.from_json(doc["scenario"]), sellers)
