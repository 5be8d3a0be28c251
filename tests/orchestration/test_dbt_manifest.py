"""The dbt manifest the definitions load is rebuilt once, whole, when several processes import the
definitions at the same time after the project changed (the CLI's extraction workers do)."""

from __future__ import annotations

import json
import multiprocessing
import os
from pathlib import Path

from orchestration.dbt import dbt_project, ensure_manifest


def _ensure_and_read() -> int:
    path = ensure_manifest()
    return len(json.loads(Path(path).read_bytes())["nodes"])


def test_concurrent_processes_rebuild_a_stale_manifest_once_and_whole():
    manifest = Path(ensure_manifest())
    os.utime(manifest, (0, 0))  # older than every project file: stale
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(3) as pool:
        results = [pool.apply_async(_ensure_and_read) for _ in range(3)]
        nodes = [r.get(timeout=600) for r in results]

    # every process read a whole manifest (a torn one fails json.loads in the worker)
    assert len(set(nodes)) == 1 and nodes[0] > 100
    assert manifest.stat().st_mtime > 0
    assert Path(dbt_project.manifest_path) == manifest
    # the private parse folders are gone
    assert not list(manifest.parent.glob(".parse-*"))
