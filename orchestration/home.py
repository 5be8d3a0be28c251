"""RECLAIM_HOME: the one folder that holds all state (DESIGN.md).

landing/      originals and typed Parquet (extractors.landing)
state/        human input: seller registry, product master, claim outcomes
warehouse/    the DuckDB file dbt writes (one writer)
serving/      the read-only copy analysts and exports read, swapped after each build
exports/      claim exports per seller
data_docs/    Great Expectations Data Docs of the exported marts
logs/         dbt output of CLI runs
sandbox/      the built-in sandbox's generated seller data
dagster/      Dagster's own storage (runs, event logs, compute logs)
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass(frozen=True)
class ReclaimHome:
    root: Path

    @classmethod
    def from_env(cls) -> ReclaimHome:
        return cls(Path(os.environ.get("RECLAIM_HOME", "data")).expanduser().resolve())

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse" / "reclaim.duckdb"

    @property
    def serving(self) -> Path:
        return self.root / "serving" / "reclaim.duckdb"

    @property
    def exports(self) -> Path:
        return self.root / "exports"

    @property
    def data_docs(self) -> Path:
        return self.root / "data_docs"

    @property
    def sandbox(self) -> Path:
        return self.root / "sandbox"

    @property
    def dagster(self) -> Path:
        return self.root / "dagster"

    def activate(self) -> ReclaimHome:
        """Export the environment dbt and Dagster read (absolute paths), create the folders."""
        for p in (
            self.root,
            self.state,
            self.warehouse.parent,
            self.serving.parent,
            self.exports,
            self.dagster / "storage",
            self.dagster / "compute_logs",
        ):
            p.mkdir(parents=True, exist_ok=True)
        os.environ["RECLAIM_HOME"] = str(self.root)
        os.environ.setdefault("DAGSTER_HOME", str(REPO_ROOT))
        os.environ["RECLAIM_DAGSTER_STORAGE"] = str(self.dagster / "storage")
        os.environ["RECLAIM_DAGSTER_COMPUTE_LOGS"] = str(self.dagster / "compute_logs")
        os.environ.setdefault("DBT_PROFILES_DIR", str(DBT_PROJECT_DIR))
        from orchestration.claim_outcomes import ensure_log

        ensure_log(self.state)
        return self
