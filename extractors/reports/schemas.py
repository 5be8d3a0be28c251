"""pandera schemas: what a typed frame must satisfy before it is landed.

Types come from the parser; these models check the semantics the reference confirms (value sets,
signs, non-empty keys). They run lazily, and each failing row goes to quarantine with the field and
the check that failed instead of failing the document.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from extractors.reports.catalog import (
    LEDGER_DETAIL,
    PRODUCT_MASTER,
    REIMBURSEMENTS,
    REMOVAL_ORDERS,
)

# amazon-reports.md §1.1 (confirmed by [S3] and [S10 #4747]).
LEDGER_EVENT_TYPES = (
    "Shipments",
    "Receipts",
    "CustomerReturns",
    "VendorReturns",
    "WhseTransfers",
    "Adjustments",
)


def _decimal_or_null(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v is None or isinstance(v, Decimal))


class LedgerDetail(pa.DataFrameModel):
    date: Series[pa.DateTime]
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    asin: Series[str] = pa.Field(nullable=True)
    msku: Series[str] = pa.Field(str_length={"min_value": 1})
    title: Series[str] = pa.Field(nullable=True)
    event_type: Series[str] = pa.Field(isin=LEDGER_EVENT_TYPES)
    reference_id: Series[str] = pa.Field(nullable=True)
    quantity: Series[pd.Int64Dtype] = pa.Field(nullable=False)
    fulfillment_center: Series[str]
    disposition: Series[str]
    reason: Series[str] = pa.Field(nullable=True)
    country: Series[str] = pa.Field(nullable=True)
    reconciled_quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    unreconciled_quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    date_and_time: Series[str] = pa.Field(nullable=True)
    store: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = "filter"


class Reimbursements(pa.DataFrameModel):
    approval_date: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs={"unit": "ns", "tz": "UTC"})
    reimbursement_id: Series[str] = pa.Field(str_length={"min_value": 1})
    case_id: Series[str] = pa.Field(nullable=True)
    amazon_order_id: Series[str] = pa.Field(nullable=True)
    reason: Series[str] = pa.Field(str_length={"min_value": 1})
    sku: Series[str] = pa.Field(nullable=True)
    fnsku: Series[str] = pa.Field(nullable=True)
    asin: Series[str] = pa.Field(nullable=True)
    product_name: Series[str] = pa.Field(nullable=True)
    condition: Series[str] = pa.Field(nullable=True)
    currency_unit: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    amount_per_unit: Series[object] = pa.Field(nullable=True)
    amount_total: Series[object]
    quantity_reimbursed_cash: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    quantity_reimbursed_inventory: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    quantity_reimbursed_total: Series[pd.Int64Dtype]
    original_reimbursement_id: Series[str] = pa.Field(nullable=True)
    original_reimbursement_type: Series[str] = pa.Field(nullable=True)

    @pa.check("amount_per_unit", "amount_total", name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    class Config:
        strict = "filter"


class RemovalOrders(pa.DataFrameModel):
    """§1.8. order-type and order-status value sets are UNCONFIRMED beyond the help page
    (Return/Disposal, plus Liquidations; Pending/Completed/Cancelled…): not restricted here, the
    rules compare them case-insensitively."""

    request_date: Series[pd.DatetimeTZDtype] = pa.Field(dtype_kwargs={"unit": "ns", "tz": "UTC"})
    order_id: Series[str] = pa.Field(str_length={"min_value": 1})
    order_source: Series[str] = pa.Field(nullable=True)
    order_type: Series[str] = pa.Field(str_length={"min_value": 1})
    service_speed: Series[str] = pa.Field(nullable=True)
    order_status: Series[str] = pa.Field(str_length={"min_value": 1})
    last_updated_date: Series[pd.DatetimeTZDtype] = pa.Field(
        dtype_kwargs={"unit": "ns", "tz": "UTC"}
    )
    sku: Series[str] = pa.Field(nullable=True)
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    disposition: Series[str]
    requested_quantity: Series[pd.Int64Dtype] = pa.Field(ge=0)
    cancelled_quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    disposed_quantity: Series[pd.Int64Dtype] = pa.Field(ge=0)
    shipped_quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    in_process_quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    removal_fee: Series[object] = pa.Field(nullable=True)
    currency: Series[str] = pa.Field(nullable=True)

    @pa.check("removal_fee", name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    class Config:
        strict = "filter"


class ProductMaster(pa.DataFrameModel):
    sku: Series[str] = pa.Field(str_length={"min_value": 1})
    unit_cost: Series[object]
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    length_in: Series[object] = pa.Field(nullable=True)
    width_in: Series[object] = pa.Field(nullable=True)
    height_in: Series[object] = pa.Field(nullable=True)
    weight_lb: Series[object] = pa.Field(nullable=True)

    @pa.check("unit_cost", name="non-negative decimal")
    def _cost(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: isinstance(v, Decimal) and v >= 0)

    @pa.check("length_in", "width_in", "height_in", "weight_lb", name="positive decimal or empty")
    def _dims(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: v is None or (isinstance(v, Decimal) and v > 0))

    class Config:
        strict = "filter"


SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    LEDGER_DETAIL.source: LedgerDetail,
    REIMBURSEMENTS.source: Reimbursements,
    REMOVAL_ORDERS.source: RemovalOrders,
    PRODUCT_MASTER.source: ProductMaster,
}


def validate(source: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[int, str, str]]]:
    """Valid rows, and (row index, field, reason) for each row that failed a check."""
    schema = SCHEMAS[source]
    try:
        schema.validate(frame, lazy=True)
        return frame, []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    failures: list[tuple[int, str, str]] = []
    seen: set[int] = set()
    for case in cases.itertuples(index=False):
        idx = case.index
        if idx is None or (isinstance(idx, float) and pd.isna(idx)):
            # A frame-level failure (wrong dtype of a whole column): a programming error.
            raise RuntimeError(f"{source}: schema failure on column {case.column}: {case.check}")
        idx = int(idx)
        if idx in seen:
            continue
        seen.add(idx)
        failures.append(
            (idx, str(case.column), f"failed check {case.check} (value {case.failure_case!r})")
        )
    bad = {i for i, _, _ in failures}
    return frame.drop(index=list(bad)), failures
