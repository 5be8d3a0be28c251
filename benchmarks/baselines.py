"""Baselines for the claim rules, computed straight from the landing Parquet: (a) one hand-written
DuckDB SQL script per rule (the floor: what DuckDB itself costs) and (b) a straightforward pandas
implementation (what a typical seller script does). Both must give the pipeline's claims.

A rule is a `Rule` in `RULES`: the columns that identify a claim (compared with
marts.fct_claims), a DuckDB SQL script and a pandas function. Rules covered, each re-implemented
from the business rules of the dbt models (not by reading the warehouse):

- warehouse_lost: int_warehouse_losses_netted / int_warehouse_lost_candidates (macro
  fc_adjustments_netted): misplaced ledger adjustments netted against found units and
  Lost_Warehouse reimbursements (less reversals) FIFO per FNSKU; valued at the product master
  unit cost.
- refund_not_returned: int_refunds -> int_order_returns_netted ->
  int_refund_not_returned_candidates: settlement V2 refund principal lines (FBA only), units
  reported or principal / charged unit price; refunded units capped at the units charged for the
  order item (settlement Order rows, else all-orders quantity, else fulfilled-shipments quantity
  shipped; not capped when unknown), so a duplicate refund is never a unit not returned; netted
  per (order, SKU) against returned units and reimbursed units (less reversals, returns-report
  'Reimbursed' status) after damaged returns; valued at refunded principal per unit (all
  refunds); event date = the posted date on which the refunded units reached the units charged
  when refunds went beyond them, else the last refund posted date.
- inbound_shortage: int_inbound_shortage_candidates: CLOSED FBA Inbound v0 lines shipped >
  received, overages of the shipment's other SKUs offset in (FNSKU, SKU) order, anchored on the
  shipment's last ledger Receipts date, Lost_Inbound / Damaged_Inbound payments (less reversals)
  settle the FNSKU's shortages first in, first out (oldest shipment first; only shortages
  received on or before the approval date; units finding nothing open are dropped); valued at
  the product master unit cost.

What is compared (`compare`): per rule its `key_columns` (the natural key of the claim and its
event date) plus `quantity` and `amount` (= round(quantity x unit value, 2), fct_claims), as
multisets. Not compared: status, eligible_from / deadline (claim windows), evidence, case text,
asin / fnsku of refund_not_returned (resolved from the ledger), currency.

Assumption shared by both: the claim outcome log (state/claim_events) is empty, as it is in every
benchmark home, so no reimbursement is set aside as the outcome of one of our own cases.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt_project"
REASON_CODES_CSV = DBT_DIR / "seeds" / "ledger_reason_codes.csv"
MARKETPLACES_CSV = DBT_DIR / "seeds" / "marketplaces.csv"

# What a claim is compared on (fct_claims columns), per rule; quantity and amount are the values
# compared.
WAREHOUSE_LOST_KEY = ("seller_id", "fnsku", "reference_id", "event_date", "fulfillment_center_id")
REFUND_NOT_RETURNED_KEY = ("seller_id", "order_id", "sku", "event_date")
INBOUND_SHORTAGE_KEY = (
    "seller_id",
    "shipment_id",
    "sku",
    "fnsku",
    "fulfillment_center_id",
    "event_date",
)
VALUE_COLUMNS = ("quantity", "amount")

LEDGER_KEY = [
    "seller_id",
    "event_date",
    "fnsku",
    "msku",
    "event_type",
    "reference_id",
    "fulfillment_center",
    "disposition",
    "reason_code",
    "country",
]
REIMBURSEMENT_KEY = [
    "seller_id",
    "reimbursement_id",
    "fnsku",
    "sku",
    "reason",
    "amazon_order_id",
    "original_reimbursement_id",
]


def research_period_days() -> int:
    doc = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    return int(doc["vars"]["fc_research_period_days"])


def _glob(home: Path, source: str) -> str:
    return str(home / "landing" / "parquet" / source / "**" / "*.parquet")


def _product_glob(home: Path) -> str:
    return str(home / "state" / "product_master" / "**" / "*.parquet")


# ---------------------------------------------------------------------------------------------
# (a) DuckDB: one SQL script per rule


WAREHOUSE_LOST_SQL = """
with
codes as (select * from read_csv('{codes}', header = true, all_varchar = true)),
ledger_src as (
    select
        seller_id, cast(date as date) as event_date, fnsku, msku, event_type, reference_id,
        quantity, fulfillment_center, disposition, reason as reason_code,
        case when upper(trim(country)) = 'UK' then 'GB' else upper(trim(country)) end as country,
        reconciled_quantity, unreconciled_quantity, _source_file, _row_number, _snapshot_at
    from read_parquet('{ledger}', union_by_name = true, hive_partitioning = false)
    -- Only adjustments matter; every dedup partition below is within one event type.
    where event_type = 'Adjustments'
),
ledger_copies as (
    select * from ledger_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
ledger as (
    select * from ledger_copies
    qualify rank() over (
        partition by {ledger_key} order by _snapshot_at desc, _source_file desc) = 1
),
reimb_src as (
    select
        seller_id, cast((approval_date at time zone 'UTC') as date) as approval_date,
        reimbursement_id, amazon_order_id, reason, sku, fnsku, quantity_reimbursed_inventory,
        quantity_reimbursed_total, original_reimbursement_id, original_reimbursement_type,
        _source_file, _row_number, _snapshot_at
    from read_parquet('{reimbursements}', union_by_name = true, hive_partitioning = false)
),
reimb_copies as (
    select * from reimb_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
reimbursements as (
    select * from reimb_copies
    qualify rank() over (
        partition by {reimbursement_key} order by _snapshot_at desc, _source_file desc) = 1
),
costs as (
    select seller_id, sku, cast(unit_cost as decimal(18, 4)) as unit_cost
    from read_parquet('{products}', union_by_name = true, hive_partitioning = false)
    where sku is not null
    qualify row_number() over (
        partition by seller_id, sku
        order by _snapshot_at desc, _source_file desc, cast(unit_cost as decimal(18, 4)) desc,
            upper(trim(currency)) asc) = 1
),
losses as (
    select
        l.*, -l.quantity as adjusted_units, coalesce(l.reconciled_quantity, 0) as reconciled,
        greatest(0, least(-l.quantity,
            coalesce(l.unreconciled_quantity, -l.quantity - coalesce(l.reconciled_quantity, 0))
        )) as ledger_open
    from ledger l join codes c on l.reason_code = c.code
    where c.reason_group = 'Inventory misplaced' and l.quantity < 0
),
per_fnsku as (
    select
        seller_id, fnsku, sum(reconciled) as ledger_reconciled,
        max(case when unreconciled_quantity is null then 1 else 0 end) as has_blank,
        cast(min(event_date) - interval {research_days} day as date) as since
    from losses group by all
),
found as (
    select
        l.seller_id, l.fnsku,
        sum(case when l.reason_code = 'N' then 0 else l.quantity end) as direct,
        sum(case when l.reason_code = 'N' then l.quantity else 0 end) as transfer
    from ledger l
    join codes c on l.reason_code = c.code
    join per_fnsku f on l.seller_id = f.seller_id and l.fnsku = f.fnsku and l.event_date >= f.since
    where c.reason_group = 'Inventory found' and l.quantity > 0
    group by all
),
original_types as (
    select seller_id, reimbursement_id, fnsku, min(reason) as reason
    from reimbursements group by all
),
paid as (
    select
        r.seller_id, r.fnsku,
        sum(case when r.reason = 'Lost_Warehouse'
            then abs(coalesce(r.quantity_reimbursed_total, 0)) else 0 end) as reimbursed,
        sum(case when r.reason = 'Lost_Warehouse'
            then abs(coalesce(r.quantity_reimbursed_inventory, 0)) else 0 end) as replaced,
        sum(case when r.reason = 'Reimbursement_Reversal'
                and coalesce(r.original_reimbursement_type, o.reason) = 'Lost_Warehouse'
            then abs(coalesce(r.quantity_reimbursed_total, 0)) else 0 end) as reversed
    from reimbursements r
    join per_fnsku f
        on r.seller_id = f.seller_id and r.fnsku = f.fnsku and r.approval_date >= f.since
    left join original_types o
        on r.seller_id = o.seller_id and r.original_reimbursement_id = o.reimbursement_id
        and r.fnsku = o.fnsku
    where r.reason in ('Lost_Warehouse', 'Reimbursement_Reversal')
    group by all
),
credits as (
    select
        f.seller_id, f.fnsku,
        greatest(0,
            coalesce(p.reimbursed, 0) - coalesce(p.reversed, 0)
            + case when f.has_blank = 1 then coalesce(fd.direct, 0)
                + greatest(0, coalesce(fd.transfer, 0) - coalesce(p.replaced, 0)) else 0 end
            - f.ledger_reconciled) as unreflected
    from per_fnsku f
    left join found fd on f.seller_id = fd.seller_id and f.fnsku = fd.fnsku
    left join paid p on f.seller_id = p.seller_id and f.fnsku = p.fnsku
),
fifo as (
    select
        l.*, c.unreflected,
        coalesce(sum(l.ledger_open) over (
            partition by l.seller_id, l.fnsku
            order by l.event_date, coalesce(l.reference_id, ''),
                coalesce(l.fulfillment_center, ''), l._source_file, l._row_number
            rows between unbounded preceding and 1 preceding), 0) as open_before
    from losses l join credits c on l.seller_id = c.seller_id and l.fnsku = c.fnsku
),
open_rows as (
    select *, ledger_open - greatest(0, least(ledger_open, unreflected - open_before)) as open_units
    from fifo
),
claims as (
    select
        seller_id, fnsku, reference_id, event_date, fulfillment_center as fulfillment_center_id,
        min(msku) as sku, sum(open_units) as quantity
    from open_rows
    group by seller_id, fnsku, reference_id, event_date, fulfillment_center
    having sum(open_units) > 0
)
select
    claims.seller_id, claims.fnsku, claims.reference_id, claims.event_date,
    claims.fulfillment_center_id, cast(claims.quantity as bigint) as quantity,
    cast(round(claims.quantity * costs.unit_cost, 2) as decimal(18, 2)) as amount
from claims
left join costs on claims.seller_id = costs.seller_id and claims.sku = costs.sku
"""


def warehouse_lost_sql(home: Path) -> str:
    return WAREHOUSE_LOST_SQL.format(
        codes=REASON_CODES_CSV,
        ledger=_glob(home, "ledger_detail"),
        reimbursements=_glob(home, "reimbursements"),
        products=_product_glob(home),
        ledger_key=", ".join(LEDGER_KEY),
        reimbursement_key=", ".join(REIMBURSEMENT_KEY),
        research_days=research_period_days(),
    )


def run_duckdb(sql: str, out: Path) -> int:
    con = duckdb.connect()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"copy ({sql}) to '{out}' (format parquet)")
        return con.execute(f"select count(*) from read_parquet('{out}')").fetchone()[0]
    finally:
        con.close()


# ---------------------------------------------------------------------------------------------
# (b) pandas: read the Parquet, then the same rule step by step


def _read(pattern_dir: Path, columns: list[str]) -> pd.DataFrame:
    files = sorted(p for p in pattern_dir.rglob("*.parquet") if p.name != "_schema.parquet")
    if not files:
        return pd.DataFrame(columns=columns)
    return pd.concat(
        [pd.read_parquet(f, columns=columns) for f in files], ignore_index=True, copy=False
    )


def _latest_rows(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """latest_document_rows: one copy per document row, then all rows of each key's latest
    document (by _snapshot_at, then _source_file)."""
    df = df.sort_values("_snapshot_at", ascending=False, kind="stable")
    df = df.drop_duplicates(["seller_id", "_source_file", "_row_number"], keep="first")
    df = df.sort_values(["_snapshot_at", "_source_file"], ascending=False, kind="stable")
    groups = df.groupby(key, dropna=False, sort=False)
    best_snap = groups["_snapshot_at"].transform("first")
    best_file = groups["_source_file"].transform("first")
    return df[(df["_snapshot_at"] == best_snap) & (df["_source_file"] == best_file)]


def warehouse_lost_pandas(home: Path) -> pd.DataFrame:
    codes = pd.read_csv(REASON_CODES_CSV, dtype=str)
    misplaced = set(codes.loc[codes.reason_group == "Inventory misplaced", "code"])
    found_codes = set(codes.loc[codes.reason_group == "Inventory found", "code"])
    parquet = home / "landing" / "parquet"

    ledger = _read(
        parquet / "ledger_detail",
        [
            "seller_id",
            "date",
            "fnsku",
            "msku",
            "event_type",
            "reference_id",
            "quantity",
            "fulfillment_center",
            "disposition",
            "reason",
            "country",
            "reconciled_quantity",
            "unreconciled_quantity",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    ).rename(columns={"date": "event_date", "reason": "reason_code"})
    ledger["event_date"] = pd.to_datetime(ledger["event_date"])
    country = ledger["country"].str.strip().str.upper()
    ledger["country"] = country.where(country != "UK", "GB")
    ledger = _latest_rows(ledger, LEDGER_KEY)
    adjustments = ledger[ledger.event_type == "Adjustments"]

    losses = adjustments[
        adjustments.reason_code.isin(misplaced) & (adjustments.quantity < 0)
    ].copy()
    losses["adjusted"] = -losses.quantity
    losses["reconciled"] = losses.reconciled_quantity.fillna(0)
    open_ = losses.unreconciled_quantity.fillna(losses.adjusted - losses.reconciled)
    losses["ledger_open"] = open_.clip(lower=0).where(open_ <= losses.adjusted, losses.adjusted)

    days = pd.Timedelta(days=research_period_days())
    per_fnsku = losses.groupby(["seller_id", "fnsku"], as_index=False).agg(
        ledger_reconciled=("reconciled", "sum"),
        has_blank=("unreconciled_quantity", lambda s: s.isna().any()),
        first=("event_date", "min"),
    )
    per_fnsku["since"] = per_fnsku["first"] - days

    found = adjustments[
        adjustments.reason_code.isin(found_codes) & (adjustments.quantity > 0)
    ].merge(per_fnsku[["seller_id", "fnsku", "since"]], on=["seller_id", "fnsku"])
    found = found[found.event_date >= found.since]
    found = found.assign(
        direct=found.quantity.where(found.reason_code != "N", 0),
        transfer=found.quantity.where(found.reason_code == "N", 0),
    )
    found = found.groupby(["seller_id", "fnsku"], as_index=False)[["direct", "transfer"]].sum()

    reimb = _read(
        parquet / "reimbursements",
        [
            "seller_id",
            "approval_date",
            "reimbursement_id",
            "amazon_order_id",
            "reason",
            "sku",
            "fnsku",
            "quantity_reimbursed_inventory",
            "quantity_reimbursed_total",
            "original_reimbursement_id",
            "original_reimbursement_type",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    )
    reimb = _latest_rows(reimb, REIMBURSEMENT_KEY)
    approval = pd.to_datetime(reimb["approval_date"], utc=True)
    reimb = reimb.assign(approval_day=approval.dt.tz_localize(None).dt.normalize())
    originals = reimb.groupby(["seller_id", "reimbursement_id", "fnsku"], as_index=False).agg(
        original_reason=("reason", "min")
    )
    lw = reimb[reimb.reason.isin(["Lost_Warehouse", "Reimbursement_Reversal"])].merge(
        per_fnsku[["seller_id", "fnsku", "since"]], on=["seller_id", "fnsku"]
    )
    lw = lw[lw.approval_day >= lw.since].merge(
        originals.rename(columns={"reimbursement_id": "original_reimbursement_id"}),
        on=["seller_id", "original_reimbursement_id", "fnsku"],
        how="left",
    )
    total = lw.quantity_reimbursed_total.fillna(0).abs()
    is_lw = lw.reason == "Lost_Warehouse"
    reversed_type = lw.original_reimbursement_type.fillna(lw.original_reason)
    lw = lw.assign(
        reimbursed=total.where(is_lw, 0),
        replaced=lw.quantity_reimbursed_inventory.fillna(0).abs().where(is_lw, 0),
        reversed=total.where(
            (lw.reason == "Reimbursement_Reversal") & (reversed_type == "Lost_Warehouse"), 0
        ),
    )
    paid = lw.groupby(["seller_id", "fnsku"], as_index=False)[
        ["reimbursed", "replaced", "reversed"]
    ].sum()

    credits = per_fnsku.merge(found, on=["seller_id", "fnsku"], how="left").merge(
        paid, on=["seller_id", "fnsku"], how="left"
    )
    credits = credits.fillna(
        {"direct": 0, "transfer": 0, "reimbursed": 0, "replaced": 0, "reversed": 0}
    )
    found_units = credits.direct + (credits.transfer - credits.replaced).clip(lower=0)
    report = credits.reimbursed - credits.reversed + found_units.where(credits.has_blank, 0)
    credits["unreflected"] = (report - credits.ledger_reconciled).clip(lower=0)

    rows = losses.merge(credits[["seller_id", "fnsku", "unreflected"]], on=["seller_id", "fnsku"])
    rows = rows.assign(
        _ref=rows.reference_id.fillna(""), _fc=rows.fulfillment_center.fillna("")
    ).sort_values(
        ["seller_id", "fnsku", "event_date", "_ref", "_fc", "_source_file", "_row_number"],
        kind="stable",
    )
    cumulative = rows.groupby(["seller_id", "fnsku"], sort=False).ledger_open.cumsum()
    rows["open_before"] = cumulative - rows.ledger_open
    allocated = (rows.unreflected - rows.open_before).clip(lower=0)
    rows["open_units"] = rows.ledger_open - allocated.where(
        allocated < rows.ledger_open, rows.ledger_open
    )

    keys = ["seller_id", "fnsku", "reference_id", "event_date", "fulfillment_center"]
    claims = rows.groupby(keys, dropna=False, as_index=False).agg(
        sku=("msku", "min"), quantity=("open_units", "sum")
    )
    claims = claims[claims.quantity > 0]

    products = _read(
        home / "state" / "product_master",
        ["seller_id", "sku", "unit_cost", "currency", "_snapshot_at", "_source_file"],
    )
    products = products[products.sku.notna()].assign(
        unit_cost=products.unit_cost.map(lambda v: None if pd.isna(v) else Decimal(str(v))),
        cur=products.currency.str.strip().str.upper(),
    )
    products = products.sort_values(
        ["_snapshot_at", "_source_file", "unit_cost", "cur"],
        ascending=[False, False, False, True],
        kind="stable",
    ).drop_duplicates(["seller_id", "sku"], keep="first")
    claims = claims.merge(
        products[["seller_id", "sku", "unit_cost"]], on=["seller_id", "sku"], how="left"
    )

    def amount(row) -> Decimal | None:
        if row.unit_cost is None or pd.isna(row.unit_cost):
            return None
        cost = Decimal(row.unit_cost).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        return (cost * int(row.quantity)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)

    claims["amount"] = [amount(r) for r in claims.itertuples()]
    return pd.DataFrame(
        {
            "seller_id": claims.seller_id,
            "fnsku": claims.fnsku,
            "reference_id": claims.reference_id,
            "event_date": claims.event_date.dt.date,
            "fulfillment_center_id": claims.fulfillment_center,
            "quantity": claims.quantity.astype("int64"),
            "amount": claims.amount,
        }
    )


# ---------------------------------------------------------------------------------------------
# refund_not_returned


REFUND_NOT_RETURNED_SQL = """
with
marketplaces as (select * from read_csv('{marketplaces}', header = true, all_varchar = true)),
settle_src as (
    select
        seller_id, settlement_id, transaction_type, order_id as amazon_order_id, adjustment_id,
        sku, order_item_code, amount_type, amount_description, fulfillment_id,
        lower(trim(marketplace_name)) as marketplace_name,
        cast(amount as decimal(18, 4)) as amount,
        cast(quantity_purchased as bigint) as quantity_purchased,
        cast((coalesce(posted_date, posted_date_time) at time zone 'UTC') as date) as posted_date,
        coalesce(transaction_type is null and amount is null, false) as is_summary_row,
        _source_file, _row_number, _snapshot_at
    from read_parquet('{settlements}', union_by_name = true, hive_partitioning = false)
),
settle_copies as (
    select * from settle_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
settlements as (
    select * from settle_copies
    qualify rank() over (
        partition by seller_id, settlement_id order by _snapshot_at desc, _source_file desc) = 1
),
settled_items as (
    select
        i.seller_id, i.amazon_order_id, i.sku,
        case when i.has_afn = 1 then true when i.has_mfn = 1 then false end as is_fba,
        i.charged_units,
        case when i.charged_units > 0
            then cast(i.charged_principal / i.charged_units as decimal(18, 4)) end
            as charged_principal_per_unit
    from (
        select
            seller_id, amazon_order_id, sku,
            max(case when upper(trim(fulfillment_id)) = 'AFN' then 1 else 0 end) as has_afn,
            max(case when upper(trim(fulfillment_id)) = 'MFN' then 1 else 0 end) as has_mfn,
            sum(case when is_principal then amount else 0 end) as charged_principal,
            sum(case when is_principal then abs(coalesce(quantity_purchased, 0)) else 0 end)
                as charged_units
        from (
            select *, lower(trim(amount_type)) = 'itemprice'
                and lower(trim(amount_description)) = 'principal' as is_principal
            from settlements
            where not is_summary_row and lower(trim(transaction_type)) = 'order'
                and amazon_order_id is not null and sku is not null
        )
        group by seller_id, amazon_order_id, sku
    ) i
),
refund_lines as (
    select
        seller_id, amazon_order_id, sku, posted_date,
        max(upper(trim(fulfillment_id))) as fulfillment_id,
        -sum(amount) as refunded_principal,
        max(abs(quantity_purchased)) as reported_units
    from settlements
    where not is_summary_row
        and lower(trim(transaction_type)) = 'refund'
        and lower(trim(amount_type)) = 'itemprice'
        and lower(trim(amount_description)) = 'principal'
        and amazon_order_id is not null and sku is not null
    group by seller_id, settlement_id, adjustment_id, amazon_order_id, sku, order_item_code,
        posted_date
),
orders_src as (
    select
        seller_id, amazon_order_id, sku, fulfillment_channel, cast(quantity as bigint) as quantity,
        cast(item_price as decimal(18, 4)) as item_price, _source_file, _row_number, _snapshot_at
    from read_parquet('{all_orders}', union_by_name = true, hive_partitioning = false)
),
orders_copies as (
    select * from orders_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
order_channels as (
    select
        seller_id, amazon_order_id, sku,
        max(case when lower(trim(fulfillment_channel)) = 'amazon' then 1 else 0 end) as is_afn,
        max(case when lower(trim(fulfillment_channel)) = 'merchant' then 1 else 0 end) as is_mfn,
        sum(item_price) as item_price, sum(quantity) as quantity,
        sum(case when quantity > 0 then quantity end) as ordered_units
    from (
        select * from orders_copies
        qualify rank() over (
            partition by seller_id, amazon_order_id, sku
            order by _snapshot_at desc, _source_file desc) = 1
    )
    group by seller_id, amazon_order_id, sku
),
shipped_orders as (
    -- every (order, shipment line) key keeps its latest document, so the distinct orders are
    -- those of any document
    select distinct seller_id, amazon_order_id
    from read_parquet('{fulfilled_shipments}', union_by_name = true, hive_partitioning = false)
),
shipments_copies as (
    select
        seller_id, amazon_order_id, shipment_id, shipment_item_id, sku,
        cast(quantity_shipped as bigint) as quantity_shipped, _source_file, _snapshot_at
    from read_parquet('{fulfilled_shipments}', union_by_name = true, hive_partitioning = false)
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
shipped_units as (
    select seller_id, amazon_order_id, sku, sum(quantity_shipped) as units
    from (
        select * from shipments_copies
        qualify rank() over (
            partition by seller_id, amazon_order_id, shipment_id, shipment_item_id
            order by _snapshot_at desc, _source_file desc) = 1
    )
    where quantity_shipped > 0
    group by seller_id, amazon_order_id, sku
),
refunds as (
    select
        seller_id, amazon_order_id, sku, posted_date, refunded_principal,
        cast(case
            when reported_units > 0 then reported_units
            when unit_price > 0 then round(refunded_principal / unit_price, 0)
            else 1
        end as bigint) as refunded_units
    from (
        select
            r.*,
            coalesce(s.charged_principal_per_unit,
                case when oc.quantity > 0 then oc.item_price / oc.quantity end) as unit_price,
            case
                when r.fulfillment_id = 'AFN' then true
                when r.fulfillment_id = 'MFN' then false
                when s.is_fba is not null then s.is_fba
                when oc.is_afn = 1 then true
                when oc.is_mfn = 1 then false
                when sh.amazon_order_id is not null then true
            end as is_fba
        from refund_lines r
        left join settled_items s
            on r.seller_id = s.seller_id and r.amazon_order_id = s.amazon_order_id
            and r.sku = s.sku
        left join order_channels oc
            on r.seller_id = oc.seller_id and r.amazon_order_id = oc.amazon_order_id
            and r.sku = oc.sku
        left join shipped_orders sh
            on r.seller_id = sh.seller_id and r.amazon_order_id = sh.amazon_order_id
    )
    where coalesce(is_fba, true) and refunded_principal > 0
),
charged as (
    -- units charged for the refunded order item: settlement Order rows, else all-orders
    -- quantity, else fulfilled-shipments quantity shipped; NULL (refunds not capped) when unknown
    select
        f.seller_id, f.amazon_order_id, f.sku,
        case
            when s.charged_units > 0 then s.charged_units
            when oc.ordered_units > 0 then oc.ordered_units
            when su.units > 0 then su.units
        end as charged_units
    from (select distinct seller_id, amazon_order_id, sku from refunds) f
    left join settled_items s
        on f.seller_id = s.seller_id and f.amazon_order_id = s.amazon_order_id and f.sku = s.sku
    left join order_channels oc
        on f.seller_id = oc.seller_id and f.amazon_order_id = oc.amazon_order_id
        and f.sku = oc.sku
    left join shipped_units su
        on f.seller_id = su.seller_id and f.amazon_order_id = su.amazon_order_id
        and f.sku = su.sku
),
refund_days as (
    -- refunded units up to and including each posted date of the order item
    select
        r.seller_id, r.amazon_order_id, r.sku, r.posted_date, c.charged_units,
        sum(sum(r.refunded_units)) over (
            partition by r.seller_id, r.amazon_order_id, r.sku order by r.posted_date
        ) as running_units
    from refunds r
    join charged c
        on r.seller_id = c.seller_id and r.amazon_order_id = c.amazon_order_id and r.sku = c.sku
    group by r.seller_id, r.amazon_order_id, r.sku, r.posted_date, c.charged_units
),
capped_anchor as (
    -- the posted date on which the refunded units reached the units charged
    select seller_id, amazon_order_id, sku, min(posted_date) as anchor_date
    from refund_days
    where charged_units > 0 and running_units >= charged_units
    group by seller_id, amazon_order_id, sku
),
refunded as (
    select
        f.*,
        case when c.charged_units > 0 and f.refunded_units > c.charged_units
            then c.charged_units else f.refunded_units end as counted_units,
        case when c.charged_units > 0 and f.refunded_units > c.charged_units
            then a.anchor_date else f.last_refund_date end as counted_refund_date
    from (
        select
            seller_id, amazon_order_id, sku, sum(refunded_units) as refunded_units,
            sum(refunded_principal) as refunded_principal, max(posted_date) as last_refund_date
        from refunds group by seller_id, amazon_order_id, sku
    ) f
    left join charged c
        on f.seller_id = c.seller_id and f.amazon_order_id = c.amazon_order_id and f.sku = c.sku
    left join capped_anchor a
        on f.seller_id = a.seller_id and f.amazon_order_id = a.amazon_order_id and f.sku = a.sku
),
returns_src as (
    select
        seller_id, cast((return_date at time zone 'UTC') as date) as return_date,
        order_id as amazon_order_id, sku, fnsku, license_plate_number,
        cast(quantity as bigint) as quantity,
        upper(replace(trim(detailed_disposition), ' ', '_')) as detailed_disposition, status,
        _source_file, _row_number, _snapshot_at
    from read_parquet('{returns}', union_by_name = true, hive_partitioning = false)
),
returns_copies as (
    select * from returns_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
returned as (
    select
        seller_id, amazon_order_id, sku,
        sum(coalesce(quantity, 1)) as returned_units,
        sum(case when detailed_disposition in ('DAMAGED', 'CARRIER_DAMAGED')
            then coalesce(quantity, 1) else 0 end) as damaged_units,
        sum(case when lower(trim(status)) = 'reimbursed'
            then coalesce(quantity, 1) else 0 end) as status_reimbursed_units
    from (
        select * from returns_copies
        qualify rank() over (
            partition by seller_id, return_date, amazon_order_id, sku, fnsku,
                license_plate_number
            order by _snapshot_at desc, _source_file desc) = 1
    )
    where amazon_order_id is not null
    group by seller_id, amazon_order_id, sku
),
reimb_src as (
    select
        seller_id, reimbursement_id, amazon_order_id, reason, sku, fnsku,
        quantity_reimbursed_total, original_reimbursement_id,
        _source_file, _row_number, _snapshot_at
    from read_parquet('{reimbursements}', union_by_name = true, hive_partitioning = false)
),
reimb_copies as (
    select * from reimb_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
reimbursements as (
    select * from reimb_copies
    qualify rank() over (
        partition by {reimbursement_key} order by _snapshot_at desc, _source_file desc) = 1
),
order_reimbursement_lines as (
    select
        seller_id, reimbursement_id, amazon_order_id, sku,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements
    where amazon_order_id is not null and reason != 'Reimbursement_Reversal'
    group by seller_id, reimbursement_id, amazon_order_id, sku
),
reversals as (
    select
        seller_id, original_reimbursement_id,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as reversed_units
    from reimbursements
    where reason = 'Reimbursement_Reversal'
    group by seller_id, original_reimbursement_id
),
reimbursed as (
    select
        l.seller_id, l.amazon_order_id, l.sku, sum(l.units) as reimbursed_units,
        sum(coalesce(v.reversed_units, 0)) as reversed_units
    from order_reimbursement_lines l
    left join reversals v
        on l.seller_id = v.seller_id and l.reimbursement_id = v.original_reimbursement_id
    group by l.seller_id, l.amazon_order_id, l.sku
),
owed as (
    select
        f.seller_id, f.amazon_order_id, f.sku, f.counted_refund_date, f.refunded_units,
        f.refunded_principal,
        coalesce(r.damaged_units, 0) as damaged_units,
        greatest(0, f.counted_units - coalesce(r.returned_units, 0)) as not_returned_units,
        case
            when coalesce(r.status_reimbursed_units, 0)
                > coalesce(p.reimbursed_units, 0) - coalesce(p.reversed_units, 0)
                then coalesce(r.status_reimbursed_units, 0)
            else greatest(0, coalesce(p.reimbursed_units, 0) - coalesce(p.reversed_units, 0))
        end as net_reimbursed_units
    from refunded f
    left join returned r
        on f.seller_id = r.seller_id and f.amazon_order_id = r.amazon_order_id
        and f.sku = r.sku
    left join reimbursed p
        on f.seller_id = p.seller_id and f.amazon_order_id = p.amazon_order_id
        and f.sku = p.sku
),
claims as (
    select
        *,
        greatest(0, not_returned_units - greatest(0, net_reimbursed_units - damaged_units))
            as open_units,
        cast(refunded_principal / refunded_units as decimal(18, 4)) as unit_value
    from owed
    where refunded_units > 0
)
select
    seller_id, amazon_order_id as order_id, sku, counted_refund_date as event_date,
    cast(open_units as bigint) as quantity,
    cast(round(open_units * unit_value, 2) as decimal(18, 2)) as amount
from claims
where open_units > 0 and counted_refund_date is not null
"""


def refund_not_returned_sql(home: Path) -> str:
    return REFUND_NOT_RETURNED_SQL.format(
        marketplaces=MARKETPLACES_CSV,
        settlements=_glob(home, "settlements"),
        all_orders=_glob(home, "all_orders"),
        fulfilled_shipments=_glob(home, "fulfilled_shipments"),
        returns=_glob(home, "customer_returns"),
        reimbursements=_glob(home, "reimbursements"),
        reimbursement_key=", ".join(REIMBURSEMENT_KEY),
    )


def _utc_day(ts: pd.Series) -> pd.Series:
    """The UTC calendar date of a timestamp column (tz-aware or naive UTC), as datetime64."""
    ts = pd.to_datetime(ts, utc=True)
    return ts.dt.tz_localize(None).dt.normalize()


def _round_half_away(x: float) -> float:
    """C round(): half away from zero (DuckDB's round of a DOUBLE)."""
    return math.copysign(math.floor(abs(x) + 0.5), x)


def _dec4(x) -> Decimal | None:
    """DOUBLE -> DECIMAL(18, 4) as DuckDB casts it (scaled, rounded half away from zero)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return None
    return Decimal(int(_round_half_away(float(x) * 10_000))) / 10_000


def _q4(v) -> Decimal | None:
    """A decimal value cast to DECIMAL(18, 4)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    return Decimal(v).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def _dsum(s: pd.Series) -> Decimal:
    return sum((v for v in s if v is not None and not pd.isna(v)), Decimal(0))


def _money(quantity: int, unit_value) -> Decimal | None:
    """fct_claims amount: round(quantity x DECIMAL(18, 4) unit value, 2)."""
    if unit_value is None or pd.isna(unit_value):
        return None
    return (Decimal(unit_value) * int(quantity)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _lower(s: pd.Series) -> pd.Series:
    return s.str.strip().str.lower()


def refund_not_returned_pandas(home: Path) -> pd.DataFrame:
    parquet = home / "landing" / "parquet"
    st = _read(
        parquet / "settlements",
        [
            "seller_id",
            "settlement_id",
            "transaction_type",
            "order_id",
            "adjustment_id",
            "sku",
            "order_item_code",
            "amount_type",
            "amount_description",
            "fulfillment_id",
            "amount",
            "quantity_purchased",
            "posted_date",
            "posted_date_time",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    ).rename(columns={"order_id": "amazon_order_id"})
    st = _latest_rows(st, ["seller_id", "settlement_id"])
    st = st[~(st.transaction_type.isna() & st.amount.isna())]
    st = st[st.amazon_order_id.notna() & st.sku.notna()]
    st = st.assign(
        amount=st.amount.map(_q4),
        posted=_utc_day(st.posted_date.fillna(st.posted_date_time)),
        tt=_lower(st.transaction_type),
        fid=st.fulfillment_id.str.strip().str.upper(),
        principal=(_lower(st.amount_type) == "itemprice")
        & (_lower(st.amount_description) == "principal"),
    )
    item = ["seller_id", "amazon_order_id", "sku"]

    # int_order_items_settled: what the Order rows charged per (order, SKU)
    orders = st[st.tt == "order"]
    orders = orders.assign(
        afn=orders.fid == "AFN",
        mfn=orders.fid == "MFN",
        p_amount=orders.amount.where(orders.principal, Decimal(0)),
        p_units=orders.quantity_purchased.fillna(0).abs().where(orders.principal, 0),
    )
    settled = orders.groupby(item, as_index=False).agg(
        has_afn=("afn", "any"),
        has_mfn=("mfn", "any"),
        charged_principal=("p_amount", _dsum),
        charged_units=("p_units", "sum"),
    )
    settled["is_fba"] = np.where(
        settled.has_afn, True, np.where(settled.has_mfn, False, None)
    ).astype(object)
    settled["charged_ppu"] = [
        _dec4(float(p) / u) if u > 0 else None
        for p, u in zip(settled.charged_principal, settled.charged_units, strict=True)
    ]

    # int_refunds: refund principal lines (FBA only), their units
    rf = st[
        (st.tt == "refund")
        & (_lower(st.amount_type) == "itemprice")
        & (_lower(st.amount_description) == "principal")
    ]
    lines = rf.groupby(
        ["seller_id", "settlement_id", "adjustment_id", *item[1:], "order_item_code", "posted"],
        dropna=False,
        as_index=False,
    ).agg(
        fid=("fid", "max"),
        neg_principal=("amount", _dsum),
        reported_units=("quantity_purchased", lambda q: q.abs().max()),
    )
    lines["refunded_principal"] = -lines.neg_principal

    ao = _read(
        parquet / "all_orders",
        [
            "seller_id",
            "amazon_order_id",
            "sku",
            "fulfillment_channel",
            "quantity",
            "item_price",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    )
    ao = _latest_rows(ao, item)
    ao = ao.assign(
        afn=_lower(ao.fulfillment_channel) == "amazon",
        mfn=_lower(ao.fulfillment_channel) == "merchant",
        item_price=ao.item_price.map(_q4),
        ordered=ao.quantity.where(ao.quantity > 0, 0),
    )
    channels = ao.groupby(item, as_index=False).agg(
        is_afn=("afn", "any"),
        is_mfn=("mfn", "any"),
        item_price=("item_price", _dsum),
        quantity=("quantity", "sum"),
        ordered_units=("ordered", "sum"),
    )
    shipped = _read(parquet / "fulfilled_shipments", ["seller_id", "amazon_order_id"])
    shipped = shipped.dropna().drop_duplicates().assign(shipped=True)

    r = (
        lines.merge(settled[[*item, "is_fba", "charged_ppu"]], on=item, how="left")
        .merge(channels, on=item, how="left")
        .merge(shipped, on=["seller_id", "amazon_order_id"], how="left")
    )
    fallback_price = [
        float(p) / q if q is not None and not pd.isna(q) and q > 0 else None
        for p, q in zip(r.item_price, r.quantity, strict=True)
    ]
    r["unit_price"] = [
        float(c) if c is not None and not pd.isna(c) else f
        for c, f in zip(r.charged_ppu, fallback_price, strict=True)
    ]
    is_fba = []
    for fid, s_fba, afn, mfn, shp in zip(
        r.fid, r.is_fba, r.is_afn, r.is_mfn, r.shipped, strict=True
    ):
        if fid == "AFN":
            is_fba.append(True)
        elif fid == "MFN":
            is_fba.append(False)
        elif s_fba is not None and not pd.isna(s_fba):
            is_fba.append(bool(s_fba))
        elif afn is True:
            is_fba.append(True)
        elif mfn is True:
            is_fba.append(False)
        elif shp is True:
            is_fba.append(True)
        else:
            is_fba.append(None)
    r["fba"] = is_fba
    r = r[r.fba.map(lambda v: v is None or v) & (r.refunded_principal > 0)].copy()

    def units(reported, price, principal) -> int:
        if not pd.isna(reported) and reported > 0:
            return int(reported)
        if price is not None and not pd.isna(price) and price > 0:
            return int(_round_half_away(float(principal) / price))
        return 1

    r["refunded_units"] = [
        units(a, b, c)
        for a, b, c in zip(r.reported_units, r.unit_price, r.refunded_principal, strict=True)
    ]
    refunded = r.groupby(item, as_index=False).agg(
        refunded_units=("refunded_units", "sum"),
        refunded_principal=("refunded_principal", _dsum),
        last_refund_date=("posted", "max"),
    )

    # Refunded units count up to the units charged for the order item: settlement Order rows,
    # else all-orders quantity, else fulfilled-shipments quantity shipped (latest document per
    # shipment line); not capped when none is known. The claim is anchored on the posted date on
    # which the refunds reached the units charged when they went beyond them.
    fs = _read(
        parquet / "fulfilled_shipments",
        [
            "seller_id",
            "amazon_order_id",
            "shipment_id",
            "shipment_item_id",
            "sku",
            "quantity_shipped",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    )
    fs = _latest_rows(fs, ["seller_id", "amazon_order_id", "shipment_id", "shipment_item_id"])
    fs = fs[fs.quantity_shipped > 0]
    shipped_units = fs.groupby(item, as_index=False).quantity_shipped.sum()
    charged = (
        refunded[item]
        .merge(settled[[*item, "charged_units"]], on=item, how="left")
        .merge(channels[[*item, "ordered_units"]], on=item, how="left")
        .merge(shipped_units, on=item, how="left")
    )
    charged["charged"] = np.where(
        charged.charged_units > 0,
        charged.charged_units,
        np.where(
            charged.ordered_units > 0,
            charged.ordered_units,
            np.where(charged.quantity_shipped > 0, charged.quantity_shipped, np.nan),
        ),
    )
    days = (
        r.groupby([*item, "posted"], dropna=False, as_index=False)
        .refunded_units.sum()
        .sort_values([*item, "posted"], kind="stable", na_position="last")
    )
    days["running"] = days.groupby(item, sort=False).refunded_units.cumsum()
    days = days.merge(charged[[*item, "charged"]], on=item)
    anchors = (
        days[(days.charged > 0) & (days.running >= days.charged)]
        .groupby(item, as_index=False)
        .agg(anchor_date=("posted", "min"))
    )
    refunded = refunded.merge(charged[[*item, "charged"]], on=item, how="left").merge(
        anchors, on=item, how="left"
    )
    capped = (refunded.charged > 0) & (refunded.refunded_units > refunded.charged)
    refunded["counted_units"] = refunded.charged.where(capped, refunded.refunded_units)
    refunded["counted_refund_date"] = refunded.anchor_date.where(capped, refunded.last_refund_date)

    # int_order_returns_netted: returned, damaged and reimbursed units per (order, SKU)
    rt = _read(
        parquet / "customer_returns",
        [
            "seller_id",
            "return_date",
            "order_id",
            "sku",
            "fnsku",
            "license_plate_number",
            "quantity",
            "detailed_disposition",
            "status",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    ).rename(columns={"order_id": "amazon_order_id"})
    rt["return_day"] = _utc_day(rt.return_date)
    rt = _latest_rows(
        rt, ["seller_id", "return_day", "amazon_order_id", "sku", "fnsku", "license_plate_number"]
    )
    rt = rt[rt.amazon_order_id.notna()]
    qty = rt.quantity.fillna(1)
    disposition = rt.detailed_disposition.str.strip().str.replace(" ", "_").str.upper()
    rt = rt.assign(
        returned_units=qty,
        damaged_units=qty.where(disposition.isin(["DAMAGED", "CARRIER_DAMAGED"]), 0),
        status_reimbursed_units=qty.where(_lower(rt.status) == "reimbursed", 0),
    )
    returned = rt.groupby(item, as_index=False, dropna=False)[
        ["returned_units", "damaged_units", "status_reimbursed_units"]
    ].sum()

    rb = _read(
        parquet / "reimbursements",
        [
            "seller_id",
            "reimbursement_id",
            "amazon_order_id",
            "reason",
            "sku",
            "fnsku",
            "quantity_reimbursed_total",
            "original_reimbursement_id",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    )
    rb = _latest_rows(rb, REIMBURSEMENT_KEY)
    rb = rb.assign(units=rb.quantity_reimbursed_total.fillna(0).abs())
    paid = rb[
        rb.amazon_order_id.notna() & rb.reason.notna() & (rb.reason != "Reimbursement_Reversal")
    ]
    paid = paid.groupby(
        ["seller_id", "reimbursement_id", *item[1:]], dropna=False, as_index=False
    ).units.sum()
    reversals = (
        rb[rb.reason == "Reimbursement_Reversal"]
        .groupby(["seller_id", "original_reimbursement_id"], as_index=False)  # drops NULL ids
        .units.sum()
        .rename(columns={"original_reimbursement_id": "reimbursement_id", "units": "reversed"})
    )
    paid = paid.merge(
        reversals, on=["seller_id", "reimbursement_id"], how="left"
    )  # NULL reimbursement ids meet no reversal: reversals has none
    paid["reversed"] = paid.reversed.fillna(0)
    reimbursed = paid.dropna(subset=item).groupby(item, as_index=False)[["units", "reversed"]].sum()

    c = refunded.merge(returned.dropna(subset=item), on=item, how="left").merge(
        reimbursed, on=item, how="left"
    )
    c = c.fillna(
        {
            "returned_units": 0,
            "damaged_units": 0,
            "status_reimbursed_units": 0,
            "units": 0,
            "reversed": 0,
        }
    )
    not_returned = (c.counted_units - c.returned_units).clip(lower=0)
    net_paid = (c.units - c.reversed).clip(lower=0)
    net_paid = c.status_reimbursed_units.where(
        c.status_reimbursed_units > c.units - c.reversed, net_paid
    )
    credits_left = (net_paid - c.damaged_units).clip(lower=0)
    c["quantity"] = (not_returned - credits_left).clip(lower=0)
    c = c[(c.quantity > 0) & (c.refunded_units > 0) & c.counted_refund_date.notna()]
    unit_value = [
        _dec4(float(p) / u) for p, u in zip(c.refunded_principal, c.refunded_units, strict=True)
    ]
    return pd.DataFrame(
        {
            "seller_id": c.seller_id,
            "order_id": c.amazon_order_id,
            "sku": c.sku,
            "event_date": c.counted_refund_date.dt.date,
            "quantity": c.quantity.astype("int64"),
            "amount": [_money(q, v) for q, v in zip(c.quantity, unit_value, strict=True)],
        }
    )


# ---------------------------------------------------------------------------------------------
# inbound_shortage


INBOUND_SHORTAGE_SQL = """
with
ledger_src as (
    select
        seller_id, cast(date as date) as event_date, fnsku, msku, event_type, reference_id,
        fulfillment_center, disposition, reason as reason_code,
        case when upper(trim(country)) = 'UK' then 'GB' else upper(trim(country)) end as country,
        _source_file, _row_number, _snapshot_at
    from read_parquet('{ledger}', union_by_name = true, hive_partitioning = false)
    -- event_type is part of the ledger key: filtering before the dedup keeps its result
    where event_type = 'Receipts' and reference_id is not null
),
ledger_copies as (
    select * from ledger_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
shipment_receipts as (
    select seller_id, reference_id as shipment_id, max(event_date) as last_receipt_date
    from (
        select * from ledger_copies
        qualify rank() over (
            partition by {ledger_key} order by _snapshot_at desc, _source_file desc) = 1
    )
    group by seller_id, reference_id
),
items_src as (
    select
        seller_id, shipment_id, upper(trim(shipment_status)) as shipment_status,
        destination_fulfillment_center_id as fulfillment_center_id, seller_sku as sku, fnsku,
        coalesce(quantity_shipped, 0) as quantity_shipped,
        coalesce(quantity_received, 0) as quantity_received,
        _source_file, _row_number, _snapshot_at
    from read_parquet('{inbound}', union_by_name = true, hive_partitioning = false)
),
items_copies as (
    select * from items_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
closed_lines as (
    select * from items_copies
    qualify rank() over (
        partition by seller_id, shipment_id, sku order by _snapshot_at desc, _source_file desc
    ) = 1 and shipment_status = 'CLOSED'
),
overages as (
    select seller_id, shipment_id, sum(quantity_received - quantity_shipped) as overage_units
    from closed_lines where quantity_received > quantity_shipped
    group by seller_id, shipment_id
),
short_lines as (
    select
        *, quantity_shipped - quantity_received as shortage_units,
        coalesce(sum(quantity_shipped - quantity_received) over (
            partition by seller_id, shipment_id order by fnsku, sku
            rows between unbounded preceding and 1 preceding), 0) as shortage_before
    from closed_lines where quantity_shipped > quantity_received
),
anchored as (
    select
        s.seller_id, s.shipment_id, s.sku, s.fnsku, s.fulfillment_center_id,
        r.last_receipt_date,
        s.shortage_units - least(s.shortage_units,
            greatest(0, coalesce(o.overage_units, 0) - s.shortage_before)) as net_shortage_units
    from short_lines s
    left join overages o on s.seller_id = o.seller_id and s.shipment_id = o.shipment_id
    join shipment_receipts r on s.seller_id = r.seller_id and s.shipment_id = r.shipment_id
),
open_shortages as (select * from anchored where net_shortage_units > 0),
reimb_src as (
    select
        seller_id, cast((approval_date at time zone 'UTC') as date) as approval_date,
        reimbursement_id, amazon_order_id, reason, sku, fnsku, quantity_reimbursed_total,
        original_reimbursement_id, _source_file, _row_number, _snapshot_at
    from read_parquet('{reimbursements}', union_by_name = true, hive_partitioning = false)
),
reimb_copies as (
    select * from reimb_src
    qualify row_number() over (
        partition by seller_id, _source_file, _row_number order by _snapshot_at desc) = 1
),
reimbursements as (
    select * from reimb_copies
    qualify rank() over (
        partition by {reimbursement_key} order by _snapshot_at desc, _source_file desc) = 1
),
payments as (
    select
        seller_id, reimbursement_id, fnsku, min(approval_date) as approval_date,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements
    where reason in ('Lost_Inbound', 'Damaged_Inbound') and fnsku is not null
    group by seller_id, reimbursement_id, fnsku
),
reversals as (
    select
        seller_id, original_reimbursement_id, fnsku,
        sum(abs(coalesce(quantity_reimbursed_total, 0))) as units
    from reimbursements where reason = 'Reimbursement_Reversal'
    group by seller_id, original_reimbursement_id, fnsku
),
net_payments as (
    select p.seller_id, p.reimbursement_id, p.fnsku, p.approval_date,
        p.units - coalesce(v.units, 0) as units
    from payments p
    left join reversals v
        on p.seller_id = v.seller_id and p.reimbursement_id = v.original_reimbursement_id
        and p.fnsku = v.fnsku
    where p.units > coalesce(v.units, 0)
),
-- FIFO per (seller, FNSKU): shortages arrive at their last Receipts date, payments at their
-- approval date (shortages first on a day); a payment pays the oldest open shortage units and what
-- finds nothing open is dropped. Applied units therefore cover a prefix of the FNSKU's shortage
-- units in arrival order, of length (all paid units) - (units dropped), and the units dropped are
-- -min(0, lowest running balance of shortage - payment units).
events as (
    select seller_id, fnsku, last_receipt_date as event_date, 0 as event_order,
        shipment_id as k1, sku as k2, net_shortage_units as shortage_units, 0 as payment_units
    from open_shortages where fnsku is not null
    union all
    select seller_id, fnsku, approval_date, 1, reimbursement_id, null, 0, units
    from net_payments
),
balances as (
    select
        *,
        sum(shortage_units) over w as shortage_through,
        sum(shortage_units - payment_units) over w as balance
    from events
    window w as (
        partition by seller_id, fnsku order by event_date, event_order, k1, k2
        rows between unbounded preceding and current row)
),
applied as (
    select seller_id, fnsku, sum(payment_units) - greatest(0, -min(balance)) as applied_units
    from balances group by seller_id, fnsku
),
matched as (
    select
        b.seller_id, b.k1 as shipment_id, b.k2 as sku,
        greatest(0, least(b.shortage_through, a.applied_units)
            - (b.shortage_through - b.shortage_units)) as paid_units
    from balances b
    join applied a on b.seller_id = a.seller_id and b.fnsku = a.fnsku
    where b.event_order = 0
),
costs as (
    select seller_id, sku, cast(unit_cost as decimal(18, 4)) as unit_cost
    from read_parquet('{products}', union_by_name = true, hive_partitioning = false)
    where sku is not null
    qualify row_number() over (
        partition by seller_id, sku
        order by _snapshot_at desc, _source_file desc, cast(unit_cost as decimal(18, 4)) desc,
            upper(trim(currency)) asc) = 1
),
claims as (
    select
        o.*, o.net_shortage_units - least(o.net_shortage_units, coalesce(m.paid_units, 0))
            as open_units
    from open_shortages o
    left join matched m
        on o.seller_id = m.seller_id and o.shipment_id = m.shipment_id and o.sku = m.sku
)
select
    claims.seller_id, claims.shipment_id, claims.sku, claims.fnsku,
    claims.fulfillment_center_id, claims.last_receipt_date as event_date,
    cast(claims.open_units as bigint) as quantity,
    cast(round(claims.open_units * costs.unit_cost, 2) as decimal(18, 2)) as amount
from claims
left join costs on claims.seller_id = costs.seller_id and claims.sku = costs.sku
where claims.open_units > 0
"""


def inbound_shortage_sql(home: Path) -> str:
    return INBOUND_SHORTAGE_SQL.format(
        ledger=_glob(home, "ledger_detail"),
        inbound=_glob(home, "inbound_shipment_items"),
        reimbursements=_glob(home, "reimbursements"),
        products=_product_glob(home),
        ledger_key=", ".join(LEDGER_KEY),
        reimbursement_key=", ".join(REIMBURSEMENT_KEY),
    )


def _unit_costs(home: Path) -> pd.DataFrame:
    """stg_seller__product_costs: the latest product master row per (seller, SKU)."""
    products = _read(
        home / "state" / "product_master",
        ["seller_id", "sku", "unit_cost", "currency", "_snapshot_at", "_source_file"],
    )
    products = products[products.sku.notna()]
    products = products.assign(
        unit_cost=products.unit_cost.map(_q4), cur=products.currency.str.strip().str.upper()
    )
    products = products.sort_values(
        ["_snapshot_at", "_source_file", "unit_cost", "cur"],
        ascending=[False, False, False, True],
        kind="stable",
    ).drop_duplicates(["seller_id", "sku"], keep="first")
    return products[["seller_id", "sku", "unit_cost"]]


def inbound_shortage_pandas(home: Path) -> pd.DataFrame:
    parquet = home / "landing" / "parquet"
    ledger = _read(
        parquet / "ledger_detail",
        [
            "seller_id",
            "date",
            "fnsku",
            "msku",
            "event_type",
            "reference_id",
            "fulfillment_center",
            "disposition",
            "reason",
            "country",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    ).rename(columns={"date": "event_date", "reason": "reason_code"})
    ledger = ledger[(ledger.event_type == "Receipts") & ledger.reference_id.notna()].copy()
    ledger["event_date"] = pd.to_datetime(ledger["event_date"])
    country = ledger["country"].str.strip().str.upper()
    ledger["country"] = country.where(country != "UK", "GB")
    ledger = _latest_rows(ledger, LEDGER_KEY)
    receipts = ledger.groupby(["seller_id", "reference_id"], as_index=False).agg(
        last_receipt_date=("event_date", "max")
    )
    receipts = receipts.rename(columns={"reference_id": "shipment_id"})

    items = _read(
        parquet / "inbound_shipment_items",
        [
            "seller_id",
            "shipment_id",
            "shipment_status",
            "destination_fulfillment_center_id",
            "seller_sku",
            "fnsku",
            "quantity_shipped",
            "quantity_received",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    ).rename(columns={"seller_sku": "sku", "destination_fulfillment_center_id": "fc"})
    items = _latest_rows(items, ["seller_id", "shipment_id", "sku"])
    items = items[items.shipment_status.str.strip().str.upper() == "CLOSED"]
    items = items.assign(
        shipped=items.quantity_shipped.fillna(0), received=items.quantity_received.fillna(0)
    )
    shipment = ["seller_id", "shipment_id"]
    over = items[items.received > items.shipped]
    over = (
        (over.received - over.shipped)
        .groupby([over.seller_id, over.shipment_id])
        .sum()
        .rename("overage")
        .reset_index()
    )
    short = items[items.shipped > items.received].copy()
    short["shortage"] = short.shipped - short.received
    short = short.sort_values([*shipment, "fnsku", "sku"], kind="stable")
    short["before"] = short.groupby(shipment).shortage.cumsum() - short.shortage
    short = short.merge(over, on=shipment, how="left").merge(receipts, on=shipment)
    offset = (short.overage.fillna(0) - short.before).clip(lower=0)
    short["net"] = short.shortage - offset.where(offset < short.shortage, short.shortage)
    short = short[short.net > 0]

    rb = _read(
        parquet / "reimbursements",
        [
            "seller_id",
            "approval_date",
            "reimbursement_id",
            "amazon_order_id",
            "reason",
            "sku",
            "fnsku",
            "quantity_reimbursed_total",
            "original_reimbursement_id",
            "_source_file",
            "_row_number",
            "_snapshot_at",
        ],
    )
    rb = _latest_rows(rb, REIMBURSEMENT_KEY)
    rb = rb.assign(
        units=rb.quantity_reimbursed_total.fillna(0).abs(), day=_utc_day(rb.approval_date)
    )
    pay_key = ["seller_id", "reimbursement_id", "fnsku"]
    payments = rb[rb.reason.isin(["Lost_Inbound", "Damaged_Inbound"]) & rb.fnsku.notna()]
    payments = payments.groupby(pay_key, dropna=False, as_index=False).agg(
        approval_date=("day", "min"), units=("units", "sum")
    )
    reversals = (
        rb[rb.reason == "Reimbursement_Reversal"]
        .dropna(subset=["original_reimbursement_id", "fnsku"])
        .groupby(["seller_id", "original_reimbursement_id", "fnsku"], as_index=False)
        .units.sum()
        .rename(columns={"original_reimbursement_id": "reimbursement_id", "units": "reversed"})
    )
    payments = payments.merge(
        reversals, on=pay_key, how="left"
    )  # a NULL reimbursement id meets no reversal: reversals has none
    payments["units"] = payments.units - payments.reversed.fillna(0)
    payments = payments[payments.units > 0]

    # Payments settle the FNSKU's shortages oldest first, one FIFO queue per (seller, FNSKU):
    # shortages join the queue at their last Receipts date, a payment (on its approval date,
    # after that day's shortages) pays the oldest open units; what finds nothing open is dropped.
    events = [
        (r.seller_id, r.fnsku, r.last_receipt_date, 0, r.shipment_id, r.sku, int(r.net))
        for r in short[short.fnsku.notna()].itertuples()
    ] + [
        (r.seller_id, r.fnsku, r.approval_date, 1, str(r.reimbursement_id), "", int(r.units))
        for r in payments.itertuples()
    ]
    events.sort(key=lambda e: e[:6])
    paid_units: dict[tuple[str, str, str], int] = {}
    for _, stream in itertools.groupby(events, key=lambda e: e[:2]):
        queue: deque[list] = deque()
        for seller_id, _fnsku, _day, kind, key, sku, units in stream:
            if kind == 0:
                queue.append([(seller_id, key, sku), units])
                continue
            while units and queue:
                line = queue[0]
                take = min(units, line[1])
                paid_units[line[0]] = paid_units.get(line[0], 0) + take
                line[1] -= take
                units -= take
                if not line[1]:
                    queue.popleft()
    paid = pd.DataFrame(
        [(*k, v) for k, v in paid_units.items()],
        columns=["seller_id", "shipment_id", "sku", "units"],
    )

    c = short.merge(paid, on=["seller_id", "shipment_id", "sku"], how="left")
    reimbursed = c.units.fillna(0)
    c["quantity"] = c.net - reimbursed.where(reimbursed < c.net, c.net)
    c = c[c.quantity > 0].merge(_unit_costs(home), on=["seller_id", "sku"], how="left")
    return pd.DataFrame(
        {
            "seller_id": c.seller_id,
            "shipment_id": c.shipment_id,
            "sku": c.sku,
            "fnsku": c.fnsku,
            "fulfillment_center_id": c.fc,
            "event_date": c.last_receipt_date.dt.date,
            "quantity": c.quantity.astype("int64"),
            "amount": [_money(q, v) for q, v in zip(c.quantity, c.unit_cost, strict=True)],
        }
    )


# ---------------------------------------------------------------------------------------------
# Running and comparing


def run_pandas(rule: Rule, home: Path, out: Path) -> int:
    frame = rule.pandas(home)
    cols = []
    for col in rule.key_columns:
        cols.append(f"cast({col} as date) as {col}" if col == "event_date" else col)
    cols += ["cast(quantity as bigint) as quantity", "cast(amount as decimal(18, 2)) as amount"]
    con = duckdb.connect()
    try:
        con.register("claims", frame)
        con.execute(f"copy (select {', '.join(cols)} from claims) to '{out}' (format parquet)")
    finally:
        con.close()
    return len(frame)


@dataclass(frozen=True)
class Rule:
    claim_type: str
    key_columns: tuple[str, ...]
    duckdb_sql: Callable[[Path], str]
    pandas: Callable[[Path], pd.DataFrame]


RULES: dict[str, Rule] = {
    "warehouse_lost": Rule(
        "warehouse_lost", WAREHOUSE_LOST_KEY, warehouse_lost_sql, warehouse_lost_pandas
    ),
    "refund_not_returned": Rule(
        "refund_not_returned",
        REFUND_NOT_RETURNED_KEY,
        refund_not_returned_sql,
        refund_not_returned_pandas,
    ),
    "inbound_shortage": Rule(
        "inbound_shortage", INBOUND_SHORTAGE_KEY, inbound_shortage_sql, inbound_shortage_pandas
    ),
}
# Rules of issue 8 without a baseline yet, with why (reported in the results).
PENDING_RULES: dict[str, str] = {}


def compared_columns(rule: Rule) -> list[str]:
    return [*rule.key_columns, *VALUE_COLUMNS]


def compare(db: Path, rule: Rule, baseline: Path, show: int = 5) -> dict:
    """Claims of `rule` in marts.fct_claims versus a baseline's Parquet: the rule's key columns,
    quantity and amount must match row for row (as multisets). On a mismatch, the first `show`
    claims of each kind: only in the pipeline, only in the baseline (by key), and in both with a
    different quantity or amount."""
    keys = list(rule.key_columns)
    cols = ", ".join(compared_columns(rule))
    on = " and ".join(f"p.{k} is not distinct from b.{k}" for k in keys)
    key_list = ", ".join(f"coalesce(cast(p.{k} as varchar), cast(b.{k} as varchar))" for k in keys)
    con = duckdb.connect()
    try:
        con.execute(f"attach '{db}' as wh (read_only)")
        con.execute(
            f"create temp table pipe as select {cols} from wh.marts.fct_claims "
            f"where claim_type = '{rule.claim_type}'"
        )
        con.execute(f"create temp table base as select {cols} from read_parquet('{baseline}')")
        n_pipe = con.execute("select count(*) from pipe").fetchone()[0]
        n_base = con.execute("select count(*) from base").fetchone()[0]
        n_diff = con.execute(
            "select (select count(*) from (select * from pipe except all select * from base))"
            " + (select count(*) from (select * from base except all select * from pipe))"
        ).fetchone()[0]
        joined = f"from pipe p full join base b on {on}"
        only_pipe = con.execute(
            f"select {key_list}, p.quantity, p.amount {joined} where b.seller_id is null "
            f"and b.quantity is null order by all limit {show}"
        ).fetchall()
        only_base = con.execute(
            f"select {key_list}, b.quantity, b.amount {joined} where p.seller_id is null "
            f"and p.quantity is null order by all limit {show}"
        ).fetchall()
        differ = con.execute(
            f"select {key_list}, p.quantity, b.quantity, p.amount, b.amount {joined} "
            "where p.quantity is not null and b.quantity is not null and "
            "(p.quantity != b.quantity or p.amount is distinct from b.amount) "
            f"order by all limit {show}"
        ).fetchall()
        counts = con.execute(
            f"select count(*) filter (where b.quantity is null), "
            f"count(*) filter (where p.quantity is null), "
            f"count(*) filter (where p.quantity is not null and b.quantity is not null and "
            f"(p.quantity != b.quantity or p.amount is distinct from b.amount)) {joined}"
        ).fetchone()
    finally:
        con.close()
    return {
        "agree": n_diff == 0 and n_pipe == n_base,
        "compared": compared_columns(rule),
        "pipeline_claims": n_pipe,
        "baseline_claims": n_base,
        "only_in_pipeline_count": counts[0],
        "only_in_baseline_count": counts[1],
        "value_differs_count": counts[2],
        "only_in_pipeline": [list(map(str, r)) for r in only_pipe],
        "only_in_baseline": [list(map(str, r)) for r in only_base],
        # key..., pipeline quantity, baseline quantity, pipeline amount, baseline amount
        "value_differs": [list(map(str, r)) for r in differ],
    }


def describe_mismatch(engine: str, name: str, cmp: dict) -> str:
    """A few lines naming the claims that differ, for the log."""
    keys = ", ".join(cmp["compared"][:-2])
    lines = [
        f"MISMATCH {engine}:{name}: pipeline {cmp['pipeline_claims']} claims, baseline "
        f"{cmp['baseline_claims']}; only in pipeline {cmp['only_in_pipeline_count']}, only in "
        f"baseline {cmp['only_in_baseline_count']}, quantity/amount differ "
        f"{cmp['value_differs_count']} (key: {keys})"
    ]
    for label, rows in (
        ("only in pipeline (key, quantity, amount)", cmp["only_in_pipeline"]),
        ("only in baseline (key, quantity, amount)", cmp["only_in_baseline"]),
        ("differ (key, qty pipeline, qty baseline, amount pipeline, amount baseline)",
         cmp["value_differs"]),
    ):  # fmt: skip
        for row in rows:
            lines.append(f"    {label}: {' | '.join(row)}")
    return "\n".join(lines)
