"""Landing: originals kept, typed Parquet replaced atomically, quarantine counted, idempotent."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from extractors import landing as landing_module
from extractors.ingest import ingest_files
from extractors.landing import InvalidSellerId, LandingZone, check_seller_id
from extractors.reports.catalog import LEDGER_DETAIL, SPECS

FIXTURES = Path(__file__).parents[1] / "fixtures" / "handwritten"


def test_ingest_lands_original_parquet_and_metadata(tmp_path):
    report = ingest_files(tmp_path, "A1SELLER", [FIXTURES / "ledger.tsv"])
    assert report.ok
    result = report.outcomes[0].result
    assert result.rows_loaded == 10 and result.rows_quarantined == 0
    table = pq.read_table(result.parquet_path)
    assert table.num_rows == 10
    assert table.schema.field("quantity").type == "int64"
    assert set(table.column("seller_id").to_pylist()) == {"A1SELLER"}
    zone = LandingZone(tmp_path)
    original = zone.original_path(LEDGER_DETAIL, "A1SELLER", result.document_sha256)
    assert gzip.decompress(original.read_bytes()) == (FIXTURES / "ledger.tsv").read_bytes()
    meta = json.loads(
        zone.metadata_path(LEDGER_DETAIL, "A1SELLER", result.document_sha256).read_text()
    )
    assert meta["rows_in"] == meta["rows_loaded"] + meta["rows_quarantined"] == 10
    for spec in SPECS:  # every source has its zero-row schema file
        root = tmp_path / ("state" if spec.area == "state" else "landing/parquet") / spec.source
        assert pq.read_table(root / "_schema.parquet").num_rows == 0


def test_reingesting_the_same_file_is_a_no_op(tmp_path):
    ingest_files(tmp_path, "A1SELLER", [FIXTURES / "ledger.tsv"])
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    copy = tmp_path / "elsewhere.tsv"
    shutil.copy(FIXTURES / "ledger.tsv", copy)
    report = ingest_files(tmp_path, "A1SELLER", [copy, FIXTURES / "ledger.tsv"])
    assert [o.skipped for o in report.outcomes] == [True, True]
    after = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file() if p != copy)
    assert before == [p for p in after if p != copy.relative_to(tmp_path)]


def test_bad_file_is_reported_and_others_still_land(tmp_path):
    bad = tmp_path / "in" / "notes.txt"
    bad.parent.mkdir()
    bad.write_text("just some text\n")
    shutil.copy(FIXTURES / "reimbursements.tsv", tmp_path / "in" / "reimb.tsv")
    report = ingest_files(tmp_path / "home", "A1SELLER", [tmp_path / "in", tmp_path / "nope"])
    errors = " | ".join(o.error for o in report.failed)
    assert len(report.failed) == 2
    assert "nope: no such file" in errors and "notes.txt: not a recognised" in errors
    landed = [o for o in report.outcomes if o.result]
    assert len(landed) == 1 and landed[0].source == "reimbursements"


def test_quarantined_rows_are_landed_with_reasons_and_counts_reconcile(tmp_path):
    text = (
        (FIXTURES / "ledger.tsv")
        .read_text()
        .replace("\tAdjustments\t5550003\t", "\tTeleport\t5550003\t")
    )
    f = tmp_path / "ledger.tsv"
    f.write_text(text)
    result = ingest_files(tmp_path / "home", "A1SELLER", [f]).outcomes[0].result
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (10, 9, 1)
    q = pq.read_table(
        LandingZone(tmp_path / "home").quarantine_path(LEDGER_DETAIL, "A1SELLER", result.window)
    ).to_pylist()
    assert q[0]["row_number"] == 5 and q[0]["field"] == "Event Type"
    assert "Teleport" in q[0]["reason"] and "5550003" in q[0]["raw_row"]


def test_a_crash_while_writing_leaves_the_old_partition(tmp_path, monkeypatch):
    zone = LandingZone(tmp_path)
    report = ingest_files(tmp_path, "A1SELLER", [FIXTURES / "ledger.tsv"])
    path = report.outcomes[0].result.parquet_path
    before = path.read_bytes()

    def boom(table, where, **kw):
        Path(where).write_bytes(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(landing_module.pq, "write_table", boom)
    from extractors.reports.parsing import parse_document

    parsed = parse_document((FIXTURES / "ledger.tsv").read_bytes(), "ledger.tsv")
    with pytest.raises(OSError):
        zone.land(
            parsed,
            b"other bytes",
            seller_id="A1SELLER",
            window=report.outcomes[0].result.window,
            snapshot_at=__import__("datetime").datetime.now(__import__("datetime").UTC),
            metadata={},
        )
    assert path.read_bytes() == before
    # the failed document is not marked landed, so a rerun will land it
    assert not zone.is_landed(LEDGER_DETAIL, "A1SELLER", landing_module.sha256(b"other bytes"))


@pytest.mark.parametrize("bad", ["", "../etc", "a/b", "x" * 65, "seller id", "-lead"])
def test_seller_ids_are_validated_before_touching_paths(bad):
    with pytest.raises(InvalidSellerId):
        check_seller_id(bad)
