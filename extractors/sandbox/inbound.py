"""FBA inbound shipments of the sandbox: what the seller shipped, what Amazon received, and what
Amazon paid for the difference.

The simulator's ledger already holds the receiving side (Receipts rows whose Reference ID is the
FBA shipment id, one or two days of receiving per SKU). This module adds the seller's side of the
same shipments, drawn from its own generator stream:

- each shipment's status as of `as_of`: CLOSED some days after its last receipt, RECEIVING while
  Amazon is still receiving, and a few recent shipments SHIPPED / IN_TRANSIT with nothing
  received yet;
- per SKU line, units lost on the way in (QuantityShipped > QuantityReceived, ~1-6 % of a
  line's units: claim-policy.md §5 "~2 % of units in affected shipments");
- mislabelled units: k units of SKU A received as SKU B of the same shipment (a shortage on A, an
  overage on B, nothing lost: claim-policy.md §2.8.2);
- Amazon's Lost_Inbound / Damaged_Inbound reimbursements for part of the shortfalls of CLOSED
  shipments (reimbursements report), paid at the unit cost so no other rule sees them as
  underpaid.

`render_inbound_shipments` writes them as FBA Inbound v0 objects (sp-api-client.md §5:
InboundShipmentInfo and InboundShipmentItem), which the emulator serves through getShipments and
getShipmentItemsByShipmentId. `inbound_truth` gives the ground truth (`inbound_shortage`) from the
event log: units really lost on CLOSED shipments, less what Amazon reimbursed for them (each
FNSKU's payments settle its shortfalls oldest shipment first, see `_settle_oldest_first`), with
the window of claim-policy.md §1 (last receipt +15 .. +60 days; UK 6 months, policy-2026.md
s2), implemented here and not in the detection code.
"""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, TextIO

import numpy as np

if TYPE_CHECKING:  # the simulator imports this module; no import back at run time
    from extractors.sandbox.simulator import Product, Receipt, Reimbursement, SellerBook

INBOUND_FILE = "inbound_shipments.json"
INBOUND_FORMAT = "fba-reclaim-sandbox-inbound/1"
CENT = Decimal("0.01")
_ID_ALPHABET = np.array(list("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"))

# Assumptions (no Amazon-published rates), see the module docstring.
SHORTFALL_LINE_SHARE = 0.12  # SKU lines of a shipment with units lost inbound
MISLABEL_SHIPMENT_SHARE = 0.10  # shipments where some units of one SKU arrive as another
REIMBURSED_SHARE = 0.40  # shortfalls of CLOSED shipments Amazon pays in full by itself
PARTLY_REIMBURSED_SHARE = 0.10  # ... and pays in part
DAMAGED_INBOUND_SHARE = 0.2  # of the payments, those made as Damaged_Inbound
CLOSE_LAG_DAYS = (3, 10)  # last receipt -> CLOSED (at least 3: receiving spans up to 2 days)
REIMBURSE_LAG_DAYS = (3, 30)  # CLOSED -> reimbursement approval
IN_FLIGHT_SHIPMENTS = (("SHIPPED", 1, 3), ("IN_TRANSIT", 3, 6))  # status, days since shipping

# claim-policy.md §1 (inbound_shortage): last Receipts date of a CLOSED shipment +15 .. +60 days.
WINDOW_OPENS_DAYS, WINDOW_DEADLINE_DAYS = 15, 60
# policy-2026.md s2: the EU/UK allow 6 months after verified delivery (the US value stays
# unconfirmed: the conservative 15..60 days above).
WINDOW_DEADLINE_MONTHS = {"UK": 6}


def _add_months(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 + months, 12)
    return date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


_SHIP_FROM = {
    "US": ("1200 Commerce Way", "Reno", "NV", "89502"),
    "GB": ("Unit 4, Riverside Park", "Leeds", "", "LS10 1AB"),
    "DE": ("Industriestr. 12", "Leipzig", "", "04129"),
}


@dataclass
class InboundLine:
    product: Product
    received: int  # Σ ledger Receipts of this shipment and SKU up to as_of
    shortfall: int = 0  # units lost on the way in (Amazon's responsibility)
    mislabelled_out: int = 0  # units of this SKU received under another SKU of the shipment
    mislabelled_in: int = 0  # units of another SKU received under this one (an overage)
    unreceived: int = 0  # units of a shipment still on its way (nothing received yet)
    reimbursements: list[Reimbursement] = field(default_factory=list)

    @property
    def shipped(self) -> int:
        return (
            self.received
            + self.shortfall
            + self.unreceived
            + self.mislabelled_out
            - self.mislabelled_in
        )


@dataclass
class InboundShipment:
    shipment_id: str
    fc: str
    status: str
    created: datetime  # local, naive
    shipped_on: date
    lines: list[InboundLine]
    first_receipt: datetime | None = None  # FC local time, as in the ledger
    last_receipt: datetime | None = None
    closed_on: date | None = None  # when Amazon closes it (may be after as_of: RECEIVING)
    last_updated: datetime | None = None  # UTC, for getShipments DATE_RANGE queries

    @property
    def name(self) -> str:
        c = self.created
        hour = c.hour % 12 or 12
        return (
            f"FBA ({c.month}/{c.day}/{c.year % 100:02d}, {hour}:{c.minute:02d} "
            + ("AM" if c.hour < 12 else "PM")
            + ") - 1"
        )


def _utc(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def _new_id(rng: np.random.Generator, taken: set[str]) -> str:
    while True:
        sid = "FBA15" + "".join(rng.choice(_ID_ALPHABET, size=7))
        if sid not in taken:
            taken.add(sid)
            return sid


def plan_inbound(sim, receipts: list[Receipt]) -> list[InboundShipment]:
    """The seller's inbound shipments behind `receipts`, plus a few still on their way, with
    shortfalls, mislabels and Amazon's reimbursements drawn from `sim.rng["inbound"]`.
    Reimbursements go through `sim._reimburse` so they get ids and reach the reimbursements
    report like every other payment."""
    rng = sim.rng["inbound"]
    as_of = sim.as_of
    by_id: dict[str, list[Receipt]] = {}
    for r in receipts:
        by_id.setdefault(r.shipment_id, []).append(r)
    taken = set(by_id)
    out: list[InboundShipment] = []
    for sid, rows in by_id.items():
        received: dict[int, InboundLine] = {}
        for r in rows:
            line = received.setdefault(r.product.index, InboundLine(r.product, 0))
            line.received += r.quantity
        first = min(r.when for r in rows)
        last = max(r.when for r in rows)
        shipped_on = first.date() - timedelta(days=int(rng.integers(4, 10)))
        created = datetime.combine(
            shipped_on - timedelta(days=int(rng.integers(1, 4))), datetime.min.time()
        ) + timedelta(minutes=int(rng.integers(8 * 60, 18 * 60)))
        closed_on = last.date() + timedelta(days=int(rng.integers(*CLOSE_LAG_DAYS)))
        status = "CLOSED" if closed_on <= as_of else "RECEIVING"
        lines = list(received.values())
        for line in lines:
            u, share = rng.random(), rng.uniform(0.01, 0.06)
            if u < SHORTFALL_LINE_SHARE:
                line.shortfall = max(1, round(line.received * share))
        if len(lines) >= 2 and rng.random() < MISLABEL_SHIPMENT_SHARE:
            a, b = (int(x) for x in rng.choice(len(lines), size=2, replace=False))
            k = int(rng.integers(1, 4))
            # (an overage on a line that also lost units would hide its loss: not drawn)
            if lines[b].received > k and lines[b].shortfall == 0:
                lines[a].mislabelled_out += k
                lines[b].mislabelled_in += k
        if status == "CLOSED":
            for line in lines:
                u = rng.random()
                lag = int(rng.integers(*REIMBURSE_LAG_DAYS))
                damaged = rng.random() < DAMAGED_INBOUND_SHARE
                reason = "Damaged_Inbound" if damaged else "Lost_Inbound"
                if line.shortfall <= 0 or u >= REIMBURSED_SHARE + PARTLY_REIMBURSED_SHARE:
                    continue
                qty = line.shortfall
                if u >= REIMBURSED_SHARE:
                    qty = max(1, line.shortfall // 2)
                on = closed_on + timedelta(days=lag)
                if on > as_of:
                    continue  # not paid yet as of as_of
                line.reimbursements.append(
                    sim._reimburse(
                        rng, on, reason, line.product, qty, per_unit=line.product.unit_cost
                    )
                )
        if status == "CLOSED":
            updated = _utc(closed_on, int(rng.integers(6, 22)))
        else:
            updated = _utc(last.date(), last.hour, last.minute)
        out.append(
            InboundShipment(
                sid, rows[0].fc, status, created, shipped_on, lines, first, last, closed_on, updated
            )
        )
    # Shipments on their way: nothing received yet, never claimable.
    products = sim.products
    for status, lo, hi in IN_FLIGHT_SHIPMENTS:
        shipped_on = as_of - timedelta(days=int(rng.integers(lo, hi + 1)))
        fc = products[int(rng.integers(len(products)))].fcs[0]
        lines = [
            InboundLine(p, 0, unreceived=int(rng.integers(20, 61))) for p in products if fc in p.fcs
        ]
        created = datetime.combine(
            shipped_on - timedelta(days=int(rng.integers(1, 4))), datetime.min.time()
        ) + timedelta(minutes=int(rng.integers(8 * 60, 18 * 60)))
        out.append(
            InboundShipment(
                _new_id(rng, taken),
                fc,
                status,
                created,
                shipped_on,
                lines,
                last_updated=_utc(shipped_on, int(rng.integers(6, 22))),
            )
        )
    return out


# --------------------------------------------------------------------------------------------
# Ground truth


def _status(as_of: date, eligible: date, deadline: date) -> str:
    if as_of < eligible:
        return "upcoming"
    if as_of > deadline:
        return "expired"
    return "ready"


def _settle_oldest_first(book: SellerBook) -> dict[tuple[str, str], int]:
    """Units still owed per (shipment id, SKU) of the CLOSED shipments' shortfalls, once every
    Lost_Inbound / Damaged_Inbound payment approved by `as_of` (net of its reversals) is applied.

    Which shipment a payment was for is known to Amazon (Seller Central's Reconcile tab) but to
    nobody reading the reports: the reimbursements report has no shipment id, one line may pay
    several shipments, and the same FNSKU is usually short on several shipments a few weeks
    apart, all of them closed before the payment. Crediting each payment to the very line it was
    drawn for would make the truth depend on a fact no claim preparer could know, and a claim for
    a shipment is only wrong if the FNSKU's payments cannot account for it. So the truth applies
    the payments the way a careful person with the reports would: per FNSKU, in approval order,
    each payment settles the oldest shortfall still open whose shipment was fully received (last
    Receipts date) on or before its approval; units with nothing open at that date settle
    nothing. The units owed per FNSKU are exactly those of the event log; only their attribution
    among the FNSKU's shipments follows this rule (the same one the detection documents in
    int_inbound_shortage_candidates, implemented here from the event log: true shortfalls, not
    shipped minus received, so mislabels never enter it)."""
    as_of = book.as_of
    open_units: dict[tuple[str, str], int] = {}
    queues: dict[str, list[tuple[date, str, str]]] = {}
    payments: list[Reimbursement] = []
    for sh in book.inbound:
        for line in sh.lines:
            payments += [r for r in line.reimbursements if r.approval.date() <= as_of]
        if sh.status != "CLOSED" or sh.last_receipt is None:
            continue
        for line in sh.lines:
            if line.shortfall > 0:
                key = (sh.shipment_id, line.product.sku)
                open_units[key] = line.shortfall
                queues.setdefault(line.product.fnsku, []).append(
                    (sh.last_receipt.date(), sh.shipment_id, line.product.sku)
                )
    reversed_units: dict[int, int] = {}
    for r in book.reimbursements:
        if r.original is not None and r.approval.date() <= as_of:
            reversed_units[id(r.original)] = reversed_units.get(id(r.original), 0) - r.qty_total
    for queue in queues.values():
        queue.sort()
    for p in sorted(payments, key=lambda r: (r.approval, r.seq)):
        units = p.qty_total - reversed_units.get(id(p), 0)
        for received_on, shipment_id, sku in queues.get(p.product.fnsku, []):
            if units <= 0 or received_on > p.approval.date():
                break
            settled = min(units, open_units[(shipment_id, sku)])
            open_units[(shipment_id, sku)] -= settled
            units -= settled
    return open_units


def inbound_truth(book: SellerBook) -> list[dict[str, str]]:
    """`inbound_shortage` rows: units lost inbound on shipments CLOSED by `as_of`, less the units
    Amazon reimbursed for the FNSKU by `as_of`, applied oldest shipment first
    (`_settle_oldest_first`; mislabelled units were received, under another SKU: nothing is owed
    for them). Anchor: the shipment's last Receipts date."""
    as_of, market = book.as_of, book.market
    owed = _settle_oldest_first(book)
    rows = []
    for sh in book.inbound:
        if sh.status != "CLOSED" or sh.last_receipt is None:
            continue
        anchor = sh.last_receipt.date()
        eligible = anchor + timedelta(days=WINDOW_OPENS_DAYS)
        deadline = anchor + timedelta(days=WINDOW_DEADLINE_DAYS)
        if market.code in WINDOW_DEADLINE_MONTHS:
            deadline = _add_months(anchor, WINDOW_DEADLINE_MONTHS[market.code])
        for line in sh.lines:
            qty = owed.get((sh.shipment_id, line.product.sku), 0)
            if qty <= 0:
                continue
            p = line.product
            rows.append(
                {
                    "claim_type": "inbound_shortage",
                    "seller_id": book.seller_id,
                    "marketplace_id": market.marketplace_id,
                    "fnsku": p.fnsku,
                    "sku": p.sku,
                    "asin": p.asin,
                    "order_id": "",
                    "shipment_id": sh.shipment_id,
                    "removal_order_id": "",
                    "reference_id": "",
                    "fulfillment_center_id": sh.fc,
                    "event_date": anchor.isoformat(),
                    "quantity": str(qty),
                    "unit_value": f"{p.unit_cost:.2f}",
                    "amount": f"{(p.unit_cost * qty).quantize(CENT, ROUND_HALF_UP):.2f}",
                    "currency": market.currency,
                    "eligible_from": eligible.isoformat(),
                    "deadline": deadline.isoformat(),
                    "status": _status(as_of, eligible, deadline),
                }
            )
    return rows


# --------------------------------------------------------------------------------------------
# Rendering: FBA Inbound v0 objects


def render_inbound_shipments(book: SellerBook, fh: TextIO) -> int:
    """The seller's shipments as of `as_of`, as FBA Inbound v0 InboundShipmentInfo objects with
    their InboundShipmentItem lines, plus the last-updated time the emulator filters
    getShipments DATE_RANGE queries on (not part of Amazon's payload). Returns the item count."""
    market = book.market
    line1, city, state, postal = _SHIP_FROM.get(market.country, _SHIP_FROM["US"])
    address = {
        "Name": book.name,
        "AddressLine1": line1,
        "City": city,
        "CountryCode": market.country,
        "PostalCode": postal,
    }
    if state:
        address["StateOrProvinceCode"] = state
    shipments, n = [], 0
    for sh in sorted(book.inbound, key=lambda s: (s.last_updated, s.shipment_id)):
        info = {
            "ShipmentId": sh.shipment_id,
            "ShipmentName": sh.name,
            "ShipFromAddress": address,
            "DestinationFulfillmentCenterId": sh.fc,
            "ShipmentStatus": sh.status,
            "LabelPrepType": "SELLER_LABEL",
            "AreCasesRequired": False,
            "ConfirmedNeedByDate": (sh.shipped_on + timedelta(days=14)).isoformat(),
            "BoxContentsSource": "FEED",
        }
        items = [
            {
                "ShipmentId": sh.shipment_id,
                "SellerSKU": line.product.sku,
                "FulfillmentNetworkSKU": line.product.fnsku,
                "QuantityShipped": line.shipped,
                "QuantityReceived": line.received,
                "QuantityInCase": 0,  # individually packed
                "PrepDetailsList": [{"PrepInstruction": "Labeling", "PrepOwner": "SELLER"}],
            }
            for line in sorted(sh.lines, key=lambda ln: ln.product.sku)
        ]
        n += len(items)
        shipments.append(
            {
                "last_updated": sh.last_updated.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "shipment": info,
                "items": items,
            }
        )
    doc = {
        "format": INBOUND_FORMAT,
        "seller_id": book.seller_id,
        "marketplace_id": market.marketplace_id,
        "shipments": shipments,
    }
    fh.write(json.dumps(doc, indent=1) + "\n")
    return n
