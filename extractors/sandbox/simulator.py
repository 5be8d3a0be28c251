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

from extractors.sandbox import fee_policy, fees
from extractors.sandbox.catalog import (
    ALL_ORDERS,
    CUSTOMER_RETURNS,
    FEE_PREVIEW_EU,
    FEE_PREVIEW_US,
    FULFILLED_SHIPMENTS,
    GROUND_TRUTH_COLUMNS,
    GROUND_TRUTH_FILE,
    LEDGER_DETAIL,
    PRODUCT_MASTER_COLUMNS,
    PRODUCT_MASTER_FILE,
    REIMBURSEMENTS,
    REMOVAL_ORDER_DETAIL,
    REMOVAL_SHIPMENT_DETAIL,
    REPORTS,
    SCENARIO_FILE,
    SETTLEMENT_COLUMNS,
    SETTLEMENT_DIR,
    SETTLEMENT_REPORT_TYPE,
    STORAGE_FEES,
)
from extractors.sandbox.fees import Dims
from extractors.sandbox.inbound import (
    INBOUND_FILE,
    InboundShipment,
    inbound_truth,
    plan_inbound,
    render_inbound_shipments,
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
    # from this date (US 31 Mar 2025 per policy-2026.md s2; EU blogs give 10 Mar 2025).
    cost_valuation_since: date
    utc_offset: Callable[[date], str]
    sales_channel: str = "Amazon.com"
    carriers: tuple[str, ...] = ("UPS", "USPS", "FedEx")
    # claim-policy.md §3, FBA customer returns claims: (opens, deadline) days after the refund.
    customer_return_window: tuple[int, int] = (60, 120)
    # Sales tax (US, on top of the price) / VAT share of the price (UK) on order lines.
    tax_rate: Decimal = Decimal("0.07")
    # Settlement V2 is localised (amazon-reports.md §1.12): "us" = `2026-09-11 08:00:00 UTC`;
    # "eu" = `11.09.2026 08:00:00 UTC` dates. Amounts use the marketplace's decimal separator.
    settlement_style: str = "us"
    decimal_comma: bool = False
    # EU documents come as Cp1252 (amazon-reports.md §0); the emulator serves them so.
    charset: str = "UTF-8"


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
        cost_valuation_since=date(2025, 3, 31),  # policy-2026.md s2: postponed from 03-10
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
        sales_channel="Amazon.co.uk",
        carriers=("Royal Mail", "DPD", "Evri"),
        customer_return_window=(45, 105),
        tax_rate=Decimal("0.20"),
        settlement_style="eu",
        charset="Cp1252",
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
    # Order lines refunded (assumption; one unit per refund).
    refund_rate: float = 0.05
    # Refunds whose item never comes back; §5: 3-10 % of FBA refunds (UNCONFIRMED).
    unreturned_share: float = 0.08
    # Unreturned refunds Amazon reimburses automatically ~60 days after the refund (§3 "in most
    # cases"); the rest stays open (refund_not_returned).
    unreturned_reimbursed_share: float = 0.85
    # Of those auto-reimbursed, the share whose item comes back afterwards: the reimbursement is
    # then reversed (a justified reversal).
    returned_after_reimbursed_share: float = 0.1
    # Returned units graded DAMAGED / CARRIER_DAMAGED (Amazon's responsibility, §1.4) and the
    # share of those Amazon reimburses by itself (assumptions).
    damaged_return_share: float = 0.05
    damaged_return_reimbursed_share: float = 0.8
    # Refunds of a one-unit order item that Amazon posts twice (a second Refund with its own
    # adjustment id, 1-30 days after the first: e.g. a customer-service or A-to-z refund on top of
    # the return's own refund), so the customer gets back more than was charged:
    # refund_exceeds_charge (claim-policy.md 2.7, "duplicate refunds"). Assumption: no published
    # rate; the Scenario plants `min_per_outcome` per seller when the draw gives fewer.
    duplicate_refund_share: float = 0.01
    # SKUs Amazon measured too big (fulfilment fee charged at a higher tier from some day on),
    # and too small (charged less: not claimable) (assumptions).
    mismeasured_sku_share: float = 0.1
    undermeasured_sku_share: float = 0.05
    # Storage fee rows whose item_volume is inflated against the unit's dimensions (assumption).
    storage_volume_error_rate: float = 0.03
    # Seller-requested return removal orders (units shipped back) per month, and the share of
    # completed ones where some units are never shipped nor otherwise accounted for.
    return_removals_per_month: float = 1.2
    removal_unaccounted_share: float = 0.1
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
    price: Decimal = Decimal(0)  # item price per unit (incl. VAT in the UK)
    # Amazon's measurement of the unit from day `measured_since` (day index) on; before it, and
    # when None, Amazon's measurement equals the true dimensions (`dims`).
    measured: Dims | None = None
    measured_since: int = 0

    @property
    def true_dims(self) -> Dims:
        return Dims(*self.dims)

    def amazon_dims(self, day_index: int) -> Dims:
        if self.measured is not None and day_index >= self.measured_since:
            return self.measured
        return self.true_dims


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
    order_id: str = ""  # amazon-order-id (CustomerReturn reimbursements)

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
    """A seller's removal order (one SKU line): a Disposal carried out by a ledger D row, or a
    Return shipped back to the seller in parcels (ledger VendorReturns rows). `lost` units of a
    Return are never shipped nor otherwise accounted for (removal_unaccounted)."""

    order_id: str
    requested: datetime  # UTC
    completed: datetime  # UTC; the ledger D row / last parcel is on this day
    product: Product
    order_type: str  # "Disposal" | "Return"
    quantity: int
    fee_per_unit: Decimal
    disposal: Adjustment | None = None
    cancelled: int = 0
    lost: int = 0
    parcels: list[Parcel] = field(default_factory=list)

    def completed_by(self, as_of: date) -> bool:
        return self.completed.date() <= as_of


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
    when: datetime  # FC local time
    product: Product
    fc: str
    order_id: str
    disposition: str  # returns-report detailed-disposition
    posted: date | None = None  # day the row appears in the returns report (back-posting)
    reason: str = "UNWANTED_ITEM"
    lpn: str = ""

    @property
    def ledger_disposition(self) -> str:
        return {"DAMAGED": "WAREHOUSE_DAMAGED"}.get(self.disposition, self.disposition)

    def visible(self, as_of: date) -> bool:
        return self.when.date() <= as_of and (self.posted or self.when.date()) <= as_of


@dataclass
class Refund:
    """A customer refund of one unit of an order line, and what became of the unit."""

    order: int  # row in SellerBook.orders
    when: datetime  # UTC
    product: Product
    order_id: str
    principal: Decimal  # refunded per unit
    commission: Decimal  # referral fee given back per unit
    outcome: str  # returned | returned_damaged | unreturned | returned_after_reimbursed
    ret: CustomerReturn | None = None
    reimbursements: list[Reimbursement] = field(default_factory=list)
    adjustment_id: str = ""
    adjustment_item_id: str = ""
    # Later postings of the same refund (UTC): Amazon refunded this unit again. Each gives back
    # the same principal (and commission) once more; none is a unit that could come back.
    duplicates: list[datetime] = field(default_factory=list)

    def postings(self, as_of: date) -> list[datetime]:
        """When the refund was posted (first, then any duplicates), up to `as_of`."""
        return [w for w in (self.when, *self.duplicates) if w.date() <= as_of]

    def returned(self, as_of: date) -> bool:
        return self.ret is not None and self.ret.visible(as_of)

    def reimbursed_units(self, as_of: date) -> int:
        return sum(r.qty_total for r in self.reimbursements if r.approval.date() <= as_of)


@dataclass
class Orders:
    """Every shipped order line (one SKU per order), column-wise: numpy arrays of equal length,
    in ship order. Days are day indexes from the scenario start (FC local calendar)."""

    day: np.ndarray  # ship day
    product: np.ndarray
    qty: np.ndarray
    slot: np.ndarray  # 0: shipped from product.fcs[0], 1: from fcs[1]
    ship_minute: np.ndarray  # local minute of the ship day
    lead_minutes: np.ndarray  # purchase happened this long before shipping
    order_id: np.ndarray
    order_item_id: np.ndarray
    shipment_id: np.ndarray
    shipment_item_id: np.ndarray
    tracking: np.ndarray
    carrier: np.ndarray
    price_cents: np.ndarray  # per unit
    fee_cents: np.ndarray  # fulfilment fee charged per unit (Amazon's measurement, + LILF)
    true_fee_cents: np.ndarray  # fee per unit for the true dimensions (same card, no LILF)
    lilf_cents: np.ndarray  # low-inventory-level fee per unit inside fee_cents

    def __len__(self) -> int:
        return len(self.day)


@dataclass
class Parcel:
    shipped: datetime  # UTC
    quantity: int
    carrier: str
    tracking: str


@dataclass
class StorageCharge:
    month: date  # first day of the month of charge
    product: Product
    fc: str
    dims: Dims  # Amazon's measurement shown in the report
    tier: str
    item_volume: Decimal  # cubic feet, as charged
    true_volume: Decimal
    avg_on_hand: Decimal
    rate: Decimal
    true_rate: Decimal
    avg_orders: Decimal

    @property
    def fee(self) -> Decimal:
        return (self.avg_on_hand * self.item_volume * self.rate).quantize(Decimal("0.0001"))

    @property
    def true_fee(self) -> Decimal:
        return (self.avg_on_hand * self.true_volume * self.true_rate).quantize(Decimal("0.0001"))


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
    orders: Orders
    refunds: list[Refund]
    storage: list[StorageCharge]
    returns: list[CustomerReturn]
    disposals: list[Adjustment]  # every ledger D row, authorised or not
    removal_orders: list[RemovalOrder]
    unauthorized_disposals: list[Adjustment]  # D rows of sellable units without a removal order
    losses: list[Loss]
    damages: list[Damage]
    reimbursements: list[Reimbursement]
    shipments_stream: int  # seed material for rendering per-row shipment details
    offset_minutes: np.ndarray  # UTC offset of the FC local time per day index
    settlement_seed: int = 0
    inbound: list[InboundShipment] = field(default_factory=list)  # see extractors.sandbox.inbound

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
        (disposed_unauthorized), reimbursements paid below cost (reimbursement_underpaid), and
        the customer-return, fee, storage, removal, inbound and reversal claims of the
        `_*_truth` helpers (refund_exceeds_charge: order items refunded more than charged)."""
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
        rows += self._refund_truth()
        rows += self._refund_exceeds_truth()
        rows += self._fee_truth()
        rows += self._storage_truth()
        rows += self._removal_truth()
        rows += inbound_truth(self)
        rows += self._reversal_truth()
        rows.sort(
            key=lambda r: (
                r["claim_type"],
                r["event_date"],
                r["reference_id"],
                r["fnsku"],
                r["order_id"],
                r["removal_order_id"],
                r["fulfillment_center_id"],
            )
        )
        return rows

    def _truth(
        self,
        claim_type: str,
        product: Product,
        event_day: date,
        qty: int,
        unit_value: Decimal,
        eligible: date,
        deadline: date,
        amount: Decimal | None = None,
        **keys: str,
    ) -> dict[str, str]:
        market = self.market
        if amount is None:
            amount = (unit_value * qty).quantize(CENT, ROUND_HALF_UP)
        row = {
            "claim_type": claim_type,
            "seller_id": self.seller_id,
            "marketplace_id": market.marketplace_id,
            "fnsku": product.fnsku,
            "sku": product.sku,
            "asin": product.asin,
            "order_id": "",
            "shipment_id": "",
            "removal_order_id": "",
            "reference_id": "",
            "fulfillment_center_id": "",
            "event_date": event_day.isoformat(),
            "quantity": str(qty),
            "unit_value": f"{unit_value:.2f}",
            "amount": f"{amount:.2f}",
            "currency": market.currency,
            "eligible_from": eligible.isoformat(),
            "deadline": deadline.isoformat(),
            "status": claim_status(self.as_of, eligible, deadline),
        }
        row.update(keys)
        return row

    def _refund_truth(self) -> list[dict[str, str]]:
        """Refunded units neither returned nor reimbursed (refund_not_returned), and returns
        graded DAMAGED / CARRIER_DAMAGED that Amazon has not reimbursed
        (return_damaged_unreimbursed), as of `as_of`: claim-policy.md 2.4/2.5, window from the
        refund date (US +60..+120 days, EU/UK +45..+105)."""
        as_of = self.as_of
        opens, closes = self.market.customer_return_window
        rows = []
        for rf in self.refunds:
            day = rf.when.date()
            if day > as_of:
                continue
            eligible, deadline = day + timedelta(days=opens), day + timedelta(days=closes)
            reimbursed = rf.reimbursed_units(as_of)
            if rf.returned(as_of):
                if rf.ret.disposition in ("DAMAGED", "CARRIER_DAMAGED") and reimbursed < 1:
                    claim_type = "return_damaged_unreimbursed"
                else:
                    continue
            elif reimbursed < 1:
                if any(
                    r.original is not None for r in rf.reimbursements if r.approval.date() <= as_of
                ):
                    continue  # reimbursed, then reversed with no return: reversal_unjustified
                claim_type = "refund_not_returned"
            else:
                continue
            rows.append(
                self._truth(
                    claim_type,
                    rf.product,
                    day,
                    1,
                    rf.principal,
                    eligible,
                    deadline,
                    order_id=rf.order_id,
                )
            )
        return rows

    def _refund_exceeds_truth(self) -> list[dict[str, str]]:
        """Order items refunded more principal than the customer was charged for them
        (claim-policy.md 2.7): the refund postings by `as_of` against the order line's charged
        principal (price x quantity shipped). One row per (order, SKU): quantity = refunded units
        beyond those shipped, value = refunded minus charged, anchored on the latest refund
        posted (the one that went over), window +0..+90 days (UNCONFIRMED in the policy).
        Owed on top of refund_not_returned / return_damaged_unreimbursed, never instead: those
        are about the one unit shipped (it did not come back, or came back damaged by Amazon)
        and are valued at one refund of it; this is the money refunded beyond the charge, which
        no return or return reimbursement gives back. A duplicate is never a second unit that
        could be "not returned"."""
        o, as_of = self.orders, self.as_of
        rows = []
        for rf in self.refunds:
            posts = rf.postings(as_of)
            qty = int(o.qty[rf.order])
            charged = Decimal(int(o.price_cents[rf.order]) * qty) / 100
            excess = rf.principal * len(posts) - charged
            if not posts or excess < CENT:
                continue
            day = max(posts).date()
            rows.append(
                self._truth(
                    "refund_exceeds_charge",
                    rf.product,
                    day,
                    len(posts) - qty,
                    rf.principal,
                    day,
                    day + timedelta(days=90),
                    amount=excess,
                    order_id=rf.order_id,
                )
            )
        return rows

    def _fee_truth(self) -> list[dict[str, str]]:
        """Fulfilment fee dimension disputes per (SKU, month of charge): fee_policy.fee_truth.
        The fee is charged when the order ships (settlement posted date, UTC)."""
        o = self.orders
        return fee_policy.fee_truth(self, _utc_day_index(self, o.day, o.ship_minute))

    def _storage_truth(self) -> list[dict[str, str]]:
        """Monthly storage charges above what the true item volume costs (claim-policy.md 2.11),
        per (FNSKU, month of charge): fee_policy.storage_truth."""
        return fee_policy.storage_truth(self, _month_end)

    def _removal_truth(self) -> list[dict[str, str]]:
        """Completed return removal orders with units neither shipped, cancelled, disposed nor in
        process (claim-policy.md 2.9); window last shipment date +15..+75 days."""
        rows = []
        for o in self.removal_orders:
            if o.lost <= 0 or not o.completed_by(self.as_of):
                continue
            day = o.completed.date()
            rows.append(
                self._truth(
                    "removal_unaccounted",
                    o.product,
                    day,
                    o.lost,
                    o.product.unit_cost,
                    day + timedelta(days=15),
                    day + timedelta(days=75),
                    removal_order_id=o.order_id,
                )
            )
        return rows

    def _reversal_truth(self) -> list[dict[str, str]]:
        """Reimbursement reversals that took back units Amazon still owes (claim-policy.md 2.13);
        window approval date +0..+60 days. A reversal is justified when the item came back: a
        unit of that FNSKU found (ledger F) after the original reimbursement, or the customer
        return of the order. An unjustified reversal is owed once: when it reverses the
        reimbursement of a loss in the ledger history the seller has, the loss is open again and
        owed as warehouse_lost (claim-policy.md 2.1 nets reversed units back into the loss); a
        reversal of anything else (a loss that predates the history, a customer-return
        reimbursement, ...) is owed here."""
        as_of = self.as_of
        # Reimbursements of losses whose M row is in the ledger: reversing them reopens the loss.
        on_loss = {
            r.seq
            for loss in self.losses
            if loss.event_date >= self.start
            for r in loss.reimbursements
        }
        justified: set[int] = set()  # justified, or owed on the reopened loss
        # The ledger cannot tell which loss a found unit belongs to, so neither does the truth:
        # any F of the FNSKU after the original (up to as_of: the unit is back in stock) counts.
        found_days: dict[int, list[date]] = {}
        for loss in self.losses:
            for a in loss.found:
                if a.reason == "F":
                    found_days.setdefault(a.product.index, []).append(a.when.date())
        for r in self.reimbursements:
            if r.original is None or r.original.reason == "CustomerReturn":
                continue
            lo = r.original.approval.date()
            if r.original.seq in on_loss or any(
                lo <= d <= as_of for d in found_days.get(r.product.index, ())
            ):
                justified.add(r.seq)
        for rf in self.refunds:
            for rev in (r for r in rf.reimbursements if r.original is not None):
                if rf.returned(as_of):
                    justified.add(rev.seq)
        rows = []
        for r in self.reimbursements:
            day = r.approval.date()
            if r.original is None or day > as_of or r.seq in justified:
                continue
            rows.append(
                self._truth(
                    "reversal_unjustified",
                    r.product,
                    day,
                    -r.qty_total,
                    r.amount_per_unit,
                    day,
                    day + timedelta(days=60),
                    amount=-r.amount_total,
                    reference_id=r.reimbursement_id,
                )
            )
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


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    """Non-negative integers as zero-padded strings (object array), vectorised."""
    return np.char.zfill(np.asarray(values).astype(np.int64).astype(str), width).astype(object)


def _offset_minutes(offset: str) -> int:
    """'-0700' -> -420."""
    sign = -1 if offset[0] == "-" else 1
    return sign * (int(offset[1:3]) * 60 + int(offset[3:5]))


def _colon_offset(offset: str) -> str:
    return f"{offset[:3]}:{offset[3:]}"


def _month_end(month: date) -> date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _utc_day_index(sim, day: np.ndarray, minute: np.ndarray) -> np.ndarray:
    """Day index (from the scenario start) of the UTC date of FC-local (day, minute)."""
    utc = day.astype(np.int64) * 1440 + minute - sim.offset_minutes[day]
    return utc // 1440


_RETURN_REASONS = {
    "SELLABLE": ("UNWANTED_ITEM", "NO_REASON_GIVEN", "FOUND_BETTER_PRICE", "ORDERED_WRONG_ITEM"),
    "CUSTOMER_DAMAGED": ("UNWANTED_ITEM", "NOT_AS_DESCRIBED", "QUALITY_UNACCEPTABLE"),
    "DEFECTIVE": ("DEFECTIVE", "MISSING_PARTS", "QUALITY_UNACCEPTABLE"),
}


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


def _utc_to_local(dt: datetime, market: Marketplace) -> datetime:
    """FC-local naive time of a UTC instant (the offset of the UTC day; day granularity)."""
    naive = dt.astimezone(UTC).replace(tzinfo=None)
    return naive + timedelta(minutes=_offset_minutes(market.utc_offset(naive.date())))


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
        # Appended streams: SeedSequence children depend only on their index, so the streams
        # above draw exactly what they drew before these were added.
        "orders",
        "refunds",
        "fees",
        "storage",
        "return_removals",
        "settlement",
        "inbound",
        "reversals",
        "duplicate_refunds",
        "fee_policy",
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
        self._price_and_measure(self.rng["fees"])
        self.low_inventory = fee_policy.low_inventory_months(
            self.rng["fee_policy"], len(self.products), self.start, self.days + 2
        )
        self.offset_minutes = np.array(
            [_offset_minutes(self.market.utc_offset(self.day(i))) for i in range(self.days + 2)]
        )

    def _price_and_measure(self, rng: np.random.Generator) -> None:
        """Item prices, and the SKUs Amazon measured wrong: too big (a higher fee from some day
        on: fulfillment_fee_overcharge and storage_fee_overcharge) or too small (lower fee)."""
        sc, n = self.sc, len(self.products)
        for p in self.products:
            markup = Decimal(str(round(2.2 + 1.4 * rng.random(), 2)))
            p.price = (p.unit_cost * markup).quantize(Decimal(1), ROUND_HALF_UP) - CENT
        u = rng.random(n)
        over = set(np.nonzero(u < sc.mismeasured_sku_share)[0].tolist())
        if not over and n >= 2 and sc.mismeasured_sku_share > 0:
            over = {int(rng.integers(n))}
        under = set(
            np.nonzero(
                (u >= sc.mismeasured_sku_share)
                & (u < sc.mismeasured_sku_share + sc.undermeasured_sku_share)
            )[0].tolist()
        )
        for i in sorted(over | under):
            p = self.products[i]
            true_fee = fees.fulfillment_fee(p.true_dims, self.market.code)[1]
            for attempt in range(40):
                step = 0.08 * (attempt + 1) * (0.7 + 0.6 * rng.random())
                side, weight = (1 + step, 1 + 1.5 * step) if i in over else (1 / (1 + step),) * 2
                dims = p.true_dims.scaled(side, weight)
                fee = fees.fulfillment_fee(dims, self.market.code)[1]
                if (fee > true_fee) if i in over else (fee < true_fee):
                    p.measured = dims
                    p.measured_since = max(0, self.days - int(rng.integers(25, 71)))
                    break

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
        order_id: str = "",
        per_unit: Decimal | None = None,
    ) -> Reimbursement:
        if original is not None:
            per_unit = original.amount_per_unit
        elif per_unit is not None:
            pass
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
            order_id=order_id,
        )
        self.reimbursements.append(r)
        return r

    # -- flows ----------------------------------------------------------------------------

    def flows(self) -> tuple[np.ndarray, np.ndarray, Orders]:
        """Orders shipped per day and SKU (one order line each), vectorised: (units per day and
        SKU, of which from the SKU's first FC, the order lines)."""
        rng = self.rng["flows"]
        n = len(self.products)
        orders = rng.poisson(self.sc.daily_orders_per_sku, size=(self.days, n))
        twos = rng.binomial(orders, 0.08)  # some orders are for two units
        units = orders + twos
        d, p = np.nonzero(orders)
        cnt = orders[d, p]
        day, prod = np.repeat(d, cnt), np.repeat(p, cnt)
        rank = np.arange(len(day)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        qty = (1 + (rank < np.repeat(twos[d, p], cnt))).astype(np.int32)
        weights = np.array([p.fc_weight for p in self.products])
        slot = (rng.random(len(day)) >= weights[prod]).astype(np.int8)
        first = np.zeros_like(units)
        np.add.at(first, (day[slot == 0], prod[slot == 0]), qty[slot == 0])
        return units.astype(np.int32), first.astype(np.int32), self._orders(day, prod, qty, slot)

    def _orders(self, day, prod, qty, slot) -> Orders:
        rng = self.rng["orders"]
        m = len(day)
        prefixes = np.array(self.market.order_prefixes, dtype=object)
        while True:
            pre = rng.integers(len(prefixes), size=m)
            a, b = rng.integers(0, 10**7, size=m), rng.integers(0, 10**7, size=m)
            keys = (pre.astype(np.int64) * 10**7 + a) * 10**7 + b
            if len(np.unique(keys)) == m:
                break
        order_id = prefixes[pre] + "-" + _zfill(a, 7) + "-" + _zfill(b, 7)
        market = self.market
        price = np.array([int(p.price * 100) for p in self.products], dtype=np.int64)
        carriers = np.array(market.carriers, dtype=object)
        orders = Orders(
            day=day.astype(np.int32),
            product=prod.astype(np.int32),
            qty=qty,
            slot=slot,
            ship_minute=rng.integers(6 * 60, 23 * 60, size=m),
            lead_minutes=rng.integers(2 * 60, 40 * 60, size=m),
            order_id=order_id,
            order_item_id=_zfill(rng.integers(10**13, 10**14, size=m), 14),
            shipment_id=np.char.add("D", _codes(rng, m, 8, MIXED_ALNUM)).astype(object),
            shipment_item_id=np.char.add("D", _codes(rng, m, 9, MIXED_ALNUM)).astype(object),
            tracking=np.char.add("TBA", _zfill(rng.integers(10**11, 10**12, size=m), 12)).astype(
                object
            ),
            carrier=carriers[rng.integers(len(carriers), size=m)],
            price_cents=price[prod],
            fee_cents=np.zeros(m, dtype=np.int64),
            true_fee_cents=np.zeros(m, dtype=np.int64),
            lilf_cents=np.zeros(m, dtype=np.int64),
        )
        # The fee is charged on the UTC day the money history posts it (fee_policy.py).
        utc_day = _utc_day_index(self, orders.day, orders.ship_minute)
        orders.fee_cents, orders.true_fee_cents, orders.lilf_cents = fee_policy.order_line_fees(
            self, utc_day, orders.product, self.low_inventory
        )
        return orders

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

    def refunds(
        self, orders: Orders
    ) -> tuple[list[Refund], list[CustomerReturn], list[Adjustment]]:
        """Refunds of order lines and what became of each unit: returned (most; graded, some
        DAMAGED/CARRIER_DAMAGED and then mostly reimbursed), or never returned (mostly
        reimbursed ~60 days after the refund; a few of those come back later and the
        reimbursement is reversed). Unsellable returns the seller owns are later disposed (D)."""
        rng, sc, market = self.rng["refunds"], self.sc, self.market
        picked = np.nonzero(rng.random(len(orders)) < sc.refund_rate)[0]
        delay = rng.integers(3, 36, size=len(picked))
        keep = orders.day[picked] + delay < self.days
        picked, delay = picked[keep], delay[keep]
        refunds: list[Refund] = []
        returns: list[CustomerReturn] = []
        disposals: list[Adjustment] = []
        taken: set[str] = set()

        def when_utc(d: date) -> datetime:
            return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(
                minutes=self._minute(rng, 0, 24 * 60)
            )

        def customer_return(rf: Refund, on: date, disposition: str, reason: str) -> None:
            fc = market.fcs[int(rng.integers(len(market.fcs)))]
            ret = CustomerReturn(
                self.seq(),
                _local(on, self._minute(rng)),
                rf.product,
                fc,
                rf.order_id,
                disposition,
                posted=on + timedelta(days=int(rng.integers(0, 8))),
                reason=reason,
                lpn="LPNR" + _unique_codes(rng, 1, 9, UPPER_ALNUM, taken)[0],
            )
            rf.ret = ret
            returns.append(ret)
            if disposition in ("CUSTOMER_DAMAGED", "DEFECTIVE") and rng.random() < 0.6:
                dd = on + timedelta(days=int(rng.integers(20, 61)))
                disposals.append(
                    Adjustment(
                        self.seq(),
                        _local(dd, self._minute(rng)),
                        rf.product,
                        fc,
                        "D",
                        -1,
                        disposition,
                    )
                )

        for i, dl in zip(picked.tolist(), delay.tolist(), strict=True):
            product = self.products[int(orders.product[i])]
            refund_day = self.day(int(orders.day[i]) + dl)
            price = Decimal(int(orders.price_cents[i])) / 100
            rf = Refund(
                order=i,
                when=when_utc(refund_day),
                product=product,
                order_id=str(orders.order_id[i]),
                principal=price,
                commission=(price * fees.REFERRAL_RATE).quantize(CENT, ROUND_HALF_UP),
                outcome="returned",
            )
            refunds.append(rf)
            factor = 1.0 if refund_day >= market.proactive_since else sc.pre_proactive_factor
            if rng.random() >= sc.unreturned_share:
                on = refund_day + timedelta(days=int(rng.integers(1, 21)))
                u = rng.random()
                if u < sc.damaged_return_share:
                    rf.outcome = "returned_damaged"
                    disposition = "DAMAGED" if rng.random() < 0.6 else "CARRIER_DAMAGED"
                    reason = "DAMAGED_BY_FC" if disposition == "DAMAGED" else "DAMAGED_BY_CARRIER"
                    customer_return(rf, on, disposition, reason)
                    if rng.random() < sc.damaged_return_reimbursed_share * factor:
                        paid = on + timedelta(days=int(rng.integers(5, 31)))
                        rf.reimbursements.append(
                            self._reimburse(
                                rng,
                                paid,
                                "CustomerReturn",
                                product,
                                1,
                                order_id=rf.order_id,
                                per_unit=price,
                            )
                        )
                else:
                    v = rng.random()
                    disposition = (
                        "SELLABLE" if v < 0.78 else "CUSTOMER_DAMAGED" if v < 0.9 else "DEFECTIVE"
                    )
                    reasons = _RETURN_REASONS[disposition]
                    customer_return(rf, on, disposition, reasons[int(rng.integers(len(reasons)))])
                continue
            rf.outcome = "unreturned"
            if rng.random() >= sc.unreturned_reimbursed_share * factor:
                continue  # stays open: refund_not_returned once the window opens
            paid = refund_day + timedelta(days=int(rng.integers(60, 76)))
            original = self._reimburse(
                rng, paid, "CustomerReturn", product, 1, order_id=rf.order_id, per_unit=price
            )
            rf.reimbursements.append(original)
            if rng.random() < sc.returned_after_reimbursed_share:
                rf.outcome = "returned_after_reimbursed"
                on = paid + timedelta(days=int(rng.integers(5, 31)))
                customer_return(rf, on, "SELLABLE", "UNWANTED_ITEM")
                rf.reimbursements.append(
                    self._reimburse(
                        rng,
                        on + timedelta(days=int(rng.integers(3, 11))),
                        "Reimbursement_Reversal",
                        product,
                        -1,
                        original=original,
                        order_id=rf.order_id,
                    )
                )
        returns.sort(key=lambda r: (r.when, r.seq))
        return refunds, returns, disposals

    def duplicate_refunds(self, orders: Orders, refunds: list[Refund]) -> None:
        """Refunds Amazon posts a second time (claim-policy.md 2.7 "duplicate refunds"): for a
        share of the refunds of one-unit order items, the same principal (and commission given
        back) is refunded again 1-30 days after the first refund, under its own adjustment id.
        The customer has then been refunded twice what was charged; the unit, returned or not,
        is still one unit (what became of it is drawn in `refunds` and unchanged here). When the
        draw leaves fewer than `min_per_outcome` duplicates posted by `as_of`, more are planted,
        recent ones first (claimable now). Own stream: no other draw shifts."""
        rng, sc = self.rng["duplicate_refunds"], self.sc
        n = len(refunds)
        u = rng.random(n)
        lag = rng.integers(1, 31, size=n)
        minute = rng.integers(0, 24 * 60, size=n)

        def posted(k: int) -> datetime:
            d = refunds[k].when.date()
            return datetime(d.year, d.month, d.day, tzinfo=UTC) + timedelta(
                days=int(lag[k]), minutes=int(minute[k])
            )

        single = [k for k in range(n) if int(orders.qty[refunds[k].order]) == 1]
        chosen = {k for k in single if u[k] < sc.duplicate_refund_share}
        need = sc.min_per_outcome - sum(posted(k).date() <= self.as_of for k in chosen)
        if need > 0:
            pool = [k for k in single if k not in chosen and posted(k).date() <= self.as_of]
            recent = [k for k in pool if posted(k).date() > self.as_of - timedelta(days=75)]
            pool = recent if len(recent) >= need else pool
            if pool:
                picks = rng.choice(len(pool), size=min(need, len(pool)), replace=False)
                chosen |= {pool[int(i)] for i in picks}
        for k in sorted(chosen):
            refunds[k].duplicates.append(posted(k))

    def storage(self) -> list[StorageCharge]:
        """Monthly storage charges per SKU and FC for every month that ended before `as_of`;
        item volume from Amazon's measurement of the unit at the start of the month, some rows
        with an inflated volume."""
        rng, sc, market = self.rng["storage"], self.sc, self.market
        out: list[StorageCharge] = []
        month = self.start.replace(day=1)
        daily = sc.daily_orders_per_sku * 1.08
        while _month_end(month) < self.as_of:
            day_index = max(0, (month - self.start).days)
            for p in self.products:
                dims = p.amazon_dims(day_index)
                tier = fees.fulfillment_fee(dims, market.code)[0]
                true_tier = fees.fulfillment_fee(p.true_dims, market.code)[0]
                true_volume = p.true_dims.cubic_feet.quantize(Decimal("0.0001"), ROUND_HALF_UP)
                volume = dims.cubic_feet.quantize(Decimal("0.0001"), ROUND_HALF_UP)
                for fc, w in ((p.fcs[0], p.fc_weight), (p.fcs[1], 1 - p.fc_weight)):
                    shown = volume
                    if rng.random() < sc.storage_volume_error_rate:
                        f = Decimal(str(round(1.15 + 0.45 * rng.random(), 2)))
                        shown = (volume * f).quantize(Decimal("0.0001"), ROUND_HALF_UP)
                    on_hand = daily * w * (25 + 30 * rng.random())
                    out.append(
                        StorageCharge(
                            month=month,
                            product=p,
                            fc=fc,
                            dims=dims,
                            tier=tier,
                            item_volume=shown,
                            true_volume=true_volume,
                            avg_on_hand=Decimal(str(round(on_hand, 1))),
                            rate=fees.storage_rate(tier, month, market.code),
                            true_rate=fees.storage_rate(true_tier, month, market.code),
                            avg_orders=Decimal(str(round(sc.daily_orders_per_sku * w, 1))),
                        )
                    )
            month = _month_end(month) + timedelta(days=1)
        return out

    def return_removals(self) -> list[RemovalOrder]:
        """Return removal orders (sellable units shipped back to the seller in one or two
        parcels; some partly cancelled, some cancelled, some with units unaccounted for)."""
        rng, sc, market = self.rng["return_removals"], self.sc, self.market
        out: list[RemovalOrder] = []
        months = self.days / 30.4

        def order(day: int, outcome: str) -> None:
            product = self.products[int(rng.integers(len(self.products)))]
            k = int(rng.integers(4, 31))
            requested = datetime.combine(self.day(day), datetime.min.time(), UTC) + timedelta(
                minutes=self._minute(rng)
            )
            o = RemovalOrder(
                order_id="".join(rng.choice(UPPER_ALNUM, size=10)),
                requested=requested,
                completed=requested,
                product=product,
                order_type="Return",
                quantity=k,
                fee_per_unit=Decimal(str(round(0.9 + 1.3 * rng.random(), 2))),
            )
            if outcome == "cancelled":
                o.cancelled = k
                o.completed = requested + timedelta(hours=int(rng.integers(2, 72)))
                out.append(o)
                return
            if outcome == "partly_cancelled":
                o.cancelled = int(rng.integers(1, k))
            if outcome == "unaccounted":
                o.lost = int(rng.integers(1, min(4, k - o.cancelled)))
            to_ship = k - o.cancelled - o.lost
            parts = [to_ship]
            if to_ship >= 6 and rng.random() < 0.35:
                first = int(rng.integers(1, to_ship))
                parts = [first, to_ship - first]
            when = requested + timedelta(days=int(rng.integers(3, 11)))
            for q in parts:
                when = when.replace(hour=int(rng.integers(14, 23)), minute=int(rng.integers(60)))
                carrier = market.carriers[int(rng.integers(len(market.carriers)))]
                tracking = ("1Z" if carrier == "UPS" else "") + "".join(
                    rng.choice(UPPER_ALNUM[26:], size=18)
                )
                o.parcels.append(Parcel(when, q, carrier, tracking))
                when = when + timedelta(days=int(rng.integers(1, 4)))
            o.completed = o.parcels[-1].shipped
            out.append(o)

        for _ in range(int(rng.poisson(sc.return_removals_per_month * months))):
            u = rng.random()
            outcome = (
                "unaccounted"
                if u < sc.removal_unaccounted_share
                else "partly_cancelled"
                if u < sc.removal_unaccounted_share + 0.1
                else "cancelled"
                if u < sc.removal_unaccounted_share + 0.15
                else "normal"
            )
            order(int(rng.integers(0, self.days)), outcome)
        # Planting: every sandbox with enough history shows claimable unaccounted units.
        if self.days > 70:
            have = sum(
                1 for o in out if o.lost and 15 <= (self.as_of - o.completed.date()).days <= 60
            )
            for _ in range(max(0, sc.min_per_outcome - have)):
                order(self.days - 1 - int(rng.integers(30, 60)), "unaccounted")
        return out

    # -- losses -----------------------------------------------------------------------------

    def _handled_per_day(self) -> float:
        shipped = self.sc.daily_orders_per_sku * 1.08
        return shipped * (2.0 + self.sc.refund_rate)  # received + shipped + returned

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
        self._plant_prehistory_reversals(out)
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

    def _plant_prehistory_reversals(self, losses: list[Loss]) -> None:
        """Units lost before the simulated history (their M row is not in the ledger the seller
        has), reimbursed (Lost_Warehouse) early in the history and later reversed with nothing
        found: no loss the ledger shows can reopen them, so each reversal is owed as
        reversal_unjustified (claim-policy.md 2.13). Every sandbox with enough history shows
        `min_per_outcome` of them, the first one claimable now. A product with no found (F) unit
        in the history is preferred, so that the reversal stays unjustified."""
        rng, as_of = self.rng["reversals"], self.as_of
        if self.days <= 70:
            return
        found = {a.product.index for loss in losses for a in loss.found if a.reason == "F"}
        for i in range(self.sc.min_per_outcome):
            paid = self.day(int(rng.integers(0, 6)))  # the loss predates day 0 by days or weeks
            if i == 0:  # reversed lately: the claim window is open
                rev = as_of - timedelta(days=int(rng.integers(2, 45)))
            else:
                rev = paid + timedelta(days=int(rng.integers(7, 36)))
            order = [int(j) for j in rng.permutation(len(self.products))]
            clean = [j for j in order if j not in found]
            product = self.products[(clean or order)[0]]
            k = self._loss_units(rng)
            original = self._reimburse(rng, paid, "Lost_Warehouse", product, qty_cash=k)
            self._reimburse(rng, rev, "Reimbursement_Reversal", product, -k, original=original)

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
        units, first, orders = self.flows()
        receipts = self.receipts()
        refunds, returns, disposals = self.refunds(orders)
        self.duplicate_refunds(orders, refunds)
        losses = self.losses()
        damages = self.damages()
        removal_orders, unauthorized = self.removals()
        disposals = sorted(
            [*disposals, *(o.disposal for o in removal_orders), *unauthorized],
            key=lambda a: (a.when, a.seq),
        )
        removal_orders = sorted(
            [*removal_orders, *self.return_removals()], key=lambda o: (o.requested, o.order_id)
        )
        storage = self.storage()
        inbound = plan_inbound(self, receipts)  # before assign_ids: its reimbursements get ids
        self.assign_ids(losses, damages, disposals)
        return SellerBook(
            seller_id=self.seller_id,
            name=self.name,
            scenario=self.sc,
            products=self.products,
            units_shipped=units,
            units_from_first_fc=first,
            receipts=receipts,
            orders=orders,
            refunds=refunds,
            storage=storage,
            returns=returns,
            disposals=disposals,
            removal_orders=removal_orders,
            unauthorized_disposals=unauthorized,
            losses=losses,
            damages=damages,
            reimbursements=self.reimbursements,
            shipments_stream=self.render_seed,
            offset_minutes=self.offset_minutes,
            settlement_seed=int(self.rng["settlement"].integers(10**10, 5 * 10**10)),
            inbound=inbound,
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
                  r.ledger_disposition, "", "", "")  # fmt: skip
    for o in book.removal_orders:
        for parcel in o.parcels:  # units leaving for the seller: VendorReturns
            local = _utc_to_local(parcel.shipped, book.market)
            yield row(local, 0, o.product, "VendorReturns", o.order_id, -parcel.quantity,
                      o.product.fcs[0], "SELLABLE", "", "", "")  # fmt: skip
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
    have no case id; customer-return ones carry the amazon-order-id; reversals carry negative
    amounts and quantities and name the original."""
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
                    r.order_id,
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
    Completed (or Cancelled) with the final quantities. ISO-8601 dates with offset. A completed
    Return whose requested units exceed cancelled + disposed + shipped has units unaccounted."""
    fh.write(REMOVAL_ORDER_DETAIL.header + "\n")
    currency, n = book.market.currency, 0
    as_of_end = datetime.combine(book.as_of + timedelta(days=1), datetime.min.time(), UTC)
    stamp = "%Y-%m-%dT%H:%M:%S+00:00"
    for o in sorted(book.removal_orders, key=lambda o: (o.requested, o.order_id)):
        if o.requested >= as_of_end:
            continue
        done = o.completed < as_of_end
        shipped_parcels = [x for x in o.parcels if x.shipped < as_of_end]
        shipped = sum(x.quantity for x in shipped_parcels)
        disposed = o.quantity if done and o.order_type == "Disposal" else 0
        if done:
            status = "Cancelled" if o.cancelled == o.quantity else "Completed"
            in_process = 0
            updated = o.completed
        else:
            status = "Pending"
            in_process = o.quantity - o.cancelled - shipped - disposed
            updated = shipped_parcels[-1].shipped if shipped_parcels else o.requested
        p = o.product
        fh.write(
            "\t".join(
                (
                    o.requested.strftime(stamp),
                    o.order_id,
                    "Seller",
                    o.order_type,
                    "Standard",
                    status,
                    updated.strftime(stamp),
                    p.sku,
                    p.fnsku,
                    "Sellable",
                    str(o.quantity),
                    str(o.cancelled),
                    str(disposed),
                    str(shipped),
                    str(in_process),
                    f"{o.fee_per_unit * (o.quantity - o.cancelled):.2f}",
                    currency,
                )
            )
            + "\n"
        )
        n += 1
    return n


def render_removal_shipments(book: SellerBook, fh: TextIO) -> int:
    """GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA as of `as_of` (§1.9): one row per parcel
    of a Return removal order shipped by then (disposals and cancelled units never appear)."""
    fh.write(REMOVAL_SHIPMENT_DETAIL.header + "\n")
    as_of_end = datetime.combine(book.as_of + timedelta(days=1), datetime.min.time(), UTC)
    stamp = "%Y-%m-%dT%H:%M:%S+00:00"
    parcels = sorted(
        ((x, o) for o in book.removal_orders for x in o.parcels if x.shipped < as_of_end),
        key=lambda t: (t[0].shipped, t[1].order_id),
    )
    for x, o in parcels:
        fh.write(
            "\t".join(
                (
                    o.requested.strftime(stamp),
                    o.order_id,
                    x.shipped.strftime(stamp),
                    o.product.sku,
                    o.product.fnsku,
                    "Sellable",
                    str(x.quantity),
                    x.carrier,
                    x.tracking,
                    o.order_type,
                )
            )
            + "\n"
        )
    return len(parcels)


def _local_iso(book: SellerBook, minutes: np.ndarray) -> np.ndarray:
    """FC-local ISO-8601 date-times with offset (`2026-09-02T03:00:00-07:00`) for minutes since
    the scenario start's local midnight (negative = before the start), vectorised."""
    minutes = np.asarray(minutes, dtype=np.int64)
    if len(minutes) == 0:
        return np.array([], dtype=object)
    day = minutes // 1440
    lo, hi = int(day.min()), int(day.max())
    dates = [book.start + timedelta(days=i) for i in range(lo, hi + 1)]
    prefix = np.array([d.isoformat() + "T" for d in dates], dtype=object)  # indexed by day - lo
    suffix = np.array([_colon_offset(book.market.utc_offset(d)) for d in dates], dtype=object)
    m = minutes % 1440
    clock = _zfill(m // 60, 2) + ":" + _zfill(m % 60, 2) + ":00"
    return prefix[day - lo] + clock + suffix[day - lo]


def _money(cents: np.ndarray, thousands: bool = False, comma: bool = False) -> np.ndarray:
    """Amounts from integer cents: `12.50`, `-6.94`; with `thousands` `1,234.56`; with `comma`
    the decimal comma style `1.234,56` (vectorised)."""
    cents = np.asarray(cents, dtype=np.int64)
    sign = np.where(cents < 0, "-", "").astype(object)
    units, frac = np.abs(cents) // 100, np.abs(cents) % 100
    whole = units.astype(str).astype(object)
    if thousands:
        whole = np.array([f"{u:,}" for u in units.tolist()], dtype=object)
        if comma:
            whole = np.array([w.replace(",", ".") for w in whole], dtype=object)
    return sign + whole + ("," if comma else ".") + _zfill(frac, 2)


def _cents(d: Decimal) -> int:
    return int((d * 100).to_integral_value(ROUND_HALF_UP))


_CHUNK = 200_000  # order rows rendered at a time (bounded memory)


def render_fulfilled_shipments(book: SellerBook, fh: TextIO) -> int:
    """GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL (§1.6): one row per order line shipped,
    48 columns, buyer and address columns blank (restricted data); FC-local ISO dates with
    offset; item-price is the line total."""
    o, market = book.orders, book.market
    fh.write(FULFILLED_SHIPMENTS.header + "\n")
    sku = np.array([p.sku for p in book.products], dtype=object)
    title = np.array([p.title for p in book.products], dtype=object)
    fcs = np.array([[p.fcs[0], p.fcs[1]] for p in book.products], dtype=object)
    for a in range(0, len(o), _CHUNK):
        sl = slice(a, a + _CHUNK)
        n = len(o.day[sl])
        ship = o.day[sl].astype(np.int64) * 1440 + o.ship_minute[sl]
        purchase = _local_iso(book, ship - o.lead_minutes[sl])
        shipped = _local_iso(book, ship)
        line = o.price_cents[sl] * o.qty[sl]
        tax = _tax_cents(line, market)
        blank = np.full(n, "", dtype=object)
        zero = np.full(n, "0.00", dtype=object)
        prod = o.product[sl]
        cols = [
            o.order_id[sl], blank, o.shipment_id[sl], o.shipment_item_id[sl],
            o.order_item_id[sl], blank, purchase, purchase, shipped, shipped,
            blank, blank, blank, sku[prod], title[prod], o.qty[sl].astype(str),
            np.full(n, market.currency, dtype=object), _money(line), _money(tax), zero, zero,
            zero, zero, np.full(n, "Standard", dtype=object), *([blank] * 7),
            np.full(n, market.country, dtype=object), blank, *([blank] * 7), zero, zero,
            o.carrier[sl], o.tracking[sl], _local_iso(book, ship + 3 * 1440 + 600),
            fcs[prod, o.slot[sl]], np.full(n, "Amazon", dtype=object),
            np.full(n, market.sales_channel, dtype=object),
        ]  # fmt: skip
        fh.write("\n".join(_tsv_lines(cols).tolist()) + "\n")
    return len(o)


def _tax_cents(line_cents: np.ndarray, market: Marketplace) -> np.ndarray:
    rate = float(market.tax_rate)
    if market.code == "UK":  # VAT included in the price: its share of the price
        return np.rint(line_cents * rate / (1 + rate)).astype(np.int64)
    return np.rint(line_cents * rate).astype(np.int64)


def render_all_orders(book: SellerBook, fh: TextIO) -> int:
    """GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL (§1.7): one row per order line,
    fulfillment-channel Amazon, status Shipped; FC-local ISO dates with offset."""
    o, market = book.orders, book.market
    fh.write(ALL_ORDERS.header + "\n")
    sku = np.array([p.sku for p in book.products], dtype=object)
    asin = np.array([p.asin for p in book.products], dtype=object)
    title = np.array([p.title for p in book.products], dtype=object)
    for a in range(0, len(o), _CHUNK):
        sl = slice(a, a + _CHUNK)
        n = len(o.day[sl])
        ship = o.day[sl].astype(np.int64) * 1440 + o.ship_minute[sl]
        line = o.price_cents[sl] * o.qty[sl]
        blank = np.full(n, "", dtype=object)
        zero = np.full(n, "0.00", dtype=object)
        shipped = np.full(n, "Shipped", dtype=object)
        false = np.full(n, "false", dtype=object)
        prod = o.product[sl]
        cols = [
            o.order_id[sl], blank, _local_iso(book, ship - o.lead_minutes[sl]),
            _local_iso(book, ship + 17), shipped, np.full(n, "Amazon", dtype=object),
            np.full(n, market.sales_channel, dtype=object), blank,
            np.full(n, "Standard", dtype=object), title[prod], sku[prod], asin[prod], shipped,
            o.qty[sl].astype(str), np.full(n, market.currency, dtype=object), _money(line),
            _money(_tax_cents(line, market)), zero, zero, blank, blank, zero, zero, blank,
            blank, blank, np.full(n, market.country, dtype=object), blank, blank, false, blank,
            blank, false,
        ]  # fmt: skip
        fh.write("\n".join(_tsv_lines(cols).tolist()) + "\n")
    return len(o)


def render_customer_returns(book: SellerBook, fh: TextIO) -> int:
    """GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA as of `as_of` (§1.4): the returns posted by
    then (back-posted rows carry their earlier return-date), one row per unit/LPN."""
    fh.write(CUSTOMER_RETURNS.header + "\n")
    as_of = book.as_of
    paid = {
        rf.order_id
        for rf in book.refunds
        if any(r.original is None for r in rf.reimbursements if r.approval.date() <= as_of)
    }
    n = 0
    for r in book.returns:
        if not r.visible(as_of):
            continue
        offset = _colon_offset(book.market.utc_offset(r.when.date()))
        damaged = r.disposition in ("DAMAGED", "CARRIER_DAMAGED")
        status = "Reimbursed" if damaged and r.order_id in paid else "Unit returned to inventory"
        p = r.product
        fh.write(
            "\t".join(
                (
                    r.when.strftime("%Y-%m-%dT%H:%M:%S") + offset,
                    r.order_id,
                    p.sku,
                    p.asin,
                    p.fnsku,
                    p.title,
                    "1",
                    r.fc,
                    r.disposition,
                    r.reason,
                    status,
                    r.lpn,
                    "",
                )
            )
            + "\n"
        )
        n += 1
    return n


def _fmt(value: Decimal, places: str = "0.01") -> str:
    return str(value.quantize(Decimal(places), ROUND_HALF_UP))


def render_fee_preview(book: SellerBook, fh: TextIO) -> int:
    """GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA (§1.10), a snapshot as of `as_of`: Amazon's
    measurement of each SKU (which may be wrong), its size tier and fees. US variant in
    inches/pounds; the UK gets the EU variant in centimetres/kilograms."""
    market = book.market
    eu = market.code == "UK"
    fh.write((FEE_PREVIEW_EU if eu else FEE_PREVIEW_US).header + "\n")
    day = (book.as_of - book.start).days
    for p in book.products:
        dims = p.amazon_dims(day)
        tier, fee = fee_policy.card_fee(dims, market.code, book.as_of, p.price)
        referral = (p.price * fees.REFERRAL_RATE).quantize(CENT, ROUND_HALF_UP)
        total = referral + fee
        long_, med, short = dims.sides
        if eu:
            long_, med, short = (s * fees.CM_PER_IN for s in (long_, med, short))
            weight = dims.weight * fees.G_PER_LB / 1000
            girth = long_ + 2 * (med + short)
            row = (
                p.sku, p.fnsku, p.asin, p.title, "Home", book.name, "AMAZON_EU", "Y",
                _fmt(p.price), _fmt(p.price), _fmt(long_), _fmt(med), _fmt(short), _fmt(girth),
                "centimeters", _fmt(weight), "kilograms", tier, market.currency, _fmt(total),
                _fmt(referral), "0.00", _fmt(fee), "", "", "", "", "", "",
            )  # fmt: skip
        else:
            girth = long_ + 2 * (med + short)
            row = (
                p.sku, p.fnsku, p.asin, p.title, "Home", book.name, "AMAZON_NA", _fmt(p.price),
                _fmt(p.price), _fmt(long_), _fmt(med), _fmt(short), _fmt(girth), "inches",
                _fmt(dims.weight), "pounds", tier, market.currency, _fmt(total), _fmt(referral),
                "0.00", "0.00", "", "", _fmt(fee), _fmt(total), "", "", "", _fmt(fee),
                _fmt(referral), "", "", "",
            )  # fmt: skip
        fh.write("\t".join(row) + "\n")
    return len(book.products)


def render_storage_fees(book: SellerBook, fh: TextIO) -> int:
    """GET_FBA_STORAGE_FEE_CHARGES_DATA (§1.11): one row per SKU, FC and month of charge
    (`YYYY-MM`) for months that ended before `as_of`; Amazon's dimensions, item volume in cubic
    feet, fee = average units on hand x item volume x rate."""
    market = book.market
    eu = market.code == "UK"
    fh.write(STORAGE_FEES.header + "\n")
    n = 0
    for c in sorted(book.storage, key=lambda c: (c.month, c.product.index, c.fc)):
        if _month_end(c.month) >= book.as_of:
            continue
        p = c.product
        sides = c.dims.sides
        weight = c.dims.weight
        if eu:
            sides = tuple(s * fees.CM_PER_IN for s in sides)
            weight = weight * fees.G_PER_LB / 1000
        row = (
            p.asin, p.fnsku, p.title, c.fc, market.country, *(_fmt(s) for s in sides),
            "centimeters" if eu else "inches", _fmt(weight), "kilograms" if eu else "pounds",
            _fmt(c.item_volume, "0.0001"), "cubic feet",
            "Oversize" if fees.is_oversize(c.tier) else "Standard", _fmt(c.avg_on_hand, "0.1"),
            "0.0", _fmt(c.avg_on_hand * c.item_volume, "0.0001"), c.month.strftime("%Y-%m"),
            _fmt(c.rate), market.currency, _fmt(c.fee, "0.0001"), "--", "N", "N", "0", "",
            _fmt(c.avg_orders, "0.1"),
        )  # fmt: skip
        fh.write("\t".join(row) + "\n")
        n += 1
    return n


_REIMBURSEMENT_DESCRIPTIONS = {
    "Lost_Warehouse": "WAREHOUSE_LOST",
    "Damaged_Warehouse": "WAREHOUSE_DAMAGE",
    "CustomerReturn": "CUSTOMER_RETURN",
    "Reimbursement_Reversal": "REVERSAL_REIMBURSEMENT",
    # amazon-reports.md §1.3 (mapping inferred, not documented)
    "Lost_Inbound": "MISSING_FROM_INBOUND",
    "Damaged_Inbound": "INBOUND_CARRIER_DAMAGE",
}
SETTLEMENT_DAYS = 14


def render_settlements(book: SellerBook, out_dir: Path) -> tuple[int, int]:
    """GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2 (§1.12): one file per 14-day settlement period
    (the last one closing at the end of `as_of`), summary row first, one row per amount: orders
    (Principal, FBAPerUnitFulfillmentFee, Commission), refunds (Principal, Commission given back,
    RefundCommission; a refund posted twice appears twice) and reimbursements
    (other-transaction). Dates and amounts localised per marketplace; encoded in the
    marketplace's charset. Returns (files, data rows)."""
    market, o = book.market, book.orders
    eu = market.settlement_style == "eu"
    rng = np.random.default_rng(book.settlement_seed)
    end_min = ((book.as_of - book.start).days + 1) * 1440  # UTC minutes since the start
    period = SETTLEMENT_DAYS * 1440

    def stamp(minutes: np.ndarray, with_time: bool = True) -> np.ndarray:
        minutes = np.asarray(minutes, dtype=np.int64)
        if len(minutes) == 0:
            return np.array([], dtype=object)
        day = minutes // 1440
        lo, hi = int(day.min()), int(day.max())
        dates = [book.start + timedelta(days=i) for i in range(lo, hi + 1)]
        fmt = "%d.%m.%Y" if eu else "%Y-%m-%d"
        ds = np.array([d.strftime(fmt) for d in dates], dtype=object)[day - lo]
        if not with_time:
            return ds
        m = minutes % 1440
        return ds + " " + _zfill(m // 60, 2) + ":" + _zfill(m % 60, 2) + ":00 UTC"

    def money(c):
        return _money(c, thousands=True, comma=market.decimal_comma)

    # Orders: three amount rows per line, posted when shipped (UTC).
    posted = o.day.astype(np.int64) * 1440 + o.ship_minute - book.offset_minutes[o.day]
    line = o.price_cents * o.qty
    parts = []
    for kind, desc, amount in (
        ("ItemPrice", "Principal", line),
        ("ItemFees", "FBAPerUnitFulfillmentFee", -o.fee_cents * o.qty),
        ("ItemFees", "Commission", -np.rint(line * float(fees.REFERRAL_RATE)).astype(np.int64)),
    ):
        parts.append(
            pd.DataFrame(
                {
                    "posted": posted,
                    "type": "Order",
                    "order_id": o.order_id,
                    "adjustment_id": "",
                    "shipment_id": o.shipment_id,
                    "amount_type": kind,
                    "desc": desc,
                    "cents": amount,
                    "item_code": o.order_item_id,
                    "adj_item": "",
                    "sku": np.array([p.sku for p in book.products], dtype=object)[o.product],
                    "qty": o.qty.astype(str),
                }
            )
        )
    extra = []
    for rf in book.refunds:
        t = int((rf.when - datetime.combine(book.start, datetime.min.time(), UTC)).total_seconds())
        t //= 60
        adj = str(int(rng.integers(10**13, 10**14)))
        adj_item = str(int(rng.integers(10**13, 10**14)))
        item_code = str(o.order_item_id[rf.order])
        admin = min(_cents(rf.commission) * 20 // 100, 500)
        for kind, desc, cents in (
            ("ItemPrice", "Principal", -_cents(rf.principal)),
            ("ItemFees", "Commission", _cents(rf.commission)),
            ("ItemFees", "RefundCommission", -admin),
        ):
            extra.append((t, "Refund", rf.order_id, adj, "", kind, desc, cents, item_code,
                          adj_item, rf.product.sku, ""))  # fmt: skip
    # Duplicate refund postings: the same three rows again, own adjustment ids. Drawn after all
    # first postings so that those keep their ids.
    for rf in book.refunds:
        item_code = str(o.order_item_id[rf.order])
        admin = min(_cents(rf.commission) * 20 // 100, 500)
        for when in rf.duplicates:
            t = int((when - datetime.combine(book.start, datetime.min.time(), UTC)).total_seconds())
            adj = str(int(rng.integers(10**13, 10**14)))
            adj_item = str(int(rng.integers(10**13, 10**14)))
            for kind, desc, cents in (
                ("ItemPrice", "Principal", -_cents(rf.principal)),
                ("ItemFees", "Commission", _cents(rf.commission)),
                ("ItemFees", "RefundCommission", -admin),
            ):
                extra.append((t // 60, "Refund", rf.order_id, adj, "", kind, desc, cents,
                              item_code, adj_item, rf.product.sku, ""))  # fmt: skip
    for r in book.reimbursements:
        if r.qty_cash == 0 or r.approval.date() > book.as_of:
            continue
        t = int(
            (r.approval - datetime.combine(book.start, datetime.min.time(), UTC)).total_seconds()
        )
        extra.append((t // 60, "other-transaction", r.order_id, "", "",
                      "FBA Inventory Reimbursement", _REIMBURSEMENT_DESCRIPTIONS[r.reason],
                      _cents(r.amount_total), "", "", r.product.sku, ""))  # fmt: skip
    if extra:
        parts.append(pd.DataFrame(extra, columns=parts[0].columns))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[(rows["posted"] < end_min)]
    rows["period"] = (end_min - 1 - rows["posted"]) // period
    rows = rows.sort_values(["posted", "order_id", "type"], kind="stable")
    out_dir.mkdir(parents=True, exist_ok=True)
    n_periods = int(rows["period"].max()) + 1 if len(rows) else 0
    codec = "cp1252" if market.charset.lower() == "cp1252" else "utf-8"
    files = data_rows = 0
    base_id = book.settlement_seed
    for k in range(n_periods - 1, -1, -1):
        chunk = rows[rows["period"] == k]
        p_end = end_min - k * period
        p_start = p_end - period
        sid = str(base_id + (n_periods - 1 - k) * 97)
        n = len(chunk)
        blank = np.full(n, "", dtype=object)
        total = int(chunk["cents"].sum())
        summary = [sid, *stamp(np.array([p_start, p_end, p_end + 2 * 1440])), money([total])[0],
                   market.currency] + [""] * (len(SETTLEMENT_COLUMNS) - 6)  # fmt: skip
        cols = [
            np.full(n, sid, dtype=object), blank, blank, blank, blank, blank,
            chunk["type"].to_numpy(object), chunk["order_id"].to_numpy(object), blank,
            chunk["adjustment_id"].to_numpy(object), chunk["shipment_id"].to_numpy(object),
            np.full(n, market.sales_channel, dtype=object), chunk["amount_type"].to_numpy(object),
            chunk["desc"].to_numpy(object), money(chunk["cents"].to_numpy()),
            np.full(n, "AFN", dtype=object), stamp(chunk["posted"].to_numpy(), False),
            stamp(chunk["posted"].to_numpy()), chunk["item_code"].to_numpy(object), blank,
            chunk["adj_item"].to_numpy(object), chunk["sku"].to_numpy(object),
            chunk["qty"].to_numpy(object), blank,
        ]  # fmt: skip
        text = "\t".join(SETTLEMENT_COLUMNS) + "\n" + "\t".join(summary) + "\n"
        if n:
            text += "\n".join(_tsv_lines(cols).tolist()) + "\n"
        path = out_dir / f"{SETTLEMENT_REPORT_TYPE}_{sid}.tsv"
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(text.encode(codec, "replace"))
        tmp.replace(path)
        files += 1
        data_rows += n
    return files, data_rows


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
    REMOVAL_SHIPMENT_DETAIL.report_type: render_removal_shipments,
    CUSTOMER_RETURNS.report_type: render_customer_returns,
    FULFILLED_SHIPMENTS.report_type: render_fulfilled_shipments,
    ALL_ORDERS.report_type: render_all_orders,
    FEE_PREVIEW_US.report_type: render_fee_preview,
    STORAGE_FEES.report_type: render_storage_fees,
}
# Seller-side and evaluation files: name -> (file name, renderer).
SIDE_FILES: dict[str, tuple[str, Callable[[SellerBook, TextIO], int]]] = {
    "product_master": (PRODUCT_MASTER_FILE, render_product_master),
    "ground_truth": (GROUND_TRUTH_FILE, render_ground_truth),
    # FBA Inbound v0 shipments and items, served by the emulator's getShipments routes.
    "inbound_shipments": (INBOUND_FILE, render_inbound_shipments),
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
        settlements = seller_dir / SETTLEMENT_DIR
        files, rows = render_settlements(book, settlements)
        entry.files["settlements"] = settlements
        entry.counts["settlements"], entry.counts["settlement_rows"] = files, rows
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
