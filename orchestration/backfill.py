"""`reclaim backfill`: onboard one seller by pulling N months of every report through the same
Dagster extraction assets the schedule runs (the seller's partition for the day before the end,
one run per report type, so progress is visible and a failure names its report), then build,
check and publish."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from orchestration.home import ReclaimHome
from orchestration.runner import PipelineFailed, run_extraction, run_job
from orchestration.sellers import SellerRegistry


class BackfillError(ValueError):
    """A user mistake (unknown seller, seller without SP-API access, bad range)."""


@dataclass
class BackfillResult:
    seller_id: str
    start: date
    end: date
    reports: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    built: bool = False


def backfill_seller(
    home: ReclaimHome,
    seller_id: str,
    months: int,
    *,
    end: date | None = None,
    build: bool = True,
    as_of: str | None = None,
    poll_interval_s: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> BackfillResult:
    from dagster import AssetKey

    from orchestration.assets.extraction import EXTRACTED_REPORTS

    if not 1 <= months <= 18:
        raise BackfillError(f"--months must be 1..18 (Amazon keeps 18 months), not {months}")
    seller = SellerRegistry(home.state).get(seller_id)
    if seller is None:
        raise BackfillError(f"seller {seller_id} is not in {home.state / 'sellers.json'}")
    if seller.kind not in ("sp-api", "sandbox"):
        raise BackfillError(
            f"seller {seller_id} is a '{seller.kind}' seller (no SP-API access): use "
            "`reclaim ingest` for its report files"
        )
    try:
        # Credentials (and the sandbox's endpoint) are checked before any run: unset, every
        # report would fail the same way, each in its own run.
        seller.connection()
    except RuntimeError as exc:  # MissingCredentials, or the sandbox emulator is not running
        raise BackfillError(f"seller {seller_id}: {exc}") from None
    if poll_interval_s is None:
        # Amazon takes minutes over a report; the sandbox emulator, time-scaled, moments.
        poll_interval_s = 0.05 if seller.kind == "sandbox" else 15.0
    end = end or datetime.now(UTC).date()
    start = end - timedelta(days=round(months * 30.44))
    result = BackfillResult(seller_id, start, end)
    config = {"start_date": start.isoformat(), "poll_interval_seconds": poll_interval_s}
    # Partition (end - 1 day, seller): the seller's data through the day before `end`.
    day = end - timedelta(days=1)
    for spec in EXTRACTED_REPORTS:
        if progress:
            progress(spec.source)
        try:
            run_extraction(
                home,
                [seller_id],
                day,
                {f"amazon__{spec.source}": {"config": config}},
                asset_selection=[AssetKey(["amazon", spec.source])],
                extra_tags={"reclaim/backfill": "true"},
            )
            result.reports.append(spec.source)
        except PipelineFailed as exc:
            if "EndpointUnreachable" in exc.causes:
                # Refused / no such host: every other report would fail the same way.
                line = next((ln for ln in str(exc).splitlines() if "cannot connect" in ln), "")
                reason = line.split("cannot connect", 1)[-1].strip(" ()") or "cannot connect"
                result.failed.append(
                    f"SP-API endpoint unreachable for {seller_id} ({reason}); stopped after "
                    f"{spec.source}, nothing else tried"
                )
                break
            result.failed.append(f"{spec.source}: {exc}")
    if build and not result.failed:
        if progress:
            progress("build")
        run_job(
            home,
            "build_job",
            {"reclaim_dbt_assets": {"config": {"as_of": as_of or end.isoformat()}}},
        )
        result.built = True
    return result
