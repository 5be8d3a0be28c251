"""When the pipeline runs by itself, and what it leaves behind when a run fails."""

import os
from datetime import UTC, date, datetime, timedelta

import dagster as dg

from orchestration.assets.extraction import (
    DAY_TAG,
    EXTRACTED_REPORTS,
    SELLERS,
    seller_day_key,
    seller_day_tags,
)
from orchestration.home import ReclaimHome

EXTRACT_JOB = "extract_job"
ONBOARDING_KINDS = ("sp-api", "sandbox")
# How many recent extraction runs the build sensor reads to find the newest day and its runs.
BUILD_SENSOR_LOOKBACK_RUNS = 2000

# Daily pull + build, 06:00 UTC by default; RECLAIM_DAILY_CRON overrides (a cron expression in
# UTC), read when the code location loads.
DAILY_CRON = os.environ.get("RECLAIM_DAILY_CRON", "0 6 * * *")


def extraction_day(run_day: datetime | date) -> date:
    """The extraction partition a run on `run_day` materialises: the last whole UTC day."""
    d = run_day.date() if isinstance(run_day, datetime) else run_day
    return d - timedelta(days=1)


def daily_run_config(poll_interval_seconds: float | None = None) -> dict:
    """The run config of one seller's daily extraction run. Each report is pulled up to the end
    of the partition's day with its trailing look-back (ledger reconciliation, back-posted
    returns change after the fact); the range is planned from the seller's cursor."""
    config = (
        {} if poll_interval_seconds is None else {"poll_interval_seconds": poll_interval_seconds}
    )
    return {
        "ops": {f"amazon__{spec.source}": {"config": dict(config)} for spec in EXTRACTED_REPORTS}
    }


def build_run_config(as_of: date) -> dict:
    """The build job's run config: claims evaluated as of `as_of`."""
    return {"ops": {"reclaim_dbt_assets": {"config": {"as_of": as_of.isoformat()}}}}


def registered_sp_api_sellers(home: ReclaimHome) -> list[str]:
    from orchestration.sellers import SellerRegistry

    return sorted(
        s.seller_id for s in SellerRegistry(home.state).load() if s.kind in ONBOARDING_KINDS
    )


def build_daily_schedule(job) -> dg.ScheduleDefinition:
    @dg.schedule(
        job=job,
        cron_schedule=DAILY_CRON,
        execution_timezone="UTC",
        name="daily_schedule",
        description="Once a day, yesterday's extraction partition of every SP-API seller: one run "
        "per seller (sellers in parallel, one run per seller at a time); when they have all "
        "finished, the build_after_extraction sensor builds, checks and publishes "
        f"({DAILY_CRON} UTC; RECLAIM_DAILY_CRON changes it).",
    )
    def _daily(context: dg.ScheduleEvaluationContext):
        home = ReclaimHome.from_env()
        day = extraction_day(
            (context.scheduled_execution_time or datetime.now(UTC)).astimezone(UTC)
        )
        try:
            registered = registered_sp_api_sellers(home)
        except ValueError as exc:
            return dg.SkipReason(f"seller registry unreadable: {exc}")
        # A seller not yet a partition is onboarded (and added) by new_seller_backfill first.
        known = set(context.instance.get_dynamic_partitions(SELLERS.name))
        sellers = [s for s in registered if s in known]
        if not sellers:
            return dg.SkipReason("no SP-API seller registered and onboarded")
        return [
            dg.RunRequest(
                run_key=f"daily-{day.isoformat()}-{seller_id}",
                partition_key=seller_day_key(seller_id, day),
                run_config=daily_run_config(),
                tags=seller_day_tags(seller_id, day),
            )
            for seller_id in sellers
        ]

    return _daily


def build_after_extraction_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="build_after_extraction",
        minimum_interval_seconds=60,
        description="When every extraction run of the newest day (the daily runs, an "
        "onboarding) has finished and at least one succeeded, one build over all sellers' "
        "data: dbt build as of the day after, checks, serving copy and claim exports. Again "
        "when more of that day's runs succeed later (a seller onboarded or retried).",
    )
    def _after(context: dg.SensorEvaluationContext):
        runs = context.instance.get_runs(
            filters=dg.RunsFilter(job_name=EXTRACT_JOB), limit=BUILD_SENSOR_LOOKBACK_RUNS
        )
        by_day: dict[str, list] = {}
        for run in runs:
            if DAY_TAG in run.tags:
                by_day.setdefault(run.tags[DAY_TAG], []).append(run)
        if not by_day:
            return dg.SkipReason("no extraction run yet")
        # Only the newest day is built: a build covers everything landed, so an older day's late
        # success is in it, and building an older as_of after a newer one would publish
        # yesterday's queue over today's.
        day = max(by_day)
        if any(not r.is_finished for r in by_day[day]):
            return dg.SkipReason(f"extraction runs of {day} still in progress")
        ok = [r for r in by_day[day] if r.is_success]
        if not ok:
            return dg.SkipReason(f"every extraction run of {day} failed (see incidents.jsonl)")
        as_of = date.fromisoformat(day) + timedelta(days=1)
        return dg.RunRequest(
            run_key=f"build-{day}-{len(ok)}",
            run_config=build_run_config(as_of),
            tags={"reclaim/as_of": as_of.isoformat(), DAY_TAG: day},
        )

    return _after


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
    # On by default: it only writes a file, and an operator must not have to find a switch in
    # the UI before failures are recorded (the CLI and `reclaim status` record them too).
    default_status=dg.DefaultSensorStatus.RUNNING,
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
    from orchestration.lifecycle import record_incident

    # once per run: the CLI and `reclaim status` may have written it already
    record_incident(home, record["run_id"], record["job"], record["message"], steps)
    context.log.error(f"run {record['run_id']} of {record['job']} failed; see incidents.jsonl")


# -- sensors: a newly registered seller, files dropped for a seller ----------------------------


def build_new_seller_sensor(job) -> dg.SensorDefinition:
    @dg.sensor(
        job=job,
        name="new_seller_backfill",
        minimum_interval_seconds=60,
        description="A seller registered in state/sellers.json with SP-API access becomes a "
        "partition of the extraction assets; if nothing was pulled for it yet, its onboarding "
        "starts: yesterday's partition, whose cursor-planned range is the 18-month backfill of "
        "every report (then build_after_extraction builds). Once per seller (run key "
        "onboard-<seller_id>).",
    )
    def _new_sellers(context: dg.SensorEvaluationContext):
        from extractors.spapi.extract import CursorStore

        home = ReclaimHome.from_env()
        cursors = CursorStore(home.root)
        try:
            registered = registered_sp_api_sellers(home)
        except ValueError as exc:  # a broken registry: say so, request nothing
            return dg.SkipReason(f"seller registry unreadable: {exc}")
        known = set(context.instance.get_dynamic_partitions(SELLERS.name))
        new_partitions = [s for s in registered if s not in known]
        day = extraction_day(datetime.now(UTC))
        requests = [
            dg.RunRequest(
                run_key=f"onboard-{seller_id}",
                partition_key=seller_day_key(seller_id, day),
                run_config=daily_run_config(),
                tags={**seller_day_tags(seller_id, day), "reclaim/onboarding": "true"},
            )
            for seller_id in registered
            # pulled before (by the schedule, the CLI or an earlier onboarding): not new
            if not (cursors.root / seller_id).exists()
        ]
        if not requests and not new_partitions:
            return dg.SkipReason("no newly registered SP-API seller")
        return dg.SensorResult(
            run_requests=requests,
            dynamic_partitions_requests=[SELLERS.build_add_request(new_partitions)]
            if new_partitions
            else [],
        )

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
