"""Finding claims for `reclaim claims list` and `reclaim claims show`: a case manager looks a
claim up by what they have at hand (claim id, order, shipment, removal order, ledger reference,
SKU, FNSKU or Seller Support case id) and sees its facts, its recorded history (the outcome log,
state/claim_events) and what Amazon paid against it (marts.fct_recovery_payments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from orchestration.claim_outcomes import read_log
from orchestration.exports import EXPORT_COLUMNS

SEARCHED = (
    "claim_id",
    "order_id",
    "shipment_id",
    "removal_order_id",
    "reference_id",
    "sku",
    "fnsku",
    "case_id",
)
LIST_COLUMNS = ("claim_id", "claim_type", "status", "deadline", "amount", "currency", "sku")
# The export's columns a case manager reads on screen (not the long evidence and case text, nor
# the unit value the amount already carries), then the claim's filing and what it recovered.
_SHOWN = (
    *(c for c in EXPORT_COLUMNS if c not in ("unit_value", "evidence", "case_text")),
    "case_id",
    "filed_date",
    "recovered_amount",
)


@dataclass
class ClaimRecord:
    facts: dict
    history: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)


def _rows(cur) -> list[dict]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]


def list_claims(con, seller_id: str, statuses: list[str] | None, limit: int) -> list[dict]:
    sql = f"select {', '.join(LIST_COLUMNS)} from marts.fct_claims where seller_id = ?"
    params: list = [seller_id]
    if statuses:
        sql += " and status in (select unnest(?))"
        params.append(statuses)
    sql += " order by deadline nulls last, amount desc nulls last, claim_id limit ?"
    return _rows(con.execute(sql, [*params, limit]))


def find_claims(
    con, state_dir: Path, term: str, seller_id: str | None = None, limit: int = 50
) -> list[ClaimRecord]:
    """Claims whose id, order, shipment, removal order, reference, SKU, FNSKU or case id is
    `term` (exact, case-insensitive), with their history and payments."""
    term = term.strip()
    where = " or ".join(f"upper({c}) = upper(?)" for c in SEARCHED)
    claim_cols = {
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'fct_claims'"
        ).fetchall()
    }
    # What a needs_data claim waits for (a serving copy built before these columns: none).
    waits = ", ".join(
        c if c in claim_cols else f"null as {c}" for c in ("missing_data", "waiting_for_policy")
    )
    sql = f"select {', '.join(_SHOWN)}, {waits} from marts.fct_claims where ({where})"
    params: list = [term] * len(SEARCHED)
    if seller_id:
        sql += " and seller_id = ?"
        params.append(seller_id)
    sql += " order by deadline nulls last, claim_id limit ?"
    found = [ClaimRecord(f) for f in _rows(con.execute(sql, [*params, limit]))]
    if not found:
        return []
    ids = [r.facts["claim_id"] for r in found]
    payments: dict[str, list[dict]] = {}
    has_payments = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'marts' and table_name = 'fct_recovery_payments'"
    ).fetchone()[0]
    if has_payments:
        cols = {
            r[0]
            for r in con.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'fct_recovery_payments'"
            ).fetchall()
        }
        attribution = "attribution" if "attribution" in cols else "null as attribution"
        for p in _rows(
            con.execute(
                "select claim_id, approval_date, payment_kind, reimbursement_id, case_id, "
                f"amount, currency, {attribution} from marts.fct_recovery_payments "
                "where claim_id in (select unnest(?)) order by approval_date, reimbursement_id",
                [ids],
            )
        ):
            payments.setdefault(p["claim_id"], []).append(p)
    history: dict[str, list[dict]] = {}
    for e in read_log(state_dir):
        if e["claim_id"] in ids:
            history.setdefault(e["claim_id"], []).append(e)
    for r in found:
        r.history = history.get(r.facts["claim_id"], [])
        r.payments = payments.get(r.facts["claim_id"], [])
    return found


def _money(amount, currency) -> str:
    return "" if amount is None else f"{currency or ''} {amount:,.2f}".strip()


def format_record(r: ClaimRecord) -> str:
    f = r.facts
    ids = [
        f"{label} {f[key]}"
        for key, label in (
            ("fnsku", "FNSKU"),
            ("sku", "SKU"),
            ("asin", "ASIN"),
            ("order_id", "order"),
            ("shipment_id", "shipment"),
            ("removal_order_id", "removal order"),
            ("reference_id", "reference"),
            ("fulfillment_center_id", "FC"),
        )
        if f[key]
    ]
    out = [
        f"{f['claim_id']}  {f['claim_type']}  {f['status']}  seller {f['seller_id']} "
        f"({f['marketplace_id']})",
        "  " + " · ".join(ids),
        f"  event {f['event_date']} · {f['quantity']} unit(s) · "
        f"{_money(f['amount'], f['currency']) or 'no value'} · eligible {f['eligible_from']} · "
        f"deadline {f['deadline']}",
    ]
    for key, label in (
        ("missing_data", "waiting for data"),
        ("waiting_for_policy", "waiting for a policy row"),
    ):
        if f.get(key):
            out.append(f"  {label}: {f[key]}")
    if f["case_id"]:
        out.append(
            f"  case {f['case_id']} filed {f['filed_date']} · recovered "
            f"{_money(f['recovered_amount'], f['currency']) or '0.00'}"
        )
    out.append("  history:" if r.history else "  history: nothing recorded")
    for e in r.history:
        what = e["action"] + (f" -> {e['status']}" if e["status"] else "")
        extra = " · ".join(
            x
            for x in (
                e["case_id"] and f"case {e['case_id']}",
                e["reason"],
                e["note"],
                e["source"],
            )
            if x
        )
        out.append(f"    {e['event_date']}  {what}" + (f"  ({extra})" if extra else ""))
    if r.payments:
        out.append("  payments:")
        for p in r.payments:
            how = f" ({p['attribution']})" if p["attribution"] else ""
            out.append(
                f"    {p['approval_date']}  {p['payment_kind']}  {p['reimbursement_id']}  "
                f"{_money(p['amount'], p['currency'])}{how}"
            )
    return "\n".join(out)
