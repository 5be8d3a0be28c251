"""Dagster resources shared by the asset modules."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from orchestration.home import ReclaimHome


class ReclaimHomeResource(dg.ConfigurableResource):
    """Where all state lives. Empty = the RECLAIM_HOME environment variable (default ./data)."""

    root: str = ""

    def home(self) -> ReclaimHome:
        home = ReclaimHome(Path(self.root).resolve()) if self.root else ReclaimHome.from_env()
        return home.activate()
