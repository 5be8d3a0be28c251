"""The dbt project's own tests at the level they belong: every dbt unit test (one or more per
claim rule, netting, window and staging model) runs here, in CI, against an empty warehouse.
Production builds skip them (`--exclude-resource-type unit_test`): they test the SQL, not the
data."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from extractors.landing import LandingZone
from orchestration.home import DBT_PROJECT_DIR, ReclaimHome

DBT = str(Path(sys.executable).with_name("dbt"))


def test_every_dbt_unit_test_passes(tmp_path, monkeypatch):
    home = ReclaimHome(tmp_path / "home")
    monkeypatch.setenv("RECLAIM_HOME", str(home.root))
    home.activate()
    LandingZone(home.root).ensure_schemas()  # empty sources, so every model builds
    target = tmp_path / "target"
    env = {**os.environ, "RECLAIM_HOME": str(home.root), "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
    proc = subprocess.run(
        [DBT, "build", "--vars", '{"as_of": "2026-11-20"}', "--target-path", str(target)],
        cwd=DBT_PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    manifest = json.loads((target / "manifest.json").read_text())
    defined = {u["name"] for u in manifest["unit_tests"].values()}
    results = json.loads((target / "run_results.json").read_text())["results"]
    passed = {
        r["unique_id"].split(".")[-1]
        for r in results
        if r["unique_id"].startswith("unit_test.") and r["status"] == "pass"
    }
    assert passed == defined and len(defined) >= 25
    # Every claim rule model has at least one unit test.
    tested_models = {u["model"] for u in manifest["unit_tests"].values()}
    rules = {
        n["name"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["name"].endswith("_candidates")
    }
    assert rules <= tested_models, rules - tested_models
