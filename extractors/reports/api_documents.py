"""SP-API JSON responses as rows: Finances v2024-06-19 transactions, Finances v0 financial events
and FBA Inbound v0 shipments.

The pages an extraction received (or a user saved and passes to `reclaim ingest`) are kept as the
original document; this module flattens them into the canonical columns of FINANCE_TRANSACTIONS,
FINANCIAL_EVENTS or INBOUND_SHIPMENT_ITEMS (shipment rows and item rows, joined in dbt, so a
getShipments file and getShipmentItemsByShipmentId files may be ingested apart) and hands them
to the same parser as the flat-file reports, so typing, validation, quarantine and landing are
the ones every other source goes through.

Shapes: ../shared/reference/sp-api-client.md §4 (Finances v0) and §5 (FBA Inbound v0), and the
model sp-api-models/finances_2024-06-19.json (listTransactions). JSON numbers are read as Decimal
(parse_float), never as float. Accepted documents: one response (`{"payload": {...}}`), a list
of responses (pages), a bare payload, or `{"pages": [...], "shipment_items": [...]}` as the
extractor saves them.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal, InvalidOperation

from extractors.reports.catalog import (
    FINANCE_TRANSACTIONS,
    FINANCIAL_EVENTS,
    INBOUND_SHIPMENT_ITEMS,
    DocumentSpec,
)
from extractors.reports.parsing import DocumentError, ParsedDocument, _q, parse_document

# Event lists that carry ShipmentEvent objects (sales, refunds, claims, chargebacks).
SHIPMENT_EVENT_LISTS = (
    "ShipmentEventList",
    "RefundEventList",
    "GuaranteeClaimEventList",
    "ChargebackEventList",
)
# Order-level money lists of a ShipmentEvent -> component name; entries are ChargeComponent
# (ChargeType/ChargeAmount) or FeeComponent (FeeType/FeeAmount).
_ORDER_LISTS = {
    "OrderChargeList": "order_charge",
    "OrderChargeAdjustmentList": "order_charge_adjustment",
    "ShipmentFeeList": "shipment_fee",
    "ShipmentFeeAdjustmentList": "shipment_fee_adjustment",
    "OrderFeeList": "order_fee",
    "OrderFeeAdjustmentList": "order_fee_adjustment",
}
_ITEM_LISTS = {
    "ItemChargeList": "item_charge",
    "ItemChargeAdjustmentList": "item_charge_adjustment",
    "ItemFeeList": "item_fee",
    "ItemFeeAdjustmentList": "item_fee_adjustment",
}


def is_api_document(data: bytes) -> bool:
    head = data.lstrip()[:1]
    return head in (b"{", b"[")


def _pages(doc) -> list[dict]:
    if isinstance(doc, dict) and "pages" in doc:
        doc = doc["pages"]
    pages = doc if isinstance(doc, list) else [doc]
    out = []
    for p in pages:
        if not isinstance(p, dict):
            continue
        out.append(p.get("payload", p) if isinstance(p.get("payload", p), dict) else {})
    return out


def parse_api_document(data: bytes, name: str) -> ParsedDocument:
    """Flatten a saved SP-API response into rows of its spec, parsed and typed. Raises
    DocumentError naming the file when it is not JSON or not a response fba-reclaim reads."""
    try:
        doc = json.loads(data.decode("utf-8-sig"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise DocumentError(f"{name}: not valid JSON ({exc})") from None
    pages = _pages(doc)
    try:
        rows, warnings, rejects, spec = _flatten(doc, pages, name)
    except (AttributeError, TypeError) as exc:
        # An event, list or amount that is not the JSON type of the SP-API model.
        raise DocumentError(
            f"{name}: JSON of an SP-API response, but not in the model's shape (an event or "
            f"list is not an object: {exc})"
        ) from None
    parsed = parse_document(_tsv(spec, rows), name, spec=spec)
    parsed.warnings.extend(f"{name}: {w}" for w in warnings)
    # Transactions that could not be flattened at all: one quarantined row each, numbered after
    # the flattened rows, with the transaction's JSON as the raw row.
    for raw, fld, reason in rejects:
        parsed.rows_in += 1
        parsed.quarantine.append(_q(name, parsed.rows_in, ["transaction"], [raw], fld, reason))
    return parsed


def _flatten(doc, pages: list[dict], name: str):
    """(rows, warnings, rejected transactions, spec) of a saved SP-API response."""
    rejects: list[tuple[str, str | None, str]] = []
    if any("transactions" in p for p in pages):
        rows, warnings, rejects = flatten_transactions(pages)
        spec = FINANCE_TRANSACTIONS
    elif any("FinancialEvents" in p for p in pages):
        rows, warnings = flatten_financial_events(pages)
        spec = FINANCIAL_EVENTS
    elif any("ShipmentData" in p or "ItemData" in p for p in pages) or (
        isinstance(doc, dict) and "shipment_items" in doc
    ):
        items = doc.get("shipment_items", []) if isinstance(doc, dict) else []
        rows, warnings = flatten_inbound(pages, _pages(items) if items else [])
        spec = INBOUND_SHIPMENT_ITEMS
    else:
        errors = [e for p in (doc if isinstance(doc, list) else [doc]) if isinstance(p, dict)
                  for e in p.get("errors") or []]  # fmt: skip
        if errors:
            raise DocumentError(f"{name}: an SP-API error response, not data: {errors[0]}")
        raise DocumentError(
            f"{name}: JSON, but not a Finances v0 listFinancialEvents, Finances v2024-06-19 "
            "listTransactions or FBA Inbound v0 getShipments/getShipmentItems response (no "
            "FinancialEvents, transactions, ShipmentData or ItemData)"
        )
    return rows, warnings, rejects, spec


def _tsv(spec: DocumentSpec, rows: list[dict]) -> bytes:
    def cell(v) -> str:
        if v is None:
            return ""
        return str(v).replace("\t", " ").replace("\r", " ").replace("\n", " ")

    lines = ["\t".join(c.header for c in spec.columns)]
    lines += ["\t".join(cell(r.get(c.name)) for c in spec.columns) for r in rows]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _money(currency_obj) -> tuple[Decimal | str | None, str | None]:
    """(amount, currency) of a Currency object; money is a JSON number, read via str() so a
    float never rounds it. Text that is not a number is passed on for the parser to reject."""
    if not isinstance(currency_obj, dict):
        return None, None
    raw = currency_obj.get("CurrencyAmount")
    if raw is None:
        amount = None
    else:
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            amount = str(raw)
    return amount, currency_obj.get("CurrencyCode")


def _event_id(list_name: str, event: dict) -> str:
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{list_name}:{canonical}".encode()).hexdigest()[:24]


def flatten_financial_events(pages: list[dict]) -> tuple[list[dict], list[str]]:
    """One row per money component of every event fba-reclaim reads; a count of the others."""
    rows: list[dict] = []
    unused: dict[str, int] = {}
    for page in pages:
        lists = page.get("FinancialEvents") or {}
        for list_name, events in lists.items():
            events = events or []
            if list_name in SHIPMENT_EVENT_LISTS:
                for ev in events:
                    rows += _shipment_event_rows(list_name, ev)
            elif list_name == "AdjustmentEventList":
                for ev in events:
                    rows += _adjustment_event_rows(list_name, ev)
            elif list_name == "ServiceFeeEventList":
                for ev in events:
                    rows += _service_fee_rows(list_name, ev)
            elif events:
                unused[list_name] = unused.get(list_name, 0) + len(events)
    warnings = [
        f"{n} {name} event(s) not used by fba-reclaim (kept in the original document)"
        for name, n in sorted(unused.items())
    ]
    return rows, warnings


def _shipment_event_rows(list_name: str, ev: dict) -> list[dict]:
    eid = _event_id(list_name, ev)
    base = {
        "event_id": eid,
        "event_list": list_name,
        "posted_date": ev.get("PostedDate"),
        "amazon_order_id": ev.get("AmazonOrderId"),
        "seller_order_id": ev.get("SellerOrderId"),
        "marketplace_name": ev.get("MarketplaceName"),
    }
    rows: list[dict] = []

    def add(component: str, amount_type, money, **extra):
        amount, currency = _money(money)
        rows.append(
            {
                **base,
                **extra,
                "line_no": len(rows),
                "component": component,
                "amount_type": amount_type,
                "amount": amount,
                "currency": currency,
            }
        )

    for list_key, component in _ORDER_LISTS.items():
        for c in ev.get(list_key) or []:
            add(component, c.get("ChargeType") or c.get("FeeType"),
                c.get("ChargeAmount") or c.get("FeeAmount"))  # fmt: skip
    for items_key in ("ShipmentItemList", "ShipmentItemAdjustmentList"):
        for item in ev.get(items_key) or []:
            ids = {
                "seller_sku": item.get("SellerSKU"),
                "order_item_id": item.get("OrderItemId"),
                "order_adjustment_item_id": item.get("OrderAdjustmentItemId"),
                "quantity": item.get("QuantityShipped"),
            }
            before = len(rows)
            for list_key, component in _ITEM_LISTS.items():
                for c in item.get(list_key) or []:
                    add(component, c.get("ChargeType") or c.get("FeeType"),
                        c.get("ChargeAmount") or c.get("FeeAmount"), **ids)  # fmt: skip
            for withheld in item.get("ItemTaxWithheldList") or []:
                for c in withheld.get("TaxesWithheld") or []:
                    add("item_tax_withheld", c.get("ChargeType"), c.get("ChargeAmount"), **ids)
            for key, component in (
                ("PromotionList", "promotion"),
                ("PromotionAdjustmentList", "promotion_adjustment"),
            ):
                for promo in item.get(key) or []:
                    add(component, promo.get("PromotionType"), promo.get("PromotionAmount"), **ids)
            if len(rows) == before:  # an item without money still says which units moved
                add("item", None, None, **ids)
    return rows


def _adjustment_event_rows(list_name: str, ev: dict) -> list[dict]:
    eid = _event_id(list_name, ev)
    base = {
        "event_id": eid,
        "event_list": list_name,
        "posted_date": ev.get("PostedDate"),
        "adjustment_type": ev.get("AdjustmentType"),
    }
    items = ev.get("AdjustmentItemList") or []
    if not items:
        amount, currency = _money(ev.get("AdjustmentAmount"))
        return [{**base, "line_no": 0, "component": "adjustment", "amount": amount,
                 "currency": currency}]  # fmt: skip
    rows = []
    for n, item in enumerate(items):
        amount, currency = _money(item.get("TotalAmount"))
        rows.append(
            {
                **base,
                "line_no": n,
                "component": "adjustment_item",
                "amount_type": item.get("TransactionNumber"),
                "seller_sku": item.get("SellerSKU"),
                "fnsku": item.get("FnSKU"),
                "asin": item.get("ASIN"),
                "quantity": item.get("Quantity"),  # a string in the model; the parser types it
                "amount": amount,
                "currency": currency,
            }
        )
    return rows


def _service_fee_rows(list_name: str, ev: dict) -> list[dict]:
    eid = _event_id(list_name, ev)
    rows = []
    for n, fee in enumerate(ev.get("FeeList") or []):
        amount, currency = _money(fee.get("FeeAmount"))
        rows.append(
            {
                "event_id": eid,
                "line_no": n,
                "event_list": list_name,
                "amazon_order_id": ev.get("AmazonOrderId"),
                "adjustment_type": ev.get("FeeReason"),
                "seller_sku": ev.get("SellerSKU"),
                "fnsku": ev.get("FnSKU"),
                "asin": ev.get("ASIN"),
                "component": "service_fee",
                "amount_type": fee.get("FeeType"),
                "amount": amount,
                "currency": currency,
            }
        )
    return rows


def flatten_inbound(
    shipment_pages: list[dict], item_pages: list[dict]
) -> tuple[list[dict], list[str]]:
    """A 'shipment' row per ShipmentData entry and an 'item' row per ItemData entry, whether
    they come in the same document (the extractor saves both) or not (a seller saves one API
    call per file). An item row carries its shipment's status and destination when the same
    document lists the shipment; otherwise they stay empty and dbt joins the item to its shipment
    from whichever file lists it (int_inbound_shipment_items), loaded before or later."""
    shipments: dict[str, dict] = {}
    items: list[dict] = []
    for page in [*shipment_pages, *item_pages]:
        for sh in page.get("ShipmentData") or []:
            if isinstance(sh, dict) and sh.get("ShipmentId"):
                shipments[sh["ShipmentId"]] = sh  # a later page of the same call wins
        items += [i for i in page.get("ItemData") or [] if isinstance(i, dict)]

    def shipment_columns(sh: dict) -> dict:
        return {
            "shipment_name": sh.get("ShipmentName"),
            "shipment_status": sh.get("ShipmentStatus"),
            "destination_fulfillment_center_id": sh.get("DestinationFulfillmentCenterId"),
        }

    rows = [
        {"record_type": "shipment", "shipment_id": sid, **shipment_columns(sh)}
        for sid, sh in shipments.items()
    ]
    for item in items:
        rows.append(
            {
                "record_type": "item",
                "shipment_id": item.get("ShipmentId"),
                **shipment_columns(shipments.get(item.get("ShipmentId") or "", {})),
                "seller_sku": item.get("SellerSKU"),
                "fnsku": item.get("FulfillmentNetworkSKU"),
                "quantity_shipped": item.get("QuantityShipped"),
                "quantity_received": item.get("QuantityReceived"),
                "quantity_in_case": item.get("QuantityInCase"),
                "release_date": item.get("ReleaseDate"),
            }
        )
    waiting = sorted({str(i.get("ShipmentId")) for i in items} - set(shipments))
    with_items = {i.get("ShipmentId") for i in items}
    empty = sorted(s for s in shipments if s not in with_items)
    warnings = []
    if empty and items:
        warnings.append(
            f"{len(empty)} shipment(s) without items in the document: {', '.join(empty[:10])}"
        )
    if waiting:
        warnings.append(
            f"items of {len(waiting)} shipment(s) whose shipment is not in this document: "
            f"{', '.join(waiting[:10])}; they are kept and join their shipment's status when "
            "its getShipments file is loaded (before or after this one)"
        )
    return rows, warnings


# -- Finances v2024-06-19 listTransactions ---------------------------------------------------

MAX_BREAKDOWN_DEPTH = 32  # bound on the breakdown tree walk (Amazon's trees are 2-3 deep)


def _canonical(value):
    """The transaction with every number as its decimal text, so its hash is the same whether
    the JSON was read with floats, Decimals or kept with amounts as strings."""
    if isinstance(value, dict):
        return {k: _canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float | Decimal):
        return str(Decimal(str(value)).normalize())
    return str(value)


def _raw(value) -> str:
    return json.dumps(_canonical(value), sort_keys=True, separators=(",", ":"), default=str)


def _amount(currency_obj) -> tuple[Decimal | str | None, str | None]:
    """(amount, currency) of a v2024 Currency object ({currencyAmount, currencyCode})."""
    if not isinstance(currency_obj, dict):
        return None, None
    raw = currency_obj.get("currencyAmount")
    if raw is None or isinstance(raw, bool):
        amount = None
    else:
        try:
            amount = Decimal(str(raw))
        except InvalidOperation:
            amount = str(raw)
    return amount, currency_obj.get("currencyCode")


def _breakdown_list(node) -> list:
    # The model's schema says an array; its own Transaction example nests it in an object
    # ({"breakdowns": {"breakdowns": [...]}}): both are read.
    if isinstance(node, dict):
        node = node.get("breakdowns")
    return [b for b in node if isinstance(b, dict)] if isinstance(node, list) else []


def _leaves(breakdowns, path: tuple[str, ...] = (), depth: int = 0) -> list[tuple[tuple, dict]]:
    """(breakdownType path from the top, leaf breakdown) of every leaf of a breakdown tree."""
    out = []
    for b in _breakdown_list(breakdowns):
        here = (*path, str(b.get("breakdownType") or ""))
        children = _breakdown_list(b.get("breakdowns"))
        if children and depth < MAX_BREAKDOWN_DEPTH:
            out += _leaves(children, here, depth + 1)
        else:
            out.append((here, b))
    return out


def _identifiers(entries, name_key: str, value_key: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in entries if isinstance(entries, list) else []:
        if isinstance(e, dict) and e.get(name_key) and e.get(value_key) is not None:
            out.setdefault(str(e[name_key]), str(e[value_key]))
    return out


def _product_context(contexts) -> dict:
    for c in contexts if isinstance(contexts, list) else []:
        if isinstance(c, dict) and (c.get("contextType") == "ProductContext" or "sku" in c):
            return c
    return {}


def flatten_transactions(pages: list[dict]) -> tuple[list[dict], list[str], list[tuple]]:
    """Rows of FINANCE_TRANSACTIONS: one per leaf breakdown of each item (or of the transaction
    when it has no items); warnings; and (raw JSON, field, reason) of each transaction that could
    not be flattened (not an object, no postedDate, an item that is not an object)."""
    rows: list[dict] = []
    rejects: list[tuple[str, str | None, str]] = []
    seen: set = set()
    duplicates = 0
    for page in pages:
        transactions = page.get("transactions") or []
        if not isinstance(transactions, list):
            rejects.append((_raw(transactions), "transactions", "transactions is not a list"))
            continue
        for t in transactions:
            # A page served again (a repeated nextToken) is counted once: the same transaction
            # id, status and posted date, or the same JSON when there is no id.
            if isinstance(t, dict) and t.get("transactionId"):
                raw = None
                key = (
                    str(t["transactionId"]),
                    str(t.get("transactionStatus")),
                    str(t.get("postedDate")),
                )
            else:
                raw = key = _raw(t)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            if not isinstance(t, dict):
                rejects.append((raw, None, "transaction is not a JSON object"))
                continue
            if not t.get("postedDate"):
                rejects.append((raw or _raw(t), "postedDate", "transaction has no postedDate"))
                continue
            items = t.get("items") or []
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                rejects.append((raw or _raw(t), "items", "items is not a list of JSON objects"))
                continue
            rows += _transaction_rows(t, items, raw)
    warnings = []
    if duplicates:
        warnings.append(
            f"{duplicates} transaction(s) repeated in the pages (identical JSON) counted once"
        )
    return rows, warnings, rejects


def _transaction_rows(t: dict, items: list[dict], raw: str | None) -> list[dict]:
    ids = _identifiers(
        t.get("relatedIdentifiers"), "relatedIdentifierName", "relatedIdentifierValue"
    )
    market = t.get("marketplaceDetails") if isinstance(t.get("marketplaceDetails"), dict) else {}
    partner = t.get("sellingPartnerMetadata")
    partner = partner if isinstance(partner, dict) else {}
    transaction_id = t.get("transactionId") or (
        "sha256:" + hashlib.sha256((raw or _raw(t)).encode()).hexdigest()[:40]
    )
    base = {
        "transaction_id": transaction_id,
        "transaction_type": t.get("transactionType"),
        "transaction_status": t.get("transactionStatus"),
        "posted_date": t.get("postedDate"),
        "marketplace_id": market.get("marketplaceId") or partner.get("marketplaceId"),
        "amazon_order_id": ids.get("ORDER_ID"),
        "shipment_id": ids.get("SHIPMENT_ID"),
        "refund_id": ids.get("REFUND_ID"),
        "financial_event_group_id": ids.get("FINANCIAL_EVENT_GROUP_ID") or ids.get("SETTLEMENT_ID"),
    }
    rows: list[dict] = []

    def add(extra: dict, path: tuple | None, money) -> None:
        amount, currency = _amount(money)
        rows.append(
            {
                **base,
                **extra,
                "line_no": len(rows) + 1,
                "breakdown_path": " / ".join(path) if path else None,
                "breakdown_type": path[-1] if path else None,
                "amount": amount,
                "currency": currency,
            }
        )

    if not items:
        leaves = _leaves(t.get("breakdowns"))
        for path, leaf in leaves:
            add({}, path, leaf.get("breakdownAmount"))
        if not leaves:
            add({}, None, t.get("totalAmount"))
        return rows
    for item in items:
        item_ids = _identifiers(
            item.get("relatedIdentifiers"),
            "itemRelatedIdentifierName",
            "itemRelatedIdentifierValue",
        )
        ctx = _product_context(item.get("contexts"))
        extra = {
            "order_adjustment_item_id": item_ids.get("ORDER_ADJUSTMENT_ITEM_ID"),
            "seller_sku": ctx.get("sku"),
            "asin": ctx.get("asin"),
            "quantity": ctx.get("quantityShipped"),
            "fulfillment_network": ctx.get("fulfillmentNetwork"),
            "item_description": item.get("description"),
        }
        leaves = _leaves(item.get("breakdowns"))
        for path, leaf in leaves:
            add(extra, path, leaf.get("breakdownAmount"))
        if not leaves:
            add(extra, None, item.get("totalAmount"))
    return rows
