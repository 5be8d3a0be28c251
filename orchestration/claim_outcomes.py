"""Claim outcomes: the agency's record of what it did with each claim (DESIGN.md rule 7).

An append-only event log under RECLAIM_HOME/state/claim_events/: every batch of events is one new
Parquet file, written atomically and never rewritten, so a run or a rebuild cannot lose it. dbt
reads the log (source seller.claim_events) and merges the lifecycle into fct_claims, together with
what Amazon paid against each case.

A batch is validated whole before anything is written: an unknown claim id, a transition the
lifecycle does not allow, or a malformed row is reported with its row and field, and nothing of
the batch is applied.
"""

from __future__ import annotations

import csv
import os
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

LOG_DIR = "claim_events"

SCHEMA = pa.schema(
    [
        ("event_id", pa.string()),
        ("claim_id", pa.string()),
        ("seller_id", pa.string()),
        ("action", pa.string()),
        ("status", pa.string()),  # lifecycle status the event leads to; NULL for a note
        ("case_id", pa.string()),
        ("event_date", pa.date32()),
        ("reason", pa.string()),
        ("note", pa.string()),
        ("source", pa.string()),
        ("recorded_at", pa.timestamp("us")),
        # Position of the event in its batch (file row order): events of a batch share
        # recorded_at, and the later row is the later event.
        ("sequence", pa.int32()),
    ]
)

DETECTION_STATUSES = ("upcoming", "ready", "expired", "needs_data")
# action -> (status it leads to, statuses it may start from). None = no status change.
TRANSITIONS: dict[str, tuple[str | None, frozenset[str]]] = {
    "approve": ("approved", frozenset({"upcoming", "ready", "needs_info"})),
    "dismiss": ("dismissed", frozenset({"upcoming", "ready", "expired", "approved", "needs_info"})),
    "file": ("filed", frozenset({"ready", "approved", "needs_info", "expired"})),
    "needs_info": ("needs_info", frozenset({"filed"})),
    "deny": ("denied", frozenset({"filed", "needs_info"})),
    "note": (None, frozenset()),  # any status
}
# What an agency's case tooling may report in `claims import` (status column) -> action.
IMPORT_STATUSES = {
    "approved": "approve",
    "dismissed": "dismiss",
    "filed": "file",
    "needs_info": "needs_info",
    "denied": "deny",
    "note": "note",
}


class OutcomeError(ValueError):
    """The batch was rejected; `problems` lists every reason, nothing was written."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass
class Event:
    claim_id: str
    action: str
    case_id: str | None = None
    event_date: date | None = None
    reason: str | None = None
    note: str | None = None
    where: str = ""  # "file.csv row 3" for messages
    fields: dict = field(default_factory=dict)


def ensure_log(state_dir: Path) -> Path:
    """The log folder with its zero-row `_schema.parquet` (dbt's glob is never empty)."""
    root = Path(state_dir) / LOG_DIR
    schema_file = root / "_schema.parquet"
    if not schema_file.exists():
        _atomic_write(SCHEMA.empty_table(), schema_file)
    return root


def read_log(state_dir: Path) -> list[dict]:
    root = ensure_log(state_dir)
    files = sorted(p for p in root.glob("*.parquet") if p.name != "_schema.parquet")
    if not files:
        return []
    table = pa.concat_tables([pq.read_table(p, schema=SCHEMA) for p in files])
    rows = table.to_pylist()
    rows.sort(key=lambda r: (r["recorded_at"], r["sequence"] or 0, r["event_id"]))
    return rows


def lifecycle_status(events: list[dict]) -> dict[str, str]:
    """claim_id -> the status of its latest status-changing event."""
    status: dict[str, str] = {}
    for e in events:
        if e["status"]:
            status[e["claim_id"]] = e["status"]
    return status


def _claims(serving: Path, claim_ids: set[str]) -> dict[str, tuple[str, str]]:
    """claim_id -> (seller_id, detection status) for the ids that exist."""
    if not Path(serving).exists():
        raise OutcomeError([f"no warehouse at {serving}: run `reclaim build` first"])
    with duckdb.connect(str(serving), read_only=True) as con:
        try:
            rows = con.execute(
                "select claim_id, seller_id, detection_status from marts.fct_claims "
                "where claim_id in (select unnest(?))",
                [sorted(claim_ids)],
            ).fetchall()
        except duckdb.Error as exc:
            raise OutcomeError([f"{serving}: cannot read marts.fct_claims ({exc})"]) from exc
    return {cid: (seller, status) for cid, seller, status in rows}


def record(
    home_state: Path, serving: Path, events: list[Event], source: str, today: date | None = None
) -> int:
    """Validate the whole batch against the claims and the log, then append it. Returns the
    number of events written."""
    problems: list[str] = []
    known = _claims(serving, {e.claim_id for e in events})
    current = lifecycle_status(read_log(home_state))
    today = today or datetime.now(UTC).date()
    rows = []
    now = datetime.now(UTC).replace(tzinfo=None)
    for e in events:
        where = f"{e.where}: " if e.where else ""
        if e.action not in TRANSITIONS:
            problems.append(f"{where}action {e.action!r} is not one of {', '.join(TRANSITIONS)}")
            continue
        if e.claim_id not in known:
            problems.append(f"{where}claim_id {e.claim_id!r}: no such claim in the warehouse")
            continue
        seller_id, detected = known[e.claim_id]
        status_now = current.get(e.claim_id, detected)
        target, allowed = TRANSITIONS[e.action]
        if target is not None and status_now not in allowed:
            problems.append(
                f"{where}claim {e.claim_id}: cannot {e.action.replace('_', ' ')} a claim that "
                f"is {status_now} (allowed from: {', '.join(sorted(allowed))})"
            )
            continue
        if e.action == "file" and not (e.case_id or "").strip():
            problems.append(f"{where}claim {e.claim_id}: case_id: filing needs the case id")
            continue
        if e.action == "dismiss" and not (e.reason or "").strip():
            problems.append(f"{where}claim {e.claim_id}: reason: a dismissal needs a reason")
            continue
        if e.event_date and e.event_date > today:
            problems.append(f"{where}claim {e.claim_id}: date: {e.event_date} is in the future")
            continue
        if target is not None:
            current[e.claim_id] = target  # later events of the batch see this one
        rows.append(
            {
                # Sortable within the batch: the sequence first, so ordering by
                # (recorded_at, event_id) keeps the order the events were given in.
                "event_id": f"{len(rows):06d}-{uuid.uuid4().hex}",
                "claim_id": e.claim_id,
                "seller_id": seller_id,
                "action": e.action,
                "status": target,
                "case_id": (e.case_id or "").strip() or None,
                "event_date": e.event_date or today,
                "reason": (e.reason or "").strip() or None,
                "note": (e.note or "").strip() or None,
                "source": source,
                "recorded_at": now,
                "sequence": len(rows),
            }
        )
    if problems:
        raise OutcomeError(problems)
    if rows:
        root = ensure_log(home_state)
        name = f"events-{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.parquet"
        _atomic_write(pa.Table.from_pylist(rows, schema=SCHEMA), root / name)
    return len(rows)


def read_import_file(path: Path) -> list[Event]:
    """Events from an agency's case-tooling export (CSV or XLSX) with the columns claim_id,
    case_id, status, date, note (header names case-insensitive; reason optional)."""
    path = Path(path)
    if not path.is_file():
        raise OutcomeError([f"{path}: no such file"])
    if path.suffix.lower() == ".xlsx":
        from openpyxl import load_workbook

        try:
            ws = load_workbook(path, read_only=True, data_only=True).worksheets[0]
        except Exception as exc:  # openpyxl raises many kinds for a corrupt file
            raise OutcomeError([f"{path}: not a readable XLSX file ({exc})"]) from exc
        raw = [["" if v is None else v for v in r] for r in ws.iter_rows(values_only=True)]
    else:
        try:
            with open(path, newline="", encoding="utf-8-sig") as fh:
                raw = list(csv.reader(fh))
        except UnicodeDecodeError as exc:
            raise OutcomeError([f"{path}: not UTF-8 text ({exc})"]) from exc
    if not raw:
        raise OutcomeError([f"{path}: empty file"])
    header = [str(h).strip().lower() for h in raw[0]]
    missing = [c for c in ("claim_id", "status") if c not in header]
    if missing:
        raise OutcomeError([f"{path}: missing column(s) {', '.join(missing)} in the header row"])
    events, problems = [], []
    for n, values in enumerate(raw[1:], start=2):
        row = dict(zip(header, values, strict=False))
        if not any(str(v).strip() for v in values):
            continue
        where = f"{path.name} row {n}"
        status = str(row.get("status", "")).strip().lower()
        if status not in IMPORT_STATUSES:
            problems.append(
                f"{where}: status: {status!r} is not one of {', '.join(IMPORT_STATUSES)}"
            )
            continue
        when = row.get("date", "")
        event_date = None
        if isinstance(when, datetime):
            event_date = when.date()
        elif isinstance(when, date):
            event_date = when
        elif str(when).strip():
            try:
                event_date = date.fromisoformat(str(when).strip()[:10])
            except ValueError:
                problems.append(f"{where}: date: {when!r} is not a date YYYY-MM-DD")
                continue
        events.append(
            Event(
                claim_id=str(row.get("claim_id", "")).strip(),
                action=IMPORT_STATUSES[status],
                case_id=str(row.get("case_id", "") or "").strip() or None,
                event_date=event_date,
                # A dismissal's reason may come in the note column of a tool without one.
                reason=str(row.get("reason", "") or "").strip()
                or (str(row.get("note", "") or "").strip() if status == "dismissed" else "")
                or None,
                note=str(row.get("note", "") or "").strip() or None,
                where=where,
            )
        )
    if problems:
        raise OutcomeError(problems)
    return events


def _atomic_write(table: pa.Table, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
