"""Extraction assets: one per Amazon source, pulled for every SP-API-connected seller in the
registry (sandbox sellers through the local emulator) and landed as typed Parquet."""

from datetime import UTC, date, datetime, timedelta

import dagster as dg
from pydantic import Field
from sp_api.base import SellingApiForbiddenException

from extractors.reports.catalog import (
    ALL_ORDERS,
    CUSTOMER_RETURNS,
    FEE_PREVIEW,
    FULFILLED_SHIPMENTS,
    LEDGER_DETAIL,
    REIMBURSEMENTS,
    REMOVAL_ORDERS,
    REMOVAL_SHIPMENTS,
    STORAGE_FEES,
    DocumentSpec,
)
from extractors.spapi.extract import extract_report
from extractors.spapi.reports import TRANSIENT, ReportStillRunning
from orchestration.resources import ReclaimHomeResource
from orchestration.sellers import SellerRegistry


class ExtractionConfig(dg.Config):
    start_date: str | None = Field(
        default=None,
        description="First day to pull (YYYY-MM-DD), for an explicit backfill or re-pull. "
        "Default: planned per seller from its cursor (18 months on first contact, then the "
        "days since the last run plus the source's look-back).",
    )
    end_date: str | None = Field(
        default=None,
        description="Day after the last day to pull (YYYY-MM-DD). Default: today (UTC).",
    )
    lookback_days: int | None = Field(
        default=None,
        description="Override the trailing days a daily run pulls again (default per source: "
        "ledger reconciliation, reimbursements and returns change after the fact).",
    )
    poll_interval_seconds: float = Field(default=15.0, description="getReport polling pace.")
    sellers: list[str] = Field(
        default=[],
        description="Only these seller ids (an onboarding backfill); default every SP-API seller.",
    )

    def window(self) -> tuple[date | None, date]:
        """(start, end): start None lets each seller's cursor plan the range up to `end`."""
        end = date.fromisoformat(self.end_date) if self.end_date else datetime.now(UTC).date()
        if not self.start_date:
            return None, end
        start = date.fromisoformat(self.start_date)
        if start >= end:
            raise dg.Failure(f"empty extraction window {start}..{end}")
        return start, end


# After our own per-call retries are spent (throttling storms, an outage), the whole asset is
# retried later; reports still running at Amazon are collected by that retry (cursor).
EXTRACTION_RETRY = dg.RetryPolicy(max_retries=3, delay=300, backoff=dg.Backoff.EXPONENTIAL)
TRANSIENT_FAILURES = (*TRANSIENT, SellingApiForbiddenException)


def _extract(
    context: dg.AssetExecutionContext,
    spec: DocumentSpec,
    config: ExtractionConfig,
    reclaim: ReclaimHomeResource,
) -> dg.MaterializeResult:
    home = reclaim.home()
    start, end = config.window()
    sellers = [s for s in SellerRegistry(home.state).load() if s.kind in ("sp-api", "sandbox")]
    if config.sellers:
        unknown = set(config.sellers) - {s.seller_id for s in sellers}
        if unknown:
            raise dg.Failure(
                f"not SP-API sellers in the registry: {', '.join(sorted(unknown))}",
                allow_retries=False,
            )
        sellers = [s for s in sellers if s.seller_id in config.sellers]
    rows = quarantined = reports = cancelled = 0
    per_seller: dict[str, int] = {}
    how: dict[str, int] = {}
    ranges: dict[str, str] = {}
    for seller in sellers:
        try:
            outcomes = extract_report(
                home.root,
                seller.seller_id,
                seller.connection(),
                spec,
                start,
                end if start else None,
                today=end,
                lookback_days=config.lookback_days,
                poll_interval_s=config.poll_interval_seconds,
            )
        except TRANSIENT_FAILURES:
            raise  # Amazon or the network, past our own retry budget: the run retries later
        except Exception as exc:
            # A report Amazon ended FATAL, a document that cannot be read, missing credentials:
            # retrying the run would not change the answer.
            raise dg.Failure(
                description=f"{seller.seller_id} {spec.report_type}: {exc}",
                allow_retries=isinstance(exc, ReportStillRunning),
            ) from exc
        for o in outcomes:
            reports += 1
            how[o.how] = how.get(o.how, 0) + 1
            ranges[seller.seller_id] = f"{outcomes[0].start}..{o.end}"
            if o.result is None:
                cancelled += 1
                context.log.info(
                    f"{seller.seller_id} {spec.report_type} {o.start}..{o.end}: "
                    f"{o.status} (no data)"
                )
                continue
            rows += o.result.rows_loaded
            quarantined += o.result.rows_quarantined
            per_seller[seller.seller_id] = (
                per_seller.get(seller.seller_id, 0) + o.result.rows_loaded
            )
            for w in o.result.warnings:
                context.log.warning(w)
            if o.result.columns_not_stored:
                context.log.info(
                    f"{seller.seller_id} {spec.report_type} {o.start}..{o.end}: "
                    f"{len(o.result.columns_not_stored)} buyer-data column(s) not stored"
                )
    if quarantined:
        context.log.warning(
            f"{quarantined} row(s) quarantined; see landing/quarantine/{spec.source}"
        )
    return dg.MaterializeResult(
        check_results=[
            dg.AssetCheckResult(
                check_name="no_quarantined_rows",
                passed=quarantined == 0,
                severity=dg.AssetCheckSeverity.WARN,
                description=(
                    "every row passed its pandera schema"
                    if quarantined == 0
                    else f"{quarantined} row(s) quarantined (file, row, field and reason in "
                    f"landing/quarantine/{spec.source}); the other rows landed"
                ),
                metadata={"rows_quarantined": quarantined, "rows_loaded": rows},
            )
        ],
        metadata={
            "window": f"{start}..{end}" if start else "planned per seller (cursor)",
            "ranges_by_seller": dg.MetadataValue.json(ranges),
            "reports_created_resumed_reused": dg.MetadataValue.json(how),
            "sellers": len(sellers),
            "reports": reports,
            "reports_without_data": cancelled,
            "rows_loaded": rows,
            "rows_quarantined": quarantined,
            "rows_by_seller": dg.MetadataValue.json(per_seller),
        },
    )


def _report_asset(spec: DocumentSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.source,
        key_prefix=["amazon"],
        group_name="extraction",
        kinds={"python", "parquet"},
        description=f"{spec.title}, pulled for every SP-API seller and landed as typed Parquet.",
        check_specs=[
            dg.AssetCheckSpec(
                "no_quarantined_rows",
                asset=dg.AssetKey(["amazon", spec.source]),
                description="Rows that failed their pandera schema were quarantined (warning: "
                "the rest landed).",
            )
        ],
        # Transient errors only (dg.Failure(allow_retries=False) for the others, see _extract).
        retry_policy=EXTRACTION_RETRY,
        # Pulled daily: stale after 30 hours (warning), failed freshness after 3 days.
        freshness_policy=dg.FreshnessPolicy.time_window(
            fail_window=timedelta(days=3), warn_window=timedelta(hours=30)
        ),
    )
    def _asset(
        context: dg.AssetExecutionContext, config: ExtractionConfig, reclaim: ReclaimHomeResource
    ) -> dg.MaterializeResult:
        return _extract(context, spec, config, reclaim)

    return _asset


# The SP-API reports pulled daily, one asset each (asset key amazon/<source>, run config key
# amazon__<source>).
EXTRACTED_REPORTS: tuple[DocumentSpec, ...] = (
    LEDGER_DETAIL,
    REIMBURSEMENTS,
    REMOVAL_ORDERS,
    REMOVAL_SHIPMENTS,
    CUSTOMER_RETURNS,
    FULFILLED_SHIPMENTS,
    ALL_ORDERS,
    FEE_PREVIEW,
    STORAGE_FEES,
)
report_assets = [_report_asset(spec) for spec in EXTRACTED_REPORTS]
