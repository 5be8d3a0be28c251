"""The built-in sandbox, end to end: generate sellers, serve them through the local SP-API
emulator, run the day against it as the daily schedule and build sensor do (each seller's
extraction partition over HTTP with python-amazon-sp-api, sellers in parallel; then one build:
dbt, checks, serving copy, exports), and compare the claims with the simulator's ground truth."""

from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dagster import AssetKey

from extractors.ingest import ingest_files
from extractors.reports.catalog import FINANCE_TRANSACTIONS, SETTLEMENTS
from extractors.sandbox.emulator import SETTLEMENT_PUBLISH_DELAY, SpApiEmulator
from extractors.sandbox.simulator import Scenario, generate
from extractors.spapi.extract import SNAPSHOT_DAYS
from orchestration.assets.extraction import EXTRACTED_REPORTS
from orchestration.evaluation import evaluate, load_detected, load_truth
from orchestration.home import ReclaimHome
from orchestration.runner import run_extraction, run_job
from orchestration.sellers import (
    SANDBOX_ENDPOINT_ENV,
    SANDBOX_TOKEN_URL_ENV,
    Seller,
    SellerRegistry,
)

SANDBOX_AGENCY = {
    "name": "Sandbox Recovery Agency (example)",
    "address": ["1 Example Street", "Springfield, ST 00000", "United States"],
    "email": "billing@example.com",
    "payment_terms_days": 14,
}
SANDBOX_APP_ID_ENV = "RECLAIM_SANDBOX_LWA_APP_ID"
SANDBOX_SECRET_ENV = "RECLAIM_SANDBOX_LWA_CLIENT_SECRET"


@dataclass
class SandboxRun:
    as_of: str
    sellers: list[tuple[str, str]]
    exports: list[Path] = field(default_factory=list)
    reports: list[Path] = field(default_factory=list)
    invoices: list[Path] = field(default_factory=list)
    evaluation: dict = field(default_factory=dict)


def _attr(obj, name):
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


def _written_since(paths, started: float) -> list[Path]:
    return sorted(p for p in paths if p.stat().st_mtime >= started - 1)


def run_sandbox(
    home: ReclaimHome,
    *,
    seed: int = 7,
    sellers: int = 2,
    months: int = 6,
    as_of: str = "2026-11-20",
    marketplace: str = "US",
    poll_interval_s: float = 0.02,
    verbose: bool = False,
    finances: bool = True,
) -> SandboxRun:
    """`finances=False` leaves the Finances API out of the extraction: what a seller whose money
    history is the settlement reports alone gets (Amazon lists those for 90 days only)."""
    home.activate()
    as_of_day = date.fromisoformat(as_of)
    scenario = Scenario(
        seed=seed, sellers=sellers, months=months, as_of=as_of_day, marketplace=marketplace
    )
    if home.sandbox.exists():
        shutil.rmtree(home.sandbox)  # generated data only; regenerated deterministically
    manifest = generate(scenario, home.sandbox)
    registry = SellerRegistry(home.state)
    if registry.agency() is None:
        # The sandbox's invoices say who bills, as a real agency's would (a home that names its
        # own agency keeps it). Example values: example.com is reserved for examples.
        registry.set_agency(SANDBOX_AGENCY)
    run = SandboxRun(as_of=as_of, sellers=[])

    seller_infos = _attr(manifest, "sellers")
    for info in seller_infos:
        sid = _attr(info, "seller_id")
        token_env = f"RECLAIM_SANDBOX_{sid}_REFRESH_TOKEN"
        # Sandbox credentials are made-up values, but they travel the way real ones do:
        # through environment variables named in the registry.
        os.environ[token_env] = _attr(info, "refresh_token")
        os.environ[SANDBOX_APP_ID_ENV] = _attr(info, "lwa_app_id")
        os.environ[SANDBOX_SECRET_ENV] = _attr(info, "lwa_client_secret")
        registry.upsert(
            Seller(
                seller_id=sid,
                name=_attr(info, "name"),
                kind="sandbox",
                region=_attr(info, "region"),
                marketplace_ids=[_attr(info, "marketplace_id")],
                credentials_env={
                    "refresh_token": token_env,
                    "lwa_app_id": SANDBOX_APP_ID_ENV,
                    "lwa_client_secret": SANDBOX_SECRET_ENV,
                },
            )
        )
        run.sellers.append((sid, _attr(info, "marketplace_id")))
        # The seller's own input: the product master, through the same ingest users run.
        report = ingest_files(home.root, sid, [home.sandbox / sid / "product_master.csv"])
        if not report.ok:
            raise RuntimeError("; ".join(o.error for o in report.failed))

    # The whole simulated history and nothing before it (each empty window still costs a
    # createReport round trip): from the first of the month the history starts in, so the
    # first month's storage charges (month_of_charge = the 1st) are in range too.
    start = min(scenario.start.replace(day=1), scenario.start - timedelta(days=2))
    end = as_of_day + timedelta(days=1)
    extraction = {
        "config": {"start_date": start.isoformat(), "poll_interval_seconds": poll_interval_s}
    }
    # Snapshot reports (fee preview) are pulled as the daily run plans them: the last days only.
    snapshot = {"config": {"poll_interval_seconds": poll_interval_s}}
    # Settlement reports are listed by creation time (getReports), over HTTP like a real
    # seller's: Amazon publishes the settlement closing at the end of as_of a day or so later,
    # so they are listed up to the day after that.
    listed_until = end + timedelta(days=SETTLEMENT_PUBLISH_DELAY.days + 1)
    settlements = {
        "config": {"start_date": start.isoformat(), "end_date": listed_until.isoformat()}
    }
    # The emulator's "now" is the scenario's (the moment the last settlement is listed), not the
    # wall clock: Amazon lists settlement reports for 90 days only, so a wall clock that moves on
    # past the fixed as_of would list fewer settlements every day the demo is run.
    shift = time.time() - datetime.combine(listed_until, datetime.min.time(), UTC).timestamp()
    with SpApiEmulator(home.sandbox, clock=lambda: time.time() - shift) as emulator:
        os.environ[SANDBOX_ENDPOINT_ENV] = emulator.endpoint
        os.environ[SANDBOX_TOKEN_URL_ENV] = emulator.token_url
        try:
            # As the daily schedule runs it: partition (as_of, seller) of every seller, sellers
            # in parallel; then one build over all of them.
            sources = [
                spec
                for spec in EXTRACTED_REPORTS
                if finances or spec.source != FINANCE_TRANSACTIONS.source
            ]
            run_extraction(
                home,
                [sid for sid, _ in run.sellers],
                as_of_day,
                {
                    f"amazon__{spec.source}": snapshot
                    if spec.source in SNAPSHOT_DAYS
                    else settlements
                    if spec.source == SETTLEMENTS.source
                    else extraction
                    for spec in sources
                },
                asset_selection=[AssetKey(["amazon", spec.source]) for spec in sources],
            )
        finally:
            os.environ.pop(SANDBOX_ENDPOINT_ENV, None)
            os.environ.pop(SANDBOX_TOKEN_URL_ENV, None)
    run_job(
        home,
        "build_job",
        {"reclaim_dbt_assets": {"config": {"as_of": as_of}}},
        verbose=verbose,
    )

    # Each seller's weekly recovery report and invoice, as the Monday schedule writes them,
    # from what this run just published (the warehouse is not rebuilt for them).
    started = time.time()
    run_job(
        home,
        "weekly_recovery_job",
        {
            "weekly_recovery_reports": {"config": {}},
            "recovery_invoices": {"config": {"run_day": as_of}},
        },
        verbose=verbose,
        asset_selection=[AssetKey("weekly_recovery_reports"), AssetKey("recovery_invoices")],
    )
    run.exports = sorted(home.exports.glob(f"*/claims-ready-{as_of}.csv"))
    # written by this run (a home can hold earlier weeks' files)
    run.reports = _written_since(home.root.glob("reports/*/recovery-*.html"), started)
    run.invoices = _written_since(home.root.glob("invoices/*/invoice-*.html"), started)
    run.evaluation = evaluate(load_truth(home.sandbox), load_detected(home.serving), as_of)
    (home.sandbox / "evaluation.json").write_text(json.dumps(run.evaluation, indent=2) + "\n")
    return run
