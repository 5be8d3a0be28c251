"""Turn a document's bytes into a typed frame plus the rows that could not be typed.

Tolerant where Amazon's facts are UNCONFIRMED: gzip or plain, tab or comma separated, quoted
headers (Seller Central CSV downloads), UTF-8/UTF-16/Cp1252/Shift_JIS, header spelling variants,
extra or missing optional columns. Strict where it matters: a missing required column rejects the
whole document with a message naming it; a value that cannot be typed sends that row to
quarantine with the field and the reason. Rows in = rows parsed + rows quarantined + blank
rows, always.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
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

# Byte-order marks, longest first (a UTF-32LE mark starts like a UTF-16LE one).
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16"),
)
_ESCAPED_RE = re.compile("[\udc80-\udcff]")
_LINE_END_RE = re.compile(r"\r\n|\r|\n")
_BINARY_MAGIC = (
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook (.xls) or other Office file, not a text "
     "report: export it as tab-separated text from Seller Central"),
    (b"%PDF", "a PDF document, not a report file"),
    (b"PAR1", "a Parquet file, not a report file"),
    (b"\x89PNG", "a PNG image, not a report file"),
    (b"\xff\xd8\xff", "a JPEG image, not a report file"),
    (b"BZh", "bzip2-compressed: decompress it first (gzip is accepted as is)"),
    (b"\xfd7zXZ", "xz-compressed: decompress it first (gzip is accepted as is)"),
    (b"7z\xbc\xaf", "a 7-Zip archive: extract it and ingest the files inside"),
)  # fmt: skip
# A field longer than this is quarantined (the csv module's default limit).
MAX_FIELD_CHARS = 131_072
# Largest whole number the landing keeps (int64).
_INT_MAX = 2**63 - 1

_INT_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})*$|^[+-]?\d+$")
_DEC_RE = re.compile(r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$|^[+-]?\.\d+$")
# Decimal places the landing types keep (extractors.landing: DECIMAL is decimal(18, 4),
# LOCAL_DECIMAL decimal(28, 8)); a value with more is quarantined rather than rounded.
_SCALE = {DECIMAL: 4, LOCAL_DECIMAL: 8}
_PRECISION = {DECIMAL: 18, LOCAL_DECIMAL: 28}

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
    rows_in: int = 0  # data rows after the header, blank ones included
    encoding: str = "utf-8"
    # Why `encoding` was chosen (byte-order mark, valid UTF-8, detection...): for the user.
    encoding_reason: str = ""
    # Rows that are only whitespace: counted, not loaded, not quarantined.
    # rows_in = rows loaded + rows quarantined + rows_blank.
    rows_blank: int = 0
    # SHA-256 of the decoded text with line ends normalised (content_sha256): the same document
    # however compressed or encoded.
    content_sha256: str = ""
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
    """Text and the encoding used (see detect_encoding)."""
    text, encoding, _ = detect_encoding(data, name, charset)
    return text, encoding


def detect_encoding(data: bytes, name: str, charset: str | None = None) -> tuple[str, str, str]:
    """Text, the encoding used and why it was chosen. A declared charset wins; then a byte-order
    mark (UTF-8, UTF-16, UTF-32); then the NUL pattern of BOM-less UTF-16; then UTF-8; then, for
    files with no valid UTF-8 beyond ASCII, Shift_JIS/cp932 or Cp1252 by detection. Never returns
    mojibake silently: a declared charset that does not fit, a file that is UTF-8 except for a few
    bytes, or stray NUL bytes are DocumentErrors naming the problem."""
    declared = normalize_charset(charset)
    if declared:
        try:
            return data.decode(declared), declared, f"declared charset {charset}"
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{name}: bytes are not valid {declared} as declared "
                f"(offset {exc.start}): {exc.reason}"
            ) from exc
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), label, f"{label.upper()} byte-order mark"
            except UnicodeDecodeError as exc:
                raise DocumentError(
                    f"{name}: starts with a {label.upper()} byte-order mark but byte "
                    f"{exc.start} is not valid {label.upper()} ({exc.reason})"
                ) from None
    utf16 = _utf16_by_nuls(data)
    if utf16:
        try:
            return (
                data.decode(utf16),
                utf16,
                f"no byte-order mark; NUL bytes every other byte: {utf16.upper()}",
            )
        except UnicodeDecodeError as exc:
            raise DocumentError(
                f"{name}: looks like {utf16.upper()} (NUL bytes every other byte) but byte "
                f"{exc.start} is not valid {utf16.upper()} ({exc.reason})"
            ) from None
    if b"\x00" in data:
        text = data.decode("utf-8", "replace")
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise DocumentError(
            f"{name}: contains {data.count(0)} NUL byte(s) (first at line {line}) and is not "
            "UTF-16: not a text report"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return text, "utf-8", ("ASCII only" if text.isascii() else "valid UTF-8")
    escaped = data.decode("utf-8", "surrogateescape")
    invalid = [m.start() for m in _ESCAPED_RE.finditer(escaped)]
    valid_non_ascii = sum(1 for ch in escaped if ord(ch) > 127) - len(invalid)
    lines = sorted({escaped.count("\n", 0, i) + 1 for i in invalid})
    where = ", ".join(map(str, lines[:5])) + (
        f" and {len(lines) - 5} more" if len(lines) > 5 else ""
    )
    if valid_non_ascii and (valid_non_ascii >= len(invalid) or not _decodes(data, "cp932")):
        raise DocumentError(
            f"{name}: valid UTF-8 except {len(invalid)} byte(s) at line(s) {where}: refusing to "
            "guess the encoding (re-save the file as UTF-8)"
        )
    try:
        import chardet  # shipped with the stack; only needed for non-UTF-8 files

        found = chardet.detect(data[:200_000])
    except ImportError:  # pragma: no cover
        found = {}
    guess = (found.get("encoding") or "").lower()
    candidates = ["cp932", "cp1252"] if ("jis" in guess or "932" in guess) else ["cp1252"]
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        hint = f"; chardet: {guess} ({found.get('confidence') or 0:.2f})" if guess else ""
        return text, enc, f"not UTF-8 (first non-UTF-8 byte at line {lines[0]}){hint}"
    raise DocumentError(
        f"{name}: cannot decode the text: not UTF-8 (first bad byte at line {lines[0]}), and not "
        "Cp1252 or Shift_JIS either"
    )


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _utf16_by_nuls(data: bytes) -> str | None:
    """'utf-16-le' / 'utf-16-be' when a BOM-less text has NUL bytes in (almost) every odd / even
    position, as UTF-16 of mostly Latin text does; None otherwise."""
    sample = data[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd >= 0.6 * half and even <= 0.05 * half:
        return "utf-16-le"
    if even >= 0.6 * half and odd <= 0.05 * half:
        return "utf-16-be"
    return None


def not_a_text_report(data: bytes) -> str | None:
    """What a binary file is, in words a user can act on; None for anything else."""
    if data.startswith(b"PK\x03\x04"):
        if b"xl/" in data or b"[Content_Types].xml" in data[:4096]:
            return (
                "an Excel workbook (.xlsx), not a text report: export it as tab-separated text "
                "from Seller Central, or save it from Excel as 'Text (Tab delimited)' or "
                "'CSV UTF-8'"
            )
        return "a ZIP archive: unzip it and ingest the files inside"
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            return what
    return None


def split_rows(text: str) -> tuple[list[str], list[list[str]], str]:
    """Header, data rows and the delimiter (blank rows left out; see split_rows_numbered)."""
    header, numbered, delimiter = split_rows_numbered(text)
    return header, [r for _, r in numbered if not _blank(r)], delimiter


def split_rows_numbered(text: str) -> tuple[list[str], list[tuple[int, list[str]]], str]:
    """Header, (row number, cells) of every data row, blank ones included, and the delimiter.
    Rows end at CR, LF or CRLF only, as in Amazon's files: other Unicode line breaks (U+2028,
    NEL, FF, VT, FS...) are text inside a field. Tab-separated files (SP-API) are split on tabs
    with no quoting rules (titles may hold stray quotes); comma-separated files use CSV quoting.
    Row 1 is the first row after the header; blank lines before the header are skipped."""
    lines = _LINE_END_RE.split(text) if "\r" in text else text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the line end of the last row
    start = next((i for i, line in enumerate(lines) if line.strip()), None)
    first = lines[start] if start is not None else ""
    delimiter = "\t" if "\t" in first else ","
    if start is None:
        return [], [], delimiter
    if delimiter == "\t":
        rows = [line.split("\t") for line in lines[start:]]
    else:
        rows = _csv_rows("\n".join(lines[start:]))
    header = [h.strip().strip('"').strip() for h in rows[0]]
    if header:
        header[0] = header[0].lstrip("\ufeff")
    data = rows[1:]
    if delimiter == "\t":
        data = [[_unquote(c) for c in r] if '"' in "".join(r) else r for r in data]
    return header, list(enumerate(data, start=1)), delimiter


def _csv_rows(text: str) -> list[list[str]]:
    """CSV rows; a field may be longer than the csv module's default limit (the parser
    quarantines fields over MAX_FIELD_CHARS by row instead of failing the file)."""
    limit = csv.field_size_limit()
    csv.field_size_limit(max(limit, len(text) + 1))
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise DocumentError(f"not readable as CSV: {exc}") from None
    finally:
        csv.field_size_limit(limit)


def _blank(row: list[str]) -> bool:
    return not "".join(row).strip()


def content_sha256(text: str) -> str:
    """SHA-256 of a document's text, independent of compression, encoding, byte-order mark and
    line ends (CRLF, CR and LF are one)."""
    normal = text.removeprefix("\ufeff")
    if "\r" in normal:
        normal = _LINE_END_RE.sub("\n", normal)
    return hashlib.sha256(normal.encode("utf-8", "surrogatepass")).hexdigest()


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
    if what := not_a_text_report(raw):
        raise DocumentError(f"{name}: {what}")
    text, encoding, encoding_reason = detect_encoding(raw, name, charset)
    try:
        header, numbered, delimiter = split_rows_numbered(text)
    except DocumentError as exc:
        raise DocumentError(f"{name}: {exc}") from None
    rows_total = len(numbered)
    numbered = [(n, r) for n, r in numbered if not _blank(r)]
    rows = [r for _, r in numbered]
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
    for n, row in numbered:
        if max(map(len, row), default=0) > MAX_FIELD_CHARS:
            long = next(i for i, c in enumerate(row) if len(c) > MAX_FIELD_CHARS)
            fld = quarantine_header[long] if long < width else None
            quarantine.append(
                _q(
                    name,
                    n,
                    quarantine_header,
                    [c[:200] + "..." if len(c) > MAX_FIELD_CHARS else c for c in row],
                    fld or None,
                    f"field {long + 1} is {len(row[long])} characters long, more than "
                    f"{MAX_FIELD_CHARS}",
                )
            )
            continue
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
        rows_in=rows_total,
        encoding=encoding,
        encoding_reason=encoding_reason,
        rows_blank=rows_total - len(rows),
        content_sha256=content_sha256(text),
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
        cleaned = values.str.replace(",", "", regex=False).where(ok & ~empty)
        # Up to 15 digits float64 is exact: vectorised. Longer values as Python ints, so a
        # value beyond int64 is quarantined instead of failing (or rounding) the document.
        long = cleaned.notna() & cleaned.str.len().gt(15).fillna(False).astype(bool)
        nums = pd.to_numeric(cleaned.where(~long), errors="coerce").astype("Int64")
        for i in cleaned.index[long]:
            v = int(cleaned[i])
            if abs(v) > _INT_MAX:
                errors[i] = "{v} is out of range for a whole number"
            else:
                nums[i] = v
        return nums, _fill(errors, values)
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
    digits = _PRECISION[kind] - scale
    too_big = typed.map(lambda d: isinstance(d, Decimal) and d.adjusted() >= digits).astype(bool)
    if too_big.any():
        errors = errors.mask(
            too_big & errors.eq(""),
            f"{{v}} is out of range (more than {digits} digits before the decimal point)",
        )
        typed = typed.mask(too_big, None)
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
