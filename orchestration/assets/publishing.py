"""Publishing: the serving copy of the warehouse, then per-seller claim exports read from it."""

import dagster as dg
import duckdb

from orchestration.assets.quality import FCT_CLAIMS
from orchestration.exports import export_claims
from orchestration.resources import ReclaimHomeResource
from orchestration.serving import publish_serving_copy


@dg.asset(
    deps=[FCT_CLAIMS],
    group_name="publishing",
    pool="warehouse",
    kinds={"duckdb"},
    description="Read-only copy of the warehouse for analysts and exports, swapped "
    "atomically after each successful build.",
)
def serving_warehouse(reclaim: ReclaimHomeResource) -> dg.MaterializeResult:
    home = reclaim.home()
    path = publish_serving_copy(home.warehouse, home.serving)
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path))})


@dg.asset(
    deps=[serving_warehouse],
    group_name="publishing",
    kinds={"csv"},
    description="Ready claims per seller in the export contract's columns "
    "(RECLAIM_HOME/exports/<seller>/claims-ready-<as_of>.csv).",
)
def claim_exports(
    context: dg.AssetExecutionContext, reclaim: ReclaimHomeResource
) -> dg.MaterializeResult:
    home = reclaim.home()
    with duckdb.connect(str(home.serving), read_only=True) as con:
        rows = con.execute(
            "select seller_id, max(as_of)::varchar, count(*) filter (where status = 'ready'), "
            "coalesce(sum(amount) filter (where status = 'ready'), 0)::varchar "
            "from marts.fct_claims group by seller_id order by seller_id"
        ).fetchall()
    files, summary = {}, {}
    for seller_id, as_of, ready, value in rows:
        out = home.exports / seller_id / f"claims-ready-{as_of}.csv"
        result = export_claims(home.serving, seller_id, out)
        files[seller_id] = str(result.path)
        summary[seller_id] = {"ready_claims": ready, "ready_value": value}
        context.log.info(f"{seller_id}: {result.rows} ready claim(s) -> {result.path}")
    return dg.MaterializeResult(
        metadata={
            "exports": dg.MetadataValue.json(files),
            "ready_by_seller": dg.MetadataValue.json(summary),
        }
    )
