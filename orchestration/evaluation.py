"""Detection quality: `fct_claims` against the sandbox's ground truth.

The truth comes from the simulator's own event log; detection comes from dbt. They meet only on
what a claim is *about* (its natural key as the export shows it), never on shared code or ids.
Counts: a detected claim is a true positive when the truth has a discrepancy of the same type with
the same key. Claims waiting for a policy row or for the seller's data (status needs_data: no
window, fee card, refund, unit cost, ...) are counted apart ("waiting"), and truth rows they
match are left out of recall: the figures measure the rules where the policy calendar and the
data have what a claim needs. Dollars: a true positive contributes min(detected amount,
true amount), so a claim for the wrong quantity or value is only partly right.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb

from orchestration.exports import EXPORT_COLUMNS

CLAIM_TYPES = (
    "warehouse_lost",
    "warehouse_damaged",
    "disposed_unauthorized",
    "refund_not_returned",
    "return_damaged_unreimbursed",
    "refund_exceeds_charge",
    "inbound_shortage",
    "removal_unaccounted",
    "fulfillment_fee_overcharge",
    "storage_fee_overcharge",
    "reimbursement_underpaid",
    "reversal_unjustified",
)

# What identifies the discrepancy a claim is about, per type, in export-contract columns.
MATCH_KEYS: dict[str, tuple[str, ...]] = {
    "warehouse_lost": ("fnsku", "reference_id", "event_date", "fulfillment_center_id"),
    "warehouse_damaged": ("fnsku", "reference_id", "event_date", "fulfillment_center_id"),
    "disposed_unauthorized": ("fnsku", "reference_id", "event_date", "fulfillment_center_id"),
    "refund_not_returned": ("order_id", "sku"),
    "return_damaged_unreimbursed": ("order_id", "sku"),
    "refund_exceeds_charge": ("order_id", "sku"),
    "inbound_shortage": ("shipment_id", "sku"),
    "removal_unaccounted": ("removal_order_id", "sku"),
    # Fee disputes: one claim per item and month of charge (the orders sit in the evidence).
    "fulfillment_fee_overcharge": ("sku", "marketplace_id", "event_date"),
    "storage_fee_overcharge": ("fnsku", "marketplace_id", "event_date"),
    "reimbursement_underpaid": ("reference_id", "fnsku"),
    "reversal_unjustified": ("reference_id", "fnsku"),
}


def _key(row: dict, claim_type: str) -> tuple:
    return (
        row["seller_id"],
        claim_type,
        *((str(row.get(c) or "").strip()) for c in MATCH_KEYS[claim_type]),
    )


def _amount(row: dict) -> Decimal:
    v = row.get("amount")
    return Decimal(str(v)) if v not in (None, "") else Decimal(0)


def load_truth(sandbox_dir: Path) -> list[dict]:
    rows: list[dict] = []
    for path in sorted(Path(sandbox_dir).glob("*/ground_truth.csv")):
        with open(path, newline="", encoding="utf-8") as fh:
            rows += list(csv.DictReader(fh))
    return rows


def load_detected(db: Path) -> list[dict]:
    with duckdb.connect(str(db), read_only=True) as con:
        cur = con.execute(f"select {', '.join(EXPORT_COLUMNS)} from marts.fct_claims")
        names = [d[0] for d in cur.description]
        return [
            {k: (None if v is None else str(v)) for k, v in zip(names, r, strict=True)}
            for r in cur.fetchall()
        ]


def _ratio(a, b) -> float | None:
    return None if not b else round(float(a) / float(b), 4)


def evaluate(truth: list[dict], detected: list[dict], as_of: str, examples: int = 5) -> dict:
    by_type_truth: dict[str, dict[tuple, dict]] = defaultdict(dict)
    by_type_found: dict[str, dict[tuple, dict]] = defaultdict(dict)
    for r in truth:
        by_type_truth[r["claim_type"]][_key(r, r["claim_type"])] = r
    # A claim waiting for a policy row (status needs_data: no window, fee card, ... for its
    # marketplace and date) is not a detection: it is counted apart, with the truth rows it
    # matches, so the figures measure the rules where the policy calendar has rows.
    by_type_waiting: dict[str, set[tuple]] = defaultdict(set)
    for r in detected:
        if r.get("status") == "needs_data":
            by_type_waiting[r["claim_type"]].add(_key(r, r["claim_type"]))
        else:
            by_type_found[r["claim_type"]][_key(r, r["claim_type"])] = r

    result: dict = {"as_of": as_of, "claim_types": {}}
    totals = defaultdict(Decimal)
    for ct in CLAIM_TYPES:
        t, f = by_type_truth.get(ct, {}), by_type_found.get(ct, {})
        waiting = by_type_waiting.get(ct, set())
        t_waiting = {k: r for k, r in t.items() if k in waiting}
        t = {k: r for k, r in t.items() if k not in waiting}
        tp_keys = t.keys() & f.keys()
        truth_usd = sum((_amount(r) for r in t.values()), Decimal(0))
        found_usd = sum((_amount(r) for r in f.values()), Decimal(0))
        tp_usd = sum((min(_amount(t[k]), _amount(f[k])) for k in tp_keys), Decimal(0))
        entry = {
            "truth_count": len(t),
            "found_count": len(f),
            "tp_count": len(tp_keys),
            "precision_count": _ratio(len(tp_keys), len(f)),
            "recall_count": _ratio(len(tp_keys), len(t)) if t else None,
            "truth_usd": float(truth_usd),
            "found_usd": float(found_usd),
            "tp_usd": float(tp_usd),
            "precision_usd": _ratio(tp_usd, found_usd),
            "recall_usd": _ratio(tp_usd, truth_usd) if t else None,
            "waiting_for_policy_count": len(waiting),
            "truth_waiting_for_policy_count": len(t_waiting),
            "truth_waiting_for_policy_usd": float(
                sum((_amount(r) for r in t_waiting.values()), Decimal(0))
            ),
            "misses": [_describe(t[k]) for k in sorted(t.keys() - f.keys())[:examples]],
            "false_positives": [_describe(f[k]) for k in sorted(f.keys() - t.keys())[:examples]],
        }
        if not t and not f:
            entry["precision_count"] = entry["precision_usd"] = None
        result["claim_types"][ct] = entry
        for k in ("truth_count", "found_count", "tp_count", "waiting_for_policy_count"):
            totals[k] += entry[k]
        for k in ("truth_usd", "found_usd", "tp_usd"):
            totals[k] += Decimal(str(entry[k]))
    result["overall"] = {
        "truth_count": int(totals["truth_count"]),
        "found_count": int(totals["found_count"]),
        "tp_count": int(totals["tp_count"]),
        "waiting_for_policy_count": int(totals["waiting_for_policy_count"]),
        "precision_count": _ratio(totals["tp_count"], totals["found_count"]),
        "recall_count": _ratio(totals["tp_count"], totals["truth_count"]),
        "truth_usd": float(totals["truth_usd"]),
        "found_usd": float(totals["found_usd"]),
        "tp_usd": float(totals["tp_usd"]),
        "precision_usd": _ratio(totals["tp_usd"], totals["found_usd"]),
        "recall_usd": _ratio(totals["tp_usd"], totals["truth_usd"]),
    }
    return result


def _describe(row: dict) -> dict:
    keep = (
        "seller_id",
        "claim_type",
        "status",
        "fnsku",
        "sku",
        "order_id",
        "shipment_id",
        "removal_order_id",
        "reference_id",
        "fulfillment_center_id",
        "event_date",
        "quantity",
        "amount",
    )
    return {k: row.get(k) for k in keep if row.get(k) not in (None, "")}


def format_table(result: dict) -> str:
    def pct(v):
        return "   -  " if v is None else f"{v * 100:5.1f}%"

    lines = [
        f"{'claim type':<28} {'truth':>5} {'found':>5} {'tp':>5} {'prec':>6} {'recall':>6}"
        f" {'truth $':>11} {'found $':>11} {'prec $':>6} {'rec $':>6} {'waiting':>7}"
    ]
    rows = [*result["claim_types"].items(), ("overall", result["overall"])]
    for name, e in rows:
        if name != "overall" and not (
            e["truth_count"] or e["found_count"] or e.get("waiting_for_policy_count")
        ):
            continue
        lines.append(
            f"{name:<28} {e['truth_count']:>5} {e['found_count']:>5} {e['tp_count']:>5} "
            f"{pct(e['precision_count'])} {pct(e['recall_count'])} {e['truth_usd']:>11,.2f} "
            f"{e['found_usd']:>11,.2f} {pct(e['precision_usd'])} {pct(e['recall_usd'])}"
            f" {e.get('waiting_for_policy_count', 0):>7}"
        )
    return "\n".join(lines)
