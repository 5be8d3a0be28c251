"""The landing zone: original documents (compressed, immutable) and typed Parquet.

Layout under RECLAIM_HOME:

    landing/originals/<source>/seller_id=<S>/<sha256>.gz     the bytes as received, gzip
    landing/originals/<source>/seller_id=<S>/<sha256>.json   request metadata + counts (written
                                                             last: it marks the document landed)
    landing/parquet/<source>/seller_id=<S>/window=<W>/data.parquet
    landing/quarantine/<source>/seller_id=<S>/window=<W>/data.parquet
    state/<source>/seller_id=<S>/data.parquet                 human input (product master;
                                                             merged by key, later file wins)
    .../<source>/_schema.parquet                              zero rows, the full schema

A partition is one file replaced with os.replace, so a crash leaves the old or the new file, never
half of one. Every source directory holds a zero-row `_schema.parquet` so that readers (dbt) see
the schema even before the first document arrives.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from extractors.reports.catalog import (
    DATE_MDY,
    DATE_PERIOD,
    DECIMAL,
    INT,
    LOCAL_DECIMAL,
    LOCAL_TIMESTAMP,
    MONTH,
    PERIOD_GRANULARITY,
    SPECS,
    STR,
    TIMESTAMP,
    DocumentSpec,
)
from extractors.reports.parsing import ParsedDocument
from extractors.reports.schemas import validate

SELLER_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
WINDOW_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,80}$")

_ARROW = {
    STR: pa.string(),
    INT: pa.int64(),
    DECIMAL: pa.decimal128(18, 4),
    DATE_MDY: pa.date32(),
    TIMESTAMP: pa.timestamp("us", tz="UTC"),
    LOCAL_DECIMAL: pa.decimal128(28, 8),
    LOCAL_TIMESTAMP: pa.timestamp("us", tz="UTC"),
    MONTH: pa.date32(),
    DATE_PERIOD: pa.date32(),
    PERIOD_GRANULARITY: pa.string(),
}

QUARANTINE_SCHEMA = pa.schema(
    [
        ("seller_id", pa.string()),
        ("source", pa.string()),
        ("source_file", pa.string()),
        ("document_sha256", pa.string()),
        ("row_number", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("raw_row", pa.string()),
        ("_snapshot_at", pa.timestamp("us")),
    ]
)


class InvalidSellerId(ValueError):
    pass


def check_seller_id(seller_id: str) -> str:
    """Seller ids become path segments and SQL literals: letters, digits, '_' and '-' only."""
    if not isinstance(seller_id, str) or not SELLER_ID_RE.match(seller_id):
        raise InvalidSellerId(
            f"invalid seller id {seller_id!r}: use 1-64 letters, digits, '_' or '-' "
            "(e.g. the Amazon merchant token A2EXAMPLE123)"
        )
    return seller_id


def arrow_schema(spec: DocumentSpec) -> pa.Schema:
    fields = [("seller_id", pa.string())]
    fields += [(c.name, _ARROW[c.kind]) for c in spec.columns]
    fields += [
        ("_source_file", pa.string()),
        ("_row_number", pa.int64()),
        ("_snapshot_at", pa.timestamp("us")),
    ]
    return pa.schema(fields)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class LandingResult:
    source: str
    seller_id: str
    window: str
    document_sha256: str
    rows_in: int
    rows_loaded: int
    rows_quarantined: int
    parquet_path: Path
    already_landed: bool = False
    warnings: tuple[str, ...] = ()
    # columns of the document deliberately not stored (buyer data)
    columns_not_stored: tuple[str, ...] = ()
    rows_blank: int = 0  # rows that were only whitespace (rows_in = loaded + quarantined + blank)
    encoding: str = ""
    encoding_reason: str = ""
    # Human input (product master): keys already in the state whose values this document
    # replaced (the later document wins per key).
    replaced_keys: tuple[str, ...] = ()


class LandingZone:
    def __init__(self, home: Path):
        self.home = Path(home)

    # -- paths ---------------------------------------------------------------------------------
    def _root(self, spec: DocumentSpec, kind: str) -> Path:
        if spec.area == "state" and kind == "parquet":
            return self.home / "state" / spec.source
        return self.home / "landing" / kind / spec.source

    def original_path(self, spec: DocumentSpec, seller_id: str, digest: str) -> Path:
        return self._root(spec, "originals") / f"seller_id={seller_id}" / f"{digest}.gz"

    def metadata_path(self, spec: DocumentSpec, seller_id: str, digest: str) -> Path:
        return self._root(spec, "originals") / f"seller_id={seller_id}" / f"{digest}.json"

    def partition_path(self, spec: DocumentSpec, seller_id: str, window: str) -> Path:
        base = self._root(spec, "parquet") / f"seller_id={seller_id}"
        if spec.area == "state":
            return base / "data.parquet"
        return base / f"window={window}" / "data.parquet"

    def quarantine_path(self, spec: DocumentSpec, seller_id: str, window: str) -> Path:
        return (
            self._root(spec, "quarantine")
            / f"seller_id={seller_id}"
            / f"window={window}"
            / "data.parquet"
        )

    # -- setup ---------------------------------------------------------------------------------
    def ensure_schemas(self) -> None:
        """Write the zero-row `_schema.parquet` of every source (idempotent)."""
        for spec in SPECS:
            schema = arrow_schema(spec)
            for root in {self._root(spec, "parquet"), self._root(spec, "quarantine")}:
                path = root / "_schema.parquet"
                target = QUARANTINE_SCHEMA if "quarantine" in root.parts else schema
                if path.exists() and pq.read_schema(path).equals(target):
                    continue
                _atomic_write_table(target.empty_table(), path)

    def is_landed(self, spec: DocumentSpec, seller_id: str, digest: str) -> bool:
        return self.metadata_path(spec, seller_id, digest).exists()

    # -- landing -------------------------------------------------------------------------------
    def land(
        self,
        parsed: ParsedDocument,
        original: bytes,
        *,
        seller_id: str,
        window: str,
        snapshot_at: datetime,
        metadata: dict,
    ) -> LandingResult:
        """Validate `parsed` with its pandera schema and land it. Returns the counts; raises if
        they would not reconcile (rows in = loaded + quarantined)."""
        spec = parsed.spec
        check_seller_id(seller_id)
        if not WINDOW_RE.match(window):
            raise ValueError(f"invalid window label {window!r}")
        digest = sha256(original)
        snapshot = snapshot_at.astimezone(UTC).replace(tzinfo=None)
        name = metadata.get("file_name") or metadata.get("report_id") or digest[:12]

        valid, failures = validate(spec.source, parsed.frame)
        # One form of quarantine `source_file` everywhere: the document's name as received (a
        # file's base name, no folders; an SP-API report id), whatever the parser was given.
        quarantine = [{**q, "source_file": name} for q in parsed.quarantine]
        for idx, fld, reason in failures:
            row = parsed.frame.loc[idx]
            quarantine.append(
                {
                    "source_file": name,
                    "row_number": int(row["_row_number"]),
                    "field": _header(spec, fld),
                    "reason": reason,
                    "raw_row": json.dumps(
                        {k: _jsonable(v) for k, v in row.items()}, ensure_ascii=False
                    ),
                }
            )
        rows_loaded = len(valid)
        if rows_loaded + len(quarantine) + parsed.rows_blank != parsed.rows_in:
            raise RuntimeError(
                f"{name}: row counts do not reconcile: {parsed.rows_in} in, {rows_loaded} "
                f"loaded, {len(quarantine)} quarantined, {parsed.rows_blank} blank"
            )

        # Everything that can fail on the data is built before anything is written, so a
        # document that cannot land leaves nothing behind (no original without metadata).
        table = self._to_arrow(spec, valid, seller_id, digest, snapshot)
        ppath = self.partition_path(spec, seller_id, window)
        replaced: list[str] = []
        if spec.area == "state" and ppath.exists():
            table, replaced = _merge_state(pq.read_table(ppath), table, spec.natural_key)
        qpath = self.quarantine_path(spec, seller_id, window)
        qtable = None
        if quarantine:
            qframe = pd.DataFrame(quarantine)
            qframe.insert(0, "seller_id", seller_id)
            qframe.insert(1, "source", spec.source)
            qframe["document_sha256"] = digest
            qframe["_snapshot_at"] = snapshot
            qtable = pa.Table.from_pandas(qframe, schema=QUARANTINE_SCHEMA, preserve_index=False)

        # 1. the original, compressed (immutable: same bytes, same name). For documents with
        # buyer data (spec.only_known_columns) a copy without the columns not stored.
        opath = self.original_path(spec, seller_id, digest)
        if not opath.exists():
            if parsed.stored_original is not None:
                payload = gzip.compress(parsed.stored_original, 6)
            elif original[:2] == b"\x1f\x8b":
                payload = original
            else:
                payload = gzip.compress(original, 6)
            _atomic_write_bytes(payload, opath)

        # 2. typed Parquet partition, replaced atomically (human input: merged, see
        # _merge_state)
        _atomic_write_table(table, ppath)

        # 3. quarantine for the same partition (replaced too; removed when clean)
        if qtable is not None:
            _atomic_write_table(qtable, qpath)
        elif qpath.exists():
            qpath.unlink()

        # 4. metadata last: its presence says the document is fully landed
        meta = {
            **metadata,
            "source": spec.source,
            "seller_id": seller_id,
            "window": window,
            "document_sha256": digest,
            "snapshot_at": snapshot.isoformat(),
            "encoding": parsed.encoding,
            "encoding_reason": parsed.encoding_reason,
            "rows_in": parsed.rows_in,
            "rows_blank": parsed.rows_blank,
            "rows_loaded": rows_loaded,
            "rows_quarantined": len(quarantine),
            "warnings": parsed.warnings,
        }
        if parsed.conventions:
            meta["conventions"] = parsed.conventions
        if replaced:
            meta["replaced_keys"] = replaced
        if parsed.stored_original is not None:
            meta["original_redacted"] = True
            meta["columns_not_stored"] = parsed.columns_not_stored
        _atomic_write_bytes(
            json.dumps(meta, indent=2, sort_keys=True).encode(),
            self.metadata_path(spec, seller_id, digest),
        )
        return LandingResult(
            spec.source,
            seller_id,
            window,
            digest,
            parsed.rows_in,
            rows_loaded,
            len(quarantine),
            ppath,
            warnings=tuple(parsed.warnings),
            columns_not_stored=tuple(parsed.columns_not_stored),
            rows_blank=parsed.rows_blank,
            encoding=parsed.encoding,
            encoding_reason=parsed.encoding_reason,
            replaced_keys=tuple(replaced),
        )

    def find_content(self, spec: DocumentSpec, seller_id: str, content_sha256: str) -> dict | None:
        """The metadata of a landed document with this content digest (the same text, however
        it was compressed or encoded), or None."""
        folder = self._root(spec, "originals") / f"seller_id={seller_id}"
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            try:
                meta = json.loads(path.read_bytes())
            except (OSError, ValueError):
                continue
            if isinstance(meta, dict) and meta.get("content_sha256") == content_sha256:
                return meta
        return None

    def _to_arrow(
        self,
        spec: DocumentSpec,
        frame: pd.DataFrame,
        seller_id: str,
        digest: str,
        snapshot: datetime,
    ) -> pa.Table:
        schema = arrow_schema(spec)
        n = len(frame)
        arrays = []
        for f in schema:
            if f.name == "seller_id":
                arrays.append(pa.array([seller_id] * n, pa.string()))
            elif f.name == "_source_file":
                arrays.append(pa.array([digest] * n, pa.string()))
            elif f.name == "_snapshot_at":
                arrays.append(pa.array([snapshot] * n, f.type))
            elif f.name == "_row_number":
                arrays.append(pa.array(frame["_row_number"].astype("int64").tolist(), f.type))
            else:
                col = frame[f.name]
                if pa.types.is_date32(f.type):
                    values = [None if pd.isna(v) else v.date() for v in col]
                elif pa.types.is_timestamp(f.type):
                    values = [None if pd.isna(v) else v.to_pydatetime() for v in col]
                elif pa.types.is_integer(f.type):
                    values = [None if pd.isna(v) else int(v) for v in col]
                else:
                    values = [
                        None if v is None or (isinstance(v, float) and pd.isna(v)) else v
                        for v in col
                    ]
                arrays.append(pa.array(values, f.type))
        return pa.Table.from_arrays(arrays, schema=schema)


def _merge_state(old: pa.Table, new: pa.Table, key: tuple[str, ...]) -> tuple[pa.Table, list[str]]:
    """Human input arriving in several documents (a product master split across files): the
    rows already in the state, except those whose key the new document has, plus the new
    document's rows. The later document wins per key; returns the keys whose values changed."""
    new_rows = {tuple(r[k] for k in key): r for r in new.to_pylist()}
    kept, replaced = [], []
    meta_cols = {"_source_file", "_row_number", "_snapshot_at"}
    old = pa.Table.from_arrays(
        [
            old.column(f.name).cast(f.type)
            if f.name in old.schema.names
            else pa.nulls(old.num_rows, f.type)
            for f in new.schema
        ],
        schema=new.schema,
    )
    for r in old.to_pylist():
        k = tuple(r[c] for c in key)
        if k not in new_rows:
            kept.append(r)
        elif any(r[c] != new_rows[k][c] for c in r if c not in meta_cols):
            replaced.append("/".join(str(p) for p in k))
    merged = pa.concat_tables([pa.Table.from_pylist(kept, schema=new.schema), new])
    return merged, sorted(replaced)


def _header(spec: DocumentSpec, name: str) -> str:
    try:
        return spec.column(name).header
    except KeyError:
        return name


def _jsonable(v):
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return None
    if isinstance(v, pd.Timestamp | datetime):
        return v.isoformat()
    return str(v)


def _atomic_write_bytes(data: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _atomic_write_table(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
