"""The claims lifecycle as an agency runs it from the CLI: review, file, import outcomes from
case tooling, and statuses that follow what Amazon pays against the case."""

from __future__ import annotations

import json

import duckdb
import pytest

from tests.conftest import FIXTURES

HANDWRITTEN = FIXTURES / "handwritten"
REIMB_HEADER = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type"
)


def _claims(reclaim, home, tmp_path) -> dict[str, dict]:
    out = tmp_path / "all.jsonl"
    r = reclaim(home, "claims", "export", "--seller", "A1LIFE", "--out", str(out), "--all")
    assert r.returncode == 0, r.stderr
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    return {(x["claim_type"], x["reference_id"]): x for x in rows}


@pytest.mark.slow
def test_review_file_import_and_recovery(tmp_path, reclaim):
    home = tmp_path / "home"
    files = [
        str(HANDWRITTEN / n) for n in ("ledger.tsv", "reimbursements.tsv", "product_master.csv")
    ]
    assert reclaim(home, "ingest", "--seller", "A1LIFE", *files).returncode == 0
    assert reclaim(home, "build", "--as-of", "2026-11-20").returncode == 0
    claims = _claims(reclaim, home, tmp_path)
    lost_a = claims[("warehouse_lost", "5550001")]["claim_id"]
    lost_b = claims[("warehouse_lost", "5550003")]["claim_id"]
    damaged = claims[("warehouse_damaged", "5550007")]["claim_id"]
    expired = claims[("warehouse_lost", "5550006")]["claim_id"]

    # Review, then file one claim by hand.
    r = reclaim(home, "claims", "review", lost_a, "--approve")
    assert r.returncode == 0 and "1 event(s) recorded" in r.stdout, r.stderr
    r = reclaim(home, "claims", "file", lost_a, "--case-id", "C-100", "--date", "2026-11-20")
    assert r.returncode == 0, r.stderr

    # An import with problems names each one and records nothing.
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "claim_id,case_id,status,date,note\n"
        f"{lost_b},C-777,filed,2026-11-19,\n"
        "CLM-0000000000000000,C-1,filed,2026-11-19,\n"
        f"{damaged},,filed,2026-11-19,\n"
        f"{expired},,approved,2026-11-19,\n"
        f"{lost_b},,reimbursed,2026-11-19,\n"
    )
    r = reclaim(home, "claims", "import", str(bad))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "bad.csv row 6: status: 'reimbursed'" in r.stderr
    assert "nothing was recorded" in r.stderr
    bad.write_text("\n".join(bad.read_text().splitlines()[:5]) + "\n")
    r = reclaim(home, "claims", "import", str(bad))
    assert r.returncode == 2
    assert "bad.csv row 3: claim_id 'CLM-0000000000000000': no such claim" in r.stderr
    assert f"bad.csv row 4: claim {damaged}: case_id: filing needs the case id" in r.stderr
    assert f"bad.csv row 5: claim {expired}: cannot approve a claim that is expired" in r.stderr

    # A clean import from the case tool: one filed, one dismissed.
    good = tmp_path / "cases.csv"
    good.write_text(
        "claim_id,case_id,status,date,note\n"
        f"{lost_b},C-777,filed,2026-11-19,opened via case tool\n"
        f"{damaged},,dismissed,2026-11-19,photos show carrier damage\n"
    )
    r = reclaim(home, "claims", "import", str(good))
    assert r.returncode == 0 and "2 event(s) recorded" in r.stdout, r.stderr

    # Amazon pays case C-777 in full and half of C-100.
    paid = tmp_path / "reimbursements-cases.tsv"
    paid.write_text(
        REIMB_HEADER
        + "\n2026-11-21T10:00:00Z\t9200001\tC-777\t\tLost_Warehouse\tWIDGET-BLUE\tX002BBBBBB\t"
        "B0BBBBBBBB\tBlue widget\tNew\tUSD\t8.00\t16.00\t2\t0\t2\t\t\n"
        "2026-11-21T10:00:00Z\t9200002\tC-100\t\tLost_Warehouse\tWIDGET-RED\tX001AAAAAA\t"
        "B0AAAAAAAA\tRed widget\tNew\tUSD\t12.50\t12.50\t1\t0\t1\t\t\n"
    )
    assert reclaim(home, "ingest", "--seller", "A1LIFE", str(paid)).returncode == 0
    r = reclaim(home, "build", "--as-of", "2026-11-22")
    assert r.returncode == 0, r.stderr + r.stdout
    claims = _claims(reclaim, home, tmp_path)
    a, b = claims[("warehouse_lost", "5550001")], claims[("warehouse_lost", "5550003")]
    assert (a["status"], b["status"]) == ("partially_reimbursed", "reimbursed")
    assert claims[("warehouse_damaged", "5550007")]["status"] == "dismissed"
    # The mart an analyst queries carries the case and what it recovered.
    with duckdb.connect(str(home / "serving" / "reclaim.duckdb"), read_only=True) as con:
        recovered = dict(
            con.execute(
                "select claim_id, (case_id, recovered_amount::varchar, detection_status) "
                "from marts.fct_claims where case_id is not null"
            ).fetchall()
        )
    assert recovered == {
        a["claim_id"]: ("C-100", "12.50", "ready"),
        b["claim_id"]: ("C-777", "16.00", "ready"),
    }

    # The default export is the queue still to work: filed and dismissed claims are gone.
    out = tmp_path / "ready.csv"
    r = reclaim(home, "claims", "export", "--seller", "A1LIFE", "--out", str(out))
    assert r.returncode == 0
    text = out.read_text()
    assert a["claim_id"] not in text and b["claim_id"] not in text
    assert claims[("reimbursement_underpaid", "9100001")]["claim_id"] in text


def _tiny_warehouse(path, claim_ids, seller="A1LIFE"):
    """A serving file with just what `record` checks claims against."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(
            "create table marts.fct_claims (claim_id varchar, seller_id varchar, "
            "detection_status varchar)"
        )
        con.executemany(
            "insert into marts.fct_claims values (?, ?, 'ready')",
            [(c, seller) for c in claim_ids],
        )
    return path


def test_events_of_one_import_keep_the_file_order(tmp_path):
    """approved then filed on the same day, for many claims in one file: every claim ends filed,
    in the log as read back and in the order dbt picks the latest event by (recorded_at,
    event_id)."""
    from orchestration.claim_outcomes import lifecycle_status, read_import_file, read_log, record

    ids = [f"CLM-{n:016d}" for n in range(12)]
    serving = _tiny_warehouse(tmp_path / "serving.duckdb", ids)
    rows = ["claim_id,case_id,status,date,note"]
    for cid in ids:
        rows += [f"{cid},,approved,2026-11-19,", f"{cid},C-{cid[-2:]},filed,2026-11-19,"]
    (tmp_path / "cases.csv").write_text("\n".join(rows) + "\n")
    events = read_import_file(tmp_path / "cases.csv")
    state = tmp_path / "state"
    assert record(state, serving, events, "import:cases.csv") == 24
    log = read_log(state)
    assert set(lifecycle_status(log).values()) == {"filed"}
    assert [e["sequence"] for e in log] == list(range(24))
    by_dbt_order = sorted(log, key=lambda e: (e["recorded_at"], e["event_id"]))
    assert [e["action"] for e in by_dbt_order] == ["approve", "file"] * 12
