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
    DATE_PERIOD,
    DECIMAL,
    INT,
    LOCAL_DECIMAL,
    LOCAL_TIMESTAMP,
    MONTH,
    PERIOD_GRANULARITY,
    STR,
    TIMESTAMP,
    DocumentSpec,
    detect,
    header_key,
    nearest,
    other_report,
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
# Decimal places the landing types keep (extractors.landing: DECIMAL is decimal(18, 4),
# LOCAL_DECIMAL decimal(28, 8)); a value with more is quarantined rather than rounded.
_SCALE = {DECIMAL: 4, LOCAL_DECIMAL: 8}

# Localised amounts (§1.12): `1,234.56` (dot decimal) or `1.234,56` / `-12,30` (comma decimal).
# Groups of three after a non-zero leading group; spaces (incl. no-break) between digits ignored.
_DOT_DEC_RE = re.compile(r"^[+-]?(?:[1-9]\d{0,2}(?:,\d{3})+|\d+)(?:\.\d+)?$|^[+-]?\.\d+$")
_COMMA_DEC_RE = re.compile(r"^[+-]?(?:[1-9]\d{0,2}(?:\.\d{3})+|\d+)(?:,\d+)?$|^[+-]?,\d+$")
_PLAIN_INT_RE = re.compile(r"^[+-]?\d+$")
_NUMBER_SPACES_RE = re.compile(r"(?<=\d)[ \u00a0\u202f](?=\d)")

# Localised date-times (§1.12): day/month/year or month/day/year with `.`, `/` or `-`, 2- or
# 4-digit year, optional time and zone. ISO dates (YYYY-MM-DD...) are read as ISO-8601.
_LOCAL_DT_RE = re.compile(
    r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})"
    r"(?:[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*(UTC|GMT|Z|[+-]\d{2}:?\d{2}|P[SD]T)?$",
    re.IGNORECASE,
)
_ZONE_WORD_RE = re.compile(r"\s*\b(UTC|GMT|PST|PDT)$", re.IGNORECASE)
_ZONES = {"UTC": "+00:00", "GMT": "+00:00", "Z": "+00:00", "PST": "-08:00", "PDT": "-07:00"}
_MONTH_RES = (
    (re.compile(r"^(\d{4})-(\d{1,2})$"), ("y", "m")),
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"), ("y", "m", "d")),
    (re.compile(r"^(\d{1,2})/(\d{4})$"), ("m", "y")),
    (re.compile(r"^(\d{4})/(\d{1,2})$"), ("y", "m")),
)
_MONTH_ONLY_RE = re.compile(r"^\d{1,2}/\d{4}$|^\d{4}-\d{1,2}$")


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
    # How localised values were read in this document (decimal separator, day/month order).
    conventions: dict[str, str] = field(default_factory=dict)
    # Specs with only_known_columns: the document re-written without the columns that must not
    # be stored (buyer data); landing keeps this instead of the received bytes.
    stored_original: bytes | None = None
    columns_not_stored: list[str] = field(default_factory=list)


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
        if spec is None and (other := other_report(header)):
            raise DocumentError(f"{name}: {other}")
        if spec is None and (close := nearest(header)):
            missing_cols = ", ".join(c.header for c in close[1])
            raise DocumentError(
                f"{name}: {close[0].title}: required column(s) missing: {missing_cols}"
            )
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
    unused = [h for i, h in enumerate(header) if i not in used and h]
    stored_original = None
    if spec.only_known_columns:
        # Nothing outside the spec is kept anywhere: not in Parquet, not in quarantine raw rows,
        # not in the stored original. Not a warning: this is by design, and the landing
        # metadata (and the LandingResult) name the columns.
        warnings = []
        keep = sorted(used)
        stored_original = _rewrite(
            [header[i] for i in keep],
            [[(r + [""] * len(header))[i] for i in keep] for r in rows],
            delimiter,
            encoding,
        )
        quarantine_header = [h if i in used else "" for i, h in enumerate(header)]
    else:
        warnings = [
            f"{name}: column {h!r} is not used by fba-reclaim and was ignored" for h in unused
        ]
        quarantine_header = header

    width = len(header)
    quarantine: list[dict] = []
    good_rows: list[list[str]] = []
    good_numbers: list[int] = []
    for n, row in enumerate(rows, start=1):
        if len(row) > width and any(c.strip() for c in row[width:]):
            quarantine.append(
                _q(
                    name,
                    n,
                    quarantine_header,
                    row,
                    None,
                    f"row has {len(row)} fields, header has {width}",
                )
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
    texts = {
        col.name: (
            raw_frame[positions[col.name]].astype(str).str.strip()
            if col.name in positions
            else pd.Series("", index=raw_frame.index, dtype=object)
        )
        for col in spec.columns
    }
    if spec.null_values:
        texts = {k: v.mask(v.isin(spec.null_values), "") for k, v in texts.items()}
    conventions = document_conventions(spec, texts)
    for col in spec.columns:
        values = texts[col.name]
        typed, errors = _convert(values, col.kind, conventions)
        if col.required and not col.nullable:
            missing_mask = values.eq("") & bad.eq("")
            bad = bad.mask(missing_mask, f"required value missing (expected {_describe(col.kind)})")
            bad_field = bad_field.mask(missing_mask, col.header)
        err_mask = errors.ne("") & bad.eq("")
        bad = bad.mask(err_mask, errors)
        bad_field = bad_field.mask(err_mask, col.header)
        frame[col.name] = typed

    for idx in bad.index[bad.ne("")]:
        n = good_numbers[idx]
        quarantine.append(_q(name, n, quarantine_header, good_rows[idx], bad_field[idx], bad[idx]))
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
        conventions=conventions,
        stored_original=stored_original,
        columns_not_stored=unused if spec.only_known_columns else [],
    )


def _rewrite(header: list[str], rows: list[list[str]], delimiter: str, encoding: str) -> bytes:
    out = io.StringIO()
    if delimiter == "\t":
        for r in [header, *rows]:
            out.write("\t".join(r) + "\n")
    else:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
    return out.getvalue().encode(encoding)


def _q(name: str, n: int, header: list[str], row: list[str], fld: str | None, reason: str) -> dict:
    """A quarantine record. Columns whose header is "" (not to be stored) are left out."""
    return {
        "source_file": name,
        "row_number": n,
        "field": fld,
        "reason": reason,
        "raw_row": json.dumps(
            {h: v for h, v in zip(header, row, strict=False) if h}, ensure_ascii=False
        ),
    }


def _describe(kind: str) -> str:
    return {
        STR: "text",
        INT: "a whole number",
        DECIMAL: "a decimal amount like 12.34",
        DATE_MDY: "a date MM/DD/YYYY",
        TIMESTAMP: "an ISO-8601 date-time",
        LOCAL_DECIMAL: "an amount like 1,234.56 or 1.234,56",
        LOCAL_TIMESTAMP: "a date-time like 2025-06-09 05:23:19 UTC or 01.09.2026 07:08:16 UTC",
        MONTH: "a month YYYY-MM, YYYY-MM-DD or MM/YYYY",
        DATE_PERIOD: "a date MM/YYYY or MM/DD/YYYY",
        PERIOD_GRANULARITY: "a date MM/YYYY or MM/DD/YYYY",
    }[kind]


def _convert(
    values: pd.Series, kind: str, conventions: dict[str, str] | None = None
) -> tuple[pd.Series, pd.Series]:
    """Typed values and, per row, an error text ("" when fine). Empty text is a missing value.
    `conventions`: the document's decimal separator and day/month order (document_conventions)."""
    conventions = conventions or {}
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
        typed, errors = _within_scale(typed, errors, kind)
        return typed, _fill(errors, values)
    if kind == LOCAL_DECIMAL:
        sep = conventions.get("decimal_separator")
        parsed = [_local_decimal(v, sep) if v else (None, "") for v in values]
        typed = pd.Series([p[0] for p in parsed], index=values.index, dtype=object)
        errors = pd.Series([p[1] for p in parsed], index=values.index, dtype=object)
        typed, errors = _within_scale(typed, errors, kind)
        return typed, _fill(errors, values)
    if kind == LOCAL_TIMESTAMP:
        order = conventions.get("date_order")
        parsed = [_local_timestamp_iso(v, order) if v else (None, "") for v in values]
        errors = pd.Series([p[1] for p in parsed], index=values.index, dtype=object)
        typed = pd.to_datetime(
            pd.Series([p[0] for p in parsed], index=values.index, dtype=object),
            utc=True,
            format="ISO8601",
            errors="coerce",
        )
        errors = errors.mask(
            typed.isna() & ~empty & errors.eq(""), f"{{v}} is not {_describe(kind)}"
        )
        return typed, _fill(errors, values)
    if kind == MONTH:
        starts = pd.Series([_month_start(v) for v in values], index=values.index, dtype=object)
        typed = pd.to_datetime(starts, format="%Y-%m-%d", errors="coerce")
        errors = errors.mask(typed.isna() & ~empty, f"{{v}} is not {_describe(kind)}")
        return typed.dt.normalize(), _fill(errors, values)
    if kind == DATE_PERIOD:
        month = values.str.match(_MONTH_ONLY_RE)
        as_day = values.where(
            ~month, values.str.replace(r"^(\d{1,2})/(\d{4})$", r"\1/01/\2", regex=True)
        )
        as_day = as_day.where(
            ~month, as_day.str.replace(r"^(\d{4})-(\d{1,2})$", r"\1-\2-01", regex=True)
        )
        typed, errors = _convert(as_day, DATE_MDY)
        return typed, errors.str.replace(_describe(DATE_MDY), _describe(kind), regex=False)
    if kind == PERIOD_GRANULARITY:
        granularity = pd.Series("day", index=values.index, dtype=object)
        granularity = granularity.mask(values.str.match(_MONTH_ONLY_RE), "month")
        return granularity.where(~empty, None).astype(object), errors
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


def _within_scale(typed: pd.Series, errors: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    """Values with more decimal places than the landing type keeps become errors (quarantine)
    instead of being rounded silently or failing the whole document at write time."""
    scale = _SCALE[kind]
    too_fine = typed.map(
        lambda d: isinstance(d, Decimal) and d.normalize().as_tuple().exponent < -scale
    ).astype(bool)
    if too_fine.any():
        errors = errors.mask(
            too_fine & errors.eq(""), f"{{v}} has more than {scale} decimal places"
        )
        typed = typed.mask(too_fine, None)
    return typed, errors


def _number_text(value: str) -> str:
    return _NUMBER_SPACES_RE.sub("", value.strip())


def decimal_separator(values) -> str | None:
    """'.' or ',' as the decimal separator of a document's amounts, from the values that can
    only be read one way (`1,234.56`, `12.5` → '.'; `1.234,56`, `-12,30` → ','); the majority
    wins. None when no value decides it (only whole numbers, or only `1,234`-like values)."""
    dot = comma = 0
    for v in values:
        t = _number_text(v)
        if not t or _PLAIN_INT_RE.match(t):
            continue
        d, c = bool(_DOT_DEC_RE.match(t)), bool(_COMMA_DEC_RE.match(t))
        dot += d and not c
        comma += c and not d
    if dot == comma:
        return None
    return "." if dot > comma else ","


def _local_decimal(value: str, sep: str | None) -> tuple[Decimal | None, str]:
    t = _number_text(value)
    if _PLAIN_INT_RE.match(t):
        return Decimal(t), ""
    dot, comma = bool(_DOT_DEC_RE.match(t)), bool(_COMMA_DEC_RE.match(t))
    if sep == "." and dot:
        return Decimal(t.replace(",", "")), ""
    if sep == "," and comma:
        return Decimal(t.replace(".", "").replace(",", ".")), ""
    if not dot and not comma:
        return None, f"{{v}} is not {_describe(LOCAL_DECIMAL)}"
    if sep is None:
        return None, (
            "{v} is ambiguous: nothing else in the file shows whether ',' or '.' is its "
            "decimal separator"
        )
    style = "1,234.56" if sep == "." else "1.234,56"
    return None, f"{{v}} does not follow the file's {style} number style"


def date_order(values) -> str | None:
    """'DMY' or 'MDY' for a document's non-ISO dates, from the values that can only be read one
    way (a first part above 12 → day first; a second part above 12 → month first); the majority
    wins. With no such value, dotted dates (`01.09.2026`) are day-first, the European convention;
    otherwise None (undecidable)."""
    dmy = mdy = 0
    dotted = False
    for v in values:
        m = _LOCAL_DT_RE.match(v.strip()) if v else None
        if not m:
            continue
        a, b = int(m.group(1)), int(m.group(3))
        dotted = dotted or m.group(2) == "."
        dmy += a > 12 >= b
        mdy += b > 12 >= a
    if dmy != mdy:
        return "DMY" if dmy > mdy else "MDY"
    if dmy == 0 and dotted:
        return "DMY"
    return None


def _local_timestamp_iso(value: str, order: str | None) -> tuple[str | None, str]:
    """The value as an ISO-8601 text pandas reads (UTC when no zone is given), or an error."""
    t = value.strip()
    m = _LOCAL_DT_RE.match(t)
    if not m:
        zone = _ZONE_WORD_RE.search(t)
        if zone:
            t = t[: zone.start()] + _ZONES[zone.group(1).upper()]
        return (t, "") if re.match(r"^\d{4}-\d{2}-\d{2}", t) else (None, "")
    a, b = int(m.group(1)), int(m.group(3))
    if a == b:
        day = month = a
    elif order == "DMY":
        day, month = a, b
    elif order == "MDY":
        day, month = b, a
    else:
        return None, (
            "{v} is ambiguous: nothing else in the file shows whether dates are day/month or "
            "month/day"
        )
    year = int(m.group(4))
    year += 2000 if len(m.group(4)) == 2 else 0
    hh, mm, ss = m.group(5) or "0", m.group(6) or "0", m.group(7) or "0"
    zone = (m.group(8) or "UTC").upper()
    offset = _ZONES.get(zone) or (zone if ":" in zone else f"{zone[:3]}:{zone[3:]}")
    if not (1 <= month <= 12):
        layout = "DD/MM" if order == "DMY" else "MM/DD"
        return None, f"{{v}} is not a date in the file's {layout} order"
    clock = f"{int(hh):02d}:{int(mm):02d}:{int(ss):02d}"
    return f"{year:04d}-{month:02d}-{day:02d}T{clock}{offset}", ""


def _month_start(value: str) -> str | None:
    for regex, parts in _MONTH_RES:
        m = regex.match(value)
        if m:
            got = dict(zip(parts, (int(g) for g in m.groups()[: len(parts)]), strict=True))
            if "d" in got:
                try:
                    pd.Timestamp(year=got["y"], month=got["m"], day=got["d"])
                except ValueError:
                    return None
            return f"{got['y']:04d}-{got['m']:02d}-01"
    return None


def document_conventions(spec: DocumentSpec, texts: dict[str, pd.Series]) -> dict[str, str]:
    """How this document writes localised values, decided once from all its values (§1.12):
    the decimal separator of its LOCAL_DECIMAL columns and the day/month order of its
    LOCAL_TIMESTAMP columns. Undecidable conventions are left out (ambiguous values are then
    quarantined)."""
    found: dict[str, str] = {}
    amounts = [v for c in spec.columns if c.kind == LOCAL_DECIMAL for v in texts[c.name]]
    if amounts and (sep := decimal_separator(amounts)):
        found["decimal_separator"] = sep
    dates = [v for c in spec.columns if c.kind == LOCAL_TIMESTAMP for v in texts[c.name]]
    if dates and (order := date_order(dates)):
        found["date_order"] = order
    return found
