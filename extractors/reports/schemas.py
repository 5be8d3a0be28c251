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
    ALL_ORDERS,
    CUSTOMER_RETURNS,
    FEE_PREVIEW,
    FINANCE_TRANSACTIONS,
    FINANCIAL_EVENTS,
    FULFILLED_SHIPMENTS,
    INBOUND_SHIPMENT_ITEMS,
    LEDGER_DETAIL,
    LEDGER_SUMMARY,
    PRODUCT_MASTER,
    REIMBURSEMENTS,
    REMOVAL_ORDERS,
    REMOVAL_SHIPMENTS,
    SETTLEMENTS,
    SETTLEMENTS_V1,
    STORAGE_FEES,
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


# amazon-reports.md §1.4 (help pages [S7]; EXPIRED from 3p fixtures). Upper snake in files;
# compared case- and space-insensitively.
RETURN_DISPOSITIONS = (
    "SELLABLE",
    "DAMAGED",
    "CARRIER_DAMAGED",
    "CUSTOMER_DAMAGED",
    "DEFECTIVE",
    "DISTRIBUTOR_DAMAGED",
    "EXPIRED",
)
# §1.8: Return, Disposal (help page), Liquidations (3p). Compared case-insensitively, singular or
# plural.
REMOVAL_ORDER_TYPES = ("return", "disposal", "liquidation")


def _decimal_or_null(s: pd.Series) -> pd.Series:
    return s.map(lambda v: v is None or isinstance(v, Decimal))


def _utc() -> dict:
    return {"dtype_kwargs": {"unit": "ns", "tz": "UTC"}}


def _removal_order_type(s: pd.Series) -> pd.Series:
    return s.map(
        lambda v: isinstance(v, str) and v.strip().lower().removesuffix("s") in REMOVAL_ORDER_TYPES
    )


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
    """§1.8. order-type: Return, Disposal or Liquidations, checked case-insensitively (singular
    or plural). order-status is UNCONFIRMED beyond the help page (Pending/Completed/Cancelled…):
    not restricted here, the rules compare it case-insensitively."""

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

    @pa.check("order_type", name="Return, Disposal or Liquidations")
    def _order_type(cls, s: pd.Series) -> pd.Series:
        return _removal_order_type(s)

    class Config:
        strict = "filter"


class LedgerSummary(pa.DataFrameModel):
    """§1.2. Counts are signed as Amazon sends them (sign conventions of Lost/Damaged are not
    documented): not restricted."""

    date: Series[pa.DateTime]
    date_granularity: Series[str] = pa.Field(isin=("month", "day"))
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    asin: Series[str] = pa.Field(nullable=True)
    msku: Series[str] = pa.Field(str_length={"min_value": 1})
    title: Series[str] = pa.Field(nullable=True)
    disposition: Series[str] = pa.Field(str_length={"min_value": 1})
    starting_warehouse_balance: Series[pd.Int64Dtype]
    in_transit_between_warehouses: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    receipts: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    customer_shipments: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    customer_returns: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    vendor_returns: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    warehouse_transfer_in_out: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    found: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    lost: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    damaged: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    disposed: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    other_events: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    ending_warehouse_balance: Series[pd.Int64Dtype]
    unknown_events: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    location: Series[str] = pa.Field(str_length={"min_value": 1})
    store: Series[str] = pa.Field(nullable=True)

    class Config:
        strict = "filter"


class CustomerReturns(pa.DataFrameModel):
    """§1.4. detailed-disposition is checked against the values the help pages confirm; status
    and reason sets are UNCONFIRMED (not restricted)."""

    return_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    order_id: Series[str] = pa.Field(str_length={"min_value": 1})
    sku: Series[str] = pa.Field(str_length={"min_value": 1})
    asin: Series[str] = pa.Field(nullable=True)
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    product_name: Series[str] = pa.Field(nullable=True)
    quantity: Series[pd.Int64Dtype] = pa.Field(ge=0)
    fulfillment_center_id: Series[str] = pa.Field(nullable=True)
    detailed_disposition: Series[str]
    reason: Series[str] = pa.Field(nullable=True)
    status: Series[str] = pa.Field(nullable=True)
    license_plate_number: Series[str] = pa.Field(nullable=True)
    customer_comments: Series[str] = pa.Field(nullable=True)

    @pa.check("detailed_disposition", name="known detailed-disposition")
    def _disposition(cls, s: pd.Series) -> pd.Series:
        return s.map(
            lambda v: (
                isinstance(v, str) and v.strip().upper().replace(" ", "_") in RETURN_DISPOSITIONS
            )
        )

    class Config:
        strict = "filter"


_MONEY_SHIPMENT = (
    "item_price",
    "item_tax",
    "shipping_price",
    "shipping_tax",
    "gift_wrap_price",
    "gift_wrap_tax",
    "item_promotion_discount",
    "ship_promotion_discount",
)


class FulfilledShipments(pa.DataFrameModel):
    """§1.6, without any buyer column (the spec stores none)."""

    amazon_order_id: Series[str] = pa.Field(str_length={"min_value": 1})
    merchant_order_id: Series[str] = pa.Field(nullable=True)
    shipment_id: Series[str] = pa.Field(str_length={"min_value": 1})
    shipment_item_id: Series[str] = pa.Field(str_length={"min_value": 1})
    amazon_order_item_id: Series[str] = pa.Field(str_length={"min_value": 1})
    merchant_order_item_id: Series[str] = pa.Field(nullable=True)
    purchase_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    payments_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    shipment_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    reporting_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    sku: Series[str] = pa.Field(str_length={"min_value": 1})
    product_name: Series[str] = pa.Field(nullable=True)
    quantity_shipped: Series[pd.Int64Dtype] = pa.Field(ge=0)
    currency: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")
    item_price: Series[object] = pa.Field(nullable=True)
    item_tax: Series[object] = pa.Field(nullable=True)
    shipping_price: Series[object] = pa.Field(nullable=True)
    shipping_tax: Series[object] = pa.Field(nullable=True)
    gift_wrap_price: Series[object] = pa.Field(nullable=True)
    gift_wrap_tax: Series[object] = pa.Field(nullable=True)
    item_promotion_discount: Series[object] = pa.Field(nullable=True)
    ship_promotion_discount: Series[object] = pa.Field(nullable=True)
    ship_service_level: Series[str] = pa.Field(nullable=True)
    carrier: Series[str] = pa.Field(nullable=True)
    estimated_arrival_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    fulfillment_center_id: Series[str] = pa.Field(str_length={"min_value": 1})
    fulfillment_channel: Series[str] = pa.Field(nullable=True)
    sales_channel: Series[str] = pa.Field(nullable=True)
    points_granted: Series[pd.Int64Dtype] = pa.Field(nullable=True)

    @pa.check(*_MONEY_SHIPMENT, name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    class Config:
        strict = "filter"


class AllOrders(pa.DataFrameModel):
    """§1.7. order-status / item-status / fulfillment-channel value sets are UNCONFIRMED (not
    restricted)."""

    amazon_order_id: Series[str] = pa.Field(str_length={"min_value": 1})
    merchant_order_id: Series[str] = pa.Field(nullable=True)
    purchase_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    last_updated_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    order_status: Series[str] = pa.Field(str_length={"min_value": 1})
    fulfillment_channel: Series[str] = pa.Field(str_length={"min_value": 1})
    sales_channel: Series[str] = pa.Field(nullable=True)
    order_channel: Series[str] = pa.Field(nullable=True)
    ship_service_level: Series[str] = pa.Field(nullable=True)
    product_name: Series[str] = pa.Field(nullable=True)
    sku: Series[str] = pa.Field(str_length={"min_value": 1})
    asin: Series[str] = pa.Field(nullable=True)
    order_item_id: Series[str] = pa.Field(nullable=True)
    item_status: Series[str] = pa.Field(nullable=True)  # blank on cancelled MFN lines
    quantity: Series[pd.Int64Dtype] = pa.Field(ge=0)
    currency: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")
    item_price: Series[object] = pa.Field(nullable=True)
    item_tax: Series[object] = pa.Field(nullable=True)
    shipping_price: Series[object] = pa.Field(nullable=True)
    shipping_tax: Series[object] = pa.Field(nullable=True)
    gift_wrap_price: Series[object] = pa.Field(nullable=True)
    gift_wrap_tax: Series[object] = pa.Field(nullable=True)
    item_promotion_discount: Series[object] = pa.Field(nullable=True)
    ship_promotion_discount: Series[object] = pa.Field(nullable=True)
    promotion_ids: Series[str] = pa.Field(nullable=True)
    is_business_order: Series[str] = pa.Field(nullable=True)
    purchase_order_number: Series[str] = pa.Field(nullable=True)
    price_designation: Series[str] = pa.Field(nullable=True)
    signature_confirmation_recommended: Series[str] = pa.Field(nullable=True)

    @pa.check(*_MONEY_SHIPMENT, name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    class Config:
        strict = "filter"


class RemovalShipments(pa.DataFrameModel):
    """§1.9. removal-order-type checked like the removal order detail's order-type."""

    request_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    order_id: Series[str] = pa.Field(str_length={"min_value": 1})
    shipment_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    sku: Series[str] = pa.Field(nullable=True)
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    disposition: Series[str] = pa.Field(str_length={"min_value": 1})
    shipped_quantity: Series[pd.Int64Dtype] = pa.Field(ge=0)
    carrier: Series[str] = pa.Field(nullable=True)
    tracking_number: Series[str] = pa.Field(nullable=True)
    removal_order_type: Series[str]

    @pa.check("removal_order_type", name="Return, Disposal or Liquidations")
    def _order_type(cls, s: pd.Series) -> pd.Series:
        return _removal_order_type(s)

    class Config:
        strict = "filter"


class FeePreview(pa.DataFrameModel):
    """§1.10, US and EU variants on the same canonical columns (the EU
    expected-domestic-fulfilment-fee-per-unit is expected_fulfillment_fee_per_unit)."""

    sku: Series[str] = pa.Field(str_length={"min_value": 1})
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    asin: Series[str] = pa.Field(str_length={"min_value": 1})
    amazon_store: Series[str] = pa.Field(nullable=True)
    product_name: Series[str] = pa.Field(nullable=True)
    product_group: Series[str] = pa.Field(nullable=True)
    brand: Series[str] = pa.Field(nullable=True)
    fulfilled_by: Series[str] = pa.Field(nullable=True)
    has_local_inventory: Series[str] = pa.Field(nullable=True)
    your_price: Series[object] = pa.Field(nullable=True)
    sales_price: Series[object] = pa.Field(nullable=True)
    longest_side: Series[object] = pa.Field(nullable=True)
    median_side: Series[object] = pa.Field(nullable=True)
    shortest_side: Series[object] = pa.Field(nullable=True)
    length_and_girth: Series[object] = pa.Field(nullable=True)
    unit_of_dimension: Series[str] = pa.Field(nullable=True)
    item_package_weight: Series[object] = pa.Field(nullable=True)
    unit_of_weight: Series[str] = pa.Field(nullable=True)
    product_size_tier: Series[str] = pa.Field(nullable=True)
    product_size_weight_band: Series[str] = pa.Field(nullable=True)
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    estimated_fee_total: Series[object] = pa.Field(nullable=True)
    estimated_referral_fee_per_unit: Series[object] = pa.Field(nullable=True)
    estimated_variable_closing_fee: Series[object] = pa.Field(nullable=True)
    estimated_order_handling_fee_per_order: Series[object] = pa.Field(nullable=True)
    estimated_pick_pack_fee_per_unit: Series[object] = pa.Field(nullable=True)
    estimated_weight_handling_fee_per_unit: Series[object] = pa.Field(nullable=True)
    expected_fulfillment_fee_per_unit: Series[object] = pa.Field(nullable=True)
    expected_efn_fulfilment_fee_per_unit_uk: Series[object] = pa.Field(nullable=True)
    expected_efn_fulfilment_fee_per_unit_de: Series[object] = pa.Field(nullable=True)
    expected_efn_fulfilment_fee_per_unit_fr: Series[object] = pa.Field(nullable=True)
    expected_efn_fulfilment_fee_per_unit_it: Series[object] = pa.Field(nullable=True)
    expected_efn_fulfilment_fee_per_unit_es: Series[object] = pa.Field(nullable=True)
    expected_efn_fulfilment_fee_per_unit_se: Series[object] = pa.Field(nullable=True)
    estimated_future_fee: Series[object] = pa.Field(nullable=True)
    estimated_future_order_handling_fee_per_order: Series[object] = pa.Field(nullable=True)
    estimated_future_pick_pack_fee_per_unit: Series[object] = pa.Field(nullable=True)
    estimated_future_weight_handling_fee_per_unit: Series[object] = pa.Field(nullable=True)
    expected_future_fulfillment_fee_per_unit: Series[object] = pa.Field(nullable=True)
    estimated_future_referral_fee_per_unit: Series[object] = pa.Field(nullable=True)
    current_fee_category: Series[str] = pa.Field(nullable=True)
    future_fee_category: Series[str] = pa.Field(nullable=True)
    future_fee_category_effective_date: Series[str] = pa.Field(nullable=True)

    @pa.check(
        "your_price",
        "sales_price",
        "longest_side",
        "median_side",
        "shortest_side",
        "length_and_girth",
        "item_package_weight",
        "estimated_fee_total",
        "estimated_referral_fee_per_unit",
        "estimated_variable_closing_fee",
        "estimated_order_handling_fee_per_order",
        "estimated_pick_pack_fee_per_unit",
        "estimated_weight_handling_fee_per_unit",
        "expected_fulfillment_fee_per_unit",
        "expected_efn_fulfilment_fee_per_unit_uk",
        "expected_efn_fulfilment_fee_per_unit_de",
        "expected_efn_fulfilment_fee_per_unit_fr",
        "expected_efn_fulfilment_fee_per_unit_it",
        "expected_efn_fulfilment_fee_per_unit_es",
        "expected_efn_fulfilment_fee_per_unit_se",
        "estimated_future_fee",
        "estimated_future_order_handling_fee_per_order",
        "estimated_future_pick_pack_fee_per_unit",
        "estimated_future_weight_handling_fee_per_unit",
        "expected_future_fulfillment_fee_per_unit",
        "estimated_future_referral_fee_per_unit",
        name="decimal",
    )
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    class Config:
        strict = "filter"


class StorageFees(pa.DataFrameModel):
    """§1.11: the columns a storage-fee rule needs; the drifting rest is typed by the parser and
    not checked further."""

    asin: Series[str] = pa.Field(str_length={"min_value": 1})
    fnsku: Series[str] = pa.Field(str_length={"min_value": 1})
    fulfillment_center: Series[str] = pa.Field(str_length={"min_value": 1})
    month_of_charge: Series[pa.DateTime]
    average_quantity_on_hand: Series[object]
    item_volume: Series[object]
    storage_rate: Series[object]
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")
    estimated_monthly_storage_fee: Series[object]

    @pa.check("average_quantity_on_hand", "item_volume", name="non-negative decimal")
    def _non_negative(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: isinstance(v, Decimal) and v >= 0)

    @pa.check("storage_rate", "estimated_monthly_storage_fee", name="decimal")
    def _money(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: isinstance(v, Decimal))

    class Config:
        strict = False


class Settlements(pa.DataFrameModel):
    """§1.12. Each row is either the settlement's summary row (total-amount set, no transaction
    columns) or an amount component (transaction-type and amount set)."""

    settlement_id: Series[str] = pa.Field(str_length={"min_value": 1})
    settlement_start_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    settlement_end_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    deposit_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    total_amount: Series[object] = pa.Field(nullable=True)
    currency: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")
    transaction_type: Series[str] = pa.Field(nullable=True)
    amount_type: Series[str] = pa.Field(nullable=True)
    amount_description: Series[str] = pa.Field(nullable=True)
    amount: Series[object] = pa.Field(nullable=True)
    posted_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    posted_date_time: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    quantity_purchased: Series[pd.Int64Dtype] = pa.Field(nullable=True)

    @pa.check("total_amount", "amount", name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    # "field: text": validate() reports the failure on that field.
    @pa.dataframe_check(
        name="amount: neither the summary row (total-amount only) nor a transaction "
        "(transaction-type and amount)",
        ignore_na=False,
    )
    def _row_kind(cls, df: pd.DataFrame) -> pd.Series:
        summary = df["total_amount"].notna() & df["transaction_type"].isna() & df["amount"].isna()
        transaction = df["transaction_type"].notna() & df["amount"].notna()
        return summary | transaction

    class Config:
        strict = False


class SettlementsV1(pa.DataFrameModel):
    """Settlement V1 flat file: the summary row (total-amount, no transaction-type) or a
    transaction row (transaction-type set; its amount in one of the amount columns, or only a
    quantity-purchased)."""

    settlement_id: Series[str] = pa.Field(str_length={"min_value": 1})
    settlement_start_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    settlement_end_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    deposit_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    posted_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    currency: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")
    transaction_type: Series[str] = pa.Field(nullable=True)
    quantity_purchased: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    total_amount: Series[object] = pa.Field(nullable=True)
    shipment_fee_amount: Series[object] = pa.Field(nullable=True)
    order_fee_amount: Series[object] = pa.Field(nullable=True)
    price_amount: Series[object] = pa.Field(nullable=True)
    item_related_fee_amount: Series[object] = pa.Field(nullable=True)
    misc_fee_amount: Series[object] = pa.Field(nullable=True)
    other_fee_amount: Series[object] = pa.Field(nullable=True)
    promotion_amount: Series[object] = pa.Field(nullable=True)
    direct_payment_amount: Series[object] = pa.Field(nullable=True)
    other_amount: Series[object] = pa.Field(nullable=True)

    @pa.check(
        "total_amount",
        "shipment_fee_amount",
        "order_fee_amount",
        "price_amount",
        "item_related_fee_amount",
        "misc_fee_amount",
        "other_fee_amount",
        "promotion_amount",
        "direct_payment_amount",
        "other_amount",
        name="decimal",
    )
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    @pa.dataframe_check(
        name="transaction-type: neither the summary row (total-amount only) nor a transaction "
        "(transaction-type set)",
        ignore_na=False,
    )
    def _row_kind(cls, df: pd.DataFrame) -> pd.Series:
        summary = df["total_amount"].notna() & df["transaction_type"].isna()
        return summary | df["transaction_type"].notna()

    class Config:
        strict = False


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


# sp-api-client.md §4: the event lists and money components flattened from listFinancialEvents.
FINANCIAL_COMPONENTS = (
    "item_charge",
    "item_charge_adjustment",
    "item_fee",
    "item_fee_adjustment",
    "item_tax_withheld",
    "promotion",
    "promotion_adjustment",
    "order_charge",
    "order_charge_adjustment",
    "shipment_fee",
    "shipment_fee_adjustment",
    "order_fee",
    "order_fee_adjustment",
    "adjustment_item",
    "adjustment",
    "service_fee",
)


class FinancialEvents(pa.DataFrameModel):
    event_id: Series[str] = pa.Field(str_length={"min_value": 8})
    line_no: Series[pd.Int64Dtype] = pa.Field(ge=0)
    event_list: Series[str] = pa.Field(str_matches=r"^[A-Za-z]+EventList$")
    posted_date: Series[pd.DatetimeTZDtype] = pa.Field(nullable=True, **_utc())
    quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    component: Series[str] = pa.Field(isin=FINANCIAL_COMPONENTS)
    amount: Series[object] = pa.Field(nullable=True)
    currency: Series[str] = pa.Field(nullable=True, str_matches=r"^[A-Z]{3}$")

    @pa.check("amount", name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return _decimal_or_null(s)

    class Config:
        strict = "filter"


class FinanceTransactions(pa.DataFrameModel):
    transaction_id: Series[str] = pa.Field(str_length={"min_value": 1})
    line_no: Series[pd.Int64Dtype] = pa.Field(ge=1)
    transaction_type: Series[str] = pa.Field(str_length={"min_value": 1})
    posted_date: Series[pd.DatetimeTZDtype] = pa.Field(**_utc())
    quantity: Series[pd.Int64Dtype] = pa.Field(nullable=True)
    amount: Series[object]
    currency: Series[str] = pa.Field(str_matches=r"^[A-Z]{3}$")

    @pa.check("amount", name="decimal")
    def _decimals(cls, s: pd.Series) -> pd.Series:
        return s.map(lambda v: isinstance(v, Decimal))

    class Config:
        strict = "filter"


# sp-api-client.md §5: ShipmentStatus values (plus READY_TO_SHIP from the query enum).
INBOUND_STATUSES = (
    "WORKING",
    "READY_TO_SHIP",
    "SHIPPED",
    "RECEIVING",
    "CANCELLED",
    "DELETED",
    "CLOSED",
    "ERROR",
    "IN_TRANSIT",
    "DELIVERED",
    "CHECKED_IN",
)


class InboundShipmentItems(pa.DataFrameModel):
    """A shipment row (getShipments: its status is required) or an item row
    (getShipmentItemsByShipmentId: SKU and quantities required; its shipment's columns only when
    the same document lists the shipment)."""

    record_type: Series[str] = pa.Field(isin=("shipment", "item"))
    shipment_id: Series[str] = pa.Field(str_length={"min_value": 1})
    shipment_status: Series[str] = pa.Field(nullable=True, isin=INBOUND_STATUSES)
    seller_sku: Series[str] = pa.Field(nullable=True, str_length={"min_value": 1})
    quantity_shipped: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)
    quantity_received: Series[pd.Int64Dtype] = pa.Field(nullable=True, ge=0)

    # "field: text": validate() reports the failure on that field.
    @pa.dataframe_check(
        name="shipment_status: a getShipments shipment without ShipmentStatus", ignore_na=False
    )
    def _shipment_status(cls, df: pd.DataFrame) -> pd.Series:
        return (df["record_type"] != "shipment") | df["shipment_status"].notna()

    @pa.dataframe_check(name="seller_sku: a shipment item without SellerSKU", ignore_na=False)
    def _item_sku(cls, df: pd.DataFrame) -> pd.Series:
        return (df["record_type"] != "item") | df["seller_sku"].notna()

    @pa.dataframe_check(
        name="quantity_shipped: a shipment item without QuantityShipped or QuantityReceived",
        ignore_na=False,
    )
    def _item_quantities(cls, df: pd.DataFrame) -> pd.Series:
        item = df["record_type"] == "item"
        return ~item | (df["quantity_shipped"].notna() & df["quantity_received"].notna())

    class Config:
        strict = "filter"


SCHEMAS: dict[str, type[pa.DataFrameModel]] = {
    LEDGER_DETAIL.source: LedgerDetail,
    REIMBURSEMENTS.source: Reimbursements,
    REMOVAL_ORDERS.source: RemovalOrders,
    PRODUCT_MASTER.source: ProductMaster,
    LEDGER_SUMMARY.source: LedgerSummary,
    CUSTOMER_RETURNS.source: CustomerReturns,
    FULFILLED_SHIPMENTS.source: FulfilledShipments,
    ALL_ORDERS.source: AllOrders,
    REMOVAL_SHIPMENTS.source: RemovalShipments,
    FEE_PREVIEW.source: FeePreview,
    STORAGE_FEES.source: StorageFees,
    SETTLEMENTS.source: Settlements,
    SETTLEMENTS_V1.source: SettlementsV1,
    FINANCIAL_EVENTS.source: FinancialEvents,
    FINANCE_TRANSACTIONS.source: FinanceTransactions,
    INBOUND_SHIPMENT_ITEMS.source: InboundShipmentItems,
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
        check = str(case.check)
        if case.schema_context == "DataFrameSchema" and ": " in check:
            # A row-level check across columns, named "field: what is wrong".
            fld, what = check.split(": ", 1)
            failures.append((idx, fld, f"failed check: {what}"))
            continue
        failures.append(
            (idx, str(case.column), f"failed check {case.check} (value {case.failure_case!r})")
        )
    bad = {i for i, _, _ in failures}
    return frame.drop(index=list(bad)), failures
