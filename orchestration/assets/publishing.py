"""Publishing: the serving copy of the warehouse, then per-seller claim exports read from it;
the recovery settings dbt reads, and the weekly recovery report and invoice per seller."""

from datetime import UTC, date, datetime

import dagster as dg
import duckdb
from pydantic import Field

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
            """
            select seller_id, max(as_of)::varchar,
                   count(*),
                   count(*) filter (where status = 'ready'),
                   coalesce(sum(amount) filter (where status = 'ready'), 0)::varchar,
                   count(*) filter (where status = 'ready' and deadline <= as_of + interval 7 day),
                   coalesce(sum(amount) filter (
                       where status = 'ready' and deadline <= as_of + interval 7 day), 0)::varchar
            from marts.fct_claims group by seller_id order by seller_id
            """
        ).fetchall()
        files, summary = {}, {}
        for seller_id, as_of, found, ready, value, expiring, expiring_value in rows:
            out = home.exports / seller_id / f"claims-ready-{as_of}.csv"
            # one connection for every seller (opening the serving copy costs ~25 ms each)
            result = export_claims(home.serving, seller_id, out, con=con)
            files[seller_id] = str(result.path)
            summary[seller_id] = {
                "claims_found": found,
                "ready_claims": ready,
                "ready_value": value,
                "expiring_within_7_days": expiring,
                "expiring_value": expiring_value,
                "exported": result.rows,
                "case_batches": result.batches,
                "held_back": result.held_back,
            }
            context.log.info(
                f"{seller_id}: {result.rows} ready claim(s) in {result.batches} case batch(es) "
                f"-> {result.path}"
                + "".join(f"; {n} held back: {why}" for why, n in result.held_back.items())
            )
    return dg.MaterializeResult(
        metadata={
            "exports": dg.MetadataValue.json(files),
            "ready_by_seller": dg.MetadataValue.json(summary),
        }
    )


# -- recovery: settings for dbt, weekly report, invoice --------------------------------------

RECOVERY_SETTINGS_KEY = dg.AssetKey(["seller_registry", "recovery_settings"])
RECOVERY_SETTING_VALUES_KEY = dg.AssetKey(["seller_registry", "recovery_setting_values"])


@dg.multi_asset(
    name="recovery_settings",
    specs=[
        dg.AssetSpec(
            RECOVERY_SETTINGS_KEY,
            group_name="seller_input",
            kinds={"parquet"},
            description="Recovery settings of every registered seller (state/sellers.json, "
            "settings.recovery), validated, defaults applied, written for dbt "
            "(RECLAIM_HOME/warehouse/inputs/recovery_settings.parquet).",
        ),
        dg.AssetSpec(
            RECOVERY_SETTING_VALUES_KEY,
            group_name="seller_input",
            kinds={"parquet"},
            description="The list-valued recovery settings (enabled claim types, excluded "
            "SKUs), one row per value, for dbt.",
        ),
    ],
)
def recovery_settings(reclaim: ReclaimHomeResource):
    from orchestration.reporting.settings import write_settings_snapshot
    from orchestration.sellers import SellerRegistry

    home = reclaim.home()
    try:
        sellers = SellerRegistry(home.state).load()
        settings_path, values_path = write_settings_snapshot(home.root, sellers)
    except ValueError as exc:  # SettingsError names the seller and every bad key
        raise dg.Failure(str(exc)) from exc
    yield dg.MaterializeResult(
        asset_key=RECOVERY_SETTINGS_KEY,
        metadata={"sellers": len(sellers), "path": dg.MetadataValue.path(str(settings_path))},
    )
    yield dg.MaterializeResult(
        asset_key=RECOVERY_SETTING_VALUES_KEY,
        metadata={"path": dg.MetadataValue.path(str(values_path))},
    )


def _report_sellers(home) -> list[str]:
    """Sellers with claims in the serving copy, and registered sellers."""
    from orchestration.sellers import SellerRegistry

    with duckdb.connect(str(home.serving), read_only=True) as con:
        rows = con.execute("select distinct seller_id from marts.fct_claims").fetchall()
    in_data = {r[0] for r in rows}
    return sorted(in_data | {s.seller_id for s in SellerRegistry(home.state).load()})


class WeeklyRecoveryConfig(dg.Config):
    week: str | None = Field(
        default=None,
        description="ISO week YYYY-Www to report. Default: the latest week that began before "
        "the claims' as_of (on a Monday, the week just ended).",
    )


@dg.asset(
    deps=[serving_warehouse],
    group_name="recovery",
    kinds={"html"},
    description="Weekly recovery report per seller, self-contained HTML "
    "(RECLAIM_HOME/reports/<seller>/recovery-<YYYY-Www>.html), from the serving copy.",
)
def weekly_recovery_reports(
    context: dg.AssetExecutionContext, config: WeeklyRecoveryConfig, reclaim: ReclaimHomeResource
) -> dg.MaterializeResult:
    from orchestration.reporting.common import parse_week
    from orchestration.reporting.weekly import write_weekly_report

    home = reclaim.home()
    week = parse_week(config.week) if config.week else None
    files = {}
    for seller_id in _report_sellers(home):
        result = write_weekly_report(home, seller_id, week)
        files[seller_id] = str(result.path)
        context.log.info(f"{seller_id}: weekly report {result.week} -> {result.path}")
    return dg.MaterializeResult(metadata={"reports": dg.MetadataValue.json(files)})


class InvoiceConfig(dg.Config):
    run_day: str | None = Field(
        default=None,
        description="Day the invoices are issued (YYYY-MM-DD; default today, UTC). Each seller "
        "is billed for the period of its billing cadence that ended before it: the previous "
        "week, or the previous month on the first Monday of a month.",
    )


@dg.asset(
    deps=[serving_warehouse],
    group_name="recovery",
    kinds={"html", "csv"},
    description="Invoice per seller for its last billing period: case-attributed recoveries "
    "at the seller's fee, minus reversal credits (RECLAIM_HOME/invoices/<seller>/).",
)
def recovery_invoices(
    context: dg.AssetExecutionContext, config: InvoiceConfig, reclaim: ReclaimHomeResource
) -> dg.MaterializeResult:
    from orchestration.reporting.common import ReportError
    from orchestration.reporting.invoice import previous_period, write_invoice
    from orchestration.reporting.settings import RecoverySettings
    from orchestration.sellers import SellerRegistry

    home = reclaim.home()
    run_day = date.fromisoformat(config.run_day) if config.run_day else datetime.now(UTC).date()
    registry = SellerRegistry(home.state)
    issued, due = {}, {}
    for seller_id in _report_sellers(home):
        seller = registry.get(seller_id)
        cadence = (seller.recovery if seller else RecoverySettings()).billing_cadence
        period = previous_period(cadence, run_day)
        if period is None:
            context.log.info(f"{seller_id}: billed monthly, nothing to invoice on {run_day}")
            continue
        try:
            invoice = write_invoice(home, seller_id, *period, today=run_day)
        except ReportError as exc:  # e.g. the period overlaps an invoice issued by hand
            context.log.warning(f"{seller_id}: no invoice: {exc}")
            continue
        issued[seller_id] = str(invoice.html_path)
        due[seller_id] = {t.currency: str(t.fee_due) for t in invoice.totals}
        context.log.info(f"{seller_id}: invoice {invoice.number} -> {invoice.html_path}")
    return dg.MaterializeResult(
        metadata={
            "run_day": run_day.isoformat(),
            "invoices": dg.MetadataValue.json(issued),
            "fee_due": dg.MetadataValue.json(due),
        }
    )
