"""Baselines for the claim rules, computed straight from the landing Parquet: (a) one hand-written
DuckDB SQL script per rule (the floor: what DuckDB itself costs) and (b) a straightforward pandas
implementation (what a typical seller script does). Both must give the pipeline's claims.

A rule is a `Rule` in `RULES`: the columns that identify a claim (compared with
marts.fct_claims), a DuckDB SQL script and a pandas function. Adding `refund_not_returned` or
`inbound_shortage` is adding an entry once their dbt models are settled.

Assumption shared by both: the claim outcome log (state/claim_events) is empty, as it is in every
benchmark home, so no reimbursement is set aside as the outcome of one of our own cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import duckdb
import pandas as pd
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_DIR = REPO_ROOT / "dbt_project"
REASON_CODES_CSV = DBT_DIR / "seeds" / "ledger_reason_codes.csv"

# What a claim is compared on (fct_claims columns); quantity and amount are the values compared.
CLAIM_COLUMNS = ("seller_id", "fnsku", "reference_id", "event_date", "fulfillment_center_id")
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


def run_pandas(fn: Callable[[Path], pd.DataFrame], home: Path, out: Path) -> int:
    frame = fn(home)
    con = duckdb.connect()
    try:
        con.register("claims", frame)
        con.execute(
            "copy (select seller_id, fnsku, reference_id, cast(event_date as date) as event_date,"
            " fulfillment_center_id, cast(quantity as bigint) as quantity,"
            " cast(amount as decimal(18, 2)) as amount from claims)"
            f" to '{out}' (format parquet)"
        )
    finally:
        con.close()
    return len(frame)


# ---------------------------------------------------------------------------------------------
# Registry


@dataclass(frozen=True)
class Rule:
    claim_type: str
    key_columns: tuple[str, ...]
    duckdb_sql: Callable[[Path], str]
    pandas: Callable[[Path], pd.DataFrame]


RULES: dict[str, Rule] = {
    "warehouse_lost": Rule(
        "warehouse_lost", CLAIM_COLUMNS, warehouse_lost_sql, warehouse_lost_pandas
    ),
}
# Rules of issue 8 without a baseline yet, with why (reported in the results).
PENDING_RULES = {
    "refund_not_returned": (
        "dbt model int_refund_not_returned_candidates exists but was being written during this "
        "change (uncommitted: int_refunds, int_order_returns_netted); baseline not written yet"
    ),
    "inbound_shortage": "no inbound_shortage rule in dbt_project/models yet",
}


def compare(db: Path, rule: Rule, baseline: Path) -> dict:
    """Claims of `rule` in marts.fct_claims versus a baseline's Parquet: keys, quantity and
    amount must match row for row (as multisets)."""
    cols = ", ".join((*rule.key_columns, *VALUE_COLUMNS))
    con = duckdb.connect()
    try:
        con.execute(f"attach '{db}' as wh (read_only)")
        con.execute(
            f"create temp table pipe as select {cols} from wh.marts.fct_claims "
            f"where claim_type = '{rule.claim_type}'"
        )
        con.execute(f"create temp table base as select {cols} from read_parquet('{baseline}')")
        only_pipe = con.execute(
            f"select {cols} from (select * from pipe except all select * from base) limit 10"
        ).fetchall()
        only_base = con.execute(
            f"select {cols} from (select * from base except all select * from pipe) limit 10"
        ).fetchall()
        n_pipe = con.execute("select count(*) from pipe").fetchone()[0]
        n_base = con.execute("select count(*) from base").fetchone()[0]
    finally:
        con.close()
    return {
        "agree": not only_pipe and not only_base and n_pipe == n_base,
        "pipeline_claims": n_pipe,
        "baseline_claims": n_base,
        "only_in_pipeline": [list(map(str, r)) for r in only_pipe],
        "only_in_baseline": [list(map(str, r)) for r in only_base],
    }
