"""The dbt project as Dagster assets (dagster-dbt): staging, intermediate and marts, with dbt's
tests as asset checks. One build writes the warehouse at a time (pool "warehouse")."""

import json
from datetime import UTC, datetime

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from pydantic import Field

from orchestration.dbt import dbt_project, ensure_manifest


class DbtBuildConfig(dg.Config):
    as_of: str | None = Field(
        default=None,
        description="The day claims are evaluated on (YYYY-MM-DD): windows, deadlines and "
        "status are computed from it. Default: today (UTC).",
    )

    def as_of_date(self) -> str:
        if self.as_of:
            return datetime.strptime(self.as_of, "%Y-%m-%d").date().isoformat()
        return datetime.now(UTC).date().isoformat()


@dbt_assets(manifest=ensure_manifest(), project=dbt_project, pool="warehouse")
def reclaim_dbt_assets(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, config: DbtBuildConfig
):
    as_of = config.as_of_date()
    # dbt's unit tests check the SQL, not the data: they run in the test suite
    # (tests/dbt/test_dbt_project.py), not in every production build.
    args = ["build", "--vars", json.dumps({"as_of": as_of}), "--exclude-resource-type", "unit_test"]
    yield from dbt.cli(args, context=context).stream()
