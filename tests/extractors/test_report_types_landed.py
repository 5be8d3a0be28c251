"""The report files as users hand them over: `reclaim ingest` lands each one, and dbt's staging
views over all of them build and hold exactly the rows that were loaded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from orchestration.home import DBT_PROJECT_DIR
from tests.extractors.test_report_types import CASES, FIXTURES, IDS

DBT = str(Path(sys.executable).with_name("dbt"))
STAGING = {
    "ledger_summary": "stg_amazon__ledger_summary",
    "customer_returns": "stg_amazon__customer_returns",
    "fulfilled_shipments": "stg_amazon__fulfilled_shipments",
    "all_orders": "stg_amazon__all_orders",
    "removal_orders": "stg_amazon__removal_orders",
    "removal_shipments": "stg_amazon__removal_shipments",
    "fee_preview": "stg_amazon__fee_preview",
    "storage_fees": "stg_amazon__storage_fees",
    "settlements": "stg_amazon__settlements",
    "financial_events": "stg_amazon__financial_events",
    "inbound_shipment_items": "stg_amazon__inbound_shipment_items",
}
API_FIXTURES = Path(__file__).parents[1] / "fixtures" / "api"


@pytest.mark.parametrize(("name", "spec", "rows", "bad"), CASES, ids=IDS)
def test_reclaim_ingest_lands_each_report_type(tmp_path, reclaim, name, spec, rows, bad):
    home = tmp_path / "home"
    r = reclaim(home, "ingest", "--seller", "A1TEST", str(FIXTURES / name))
    assert r.returncode == 0, r.stderr
    assert f"{name}: {spec.source}: {rows} row(s) loaded" in r.stdout
    assert "Traceback" not in r.stderr
    parts = list((home / "landing" / "parquet" / spec.source).rglob("data.parquet"))
    assert len(parts) == 1 and pq.read_table(parts[0]).num_rows == rows
    assert "seller_id=A1TEST" in str(parts[0])


def _loaded_counts(home: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for meta in (home / "landing" / "originals").rglob("*.json"):
        m = json.loads(meta.read_text())
        counts[m["source"]] = counts.get(m["source"], 0) + m["rows_loaded"]
    return counts


@pytest.mark.slow
def test_all_report_types_ingest_and_staging_builds_with_matching_counts(tmp_path, reclaim):
    home = tmp_path / "home"
    r = reclaim(
        home,
        "ingest",
        "--seller",
        "A1TEST",
        *(str(FIXTURES / c[0]) for c in CASES),
        # saved SP-API JSON (Finances v0, FBA Inbound v0); inbound_split/ is another test's
        *(str(p) for p in sorted(API_FIXTURES.glob("*.json"))),
    )
    # The inbound fixture lands 2 shipment rows and 4 item rows, one of them an item of a
    # shipment missing from its getShipments pages: kept (it waits for its shipment).
    assert r.returncode == 0, r.stderr
    loaded = _loaded_counts(home)
    assert set(loaded) == set(STAGING)
    assert loaded["financial_events"] == 8 and loaded["inbound_shipment_items"] == 6
    assert loaded["settlements"] == 9 and loaded["fee_preview"] == 4

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("RECLAIM_", "DBT_"))},
        "RECLAIM_HOME": str(home),
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
    }
    (home / "warehouse").mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            DBT,
            "build",
            "--select",
            "staging",
            "--vars",
            '{"as_of": "2026-11-20"}',
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

    con = duckdb.connect(str(home / "warehouse" / "reclaim.duckdb"), read_only=True)
    try:
        staged = {
            source: con.sql(f"select count(*) from staging.{view}").fetchall()[0][0]
            for source, view in STAGING.items()
        }
        # inbound rows are of two kinds: items (the staging model above) and shipments
        staged["inbound_shipment_items"] += con.sql(
            "select count(*) from staging.stg_amazon__inbound_shipments"
        ).fetchall()[0][0]
        summary = con.sql(
            "select settlement_id, currency, total_amount from staging.stg_amazon__settlements "
            "where is_summary_row order by settlement_id"
        ).fetchall()
        buyer_columns = con.sql(
            "select column_name from information_schema.columns "
            "where table_name = 'stg_amazon__fulfilled_shipments' "
            "and (column_name like 'buyer%' or column_name like '%address%' "
            "or column_name like 'recipient%' or column_name like '%phone%')"
        ).fetchall()
    finally:
        con.close()
    assert staged == loaded
    assert [(s, c, str(t)) for s, c, t in summary] == [
        ("11223344556", "USD", "1027.5500"),
        ("22334455667", "EUR", "1234.5600"),
    ]
    assert buyer_columns == []
