"""The sandbox's report catalogue: what the simulator writes and the emulator serves.

One entry per report type. The simulator renders each entry to `<seller_id>/<file_name>`; the
emulator serves the rows of that file whose `date_column` falls in a report request's
[dataStartTime, dataEndTime). Adding a report type to the sandbox is adding an entry here and a
renderer in `simulator.RENDERERS`; the emulator needs no change.

Formats follow ../shared/reference/amazon-reports.md (§1.1 ledger detail, §1.3 reimbursements,
§1.4 customer returns, §1.6 fulfilled shipments, §1.7 all orders, §1.8 removal order detail, §1.9
removal shipment detail, §1.10 fee preview, §1.11 storage fees, §1.12 settlement V2).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime


def _ledger_date(value: str) -> datetime:
    """Ledger `Date` is MM/DD/YYYY (the FC's local calendar day); windows compare it as UTC
    midnight of that day."""
    month, day, year = value.split("/")
    return datetime(int(year), int(month), int(day), tzinfo=UTC)


def _iso_datetime(value: str) -> datetime:
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _month(value: str) -> datetime:
    """`month_of_charge` YYYY-MM: the first day of the month, UTC."""
    year, month = value[:7].split("-")
    return datetime(int(year), int(month), 1, tzinfo=UTC)


@dataclass(frozen=True)
class SandboxReport:
    """`date_column` None: a snapshot report (fee preview) served whole for any window."""

    report_type: str
    file_name: str
    columns: tuple[str, ...]
    date_column: str | None
    parse_date: Callable[[str], datetime] | None

    @property
    def header(self) -> str:
        return "\t".join(self.columns)


LEDGER_DETAIL = SandboxReport(
    report_type="GET_LEDGER_DETAIL_VIEW_DATA",
    file_name="GET_LEDGER_DETAIL_VIEW_DATA.tsv",
    columns=(
        "Date",
        "FNSKU",
        "ASIN",
        "MSKU",
        "Title",
        "Event Type",
        "Reference ID",
        "Quantity",
        "Fulfillment Center",
        "Disposition",
        "Reason",
        "Country",
        "Reconciled Quantity",
        "Unreconciled Quantity",
        "Date and Time",
    ),
    date_column="Date",
    parse_date=_ledger_date,
)

REIMBURSEMENTS = SandboxReport(
    report_type="GET_FBA_REIMBURSEMENTS_DATA",
    file_name="GET_FBA_REIMBURSEMENTS_DATA.tsv",
    columns=(
        "approval-date",
        "reimbursement-id",
        "case-id",
        "amazon-order-id",
        "reason",
        "sku",
        "fnsku",
        "asin",
        "product-name",
        "condition",
        "currency-unit",
        "amount-per-unit",
        "amount-total",
        "quantity-reimbursed-cash",
        "quantity-reimbursed-inventory",
        "quantity-reimbursed-total",
        "original-reimbursement-id",
        "original-reimbursement-type",
    ),
    date_column="approval-date",
    parse_date=_iso_datetime,
)

# §1.8. Rows are updated in place (status, quantities, last-updated-date); a pull sees the rows
# updated within its window, as Airbyte's cursor on last-updated-date assumes.
REMOVAL_ORDER_DETAIL = SandboxReport(
    report_type="GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA",
    file_name="GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA.tsv",
    columns=(
        "request-date",
        "order-id",
        "order-source",
        "order-type",
        "service-speed",
        "order-status",
        "last-updated-date",
        "sku",
        "fnsku",
        "disposition",
        "requested-quantity",
        "cancelled-quantity",
        "disposed-quantity",
        "shipped-quantity",
        "in-process-quantity",
        "removal-fee",
        "currency",
    ),
    date_column="last-updated-date",
    parse_date=_iso_datetime,
)

# §1.9. One row per parcel; a pull sees the parcels shipped within its window.
REMOVAL_SHIPMENT_DETAIL = SandboxReport(
    report_type="GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA",
    file_name="GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA.tsv",
    columns=(
        "request-date",
        "order-id",
        "shipment-date",
        "sku",
        "fnsku",
        "disposition",
        "shipped-quantity",
        "carrier",
        "tracking-number",
        "removal-order-type",
    ),
    date_column="shipment-date",
    parse_date=_iso_datetime,
)

# §1.4. Rows appear when posted (returns are back-posted: a row's return-date can be days
# before it first shows up); a pull sees the rows whose return-date is in its window.
CUSTOMER_RETURNS = SandboxReport(
    report_type="GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
    file_name="GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA.tsv",
    columns=(
        "return-date",
        "order-id",
        "sku",
        "asin",
        "fnsku",
        "product-name",
        "quantity",
        "fulfillment-center-id",
        "detailed-disposition",
        "reason",
        "status",
        "license-plate-number",
        "customer-comments",
    ),
    date_column="return-date",
    parse_date=_iso_datetime,
)

# §1.6: the 48 MWS/SP-API-era columns. Buyer and address columns are blank (restricted data).
FULFILLED_SHIPMENTS = SandboxReport(
    report_type="GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL",
    file_name="GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL.tsv",
    columns=tuple(
        [
            "amazon-order-id",
            "merchant-order-id",
            "shipment-id",
            "shipment-item-id",
            "amazon-order-item-id",
            "merchant-order-item-id",
            "purchase-date",
            "payments-date",
            "shipment-date",
            "reporting-date",
            "buyer-email",
            "buyer-name",
            "buyer-phone-number",
            "sku",
            "product-name",
            "quantity-shipped",
            "currency",
            "item-price",
            "item-tax",
            "shipping-price",
            "shipping-tax",
            "gift-wrap-price",
            "gift-wrap-tax",
            "ship-service-level",
            "recipient-name",
            "ship-address-1",
            "ship-address-2",
            "ship-address-3",
            "ship-city",
            "ship-state",
            "ship-postal-code",
            "ship-country",
            "ship-phone-number",
            "bill-address-1",
            "bill-address-2",
            "bill-address-3",
            "bill-city",
            "bill-state",
            "bill-postal-code",
            "bill-country",
            "item-promotion-discount",
            "ship-promotion-discount",
            "carrier",
            "tracking-number",
            "estimated-arrival-date",
            "fulfillment-center-id",
            "fulfillment-channel",
            "sales-channel",
        ]
    ),
    date_column="shipment-date",
    parse_date=_iso_datetime,
)

# §1.7 (official attribute list plus `signature-confirmation-recommended`).
ALL_ORDERS = SandboxReport(
    report_type="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL",
    file_name="GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL.tsv",
    columns=tuple(
        [
            "amazon-order-id",
            "merchant-order-id",
            "purchase-date",
            "last-updated-date",
            "order-status",
            "fulfillment-channel",
            "sales-channel",
            "order-channel",
            "ship-service-level",
            "product-name",
            "sku",
            "asin",
            "item-status",
            "quantity",
            "currency",
            "item-price",
            "item-tax",
            "shipping-price",
            "shipping-tax",
            "gift-wrap-price",
            "gift-wrap-tax",
            "item-promotion-discount",
            "ship-promotion-discount",
            "ship-city",
            "ship-state",
            "ship-postal-code",
            "ship-country",
            "promotion-ids",
            "cpf",
            "is-business-order",
            "purchase-order-number",
            "price-designation",
            "signature-confirmation-recommended",
        ]
    ),
    date_column="purchase-date",
    parse_date=_iso_datetime,
)

# §1.10, US variant (with the future-fee columns). A snapshot of now: served whole.
FEE_PREVIEW_US = SandboxReport(
    report_type="GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA",
    file_name="GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA.tsv",
    columns=(
        *[
            "sku",
            "fnsku",
            "asin",
            "product-name",
            "product-group",
            "brand",
            "fulfilled-by",
            "your-price",
            "sales-price",
            "longest-side",
            "median-side",
            "shortest-side",
            "length-and-girth",
            "unit-of-dimension",
            "item-package-weight",
            "unit-of-weight",
            "product-size-tier",
            "currency",
            "estimated-fee-total",
            "estimated-referral-fee-per-unit",
            "estimated-variable-closing-fee",
            "estimated-order-handling-fee-per-order",
            "estimated-pick-pack-fee-per-unit",
            "estimated-weight-handling-fee-per-unit",
            "expected-fulfillment-fee-per-unit",
        ],
        "estimated-future-fee (Current Selling on Amazon + Future Fulfillment fees)",
        *[
            "estimated-future-order-handling-fee-per-order",
            "estimated-future-pick-pack-fee-per-unit",
            "estimated-future-weight-handling-fee-per-unit",
            "expected-future-fulfillment-fee-per-unit",
            "estimated-future-referral-fee-per-unit",
            "current-fee-category",
            "future-fee-category",
            "future-fee-category-effective-date",
        ],
    ),
    date_column=None,
    parse_date=None,
)
# §1.10, EU variant (the UK marketplace): centimetres/kilograms, size-weight band, domestic and
# EFN fees. Same report type and file name; the simulator picks the variant per marketplace.
FEE_PREVIEW_EU = SandboxReport(
    report_type=FEE_PREVIEW_US.report_type,
    file_name=FEE_PREVIEW_US.file_name,
    columns=tuple(
        [
            "sku",
            "fnsku",
            "asin",
            "product-name",
            "product-group",
            "brand",
            "fulfilled-by",
            "has-local-inventory",
            "your-price",
            "sales-price",
            "longest-side",
            "median-side",
            "shortest-side",
            "length-and-girth",
            "unit-of-dimension",
            "item-package-weight",
            "unit-of-weight",
            "product-size-weight-band",
            "currency",
            "estimated-fee-total",
            "estimated-referral-fee-per-unit",
            "estimated-variable-closing-fee",
            "expected-domestic-fulfilment-fee-per-unit",
            "expected-efn-fulfilment-fee-per-unit-uk",
            "expected-efn-fulfilment-fee-per-unit-de",
            "expected-efn-fulfilment-fee-per-unit-fr",
            "expected-efn-fulfilment-fee-per-unit-it",
            "expected-efn-fulfilment-fee-per-unit-es",
            "expected-efn-fulfilment-fee-per-unit-se",
        ]
    ),
    date_column=None,
    parse_date=None,
)

# §1.11 (snake_case headers; month_of_charge YYYY-MM). A pull sees the months whose first day
# is in its window.
STORAGE_FEES = SandboxReport(
    report_type="GET_FBA_STORAGE_FEE_CHARGES_DATA",
    file_name="GET_FBA_STORAGE_FEE_CHARGES_DATA.tsv",
    columns=tuple(
        [
            "asin",
            "fnsku",
            "product_name",
            "fulfillment_center",
            "country_code",
            "longest_side",
            "median_side",
            "shortest_side",
            "measurement_units",
            "weight",
            "weight_units",
            "item_volume",
            "volume_units",
            "product_size_tier",
            "average_quantity_on_hand",
            "average_quantity_pending_removal",
            "estimated_total_item_volume",
            "month_of_charge",
            "storage_rate",
            "currency",
            "estimated_monthly_storage_fee",
            "dangerous_goods_storage_type",
            "eligible_for_inventory_discount",
            "qualifies_for_inventory_discount",
            "total_incentive_fee_amount",
            "breakdown_incentive_fee_amount",
            "average_quantity_customer_orders",
        ]
    ),
    date_column="month_of_charge",
    parse_date=_month,
)

REPORTS: dict[str, SandboxReport] = {
    r.report_type: r
    for r in (
        LEDGER_DETAIL,
        REIMBURSEMENTS,
        REMOVAL_ORDER_DETAIL,
        REMOVAL_SHIPMENT_DETAIL,
        CUSTOMER_RETURNS,
        FULFILLED_SHIPMENTS,
        ALL_ORDERS,
        FEE_PREVIEW_US,
        STORAGE_FEES,
    )
}

# §1.12. Settlement reports cannot be requested (createReport refuses them); Amazon generates
# one per settlement period and lists them with getReports. The simulator writes one file per
# settlement into SETTLEMENT_DIR (localised dates and amounts per marketplace).
SETTLEMENT_REPORT_TYPE = "GET_V2_SETTLEMENT_REPORT_DATA_FLAT_FILE_V2"
SETTLEMENT_DIR = "settlements"
SETTLEMENT_COLUMNS = tuple(
    [
        "settlement-id",
        "settlement-start-date",
        "settlement-end-date",
        "deposit-date",
        "total-amount",
        "currency",
        "transaction-type",
        "order-id",
        "merchant-order-id",
        "adjustment-id",
        "shipment-id",
        "marketplace-name",
        "amount-type",
        "amount-description",
        "amount",
        "fulfillment-id",
        "posted-date",
        "posted-date-time",
        "order-item-code",
        "merchant-order-item-id",
        "merchant-adjustment-item-id",
        "sku",
        "quantity-purchased",
        "promotion-id",
    ]
)

PRODUCT_MASTER_FILE = "product_master.csv"
PRODUCT_MASTER_COLUMNS = (
    "sku",
    "unit_cost",
    "currency",
    "length_in",
    "width_in",
    "height_in",
    "weight_lb",
)
GROUND_TRUTH_FILE = "ground_truth.csv"
GROUND_TRUTH_COLUMNS = (
    "claim_type",
    "seller_id",
    "marketplace_id",
    "fnsku",
    "sku",
    "asin",
    "order_id",
    "shipment_id",
    "removal_order_id",
    "reference_id",
    "fulfillment_center_id",
    "event_date",
    "quantity",
    "unit_value",
    "amount",
    "currency",
    "eligible_from",
    "deadline",
    "status",
)
SCENARIO_FILE = "scenario.json"
