"""The amazon/finance_transactions extraction asset as Dagster runs it against the SP-API
emulator: the seller's Finances transactions pulled with listTransactions over the 18-month
onboarding (cursor-planned), landed, its pages and the quarantine check reported."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from extractors.spapi.extract import CursorStore
from orchestration.assets.extraction import EXTRACTED_REPORTS, report_assets
from orchestration.schedules import daily_run_config
from tests.orchestration.conftest import materialize_seller_day

FINANCES = dg.AssetKey(["amazon", "finance_transactions"])


def test_finances_asset_is_pulled_daily_and_lands_the_sellers_transactions(sandbox_home):
    home, manifest, emu = sandbox_home
    assert "finance_transactions" in {s.source for s in EXTRACTED_REPORTS}
    assert "amazon__finance_transactions" in daily_run_config()["ops"]
    asset = next(a for a in report_assets if a.key == FINANCES)
    seller_id = manifest.sellers[0].seller_id
    day = manifest.scenario.as_of
    result = materialize_seller_day(
        [asset], home, seller_id, day, {"amazon__finance_transactions": {"config": {}}}
    )
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "no_quarantined_rows" and check.passed
    meta = result.asset_materializations_for_node("amazon__finance_transactions")[0].metadata
    transactions = emu.finances.transactions(seller_id)
    leaves = sum(len(i.lines) for t in transactions for i in t.items.values())
    assert meta["rows_loaded"].value == leaves > 0
    assert meta["reports"].value == 4  # 18 months in 180-day windows
    assert meta["api_pages"].value == emu.calls("GET", "/finances/2024-06-19/transactions")
    cursor = CursorStore(home.root).load(seller_id, "finance_transactions")
    assert cursor.complete_through == day + timedelta(days=1)
