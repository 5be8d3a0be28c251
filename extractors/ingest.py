"""`reclaim ingest`: report files downloaded from Seller Central (or saved SP-API documents) and
the seller's product master, recognised by their header row, parsed, validated and landed.

A file that cannot be used is reported by name and nothing from it is loaded; other files are
unaffected. Re-ingesting a file that already landed is a no-op (keyed by its SHA-256).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from extractors.landing import LandingResult, LandingZone, check_seller_id, sha256
from extractors.reports.api_documents import is_api_document, parse_api_document
from extractors.reports.parsing import DocumentError, parse_document


@dataclass
class FileOutcome:
    path: Path
    source: str | None = None
    result: LandingResult | None = None
    skipped: bool = False  # already landed
    error: str | None = None


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
            files += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not any(part.startswith(".") for part in f.relative_to(p).parts)
            )
        elif p.is_file():
            files.append(p)
        else:
            missing.append(FileOutcome(p, error=f"{p}: no such file or folder"))
    return files, missing


def ingest_files(
    home: Path, seller_id: str, paths: list[Path], now: datetime | None = None
) -> IngestReport:
    check_seller_id(seller_id)
    zone = LandingZone(home)
    zone.ensure_schemas()
    files, report_missing = expand_paths(paths)
    report = IngestReport(outcomes=list(report_missing))
    snapshot = now or datetime.now(UTC)
    for path in files:
        outcome = FileOutcome(path)
        report.outcomes.append(outcome)
        try:
            data = path.read_bytes()
        except OSError as exc:
            outcome.error = f"{path}: cannot read ({exc.strerror or exc})"
            continue
        try:
            if is_api_document(data):
                parsed = parse_api_document(data, str(path))
            else:
                parsed = parse_document(data, str(path))
        except DocumentError as exc:
            outcome.error = str(exc)
            continue
        outcome.source = parsed.spec.source
        digest = sha256(data)
        if zone.is_landed(parsed.spec, seller_id, digest):
            outcome.skipped = True
            continue
        outcome.result = zone.land(
            parsed,
            data,
            seller_id=seller_id,
            window=f"file-{digest[:16]}",
            snapshot_at=snapshot,
            metadata={
                "origin": "file",
                "file_name": path.name,
                "report_type": parsed.spec.report_type,
                "ingested_at": snapshot.isoformat(),
            },
        )
    return report
