"""`reclaim status`: what an operator asks first: did the last runs work, is every seller's data
current, and which claims need attention (ready, expiring this week, awaiting an answer, waiting
for a policy row or for the seller's data, and which report or file would complete it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime

from extractors.spapi.extract import CursorStore
from orchestration.home import REPO_ROOT, ReclaimHome
from orchestration.sellers import SellerRegistry


@dataclass
class Status:
    runs: list[dict] = field(default_factory=list)
    incidents: int = 0
    last_incident: dict | None = None
    sellers: list[dict] = field(default_factory=list)
    claims: list[dict] = field(default_factory=list)
    as_of: str | None = None
    orphans_failed: list[dict] = field(default_factory=list)
    stuck: list[dict] = field(default_factory=list)


def collect_status(home: ReclaimHome, runs: int = 10) -> Status:
    home.activate()
    st = Status()
    _sweep(home, st)
    st.runs = _recent_runs(runs)
    incidents = home.root / "incidents.jsonl"
    if incidents.exists():
        lines = [ln for ln in incidents.read_text(encoding="utf-8").splitlines() if ln.strip()]
        st.incidents = len(lines)
        if lines:
            try:
                st.last_incident = json.loads(lines[-1])
            except ValueError:
                st.last_incident = {"message": lines[-1][:300]}
    cursors = CursorStore(home.root)
    for seller in SellerRegistry(home.state).load():
        folder = cursors.root / seller.seller_id
        sources = {}
        if folder.exists():
            for f in sorted(folder.glob("*.json")):
                c = cursors.load(seller.seller_id, f.stem)
                sources[f.stem] = {
                    "complete_through": c.complete_through.isoformat()
                    if c.complete_through
                    else None,
                    "pending_reports": len(c.pending),
                }
        st.sellers.append({"seller_id": seller.seller_id, "kind": seller.kind, "sources": sources})
    if home.serving.exists():
        import duckdb

        with duckdb.connect(str(home.serving), read_only=True) as con:
            as_of = con.execute("select max(as_of)::varchar from marts.fct_claims").fetchone()[0]
            st.as_of = as_of
            rows = con.execute(
                """
                select seller_id,
                       count(*) filter (where status = 'ready'),
                       coalesce(sum(amount) filter (where status = 'ready'), 0),
                       count(*) filter (
                           where status = 'ready' and deadline <= as_of + interval 7 day
                       ),
                       count(*) filter (where status = 'upcoming'),
                       count(*) filter (where status in ('filed', 'needs_info')),
                       min(currency),
                       count(*) filter (
                           where status = 'needs_data' and waiting_for_policy is not null
                       ),
                       string_agg(distinct waiting_for_policy, '; ' order by waiting_for_policy)
                from marts.fct_claims
                group by seller_id
                order by seller_id
                """
            ).fetchall()
            waiting = _waiting_for_data(con)
        st.claims = [
            {
                "seller_id": r[0],
                "ready": r[1],
                "ready_value": r[2],
                "expiring_7d": r[3],
                "upcoming": r[4],
                "awaiting_amazon": r[5],
                "currency": r[6],
                "needs_policy": r[7],
                "waiting_for_policy": r[8],
                "waiting_for_data": waiting.get(r[0], []),
            }
            for r in rows
        ]
    return st


def _waiting_for_data(con) -> dict[str, list[dict]]:
    """Per seller, the needs_data claims waiting for the seller's own data, one group per
    missing fact (fct_claims.waiting_for_data: 'refund amount and date: settlement report or
    Finances transactions'), largest first, with one claim's full text as an example. A
    serving copy built before the column existed gives none."""
    columns = {c[0] for c in con.execute("select * from marts.fct_claims limit 0").description}
    if "waiting_for_data" not in columns:
        return {}
    out: dict[str, list[dict]] = {}
    for seller_id, group, count, example in con.execute(
        """
        select seller_id, waiting_for_data, count(*), min(missing_data)
        from marts.fct_claims
        where status = 'needs_data' and waiting_for_data is not null
        group by seller_id, waiting_for_data
        order by seller_id, count(*) desc, waiting_for_data
        """
    ).fetchall():
        what, _, source = group.partition(": ")
        out.setdefault(seller_id, []).append(
            {
                "missing": what,
                "completed_by": source or None,
                "claims": count,
                "example": example,
            }
        )
    return out


def _sweep(home: ReclaimHome, st: Status) -> None:
    """Fail runs whose worker died (they would hold their seller's queue and the warehouse pool
    forever), write the incident of every failed run, and list the runs still in flight."""
    import dagster as dg

    from orchestration import lifecycle

    try:
        instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
        st.orphans_failed = [o.__dict__ for o in lifecycle.reap_orphans(instance, home)]
        lifecycle.sync_incidents(instance, home)
        st.stuck = lifecycle.stuck_runs(instance)
    except Exception as exc:  # no storage yet, or storage from another Dagster version
        st.stuck = [{"error": f"Dagster run storage unreadable: {exc}"}]


def _recent_runs(limit: int) -> list[dict]:
    import dagster as dg

    try:
        instance = dg.DagsterInstance.from_config(str(REPO_ROOT))
        records = instance.get_run_records(limit=limit)
    except Exception as exc:  # no storage yet, or storage from another Dagster version
        return [{"error": f"Dagster run storage unreadable: {exc}"}]
    out = []
    for rec in records:
        run = rec.dagster_run
        start = rec.start_time or rec.create_timestamp.timestamp()
        end = rec.end_time
        out.append(
            {
                "run_id": run.run_id[:8],
                "job": run.job_name,
                "status": run.status.value,
                "started": datetime.fromtimestamp(start, UTC).strftime("%Y-%m-%d %H:%M"),
                "seconds": round(end - start) if end and start else None,
                # extraction runs: "<day>|<seller>"
                "partition": run.tags.get("dagster/partition"),
            }
        )
    return out


def format_status(st: Status) -> str:
    lines = ["Recent runs:"]
    if not st.runs:
        lines.append("  (none yet)")
    for r in st.runs:
        if "error" in r:
            lines.append(f"  {r['error']}")
            continue
        secs = f"{r['seconds']}s" if r["seconds"] is not None else "running"
        part = f"  {r['partition']}" if r.get("partition") else ""
        lines.append(
            f"  {r['started']}  {r['job']:<20} {r['status']:<10} {secs:>8}  {r['run_id']}{part}"
        )
    for o in st.orphans_failed:
        part = f" {o['partition']}" if o.get("partition") else ""
        lines.append(f"  failed now: {o['run_id'][:8]} {o['job']}{part}: {o['reason']}")
    in_flight = [r for r in st.stuck if "error" not in r]
    if in_flight:
        lines.append("Runs in flight:")
    for r in in_flight:
        state = {True: "alive", False: "gone", None: "unknown"}[r["worker_alive"]]
        part = f"  {r['partition']}" if r.get("partition") else ""
        lines.append(
            f"  {r['run_id']}  {r['job']:<20} {r['status']:<10} worker {r['worker']} "
            f"({state}){part}"
        )
    if st.incidents:
        last = st.last_incident or {}
        lines.append(
            f"Incidents: {st.incidents} (incidents.jsonl); last: {last.get('at', '?')} "
            f"{last.get('job', '')}: {str(last.get('message', ''))[:160]}"
        )
    lines.append("Sellers:")
    if not st.sellers:
        lines.append("  (no seller registered)")
    for s in st.sellers:
        src = s["sources"]
        if not src:
            detail = "no SP-API pull yet" if s["kind"] != "files" else "report files only"
        else:
            ends = sorted(v["complete_through"] or "" for v in src.values())
            pending = sum(v["pending_reports"] for v in src.values())
            detail = f"{len(src)} source(s) pulled through {ends[0] or '-'}..{ends[-1] or '-'}"
            if pending:
                detail += f", {pending} report(s) in flight"
        lines.append(f"  {s['seller_id']:<16} {s['kind']:<8} {detail}")
    lines.append(f"Claims{' as of ' + st.as_of if st.as_of else ''}:")
    if not st.claims:
        lines.append("  (no build published yet)" if st.as_of is None else "  (no claims)")
    for c in st.claims:
        lines.append(
            f"  {c['seller_id']:<16} ready {c['ready']:>4} ({c['ready_value']:,.2f} "
            f"{c['currency'] or ''}), expiring within 7 days {c['expiring_7d']}, upcoming "
            f"{c['upcoming']}, awaiting Amazon {c['awaiting_amazon']}"
        )
        if c.get("needs_policy"):
            lines.append(
                f"    waiting for a policy row {c['needs_policy']}: {c['waiting_for_policy']}"
            )
        for w in c.get("waiting_for_data") or []:
            source = f" (load the {w['completed_by']})" if w.get("completed_by") else ""
            lines.append(f"    waiting for data {w['claims']}: {w['missing']}{source}")
    return "\n".join(lines)
