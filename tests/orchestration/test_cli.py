"""The CLI as users run it: ingest hand-written files, build, export the contract CSV."""

from __future__ import annotations

import csv
import shutil

import pytest

from orchestration.exports import EXPORT_COLUMNS
from tests.conftest import FIXTURES

HANDWRITTEN = FIXTURES / "handwritten"
FILES = [str(HANDWRITTEN / n) for n in ("ledger.tsv", "reimbursements.tsv", "product_master.csv")]


def _read(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


@pytest.mark.slow
def test_ingest_build_export_gives_the_ready_claims(tmp_path, reclaim):
    home = tmp_path / "home"
    r = reclaim(home, "ingest", "--seller", "A1HANDWRITTEN", *FILES)
    assert r.returncode == 0, r.stderr
    assert "ledger_detail: 10 row(s) loaded" in r.stdout

    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr + r.stdout

    out = tmp_path / "claims.csv"
    r = reclaim(home, "claims", "export", "--seller", "A1HANDWRITTEN", "--out", str(out))
    assert r.returncode == 0, r.stderr
    header, rows = _read(out)
    assert tuple(header) == EXPORT_COLUMNS
    got = {
        (
            x["claim_type"],
            x["fnsku"],
            x["reference_id"],
            x["status"],
            x["quantity"],
            f"{float(x['unit_value']):.2f}",
            x["amount"],
        )
        for x in rows
    }
    assert got == {
        ("warehouse_lost", "X001AAAAAA", "5550001", "ready", "2", "12.50", "25.00"),
        ("warehouse_lost", "X002BBBBBB", "5550003", "ready", "2", "8.00", "16.00"),
        # the E/P pair: one damage, not reimbursed
        ("warehouse_damaged", "X001AAAAAA", "5550007", "ready", "1", "12.50", "12.50"),
        # paid 7.10 for a unit that cost 20.00
        ("reimbursement_underpaid", "X003CCCCCC", "9100001", "ready", "1", "12.90", "12.90"),
    }
    for x in rows:
        assert x["seller_id"] == "A1HANDWRITTEN"
        assert x["marketplace_id"] == "ATVPDKIKX0DER" and x["currency"] == "USD"
        assert x["claim_id"] and x["reference_id"] in x["case_text"]
        assert x["eligible_from"] and x["deadline"] and x["evidence"].startswith("{")

    everything = tmp_path / "all.csv"
    r = reclaim(
        home, "claims", "export", "--seller", "A1HANDWRITTEN", "--out", str(everything), "--all"
    )
    _, all_rows = _read(everything)
    statuses = {x["reference_id"]: x["status"] for x in all_rows}
    assert statuses == {
        "5550001": "ready",
        "5550003": "ready",
        "5550005": "upcoming",
        "5550006": "expired",
        "5550007": "ready",
        "9100001": "ready",
    }

    # Re-ingesting the same files and rebuilding changes nothing, claim ids included.
    r = reclaim(home, "ingest", "--seller", "A1HANDWRITTEN", *FILES)
    assert r.returncode == 0 and r.stdout.count("already ingested") == 3
    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr
    again = tmp_path / "all-again.csv"
    reclaim(home, "claims", "export", "--seller", "A1HANDWRITTEN", "--out", str(again), "--all")
    assert _read(again) == _read(everything)

    # A seller this home does not know gets no export at all (not an empty file): one line
    # naming the seller and the known ones.
    other = tmp_path / "other.csv"
    r = reclaim(home, "claims", "export", "--seller", "A2OTHER", "--out", str(other), "--all")
    assert r.returncode != 0 and not other.exists()
    assert r.stderr.strip().count("\n") == 0 and "A2OTHER" in r.stderr
    assert "A1HANDWRITTEN" in r.stderr


def test_unknown_file_is_rejected_by_name_and_nothing_loaded(tmp_path, reclaim):
    bad = tmp_path / "orders.txt"
    bad.write_text("order-id\tfoo\n1\t2\n")
    good = tmp_path / "pm.csv"
    shutil.copy(HANDWRITTEN / "product_master.csv", good)
    r = reclaim(tmp_path / "home", "ingest", "--seller", "A1X", str(bad), str(good))
    assert r.returncode != 0
    assert "orders.txt" in r.stderr and "not a recognised" in r.stderr
    assert "Traceback" not in r.stderr
    assert "product_master: 4 row(s) loaded" in r.stdout
    assert not list((tmp_path / "home" / "landing" / "originals").rglob("*ledger*"))


def test_invalid_seller_id_is_a_clear_error(tmp_path, reclaim):
    r = reclaim(tmp_path / "home", "ingest", "--seller", "../evil", str(HANDWRITTEN / "ledger.tsv"))
    assert r.returncode == 2 and "invalid seller id" in r.stderr and "Traceback" not in r.stderr


def test_export_before_build_says_what_to_do(tmp_path, reclaim):
    r = reclaim(
        tmp_path / "home", "claims", "export", "--seller", "A1X", "--out", str(tmp_path / "x.csv")
    )
    assert r.returncode == 2 and "reclaim build" in r.stderr


@pytest.mark.parametrize(
    "cmd",
    [
        [],
        ["demo"],
        ["ingest"],
        ["build"],
        ["claims"],
        ["claims", "export"],
        ["evaluate"],
        ["sandbox", "serve"],
    ],
)
def test_every_command_has_help(tmp_path, reclaim, cmd):
    r = reclaim(tmp_path, *cmd, "--help")
    assert r.returncode == 0 and "usage: reclaim" in r.stdout


@pytest.mark.slow
def test_sellable_disposal_without_a_removal_order_is_claimed(tmp_path, reclaim):
    home = tmp_path / "home"
    files = [str(FIXTURES / "disposals" / n) for n in ("ledger.tsv", "removal_orders.tsv")]
    files.append(str(FIXTURES / "disposals" / "product_master.csv"))
    r = reclaim(home, "ingest", "--seller", "A1DISPOSER", *files)
    assert r.returncode == 0, r.stderr
    assert "removal_orders: 1 row(s) loaded" in r.stdout
    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr + r.stdout
    out = tmp_path / "claims.csv"
    r = reclaim(home, "claims", "export", "--seller", "A1DISPOSER", "--out", str(out), "--all")
    assert r.returncode == 0, r.stderr
    _, rows = _read(out)
    assert [
        (x["claim_type"], x["reference_id"], x["status"], x["quantity"], x["amount"]) for x in rows
    ] == [("disposed_unauthorized", "7770002", "ready", "1", "11.25")]
    assert "7770002" in rows[0]["case_text"] and "without a removal order" in rows[0]["case_text"]


@pytest.mark.slow
def test_build_on_an_empty_home_gives_an_empty_queue(tmp_path, reclaim):
    home = tmp_path / "home"
    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr + r.stdout
    assert "(no claims)" in r.stdout
    out = tmp_path / "none.csv"
    # A seller nobody registered and nothing was loaded for is a typo: one line, no file.
    r = reclaim(home, "claims", "export", "--seller", "A1NEW", "--out", str(out))
    assert r.returncode == 2 and not out.exists(), r.stdout + r.stderr
    assert r.stderr.strip() == "reclaim: error: unknown seller 'A1NEW' (known sellers: none)"
    # A registered seller with nothing to claim gets the header: an empty queue, not an error.
    (home / "state" / "sellers.json").write_text('{"sellers": [{"seller_id": "A1NEW"}]}')
    r = reclaim(home, "claims", "export", "--seller", "A1NEW", "--out", str(out))
    assert r.returncode == 0, r.stderr
    assert out.read_text().splitlines() == [",".join(EXPORT_COLUMNS)]
    # So does a seller whose loaded files raise no claim.
    r = reclaim(home, "ingest", "--seller", "A1LOADED", str(HANDWRITTEN / "product_master.csv"))
    assert r.returncode == 0, r.stderr
    loaded = tmp_path / "loaded.csv"
    r = reclaim(home, "claims", "export", "--seller", "A1LOADED", "--out", str(loaded))
    assert r.returncode == 0, r.stderr
    assert loaded.read_text().splitlines() == [",".join(EXPORT_COLUMNS)]


@pytest.mark.parametrize("cmd", [["status"], ["build", "--as-of", "2026-11-20"]])
def test_invalid_recovery_setting_is_one_line(tmp_path, reclaim, cmd):
    home = tmp_path / "home"
    (home / "state").mkdir(parents=True)
    (home / "state" / "sellers.json").write_text(
        '{"sellers": [{"seller_id": "A1LIFE", "settings": {"recovery": '
        '{"fee_percentage": "abc"}}}]}'
    )
    r = reclaim(home, *cmd)
    assert r.returncode == 2, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    for needle in ("A1LIFE", "fee_percentage", "'abc'", "expected a number between 0 and 100"):
        assert needle in lines[0]


@pytest.mark.slow
def test_inbound_api_files_saved_apart_join_into_a_shortage_claim(tmp_path, reclaim):
    """Issue 18: a seller saves one FBA Inbound v0 call per file (each shipment's
    getShipmentItemsByShipmentId, then getShipments) and ingests them apart, items first. The
    items wait for their shipment's status (nothing quarantined, no claim yet); once the
    shipment list is loaded, the next build joins them and claims the CLOSED shipment's
    shortage (the RECEIVING one is not claimed)."""
    split = FIXTURES / "api" / "inbound_split"
    home = tmp_path / "home"
    seller = "A1SPLIT"
    r = reclaim(home, "ingest", "--seller", seller,
                str(split / "ledger.tsv"), str(split / "product_master.csv"))  # fmt: skip
    assert r.returncode == 0, r.stderr
    for shipment, items in (("FBA17SPLIT01", 2), ("FBA17SPLIT02", 1)):
        r = reclaim(home, "ingest", "--seller", seller, str(split / f"items-{shipment}.json"))
        assert r.returncode == 0, r.stderr
        said = r.stdout + r.stderr  # the row counts on stdout, the warning on stderr
        assert f"inbound_shipment_items: {items} row(s) loaded" in r.stdout
        assert "quarantined" not in said
        assert f"whose shipment is not in this document: {shipment}; they are kept" in said

    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr + r.stdout
    out = tmp_path / "before.csv"
    r = reclaim(home, "claims", "export", "--seller", seller, "--out", str(out), "--all")
    assert r.returncode == 0, r.stderr
    _, rows = _read(out)
    assert not [x for x in rows if x["claim_type"] == "inbound_shortage"]

    r = reclaim(home, "ingest", "--seller", seller, str(split / "getShipments.json"))
    assert r.returncode == 0, r.stderr
    assert "inbound_shipment_items: 2 row(s) loaded" in r.stdout
    assert "quarantined" not in r.stdout + r.stderr

    r = reclaim(home, "build", "--as-of", "2026-11-20")
    assert r.returncode == 0, r.stderr + r.stdout
    out = tmp_path / "claims.csv"
    r = reclaim(home, "claims", "export", "--seller", seller, "--out", str(out), "--all")
    assert r.returncode == 0, r.stderr
    _, rows = _read(out)
    inbound = [x for x in rows if x["claim_type"] == "inbound_shortage"]
    assert [
        (x["shipment_id"], x["sku"], x["fnsku"], x["status"], x["quantity"], x["amount"])
        for x in inbound
    ] == [("FBA17SPLIT01", "SPLIT-A", "X00SPLITA1", "ready", "4", "30.00")]
    [claim] = inbound
    assert "FBA17SPLIT01" in claim["case_text"] and "ONT8" in claim["case_text"]
    assert '"shipment_status": "CLOSED"' in claim["evidence"].replace('":"', '": "')
