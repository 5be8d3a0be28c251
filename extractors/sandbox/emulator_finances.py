"""The emulator's Finances routes: v2024-06-19 listTransactions and v0 listFinancialEvents.

Ground truth is the simulator's own money history: every row of the seller's settlement files
(<sandbox>/<seller>/settlements/, the ones `render_settlements` writes and the emulator lists as
settlement reports) becomes part of one Finances transaction, for the whole simulated period
(Finances has no 90-day listing retention, unlike the settlement reports). Grouping:

- `Order` rows of one order, shipment and posted time -> a `Shipment` transaction ("Order
  Payment"), one item per order-item-code;
- `Refund` rows of one order, adjustment-id and posted time -> a `Refund` transaction ("Refund
  Order"), one item per merchant-adjustment-item-id; a refund posted twice is two transactions;
- each `other-transaction` row (FBA Inventory Reimbursement) -> an `Adjustment` transaction with
  one item whose description is the settlement's amount-description (WAREHOUSE_LOST, ...).

Transactions carry relatedIdentifiers ORDER_ID (when the row has one), SHIPMENT_ID (orders),
REFUND_ID (refunds: the settlement's adjustment-id) and FINANCIAL_EVENT_GROUP_ID (the settlement
id); refund items carry the item relatedIdentifier ORDER_ADJUSTMENT_ITEM_ID = the settlement's
merchant-adjustment-item-id (the per-item id; adjustment-id is per refund and goes to REFUND_ID).
Items carry a ProductContext {sku, asin, quantityShipped (when the settlement gives a quantity),
fulfillmentNetwork "AFN"} and, as in Amazon's v2024 data, no FNSKU. ASINs come from the seller's
fee-preview report file (sku -> asin).

Names. The model documents `transactionType` only as `Shipment` and gives breakdown examples
'Sales' / 'Product Charges', 'Expenses' / 'FBA fees', 'Refunds' and an item tree 'Product Charges'
/ 'Principle' (sic). Where the model speaks its names are used; the rest are guesses:

  transactionType: Shipment (model), Refund, Adjustment (guesses)
  item breakdown paths (top / ... / leaf); the leaf is the v0 charge or fee type where the model
  is silent:
    Principal                -> Product Charges / Principle          (model, spelling kept)
    FBAPerUnitFulfillmentFee -> Expenses / FBA fees / FBAPerUnitFulfillmentFee
    Commission               -> Expenses / Amazon fees / Commission
    RefundCommission         -> Expenses / Amazon fees / RefundCommission
    FBA Inventory Reimbursement -> Reimbursements / FBAInventoryReimbursement
  transaction-level breakdowns: one per top-level name of its items (sums), no children.

The same transactions are served as v0 financial events (ShipmentEventList, RefundEventList,
AdjustmentEventList with AdjustmentType FBAInventoryReimbursement). Both routes honour
postedAfter (inclusive) / postedBefore (exclusive), refuse with Amazon's 400 error shape a window
over 180 days, a postedBefore (or postedAfter) later than now - 2 minutes and a postedBefore
without postedAfter, and page: listTransactions `page_size` transactions a page (the model has no
page-size parameter), listFinancialEvents MaxResultsPerPage (1..100) events a page; a nextToken is
valid only with the same arguments. Amounts are JSON numbers. `refuse` makes an operation answer
403 or 404 (Finances not authorised / not available), for the extractor's v0 fallback.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

TRANSACTIONS_PATH = "/finances/2024-06-19/transactions"
FINANCIAL_EVENTS_PATH = "/finances/v0/financialEvents"
MAX_WINDOW = timedelta(days=180)
POSTED_MARGIN = timedelta(minutes=2)

# (settlement amount-type, amount-description) -> item breakdown path (top ... leaf).
BREAKDOWN_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("ItemPrice", "Principal"): ("Product Charges", "Principle"),
    ("ItemFees", "FBAPerUnitFulfillmentFee"): ("Expenses", "FBA fees", "FBAPerUnitFulfillmentFee"),
    ("ItemFees", "Commission"): ("Expenses", "Amazon fees", "Commission"),
    ("ItemFees", "RefundCommission"): ("Expenses", "Amazon fees", "RefundCommission"),
}
REIMBURSEMENT_PATH = ("Reimbursements", "FBAInventoryReimbursement")
TRANSACTION_TYPES = {"Order": "Shipment", "Refund": "Refund", "other-transaction": "Adjustment"}
DESCRIPTIONS = {
    "Shipment": "Order Payment",
    "Refund": "Refund Order",
    "Adjustment": "FBA Inventory Reimbursement",
}
REFUSALS = {
    403: ("Unauthorized", "Access to requested resource is denied.", ""),
    404: ("NotFound", "The requested resource was not found.", "Resource not found"),
}


@dataclass
class _Item:
    sku: str
    asin: str | None
    quantity: int | None
    order_item_id: str
    adjustment_item_id: str
    description: str | None
    lines: list[tuple[str, str, int]] = field(default_factory=list)  # (type, desc, cents)


@dataclass
class _Txn:
    transaction_id: str
    kind: str  # Shipment / Refund / Adjustment
    posted: datetime
    settlement_id: str
    order_id: str
    shipment_id: str
    adjustment_id: str
    currency: str
    items: dict[str, _Item] = field(default_factory=dict)


def _cents(text: str, decimal_comma: bool) -> int:
    t = text.strip()
    t = t.replace(".", "").replace(",", ".") if decimal_comma else t.replace(",", "")
    neg = t.startswith("-")
    whole, _, frac = t.lstrip("-").partition(".")
    cents = int(whole or "0") * 100 + int((frac + "00")[:2])
    return -cents if neg else cents


def _money(cents: int, currency: str) -> dict:
    # cents / 100 is the double nearest the 2-decimal amount: it serialises as e.g. 12.34
    return {"currencyAmount": cents / 100, "currencyCode": currency}


def _v0_money(cents: int, currency: str) -> dict:
    return {"CurrencyAmount": cents / 100, "CurrencyCode": currency}


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _item_path(amount_type: str, desc: str) -> tuple[str, ...]:
    if amount_type == "FBA Inventory Reimbursement":
        return REIMBURSEMENT_PATH
    return BREAKDOWN_PATHS.get((amount_type, desc), (amount_type, desc))


def _tree(lines: list[tuple[tuple[str, ...], int]], currency: str) -> list[dict]:
    """Nested breakdowns from (path, cents) lines, each node the sum of its leaves."""
    nodes: dict[str, list] = {}
    for path, cents in lines:
        nodes.setdefault(path[0], []).append((path[1:], cents))
    out = []
    for name, children in nodes.items():
        total = sum(c for _, c in children)
        deeper = [(p, c) for p, c in children if p]
        out.append(
            {
                "breakdownType": name,
                "breakdownAmount": _money(total, currency),
                "breakdowns": _tree(deeper, currency) if deeper else [],
            }
        )
    return out


def _api_error(status: int, code: str, message: str, details: str = ""):
    from extractors.sandbox.emulator import ApiError  # the emulator imports this module

    return ApiError(status, code, message, details)


class FinancesEmulation:
    """Finances state of one emulator (`emulator.finances`)."""

    def __init__(self, emulator, page_size: int = 100):
        self.emulator = emulator
        self.page_size = int(page_size)
        # operation (listTransactions / listFinancialEvents) -> HTTP status (403 or 404)
        self.refuse: dict[str, int] = {}
        self._lock = threading.Lock()
        self._txns: dict[str, list[_Txn]] = {}
        self._tokens: dict[str, tuple[str, str, tuple, int]] = {}

    # -- ground truth ---------------------------------------------------------------------

    def _asins(self, seller_id: str) -> dict[str, str]:
        from extractors.sandbox.catalog import REPORTS

        emu = self.emulator
        out: dict[str, str] = {}
        for report_type in REPORTS:
            header, _, lines = emu._rows_for(seller_id, report_type)
            names = header.split("\t")
            sku_col = next((n for n in ("sku", "seller-sku", "msku") if n in names), None)
            if "asin" not in names or sku_col is None:
                continue
            si, ai = names.index(sku_col), names.index("asin")
            for line in lines:
                cells = line.split("\t")
                if len(cells) > max(si, ai) and cells[si] and cells[ai]:
                    out.setdefault(cells[si], cells[ai])
            if out:
                return out
        return out

    def transactions(self, seller_id: str) -> list[_Txn]:
        """The seller's transactions, oldest first (cached)."""
        with self._lock:
            cached = self._txns.get(seller_id)
        if cached is not None:
            return cached
        from extractors.sandbox.catalog import SETTLEMENT_DIR, SETTLEMENT_REPORT_TYPE
        from extractors.sandbox.emulator import _settlement_time
        from extractors.sandbox.simulator import MARKETPLACES

        emu = self.emulator
        seller = emu._sellers[seller_id]
        market = next(
            (m for m in MARKETPLACES.values() if m.marketplace_id == seller.marketplace_id), None
        )
        comma = bool(market and market.decimal_comma)
        codec = "cp1252" if market and market.charset.lower() == "cp1252" else "utf-8"
        folder = Path(
            seller.files.get("settlements") or emu.sandbox_dir / seller_id / SETTLEMENT_DIR
        )
        asins = self._asins(seller_id)
        txns: dict[tuple, _Txn] = {}
        paths = sorted(folder.glob(f"{SETTLEMENT_REPORT_TYPE}_*.tsv")) if folder.is_dir() else []
        for path in paths:
            lines = path.read_bytes().decode(codec, "replace").splitlines()
            if len(lines) < 2:
                continue
            header = lines[0].split("\t")
            summary = dict(zip(header, lines[1].split("\t"), strict=False))
            currency = summary.get("currency") or seller.currency
            for n, line in enumerate(lines[2:]):
                row = dict(zip(header, line.split("\t"), strict=False))
                kind = TRANSACTION_TYPES.get(row.get("transaction-type", ""))
                posted = _settlement_time(row.get("posted-date-time", ""))
                if kind is None or posted is None or not row.get("amount"):
                    continue
                sid, order_id = row["settlement-id"], row.get("order-id", "")
                if kind == "Shipment":
                    key = (kind, sid, order_id, row.get("shipment-id", ""), posted)
                    item_key = row.get("order-item-code", "")
                elif kind == "Refund":
                    key = (kind, sid, order_id, row.get("adjustment-id", ""), posted)
                    item_key = row.get("merchant-adjustment-item-id", "")
                else:
                    key = (kind, sid, path.name, n)
                    item_key = ""
                txn = txns.get(key)
                if txn is None:
                    digest = hashlib.sha256(f"{seller_id}|{key}".encode()).digest()
                    txn = txns[key] = _Txn(
                        transaction_id=base64.urlsafe_b64encode(digest).decode().rstrip("="),
                        kind=kind,
                        posted=posted,
                        settlement_id=sid,
                        order_id=order_id,
                        shipment_id=row.get("shipment-id", "") if kind == "Shipment" else "",
                        adjustment_id=row.get("adjustment-id", "") if kind == "Refund" else "",
                        currency=currency,
                    )
                item = txn.items.get(item_key)
                if item is None:
                    qty = row.get("quantity-purchased", "").strip()
                    sku = row.get("sku", "")
                    item = txn.items[item_key] = _Item(
                        sku=sku,
                        asin=asins.get(sku),
                        quantity=int(qty) if qty.isdigit() else None,
                        order_item_id=row.get("order-item-code", ""),
                        adjustment_item_id=row.get("merchant-adjustment-item-id", ""),
                        description=row.get("amount-description") if kind == "Adjustment" else None,
                    )
                item.lines.append(
                    (row.get("amount-type", ""), row.get("amount-description", ""),
                     _cents(row["amount"], comma))
                )  # fmt: skip
        out = sorted(txns.values(), key=lambda t: (t.posted, t.transaction_id))
        with self._lock:
            self._txns[seller_id] = out
        return out

    # -- rendering ------------------------------------------------------------------------

    def transaction_json(self, seller_id: str, t: _Txn) -> dict:
        seller = self.emulator._sellers[seller_id]
        from extractors.sandbox.simulator import MARKETPLACES

        market = next(
            (m for m in MARKETPLACES.values() if m.marketplace_id == seller.marketplace_id), None
        )
        related = []
        if t.order_id:
            related.append(("ORDER_ID", t.order_id))
        if t.shipment_id:
            related.append(("SHIPMENT_ID", t.shipment_id))
        if t.adjustment_id:
            related.append(("REFUND_ID", t.adjustment_id))
        related.append(("FINANCIAL_EVENT_GROUP_ID", t.settlement_id))
        items, all_lines = [], []
        for item in t.items.values():
            lines = [(_item_path(a, d), c) for a, d, c in item.lines]
            all_lines += lines
            context = {"contextType": "ProductContext", "sku": item.sku}
            if item.asin:
                context["asin"] = item.asin
            if item.quantity is not None:
                context["quantityShipped"] = item.quantity
            context["fulfillmentNetwork"] = "AFN"
            entry: dict = {}
            if item.description:
                entry["description"] = item.description
            if t.kind == "Refund" and item.adjustment_item_id:
                entry["relatedIdentifiers"] = [
                    {
                        "itemRelatedIdentifierName": "ORDER_ADJUSTMENT_ITEM_ID",
                        "itemRelatedIdentifierValue": item.adjustment_item_id,
                    }
                ]
            entry["totalAmount"] = _money(sum(c for _, c in lines), t.currency)
            entry["breakdowns"] = _tree(lines, t.currency)
            entry["contexts"] = [context]
            items.append(entry)
        return {
            "sellingPartnerMetadata": {
                "sellingPartnerId": seller_id,
                "accountType": "PAYABLE",
                "marketplaceId": seller.marketplace_id,
            },
            "relatedIdentifiers": [
                {"relatedIdentifierName": n, "relatedIdentifierValue": v} for n, v in related
            ],
            "transactionType": t.kind,
            "transactionId": t.transaction_id,
            "transactionStatus": "RELEASED",
            "description": DESCRIPTIONS[t.kind],
            "postedDate": _iso(t.posted),
            "totalAmount": _money(sum(c for _, c in all_lines), t.currency),
            "marketplaceDetails": {
                "marketplaceId": seller.marketplace_id,
                "marketplaceName": market.sales_channel if market else "",
            },
            "items": items,
            "breakdowns": _tree([(p[:1], c) for p, c in all_lines], t.currency),
            "contexts": [],
        }

    def event_json(self, seller_id: str, t: _Txn) -> tuple[str, dict]:
        """(event list, v0 event) of a transaction."""
        from extractors.sandbox.simulator import MARKETPLACES

        mid = self.emulator._sellers[seller_id].marketplace_id
        market_name = next(
            (m.sales_channel for m in MARKETPLACES.values() if m.marketplace_id == mid), ""
        )
        cur = t.currency
        if t.kind == "Adjustment":
            item = next(iter(t.items.values()))
            total = sum(c for _, _, c in item.lines)
            entry = {"TotalAmount": _v0_money(total, cur), "SellerSKU": item.sku}
            if item.asin:
                entry["ASIN"] = item.asin
            if item.description:
                entry["ProductDescription"] = item.description
            return "AdjustmentEventList", {
                "AdjustmentType": "FBAInventoryReimbursement",
                "PostedDate": _iso(t.posted),
                "AdjustmentAmount": _v0_money(total, cur),
                "AdjustmentItemList": [entry],
            }
        refund = t.kind == "Refund"
        suffix = "Adjustment" if refund else ""
        items = []
        for item in t.items.values():
            entry = {"SellerSKU": item.sku, "OrderItemId": item.order_item_id}
            if refund and item.adjustment_item_id:
                entry["OrderAdjustmentItemId"] = item.adjustment_item_id
            if item.quantity is not None:
                entry["QuantityShipped"] = item.quantity
            charges = [
                {"ChargeType": d, "ChargeAmount": _v0_money(c, cur)}
                for a, d, c in item.lines
                if a == "ItemPrice"
            ]
            fees = [
                {"FeeType": d, "FeeAmount": _v0_money(c, cur)}
                for a, d, c in item.lines
                if a != "ItemPrice"
            ]
            entry[f"ItemCharge{suffix}List"] = charges
            entry[f"ItemFee{suffix}List"] = fees
            items.append(entry)
        event = {
            "AmazonOrderId": t.order_id,
            "MarketplaceName": market_name,
            "PostedDate": _iso(t.posted),
            ("ShipmentItemAdjustmentList" if refund else "ShipmentItemList"): items,
        }
        return ("RefundEventList" if refund else "ShipmentEventList"), event

    # -- operations -----------------------------------------------------------------------

    def _window(self, query: dict[str, list[str]], after_name: str, before_name: str):
        from extractors.sandbox.emulator import _parse_time

        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        now = datetime.fromtimestamp(self.emulator.clock(), UTC)
        latest = now - POSTED_MARGIN
        if not one(after_name):
            raise _api_error(
                400, "InvalidInput", "Start date cannot be null", "Start date cannot be null"
            )
        after = _parse_time(one(after_name), after_name)
        before = _parse_time(one(before_name), before_name) if one(before_name) else latest
        if after > latest:
            raise _api_error(
                400, "InvalidInput", f"{after_name} must be more than 2 minutes before the request."
            )
        if before > latest:
            raise _api_error(
                400,
                "InvalidInput",
                f"{before_name} must be more than 2 minutes before the request.",
            )
        if before <= after:
            raise _api_error(400, "InvalidInput", f"{before_name} must be later than {after_name}.")
        if before - after > MAX_WINDOW:
            raise _api_error(
                400,
                "InvalidInput",
                f"{after_name} and {before_name} must be at most 180 days apart.",
            )
        return after, before

    def _refused(self, operation: str) -> None:
        status = self.refuse.get(operation)
        if status:
            code, message, details = REFUSALS.get(status, REFUSALS[404])
            raise _api_error(status, code, message, details)

    def _page(self, seller_id, operation, args: tuple, rows: list, offset: int, size: int):
        page = rows[offset : offset + size]
        token = None
        if offset + size < len(rows):
            token = base64.b64encode(secrets.token_bytes(24)).decode()
            with self._lock:
                self._tokens[token] = (seller_id, operation, args, offset + size)
        return page, token

    def _from_token(self, seller_id, operation, args: tuple, token: str) -> int:
        with self._lock:
            entry = self._tokens.get(token)
        if entry is None or entry[:3] != (seller_id, operation, args):
            raise _api_error(400, "InvalidInput", "The nextToken is invalid or expired.")
        return entry[3]

    def op_list_transactions(self, seller_id: str, query: dict[str, list[str]]):
        self._refused("listTransactions")
        after, before = self._window(query, "postedAfter", "postedBefore")
        args = (after, before)
        rows = [t for t in self.transactions(seller_id) if after <= t.posted < before]
        token = (query.get("nextToken") or [None])[0]
        offset = self._from_token(seller_id, "listTransactions", args, token) if token else 0
        page, nxt = self._page(
            seller_id, "listTransactions", args, rows, offset, max(1, self.page_size)
        )
        payload: dict = {"transactions": [self.transaction_json(seller_id, t) for t in page]}
        if nxt:
            payload["nextToken"] = nxt
        return 200, {"payload": payload}

    def op_list_financial_events(self, seller_id: str, query: dict[str, list[str]]):
        self._refused("listFinancialEvents")
        size = 100
        if "MaxResultsPerPage" in query:
            try:
                size = int(query["MaxResultsPerPage"][0])
            except ValueError:
                size = -1
            if not 1 <= size <= 100:
                raise _api_error(400, "InvalidInput", "Input not valid.")
        if query.get("PostedBefore") and not query.get("PostedAfter"):
            raise _api_error(400, "InvalidInput", "PostedAfter is required with PostedBefore.")
        after, before = self._window(query, "PostedAfter", "PostedBefore")
        args = (after, before, size)
        rows = [t for t in self.transactions(seller_id) if after <= t.posted < before]
        token = (query.get("NextToken") or [None])[0]
        offset = self._from_token(seller_id, "listFinancialEvents", args, token) if token else 0
        page, nxt = self._page(seller_id, "listFinancialEvents", args, rows, offset, size)
        lists: dict[str, list] = {
            "ShipmentEventList": [],
            "RefundEventList": [],
            "AdjustmentEventList": [],
        }
        for t in page:
            name, event = self.event_json(seller_id, t)
            lists[name].append(event)
        payload: dict = {"FinancialEvents": lists}
        if nxt:
            payload["NextToken"] = nxt
        return 200, {"payload": payload}
