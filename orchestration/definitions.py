"""The Dagster code location (workspace.yaml loads this module)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.extraction import report_assets
from orchestration.assets.publishing import claim_exports, serving_warehouse
from orchestration.assets.quality import fct_claims_expectations
from orchestration.assets.transform import reclaim_dbt_assets
from orchestration.dbt import dbt_resource
from orchestration.resources import ReclaimHomeResource
from orchestration.schedules import build_daily_schedule, run_failure_incidents

extraction = dg.AssetSelection.groups("extraction")
transform_and_publish = dg.AssetSelection.assets(reclaim_dbt_assets) | dg.AssetSelection.groups(
    "publishing"
)

daily_job = dg.define_asset_job(
    "daily_job",
    selection=extraction | transform_and_publish,
    description="Pull every SP-API seller, build the warehouse, publish claim exports.",
)
extract_job = dg.define_asset_job(
    "extract_job", selection=extraction, description="Pull every SP-API seller's reports."
)
build_job = dg.define_asset_job(
    "build_job",
    selection=transform_and_publish,
    description="dbt build over everything landed, then serving copy and claim exports.",
)

defs = dg.Definitions(
    assets=[*report_assets, reclaim_dbt_assets, serving_warehouse, claim_exports],
    asset_checks=[fct_claims_expectations],
    jobs=[daily_job, extract_job, build_job],
    schedules=[build_daily_schedule(daily_job)],
    sensors=[run_failure_incidents],
    resources={"dbt": dbt_resource(), "reclaim": ReclaimHomeResource()},
)
