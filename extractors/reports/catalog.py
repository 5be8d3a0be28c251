"""What Amazon's documents look like: one spec per landed source.

Column names are matched by header *name*, never by position (Amazon's attribute pages warn that
fields vary by marketplace and by the seller's field selection). Each column has the header text
SP-API files use, a canonical snake_case name (what the landing Parquet and dbt see) and a value
kind the parser converts to.

Facts: ../shared/reference/amazon-reports.md §1.1 (ledger detail), §1.2 (ledger summary), §1.3
(reimbursements), §1.4 (customer returns), §1.6 (Amazon fulfilled shipments), §1.7 (all orders),
§1.8 (removal order detail), §1.9 (removal shipment detail), §1.10 (fee preview), §1.11 (storage
fees), §1.12 (settlement V2) and §1.16 (request windows).
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
# Marketplace-localised amount (`1,234.56`, `1.234,56`, `-12,30`): the decimal separator is
# decided once per document from the values of all its LOCAL_DECIMAL columns (§1.12).
LOCAL_DECIMAL = "local_decimal"
# Marketplace-localised date-time (`2025-06-09 05:23:19 UTC`, `01.09.2026 07:08:16 UTC`,
# `09/06/25`): day/month order decided once per document from the values seen (§1.12). UTC.
LOCAL_TIMESTAMP = "local_timestamp"
MONTH = "month"  # YYYY-MM, YYYY-MM-DD or MM/YYYY: the first day of that month (§1.11)
# MM/YYYY (monthly aggregation: the first day of the month) or MM/DD/YYYY (§1.2)
DATE_PERIOD = "date_period"
# Read from the same header as a DATE_PERIOD column: 'month' for MM/YYYY values, 'day' for
# MM/DD/YYYY ones (daily or weekly aggregation), so monthly and daily rows never share a key.
PERIOD_GRANULARITY = "period_granularity"

KINDS = (
    STR,
    INT,
    DECIMAL,
    DATE_MDY,
    TIMESTAMP,
    LOCAL_DECIMAL,
    LOCAL_TIMESTAMP,
    MONTH,
    DATE_PERIOD,
    PERIOD_GRANULARITY,
)


def header_key(header: str) -> str:
    """A spelling-insensitive key for a header: `Event Type`, `event-type`, `EventType` and
    `"event_type"` all give `eventtype` (SP-API files, Seller Central CSV downloads and the
    developer docs spell headers differently)."""
    return re.sub(r"[^0-9a-z]", "", header.strip().strip('"').strip("'").lower())


@dataclass(frozen=True)
class Column:
    """`required`: the header must be present (else the document is rejected) and, unless
    `nullable`, every row must have a value (else the row is quarantined)."""

    name: str
    header: str
    kind: str = STR
    required: bool = True
    aliases: tuple[str, ...] = ()
    nullable: bool = False

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
    # The document carries buyer data (names, e-mails, phones, addresses): only the columns
    # listed here are stored anywhere (typed Parquet, quarantine raw rows and the kept original,
    # which is then a copy with the other columns removed).
    only_known_columns: bool = False
    # Placeholders Amazon writes for "no value" in this document (the fee preview's `--`): read
    # as empty.
    null_values: tuple[str, ...] = ()

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

# §1.2. Date is MM/YYYY for monthly aggregation, MM/DD/YYYY for daily/weekly: `date` is the
# period's first day and `date_granularity` says which, so a monthly and a daily row of the same
# FNSKU never collide. Rows are restated between pulls ("Unknown Events" move): latest snapshot.
LEDGER_SUMMARY = DocumentSpec(
    source="ledger_summary",
    title="Inventory Ledger, summary view (GET_LEDGER_SUMMARY_VIEW_DATA)",
    report_type="GET_LEDGER_SUMMARY_VIEW_DATA",
    date_column="date",
    columns=(
        Column("date", "Date", DATE_PERIOD),
        Column("date_granularity", "Date", PERIOD_GRANULARITY, required=False),
        Column("fnsku", "FNSKU"),
        Column("asin", "ASIN", required=False),
        Column("msku", "MSKU", aliases=("sku", "merchant sku")),
        Column("title", "Title", required=False),
        Column("disposition", "Disposition"),
        Column("starting_warehouse_balance", "Starting Warehouse Balance", INT),
        Column(
            "in_transit_between_warehouses", "In Transit Between Warehouses", INT, required=False
        ),
        Column("receipts", "Receipts", INT, nullable=True),
        Column("customer_shipments", "Customer Shipments", INT, nullable=True),
        Column("customer_returns", "Customer Returns", INT, nullable=True),
        Column("vendor_returns", "Vendor Returns", INT, nullable=True),
        Column("warehouse_transfer_in_out", "Warehouse Transfer In/Out", INT, nullable=True),
        Column("found", "Found", INT, nullable=True),
        Column("lost", "Lost", INT, nullable=True),
        Column("damaged", "Damaged", INT, nullable=True),
        Column("disposed", "Disposed", INT, nullable=True),
        Column("other_events", "Other Events", INT, nullable=True),
        Column("ending_warehouse_balance", "Ending Warehouse Balance", INT),
        Column("unknown_events", "Unknown Events", INT, required=False),
        # Country code (aggregateByLocation=COUNTRY, the default) or FC code (=FC).
        Column("location", "Location"),
        Column("store", "Store", required=False),
    ),
    natural_key=("date", "date_granularity", "fnsku", "msku", "disposition", "location", "store"),
)

# §1.4. Seller Central help pages call the order column `amazon-order-id`; SP-API files say
# `order-id`. Returns can be back-posted and their status moves: latest snapshot per return line.
CUSTOMER_RETURNS = DocumentSpec(
    source="customer_returns",
    title="FBA customer returns (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA)",
    report_type="GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
    date_column="return_date",
    columns=(
        Column("return_date", "return-date", TIMESTAMP),
        Column("order_id", "order-id", aliases=("amazon-order-id",)),
        Column("sku", "sku", aliases=("seller-sku", "msku")),
        Column("asin", "asin", required=False),
        Column("fnsku", "fnsku"),
        Column("product_name", "product-name", required=False),
        Column("quantity", "quantity", INT),
        Column("fulfillment_center_id", "fulfillment-center-id", nullable=True),
        Column("detailed_disposition", "detailed-disposition"),
        Column("reason", "reason", nullable=True),
        Column("status", "status", nullable=True),
        Column("license_plate_number", "license-plate-number", required=False),
        Column("customer_comments", "customer-comments", required=False),
    ),
    natural_key=("return_date", "order_id", "sku", "fnsku", "license_plate_number"),
)

# §1.6. Buyer names, e-mails, phones and addresses are never stored (only_known_columns): the
# spec lists the ids, dates, quantities and amounts a claim rule needs, nothing about the buyer.
FULFILLED_SHIPMENTS = DocumentSpec(
    source="fulfilled_shipments",
    title="Amazon fulfilled shipments (GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL)",
    report_type="GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
    date_column="shipment_date",
    max_window_days=31,
    only_known_columns=True,
    columns=(
        Column("amazon_order_id", "amazon-order-id"),
        Column("merchant_order_id", "merchant-order-id", required=False),
        Column("shipment_id", "shipment-id"),
        Column("shipment_item_id", "shipment-item-id"),
        Column("amazon_order_item_id", "amazon-order-item-id"),
        Column("merchant_order_item_id", "merchant-order-item-id", required=False),
        Column("purchase_date", "purchase-date", TIMESTAMP),
        Column("payments_date", "payments-date", TIMESTAMP, required=False),
        Column("shipment_date", "shipment-date", TIMESTAMP),
        Column("reporting_date", "reporting-date", TIMESTAMP, required=False),
        Column("sku", "sku"),
        Column("product_name", "product-name", required=False),
        Column("quantity_shipped", "quantity-shipped", INT),
        Column("currency", "currency", nullable=True),
        Column("item_price", "item-price", LOCAL_DECIMAL, nullable=True),
        Column("item_tax", "item-tax", LOCAL_DECIMAL, required=False),
        Column("shipping_price", "shipping-price", LOCAL_DECIMAL, required=False),
        Column("shipping_tax", "shipping-tax", LOCAL_DECIMAL, required=False),
        Column("gift_wrap_price", "gift-wrap-price", LOCAL_DECIMAL, required=False),
        Column("gift_wrap_tax", "gift-wrap-tax", LOCAL_DECIMAL, required=False),
        Column("item_promotion_discount", "item-promotion-discount", LOCAL_DECIMAL, required=False),
        Column("ship_promotion_discount", "ship-promotion-discount", LOCAL_DECIMAL, required=False),
        Column("ship_service_level", "ship-service-level", required=False),
        Column("carrier", "carrier", required=False),
        Column("estimated_arrival_date", "estimated-arrival-date", TIMESTAMP, required=False),
        Column("fulfillment_center_id", "fulfillment-center-id"),
        Column("fulfillment_channel", "fulfillment-channel", required=False),
        Column("sales_channel", "sales-channel", required=False),
        Column("points_granted", "points-granted", INT, required=False),  # JP files
    ),
    natural_key=("amazon_order_id", "shipment_id", "shipment_item_id"),
)

# §1.7. No buyer data by Amazon's description, but the ship-to city/state/postal code and the
# Brazilian CPF are not needed by any rule: only the listed columns are stored. Order and item
# status move until the order closes: latest snapshot per order line. Pending orders have no
# price yet (currency/item-price blank).
ALL_ORDERS = DocumentSpec(
    source="all_orders",
    title="All orders by order date (GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL)",
    report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    date_column="purchase_date",
    max_window_days=30,
    only_known_columns=True,
    columns=(
        Column("amazon_order_id", "amazon-order-id"),
        Column("merchant_order_id", "merchant-order-id", required=False),
        Column("purchase_date", "purchase-date", TIMESTAMP),
        Column("last_updated_date", "last-updated-date", TIMESTAMP),
        Column("order_status", "order-status"),
        Column("fulfillment_channel", "fulfillment-channel"),
        Column("sales_channel", "sales-channel", nullable=True),
        Column("order_channel", "order-channel", required=False),
        Column("ship_service_level", "ship-service-level", required=False),
        Column("product_name", "product-name", required=False),
        Column("sku", "sku"),
        Column("asin", "asin", required=False),
        Column("order_item_id", "order-item-id", required=False),
        # Blank on cancelled merchant-fulfilled lines (real files): the header is required, the
        # value is not.
        Column("item_status", "item-status", nullable=True),
        Column("quantity", "quantity", INT),
        Column("currency", "currency", nullable=True),
        Column("item_price", "item-price", LOCAL_DECIMAL, nullable=True),
        Column("item_tax", "item-tax", LOCAL_DECIMAL, required=False),
        Column("shipping_price", "shipping-price", LOCAL_DECIMAL, required=False),
        Column("shipping_tax", "shipping-tax", LOCAL_DECIMAL, required=False),
        Column("gift_wrap_price", "gift-wrap-price", LOCAL_DECIMAL, required=False),
        Column("gift_wrap_tax", "gift-wrap-tax", LOCAL_DECIMAL, required=False),
        Column("item_promotion_discount", "item-promotion-discount", LOCAL_DECIMAL, required=False),
        Column("ship_promotion_discount", "ship-promotion-discount", LOCAL_DECIMAL, required=False),
        Column("promotion_ids", "promotion-ids", required=False),
        Column("is_business_order", "is-business-order", required=False),
        Column("purchase_order_number", "purchase-order-number", required=False),
        Column("price_designation", "price-designation", required=False),
        Column(
            "signature_confirmation_recommended",
            "signature-confirmation-recommended",
            required=False,
        ),
    ),
    natural_key=("amazon_order_id", "sku"),
)

# §1.9. The help page calls the first column `removal-date`. One removal order can ship in
# several parcels (carriers/tracking numbers).
REMOVAL_SHIPMENTS = DocumentSpec(
    source="removal_shipments",
    title="Removal shipment detail (GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA)",
    report_type="GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA",
    date_column="shipment_date",
    columns=(
        Column("request_date", "request-date", TIMESTAMP, aliases=("removal-date",)),
        Column("order_id", "order-id", aliases=("removal-order-id",)),
        Column("shipment_date", "shipment-date", TIMESTAMP),
        Column("sku", "sku", required=False),
        Column("fnsku", "fnsku"),
        Column("disposition", "disposition"),
        Column("shipped_quantity", "shipped-quantity", INT),
        Column("carrier", "carrier", nullable=True),
        Column("tracking_number", "tracking-number", nullable=True),
        Column("removal_order_type", "removal-order-type"),
    ),
    natural_key=("order_id", "fnsku", "sku", "disposition", "carrier", "tracking_number"),
)

# §1.10. Columns differ by marketplace: the EU file's `expected-domestic-fulfilment-fee-per-unit`
# is the US `expected-fulfillment-fee-per-unit`. Amounts may be localised (EU): LOCAL_DECIMAL.
# A snapshot per SKU, refreshed every 72 h: latest snapshot per SKU and currency.
_FEE = LOCAL_DECIMAL
FEE_PREVIEW = DocumentSpec(
    source="fee_preview",
    title="Fee preview (GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA)",
    report_type="GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA",
    # Fees that do not apply (order handling, pick-pack in newer NA files, future fees) are `--`.
    null_values=("--",),
    columns=(
        Column("sku", "sku", aliases=("seller-sku",)),
        Column("fnsku", "fnsku"),
        Column("asin", "asin"),
        Column("amazon_store", "amazon-store", required=False),
        Column("product_name", "product-name", required=False),
        Column("product_group", "product-group", required=False),
        Column("brand", "brand", required=False),
        Column("fulfilled_by", "fulfilled-by", required=False),
        Column("has_local_inventory", "has-local-inventory", required=False),
        Column("your_price", "your-price", _FEE, required=False),
        Column("sales_price", "sales-price", _FEE, required=False),
        Column("longest_side", "longest-side", _FEE, required=False),
        Column("median_side", "median-side", _FEE, required=False),
        Column("shortest_side", "shortest-side", _FEE, required=False),
        Column("length_and_girth", "length-and-girth", _FEE, required=False),
        Column("unit_of_dimension", "unit-of-dimension", required=False),
        Column("item_package_weight", "item-package-weight", _FEE, required=False),
        Column("unit_of_weight", "unit-of-weight", required=False),
        Column("product_size_tier", "product-size-tier", required=False),
        Column("product_size_weight_band", "product-size-weight-band", required=False),
        Column("currency", "currency"),
        Column("estimated_fee_total", "estimated-fee-total", _FEE, nullable=True),
        Column(
            "estimated_referral_fee_per_unit",
            "estimated-referral-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column(
            "estimated_variable_closing_fee", "estimated-variable-closing-fee", _FEE, required=False
        ),
        Column(
            "estimated_order_handling_fee_per_order",
            "estimated-order-handling-fee-per-order",
            _FEE,
            required=False,
        ),
        Column(
            "estimated_pick_pack_fee_per_unit",
            "estimated-pick-pack-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column(
            "estimated_weight_handling_fee_per_unit",
            "estimated-weight-handling-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column(
            "expected_fulfillment_fee_per_unit",
            "expected-fulfillment-fee-per-unit",
            _FEE,
            aliases=("expected-domestic-fulfilment-fee-per-unit",),
            # Older NA (CA) layouts have no such column: the fee is then the pick-pack plus
            # weight-handling columns.
            required=False,
        ),
        *(
            Column(
                f"expected_efn_fulfilment_fee_per_unit_{cc}",
                f"expected-efn-fulfilment-fee-per-unit-{cc}",
                _FEE,
                required=False,
            )
            for cc in ("uk", "de", "fr", "it", "es", "se")
        ),
        Column(
            "estimated_future_fee",
            "estimated-future-fee (Current Selling on Amazon + Future Fulfillment fees)",
            _FEE,
            required=False,
            aliases=("estimated-future-fee",),  # the short spelling in third-party column lists
        ),
        Column(
            "estimated_future_order_handling_fee_per_order",
            "estimated-future-order-handling-fee-per-order",
            _FEE,
            required=False,
        ),
        Column(
            "estimated_future_pick_pack_fee_per_unit",
            "estimated-future-pick-pack-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column(
            "estimated_future_weight_handling_fee_per_unit",
            "estimated-future-weight-handling-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column(
            "expected_future_fulfillment_fee_per_unit",
            "expected-future-fulfillment-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column(
            "estimated_future_referral_fee_per_unit",
            "estimated-future-referral-fee-per-unit",
            _FEE,
            required=False,
        ),
        Column("current_fee_category", "current-fee-category", required=False),
        Column("future_fee_category", "future-fee-category", required=False),
        # Format UNCONFIRMED: kept as the text Amazon sent.
        Column(
            "future_fee_category_effective_date",
            "future-fee-category-effective-date",
            required=False,
        ),
    ),
    natural_key=("sku", "fnsku", "asin", "currency", "amazon_store"),
)

# §1.11. Columns drift (Airbyte changed the schema in 2024): only what a storage-fee rule needs
# is required; everything else is optional. month_of_charge format UNCONFIRMED (YYYY-MM likely):
# MONTH accepts YYYY-MM, YYYY-MM-DD and MM/YYYY. Estimates are revised: latest snapshot.
STORAGE_FEES = DocumentSpec(
    source="storage_fees",
    title="Monthly storage fees (GET_FBA_STORAGE_FEE_CHARGES_DATA)",
    report_type="GET_FBA_STORAGE_FEE_CHARGES_DATA",
    date_column="month_of_charge",
    columns=(
        Column("asin", "asin"),
        Column("fnsku", "fnsku"),
        Column("sku", "sku", required=False),
        Column("product_name", "product_name", required=False),
        Column("fulfillment_center", "fulfillment_center"),
        Column("country_code", "country_code", required=False),
        Column("longest_side", "longest_side", LOCAL_DECIMAL, required=False),
        Column("median_side", "median_side", LOCAL_DECIMAL, required=False),
        Column("shortest_side", "shortest_side", LOCAL_DECIMAL, required=False),
        Column("measurement_units", "measurement_units", required=False),
        Column("weight", "weight", LOCAL_DECIMAL, required=False),
        Column("weight_units", "weight_units", required=False),
        Column("item_volume", "item_volume", LOCAL_DECIMAL),
        Column("volume_units", "volume_units", required=False),
        Column("product_size_tier", "product_size_tier", required=False),
        Column("average_quantity_on_hand", "average_quantity_on_hand", LOCAL_DECIMAL),
        Column(
            "average_quantity_pending_removal",
            "average_quantity_pending_removal",
            LOCAL_DECIMAL,
            required=False,
        ),
        Column(
            "estimated_total_item_volume",
            "estimated_total_item_volume",
            LOCAL_DECIMAL,
            required=False,
        ),
        Column("month_of_charge", "month_of_charge", MONTH),
        Column("storage_rate", "storage_rate", LOCAL_DECIMAL),
        Column("currency", "currency"),
        Column("estimated_monthly_storage_fee", "estimated_monthly_storage_fee", LOCAL_DECIMAL),
        Column("dangerous_goods_storage_type", "dangerous_goods_storage_type", required=False),
        Column(
            "eligible_for_inventory_discount", "eligible_for_inventory_discount", required=False
        ),
        Column(
            "qualifies_for_inventory_discount", "qualifies_for_inventory_discount", required=False
        ),
        Column(
            "total_incentive_fee_amount",
            "total_incentive_fee_amount",
            LOCAL_DECIMAL,
            required=False,
        ),
        Column("breakdown_incentive_fee_amount", "breakdown_incentive_fee_amount", required=False),
        Column(
            "average_quantity_customer_orders",
            "average_quantity_customer_orders",
            LOCAL_DECIMAL,
            required=False,
        ),
        # Ratio and its units: format UNCONFIRMED, kept as text.
        Column("storage_utilization_ratio", "storage_utilization_ratio", required=False),
        Column(
            "storage_utilization_ratio_units", "storage_utilization_ratio_units", required=False
        ),
        Column("base_rate", "base_rate", LOCAL_DECIMAL, required=False),
        Column(
            "utilization_surcharge_rate",
            "utilization_surcharge_rate",
            LOCAL_DECIMAL,
            required=False,
        ),
        Column("avg_qty_for_sus", "avg_qty_for_sus", LOCAL_DECIMAL, required=False),
        Column("est_vol_for_sus", "est_vol_for_sus", LOCAL_DECIMAL, required=False),
        Column("est_base_msf", "est_base_msf", LOCAL_DECIMAL, required=False),
        Column("est_sus", "est_sus", LOCAL_DECIMAL, required=False),
    ),
    natural_key=("month_of_charge", "asin", "fnsku", "fulfillment_center", "country_code"),
)

# §1.12. One row per amount component; the first data row is the settlement's summary row
# (settlement-id, dates, total-amount, currency only), which lands like any other row
# (transaction columns empty) and is flagged by staging. Dates and amounts are localised: decided
# per document from the values seen. A settlement is immutable once closed: re-downloads replace
# it whole (natural key: the settlement).
_LTS = LOCAL_TIMESTAMP
SETTLEMENTS = DocumentSpec(
    source="settlements",
    title="Settlement report V2 (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2)",
    report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2",
    date_column="posted_date",
    columns=(
        Column("settlement_id", "settlement-id"),
        Column("settlement_start_date", "settlement-start-date", _LTS, nullable=True),
        Column("settlement_end_date", "settlement-end-date", _LTS, nullable=True),
        Column("deposit_date", "deposit-date", _LTS, nullable=True),
        Column("total_amount", "total-amount", LOCAL_DECIMAL, nullable=True),
        Column("currency", "currency", nullable=True),
        Column("transaction_type", "transaction-type", nullable=True),
        Column("order_id", "order-id", nullable=True),
        Column("merchant_order_id", "merchant-order-id", required=False),
        Column("adjustment_id", "adjustment-id", required=False),
        Column("shipment_id", "shipment-id", required=False),
        Column("marketplace_name", "marketplace-name", required=False),
        Column("amount_type", "amount-type", nullable=True),
        Column("amount_description", "amount-description", nullable=True),
        Column("amount", "amount", LOCAL_DECIMAL, nullable=True),
        Column("fulfillment_id", "fulfillment-id", required=False),
        Column("posted_date", "posted-date", _LTS, nullable=True),
        Column("posted_date_time", "posted-date-time", _LTS, required=False),
        Column("order_item_code", "order-item-code", required=False),
        Column("merchant_order_item_id", "merchant-order-item-id", required=False),
        Column("merchant_adjustment_item_id", "merchant-adjustment-item-id", required=False),
        Column("sku", "sku", nullable=True),
        Column("quantity_purchased", "quantity-purchased", INT, required=False),
        Column("promotion_id", "promotion-id", required=False),
    ),
    natural_key=("settlement_id",),
)

# Settlement flat file V1 (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE): removed from the API on
# 2026-11-11 (policy-2026.md §1), but sellers hold years of Seller Central downloads. No
# amount-type/amount-description: each row carries its amount in one of several type/amount column
# pairs (price, item-related fee, promotion, shipment fee, order fee, direct payment) or in
# misc-fee-amount, other-fee-amount or other-amount; a row may carry only quantity-purchased.
# Staging (stg_amazon__settlements_v1) turns each amount into a V2-vocabulary line. The first
# data row is the summary row, as in V2. Columns: Amazon's field definitions for the flat file
# settlement report (36 columns; dates ISO-8601 with offset, e.g. 2003-10-03T16:00:00-07:00).
# Dates and amounts are read like V2 (localised files tolerated).
SETTLEMENTS_V1 = DocumentSpec(
    source="settlements_v1",
    title="Settlement report V1 flat file (GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE)",
    report_type="GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE",
    date_column="posted_date",
    columns=(
        Column("settlement_id", "settlement-id"),
        Column("settlement_start_date", "settlement-start-date", _LTS, required=False),
        Column("settlement_end_date", "settlement-end-date", _LTS, required=False),
        Column("deposit_date", "deposit-date", _LTS, required=False),
        Column("total_amount", "total-amount", LOCAL_DECIMAL, required=False),
        Column("currency", "currency", required=False),
        Column("transaction_type", "transaction-type", nullable=True),
        Column("order_id", "order-id", required=False),
        Column("merchant_order_id", "merchant-order-id", required=False),
        Column("adjustment_id", "adjustment-id", required=False),
        Column("shipment_id", "shipment-id", required=False),
        Column("marketplace_name", "marketplace-name", required=False),
        Column("shipment_fee_type", "shipment-fee-type", required=False),
        Column("shipment_fee_amount", "shipment-fee-amount", LOCAL_DECIMAL, required=False),
        Column("order_fee_type", "order-fee-type", required=False),
        Column("order_fee_amount", "order-fee-amount", LOCAL_DECIMAL, required=False),
        Column("fulfillment_id", "fulfillment-id", required=False),
        Column("posted_date", "posted-date", _LTS, required=False),
        Column("order_item_code", "order-item-code", required=False),
        Column("merchant_order_item_id", "merchant-order-item-id", required=False),
        Column("merchant_adjustment_item_id", "merchant-adjustment-item-id", required=False),
        Column("sku", "sku", required=False),
        Column("quantity_purchased", "quantity-purchased", INT, required=False),
        # The pairs that make a file V1 (V2 has none of them): required headers, blank values.
        Column("price_type", "price-type", nullable=True),
        Column("price_amount", "price-amount", LOCAL_DECIMAL, nullable=True),
        Column("item_related_fee_type", "item-related-fee-type", nullable=True),
        Column("item_related_fee_amount", "item-related-fee-amount", LOCAL_DECIMAL, nullable=True),
        Column("misc_fee_amount", "misc-fee-amount", LOCAL_DECIMAL, required=False),
        Column("other_fee_amount", "other-fee-amount", LOCAL_DECIMAL, required=False),
        Column("other_fee_reason_description", "other-fee-reason-description", required=False),
        Column("promotion_id", "promotion-id", required=False),
        Column("promotion_type", "promotion-type", required=False),
        Column("promotion_amount", "promotion-amount", LOCAL_DECIMAL, required=False),
        Column("direct_payment_type", "direct-payment-type", required=False),
        Column("direct_payment_amount", "direct-payment-amount", LOCAL_DECIMAL, required=False),
        Column("other_amount", "other-amount", LOCAL_DECIMAL, required=False),
    ),
    natural_key=("settlement_id",),
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

# SP-API JSON APIs, flattened to rows by extractors.reports.api_documents (the saved JSON pages
# are the kept original). Headers are our own canonical names (there is no Amazon flat file).

# Finances v0 listFinancialEvents (sp-api-client.md §4): one row per money component of an event
# (item charge, item fee, charge/fee adjustment on a refund, withheld tax, promotion, or the
# item of an AdjustmentEvent). Money arrives as JSON numbers and is read as Decimal.
FINANCIAL_EVENTS = DocumentSpec(
    source="financial_events",
    title="Finances v0 financial events (listFinancialEvents)",
    date_column="posted_date",
    max_window_days=180,
    columns=(
        Column("event_id", "event_id"),
        Column("line_no", "line_no", INT),
        Column("event_list", "event_list"),
        Column("posted_date", "posted_date", TIMESTAMP, nullable=True),
        Column("amazon_order_id", "amazon_order_id", required=False),
        Column("seller_order_id", "seller_order_id", required=False),
        Column("marketplace_name", "marketplace_name", required=False),
        Column("seller_sku", "seller_sku", required=False),
        Column("fnsku", "fnsku", required=False),
        Column("asin", "asin", required=False),
        Column("order_item_id", "order_item_id", required=False),
        Column("order_adjustment_item_id", "order_adjustment_item_id", required=False),
        Column("quantity", "quantity", INT, required=False),
        Column("adjustment_type", "adjustment_type", required=False),
        Column("component", "component"),
        Column("amount_type", "amount_type", required=False),
        Column("amount", "amount", DECIMAL, nullable=True),
        Column("currency", "currency", required=False),
    ),
    natural_key=("event_id", "line_no"),
)

# Finances v2024-06-19 listTransactions (policy-2026.md §1; model sp-api-models/
# finances_2024-06-19.json): one row per leaf breakdown of each item of a transaction (of the
# transaction itself when it has no items); an item without breakdowns is one row of its
# totalAmount, a transaction without items or breakdowns one row of its totalAmount (breakdown
# path and type then empty). Money arrives as JSON numbers and is read as Decimal.
FINANCE_TRANSACTIONS = DocumentSpec(
    source="finance_transactions",
    title="Finances v2024-06-19 transactions (listTransactions)",
    date_column="posted_date",
    max_window_days=180,
    columns=(
        Column("transaction_id", "transaction_id"),
        Column("line_no", "line_no", INT),
        Column("transaction_type", "transaction_type"),
        Column("transaction_status", "transaction_status", required=False),
        Column("posted_date", "posted_date", TIMESTAMP),
        Column("marketplace_id", "marketplace_id", required=False),
        Column("amazon_order_id", "amazon_order_id", required=False),
        Column("shipment_id", "shipment_id", required=False),
        Column("refund_id", "refund_id", required=False),
        Column("financial_event_group_id", "financial_event_group_id", required=False),
        Column("order_adjustment_item_id", "order_adjustment_item_id", required=False),
        Column("seller_sku", "seller_sku", required=False),
        Column("asin", "asin", required=False),
        Column("quantity", "quantity", INT, required=False),
        Column("fulfillment_network", "fulfillment_network", required=False),
        Column("item_description", "item_description", required=False),
        Column("breakdown_path", "breakdown_path", nullable=True),
        Column("breakdown_type", "breakdown_type", nullable=True),
        Column("amount", "amount", DECIMAL),
        Column("currency", "currency"),
    ),
    natural_key=("transaction_id", "line_no"),
)

# FBA Inbound v0 getShipments + getShipmentItemsByShipmentId (sp-api-client.md §5): rows of two
# kinds, whatever file they come in (a seller saves one API call per file: the shipment list in
# one, each shipment's items in another). record_type 'shipment': one row per ShipmentData entry
# (status, name, destination; item columns empty). record_type 'item': one row per ItemData
# entry, with its shipment's columns when the same document lists the shipment, empty otherwise.
# dbt joins items to the latest known status of their shipment across all files
# (int_inbound_shipment_items), so items whose shipment list is not loaded yet wait for it.
INBOUND_SHIPMENT_ITEMS = DocumentSpec(
    source="inbound_shipment_items",
    title="FBA Inbound v0 shipments and items (getShipments, getShipmentItemsByShipmentId)",
    max_window_days=90,
    columns=(
        Column("record_type", "record_type"),
        Column("shipment_id", "shipment_id"),
        Column("shipment_name", "shipment_name", required=False),
        Column("shipment_status", "shipment_status", nullable=True),
        Column(
            "destination_fulfillment_center_id", "destination_fulfillment_center_id", required=False
        ),
        Column("seller_sku", "seller_sku", nullable=True),
        Column("fnsku", "fnsku", required=False),
        Column("quantity_shipped", "quantity_shipped", INT, nullable=True),
        Column("quantity_received", "quantity_received", INT, nullable=True),
        Column("quantity_in_case", "quantity_in_case", INT, required=False),
        Column("release_date", "release_date", required=False),
    ),
    natural_key=("record_type", "shipment_id", "seller_sku"),
)

SPECS: tuple[DocumentSpec, ...] = (
    LEDGER_DETAIL,
    LEDGER_SUMMARY,
    REIMBURSEMENTS,
    CUSTOMER_RETURNS,
    FULFILLED_SHIPMENTS,
    ALL_ORDERS,
    REMOVAL_ORDERS,
    REMOVAL_SHIPMENTS,
    FEE_PREVIEW,
    STORAGE_FEES,
    SETTLEMENTS,
    SETTLEMENTS_V1,
    FINANCIAL_EVENTS,
    FINANCE_TRANSACTIONS,
    INBOUND_SHIPMENT_ITEMS,
    PRODUCT_MASTER,
)
BY_SOURCE = {s.source: s for s in SPECS}
BY_REPORT_TYPE = {s.report_type: s for s in SPECS if s.report_type}


@dataclass(frozen=True)
class OtherReport:
    """A report fba-reclaim does not read, known by its header so that a file of it is named for
    what it is (not as a broken file of a report it resembles). `signature`: groups of header
    spellings; every group must be present."""

    title: str
    signature: tuple[tuple[str, ...], ...]
    status: str
    instead: str

    def matches(self, present: set[str]) -> bool:
        return all({header_key(h) for h in group} & present for group in self.signature)


_LEDGER = "the Inventory Ledger (GET_LEDGER_DETAIL_VIEW_DATA, detailed view)"
_RETIRED = "retired by Amazon on 31 Jan 2023 (amazon-reports.md §0)"
# amazon-reports.md §0 (deprecations), §1.5 (adjustments, receipts), §1.11 (long-term storage),
# §1.15 (replacements, inbound non-compliance). Event detail, daily and monthly inventory history
# headers are MWS-era column lists (UNCONFIRMED beyond the columns used here).
OTHER_REPORTS: tuple[OtherReport, ...] = (
    OtherReport(
        "Inventory Adjustments (GET_FBA_FULFILLMENT_INVENTORY_ADJUSTMENTS_DATA)",
        (("adjusted-date", "adjustment-date"), ("transaction-item-id",), ("reason",)),
        _RETIRED,
        f"{_LEDGER}: its Adjustments events carry the reason codes",
    ),
    OtherReport(
        "Inventory Receipts (GET_FBA_FULFILLMENT_INVENTORY_RECEIPTS_DATA)",
        (("received-date",), ("fba-shipment-id",), ("fnsku",)),
        _RETIRED,
        f"{_LEDGER}: its Receipts events",
    ),
    OtherReport(
        "Inventory Event Detail (GET_FBA_FULFILLMENT_INVENTORY_SUMMARY_DATA)",
        (("snapshot-date",), ("transaction-type",), ("fnsku",), ("disposition",)),
        _RETIRED,
        _LEDGER,
    ),
    OtherReport(
        "Daily Inventory History (GET_FBA_FULFILLMENT_CURRENT_INVENTORY_DATA)",
        (("snapshot-date",), ("fnsku",), ("detailed-disposition",), ("quantity",)),
        _RETIRED,
        "the Inventory Ledger summary view (GET_LEDGER_SUMMARY_VIEW_DATA), daily",
    ),
    OtherReport(
        "Monthly Inventory History (GET_FBA_FULFILLMENT_MONTHLY_INVENTORY_DATA)",
        (("month",), ("fnsku",), ("average-quantity",), ("end-quantity",)),
        _RETIRED,
        "the Inventory Ledger summary view (GET_LEDGER_SUMMARY_VIEW_DATA), monthly",
    ),
    OtherReport(
        "Long-term storage fees (GET_FBA_FULFILLMENT_LONGTERM_STORAGE_FEE_CHARGES_DATA)",
        (("qty-charged",), ("amount-charged",), ("surcharge-age-tier",)),
        "not read by fba-reclaim (no claim rule uses it)",
        "the monthly storage fees report (GET_FBA_STORAGE_FEE_CHARGES_DATA) for storage-fee checks",
    ),
    OtherReport(
        "Replacements (GET_FBA_FULFILLMENT_CUSTOMER_SHIPMENT_REPLACEMENT_DATA)",
        (("replacement-reason-code",), ("original-amazon-order-id",)),
        "not read by fba-reclaim (no claim rule uses it yet)",
        "the customer returns report (GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA) for returns",
    ),
    OtherReport(
        "Inbound performance / non-compliance (GET_FBA_FULFILLMENT_INBOUND_NONCOMPLIANCE_DATA)",
        (("problem-type",), ("problem-quantity",), ("fba-shipment-id",)),
        "not read by fba-reclaim (no claim rule uses it)",
        "the FBA Inbound API shipments (saved JSON) for inbound shortfalls",
    ),
    # Seller Central Payments > Reports Repository, "Transaction" date range report: a
    # localised CSV (headers in the seller's language, found in public code for EN, DE, FR, IT,
    # ES; the preamble lines real downloads have before the header are UNCONFIRMED and not
    # recognised here).
    OtherReport(
        "Seller Central's date range (transaction) report",
        (
            ("date/time", "datum/uhrzeit", "date/heure", "data/ora:", "fecha y hora"),
            (
                "order id",
                "bestellnummer",
                "product sales",
                "ventes de produits",
                "vendite",
                "ventas de productos",
            ),
        ),
        "not read by fba-reclaim (a summary per transaction, in the seller's language)",
        "the flat-file settlement reports (V2, or V1 for older periods) and the Finances API",
    ),
    OtherReport(
        "an XML report (e.g. the XML settlement report, GET_V2_SETTLEMENT_REPORT_DATA_XML)",
        (("<?xml",),),
        "not read: fba-reclaim reads flat files; Amazon removed the XML settlement report from "
        "the API on 2026-11-11 (policy-2026.md §1)",
        "the flat-file settlement report of the same period (V2, or V1 for older periods)",
    ),
)


def other_report(headers: list[str]) -> str | None:
    """What a file no spec accepts is, when it is a report fba-reclaim knows but does not read
    (retired by Amazon, or used by no rule): its name, why it is not read and what to use
    instead. None otherwise."""
    present = {header_key(h) for h in headers}
    if headers and headers[0].lstrip("\ufeff").lstrip().startswith(("<?xml", "<AmazonEnvelope")):
        present.add(header_key("<?xml"))
    for report in OTHER_REPORTS:
        if report.matches(present):
            return (
                f"this is {report.title}, {report.status}; fba-reclaim does not read it. "
                f"Use {report.instead}."
            )
    return None


def detect(headers: list[str]) -> DocumentSpec | None:
    """The spec whose required columns are all in `headers`; the best-covered one when several
    qualify (most of the file's headers explained, then the larger share of the spec's own
    columns present). None when nothing fits.

    Several reports share column names (removal order detail, removal shipment detail and the
    order reports all have order ids, sku, dates...); required columns are chosen so that each
    report's own header satisfies only its spec (tests/extractors/test_report_types.py)."""
    keys = [header_key(h) for h in headers]
    present = set(keys)
    best: tuple[tuple[int, float], DocumentSpec] | None = None
    for spec in SPECS:
        if all(c.header_keys() & present for c in spec.required):
            known = set().union(*(c.header_keys() for c in spec.columns))
            explained = sum(1 for k in keys if k in known)
            covered = sum(1 for c in spec.columns if c.header_keys() & present) / len(spec.columns)
            score = (explained, covered)
            if best is None or score > best[0]:
                best = (score, spec)
    return best[1] if best else None


def nearest(headers: list[str]) -> tuple[DocumentSpec, list[Column]] | None:
    """For a header no spec accepts: the spec it most likely was meant to be (at least half of
    that spec's required columns present) and the required columns it lacks, so the error can
    name them. None when nothing is close."""
    present = {header_key(h) for h in headers}
    best: tuple[float, DocumentSpec, list[Column]] | None = None
    for spec in SPECS:
        missing = [c for c in spec.required if not c.header_keys() & present]
        share = 1 - len(missing) / len(spec.required)
        if missing and share >= 0.5 and (best is None or share > best[0]):
            best = (share, spec, missing)
    return (best[1], best[2]) if best else None
