"""`reclaim`: the command line. It drives the same Dagster definitions and dbt project as the UI.

reclaim demo                                   end to end on the built-in sandbox
reclaim ingest --seller SELLER_ID PATH...      report files / product master, by content
reclaim build [--as-of YYYY-MM-DD]             dbt build + checks, serving copy, exports
reclaim claims export --seller ID --out FILE [--format csv|xlsx|parquet|jsonl] [--all]
reclaim claims review|file|needs-info|deny|note CLAIM_ID...   the agency's record of outcomes
reclaim claims import FILE                     outcomes from case tooling (CSV/XLSX)
reclaim report weekly --seller ID [--week YYYY-Www] [--out FILE]   weekly recovery report (HTML)
reclaim invoice --seller ID [--period-start D --period-end D]        invoice (HTML + CSV)
reclaim backfill --seller ID [--months N] [--no-build]   onboard a seller: pull N months, build
reclaim status                                 last runs, data freshness, claims needing attention
reclaim evaluate [--json]                      detection quality against sandbox truth
reclaim sandbox serve                          the SP-API emulator, for manual use
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from orchestration.home import ReclaimHome


class UserError(Exception):
    """A mistake the user can fix: printed as one clear message, exit status 2."""


def _as_of(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date YYYY-MM-DD") from None


def _home(args) -> ReclaimHome:
    if args.home:
        return ReclaimHome(Path(args.home).expanduser().resolve()).activate()
    return ReclaimHome.from_env().activate()


# -- commands --------------------------------------------------------------------------------


def cmd_ingest(args) -> int:
    from extractors.ingest import ingest_files
    from orchestration.sellers import SellerRegistry

    home = _home(args)
    SellerRegistry(home.state).ensure(args.seller)

    def show(o) -> None:  # each file's line as soon as it is known, flushed
        if o.error:
            print(f"error: {o.error}", file=sys.stderr, flush=True)
        elif o.skipped:
            what = f"{o.source}: " if o.source else ""
            print(f"{o.path}: {what}{o.note or 'already ingested, nothing to do'}", flush=True)
        else:
            r = o.result
            line = f"{o.path}: {o.source}: {r.rows_loaded} row(s) loaded"
            if r.columns_not_stored:
                line += f", {len(r.columns_not_stored)} buyer-data column(s) not stored"
            if r.rows_quarantined:
                line += (
                    f", {r.rows_quarantined} quarantined "
                    f"(see {home.root / 'landing' / 'quarantine' / r.source})"
                )
            if r.rows_blank:
                line += f", {r.rows_blank} blank row(s) skipped"
            if r.encoding:
                line += f" [text: {r.encoding}, {r.encoding_reason}]"
            print(line, flush=True)
            if r.replaced_keys:
                keys = ", ".join(r.replaced_keys[:20])
                more = f" and {len(r.replaced_keys) - 20} more" if len(r.replaced_keys) > 20 else ""
                print(
                    f"{o.path}: {o.source}: this file replaced the loaded values of "
                    f"{len(r.replaced_keys)} key(s) (the later file wins): {keys}{more}",
                    flush=True,
                )
            for w in r.warnings:
                print(f"warning: {w}", file=sys.stderr, flush=True)

    report = ingest_files(home.root, args.seller, [Path(p) for p in args.paths], on_outcome=show)
    if not report.ok:
        print(
            f"{len(report.failed)} file(s) not ingested; nothing from them was loaded.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_build(args) -> int:
    from orchestration.lifecycle import build_lock
    from orchestration.runner import _notify, run_job
    from orchestration.sellers import SellerRegistry

    home = _home(args)
    as_of = args.as_of or date.today().isoformat()
    SellerRegistry(home.state).load()  # invalid recovery settings: one line, not a failed run
    # The lock spans the summary too: the numbers printed are this build's, not a later one's.
    with build_lock(home, {"as_of": as_of, "job": "build_job"}, notify=_notify):
        run_job(
            home,
            "build_job",
            {"reclaim_dbt_assets": {"config": {"as_of": as_of, "full_refresh": args.full_refresh}}},
            verbose=args.verbose,
        )
        _print_claims_summary(home, as_of)
    return 0


def cmd_claims_export(args) -> int:
    from orchestration.exports import export_claims

    home = _home(args)
    _require_seller(home, args.seller)
    result = export_claims(home.serving, args.seller, Path(args.out), args.format, args.all)
    what = "claim(s)" if args.all else "ready claim(s) to file"
    print(f"{result.rows} {what} for {args.seller} written to {result.path}")
    if result.batches_path:
        print(f"  in {result.batches} Seller Support case batch(es): {result.batches_path}")
    for reason, n in result.held_back.items():
        print(f"  {n} ready claim(s) held back: {reason} (see --all)")
    return 0


def _require_seller(home: ReclaimHome, seller_id: str) -> None:
    """ReportError (one line naming the seller and the known ones) for a seller that is neither
    registered nor in the warehouse, as the report and invoice commands do."""
    from orchestration.reporting.common import connect, require_seller

    with connect(home.serving) as con:
        require_seller(con, home.state, seller_id)


def cmd_claims_list(args) -> int:
    from orchestration.claim_lookup import LIST_COLUMNS, list_claims
    from orchestration.reporting.common import connect

    home = _home(args)
    _require_seller(home, args.seller)
    with connect(home.serving) as con:
        rows = list_claims(con, args.seller, args.status, args.limit)
    widths = {"claim_id": 21, "claim_type": 28, "status": 20, "deadline": 10, "amount": 10}
    print("  ".join(c.ljust(widths.get(c, 8)) for c in LIST_COLUMNS).rstrip())
    for r in rows:
        cells = [
            ("" if r[c] is None else f"{r[c]:,.2f}" if c == "amount" else str(r[c])).ljust(
                widths.get(c, 8)
            )
            for c in LIST_COLUMNS
        ]
        print("  ".join(cells).rstrip())
    print(f"{len(rows)} claim(s)" + (f" (first {args.limit})" if len(rows) == args.limit else ""))
    return 0


def cmd_claims_show(args) -> int:
    from orchestration.claim_lookup import SEARCHED, find_claims, format_record
    from orchestration.reporting.common import connect

    home = _home(args)
    if args.seller:
        _require_seller(home, args.seller)
    with connect(home.serving) as con:
        found = find_claims(con, home.state, args.term, args.seller)
    if not found:
        raise UserError(
            f"no claim matches {args.term!r} (searched: {', '.join(SEARCHED).replace('_', ' ')})"
        )
    print("\n\n".join(format_record(r) for r in found))
    return 0


def _record(args, events, source: str) -> int:
    from orchestration.claim_outcomes import record

    home = _home(args)
    n = record(home.state, home.serving, events, source)
    print(
        f"{n} event(s) recorded in {home.state / 'claim_events'}; `reclaim build` updates statuses"
    )
    return 0


def cmd_claims_event(args) -> int:
    """review / file / needs-info / deny / note on one or more claim ids."""
    from orchestration.claim_outcomes import Event

    action = args.action
    reason = None
    if action == "review":
        action, reason = ("dismiss", args.dismiss) if args.dismiss else ("approve", None)
    events = [
        Event(
            claim_id=cid,
            action=action,
            case_id=getattr(args, "case_id", None),
            event_date=getattr(args, "date", None) and date.fromisoformat(args.date),
            reason=reason,
            note=args.note,
        )
        for cid in args.claim_ids
    ]
    return _record(args, events, "cli")


def cmd_claims_import(args) -> int:
    from orchestration.claim_outcomes import read_import_file

    events = read_import_file(Path(args.file))
    return _record(args, events, f"import:{Path(args.file).name}")


def _week(value: str):
    from orchestration.reporting.common import ReportError, parse_week

    try:
        return parse_week(value)
    except ReportError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_report_weekly(args) -> int:
    from orchestration.reporting.weekly import write_weekly_report

    home = _home(args)
    try:
        result = write_weekly_report(
            home, args.seller, args.week, Path(args.out) if args.out else None
        )
    except ValueError as exc:  # an invalid seller registry (e.g. recovery settings)
        raise UserError(str(exc)) from None
    print(f"Weekly recovery report {result.week} for {args.seller}: {result.path}")
    return 0


def cmd_invoice(args) -> int:
    from orchestration.reporting.invoice import parse_period, previous_period, write_invoice
    from orchestration.sellers import SellerRegistry

    home = _home(args)
    try:
        if bool(args.period_start) != bool(args.period_end):
            raise UserError("give both --period-start and --period-end, or neither")
        if args.period_start:
            start, end = parse_period(args.period_start, args.period_end)
        else:
            seller = SellerRegistry(home.state).get(args.seller)
            cadence = seller.recovery.billing_cadence if seller else "weekly"
            today = date.today()
            period = previous_period(cadence, today) or previous_period(
                cadence, today.replace(day=1)
            )
            start, end = period
        invoice = write_invoice(home, args.seller, start, end)
    except ValueError as exc:  # an invalid seller registry (e.g. recovery settings)
        raise UserError(str(exc)) from None
    print(f"Invoice {invoice.number} ({start} to {end}) for {args.seller}:")
    print(
        f"  issued {invoice.issued_on}, due {invoice.due_on} "
        f"(payment terms {invoice.payment_terms_days} days)"
    )
    for t in invoice.totals:
        print(
            f"  {t.currency}: recovered {t.recovered:,.2f}, reversed {t.reversed:,.2f}, "
            f"fee due {t.fee_due:,.2f} at {invoice.fee_percentage}%"
        )
    if not invoice.totals:
        print("  nothing recovered through our cases in this period: nothing due")
    print(f"  {invoice.html_path}\n  {invoice.csv_path}")
    return 0


def cmd_backfill(args) -> int:
    from tqdm import tqdm

    from orchestration.assets.extraction import EXTRACTED_REPORTS
    from orchestration.backfill import BackfillError, backfill_seller

    home = _home(args)
    steps = len(EXTRACTED_REPORTS) + (0 if args.no_build else 1)
    bar = tqdm(total=steps, unit="step", desc=f"backfill {args.seller}", file=sys.stderr)
    started = []

    def progress(step: str) -> None:
        if started:
            bar.update(1)
        started.append(step)
        bar.set_postfix_str("dbt build" if step == "build" else step)

    try:
        result = backfill_seller(
            home,
            args.seller,
            args.months,
            build=not args.no_build,
            as_of=args.as_of,
            progress=progress,
        )
        if started:
            bar.update(1)
    except BackfillError as exc:
        raise UserError(str(exc)) from None
    finally:
        bar.close()
    print(
        f"Backfill of {args.seller}, {result.start} to {result.end}: "
        f"{len(result.reports)} report type(s) pulled"
        + (f", {len(result.failed)} failed" if result.failed else "")
    )
    for failure in result.failed:
        print(f"  failed: {failure}", file=sys.stderr)
    if result.built:
        _print_claims_summary(home, args.as_of or result.end.isoformat())
    elif result.failed:
        print("Not built: pull the failed reports again first (`reclaim backfill` resumes).")
    return 1 if result.failed else 0


def cmd_status(args) -> int:
    from orchestration.status import collect_status, format_status

    home = _home(args)
    st = collect_status(home, runs=args.runs)
    if args.json:
        print(json.dumps(st.__dict__, indent=2, default=str))
    else:
        print(format_status(st))
    return 0


def _run_scenario(args, home: ReclaimHome):
    """The sandbox scenario the demo/evaluate arguments describe, run end to end in `home`."""
    from orchestration.sandbox_run import run_sandbox

    return run_sandbox(
        home,
        seed=args.seed,
        sellers=args.sellers,
        months=args.months,
        as_of=args.as_of,
        marketplace=args.marketplace,
        verbose=args.verbose,
        finances=not args.no_finances,
    )


def cmd_demo(args) -> int:
    from orchestration.evaluation import format_table

    home = _home(args)
    run = _run_scenario(args, home)
    print(
        f"fba-reclaim demo: sandbox seed {args.seed}, {args.sellers} seller(s), "
        f"{args.months} months of history, as of {run.as_of}"
    )
    print("Sellers: " + ", ".join(f"{s} ({m})" for s, m in run.sellers))
    _print_claims_summary(home, run.as_of)
    print("Claim exports (ready claims):")
    for path in run.exports:
        print(f"  {path}")
    print("Weekly recovery reports (open in a browser):")
    for path in run.reports:
        print(f"  {path}")
    print("Invoices (HTML; a CSV beside each):")
    for path in run.invoices:
        print(f"  {path}")
    print(f"Warehouse: {home.warehouse}")
    print(f"Serving copy for analysts: {home.serving}")
    print("\nAgainst the sandbox's ground truth (all statuses):")
    print(format_table(run.evaluation))
    return 0


def cmd_evaluate(args) -> int:
    from orchestration.evaluation import format_table

    # A scenario gets a home of its own, so evaluating never mixes sandbox data with real sellers
    # or with another scenario.
    base = _home(args)
    label = (
        f"seed{args.seed}-sellers{args.sellers}-months{args.months}-{args.as_of}-{args.marketplace}"
        + ("-no-finances" if args.no_finances else "")
    )
    home = ReclaimHome(base.root / "evaluations" / label).activate()
    run = _run_scenario(args, home)
    if args.json:
        result = dict(run.evaluation)
        if not args.examples:
            for e in result["claim_types"].values():
                e.pop("misses", None)
                e.pop("false_positives", None)
        print(json.dumps(result, indent=2))
    else:
        print(format_table(run.evaluation))
        for ct, e in run.evaluation["claim_types"].items():
            for kind in ("misses", "false_positives"):
                for item in e.get(kind, []):
                    print(f"{ct} {kind[:-2] if kind == 'misses' else 'false positive'}: {item}")
    return 0


def cmd_sandbox_serve(args) -> int:
    from extractors.sandbox.emulator import main as serve

    home = _home(args)
    return serve(home.sandbox, port=args.port, seed=args.seed) or 0


def _print_claims_summary(home: ReclaimHome, as_of: str) -> None:
    import duckdb

    with duckdb.connect(str(home.serving), read_only=True) as con:
        rows = con.execute(
            """
            select claim_type, currency,
                   count(*) filter (where status = 'ready'),
                   coalesce(sum(amount) filter (where status = 'ready'), 0),
                   count(*) filter (where status = 'upcoming'),
                   count(*) filter (where status = 'expired')
            from marts.fct_claims group by claim_type, currency order by claim_type, currency
            """
        ).fetchall()
    # Money of different currencies is never added: a claim type whose ready claims are in
    # several currencies shows each on its own line, and the total is one figure per currency.
    by_type: dict[str, list] = {}
    for ct, cur, ready, value, upcoming, expired in rows:
        by_type.setdefault(ct, []).append((cur, ready, value, upcoming, expired))
    print(f"Claims as of {as_of}:")
    print(f"  {'claim type':<28} {'ready':>6} {'ready value':>17} {'upcoming':>9} {'expired':>8}")
    totals: dict[str, float] = {}
    for ct, parts in by_type.items():
        valued = [p for p in parts if p[0] and p[1]] or [p for p in parts if p[0]][:1]
        ready = sum(p[1] for p in parts)
        upcoming = sum(p[3] for p in parts)
        expired = sum(p[4] for p in parts)
        cells = [f"{_money(p[2], p[0])} {p[0]}" for p in valued] or [""]
        print(f"  {ct:<28} {ready:>6} {cells[0]:>17} {upcoming:>9} {expired:>8}")
        for cell in cells[1:]:
            print(f"  {'':<28} {'':>6} {cell:>17}")
        for cur, n, value, _, _ in parts:
            if cur and n:
                totals[cur] = totals.get(cur, 0) + value
    if not rows:
        print("  (no claims)")
    total = "; ".join(f"{_money(v, c)} {c}" for c, v in sorted(totals.items())) or "0.00"
    print(f"  Total ready value: {total}")


def _money(value, currency: str | None) -> str:
    """An amount in its currency's minor unit (yen without decimals), with thousands commas."""
    return f"{value:,.0f}" if currency == "JPY" else f"{value:,.2f}"


# -- parser ----------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="reclaim",
        description="fba-reclaim: find the money Amazon owes FBA sellers and turn it into "
        "ready-to-file claims. State lives in RECLAIM_HOME (default ./data).",
    )
    p.add_argument("--home", help="state folder (overrides RECLAIM_HOME)")
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="show dbt's progress as it runs (otherwise it goes to RECLAIM_HOME/logs/) and a "
        "build's Dagster errors whole, with their stack (otherwise one line each)",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def scenario_args(sp):
        sp.add_argument("--seed", type=int, default=7, help="sandbox seed (default 7)")
        sp.add_argument("--sellers", type=int, default=2, help="sandbox sellers (default 2)")
        sp.add_argument("--months", type=int, default=6, help="months of history (default 6)")
        sp.add_argument(
            "--as-of",
            type=_as_of,
            default="2026-11-20",
            help="day the claims are evaluated on (default 2026-11-20)",
        )
        sp.add_argument(
            "--marketplace",
            choices=["US", "UK"],
            default="US",
            help="sandbox marketplace: US (USD, US windows) or UK (GBP, EU/UK windows)",
        )
        sp.add_argument(
            "--no-finances",
            action="store_true",
            help="leave the Finances API out: money older than the 90 days of settlement "
            "reports Amazon lists is then missing (what a settlements-only seller gets)",
        )

    d = sub.add_parser(
        "demo",
        help="run the whole pipeline on the built-in sandbox",
        description="Generate sandbox sellers, serve them through the local SP-API "
        "emulator, extract, build, export, and compare with the ground truth.",
    )
    scenario_args(d)
    d.set_defaults(func=cmd_demo)

    i = sub.add_parser(
        "ingest",
        help="load report files and the product master",
        description="Load report files downloaded from Seller Central (ledger "
        "detail, reimbursements), saved SP-API report documents, and the "
        "seller's product master CSV. The type is detected from the header row; "
        "folders are searched recursively; .gz is accepted. Re-ingesting a file (or "
        "the same document gzipped, gunzipped or re-encoded) is a no-op. A second "
        "product master merges by SKU: the later file wins, and the SKUs whose "
        "values it replaced are listed.",
    )
    i.add_argument("--seller", required=True, help="seller id (registered on first use)")
    i.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    i.set_defaults(func=cmd_ingest)

    b = sub.add_parser(
        "build",
        help="dbt build + checks over everything loaded",
        description="Build the warehouse (dbt build with its tests), publish the "
        "serving copy and the per-seller claim exports.",
    )
    b.add_argument("--as-of", type=_as_of, help="evaluation day YYYY-MM-DD (default: today)")
    b.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild the incremental staging tables from all landed files (after an upgrade "
        "that changed their columns, or a landing restored from a backup)",
    )
    b.set_defaults(func=cmd_build)

    c = sub.add_parser("claims", help="work with claims", description="Work with claims.")
    csub = c.add_subparsers(dest="claims_command", metavar="COMMAND", required=True)
    e = csub.add_parser(
        "export",
        help="export one seller's claims",
        description="Write one seller's claims with the contract columns. Default: the ready "
        "claims to file now, i.e. those the seller's recovery settings let through (claim types "
        "enabled, excluded SKUs, minimum value, grace days), deadline first across claim "
        "types, then amount, with a <name>.case-batches.csv beside it (one paste-ready case "
        "text per batch; XLSX: sheet 'cases'); held-back claims are counted. "
        "--all: every claim of every status, unfiltered.",
    )
    e.add_argument("--seller", required=True)
    e.add_argument("--out", required=True, help="output file")
    e.add_argument(
        "--format",
        choices=["csv", "xlsx", "parquet", "jsonl"],
        help="file format (default: from the --out suffix, else csv)",
    )
    e.add_argument("--all", action="store_true", help="every status, not only ready")
    e.set_defaults(func=cmd_claims_export)

    ls = csub.add_parser(
        "list",
        help="one seller's claims, deadline first",
        description="List one seller's claims (optionally of some statuses), deadline first, "
        "then amount.",
    )
    ls.add_argument("--seller", required=True)
    ls.add_argument("--status", action="append", help="only this status (repeatable)")
    ls.add_argument("--limit", type=int, default=100, help="at most this many (default 100)")
    ls.set_defaults(func=cmd_claims_list)
    sh = csub.add_parser(
        "show",
        help="find a claim and its history",
        description="Find claims by claim id, order id, shipment id, removal order id, ledger "
        "reference, SKU, FNSKU or Seller Support case id, and show their facts, the recorded "
        "history (review, filing, outcomes) and what Amazon paid against them.",
    )
    sh.add_argument("term", metavar="ID", help="claim id, order, shipment, SKU, FNSKU or case id")
    sh.add_argument("--seller", help="only this seller's claims")
    sh.set_defaults(func=cmd_claims_show)

    def event_parser(name, help_text, description):
        ep = csub.add_parser(name, help=help_text, description=description)
        ep.add_argument("claim_ids", nargs="+", metavar="CLAIM_ID")
        ep.set_defaults(func=cmd_claims_event, action=name.replace("-", "_"))
        return ep

    rv = event_parser(
        "review",
        "approve or dismiss claims before filing",
        "Record the agency's review: --approve to file it, or --dismiss REASON.",
    )
    decision = rv.add_mutually_exclusive_group(required=True)
    decision.add_argument("--approve", action="store_true", help="approve for filing")
    decision.add_argument("--dismiss", metavar="REASON", help="dismiss, with the reason")
    rv.add_argument("--note")
    fl = event_parser(
        "file",
        "record that claims were filed with Seller Support",
        "Record the filing: the Seller Support case id and the date (default today).",
    )
    fl.add_argument("--case-id", required=True, help="Seller Support case id")
    fl.add_argument("--date", type=_as_of, help="filing date YYYY-MM-DD (default today)")
    fl.add_argument("--note")
    ni = event_parser(
        "needs-info",
        "record that Seller Support asked for more information",
        "Record what Seller Support asked for on a filed claim.",
    )
    ni.add_argument("--note", required=True, help="what was asked")
    ni.add_argument("--date", type=_as_of)
    dn = event_parser("deny", "record a denial", "Record that Seller Support denied the claim.")
    dn.add_argument("--note")
    dn.add_argument("--date", type=_as_of)
    nt = event_parser("note", "add a note", "Add a note to claims; the status does not change.")
    nt.add_argument("--note", required=True)

    im = csub.add_parser(
        "import",
        help="import outcomes from an agency's case tooling (CSV/XLSX)",
        description="Record outcomes from a CSV or XLSX file with the columns claim_id, case_id, "
        "status (approved, dismissed, filed, needs_info, denied, note), date (YYYY-MM-DD) and "
        "note. Every row is checked first (known claim, allowed transition, well-formed values); "
        "if any row is wrong, each problem is named with its row and nothing is recorded.",
    )
    im.add_argument("file", metavar="FILE")
    im.set_defaults(func=cmd_claims_import)

    rp = sub.add_parser(
        "report", help="recovery reports for sellers", description="Recovery reports."
    )
    rsub = rp.add_subparsers(dest="report_command", metavar="COMMAND", required=True)
    wk = rsub.add_parser(
        "weekly",
        help="one seller's weekly recovery report (self-contained HTML)",
        description="Write one seller's weekly recovery report from the serving copy: "
        "recovery by week and claim type, the deadline funnel, top SKUs and open claims by "
        "urgency. Default file: RECLAIM_HOME/reports/<seller>/recovery-<YYYY-Www>.html.",
    )
    wk.add_argument("--seller", required=True, help="seller id")
    wk.add_argument(
        "--week",
        type=_week,
        help="ISO week YYYY-Www (default: the latest week that began before the claims' as_of)",
    )
    wk.add_argument("--out", help="output file (default under RECLAIM_HOME/reports/)")
    wk.set_defaults(func=cmd_report_weekly)

    iv = sub.add_parser(
        "invoice",
        help="one seller's invoice for a period (HTML and CSV)",
        description="Bill one seller for what our cases recovered in a period: reimbursements "
        "paid under a case we filed, at the seller's fee percentage, minus credits for "
        "reversals of those payments; automatic payments are not billed. Written to "
        "RECLAIM_HOME/invoices/<seller>/invoice-<start>_<end>.html and .csv. Default period: "
        "the seller's last complete billing period (week or month).",
    )
    iv.add_argument("--seller", required=True, help="seller id")
    iv.add_argument("--period-start", type=_as_of, help="first day YYYY-MM-DD")
    iv.add_argument("--period-end", type=_as_of, help="last day YYYY-MM-DD (included)")
    iv.set_defaults(func=cmd_invoice)

    bf = sub.add_parser(
        "backfill",
        help="onboard a seller: pull N months of every report, then build",
        description="Pull N months of every report for one registered SP-API seller through "
        "the same Dagster extraction assets the daily schedule runs (one run per report type, "
        "paced to Amazon's rate limits; reports already created are collected, not requested "
        "again), then build, check and publish. Progress on stderr; runs show in the UI.",
    )
    bf.add_argument("--seller", required=True, help="seller id (registered, kind sp-api)")
    bf.add_argument("--months", type=int, default=18, help="months of history, 1..18 (default 18)")
    bf.add_argument("--as-of", type=_as_of, help="evaluation day of the build (default today)")
    bf.add_argument("--no-build", action="store_true", help="pull only; build later")
    bf.set_defaults(func=cmd_backfill)

    stp = sub.add_parser(
        "status",
        help="last runs, data freshness per seller, claims needing attention",
        description="Summarise the last Dagster runs (CLI and UI alike), incidents, how far "
        "each seller's sources are pulled, and per seller the ready claims, their value, those "
        "expiring within 7 days and those awaiting Amazon.",
    )
    stp.add_argument("--runs", type=int, default=10, help="how many recent runs (default 10)")
    stp.add_argument("--json", action="store_true", help="machine-readable output")
    stp.set_defaults(func=cmd_status)

    ev = sub.add_parser(
        "evaluate",
        help="detection quality against the sandbox ground truth",
        description="Run the pipeline on a sandbox scenario and compare "
        "fct_claims with the simulator's ground truth, per claim type, by count "
        "and by value.",
    )
    scenario_args(ev)
    ev.add_argument("--json", action="store_true", help="print one JSON object")
    ev.add_argument(
        "--examples",
        action="store_true",
        help="with --json, include the first misses and false positives",
    )
    ev.set_defaults(func=cmd_evaluate)

    s = sub.add_parser("sandbox", help="the built-in sandbox", description="The sandbox.")
    ssub = s.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    sv = ssub.add_parser(
        "serve",
        help="run the SP-API emulator until interrupted",
        description="Generate the sandbox sellers (if needed) and serve them "
        "through the local SP-API emulator on 127.0.0.1.",
    )
    sv.add_argument("--port", type=int, default=0, help="port (default: any free port)")
    sv.add_argument("--seed", type=int, default=7)
    sv.set_defaults(func=cmd_sandbox_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    from extractors.landing import InvalidSellerId
    from extractors.reports.parsing import DocumentError
    from orchestration.claim_outcomes import OutcomeError
    from orchestration.exports import ExportError
    from orchestration.reporting.common import ReportError
    from orchestration.reporting.settings import AgencyError, SettingsError
    from orchestration.runner import PipelineFailed

    args = build_parser().parse_args(argv)
    _sigterm_interrupts()
    try:
        return args.func(args)
    except (
        UserError,
        InvalidSellerId,
        DocumentError,
        ExportError,
        ReportError,
        AgencyError,
    ) as exc:
        print(f"reclaim: error: {exc}", file=sys.stderr)
        return 2
    except SettingsError as exc:
        print(
            f"reclaim: error: {exc} (settings.recovery in the seller registry, state/sellers.json)",
            file=sys.stderr,
        )
        return 2
    except OutcomeError as exc:
        for problem in exc.problems:
            print(f"reclaim: error: {problem}", file=sys.stderr)
        print("reclaim: nothing was recorded.", file=sys.stderr)
        return 2
    except PipelineFailed as exc:
        print(f"reclaim: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("reclaim: interrupted", file=sys.stderr)
        return 130


def _sigterm_interrupts() -> None:
    """SIGTERM stops a command as Ctrl-C does (runs marked canceled, locks released)."""
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, signal.default_int_handler)


if __name__ == "__main__":
    sys.exit(main())
