"""The sandbox's report catalogue: what the simulator writes and the emulator serves.

One entry per report type. The simulator renders each entry to `<seller_id>/<file_name>`; the
emulator serves the rows of that file whose `date_column` falls in a report request's
[dataStartTime, dataEndTime). Adding a report type to the sandbox is adding an entry here and a
renderer in `simulator.RENDERERS`; the emulator needs no change.

Formats follow ../shared/reference/amazon-reports.md (§1.1 ledger detail, §1.3 reimbursements,
§1.8 removal order detail).
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


@dataclass(frozen=True)
class SandboxReport:
    report_type: str
    file_name: str
    columns: tuple[str, ...]
    date_column: str
    parse_date: Callable[[str], datetime]

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

REPORTS: dict[str, SandboxReport] = {
    r.report_type: r for r in (LEDGER_DETAIL, REIMBURSEMENTS, REMOVAL_ORDER_DETAIL)
}

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
