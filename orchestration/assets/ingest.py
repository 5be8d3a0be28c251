"""Report files a seller (or the agency) drops in: downloaded from Seller Central, saved SP-API
documents, the product master. Put under RECLAIM_HOME/dropbox/<seller_id>/ they are picked up by
the `dropbox_files` sensor and loaded by this asset, exactly as `reclaim ingest` loads them."""

from pathlib import Path

import dagster as dg
from pydantic import Field

from orchestration.resources import ReclaimHomeResource

DROPBOX = "dropbox"


class DroppedFilesConfig(dg.Config):
    seller_id: str = Field(description="Seller the files belong to.")
    paths: list[str] = Field(description="Files to load (absolute, or relative to the dropbox).")


@dg.asset(
    key=["seller_input", "dropped_report_files"],
    group_name="seller_input",
    kinds={"parquet"},
    description="Report files and product masters dropped in RECLAIM_HOME/dropbox/<seller_id>/, "
    "validated and landed like `reclaim ingest` (type from content; a file already loaded is "
    "skipped). Any file that cannot be loaded fails the run, named, with nothing of it loaded.",
)
def dropped_report_files(
    context: dg.AssetExecutionContext, config: DroppedFilesConfig, reclaim: ReclaimHomeResource
) -> dg.MaterializeResult:
    from extractors.ingest import ingest_files
    from extractors.landing import InvalidSellerId
    from orchestration.sellers import SellerRegistry

    home = reclaim.home()
    try:
        SellerRegistry(home.state).ensure(config.seller_id)
    except InvalidSellerId as exc:
        raise dg.Failure(str(exc), allow_retries=False) from None
    base = home.root / DROPBOX / config.seller_id
    paths = [p if p.is_absolute() else base / p for p in map(Path, config.paths)]
    report = ingest_files(home.root, config.seller_id, paths)
    loaded, skipped, quarantined = {}, 0, 0
    for o in report.outcomes:
        if o.error:
            context.log.error(o.error)
        elif o.skipped:
            skipped += 1
        else:
            loaded[o.source] = loaded.get(o.source, 0) + o.result.rows_loaded
            quarantined += o.result.rows_quarantined
            for w in o.result.warnings:
                context.log.warning(w)
            if o.result.replaced_keys:
                context.log.warning(
                    f"{o.path.name}: replaced the loaded values of {len(o.result.replaced_keys)} "
                    f"key(s) (the later file wins): {', '.join(o.result.replaced_keys[:20])}"
                )
    if not report.ok:
        raise dg.Failure(
            f"{len(report.failed)} dropped file(s) of {config.seller_id} not loaded: "
            + "; ".join(o.error for o in report.failed),
            allow_retries=False,
        )
    return dg.MaterializeResult(
        metadata={
            "seller_id": config.seller_id,
            "files": len(paths),
            "already_loaded": skipped,
            "rows_by_source": dg.MetadataValue.json(loaded),
            "rows_quarantined": quarantined,
        }
    )
