"""Extraction assets: one per Amazon source, partitioned by seller (a dynamic partition per
SP-API-connected seller of the registry; sandbox sellers pull through the local emulator) and by
day, and landed as typed Parquet. Partition (day D, seller S) is S's data pulled through the end
of D: the daily schedule materialises yesterday's partition of every seller, one run per seller,
so sellers are pulled in parallel and one seller's failure stays that seller's. Most sources are
SP-API reports (createReport, poll, download); FBA Inbound v0 shipments and Finances transactions
are read page by page from their own APIs (extractors.spapi.api_extract, extractors.spapi.finances)
through the same asset shape."""

from collections.abc import Callable
from datetime import date, timedelta

import dagster as dg
from pydantic import Field
from sp_api.base import SellingApiForbiddenException

from extractors.reports.catalog import (
    ALL_ORDERS,
    CUSTOMER_RETURNS,
    FEE_PREVIEW,
    FINANCE_TRANSACTIONS,
    FULFILLED_SHIPMENTS,
    INBOUND_SHIPMENT_ITEMS,
    LEDGER_DETAIL,
    REIMBURSEMENTS,
    REMOVAL_ORDERS,
    REMOVAL_SHIPMENTS,
    SETTLEMENTS,
    STORAGE_FEES,
    DocumentSpec,
)
from extractors.spapi.api_extract import extract_inbound_shipments
from extractors.spapi.extract import extract_report, extract_settlements
from extractors.spapi.finances import extract_finances
from extractors.spapi.reports import TRANSIENT, ReportStillRunning
from orchestration.resources import ReclaimHomeResource
from orchestration.sellers import SellerRegistry

# Sellers are added to this partition dimension from the seller registry (the
# new_seller_backfill sensor, the CLI); days are UTC calendar days, the last one yesterday.
SELLERS = dg.DynamicPartitionsDefinition(name="sellers")
DAYS = dg.DailyPartitionsDefinition(start_date="2024-01-01", timezone="UTC")
SELLER_DAYS = dg.MultiPartitionsDefinition({"day": DAYS, "seller": SELLERS})
SELLER_TAG = "reclaim/seller"
DAY_TAG = "reclaim/day"


def seller_day_key(seller_id: str, day: date | str) -> dg.MultiPartitionKey:
    """The extraction partition of `seller_id`'s data through the end of `day`."""
    return dg.MultiPartitionKey({"day": str(day), "seller": seller_id})


def seller_day_tags(seller_id: str, day: date | str) -> dict[str, str]:
    """Tags of an extraction run: dagster.yaml admits one run per seller at a time (so a seller's
    daily pull and its backfill never race for its rate limits), and the build sensor groups the
    runs of one day by them."""
    return {SELLER_TAG: seller_id, DAY_TAG: str(day)}


class ExtractionConfig(dg.Config):
    start_date: str | None = Field(
        default=None,
        description="First day to pull (YYYY-MM-DD), for an explicit backfill or re-pull. "
        "Default: planned per seller from its cursor (18 months on first contact, then the "
        "days since the last run plus the source's look-back).",
    )
    end_date: str | None = Field(
        default=None,
        description="Day after the last day to pull (YYYY-MM-DD). Default: the day after the "
        "partition's day.",
    )
    lookback_days: int | None = Field(
        default=None,
        description="Override the trailing days a daily run pulls again (default per source: "
        "ledger reconciliation, reimbursements and returns change after the fact).",
    )
    poll_interval_seconds: float = Field(
        default=15.0, description="getReport polling pace (report sources only)."
    )

    def window(self, day: date) -> tuple[date | None, date]:
        """(start, end): start None lets the seller's cursor plan the range up to `end`."""
        end = date.fromisoformat(self.end_date) if self.end_date else day + timedelta(days=1)
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

# Sources not pulled through createReport: source -> extractor with the signature of
# extractors.spapi.api_extract.extract_inbound_shipments. FBA Inbound v0 shipments are read from
# their own API; settlement reports, which Amazon generates itself and refuses to create, are
# listed with getReports and downloaded (extractors.spapi.extract.extract_settlements).
API_EXTRACTORS: dict[str, Callable] = {
    INBOUND_SHIPMENT_ITEMS.source: extract_inbound_shipments,
    SETTLEMENTS.source: extract_settlements,
    # Finances v2024-06-19 listTransactions (v0 listFinancialEvents while v2024 is refused),
    # 180-day windows: the 18-month onboarding is 4 windows, a daily run one.
    FINANCE_TRANSACTIONS.source: extract_finances,
}


def _pull(home, seller, spec: DocumentSpec, start, end, config: ExtractionConfig) -> list:
    """One seller's windows of one source: reports through extract_report, the API_EXTRACTORS
    sources through their extractor (an inbound window is one document of all its pages; a
    settlement outcome is one listed settlement report)."""
    api = API_EXTRACTORS.get(spec.source)
    if api is None:
        return extract_report(
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
    kwargs = {} if config.lookback_days is None else {"lookback_days": config.lookback_days}
    return api(
        home.root, seller.seller_id, seller.connection(), start, end if start else None,
        today=end, **kwargs,
    )  # fmt: skip


def _extract(
    context: dg.AssetExecutionContext,
    spec: DocumentSpec,
    config: ExtractionConfig,
    reclaim: ReclaimHomeResource,
) -> dg.MaterializeResult:
    home = reclaim.home()
    keys = context.partition_key.keys_by_dimension
    seller_id, day = keys["seller"], date.fromisoformat(keys["day"])
    start, end = config.window(day)
    seller = SellerRegistry(home.state).get(seller_id)
    if seller is None or seller.kind not in ("sp-api", "sandbox"):
        raise dg.Failure(
            f"{seller_id} is not an SP-API seller in the registry "
            f"({home.state / 'sellers.json'}): "
            + ("not registered" if seller is None else f"kind '{seller.kind}'"),
            allow_retries=False,
        )
    what = spec.report_type or spec.source
    try:
        outcomes = _pull(home, seller, spec, start, end, config)
    except TRANSIENT_FAILURES:
        raise  # Amazon or the network, past our own retry budget: the run retries later
    except Exception as exc:
        # A report Amazon ended FATAL, a document that cannot be read, missing credentials:
        # retrying the run would not change the answer.
        raise dg.Failure(
            description=f"{seller_id} {what}: {exc}",
            allow_retries=isinstance(exc, ReportStillRunning),
        ) from exc
    rows = quarantined = cancelled = pages = 0
    how: dict[str, int] = {}
    for o in outcomes:
        # API windows have no report: counted as "api", with their pages.
        how[getattr(o, "how", "api")] = how.get(getattr(o, "how", "api"), 0) + 1
        pages += getattr(o, "pages", 0)
        if o.result is None:
            cancelled += 1
            context.log.info(f"{seller_id} {what} {o.start}..{o.end}: {o.status} (no data)")
            continue
        rows += o.result.rows_loaded
        quarantined += o.result.rows_quarantined
        for w in o.result.warnings:
            context.log.warning(w)
        if o.result.columns_not_stored:
            context.log.info(
                f"{seller_id} {what} {o.start}..{o.end}: "
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
            "seller": seller_id,
            "window": f"{start}..{end}" if start else f"planned from the cursor, up to {end}",
            "pulled": f"{outcomes[0].start}..{outcomes[-1].end}" if outcomes else "nothing due",
            "reports_created_resumed_reused": dg.MetadataValue.json(how),
            "reports": len(outcomes),
            "reports_without_data": cancelled,
            "rows_loaded": rows,
            "rows_quarantined": quarantined,
            **({"api_pages": pages} if spec.source in API_EXTRACTORS else {}),
        },
    )


def _report_asset(spec: DocumentSpec) -> dg.AssetsDefinition:
    @dg.asset(
        name=spec.source,
        key_prefix=["amazon"],
        group_name="extraction",
        kinds={"python", "parquet"},
        description=f"{spec.title}, pulled per seller and day and landed as typed Parquet.",
        partitions_def=SELLER_DAYS,
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


# The SP-API sources pulled daily, one asset each (asset key amazon/<source>, run config key
# amazon__<source>): the reports, then the API sources of API_EXTRACTORS.
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
    INBOUND_SHIPMENT_ITEMS,
    SETTLEMENTS,
    FINANCE_TRANSACTIONS,
)
report_assets = [_report_asset(spec) for spec in EXTRACTED_REPORTS]
