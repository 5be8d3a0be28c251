"""The incremental staging models (macros/staging/incremental_landing.sql) give what a full
refresh gives, and an incremental run reads only what landed since the last one.

Day 1 lands sandbox history plus overlapping recent windows and builds. Day 2 lands: a new
overlapping ledger window in which a row changed and a row disappeared; new daily windows of the
other reports; a late-arriving reimbursements document (produced before everything landed so
far) that loses its shared rows and adds one new line; same-window re-pulls (the file replaced)
of customer returns and financial events in which a row changed and rows disappeared. The
incremental build is then compared row for row with `dbt build --full-refresh` over the same
landing, in another warehouse file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from extractors.landing import LandingZone
from extractors.reports.api_documents import parse_api_document
from extractors.reports.parsing import parse_document
from extractors.sandbox.simulator import Scenario, generate
from orchestration.home import DBT_PROJECT_DIR, ReclaimHome

DBT = str(Path(sys.executable).with_name("dbt"))
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SELLER = "SANDBOX1"

INCREMENTAL = [
    "stg_amazon__ledger_events",
    "stg_amazon__financial_events",
    "stg_amazon__reimbursements",
    "stg_amazon__customer_returns",
    "stg_amazon__all_orders",
    "stg_amazon__fulfilled_shipments",
    "stg_amazon__settlements",
]
# report -> date column used to cut windows
REPORTS = {
    "GET_LEDGER_DETAIL_VIEW_DATA": "Date",
    "GET_FBA_REIMBURSEMENTS_DATA": "approval-date",
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": "return-date",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL": "purchase-date",
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL": "shipment-date",
}


class Tsv:
    def __init__(self, path: Path, date_column: str):
        lines = [r for r in path.read_bytes().split(b"\n") if r.strip()]
        self.header = lines[0]
        self.columns = lines[0].rstrip(b"\r").split(b"\t")
        self.rows = lines[1:]
        self._date = self.columns.index(date_column.encode())

    def day(self, row: bytes) -> date:
        text = row.split(b"\t")[self._date][:10].decode()
        if "/" in text:
            m, d, y = text.split("/")
            return date(int(y), int(m), int(d))
        return date.fromisoformat(text)

    def between(self, first: date, last: date) -> list[bytes]:
        return [r for r in self.rows if first <= self.day(r) <= last]

    def doc(self, rows: list[bytes]) -> bytes:
        return b"\n".join([self.header, *rows]) + b"\n"

    def set(self, row: bytes, column: str, value: str) -> bytes:
        fields = row.split(b"\t")
        fields[self.columns.index(column.encode())] = value.encode()
        return b"\t".join(fields)


def land(zone: LandingZone, data: bytes, window: str, snapshot: datetime, name: str) -> None:
    if data.lstrip()[:1] in (b"{", b"["):
        parsed = parse_api_document(data, name)
    else:
        parsed = parse_document(data, name)
    result = zone.land(
        parsed, data, seller_id=SELLER, window=window, snapshot_at=snapshot, metadata={}
    )
    assert result.rows_loaded > 0 or parsed.rows_in == 0, name


def dbt_build(home: ReclaimHome, target: Path, *extra: str) -> list[dict]:
    env = {
        **os.environ,
        "RECLAIM_HOME": str(home.root),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "RECLAIM_AS_OF": "2026-11-20",
    }
    args = ["build", "--exclude-resource-type", "unit_test", "--target-path", str(target)]
    proc = subprocess.run(
        [DBT, *args, *extra],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    return json.loads((target / "run_results.json").read_text())["results"]


def compiled(target: Path, model: str) -> str:
    return (
        target / "compiled" / "fba_reclaim" / "models" / "staging" / "amazon" / f"{model}.sql"
    ).read_text()


def rows(con, table: str) -> list[tuple]:
    return sorted(con.execute(f"select * from {table}").fetchall(), key=repr)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    out = tmp_path_factory.mktemp("sandbox")
    scenario = Scenario(sellers=1, months=2)
    manifest = generate(scenario, out)
    files = {Path(p).stem: Path(p) for p in manifest.sellers[0].files.values() if p}
    return scenario.as_of, out / SELLER, files


def test_incremental_runs_equal_a_full_refresh(sandbox, tmp_path, monkeypatch):
    as_of, _, files = sandbox
    home = ReclaimHome(tmp_path / "home")
    monkeypatch.setenv("RECLAIM_HOME", str(home.root))
    home.activate()
    zone = LandingZone(home.root)
    zone.ensure_schemas()
    tsv = {k: Tsv(files[k], col) for k, col in REPORTS.items()}
    d = as_of
    t1 = datetime.combine(d - timedelta(days=1), datetime.min.time(), UTC) + timedelta(hours=6)
    t2 = t1 + timedelta(days=1)
    far = date(2000, 1, 1)

    # ---- day 1: history up to D-11, overlapping recent windows, financial events ----------
    for key, t in tsv.items():
        land(zone, t.doc(t.between(far, d - timedelta(days=11))), "hist", t1, f"{key} hist")
    ledger = tsv["GET_LEDGER_DETAIL_VIEW_DATA"]
    w1_rows = ledger.between(d - timedelta(days=10), d - timedelta(days=1))
    land(zone, ledger.doc(w1_rows), "w1", t1, "ledger w1")
    for key, t in tsv.items():
        if key != "GET_LEDGER_DETAIL_VIEW_DATA":
            recent = t.between(d - timedelta(days=10), d - timedelta(days=1))
            land(zone, t.doc(recent), "recent", t1, f"{key} recent")
    fin = json.loads((FIXTURES / "api" / "financial_events.json").read_text())
    land(zone, json.dumps(fin).encode(), "fe", t1, "financial events")
    # Settlements, one document each, as the extractor lands them; the last one arrives on day 2.
    settlements = sorted(files["settlements"].glob("*.tsv"))
    assert len(settlements) >= 3
    for path in settlements[:-1]:
        land(zone, path.read_bytes(), f"settlement-{path.stem.rsplit('_', 1)[1]}", t1, path.name)

    target1 = tmp_path / "target1"
    dbt_build(home, target1)

    # ---- day 2 ------------------------------------------------------------------------------
    # Ledger: a new window overlapping w1 (the daily trailing look-back): one row changed, one
    # row missing (it stays from w1, as in a full refresh), plus the new day.
    w2_rows = ledger.between(d - timedelta(days=10), d)
    assert len(w1_rows) > 4
    changed = w2_rows[1]
    w2_rows[1] = ledger.set(changed, "Title", "Title restated by Amazon")
    del w2_rows[2]
    land(zone, ledger.doc(w2_rows), "w2", t2, "ledger w2")
    # Other reports: the daily window.
    for key, t in tsv.items():
        if key in ("GET_LEDGER_DETAIL_VIEW_DATA", "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"):
            continue
        land(zone, t.doc(t.between(d - timedelta(days=10), d)), "daily", t2, f"{key} daily")
    # Late-arriving reimbursements document, produced before anything landed: its shared rows
    # lose to the newer documents, its one new line is added.
    reimb = tsv["GET_FBA_REIMBURSEMENTS_DATA"]
    late = reimb.between(far, d - timedelta(days=20))[:5]
    assert late
    late = [reimb.set(r, "amount-total", "999.00") for r in late]
    late.append(reimb.set(late[0], "reimbursement-id", "9999999999"))
    land(zone, reimb.doc(late), "late", t1 - timedelta(days=30), "reimbursements late")
    # Customer returns: the same window pulled again (its file replaced) with a changed row
    # and two rows gone.
    returns = tsv["GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"]
    again = returns.between(d - timedelta(days=10), d - timedelta(days=1))
    assert len(again) > 3
    again[0] = returns.set(again[0], "status", "Repackaged")
    del again[1:3]
    land(zone, returns.doc(again), "recent", t2, "returns recent again")
    # Financial events: the same window again, one event gone.
    fin2 = json.loads(json.dumps(fin))
    events = fin2["payload"]["FinancialEvents"]
    dropped = next(k for k, v in events.items() if isinstance(v, list) and v)
    events[dropped] = events[dropped][1:]
    land(zone, json.dumps(fin2).encode(), "fe", t2, "financial events again")

    # Settlements: the newest one, and the first one reissued by Amazon as another report (landed
    # under that report's window) with one amount restated: all of its rows are replaced.
    newest = settlements[-1]
    land(zone, newest.read_bytes(), f"settlement-{newest.stem.rsplit('_', 1)[1]}", t2, "new")
    reissued = settlements[0].read_bytes().split(b"\n")
    reissued[2] = b"\t".join(
        [*reissued[2].split(b"\t")[:14], b"123.45", *reissued[2].split(b"\t")[15:]]
    )
    land(zone, b"\n".join(reissued), "report-990001", t2, "reissued settlement")

    target2 = tmp_path / "target2"
    results = dbt_build(home, target2)
    assert {r["unique_id"].split(".")[-1] for r in results} >= set(INCREMENTAL)

    # The incremental run read only the files landed since day 1, except for the sellers whose
    # loaded files were replaced (returns, financial events): those are rebuilt from landing.
    new_only = {
        "stg_amazon__ledger_events": ["window=w2/"],
        "stg_amazon__reimbursements": ["window=daily/", "window=late/"],
        "stg_amazon__all_orders": ["window=daily/"],
        "stg_amazon__fulfilled_shipments": ["window=daily/"],
        "stg_amazon__settlements": ["window=report-990001/"],
    }
    for model, windows in new_only.items():
        sql = compiled(target2, model)
        assert "union all by name" in sql, f"{model} was not built incrementally"
        for window in windows:
            assert window in sql, (model, window)
        for window in ("window=hist/", "window=recent/", "window=w1/"):
            assert window not in sql, (model, window)
    settled_sql = compiled(target2, "stg_amazon__settlements")
    assert f"window=settlement-{newest.stem.rsplit('_', 1)[1]}/" in settled_sql
    for path in settlements[:-1]:  # day 1's settlements are not read again
        assert f"window=settlement-{path.stem.rsplit('_', 1)[1]}/" not in settled_sql
    for model in ("stg_amazon__customer_returns", "stg_amazon__financial_events"):
        assert "union all by name" in compiled(target2, model)
    # the replaced returns window: the seller's returns are read again, history included
    assert "window=hist/" in compiled(target2, "stg_amazon__customer_returns")

    incremental_db = tmp_path / "incremental.duckdb"
    shutil.copy(home.warehouse, incremental_db)
    with duckdb.connect(str(incremental_db), read_only=True) as con:
        counts = {
            m: con.execute(f"select count(*) from staging.{m}").fetchone()[0] for m in INCREMENTAL
        }
        assert (
            con.execute(
                "select count(*) from staging.stg_amazon__ledger_events "
                "where title = 'Title restated by Amazon'"
            ).fetchone()[0]
            == 1
        )
        assert (
            con.execute(
                "select count(*) from staging.stg_amazon__reimbursements "
                "where reimbursement_id = '9999999999'"
            ).fetchone()[0]
            == 1
        )
        # the reissued settlement replaced the first one whole: its restated amount, once
        assert con.execute(
            "select count(*), count(distinct _landed_file) from "
            "staging.stg_amazon__settlements where amount = 123.45"
        ).fetchone() == (1, 1)
        # the late document's shared lines lost to newer documents: only its new line has 999
        assert (
            con.execute(
                "select count(*) from staging.stg_amazon__reimbursements where amount_total = 999"
            ).fetchone()[0]
            == 1
        )

    # ---- full refresh of the same landing in another warehouse file -------------------------
    home.warehouse.unlink()
    dbt_build(home, tmp_path / "target3", "--full-refresh")
    with duckdb.connect(str(home.warehouse), read_only=True) as full:
        full.execute(f"attach '{incremental_db}' as inc (read_only)")
        for model in INCREMENTAL:
            table = f"staging.{model}"
            assert rows(full, table) == rows(full, f"inc.{table}"), model
            assert counts[model] > 0, model
        assert rows(full, "marts.fct_claims") == rows(full, "inc.marts.fct_claims")
        assert full.execute("select count(*) from marts.fct_claims").fetchone()[0] > 0
