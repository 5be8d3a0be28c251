"""The Dagster code location (workspace.yaml loads this module)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.extraction import SELLER_DAYS, report_assets
from orchestration.assets.ingest import dropped_report_files
from orchestration.assets.publishing import (
    claim_exports,
    recovery_invoices,
    recovery_settings,
    serving_warehouse,
    weekly_recovery_reports,
)
from orchestration.assets.quality import fct_claims_expectations
from orchestration.assets.transform import reclaim_dbt_assets
from orchestration.console_logger import one_line_console_logger
from orchestration.dbt import dbt_resource
from orchestration.resources import ReclaimHomeResource
from orchestration.schedules import (
    EXTRACT_JOB,
    build_after_extraction_sensor,
    build_daily_schedule,
    build_dropbox_sensor,
    build_new_seller_sensor,
    build_weekly_schedule,
    run_failure_incidents,
)

extraction = dg.AssetSelection.groups("extraction")
transform_and_publish = dg.AssetSelection.assets(
    recovery_settings, reclaim_dbt_assets
) | dg.AssetSelection.groups("publishing")
recovery = dg.AssetSelection.groups("recovery")

extract_job = dg.define_asset_job(
    EXTRACT_JOB,
    selection=extraction,
    partitions_def=SELLER_DAYS,
    description="Pull one seller's reports through the end of one day (partition seller x day). "
    "The daily schedule runs it for every seller; build_after_extraction then runs build_job.",
)
build_job = dg.define_asset_job(
    "build_job",
    selection=transform_and_publish,
    description="dbt build over every seller's landed data, then checks, serving copy and "
    "claim exports per seller.",
)

ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=dg.AssetSelection.assets(dropped_report_files) | transform_and_publish,
    description="Load files dropped for a seller, then build, check and publish.",
)

weekly_recovery_job = dg.define_asset_job(
    "weekly_recovery_job",
    selection=transform_and_publish | recovery,
    description="Build, check and publish, then each seller's weekly recovery report and "
    "invoice (gated by the same checks as the exports).",
)

defs = dg.Definitions(
    assets=[
        *report_assets,
        dropped_report_files,
        recovery_settings,
        reclaim_dbt_assets,
        serving_warehouse,
        claim_exports,
        weekly_recovery_reports,
        recovery_invoices,
    ],
    asset_checks=[fct_claims_expectations],
    jobs=[extract_job, build_job, ingest_job, weekly_recovery_job],
    schedules=[build_daily_schedule(extract_job), build_weekly_schedule(weekly_recovery_job)],
    sensors=[
        run_failure_incidents,
        build_new_seller_sensor(extract_job),
        build_after_extraction_sensor(build_job),
        build_dropbox_sensor(ingest_job),
    ],
    resources={"dbt": dbt_resource(), "reclaim": ReclaimHomeResource()},
    loggers={"console": one_line_console_logger},
)
