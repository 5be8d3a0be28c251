"""The amazon/settlements extraction asset as Dagster runs it against the SP-API emulator: the
sandbox seller's settlement reports listed (never requested), downloaded and landed."""

from __future__ import annotations

from datetime import timedelta

import dagster as dg

from orchestration.assets.extraction import report_assets
from tests.orchestration.conftest import materialize_seller_day

CREATE = ("POST", "/reports/2021-06-30/reports")


def test_settlements_asset_lands_the_sellers_settlements(sandbox_home):
    home, manifest, emu = sandbox_home
    asset = next(a for a in report_assets if a.key == dg.AssetKey(["amazon", "settlements"]))
    end = manifest.scenario.as_of + timedelta(days=3)
    result = materialize_seller_day(
        [asset],
        home,
        manifest.sellers[0].seller_id,
        manifest.scenario.as_of,
        {"amazon__settlements": {"config": {"end_date": end.isoformat()}}},
    )
    assert result.success
    meta = result.asset_materializations_for_node("amazon__settlements")[0].metadata
    folder = manifest.sellers[0].files["settlements"]
    files = {p: len([x for x in p.read_bytes().splitlines() if x]) - 1 for p in folder.glob("*")}
    assert meta["reports"].value == len(files)
    assert meta["rows_loaded"].value == sum(files.values())
    assert meta["reports_created_resumed_reused"].value == {"listed": len(files)}
    assert emu.calls(*CREATE) == 0
