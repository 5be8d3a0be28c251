"""When the pipeline runs by itself, and what it leaves behind when a run fails."""

import json
import os
from datetime import UTC, datetime

import dagster as dg

from orchestration.assets.extraction import EXTRACTED_REPORTS
from orchestration.home import ReclaimHome

# Daily pull + build, 06:00 UTC by default; RECLAIM_DAILY_CRON overrides (a cron expression in
# UTC), read when the code location loads.
DAILY_CRON = os.environ.get("RECLAIM_DAILY_CRON", "0 6 * * *")


def daily_run_config(day: datetime) -> dict:
    """The daily job's run config for a run scheduled on `day` (UTC): claims are evaluated as of
    that day; each report is pulled up to (not including) that day with its trailing look-back,
    so late changes (ledger reconciliation, back-posted returns) are picked up."""
    as_of = day.date().isoformat()
    return {
        "ops": {
            **{
                f"amazon__{spec.source}": {"config": {"end_date": as_of}}
                for spec in EXTRACTED_REPORTS
            },
            "reclaim_dbt_assets": {"config": {"as_of": as_of}},
        }
    }


def build_daily_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=DAILY_CRON,
        execution_timezone="UTC",
        name="daily_schedule",
        description="Pull every SP-API seller, build, check and publish, once a day "
        f"({DAILY_CRON} UTC; RECLAIM_DAILY_CRON changes it).",
    )
    def _daily(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = context.scheduled_execution_time or datetime.now(UTC)
        return dg.RunRequest(
            run_key=f"daily-{day.date().isoformat()}",
            run_config=daily_run_config(day.astimezone(UTC)),
            tags={"reclaim/as_of": day.date().isoformat()},
        )

    return _daily


# Weekly recovery summary and invoices, Mondays 07:00 UTC by default (after the daily pull);
# RECLAIM_WEEKLY_CRON overrides.
WEEKLY_CRON = os.environ.get("RECLAIM_WEEKLY_CRON", "0 7 * * 1")


def weekly_run_config(day: datetime) -> dict:
    """The weekly recovery job's run config for a run on `day` (UTC): build as of that day, then
    report the ISO week that ended before it and invoice each seller's last billing period."""
    from datetime import timedelta

    as_of = day.date()
    year, week, _ = (as_of - timedelta(days=1)).isocalendar()
    return {
        "ops": {
            "reclaim_dbt_assets": {"config": {"as_of": as_of.isoformat()}},
            "weekly_recovery_reports": {"config": {"week": f"{year}-W{week:02d}"}},
            "recovery_invoices": {"config": {"run_day": as_of.isoformat()}},
        }
    }


def build_weekly_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=WEEKLY_CRON,
        execution_timezone="UTC",
        name="weekly_recovery_schedule",
        description="Every Monday: build, check and publish, then each seller's weekly "
        f"recovery report and invoice ({WEEKLY_CRON} UTC; RECLAIM_WEEKLY_CRON changes it).",
    )
    def _weekly(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        day = (context.scheduled_execution_time or datetime.now(UTC)).astimezone(UTC)
        return dg.RunRequest(
            run_key=f"weekly-{day.date().isoformat()}",
            run_config=weekly_run_config(day),
            tags={"reclaim/as_of": day.date().isoformat()},
        )

    return _weekly


def _error_text(error) -> str:
    """The error and its causes, outermost first (Dagster wraps the op's own exception)."""
    parts = []
    while error is not None:
        parts.append(error.message.strip())
        error = error.cause
    return " <- caused by: ".join(parts) or "unknown error"


@dg.run_failure_sensor(
    name="run_failure_incidents",
    description="Writes one JSON line per failed run to RECLAIM_HOME/incidents.jsonl (job, run "
    "id, failed steps and their errors): the hook for alerts.",
    minimum_interval_seconds=30,
)
def run_failure_incidents(context: dg.RunFailureSensorContext) -> None:
    home = ReclaimHome.from_env()
    home.root.mkdir(parents=True, exist_ok=True)
    steps = []
    for event in context.get_step_failure_events():
        error = event.step_failure_data.error if event.step_failure_data else None
        steps.append({"step": event.step_key, "error": _error_text(error)[:2000]})
    record = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": context.dagster_run.job_name,
        "run_id": context.dagster_run.run_id,
        "message": context.failure_event.message,
        "failed_steps": steps,
    }
    with open(home.root / "incidents.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(record) + "\n")
    context.log.error(f"run {record['run_id']} of {record['job']} failed; see incidents.jsonl")


# -- sensors: a newly registered seller, files dropped for a seller ----------------------------

ONBOARDING_KINDS = ("sp-api", "sandbox")


def onboarding_run_config(seller_id: str) -> dict:
    """Extraction of one seller with its cursor planning the range: on first contact that is the
    18-month backfill of every source. The build that follows covers every seller."""
    return {
        "ops": {
            f"amazon__{spec.source}": {"config": {"sellers": [seller_id]}}
            for spec in EXTRACTED_REPORTS
        }
    }


def build_new_seller_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="new_seller_backfill",
        minimum_interval_seconds=60,
        description="A seller registered in state/sellers.json with SP-API access and nothing "
        "pulled yet starts its onboarding: an 18-month backfill of every report, then the "
        "build. Once per seller (run key onboard-<seller_id>).",
    )
    def _new_sellers(context: dg.SensorEvaluationContext):
        from extractors.spapi.extract import CursorStore
        from orchestration.sellers import SellerRegistry

        home = ReclaimHome.from_env()
        cursors = CursorStore(home.root)
        try:
            sellers = SellerRegistry(home.state).load()
        except ValueError as exc:  # a broken registry: say so, request nothing
            return dg.SkipReason(f"seller registry unreadable: {exc}")
        requests = []
        for seller in sellers:
            if seller.kind not in ONBOARDING_KINDS:
                continue
            if (cursors.root / seller.seller_id).exists():
                continue  # pulled before (by the schedule, the CLI or an earlier onboarding)
            requests.append(
                dg.RunRequest(
                    run_key=f"onboard-{seller.seller_id}",
                    run_config=onboarding_run_config(seller.seller_id),
                    tags={"reclaim/seller": seller.seller_id, "reclaim/onboarding": "true"},
                )
            )
        return requests or dg.SkipReason("no newly registered SP-API seller")

    return _new_sellers


# A file still being copied in is left for the next tick.
DROPBOX_SETTLE_SECONDS = 10


def build_dropbox_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="dropbox_files",
        minimum_interval_seconds=60,
        description="Files put in RECLAIM_HOME/dropbox/<seller_id>/ (report files from Seller "
        "Central, saved SP-API documents, the product master) are ingested, then the warehouse "
        "is built. One run per seller and set of new or changed files; files already loaded "
        "are skipped by content, so they may stay in the folder.",
    )
    def _dropbox(context: dg.SensorEvaluationContext):
        import hashlib
        import time

        from extractors.landing import InvalidSellerId, check_seller_id
        from orchestration.assets.ingest import DROPBOX

        home = ReclaimHome.from_env()
        root = home.root / DROPBOX
        if not root.is_dir():
            return dg.SkipReason(f"no dropbox folder {root}")
        now = time.time()
        requests = []
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            try:
                seller_id = check_seller_id(folder.name)
            except InvalidSellerId as exc:
                context.log.warning(f"dropbox folder {folder} skipped: {exc}")
                continue
            files = sorted(
                p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")
            )
            if not files or any(now - p.stat().st_mtime < DROPBOX_SETTLE_SECONDS for p in files):
                continue
            fingerprint = hashlib.sha256(
                "\n".join(
                    f"{p.relative_to(folder)}\t{p.stat().st_size}\t{p.stat().st_mtime_ns}"
                    for p in files
                ).encode()
            ).hexdigest()[:16]
            requests.append(
                dg.RunRequest(
                    run_key=f"dropbox-{seller_id}-{fingerprint}",
                    run_config={
                        "ops": {
                            "seller_input__dropped_report_files": {
                                "config": {
                                    "seller_id": seller_id,
                                    "paths": [str(p.relative_to(folder)) for p in files],
                                }
                            }
                        }
                    },
                    tags={"reclaim/seller": seller_id},
                )
            )
        return requests or dg.SkipReason("no new files in the dropbox")

    return _dropbox
