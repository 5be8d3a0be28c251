"""Ingest that survives what users feed it (tracker #23): split product masters, the same
document in another compression or encoding, charsets, oversized values, Unicode line breaks,
files that are not reports, landing originals ingested again, and one bad file in a batch."""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from extractors.ingest import ingest_files
from extractors.landing import LandingZone
from extractors.reports.catalog import LEDGER_DETAIL, PRODUCT_MASTER
from extractors.reports.parsing import DocumentError, parse_document

FIXTURES = Path(__file__).parents[1] / "fixtures"
LEDGER = (FIXTURES / "handwritten" / "ledger.tsv").read_bytes()
REIMBURSEMENTS = (FIXTURES / "handwritten" / "reimbursements.tsv").read_bytes()
FINANCES = (FIXTURES / "api" / "financial_events.json").read_bytes()
T1, T2, T3 = (datetime(2026, 11, d, 8, tzinfo=UTC) for d in (1, 2, 3))
SELLER = "A1ROBUST"


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _ledger_lines() -> list[str]:
    return LEDGER.decode().splitlines()


def _with_quantity(line: str, value: str) -> str:
    cells = line.split("\t")
    cells[7] = value
    return "\t".join(cells)


def _tsv(lines: list[str], end: str = "\n") -> bytes:
    return (end.join(lines) + end).encode()


# -- 1. product master split across files -------------------------------------------------------


def test_product_master_split_across_files_merges_by_sku_later_file_wins(tmp_path):
    header = "sku,unit_cost,currency"
    part1 = _write(
        tmp_path / "part1.csv", f"{header}\nA,1.00,USD\nB,2.00,USD\nC,3.00,USD\n".encode()
    )
    part2 = _write(
        tmp_path / "part2.csv", f"{header}\nC,3.00,USD\nB,2.50,USD\nD,4.00,USD\n".encode()
    )
    report = ingest_files(tmp_path / "home", SELLER, [part1, part2], now=T1)
    assert report.ok
    first, second = (o.result for o in report.outcomes)
    assert first.rows_loaded == second.rows_loaded == 3
    # B changed (later file wins and is named); C is the same in both, nothing replaced
    assert first.replaced_keys == () and second.replaced_keys == ("B",)
    master = pq.read_table(second.parquet_path).to_pylist()
    costs = {r["sku"]: r["unit_cost"] for r in master}
    assert costs == {"A": Decimal("1"), "B": Decimal("2.5"), "C": Decimal("3"), "D": Decimal("4")}
    assert len(master) == 4
    meta = json.loads(
        LandingZone(tmp_path / "home")
        .metadata_path(PRODUCT_MASTER, SELLER, second.document_sha256)
        .read_text()
    )
    assert meta["replaced_keys"] == ["B"]


# -- 2. the same document in another compression / encoding --------------------------------------


def test_older_document_reingested_in_another_encoding_keeps_its_first_snapshot(tmp_path):
    home = tmp_path / "home"
    a_gz = _write(tmp_path / "a.tsv.gz", gzip.compress(LEDGER))
    lines = _ledger_lines()
    b_lines = [lines[0]] + [line.replace("\t-3\t", "\t-5\t") for line in lines[1:]]
    b = _write(tmp_path / "b.tsv", _tsv(b_lines))
    assert ingest_files(home, SELLER, [a_gz], now=T1).ok
    assert ingest_files(home, SELLER, [b], now=T2).ok
    again = [
        _write(tmp_path / "a.tsv", LEDGER),  # gunzipped
        _write(tmp_path / "a_crlf.tsv", _tsv(lines, "\r\n")),  # other line ends
        _write(tmp_path / "a_utf16.tsv", codecs.BOM_UTF16_LE + LEDGER.decode().encode("utf-16-le")),
    ]
    report = ingest_files(home, SELLER, again, now=T3)
    assert report.ok
    for o in report.outcomes:
        assert o.skipped and o.result is None
        assert "same document as a.tsv.gz" in o.note
    parts = sorted((home / "landing" / "parquet" / "ledger_detail").rglob("data.parquet"))
    snapshots = {pq.read_table(p).column("_snapshot_at")[0].as_py() for p in parts}
    assert len(parts) == 2 and snapshots == {T1.replace(tzinfo=None), T2.replace(tzinfo=None)}


# -- 3. charsets ---------------------------------------------------------------------------------


def test_utf8_with_a_few_invalid_bytes_is_refused_not_decoded_as_cp1252():
    lines = _ledger_lines()
    lines[1] = lines[1].replace("Red widget", "Caf\u00e9 widget \u00e0 la cr\u00e8me")
    for line_no in (3, 5):  # a stray Cp1252 byte in two other rows
        lines[line_no - 1] = lines[line_no - 1].replace("widget", "wid\x07get")
    data = _tsv(lines).replace(b"\x07", b"\xe9")
    with pytest.raises(DocumentError) as err:
        parse_document(data, "mixed.tsv")
    assert "valid UTF-8 except 2 byte(s) at line(s) 3, 5: refusing to guess" in str(err.value)


@pytest.mark.parametrize(
    ("data", "encoding", "reason"),
    [
        (codecs.BOM_UTF16_LE + LEDGER.decode().encode("utf-16-le"), "utf-16", "byte-order mark"),
        (codecs.BOM_UTF16_BE + LEDGER.decode().encode("utf-16-be"), "utf-16", "byte-order mark"),
        (LEDGER.decode().encode("utf-16-le"), "utf-16-le", "NUL bytes every other byte"),
        (LEDGER.decode().encode("utf-16-be"), "utf-16-be", "NUL bytes every other byte"),
    ],
)
def test_utf16_is_decoded_as_utf16(data, encoding, reason):
    doc = parse_document(data, "ledger-utf16.tsv")
    assert doc.spec is LEDGER_DETAIL and doc.quarantine == [] and len(doc.frame) == 10
    assert doc.encoding == encoding and reason in doc.encoding_reason
    assert doc.frame.equals(parse_document(LEDGER, "ledger.tsv").frame)


def test_charset_decision_is_in_landing_metadata_and_cli_line(tmp_path, reclaim):
    f = _write(tmp_path / "ledger16.tsv", codecs.BOM_UTF16_LE + LEDGER.decode().encode("utf-16-le"))
    r = reclaim(tmp_path / "home", "ingest", "--seller", SELLER, str(f))
    assert r.returncode == 0, r.stderr
    assert "10 row(s) loaded [text: utf-16, UTF-16 byte-order mark]" in r.stdout
    (meta_path,) = (tmp_path / "home" / "landing" / "originals").rglob("*.json")
    meta = json.loads(meta_path.read_text())
    assert meta["encoding"] == "utf-16" and meta["encoding_reason"] == "UTF-16 byte-order mark"


# -- 6. out-of-range values, huge fields, malformed JSON: rows or named file errors ---------------


def test_out_of_range_values_and_huge_fields_are_quarantined_rows(tmp_path):
    lines = _ledger_lines()
    lines[1] = lines[1].replace("\t40\t", "\t99999999999999999999999\t")
    lines[2] = lines[2].replace("Red widget", "x" * 140_000)
    ledger = _write(tmp_path / "ledger.tsv", _tsv(lines))
    rlines = REIMBURSEMENTS.decode().splitlines()
    rlines[1] = rlines[1].replace("\t7.10\t1\t", "\t12345678901234567890.12\t1\t")
    reimb = _write(tmp_path / "reimb.tsv", _tsv(rlines))
    out = io.StringIO()
    csv.writer(out).writerows(line.split("\t") for line in _ledger_lines())
    csv_text = out.getvalue().replace("Red widget", "y" * 140_000, 1)
    csv_ledger = _write(tmp_path / "ledger.csv", csv_text.encode())
    report = ingest_files(tmp_path / "home", SELLER, [ledger, reimb, csv_ledger])
    assert report.ok, [o.error for o in report.failed]
    q = {}
    for part in (tmp_path / "home" / "landing" / "quarantine").rglob("data.parquet"):
        for row in pq.read_table(part).to_pylist():
            q[(row["source_file"], row["row_number"])] = (row["field"], row["reason"])
    assert q[("ledger.tsv", 1)] == (
        "Quantity",
        "'99999999999999999999999' is out of range for a whole number",
    )
    assert q[("ledger.tsv", 2)] == ("Title", "field 5 is 140010 characters long, more than 131072")
    field, reason = q[("reimb.tsv", 1)]
    assert field == "amount-total" and "out of range (more than 14 digits" in reason
    assert q[("ledger.csv", 1)][1].startswith("field 5 is 140010 characters long")
    results = [o.result for o in report.outcomes]
    assert [(r.rows_loaded, r.rows_quarantined) for r in results] == [(8, 2), (0, 1), (9, 1)]


def test_finances_events_that_are_not_objects_are_a_named_error_and_the_batch_goes_on(tmp_path):
    doc = json.loads(FINANCES)
    doc["payload"]["FinancialEvents"]["ShipmentEventList"] = ["not an event", 3]
    bad = _write(tmp_path / "finances.json", json.dumps(doc).encode())
    good = _write(tmp_path / "ledger.tsv", LEDGER)
    report = ingest_files(tmp_path / "home", SELLER, [bad, good])
    (failed,) = report.failed
    assert (
        failed.path == bad and "finances.json" in failed.error and "not an object" in failed.error
    )
    assert report.outcomes[1].result.rows_loaded == 10
    originals = tmp_path / "home" / "landing" / "originals"
    assert not list((originals / "financial_events").rglob("*")) if originals.exists() else True


def test_a_file_that_fails_to_land_leaves_no_original_and_the_others_load(tmp_path, monkeypatch):
    from extractors import landing

    real = landing.LandingZone._to_arrow

    def fail_for_reimbursements(self, spec, *args):
        if spec.source == "reimbursements":
            raise ValueError("simulated arrow failure")
        return real(self, spec, *args)

    monkeypatch.setattr(landing.LandingZone, "_to_arrow", fail_for_reimbursements)
    reimb = _write(tmp_path / "reimb.tsv", REIMBURSEMENTS)
    ledger = _write(tmp_path / "ledger.tsv", LEDGER)
    report = ingest_files(tmp_path / "home", SELLER, [reimb, ledger])
    assert [bool(o.error) for o in report.outcomes] == [True, False]
    assert "reimb.tsv" in report.outcomes[0].error and "simulated" in report.outcomes[0].error
    originals = tmp_path / "home" / "landing" / "originals"
    gz = {p.stem for p in originals.rglob("*.gz")}
    meta = {p.stem for p in originals.rglob("*.json")}
    assert gz == meta and len(gz) == 1


# -- 7. Unicode line separators inside fields; blank rows counted ---------------------------------


@pytest.mark.parametrize(
    "sep", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b", "\x1c", "\x1d", "\x1e"]
)
def test_unicode_line_separators_inside_a_field_do_not_split_the_row(sep):
    lines = _ledger_lines()
    lines[2] = lines[2].replace("Red widget", f"Red{sep}widget")
    lines[4] = _with_quantity(lines[4], "minus")  # row 4: one bad quantity
    doc = parse_document(_tsv(lines), "ledger.tsv")
    assert doc.rows_in == 10 and len(doc.frame) == 9
    assert doc.frame.iloc[1]["title"].startswith(f"Red{sep}widget")
    (q,) = doc.quarantine
    assert q["row_number"] == 4 and q["field"] == "Quantity"


def test_blank_rows_are_counted_and_row_numbers_stay_file_positions(tmp_path):
    lines = _ledger_lines()
    lines[4] = _with_quantity(lines[4], "minus")
    with_blanks = [*lines[:2], "", " \t \t", *lines[2:]]  # rows 2 and 3 are blank
    f = _write(tmp_path / "ledger.tsv", _tsv(with_blanks))
    report = ingest_files(tmp_path / "home", SELLER, [f])
    r = report.outcomes[0].result
    assert (r.rows_in, r.rows_loaded, r.rows_quarantined, r.rows_blank) == (12, 9, 1, 2)
    (qpath,) = (tmp_path / "home" / "landing" / "quarantine").rglob("data.parquet")
    assert pq.read_table(qpath).column("row_number").to_pylist() == [6]


# -- 8. clear refusals; landing originals always ingest again --------------------------------------


def test_gzipped_json_and_json_with_bom_are_read(tmp_path):
    gz = _write(tmp_path / "fin.json.gz", gzip.compress(FINANCES))
    bom = _write(tmp_path / "fin-bom.json", codecs.BOM_UTF8 + FINANCES)
    for f in (gz, bom):
        report = ingest_files(tmp_path / "homes" / f.name, SELLER, [f])
        assert report.ok, report.failed[0].error
        assert report.outcomes[0].source == "financial_events"
        assert report.outcomes[0].result.rows_loaded > 0


def test_files_that_are_not_reports_are_named_for_what_they_are(tmp_path):
    import zipfile

    xlsx = tmp_path / "ledger.xlsx"
    with zipfile.ZipFile(xlsx, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
    pdf = _write(tmp_path / "invoice.pdf", b"%PDF-1.7\n" + bytes(range(256)))
    loop = tmp_path / "loop"
    loop.symlink_to(tmp_path / "loop")
    broken = tmp_path / "broken"
    broken.symlink_to(tmp_path / "nowhere")
    report = ingest_files(tmp_path / "home", SELLER, [xlsx, pdf, loop, broken])
    errors = {o.path.name: o.error for o in report.outcomes}
    assert "an Excel workbook (.xlsx)" in errors["ledger.xlsx"]
    assert "export it as tab-separated text from Seller Central" in errors["ledger.xlsx"]
    assert "a PDF document" in errors["invoice.pdf"]
    assert "symbolic link loop" in errors["loop"]
    assert "broken symbolic link" in errors["broken"]


def test_landing_originals_ingest_again_into_a_new_home_as_they_were(tmp_path):
    old = tmp_path / "old"
    fin_gz = _write(tmp_path / "fin.json.gz", gzip.compress(FINANCES))
    pm = shutil.copy(FIXTURES / "handwritten" / "product_master.csv", tmp_path / "pm.csv")
    ledger = _write(tmp_path / "ledger.tsv", LEDGER)
    assert ingest_files(old, SELLER, [fin_gz, Path(pm), ledger], now=T1).ok

    new = tmp_path / "new"
    report = ingest_files(new, SELLER, [old / "landing" / "originals"], now=T3)
    assert report.ok, [o.error for o in report.failed]
    landed = [o for o in report.outcomes if o.result]
    assert sorted(o.source for o in landed) == [
        "financial_events",
        "ledger_detail",
        "product_master",
    ]
    assert all("landing metadata" in o.note for o in report.outcomes if o.skipped)
    for source in ("financial_events", "ledger_detail"):
        (a,) = (old / "landing" / "parquet" / source).rglob("data.parquet")
        (b,) = (new / "landing" / "parquet" / source).rglob("data.parquet")
        assert a.relative_to(old) == b.relative_to(new)  # same window
        ta, tb = pq.read_table(a), pq.read_table(b)
        assert ta.drop(["_source_file"]).equals(tb.drop(["_source_file"]))  # same snapshot too


# -- 9. one form of source_file; each file's line printed as it lands ----------------------------


def test_quarantine_source_file_is_always_the_base_name(tmp_path):
    lines = _ledger_lines()
    lines[1] = lines[1].replace("\t40\t", "\tforty\t")  # parser quarantine
    lines[2] = lines[2].replace("\tUS\t", "\t\t")  # schema (pandera) quarantine, if any
    sub = tmp_path / "deep" / "folder"
    sub.mkdir(parents=True)
    f = _write(sub / "ledger.tsv", _tsv(lines))
    ingest_files(tmp_path / "home", SELLER, [f])
    (qpath,) = (tmp_path / "home" / "landing" / "quarantine").rglob("data.parquet")
    assert set(pq.read_table(qpath).column("source_file").to_pylist()) == {"ledger.tsv"}


def test_cli_prints_each_file_as_it_lands_so_a_killed_ingest_shows_progress(tmp_path):
    first = _write(tmp_path / "a.tsv", LEDGER)
    second = _write(tmp_path / "b.tsv", REIMBURSEMENTS)
    script = (
        "import sys, time\n"
        "import extractors.ingest as ingest\n"
        "real = ingest.parse_document\n"
        "def slow(data, name, **kw):\n"
        "    if name.endswith('b.tsv'):\n"
        "        time.sleep(120)\n"
        "    return real(data, name, **kw)\n"
        "ingest.parse_document = slow\n"
        "from orchestration.cli import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECLAIM_")}
    env["RECLAIM_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        [sys.executable, "-c", script, "ingest", "--seller", SELLER, str(first), str(second)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=Path(__file__).parents[2],
    )
    try:
        deadline = time.monotonic() + 90
        line = b""
        os.set_blocking(proc.stdout.fileno(), False)
        while b"\n" not in line and time.monotonic() < deadline and proc.poll() is None:
            line += proc.stdout.read() or b""
            time.sleep(0.1)
    finally:
        proc.kill()
        proc.wait(timeout=30)
    assert b"a.tsv: ledger_detail: 10 row(s) loaded" in line
