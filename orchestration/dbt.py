"""The dbt project as Dagster sees it, and the manifest it needs to load.

dagster-dbt loads `@dbt_assets` from `target/manifest.json`. The manifest is (re)built with
`dbt parse` only when a project file is newer than it, so importing the definitions stays cheap in
every process (code server, run worker) instead of re-parsing each time. Several processes may
import the definitions at once (the CLI's extraction workers, the daemon's runs): one parses under
a lock, into a private target folder, and the manifest is swapped in whole, so no process reads a
half-written manifest.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject

from orchestration.home import DBT_PROJECT_DIR

DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

_SOURCES = ("models", "seeds", "macros", "tests", "snapshots", "analyses")


def _newest_project_mtime() -> float:
    newest = (DBT_PROJECT_DIR / "dbt_project.yml").stat().st_mtime
    for sub in _SOURCES:
        base = DBT_PROJECT_DIR / sub
        if base.exists():
            for p in base.rglob("*"):
                if p.is_file():
                    newest = max(newest, p.stat().st_mtime)
    return newest


def _is_fresh(manifest: Path) -> bool:
    return manifest.exists() and manifest.stat().st_mtime >= _newest_project_mtime()


def ensure_manifest() -> Path:
    manifest = Path(dbt_project.manifest_path)
    if _is_fresh(manifest):
        return manifest
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with open(manifest.parent / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        if _is_fresh(manifest):  # another process parsed while this one waited
            return manifest
        parse_dir = Path(tempfile.mkdtemp(prefix=".parse-", dir=manifest.parent))
        try:
            env = {**os.environ, "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR)}
            proc = subprocess.run(
                [DBT_EXECUTABLE, "parse", "--quiet", "--target-path", str(parse_dir)],
                cwd=DBT_PROJECT_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            built = parse_dir / "manifest.json"
            if proc.returncode != 0 or not built.exists():
                raise RuntimeError(f"dbt parse failed:\n{proc.stdout}\n{proc.stderr}")
            # dbt's parse state, so that a build in this home starts from this parse (dagster-dbt
            # copies it into the build's target folder) instead of parsing the project again
            state = parse_dir / "partial_parse.msgpack"
            if state.exists():
                os.replace(state, manifest.parent / state.name)
            os.replace(built, manifest)
        finally:
            shutil.rmtree(parse_dir, ignore_errors=True)
    return manifest


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project,
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=DBT_EXECUTABLE,
    )
