"""Great Expectations on what leaves the warehouse: a blocking asset check per exported mart.

A failing suite stops the serving copy and the exports of that run (Dagster skips the assets
downstream of a failed blocking check); the reason shows on the check in the UI and in the CLI's
error. Data Docs are rebuilt under RECLAIM_HOME/data_docs on every run.
"""

import dagster as dg
import duckdb
from dagster_dbt import get_asset_key_for_model

from expectations.checkpoint import validate
from orchestration.assets.transform import reclaim_dbt_assets
from orchestration.exports import EXPORT_COLUMNS
from orchestration.lifecycle import build_lock, fault_point
from orchestration.resources import ReclaimHomeResource

FCT_CLAIMS = get_asset_key_for_model([reclaim_dbt_assets], "fct_claims")


@dg.asset_check(
    asset=FCT_CLAIMS,
    name="fct_claims_expectations",
    blocking=True,
    pool="warehouse",
    description="Great Expectations suite expectations/suites/fct_claims.json on the claim "
    "queue (contract columns, unique claim ids, known types and statuses, positive quantities, "
    "amount and currency on every ready claim, "
    "deadline after eligible_from, evidence and case text present). Blocks the exports.",
)
def fct_claims_expectations(reclaim: ReclaimHomeResource) -> dg.AssetCheckResult:
    home = reclaim.home()
    with build_lock(home, {"job": "fct_claims_expectations"}):  # re-entrant in a CLI build
        fault_point("gate")
        with duckdb.connect(str(home.warehouse), read_only=True) as con:
            frame = con.execute(
                f"select {', '.join(EXPORT_COLUMNS)} from marts.fct_claims"
            ).fetchdf()
    # GX compares with floats; the money itself stays DECIMAL in the warehouse and the exports.
    for col in ("unit_value", "amount"):
        frame[col] = frame[col].astype("float64")
    outcome = validate("fct_claims", frame, home.data_docs)
    return dg.AssetCheckResult(
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=(
            "all expectations met"
            if outcome.success
            else "; ".join(str(f) for f in outcome.failures)
        ),
        metadata={
            "rows": outcome.rows,
            "expectations": outcome.evaluated,
            "failed": len(outcome.failures),
            "failures": dg.MetadataValue.json([str(f) for f in outcome.failures]),
            "data_docs": dg.MetadataValue.path(str(outcome.data_docs)),
        },
    )
