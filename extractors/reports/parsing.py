"""Turn a document's bytes into a typed frame plus the rows that could not be typed.

Tolerant where Amazon's facts are UNCONFIRMED: gzip or plain, tab or comma separated, quoted
headers (Seller Central CSV downloads), UTF-8/Cp1252/Shift_JIS, header spelling variants, extra
or missing optional columns. Strict where it matters: a missing required column rejects the whole
document with a message naming it; a value that cannot be typed sends that row to quarantine with
the field and the reason. Rows in = rows parsed + rows quarantined, always.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import re
import zlib
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd

from extractors.reports.catalog import (
    DATE_MDY,
    DECIMAL,
    INT,
    STR,
    TIMESTAMP,
    DocumentSpec,
    detect,
    header_key,
)

_CHARSET_ALIASES = {
    "windows-31j": "cp932",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "cp1252": "cp1252",
    "windows-1252": "cp1252",
}

_INT_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})*$|^[+-]?\d+$")
_DEC_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")


class DocumentError(ValueError):
    """The whole document is unusable (wrong type, missing required column, corrupt bytes)."""


@dataclass
class ParsedDocument:
    spec: DocumentSpec
    frame: pd.DataFrame  # canonical columns, typed, plus `_row_number`
    quarantine: list[dict] = field(default_factory=list)
    rows_in: int = 0
    encoding: str = "utf-8"
    delimiter: str = "\t"
    warnings: list[str] = field(default_factory=list)


def normalize_charset(charset: str | None) -> str | None:
    if not charset:
        return None
    cs = charset.strip().strip('"').lower()
    cs = _CHARSET_ALIASES.get(cs, cs)
    try:
        return codecs.lookup(cs).name
    except LookupError:
        return None


def decompress(data: bytes, name: str) -> bytes:
    """Gunzip when the bytes are gzip (whatever any flag said); raise DocumentError when a gzip
    stream is truncated or corrupt."""
    if data[:2] == b"\x1f\x8b":
        try:
            return gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as exc:
            raise DocumentError(f"{name}: corrupt or truncated gzip data ({exc})") from exc
    return data


def decode(data: bytes, name: str, charset: str | None = None) -> tuple[str, str]:
    """Text and the encoding used. A declared charset wins; otherwise UTF-8 (with or without BOM),
    then Shift_JIS/cp932 or Cp1252 by detection. Never returns mojibake silently: a declared
    charset that does not fit the bytes is an error."""
    declared = normalize_charset(charset)
    if charset and not declared:
        # Unknown label: do not guess silently, but fall through to detection and say so.
        pass
    if declared:
        try:
            return data.decode(declared), declared
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{name}: bytes are not valid {declared} as declared "
                f"(offset {exc.start}): {exc.reason}"
            ) from exc
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        import chardet  # shipped with the stack; only needed for non-UTF-8 files

        guess = (chardet.detect(data[:200_000]).get("encoding") or "").lower()
    except ImportError:  # pragma: no cover
        guess = ""
    candidates = ["cp932", "cp1252"] if ("jis" in guess or "932" in guess) else ["cp1252"]
    for enc in candidates:
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    raise DocumentError(f"{name}: cannot decode the text (not UTF-8, Cp1252 or Shift_JIS)")


def split_rows(text: str) -> tuple[list[str], list[list[str]], str]:
    """Header, data rows and the delimiter. Tab-separated files (SP-API) are split on tabs with no
    quoting rules (titles may hold stray quotes); comma-separated files use CSV quoting."""
    first = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first else ","
    if delimiter == "\t":
        lines = text.splitlines()
        rows = [line.split("\t") for line in lines]
    else:
        rows = list(csv.reader(io.StringIO(text)))
    rows = [r for r in rows if any(cell.strip() for cell in r)]
    if not rows:
        return [], [], delimiter
    header = [h.strip().strip('"').strip() for h in rows[0]]
    if header:
        header[0] = header[0].lstrip("\ufeff")
    data = rows[1:]
    if delimiter == "\t":
        data = [[_unquote(c) for c in r] for r in data]
    return header, data, delimiter


def _unquote(cell: str) -> str:
    if len(cell) >= 2 and cell[0] == '"' and cell[-1] == '"':
        return cell[1:-1].replace('""', '"')
    return cell


def read_header(data: bytes, name: str, charset: str | None = None) -> list[str]:
    text, _ = decode(decompress(data, name), name, charset)
    header, _, _ = split_rows(text.split("\n", 2)[0] if "\n" in text else text)
    return header


def parse_document(
    data: bytes,
    name: str,
    *,
    spec: DocumentSpec | None = None,
    charset: str | None = None,
) -> ParsedDocument:
    """Parse a whole document. `spec` None means: detect it from the header row."""
    raw = decompress(data, name)
    text, encoding = decode(raw, name, charset)
    header, rows, delimiter = split_rows(text)
    if not header:
        raise DocumentError(f"{name}: the file is empty (no header row)")
    if spec is None:
        spec = detect(header)
        if spec is None:
            raise DocumentError(
                f"{name}: not a recognised report or product master; header starts "
                f"{', '.join(header[:6])!r}"
            )

    positions: dict[str, int] = {}
    keys = [header_key(h) for h in header]
    for col in spec.columns:
        for i, k in enumerate(keys):
            if k in col.header_keys():
                positions[col.name] = i
                break
    missing = [c.header for c in spec.required if c.name not in positions]
    if missing:
        raise DocumentError(
            f"{name}: {spec.title}: required column(s) missing: {', '.join(missing)}"
        )
    used = set(positions.values())
    warnings = [
        f"{name}: column {h!r} is not used by fba-reclaim and was ignored"
        for i, h in enumerate(header)
        if i not in used and h
    ]

    width = len(header)
    quarantine: list[dict] = []
    good_rows: list[list[str]] = []
    good_numbers: list[int] = []
    for n, row in enumerate(rows, start=1):
        if len(row) > width and any(c.strip() for c in row[width:]):
            quarantine.append(
                _q(name, n, header, row, None, f"row has {len(row)} fields, header has {width}")
            )
            continue
        if len(row) < width:
            row = row + [""] * (width - len(row))
        good_rows.append(row[:width])
        good_numbers.append(n)

    raw_frame = pd.DataFrame(good_rows, columns=range(width), dtype=object)
    frame = pd.DataFrame(index=raw_frame.index)
    bad = pd.Series("", index=raw_frame.index, dtype=object)
    bad_field = pd.Series("", index=raw_frame.index, dtype=object)
    for col in spec.columns:
        if col.name in positions:
            values = raw_frame[positions[col.name]].astype(str).str.strip()
        else:
            values = pd.Series("", index=raw_frame.index, dtype=object)
        typed, errors = _convert(values, col.kind)
        if col.required:
            missing_mask = values.eq("") & bad.eq("")
            bad = bad.mask(missing_mask, f"required value missing (expected {_describe(col.kind)})")
            bad_field = bad_field.mask(missing_mask, col.header)
        err_mask = errors.ne("") & bad.eq("")
        bad = bad.mask(err_mask, errors)
        bad_field = bad_field.mask(err_mask, col.header)
        frame[col.name] = typed

    for idx in bad.index[bad.ne("")]:
        n = good_numbers[idx]
        quarantine.append(_q(name, n, header, good_rows[idx], bad_field[idx], bad[idx]))
    keep = bad.eq("")
    frame = frame[keep].copy()
    frame["_row_number"] = pd.array([good_numbers[i] for i in frame.index], dtype="Int64")
    frame = frame.reset_index(drop=True)
    return ParsedDocument(
        spec=spec,
        frame=frame,
        quarantine=quarantine,
        rows_in=len(rows),
        encoding=encoding,
        delimiter=delimiter,
        warnings=warnings,
    )


def _q(name: str, n: int, header: list[str], row: list[str], fld: str | None, reason: str) -> dict:
    return {
        "source_file": name,
        "row_number": n,
        "field": fld,
        "reason": reason,
        "raw_row": json.dumps(dict(zip(header, row, strict=False)), ensure_ascii=False),
    }


def _describe(kind: str) -> str:
    return {
        STR: "text",
        INT: "a whole number",
        DECIMAL: "a decimal amount like 12.34",
        DATE_MDY: "a date MM/DD/YYYY",
        TIMESTAMP: "an ISO-8601 date-time",
    }[kind]


def _convert(values: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Typed values and, per row, an error text ("" when fine). Empty text is a missing value."""
    empty = values.eq("")
    errors = pd.Series("", index=values.index, dtype=object)
    if kind == STR:
        return values.where(~empty, None).astype(object), errors
    if kind == INT:
        ok = values.str.match(_INT_RE)
        errors = errors.mask(~empty & ~ok, f"{{v}} is not {_describe(kind)}")
        nums = pd.to_numeric(
            values.str.replace(",", "", regex=False).where(ok & ~empty), errors="coerce"
        )
        return nums.astype("Int64"), _fill(errors, values)
    if kind == DECIMAL:
        ok = values.str.match(_DEC_RE)
        errors = errors.mask(~empty & ~ok, f"{{v}} is not {_describe(kind)}")
        cleaned = values.str.replace(",", "", regex=False)
        typed = pd.Series(
            [
                Decimal(v) if good and not e else None
                for v, good, e in zip(cleaned, ok, empty, strict=True)
            ],
            index=values.index,
            dtype=object,
        )
        return typed, _fill(errors, values)
    if kind == DATE_MDY:
        typed = pd.to_datetime(values.where(~empty), format="%m/%d/%Y", errors="coerce")
        retry = typed.isna() & ~empty
        if retry.any():
            iso = pd.to_datetime(values.where(retry), format="%Y-%m-%d", errors="coerce")
            typed = typed.fillna(iso)
        errors = errors.mask(typed.isna() & ~empty, f"{{v}} is not {_describe(kind)}")
        return typed.dt.normalize(), _fill(errors, values)
    if kind == TIMESTAMP:
        typed = pd.to_datetime(values.where(~empty), utc=True, format="ISO8601", errors="coerce")
        retry = typed.isna() & ~empty
        if retry.any():
            alt = pd.to_datetime(
                values.where(retry).str.replace(r"\s*(UTC|GMT|PST|PDT)$", "", regex=True),
                utc=True,
                errors="coerce",
                format="mixed",
            )
            typed = typed.fillna(alt)
        errors = errors.mask(typed.isna() & ~empty, f"{{v}} is not {_describe(kind)}")
        return typed, _fill(errors, values)
    raise ValueError(f"unknown kind {kind}")


def _fill(errors: pd.Series, values: pd.Series) -> pd.Series:
    mask = errors.ne("")
    if mask.any():
        errors = errors.copy()
        errors[mask] = [
            e.replace("{v}", repr(v)) for e, v in zip(errors[mask], values[mask], strict=True)
        ]
    return errors
