"""The simulator: determinism, exact file formats (read back by an independent reader), and
ground truth consistent with the rendered ledger and the claim windows."""

from __future__ import annotations

import csv
import re
from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from extractors.sandbox.simulator import (
    Scenario,
    claim_status,
    fc_operations_window,
    generate,
    load_manifest,
    simulate,
)

pytestmark = pytest.mark.timeout(60)

LEDGER = "GET_LEDGER_DETAIL_VIEW_DATA.tsv"
REIMB = "GET_FBA_REIMBURSEMENTS_DATA.tsv"
REMOVALS = "GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA.tsv"
NEW_REPORTS = (
    "GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA.tsv",
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA.tsv",
    "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL.tsv",
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL.tsv",
    "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA.tsv",
    "GET_FBA_STORAGE_FEE_CHARGES_DATA.tsv",
)
REMOVALS_HEADER = (
    "request-date\torder-id\torder-source\torder-type\tservice-speed\torder-status\t"
    "last-updated-date\tsku\tfnsku\tdisposition\trequested-quantity\tcancelled-quantity\t"
    "disposed-quantity\tshipped-quantity\tin-process-quantity\tremoval-fee\tcurrency"
)
LEDGER_HEADER = (
    "Date\tFNSKU\tASIN\tMSKU\tTitle\tEvent Type\tReference ID\tQuantity\tFulfillment Center\t"
    "Disposition\tReason\tCountry\tReconciled Quantity\tUnreconciled Quantity\tDate and Time"
)
REIMB_HEADER = (
    "approval-date\treimbursement-id\tcase-id\tamazon-order-id\treason\tsku\tfnsku\tasin\t"
    "product-name\tcondition\tcurrency-unit\tamount-per-unit\tamount-total\t"
    "quantity-reimbursed-cash\tquantity-reimbursed-inventory\tquantity-reimbursed-total\t"
    "original-reimbursement-id\toriginal-reimbursement-type"
)
TRUTH_HEADER = (
    "claim_type,seller_id,marketplace_id,fnsku,sku,asin,order_id,shipment_id,removal_order_id,"
    "reference_id,fulfillment_center_id,event_date,quantity,unit_value,amount,currency,"
    "eligible_from,deadline,status"
)
US_FCS = {"LGB3", "ONT8", "PHX6", "SMF3", "MDW2", "IND9", "CLT2", "ABE8", "BFI4", "TPA6"}
UK_FCS = {"LBA4", "BHX4", "MAN1", "EUK5", "LTN1", "DSA6", "BRS1", "CWL1"}
RECONCILED_REASONS = {"M", "5", "F", "N", "E"}


def read_tsv(path: Path) -> tuple[str, list[dict[str, str]]]:
    raw = path.read_bytes()
    assert b"\r" not in raw, "LF line endings only"
    assert raw.endswith(b"\n")
    text = raw.decode("utf-8")
    header = text.split("\n", 1)[0]
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh, delimiter="\t", quoting=csv.QUOTE_NONE)
        names = next(reader)
        rows = []
        for values in reader:
            assert len(values) == len(names), values
            rows.append(dict(zip(names, values, strict=True)))
    return header, rows


def read_csv(path: Path) -> tuple[str, list[dict[str, str]]]:
    raw = path.read_bytes()
    assert b"\r" not in raw
    with open(path, encoding="utf-8", newline="") as fh:
        return raw.decode().split("\n", 1)[0], list(csv.DictReader(fh))


def mdy(value: str) -> date:
    return datetime.strptime(value, "%m/%d/%Y").date()


def files_of(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


# ------------------------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(tmp_path):
    sc = Scenario(seed=11, sellers=2, skus_per_seller=5, months=4)
    a, b = generate(sc, tmp_path / "a"), generate(sc, tmp_path / "b")
    fa, fb = files_of(a.out_dir), files_of(b.out_dir)
    reports = (LEDGER, REIMB, REMOVALS, *NEW_REPORTS, "product_master.csv", "ground_truth.csv")
    reports += ("inbound_shipments.json",)  # FBA Inbound v0 shipments the emulator serves
    assert {n for n in fa if "/settlements/" not in n} == {
        "scenario.json",
        *(f"SANDBOX{i}/{n}" for i in (1, 2) for n in reports),
    }
    assert sum("/settlements/" in n for n in fa) >= 2 * 8  # 14-day periods over 4 months
    assert fa == fb
    other = files_of(
        generate(Scenario(seed=12, sellers=2, skus_per_seller=5, months=4), tmp_path / "c").out_dir
    )
    for name in fa:
        if (name.endswith(".tsv") and "/settlements/" not in name) or name.endswith("truth.csv"):
            assert fa[name] != other[name], name


def test_ledger_format(sandbox):
    sc = sandbox.scenario
    for seller in sandbox.sellers:
        header, rows = read_tsv(seller.files["GET_LEDGER_DETAIL_VIEW_DATA"])
        assert header == LEDGER_HEADER
        assert len(rows) == seller.counts["GET_LEDGER_DETAIL_VIEW_DATA"] > 1000
        keys = set()
        types = Counter()
        for r in rows:
            day = mdy(r["Date"])
            assert re.fullmatch(r"\d{2}/\d{2}/\d{4}", r["Date"])
            assert sc.start <= day <= sc.as_of
            m = re.fullmatch(r"(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:00(-0700|-0800)", r["Date and Time"])
            assert m, r["Date and Time"]
            assert date.fromisoformat(m.group(1)) == day
            summer = date(day.year, 3, 14) < day < date(day.year, 11, 1)
            if summer:
                assert m.group(2) == "-0700"
            elif day > date(day.year, 11, 7):
                assert m.group(2) == "-0800"
            assert re.fullmatch(r"X00[A-Z0-9]{7}", r["FNSKU"])
            assert re.fullmatch(r"B0[A-Z0-9]{8}", r["ASIN"])
            assert r["MSKU"] and r["Title"]
            assert r["Country"] == "US"
            assert r["Fulfillment Center"] in US_FCS
            qty = int(r["Quantity"])
            assert str(qty) == r["Quantity"] and qty != 0
            et, reason = r["Event Type"], r["Reason"]
            types[(et, reason)] += 1
            if et == "Receipts":
                assert qty > 0 and re.fullmatch(r"FBA15[A-Z0-9]{7}", r["Reference ID"])
            elif et == "Shipments":
                assert qty < 0
            elif et == "CustomerReturns":
                assert qty == 1 and re.fullmatch(r"\d{3}-\d{7}-\d{7}", r["Reference ID"])
            elif et == "VendorReturns":  # return removal order parcels
                assert qty < 0 and re.fullmatch(r"[A-Z0-9]{10}", r["Reference ID"])
            else:
                assert et == "Adjustments"
                assert reason in {"M", "5", "F", "N", "E", "P", "O", "D"}
                assert (qty > 0) == (reason in {"F", "N", "P"})
                assert r["Reference ID"].isdigit()
            if et != "Adjustments":
                assert reason == ""
            populated = r["Reconciled Quantity"] != "" or r["Unreconciled Quantity"] != ""
            assert populated == (reason in RECONCILED_REASONS)
            if populated:
                rec, unrec = int(r["Reconciled Quantity"]), int(r["Unreconciled Quantity"])
                assert rec >= 0 and unrec >= 0 and rec + unrec == abs(qty)
            if reason == "F":
                assert qty == 1
            if reason == "P":
                assert r["Disposition"] == "WAREHOUSE_DAMAGED"
            if reason in {"E", "M", "5"}:
                assert r["Disposition"] == "SELLABLE"
            key = (
                r["Date"],
                r["FNSKU"],
                r["Event Type"],
                r["Reference ID"],
                r["Fulfillment Center"],
                r["Disposition"],
                r["Reason"],
            )
            assert key not in keys, key
            keys.add(key)
        for needed in [
            ("Receipts", ""),
            ("Shipments", ""),
            ("CustomerReturns", ""),
            ("Adjustments", "M"),
            ("Adjustments", "F"),
            ("Adjustments", "N"),
            ("Adjustments", "E"),
            ("Adjustments", "P"),
            ("Adjustments", "O"),
            ("Adjustments", "D"),
        ]:
            assert types[needed] > 0, needed
        # Every E row pairs with a P row under the same Reference ID.
        e_refs = {r["Reference ID"] for r in rows if r["Reason"] == "E"}
        p_refs = {r["Reference ID"] for r in rows if r["Reason"] == "P"}
        assert e_refs == p_refs
        # Rows come in time order.
        stamps = [r["Date and Time"][:16] for r in rows]
        assert stamps == sorted(stamps)


def test_ledger_reads_with_pandas_as_strings(sandbox):
    path = sandbox.sellers[0].files["GET_LEDGER_DETAIL_VIEW_DATA"]
    df = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, encoding="utf-8")
    assert list(df.columns) == LEDGER_HEADER.split("\t")
    assert df["Quantity"].str.fullmatch(r"-?\d+").all()
    m = df[df["Reason"].isin(["M", "5"])]
    assert len(m) > 10
    total = m["Reconciled Quantity"].astype(int) + m["Unreconciled Quantity"].astype(int)
    assert (total == m["Quantity"].astype(int).abs()).all()
    assert any("Crème" in t for t in df["Title"])  # non-ASCII survives as UTF-8


def test_reimbursements_format(sandbox):
    sc = sandbox.scenario
    for seller in sandbox.sellers:
        header, rows = read_tsv(seller.files["GET_FBA_REIMBURSEMENTS_DATA"])
        assert header == REIMB_HEADER
        assert len(rows) == seller.counts["GET_FBA_REIMBURSEMENTS_DATA"] > 20
        by_id = {}
        reasons = Counter()
        for r in rows:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+00:00", r["approval-date"])
            assert sc.start <= datetime.fromisoformat(r["approval-date"]).date() <= sc.as_of
            assert r["reimbursement-id"].isdigit() and r["reimbursement-id"] not in by_id
            by_id[r["reimbursement-id"]] = r
            assert r["case-id"] == ""
            customer_return = "CustomerReturn" in (r["reason"], r["original-reimbursement-type"])
            assert (r["amazon-order-id"] != "") == customer_return
            assert r["currency-unit"] == "USD"
            for col in ("amount-per-unit", "amount-total"):
                assert re.fullmatch(r"-?\d+\.\d{2}", r[col]), r[col]
            cash, inv, total = (
                int(r[c])
                for c in (
                    "quantity-reimbursed-cash",
                    "quantity-reimbursed-inventory",
                    "quantity-reimbursed-total",
                )
            )
            assert cash + inv == total
            assert Decimal(r["amount-total"]) == Decimal(r["amount-per-unit"]) * cash
            reasons[r["reason"]] += 1
            if r["reason"] == "Reimbursement_Reversal":
                assert total < 0 and Decimal(r["amount-total"]) < 0
                original = by_id[r["original-reimbursement-id"]]  # earlier in the file
                assert original["reason"] == r["original-reimbursement-type"]
                assert original["reason"] in {"Lost_Warehouse", "CustomerReturn"}
                assert original["fnsku"] == r["fnsku"]
                assert original["approval-date"] <= r["approval-date"]
            else:
                assert r["reason"] in {
                    "Lost_Warehouse",
                    "Damaged_Warehouse",
                    "CustomerReturn",
                    "Lost_Inbound",
                    "Damaged_Inbound",
                }
                assert total > 0 and Decimal(r["amount-total"]) >= 0
                assert r["original-reimbursement-id"] == r["original-reimbursement-type"] == ""
        assert set(reasons) == {
            "Lost_Warehouse",
            "Damaged_Warehouse",
            "Reimbursement_Reversal",
            "CustomerReturn",
            "Lost_Inbound",
            "Damaged_Inbound",
        }
        assert any(int(r["quantity-reimbursed-inventory"]) > 0 for r in rows)
        dates = [r["approval-date"] for r in rows]
        assert dates == sorted(dates)


def test_product_master(sandbox):
    for seller in sandbox.sellers:
        header, rows = read_csv(seller.files["product_master"])
        assert header == "sku,unit_cost,currency,length_in,width_in,height_in,weight_lb"
        assert len(rows) == sandbox.scenario.skus_per_seller
        assert len({r["sku"] for r in rows}) == len(rows)
        for r in rows:
            assert re.fullmatch(r"\d+\.\d{2}", r["unit_cost"]) and Decimal(r["unit_cost"]) > 0
            assert r["currency"] == "USD"
            for col in ("length_in", "width_in", "height_in", "weight_lb"):
                assert Decimal(r[col]) > 0
        _, ledger = read_tsv(seller.files["GET_LEDGER_DETAIL_VIEW_DATA"])
        assert {r["MSKU"] for r in ledger} == {r["sku"] for r in rows}


DAMAGE_CODES = {"E", "6", "7", "H", "K", "U"}


def test_ground_truth_matches_ledger_and_windows(sandbox):
    sc = sandbox.scenario
    for seller in sandbox.sellers:
        header, truth = read_csv(seller.files["ground_truth"])
        assert header == TRUTH_HEADER
        _, ledger = read_tsv(seller.files["GET_LEDGER_DETAIL_VIEW_DATA"])
        _, master = read_csv(seller.files["product_master"])
        cost = {r["sku"]: Decimal(r["unit_cost"]) for r in master}
        adjustments = {
            "warehouse_lost": {r["Reference ID"]: r for r in ledger if r["Reason"] in {"M", "5"}},
            "warehouse_damaged": {
                r["Reference ID"]: r for r in ledger if r["Reason"] in DAMAGE_CODES
            },
        }
        assert {t["claim_type"] for t in truth} >= {
            *adjustments,
            "reimbursement_underpaid",
            "disposed_unauthorized",
        }
        for t in truth:
            if t["claim_type"] not in adjustments:
                continue
            assert t["seller_id"] == seller.seller_id
            assert t["marketplace_id"] == "ATVPDKIKX0DER" and t["currency"] == "USD"
            assert t["order_id"] == t["shipment_id"] == t["removal_order_id"] == ""
            m = adjustments[t["claim_type"]][t["reference_id"]]
            event = date.fromisoformat(t["event_date"])
            assert mdy(m["Date"]) == event
            assert (m["FNSKU"], m["MSKU"], m["ASIN"], m["Fulfillment Center"]) == (
                t["fnsku"],
                t["sku"],
                t["asin"],
                t["fulfillment_center_id"],
            )
            qty = int(t["quantity"])
            assert 0 < qty <= int(m["Unreconciled Quantity"])
            assert Decimal(t["unit_value"]) == cost[t["sku"]]
            assert Decimal(t["amount"]) == Decimal(t["unit_value"]) * qty
            # Windows re-derived here (claim-policy.md §3, US, FC operations claims after
            # 23 Oct 2024: +14 days grace, deadline +60 days).
            eligible, deadline = event + timedelta(days=14), event + timedelta(days=60)
            assert t["eligible_from"] == eligible.isoformat()
            assert t["deadline"] == deadline.isoformat()
            expected = (
                "upcoming" if sc.as_of < eligible else "expired" if sc.as_of > deadline else "ready"
            )
            assert t["status"] == expected
        # Completeness: every loss or damage row still unreconciled has a truth row for exactly
        # those units, and nothing else is claimed.
        for claim_type, rows in adjustments.items():
            open_rows = {
                ref: int(r["Unreconciled Quantity"])
                for ref, r in rows.items()
                if int(r["Unreconciled Quantity"]) > 0
            }
            claimed = {
                t["reference_id"]: int(t["quantity"])
                for t in truth
                if t["claim_type"] == claim_type
            }
            assert open_rows == claimed, claim_type
        lost = [t for t in truth if t["claim_type"] == "warehouse_lost"]
        status = Counter(t["status"] for t in lost)
        assert status["ready"] >= 10, status
        assert status["upcoming"] >= 1 and status["expired"] >= 1, status
        assert Counter(t["status"] for t in truth)["ready"] == seller.counts["ground_truth_ready"]
        # Partially reconciled losses show up with fewer units than were lost.
        m_rows = adjustments["warehouse_lost"]
        assert any(
            int(t["quantity"]) < abs(int(m_rows[t["reference_id"]]["Quantity"])) for t in lost
        )


def test_removal_orders_report_and_unauthorized_disposals(sandbox):
    """The removal order detail report in Amazon's format (§1.8), read back here; every ledger
    D row of sellable units is either the completion of a Disposal order of that FNSKU on that
    day, for its disposed quantity, or a disposed_unauthorized truth row (claim-policy.md 2.3)."""
    sc = sandbox.scenario
    for seller in sandbox.sellers:
        header, orders = read_tsv(seller.files["GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA"])
        assert header == REMOVALS_HEADER and orders
        explained = Counter()
        for o in orders:
            requested = datetime.fromisoformat(o["request-date"])
            updated = datetime.fromisoformat(o["last-updated-date"])
            assert requested.utcoffset() is not None and updated >= requested
            if o["order-type"] == "Return":
                continue  # tests/sandbox/test_sandbox_commerce.py
            assert o["order-type"] == "Disposal" and o["disposition"] == "Sellable"
            assert re.fullmatch(r"[A-Z0-9]{10}", o["order-id"])
            qty = {k: int(o[f"{k}-quantity"]) for k in ("requested", "disposed", "in-process")}
            if o["order-status"] == "Completed":
                assert qty["disposed"] == qty["requested"] and qty["in-process"] == 0
                explained[(o["fnsku"], updated.date())] += qty["disposed"]
            else:
                assert o["order-status"] == "Pending" and qty["in-process"] == qty["requested"]
            assert Decimal(o["removal-fee"]) > 0 and o["currency"] == "USD"
        _, ledger = read_tsv(seller.files["GET_LEDGER_DETAIL_VIEW_DATA"])
        _, truth = read_csv(seller.files["ground_truth"])
        claimed = {
            t["reference_id"]: t for t in truth if t["claim_type"] == "disposed_unauthorized"
        }
        assert claimed
        for r in ledger:
            if r["Reason"] != "D" or r["Disposition"] != "SELLABLE":
                continue
            key, qty = (r["FNSKU"], mdy(r["Date"])), -int(r["Quantity"])
            if r["Reference ID"] in claimed:
                t = claimed.pop(r["Reference ID"])
                assert (t["fnsku"], t["event_date"], int(t["quantity"])) == (
                    r["FNSKU"],
                    mdy(r["Date"]).isoformat(),
                    qty,
                )
                event = mdy(r["Date"])
                assert t["eligible_from"] == (event + timedelta(days=14)).isoformat()
                assert t["deadline"] == (event + timedelta(days=60)).isoformat()
                assert t["status"] == claim_status(
                    sc.as_of, event + timedelta(days=14), event + timedelta(days=60)
                )
            else:
                assert explained[key] >= qty, (r, "sellable disposal without a removal order")
                explained[key] -= qty
        assert not claimed, "truth rows without a ledger D row"


def test_underpaid_truth_matches_the_reimbursements_report(sandbox):
    """Re-derived from the rendered report and product master (claim-policy.md 2.12): cash
    reimbursements of FC losses/damage since 10 Mar 2025 paid below unit cost, less reversed
    units; window approval date .. +60 days."""
    sc = sandbox.scenario
    for seller in sandbox.sellers:
        _, truth = read_csv(seller.files["ground_truth"])
        _, reimb = read_tsv(seller.files["GET_FBA_REIMBURSEMENTS_DATA"])
        _, master = read_csv(seller.files["product_master"])
        cost = {r["sku"]: Decimal(r["unit_cost"]) for r in master}
        reversed_units = Counter()
        for r in reimb:
            if r["reason"] == "Reimbursement_Reversal":
                reversed_units[r["original-reimbursement-id"]] += abs(
                    int(r["quantity-reimbursed-cash"])
                )
        expected = {}
        for r in reimb:
            approved = date.fromisoformat(r["approval-date"][:10])
            if r["reason"] not in ("Lost_Warehouse", "Damaged_Warehouse"):
                continue
            cash = int(r["quantity-reimbursed-cash"])
            short = cost[r["sku"]] - Decimal(r["amount-per-unit"])
            qty = cash - reversed_units[r["reimbursement-id"]]
            if cash > 0 and short >= Decimal("0.01") and qty > 0 and approved <= sc.as_of:
                expected[r["reimbursement-id"]] = (r["fnsku"], qty, short, approved)
        got = {t["reference_id"]: t for t in truth if t["claim_type"] == "reimbursement_underpaid"}
        assert got.keys() == expected.keys() and got
        for rid, (fnsku, qty, short, approved) in expected.items():
            t = got[rid]
            assert (t["fnsku"], int(t["quantity"]), Decimal(t["unit_value"])) == (fnsku, qty, short)
            assert Decimal(t["amount"]) == short * qty
            assert t["event_date"] == t["eligible_from"] == approved.isoformat()
            assert t["deadline"] == (approved + timedelta(days=60)).isoformat()


def test_event_log_covers_every_outcome():
    for book in simulate(Scenario()):
        counts = book.outcome_counts()
        for outcome in (
            "found_all",
            "found_partial",
            "reimbursed",
            "reimbursed_inventory",
            "found_after_reimbursed",
            "reversed_unfound",
            "open",
        ):
            assert counts.get(outcome, 0) >= 2, (book.seller_id, outcome, counts)
        truth = {
            r["reference_id"]: r for r in book.truth_rows() if r["claim_type"] == "warehouse_lost"
        }
        for loss in book.losses:
            ref, as_of = loss.adjustment.reference_id, book.as_of
            if loss.outcome in ("found_all", "reimbursed", "found_after_reimbursed") and (
                loss.last_event_date() <= as_of
            ):
                assert ref not in truth, loss.outcome  # fully reconciled: nothing to claim
            if loss.outcome == "reversed_unfound" and loss.last_event_date() <= as_of:
                assert int(truth[ref]["quantity"]) == loss.units  # reversal reopens the units
            if loss.outcome == "open" and loss.event_date <= as_of:
                assert int(truth[ref]["quantity"]) == loss.units


def test_reversed_units_are_owed_once():
    """claim-policy.md 2.1 step 3 nets reversed units back into the loss: a reversal of the
    reimbursement of a loss in the ledger history is owed as that reopened warehouse_lost claim,
    not again as reversal_unjustified. Reversals of reimbursements of losses before the history
    (planted: at least two per seller, one claimable now) are owed as reversal_unjustified."""
    for book in simulate(Scenario()):
        as_of = book.as_of
        truth = book.truth_rows()
        lost = {r["reference_id"] for r in truth if r["claim_type"] == "warehouse_lost"}
        reversal_truth = {
            r["reference_id"]: r for r in truth if r["claim_type"] == "reversal_unjustified"
        }
        on_loss = {r.seq for loss in book.losses for r in loss.reimbursements}
        for loss in book.losses:
            assert loss.event_date >= book.start
            reversals = [
                r for r in loss.reimbursements if r.original and r.approval.date() <= as_of
            ]
            assert not {r.reimbursement_id for r in reversals} & reversal_truth.keys()
            if loss.outcome == "reversed_unfound" and reversals:
                assert loss.adjustment.reference_id in lost
        prehistory = [
            r
            for r in book.reimbursements
            if r.original is not None
            and r.original.reason == "Lost_Warehouse"
            and r.original.seq not in on_loss
        ]
        assert len(prehistory) >= 2
        assert all(r.original.approval.date() >= book.start for r in prehistory)
        owed = [
            reversal_truth[r.reimbursement_id] for r in prehistory if r.approval.date() <= as_of
        ]
        assert len(owed) >= 2, book.seller_id
        assert any(t["status"] == "ready" for t in owed)
        for t in owed:
            assert int(t["quantity"]) > 0 and Decimal(t["amount"]) > 0


def test_manifest_round_trip(sandbox):
    loaded = load_manifest(sandbox.out_dir)
    assert loaded.scenario == sandbox.scenario
    assert [s.seller_id for s in loaded.sellers] == ["SANDBOX1", "SANDBOX2"]
    for a, b in zip(loaded.sellers, sandbox.sellers, strict=True):
        assert a == b
        assert a.files == b.files and a.counts == b.counts
        assert a.refresh_token == f"Atzr|sandbox-{a.seller_id}"
        assert a.region == "NA" and a.country == "US" and a.marketplace_id == "ATVPDKIKX0DER"
        assert all(p.exists() for p in a.files.values())


def test_uk_marketplace(tmp_path):
    m = generate(Scenario(marketplace="UK", sellers=1, skus_per_seller=4, months=5), tmp_path)
    seller = m.sellers[0]
    assert (seller.marketplace_id, seller.country, seller.region, seller.currency) == (
        "A1F83G8C2ARO7P",
        "GB",
        "EU",
        "GBP",
    )
    _, ledger = read_tsv(seller.files["GET_LEDGER_DETAIL_VIEW_DATA"])
    assert {r["Country"] for r in ledger} == {"GB"}
    assert {r["Fulfillment Center"] for r in ledger} <= UK_FCS
    offsets = {r["Date and Time"][-5:] for r in ledger}
    assert offsets == {"+0100", "+0000"}  # history spans the end of British Summer Time
    _, reimb = read_tsv(seller.files["GET_FBA_REIMBURSEMENTS_DATA"])
    assert {r["currency-unit"] for r in reimb} == {"GBP"}
    _, truth = read_csv(seller.files["ground_truth"])
    assert truth and {r["marketplace_id"] for r in truth} == {"A1F83G8C2ARO7P"}
    assert {r["currency"] for r in truth} == {"GBP"}


def test_window_table():
    us = Scenario().market
    uk = Scenario(marketplace="UK").market
    assert fc_operations_window(date(2024, 10, 23), us) == (date(2024, 11, 6), date(2024, 12, 22))
    assert fc_operations_window(date(2024, 10, 22), us)[1] == date(2024, 10, 22) + timedelta(548)
    assert fc_operations_window(date(2024, 12, 1), uk)[1] == date(2024, 12, 1) + timedelta(548)
    assert fc_operations_window(date(2025, 1, 9), uk)[1] == date(2025, 3, 10)
    assert claim_status(date(2026, 1, 14), date(2026, 1, 15), date(2026, 3, 1)) == "upcoming"
    assert claim_status(date(2026, 1, 15), date(2026, 1, 15), date(2026, 3, 1)) == "ready"
    assert claim_status(date(2026, 3, 1), date(2026, 1, 15), date(2026, 3, 1)) == "ready"
    assert claim_status(date(2026, 3, 2), date(2026, 1, 15), date(2026, 3, 1)) == "expired"


def test_history_across_the_policy_change(tmp_path):
    """Losses before 23 Oct 2024 keep the 18-month window."""
    sc = Scenario(sellers=1, skus_per_seller=6, months=3, as_of=date(2024, 12, 15))
    truth = [r for r in simulate(sc)[0].truth_rows() if r["claim_type"] == "warehouse_lost"]
    old = [r for r in truth if r["event_date"] < "2024-10-23"]
    new = [r for r in truth if r["event_date"] >= "2024-10-23"]
    assert old and new
    for r in old:
        event = date.fromisoformat(r["event_date"])
        assert r["deadline"] == (event + timedelta(days=548)).isoformat()
        assert r["status"] == "ready"
    for r in new:
        event = date.fromisoformat(r["event_date"])
        assert r["deadline"] == (event + timedelta(days=60)).isoformat()


def test_scenario_validation():
    with pytest.raises(ValueError):
        Scenario(marketplace="DE")
    with pytest.raises(ValueError):
        Scenario(found_share=0.6, auto_reimbursed_share=0.6)
    assert Scenario().start == date(2026, 5, 20)
    assert Scenario(as_of=date(2026, 3, 31), months=1).start == date(2026, 2, 28)
