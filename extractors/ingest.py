"""`reclaim ingest`: report files downloaded from Seller Central (or saved SP-API documents) and
the seller's product master, recognised by their header row, parsed, validated and landed.

A file that cannot be used is reported by name and nothing from it is loaded; other files are
unaffected. Re-ingesting a document that already landed is a no-op: keyed by the SHA-256 of its
bytes and by the SHA-256 of its decoded text (content_sha256), so the same document gzipped,
gunzipped or re-encoded is recognised and keeps the snapshot time it was first landed with.

The landing zone's own originals (landing/originals/...) can always be ingested again, e.g. to
restore a home: an original whose metadata file sits beside it lands with that metadata's file
name, window and snapshot time, and the metadata files themselves are skipped.
"""

from __future__ import annotations

import codecs
import errno
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from extractors.landing import WINDOW_RE, LandingResult, LandingZone, check_seller_id, sha256
from extractors.reports.api_documents import is_api_document, parse_api_document
from extractors.reports.parsing import DocumentError, content_sha256, decompress, parse_document


@dataclass
class FileOutcome:
    path: Path
    source: str | None = None
    result: LandingResult | None = None
    skipped: bool = False  # already landed (or a landing metadata file)
    error: str | None = None
    note: str | None = None  # why it was skipped, when not simply "already ingested"


@dataclass
class IngestReport:
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def failed(self) -> list[FileOutcome]:
        return [o for o in self.outcomes if o.error]

    @property
    def ok(self) -> bool:
        return not self.failed


def expand_paths(paths: list[Path]) -> tuple[list[Path], list[FileOutcome]]:
    """Files named, and every file below folders named (hidden files skipped), in sorted order."""
    files: list[Path] = []
    missing: list[FileOutcome] = []
    for p in paths:
        p = Path(p)
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if any(part.startswith(".") for part in f.relative_to(p).parts):
                    continue
                if f.is_file():
                    files.append(f)
                elif f.is_symlink() and not f.is_dir():
                    missing.append(FileOutcome(f, error=_not_a_file(f)))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(FileOutcome(p, error=_not_a_file(p)))
    return files, missing


def _not_a_file(p: Path) -> str:
    """Why a path named on the command line is neither a file nor a folder."""
    if p.is_symlink():
        try:
            p.resolve(strict=True)
        except RuntimeError:
            return f"{p}: a symbolic link loop"
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return f"{p}: a symbolic link loop"
            return f"{p}: a broken symbolic link (to {os.readlink(p)}, which does not exist)"
    if p.exists():
        return f"{p}: not a regular file or folder"
    return f"{p}: no such file or folder"


def ingest_files(
    home: Path,
    seller_id: str,
    paths: list[Path],
    now: datetime | None = None,
    on_outcome: Callable[[FileOutcome], None] | None = None,
) -> IngestReport:
    """Ingest every file; `on_outcome` is called with each file's outcome as soon as it is
    known (the CLI prints it at once, so a killed run still shows what landed)."""
    check_seller_id(seller_id)
    zone = LandingZone(home)
    zone.ensure_schemas()
    files, report_missing = expand_paths(paths)
    report = IngestReport()
    snapshot = now or datetime.now(UTC)
    for outcome in report_missing:
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    for path in files:
        try:
            outcome = _ingest_one(zone, seller_id, path, snapshot)
        except Exception as exc:  # one file never stops the batch
            outcome = FileOutcome(path, error=f"{path}: not loaded: {type(exc).__name__}: {exc}")
        report.outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    return report


def _ingest_one(zone: LandingZone, seller_id: str, path: Path, snapshot: datetime) -> FileOutcome:
    outcome = FileOutcome(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        outcome.error = f"{path}: cannot read ({exc.strerror or exc})"
        return outcome
    if _landing_metadata(data) is not None:
        outcome.skipped = True
        outcome.note = "landing metadata of an original (read with the original beside it)"
        return outcome
    try:
        raw = decompress(data, str(path))
        if is_api_document(raw.removeprefix(codecs.BOM_UTF8)):
            parsed = parse_api_document(raw, str(path))
            parsed.content_sha256 = content_sha256(raw.decode("utf-8-sig"))
        else:
            parsed = parse_document(raw, str(path))
    except DocumentError as exc:
        outcome.error = str(exc)
        return outcome
    outcome.source = parsed.spec.source
    digest = sha256(data)
    if zone.is_landed(parsed.spec, seller_id, digest):
        outcome.skipped = True
        return outcome
    first = zone.find_content(parsed.spec, seller_id, parsed.content_sha256)
    if first is not None:
        outcome.skipped = True
        outcome.note = (
            f"same document as {first.get('file_name') or first.get('document_sha256')!s} "
            f"(landed {first.get('snapshot_at')}), differently compressed or encoded; "
            "nothing to do"
        )
        return outcome
    name, window = path.name, f"file-{digest[:16]}"
    landed_with = _original_metadata(path)
    if landed_with:
        # A landing original ingested again (restoring a home): as it was first landed.
        snapshot = datetime.fromisoformat(landed_with["snapshot_at"]).replace(tzinfo=UTC)
        name = landed_with.get("file_name") or name
        if WINDOW_RE.match(str(landed_with.get("window") or "")):
            window = landed_with["window"]
    outcome.result = zone.land(
        parsed,
        data,
        seller_id=seller_id,
        window=window,
        snapshot_at=snapshot,
        metadata={
            "origin": "file",
            "file_name": name,
            "report_type": parsed.spec.report_type,
            "ingested_at": snapshot.isoformat(),
            "content_sha256": parsed.content_sha256,
        },
    )
    return outcome


def _landing_metadata(data: bytes) -> dict | None:
    """The landing zone's metadata of an original (`<sha256>.json`), or None."""
    if not data.lstrip().startswith(b"{") or len(data) > 1_000_000:
        return None
    try:
        meta = json.loads(data)
    except (UnicodeDecodeError, ValueError):
        return None
    keys = {"document_sha256", "snapshot_at", "source", "rows_in"}
    return meta if isinstance(meta, dict) and keys <= meta.keys() else None


def _original_metadata(path: Path) -> dict | None:
    """The metadata beside a landing original `<sha256>.gz`, when there is one that names it."""
    if not path.name.endswith(".gz"):
        return None
    try:
        meta = _landing_metadata(path.with_name(path.name[:-3] + ".json").read_bytes())
    except OSError:
        return None
    if not meta or meta.get("document_sha256") != path.name[:-3]:
        return None
    try:
        datetime.fromisoformat(meta["snapshot_at"])
    except (TypeError, ValueError):
        return None
    return meta
