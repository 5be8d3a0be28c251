"""Fuzz the report parser: whatever bytes arrive, it returns a reconciled document or raises
DocumentError, never anything else, and what it returns lands.

Default run: a few seconds (the `default` profile). Longer run:
RECLAIM_FUZZ_PROFILE=long .venv/bin/pytest tests/extractors/test_parsing_fuzz.py
(RECLAIM_FUZZ_EXAMPLES=N sets the examples per test of the `long` profile; default 2000).
"""

from __future__ import annotations

import codecs
import gzip
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from extractors.landing import LandingZone
from extractors.reports.catalog import SPECS
from extractors.reports.parsing import DocumentError, parse_document

settings.register_profile(
    "default",
    max_examples=20,
    deadline=None,
    database=None,
    derandomize=False,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=int(os.environ.get("RECLAIM_FUZZ_EXAMPLES", "2000")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
PROFILE = os.environ.get("RECLAIM_FUZZ_PROFILE", "default")

# Characters that have broken parsers before: separators, quotes, Unicode line breaks, BOM,
# non-Latin text, digits and the signs and separators of numbers and dates.
TRICKY = "\t,\"' \r\n\u2028\u2029\x85\x0c\x0b\x1c\x1d\x1e\ufeff\u00a0\u00e9\u30ac0123456789-+./:TZ"
CELL = st.one_of(
    st.text(alphabet=TRICKY, max_size=12),
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "99999999999999999999999",
            "12345678901234567890.12",
            "-0.00001",
            "1,234.56",
            "1.234,56",
            "10/01/2026",
            "2026-10-01T08:00:00Z",
            "13/13/2026",
            "NaN",
            "1e9",
        ]
    ),
)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "gzip"])


def _encode(text: str, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(text.encode("utf-8"))
    return text.encode(encoding, "replace")


@st.composite
def report_like(draw) -> bytes:
    spec = draw(st.sampled_from(SPECS))
    headers = [c.header for c in spec.columns]
    if draw(st.booleans()):
        headers = draw(st.permutations(headers))
    delimiter = draw(st.sampled_from(["\t", ","]))
    width = len(headers) + draw(st.integers(-2, 2))
    rows = draw(st.lists(st.lists(CELL, min_size=0, max_size=max(width, 1)), max_size=6))
    end = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    text = end.join(delimiter.join(r) for r in [headers, *rows])
    if draw(st.booleans()):
        text += end
    return _encode(text, draw(ENCODINGS))


def _check(data: bytes) -> None:
    try:
        doc = parse_document(data, "fuzz.tsv")
    except DocumentError:
        return
    assert doc.rows_in == len(doc.frame) + len(doc.quarantine) + doc.rows_blank
    with tempfile.TemporaryDirectory() as home:
        result = LandingZone(Path(home)).land(
            doc,
            data,
            seller_id="A1FUZZ",
            window="fuzz",
            snapshot_at=datetime(2026, 1, 1, tzinfo=UTC),
            metadata={"file_name": "fuzz.tsv"},
        )
        assert result.rows_loaded + result.rows_quarantined + result.rows_blank == doc.rows_in


@settings(settings.get_profile(PROFILE))
@given(report_like())
def test_report_like_documents_parse_and_land_or_raise_document_error(data):
    _check(data)


@settings(settings.get_profile(PROFILE))
@given(
    st.one_of(
        st.binary(max_size=400),
        st.builds(lambda b: codecs.BOM_UTF16_LE + b, st.binary(max_size=200)),
        st.builds(lambda b: gzip.compress(b), st.binary(max_size=200)),
    )
)
def test_arbitrary_bytes_never_raise_anything_but_document_error(data):
    _check(data)
