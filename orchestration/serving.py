"""The serving copy: what analysts and exports read (DESIGN.md rule 10).

DuckDB allows one read-write process or many readers per file. The pipeline writes the
warehouse; after a successful build the whole database is copied into a new file and swapped into
place with os.replace, so a reader never blocks the pipeline and never sees half a build.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import duckdb


def publish_serving_copy(warehouse: Path, serving: Path) -> Path:
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.stem}.{uuid.uuid4().hex}.duckdb")
    try:
        with duckdb.connect() as con:
            con.execute(f"attach '{_q(warehouse)}' as w (read_only)")
            con.execute(f"attach '{_q(tmp)}' as s")
            con.execute("copy from database w to s")
            con.execute("detach s")
            con.execute("detach w")
        os.replace(tmp, serving)
    finally:
        for p in (tmp, tmp.with_name(tmp.name + ".wal")):
            if p.exists():
                p.unlink()
    return serving


def _q(path: Path) -> str:
    return str(path).replace("'", "''")
