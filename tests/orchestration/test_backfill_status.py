"""Onboarding backfill of one seller through the Dagster definitions (one run per report type,
then the build), and `reclaim status` summarising runs, cursors and claims."""

from __future__ import annotations

import json

import pytest

from orchestration.backfill import BackfillError, backfill_seller
from orchestration.cli import main
from orchestration.sellers import Seller, SellerRegistry
from orchestration.status import collect_status


def _cli(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_backfill_pulls_every_report_for_one_seller_then_builds(sandbox_home, capsys):
    """`reclaim backfill` drives one extract_job run per report type, then the build; `reclaim
    status` then shows those runs, how far each source is pulled and the seller's claims."""
    from orchestration.assets.extraction import EXTRACTED_REPORTS

    home, manifest, emu = sandbox_home
    seller_id = manifest.sellers[0].seller_id
    as_of = manifest.scenario.as_of.isoformat()
    h = ("--home", str(home.root))
    n = len(EXTRACTED_REPORTS)

    code, out, _ = _cli(capsys, *h, "status")
    assert code == 0 and "(none yet)" in out and "no SP-API pull yet" in out

    code, out, err = _cli(
        capsys, *h, "backfill", "--seller", seller_id, "--months", "3", "--as-of", as_of
    )
    assert code == 0, err
    assert f"{n} report type(s) pulled" in out and f"Claims as of {as_of}" in out
    # tqdm's bar on stderr went through every report and the build
    assert f"backfill {seller_id}" in err and f"{n + 1}/{n + 1}" in err
    assert emu.calls("POST", "/reports/2021-06-30/reports", seller=seller_id) >= n

    st = collect_status(home, runs=n + 1)  # one extract_job per source, then the build
    assert sorted(r["job"] for r in st.runs) == ["build_job"] + ["extract_job"] * n
    assert all(r["status"] == "SUCCESS" for r in st.runs)
    [seller] = st.sellers
    assert set(seller["sources"]) == {s.source for s in EXTRACTED_REPORTS}
    assert all(v["pending_reports"] == 0 for v in seller["sources"].values())
    assert st.as_of == as_of
    [claims] = st.claims
    assert claims["seller_id"] == seller_id and claims["ready"] > 0

    code, out, _ = _cli(capsys, *h, "status")
    assert code == 0 and "extract_job" in out and "build_job" in out
    assert f"{n} source(s) pulled through" in out
    assert seller_id in out and f"ready {claims['ready']:>4}" in out
    code, out, _ = _cli(capsys, *h, "status", "--json")
    assert code == 0 and json.loads(out)["claims"][0]["ready"] == claims["ready"]

    code, _, err = _cli(capsys, *h, "backfill", "--seller", "A1NOBODY")
    assert code == 2 and "A1NOBODY is not in" in err and "Traceback" not in err


def test_backfill_rejects_what_it_cannot_do(sandbox_home):
    home, _, _ = sandbox_home
    with pytest.raises(BackfillError, match="not in"):
        backfill_seller(home, "A1NOBODY", 3)
    SellerRegistry(home.state).upsert(Seller(seller_id="A1FILES", kind="files"))
    with pytest.raises(BackfillError, match="reclaim ingest"):
        backfill_seller(home, "A1FILES", 3)
    with pytest.raises(BackfillError, match=r"1\.\.18"):
        backfill_seller(home, "A1FILES", 24)


def test_backfill_without_credentials_stops_before_any_run_with_one_line(
    tmp_path, capsys, monkeypatch
):
    """Unset credentials would fail every report the same way, each in its own Dagster run with a
    stack trace: the backfill names the missing variables once and runs nothing."""
    from orchestration.home import ReclaimHome

    home = ReclaimHome(tmp_path / "home")
    names = {
        "refresh_token": "RECLAIM_TEST_UNSET_REFRESH_TOKEN",
        "lwa_app_id": "RECLAIM_TEST_UNSET_APP_ID",
        "lwa_client_secret": "RECLAIM_TEST_UNSET_SECRET",
    }
    for env in names.values():
        monkeypatch.delenv(env, raising=False)
    SellerRegistry(home.state).upsert(
        Seller(
            seller_id="A1NOCREDS",
            kind="sp-api",
            marketplace_ids=["ATVPDKIKX0DER"],
            credentials_env=names,
        )
    )
    code, out, err = _cli(
        capsys, "--home", str(home.root), "backfill", "--seller", "A1NOCREDS", "--months", "1"
    )
    assert code == 2, (out, err)
    [line] = [ln for ln in err.splitlines() if ln.startswith("reclaim: error:")]
    assert "A1NOCREDS" in line and all(env in line for env in names.values())
    assert "Stack Trace" not in err and "Traceback" not in err
