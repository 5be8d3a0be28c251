"""The weekly recovery report: one self-contained HTML page per seller and ISO week, from the
serving copy (marts fct_recovery_weekly, fct_recovery_open_claims, fct_recovery_cases,
fct_claims).

RECLAIM_HOME/reports/<seller>/recovery-<YYYY-Www>.html, written atomically. Inline CSS and SVG,
no script and nothing fetched from the network; every value from the data is escaped. Only the
seller's own rows are read (every query filters on seller_id).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from orchestration.home import ReclaimHome
from orchestration.reporting.charts import colour_for, horizontal_bars, stacked_weekly_bars
from orchestration.reporting.common import (
    connect,
    jinja_env,
    monday_of,
    require_seller,
    require_table,
    rows_as_dicts,
    week_label,
    write_atomic,
)

WEEKS_SHOWN = 12
METRICS = (
    ("found", "Found"),
    ("filed", "Filed"),
    ("recovered", "Recovered"),
    ("paid_automatically", "Paid automatically"),
    ("denied", "Denied"),
    ("expired", "Expired"),
    ("reversed", "Reversed"),
)
FUNNEL = (
    ("upcoming", "Upcoming (window not open)", "#56B4E9"),
    ("ready", "Ready to file", "#009E73"),
    ("expiring_7d", "Expiring in 7 days", "#E69F00"),
    ("expired", "Expired (lost)", "#D55E00"),
    ("filed", "Filed, waiting on Amazon", "#0072B2"),
)
OPEN_CLAIMS_SHOWN = 25
# The cases section, in this order: the ones the seller or agency has to act on, those waiting on
# Amazon, the closed ones (fct_recovery_cases.case_state).
CASE_STATES = (
    ("action_needed", "Action needed"),
    ("open", "Waiting on Amazon"),
    ("closed", "Closed"),
)
TOP_SKUS = 10


@dataclass
class ReportResult:
    path: Path
    seller_id: str
    week: str


def default_week(as_of: date) -> date:
    """The latest ISO week that began before as_of (a Monday run reports the week just ended)."""
    return monday_of(as_of - timedelta(days=1))


def _as_of(con) -> date:
    row = con.execute("select max(as_of) from marts.fct_claims").fetchone()
    return row[0] if row and row[0] else datetime.now(UTC).date()


def _money_by_currency(items) -> str:
    """'41.00 USD · 3.00 GBP' from (amount, currency) pairs; '0.00' when empty."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for amount, currency in items:
        totals[currency or ""] += amount or Decimal(0)
    parts = [f"{v:,.2f} {c}".strip() for c, v in sorted(totals.items()) if v]
    return " · ".join(parts) or "0.00"


def _policy_words(waiting_for: str) -> str:
    """fct_claims.waiting_for_policy (policy calendar seed and key) in a seller's words."""
    seed, _, rest = waiting_for.partition(" ")
    if seed == "claim_windows":
        claim_type, _, country = rest.rpartition(" ")
        return f"Amazon's claim window for {claim_type.replace('_', ' ')} claims in {country}"
    if seed == "fba_fulfillment_fees":
        return f"Amazon's FBA fulfilment fee table for {rest}"
    return waiting_for


def report_context(home: ReclaimHome, seller_id: str, week: date | None = None) -> dict:
    with connect(home.serving) as con:
        seller = require_seller(con, home.state, seller_id)
        for table in (
            "marts.fct_recovery_weekly",
            "marts.fct_recovery_open_claims",
            "marts.fct_recovery_cases",
        ):
            require_table(con, table)
        as_of = _as_of(con)
        week = monday_of(week) if week else default_week(as_of)
        first = week - timedelta(weeks=WEEKS_SHOWN - 1)
        week_end = week + timedelta(days=6)
        weekly = rows_as_dicts(
            con.execute(
                "select * from marts.fct_recovery_weekly where seller_id = ? "
                "and week_start between ? and ? order by week_start, claim_type, currency",
                [seller_id, first, week],
            )
        )
        open_claims = rows_as_dicts(
            con.execute(
                "select * from marts.fct_recovery_open_claims where seller_id = ? "
                "order by urgency_rank",
                [seller_id],
            )
        )
        # Every case with activity (filing, outcome, payment) in the weeks shown, plus every case
        # not closed yet whatever its dates; statuses are as of the build.
        cases = rows_as_dicts(
            con.execute(
                """
                select * from marts.fct_recovery_cases where seller_id = ?
                and (case_state <> 'closed'
                     or filed_date between ? and ?
                     or last_activity_date between ? and ?)
                order by case case_state when 'action_needed' then 1 when 'open' then 2
                    else 3 end,
                    case case_status when 'needs_info' then 1 when 'reversed' then 2
                        when 'denied' then 3 else 4 end,
                    filed_date, case_id
                """,
                [seller_id, first, week_end, first, week_end],
            )
        )
        # Claims found but not fileable yet (status needs_data): waiting for a rule of the policy
        # calendar (window, fee card, valuation) for their marketplace and date, or for the
        # seller's own data (a refund's amount and date, ...); one row per missing thing.
        waiting = rows_as_dicts(
            con.execute(
                """
                select case when waiting_for_policy is not null then 'policy' else 'data' end
                           as waiting_kind,
                       coalesce(waiting_for_policy, waiting_for_data, missing_data,
                                'unknown') as waiting_for,
                       string_agg(distinct claim_type, ', ' order by claim_type) as claim_types,
                       count(*) as claims
                from marts.fct_claims
                where seller_id = ? and status = 'needs_data'
                group by all
                order by claims desc, waiting_for
                """,
                [seller_id],
            )
        )
        skus = rows_as_dicts(
            con.execute(
                """
                select coalesce(sku, fnsku, '(no SKU)') as sku, currency,
                       count(*) as claims,
                       coalesce(sum(amount), 0) as found_amount,
                       coalesce(sum(amount) filter (where status in
                           ('upcoming', 'ready', 'approved', 'filed', 'needs_info')), 0)
                           as open_amount,
                       coalesce(sum(recovered_amount), 0) as recovered_amount
                from marts.fct_claims where seller_id = ?
                group by all order by found_amount desc, sku limit ?
                """,
                [seller_id, TOP_SKUS],
            )
        )
        currencies = con.execute(
            "select currency from marts.fct_claims where seller_id = ? and currency is not null "
            "group by currency order by sum(coalesce(amount, 0)) desc, currency",
            [seller_id],
        ).fetchall()

    currency = currencies[0][0] if currencies else ""
    weeks = [first + timedelta(weeks=i) for i in range(WEEKS_SHOWN)]
    labels = [week_label(w) for w in weeks]
    this_week = [r for r in weekly if r["week_start"] == week]

    # Chart: case recoveries per week, stacked by claim type (the main currency).
    types = sorted(
        {r["claim_type"] for r in weekly if r["recovered_amount"] and r["currency"] == currency}
    )
    series = {t: [Decimal(0)] * WEEKS_SHOWN for t in types}
    auto = [Decimal(0)] * WEEKS_SHOWN
    for r in weekly:
        if r["currency"] != currency:
            continue
        i = weeks.index(r["week_start"])
        if r["claim_type"] in series:
            series[r["claim_type"]][i] += r["recovered_amount"]
        auto[i] += r["paid_automatically_amount"]
    recovery_chart = stacked_weekly_bars(
        labels, series, currency, f"Recovered through cases, by week and claim type ({currency})"
    )
    auto_chart = stacked_weekly_bars(
        labels,
        {"paid_automatically": auto},
        currency,
        f"Paid automatically by Amazon, by week ({currency}, not billed)",
    )
    auto_chart.rects = [
        r.__class__(r.x, r.y, r.width, r.height, "#9aa5b1", r.title, r.css_class)
        for r in auto_chart.rects
    ]
    auto_chart.legend = [("#9aa5b1", "paid automatically")]

    # Deadline funnel.
    stage_rows = []
    for stage, label, colour in FUNNEL:
        items = [c for c in open_claims if c["deadline_stage"] == stage]
        value = sum((c["amount"] or Decimal(0) for c in items), Decimal(0))
        caption = f"{len(items)} claim(s) · " + _money_by_currency(
            (c["amount"], c["currency"]) for c in items
        )
        stage_rows.append((label, value, colour, caption))
    funnel_chart = horizontal_bars(stage_rows, "Deadline funnel")
    funnel_chart.empty = not open_claims

    # Top SKUs by value found.
    sku_rows = [
        (
            s["sku"],
            s["found_amount"],
            colour_for(0),
            f"{s['found_amount']:,.2f} {s['currency'] or ''} found · "
            f"{s['recovered_amount']:,.2f} recovered",
        )
        for s in skus
    ]
    sku_chart = horizontal_bars(sku_rows, "Top SKUs by value found", label_width=200)

    def total(metric: str, rows=this_week) -> str:
        return _money_by_currency((r[f"{metric}_amount"], r["currency"]) for r in rows)

    def net_recovered(rows) -> str:
        """What our cases recovered net of reversals, as the invoice bills it."""
        return _money_by_currency(
            pair
            for r in rows
            for pair in (
                (r["recovered_amount"], r["currency"]),
                (-r["reversed_amount"], r["currency"]),
            )
        )

    def gross_and_reversed(rows, lead: str) -> str:
        if not any(r["reversed_amount"] for r in rows):
            return lead
        return (
            f"{lead}: {total('recovered', rows)} recovered, "
            f"{total('reversed', rows)} reversed by Amazon"
        )

    kpis = [
        (
            "Recovered this week (net)",
            net_recovered(this_week),
            gross_and_reversed(this_week, "through our cases"),
        ),
        ("Paid automatically", total("paid_automatically"), "by Amazon this week, not billed"),
        (
            "Recovered, 12 weeks (net)",
            net_recovered(weekly),
            gross_and_reversed(weekly, f"since {first:%d %b %Y}"),
        ),
        (
            "Ready to file",
            _money_by_currency(
                (c["amount"], c["currency"])
                for c in open_claims
                if c["deadline_stage"] in ("ready", "expiring_7d")
            ),
            f"{sum(c['deadline_stage'] in ('ready', 'expiring_7d') for c in open_claims)} claims",
        ),
        (
            "At risk",
            _money_by_currency(
                (c["amount"], c["currency"])
                for c in open_claims
                if c["deadline_stage"] == "expiring_7d"
            ),
            "deadline within 7 days",
        ),
    ]
    by_type: dict[tuple[str, str], dict] = {}
    for r in this_week:
        by_type[(r["claim_type"], r["currency"] or "")] = r
    week_table = [
        {
            "claim_type": ct,
            "currency": cur,
            "cells": [(r[f"{m}_count"], r[f"{m}_amount"]) for m, _ in METRICS],
        }
        for (ct, cur), r in sorted(by_type.items())
    ]
    return {
        "seller_id": seller_id,
        "seller_name": (seller.name if seller and seller.name else seller_id),
        "week": week_label(week),
        "week_start": week,
        "week_end": week_end,
        "as_of": as_of,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "currency": currency,
        "kpis": kpis,
        "metrics": METRICS,
        "week_table": week_table,
        "recovery_chart": recovery_chart,
        "auto_chart": auto_chart,
        "funnel_chart": funnel_chart,
        "sku_chart": sku_chart,
        "skus": skus,
        "open_claims": [c for c in open_claims if c["deadline_stage"] != "expired"][
            :OPEN_CLAIMS_SHOWN
        ],
        "open_total": sum(c["deadline_stage"] != "expired" for c in open_claims),
        "follow_ups_due": sum(bool(c["follow_up_due"]) for c in open_claims),
        "case_groups": [
            (state, title, [c for c in cases if c["case_state"] == state])
            for state, title in CASE_STATES
        ],
        "waiting": [
            {
                **w,
                "waiting_for": _policy_words(w["waiting_for"])
                if w["waiting_kind"] == "policy"
                else w["waiting_for"],
            }
            for w in waiting
        ],
        "waiting_total": sum(w["claims"] for w in waiting),
        "cases_total": len(cases),
        "cases_action_needed": sum(c["case_state"] == "action_needed" for c in cases),
        "cases_since": first,
    }


def write_weekly_report(
    home: ReclaimHome, seller_id: str, week: date | None = None, out: Path | None = None
) -> ReportResult:
    ctx = report_context(home, seller_id, week)
    html = jinja_env().get_template("weekly.html.j2").render(**ctx)
    path = Path(out) if out else home.root / "reports" / seller_id / f"recovery-{ctx['week']}.html"
    write_atomic(path, html)
    return ReportResult(path, seller_id, ctx["week"])
