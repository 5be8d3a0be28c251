"""A snapshot of what the code location defines: asset keys, checks, jobs, schedules, sensors
and the partitions of each partitioned asset.

An accidental change (a renamed model, a dropped check, a schedule that moved) fails here and
shows up in review. After an intended change, regenerate the snapshot:

    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/orchestration/test_definitions_snapshot.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path

SNAPSHOT = Path(__file__).parent / "snapshots" / "definitions.json"


def _describe() -> dict:
    from orchestration.definitions import defs

    repo = defs.get_repository_def()
    graph = repo.asset_graph
    return {
        "assets": sorted(k.to_user_string() for k in graph.get_all_asset_keys()),
        "asset_checks": sorted(
            f"{c.asset_key.to_user_string()}:{c.name}" for c in graph.asset_check_keys
        ),
        "blocking_checks": sorted(
            f"{spec.asset_key.to_user_string()}:{spec.name}"
            for a in graph.assets_defs
            for spec in a.check_specs
            if spec.blocking
        ),
        "jobs": sorted(j.name for j in repo.get_all_jobs() if not j.name.startswith("__")),
        "schedules": sorted(
            f"{s.name} {s.cron_schedule} {s.execution_timezone}" for s in repo.schedule_defs
        ),
        "sensors": sorted(s.name for s in repo.sensor_defs),
        "partitions": {
            k.to_user_string(): _partitions(graph.get(k).partitions_def)
            for k in sorted(graph.get_all_asset_keys())
            if graph.get(k).partitions_def is not None
        },
    }


def _partitions(pd) -> str:
    """A partitions definition in words: dimensions, their kind, name or schedule and start."""
    import dagster as dg

    if isinstance(pd, dg.MultiPartitionsDefinition):
        return " x ".join(f"{d.name}: {_partitions(d.partitions_def)}" for d in pd.partitions_defs)
    if isinstance(pd, dg.DynamicPartitionsDefinition):
        return f"dynamic '{pd.name}'"
    if isinstance(pd, dg.TimeWindowPartitionsDefinition):
        return (
            f"{pd.cron_schedule} {pd.timezone} from {pd.start.date()} (end offset {pd.end_offset})"
        )
    return type(pd).__name__


def test_definitions_match_the_snapshot():
    current = _describe()
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    for key in expected:
        assert current[key] == expected[key], f"{key} changed; see the module docstring"
    assert current.keys() == expected.keys()
