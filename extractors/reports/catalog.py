"""What Amazon's documents look like: one spec per landed source.

Column names are matched by header *name*, never by position (Amazon's attribute pages warn that
fields vary by marketplace and by the seller's field selection). Each column has the header text
SP-API files use, a canonical snake_case name (what the landing Parquet and dbt see) and a value
kind the parser converts to.

Facts: ../shared/reference/amazon-reports.md §1.1 (ledger detail), §1.3 (reimbursements) and
§1.8 (removal order detail).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Value kinds the parser knows (see extractors.reports.parsing).
STR = "str"
INT = "int"
DECIMAL = "decimal"
DATE_MDY = "date_mdy"  # MM/DD/YYYY (ledger); ISO dates tolerated
TIMESTAMP = "timestamp"  # ISO-8601, converted to UTC

KINDS = (STR, INT, DECIMAL, DATE_MDY, TIMESTAMP)


def header_key(header: str) -> str:
    """A spelling-insensitive key for a header: `Event Type`, `event-type`, `EventType` and
    `"event_type"` all give `eventtype` (SP-API files, Seller Central CSV downloads and the
    developer docs spell headers differently)."""
    return re.sub(r"[^0-9a-z]", "", header.strip().strip('"').strip("'").lower())


@dataclass(frozen=True)
class Column:
    name: str
    header: str
    kind: str = STR
    required: bool = True
    aliases: tuple[str, ...] = ()

    def header_keys(self) -> set[str]:
        return {header_key(self.header), header_key(self.name), *map(header_key, self.aliases)}


@dataclass(frozen=True)
class DocumentSpec:
    """A kind of document fba-reclaim lands: an Amazon report or a seller-side file."""

    source: str  # landing directory name and dbt source table
    title: str  # human name for messages
    columns: tuple[Column, ...]
    report_type: str | None = None  # SP-API reportType, when it is a report
    date_column: str | None = None  # canonical column holding the row's own date
    area: str = "landing"  # "landing" (Amazon data) or "state" (human input)
    natural_key: tuple[str, ...] = field(default=())
    # Longest dataStartTime..dataEndTime range to request at once. Amazon documents none for the
    # ledger or reimbursements (UNCONFIRMED): 31-day slices are the safe choice (§1.16).
    max_window_days: int = 31

    @property
    def required(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.required)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


LEDGER_DETAIL = DocumentSpec(
    source="ledger_detail",
    title="Inventory Ledger, detailed view (GET_LEDGER_DETAIL_VIEW_DATA)",
    report_type="GET_LEDGER_DETAIL_VIEW_DATA",
    date_column="date",
    columns=(
        Column("date", "Date", DATE_MDY),
        Column("fnsku", "FNSKU"),
        Column("asin", "ASIN", required=False),
        Column("msku", "MSKU", aliases=("sku", "merchant sku")),
        Column("title", "Title", required=False),
        Column("event_type", "Event Type"),
        Column("reference_id", "Reference ID", required=False),
        Column("quantity", "Quantity", INT),
        Column("fulfillment_center", "Fulfillment Center", aliases=("fulfillment center id",)),
        Column("disposition", "Disposition"),
        Column("reason", "Reason", required=False),
        Column("country", "Country", required=False),
        Column("reconciled_quantity", "Reconciled Quantity", INT, required=False),
        Column("unreconciled_quantity", "Unreconciled Quantity", INT, required=False),
        # Exact format UNCONFIRMED: kept as the text Amazon sent.
        Column("date_and_time", "Date and Time", required=False),
        Column("store", "Store", required=False),
    ),
    natural_key=(
        "date",
        "fnsku",
        "msku",
        "event_type",
        "reference_id",
        "fulfillment_center",
        "disposition",
        "reason",
        "country",
    ),
)

REIMBURSEMENTS = DocumentSpec(
    source="reimbursements",
    title="Reimbursements report (GET_FBA_REIMBURSEMENTS_DATA)",
    report_type="GET_FBA_REIMBURSEMENTS_DATA",
    date_column="approval_date",
    columns=(
        Column("approval_date", "approval-date", TIMESTAMP),
        Column("reimbursement_id", "reimbursement-id"),
        Column("case_id", "case-id", required=False),
        Column("amazon_order_id", "amazon-order-id", required=False),
        Column("reason", "reason"),
        Column("sku", "sku", required=False),
        Column("fnsku", "fnsku", required=False),
        Column("asin", "asin", required=False),
        Column("product_name", "product-name", required=False),
        Column("condition", "condition", required=False),
        Column("currency_unit", "currency-unit"),
        Column("amount_per_unit", "amount-per-unit", DECIMAL, required=False),
        Column("amount_total", "amount-total", DECIMAL),
        Column("quantity_reimbursed_cash", "quantity-reimbursed-cash", INT, required=False),
        Column(
            "quantity_reimbursed_inventory", "quantity-reimbursed-inventory", INT, required=False
        ),
        Column("quantity_reimbursed_total", "quantity-reimbursed-total", INT),
        Column("original_reimbursement_id", "original-reimbursement-id", required=False),
        Column("original_reimbursement_type", "original-reimbursement-type", required=False),
    ),
    natural_key=(
        "reimbursement_id",
        "fnsku",
        "sku",
        "reason",
        "amazon_order_id",
        "original_reimbursement_id",
    ),
)

# §1.8. Rows are updated in place (status and quantities move until the order completes): the
# natural key is the order line, and staging keeps its latest snapshot.
REMOVAL_ORDERS = DocumentSpec(
    source="removal_orders",
    title="Removal order detail (GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA)",
    report_type="GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA",
    date_column="last_updated_date",
    columns=(
        Column("request_date", "request-date", TIMESTAMP, aliases=("removal-date",)),
        Column("order_id", "order-id", aliases=("removal-order-id",)),
        Column("order_source", "order-source", required=False),
        Column("order_type", "order-type"),
        Column("service_speed", "service-speed", required=False),
        Column("order_status", "order-status"),
        Column("last_updated_date", "last-updated-date", TIMESTAMP),
        Column("sku", "sku", required=False),
        Column("fnsku", "fnsku"),
        Column("disposition", "disposition"),
        Column("requested_quantity", "requested-quantity", INT),
        Column("cancelled_quantity", "cancelled-quantity", INT, required=False),
        Column("disposed_quantity", "disposed-quantity", INT),
        Column("shipped_quantity", "shipped-quantity", INT, required=False),
        Column("in_process_quantity", "in-process-quantity", INT, required=False),
        Column("removal_fee", "removal-fee", DECIMAL, required=False),
        Column("currency", "currency", required=False),
    ),
    natural_key=("order_id", "fnsku", "sku", "disposition"),
)

# The seller-maintained product master (DESIGN.md contract): sku,unit_cost,currency and
# optionally dimensions. Human input: it lands in state/, not in the rebuildable landing zone.
PRODUCT_MASTER = DocumentSpec(
    source="product_master",
    title="product master (sku,unit_cost,currency[,length_in,width_in,height_in,weight_lb])",
    area="state",
    columns=(
        Column("sku", "sku", aliases=("msku", "seller-sku")),
        Column("unit_cost", "unit_cost", DECIMAL),
        Column("currency", "currency"),
        Column("length_in", "length_in", DECIMAL, required=False),
        Column("width_in", "width_in", DECIMAL, required=False),
        Column("height_in", "height_in", DECIMAL, required=False),
        Column("weight_lb", "weight_lb", DECIMAL, required=False),
    ),
    natural_key=("sku",),
)

SPECS: tuple[DocumentSpec, ...] = (LEDGER_DETAIL, REIMBURSEMENTS, REMOVAL_ORDERS, PRODUCT_MASTER)
BY_SOURCE = {s.source: s for s in SPECS}
BY_REPORT_TYPE = {s.report_type: s for s in SPECS if s.report_type}


def detect(headers: list[str]) -> DocumentSpec | None:
    """The spec whose required columns are all in `headers`; the best-covered one when several
    qualify. None when nothing fits."""
    present = {header_key(h) for h in headers}
    best: tuple[int, DocumentSpec] | None = None
    for spec in SPECS:
        if all(c.header_keys() & present for c in spec.required):
            score = sum(1 for c in spec.columns if c.header_keys() & present)
            if best is None or score > best[0]:
                best = (score, spec)
    return best[1] if best else None
