"""Orders, refunds, returns, fees, storage, removal shipments and reversals in the sandbox: every
rendered file parses with the project's parser without a quarantined row, the reports agree with
each other, and every ground-truth row points at ids that exist in the rendered reports."""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from extractors.reports.parsing import parse_document
from extractors.sandbox import fee_policy, fees
from extractors.sandbox.simulator import Scenario, generate, simulate

pytestmark = pytest.mark.timeout(120)

AFS = "GET_AMAZON_FULFILLED_SHIPMENTS_DATA_GENERAL"
ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_ORDER_DATE_GENERAL"
RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
REMOVALS = "GET_FBA_FULFILLMENT_REMOVAL_ORDER_DETAIL_DATA"
REMOVAL_SHIPMENTS = "GET_FBA_FULFILLMENT_REMOVAL_SHIPMENT_DETAIL_DATA"
FEE_PREVIEW = "GET_FBA_ESTIMATED_FBA_FEES_TXT_DATA"
STORAGE = "GET_FBA_STORAGE_FEE_CHARGES_DATA"
REIMB = "GET_FBA_REIMBURSEMENTS_DATA"
LEDGER = "GET_LEDGER_DETAIL_VIEW_DATA"


@pytest.fixture(scope="module")
def uk(tmp_path_factory):
    return generate(Scenario(marketplace="UK", sellers=1), tmp_path_factory.mktemp("uk"))


def tsv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with open(path, encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE))


def settlement_rows(seller) -> list[dict[str, str]]:
    rows = []
    enc = "cp1252" if seller.currency == "GBP" else "utf-8"
    for path in sorted(seller.files["settlements"].glob("*.tsv")):
        body = tsv(path, enc)
        assert body[0]["transaction-type"] == "" and body[0]["total-amount"]  # summary row
        rows += body[1:]
    return rows


def amount(text: str) -> Decimal:
    return Decimal(text.replace(",", ""))


@pytest.mark.parametrize("which", ["sandbox", "uk"])
def test_every_file_parses_without_quarantine(which, request):
    manifest = request.getfixturevalue(which)
    for seller in manifest.sellers:
        for key, path in seller.files.items():
            # ground truth is not Amazon's; the inbound shipments file is what the emulator's FBA
            # Inbound routes serve (their responses are parsed in test_sandbox_inbound.py)
            if key in ("ground_truth", "inbound_shipments"):
                continue
            paths = sorted(path.glob("*.tsv")) if path.is_dir() else [path]
            assert paths, key
            for p in paths:
                doc = parse_document(p.read_bytes(), p.name)
                assert doc.quarantine == [], (p.name, doc.quarantine[:3])
                assert len(doc.frame) == doc.rows_in > 0 or key == "settlements", p.name
                if key not in ("settlements", "product_master"):
                    assert doc.spec.report_type == key
                if key == "settlements" and which == "uk":  # Cp1252 bytes, localised dates
                    assert doc.encoding in ("cp1252", "utf-8")
                    assert doc.conventions == {"decimal_separator": ".", "date_order": "DMY"}


def test_orders_refunds_and_returns_agree(sandbox):
    for seller in sandbox.sellers:
        afs = tsv(seller.files[AFS])
        orders = {r["amazon-order-id"]: r for r in afs}
        assert len(orders) == len(afs) == seller.counts[AFS] > 1000
        all_orders = tsv(seller.files[ALL_ORDERS])
        assert {r["amazon-order-id"] for r in all_orders} == set(orders)
        assert all(r["fulfillment-channel"] == "Amazon" for r in all_orders)
        for r in afs[:200]:
            assert datetime.fromisoformat(r["purchase-date"]) < datetime.fromisoformat(
                r["shipment-date"]
            )
            assert r["buyer-email"] == r["buyer-name"] == r["ship-address-1"] == ""
        settle = settlement_rows(seller)
        refunds: dict[str, dict] = {}  # an order's first refund (a few are refunded twice)
        for r in settle:
            if r["amount-description"] == "Principal" and r["transaction-type"] == "Refund":
                refunds.setdefault(r["order-id"], r)
        charged = {r["order-id"]: r for r in settle if r["amount-description"] == "Principal"
                   and r["transaction-type"] == "Order"}  # fmt: skip
        # Every order posts to a settlement, the last one closing at the end of as_of (UTC):
        # only orders shipped late on as_of (local time) are still to come.
        assert set(charged) <= set(orders)
        for oid in set(orders) - set(charged):
            shipped = datetime.fromisoformat(orders[oid]["shipment-date"])
            assert shipped.date() == sandbox.scenario.as_of and shipped.utcoffset()
        assert refunds and set(refunds) <= set(orders)
        for oid, r in refunds.items():  # never more than the unit price
            unit = amount(charged[oid]["amount"]) / int(charged[oid]["quantity-purchased"])
            assert -amount(r["amount"]) == unit
        returns = tsv(seller.files[RETURNS])
        assert returns
        dispositions = Counter(r["detailed-disposition"] for r in returns)
        assert dispositions["SELLABLE"] > dispositions["DAMAGED"] > 0
        for r in returns:  # returns only of refunded orders, after the refund
            assert r["order-id"] in refunds and r["sku"] == orders[r["order-id"]]["sku"]
            refund_day = date.fromisoformat(refunds[r["order-id"]]["posted-date"])
            assert datetime.fromisoformat(r["return-date"]).date() >= refund_day - timedelta(1)
        reimb = tsv(seller.files[REIMB])
        by_order = defaultdict(list)
        for r in reimb:
            if r["amazon-order-id"]:
                assert r["amazon-order-id"] in refunds
                by_order[r["amazon-order-id"]].append(r)
        assert by_order
        for r in returns:
            if r["status"] == "Reimbursed":
                assert r["detailed-disposition"] in ("DAMAGED", "CARRIER_DAMAGED")
                assert by_order[r["order-id"]]


def test_refund_truth_references_rendered_ids(sandbox):
    sc = sandbox.scenario
    for seller in sandbox.sellers:
        truth = _truth(seller)
        settle = settlement_rows(seller)
        refunds: dict[str, dict] = {}  # an order's first refund (a few are refunded twice)
        for r in settle:
            if r["transaction-type"] == "Refund":
                refunds.setdefault(r["order-id"], r)
        returned = {r["order-id"]: r for r in tsv(seller.files[RETURNS])}
        reimbursed = Counter()
        for r in tsv(seller.files[REIMB]):
            reimbursed[r["amazon-order-id"]] += int(r["quantity-reimbursed-total"])
        kinds = Counter()
        for t in truth:
            if t["claim_type"] not in ("refund_not_returned", "return_damaged_unreimbursed"):
                continue
            kinds[t["claim_type"]] += 1
            oid = t["order_id"]
            assert oid in refunds and reimbursed[oid] <= 0
            day = date.fromisoformat(refunds[oid]["posted-date"])
            assert t["event_date"] == day.isoformat()
            assert (t["eligible_from"], t["deadline"]) == (
                (day + timedelta(60)).isoformat(),
                (day + timedelta(120)).isoformat(),
            )
            if t["claim_type"] == "refund_not_returned":
                assert oid not in returned
            else:
                assert returned[oid]["detailed-disposition"] in ("DAMAGED", "CARRIER_DAMAGED")
        assert kinds["refund_not_returned"] > 0
        # Not every refund is claimable: most come back or are reimbursed.
        assert kinds["refund_not_returned"] < len(refunds) / 3
        assert sc.as_of


def test_refund_exceeds_charge_truth_matches_charges_and_refunds(sandbox):
    """refund_exceeds_charge is planted as Amazon shows it: the order item's charge in all-orders
    (item-price) and in the settlement (Order / ItemPrice / Principal), and refunds of it in the
    settlement (Refund / ItemPrice / Principal, one posting per adjustment id) adding up to more.
    The truth names exactly those order items, with the excess as its amount."""
    for seller in sandbox.sellers:
        truth = [t for t in _truth(seller) if t["claim_type"] == "refund_exceeds_charge"]
        assert len(truth) >= sandbox.scenario.min_per_outcome
        all_orders = {r["amazon-order-id"]: r for r in tsv(seller.files[ALL_ORDERS])}
        charged: dict[str, dict] = {}
        refunded: dict[str, list[dict]] = defaultdict(list)
        commission: Counter = Counter()
        for r in settlement_rows(seller):
            if r["transaction-type"] == "Refund" and r["amount-description"] == "Commission":
                commission[r["order-id"]] += 1
            if r["amount-description"] != "Principal":
                continue
            if r["transaction-type"] == "Order":
                charged[r["order-id"]] = r
            elif r["transaction-type"] == "Refund":
                refunded[r["order-id"]].append(r)
        over = {
            oid
            for oid, rs in refunded.items()
            if -sum(amount(r["amount"]) for r in rs) > amount(charged[oid]["amount"])
        }
        assert {t["order_id"] for t in truth} == over
        for t in truth:
            oid, rs = t["order_id"], refunded[t["order_id"]]
            charge = amount(charged[oid]["amount"])
            assert all_orders[oid]["sku"] == charged[oid]["sku"] == t["sku"]
            assert amount(all_orders[oid]["item-price"]) == charge
            assert all_orders[oid]["quantity"] == charged[oid]["quantity-purchased"] == "1"
            assert len({r["adjustment-id"] for r in rs}) == len(rs) == commission[oid] >= 2
            assert all(r["sku"] == t["sku"] and r["fulfillment-id"] == "AFN" for r in rs)
            assert all(-amount(r["amount"]) == charge for r in rs)  # each refund the full price
            assert Decimal(t["amount"]) == -sum(amount(r["amount"]) for r in rs) - charge
            assert int(t["quantity"]) == len(rs) - 1 and Decimal(t["unit_value"]) == charge
            last = max(date.fromisoformat(r["posted-date"]) for r in rs)
            assert t["event_date"] == t["eligible_from"] == last.isoformat()
            assert t["deadline"] == (last + timedelta(90)).isoformat()


def test_duplicate_refund_of_an_unreturned_unit_is_owed_twice():
    """A unit refunded twice and never returned nor reimbursed is owed as refund_not_returned (the
    unit: one refund of it, from the first refund) and refund_exceeds_charge (the second refund);
    a unit that came back is owed only the excess. Deterministic per seed."""
    sc = Scenario(sellers=1, duplicate_refund_share=0.5)
    (book,) = simulate(sc)
    assert [r.duplicates for r in simulate(sc)[0].refunds] == [r.duplicates for r in book.refunds]
    truth = defaultdict(dict)
    for t in book.truth_rows():
        truth[t["order_id"]][t["claim_type"]] = t
    kinds = Counter()
    for rf in book.refunds:
        posts = rf.postings(sc.as_of)
        if len(posts) < 2:
            assert "refund_exceeds_charge" not in truth[rf.order_id]
            continue
        exceeds = truth[rf.order_id]["refund_exceeds_charge"]
        assert Decimal(exceeds["amount"]) == rf.principal and exceeds["quantity"] == "1"
        assert exceeds["event_date"] == posts[-1].date().isoformat()
        not_returned = truth[rf.order_id].get("refund_not_returned")
        if rf.returned(sc.as_of) or any(r.approval.date() <= sc.as_of for r in rf.reimbursements):
            assert not_returned is None
            kinds["excess only"] += 1
        else:
            assert not_returned["event_date"] == rf.when.date().isoformat()
            assert Decimal(not_returned["amount"]) == rf.principal
            kinds["both"] += 1
    assert kinds["both"] and kinds["excess only"]


def _truth(seller) -> list[dict[str, str]]:
    with open(seller.files["ground_truth"], encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _dims(r: dict[str, str]) -> fees.Dims:
    return fees.Dims(*(Decimal(r[c]) for c in ("length_in", "width_in", "height_in", "weight_lb")))


def test_fee_overcharge_truth_matches_charged_fees_and_true_dimensions(sandbox):
    """Fee dimension disputes are one truth row per (SKU, month of charge). Their orders were
    charged above the 2026 card fee of the SKU's true dimensions (fee_policy: price band,
    surcharge); the amount is at most what was charged above that fee. Every other order line
    is charged the true card fee, or that plus a low-inventory-level fee (never claimed)."""
    lilf_amounts = {Decimal(0), Decimal("0.32"), Decimal("0.58"), Decimal("0.89")}
    for seller in sandbox.sellers:
        master = {r["sku"]: r for r in _truth_csv(seller.files["product_master"])}
        preview = {r["sku"]: r for r in tsv(seller.files[FEE_PREVIEW])}
        assert set(preview) == set(master)
        rows = settlement_rows(seller)
        price = {
            r["order-id"]: amount(r["amount"]) / int(r["quantity-purchased"])
            for r in rows
            if r["transaction-type"] == "Order" and r["amount-description"] == "Principal"
        }
        above = defaultdict(Decimal)  # (sku, month) -> charged above the true card fee
        for r in rows:
            if r["transaction-type"] != "Order":
                continue
            if r["amount-description"] != "FBAPerUnitFulfillmentFee":
                continue
            day = date.fromisoformat(r["posted-date"][:10])
            qty = int(r["quantity-purchased"])
            true_fee = fee_policy.card_fee(
                _dims(master[r["sku"]]), "US", day, price[r["order-id"]]
            )[1]
            extra = -amount(r["amount"]) / qty - true_fee
            above[(r["sku"], day.replace(day=1).isoformat())] += extra * qty
        truth = [t for t in _truth(seller) if t["claim_type"] == "fulfillment_fee_overcharge"]
        assert truth
        for t in truth:
            assert t["event_date"].endswith("-01") and t["eligible_from"] == t["event_date"]
            assert 0 < Decimal(t["amount"]) <= above[(t["sku"], t["event_date"])]
        claimed = {t["sku"] for t in truth}
        # The overcharged SKUs show Amazon's (wrong) measurement in the fee preview.
        for sku in claimed:
            p, m = preview[sku], master[sku]
            shown = sorted(Decimal(p[c]) for c in ("longest-side", "median-side", "shortest-side"))
            true = sorted(Decimal(m[c]) for c in ("length_in", "width_in", "height_in"))
            assert (shown, Decimal(p["item-package-weight"])) != (true, Decimal(m["weight_lb"]))
        # Orders of the other SKUs are charged the true card fee, at most plus a LILF.
        for r in rows[:4000]:
            if r["amount-description"] != "FBAPerUnitFulfillmentFee" or r["sku"] in claimed:
                continue
            if r["transaction-type"] != "Order":
                continue
            day = date.fromisoformat(r["posted-date"][:10])
            true_fee = fee_policy.card_fee(
                _dims(master[r["sku"]]), "US", day, price[r["order-id"]]
            )[1]
            per_unit = -amount(r["amount"]) / int(r["quantity-purchased"])
            assert per_unit - true_fee in lilf_amounts or per_unit < true_fee, r


def _truth_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_storage_truth_matches_the_storage_report(sandbox):
    """One storage truth row per (FNSKU, month of charge): the fulfilment centres' rows of that
    month include an inflated item volume, and the amount stays below what they charged."""
    for seller in sandbox.sellers:
        master = {r["sku"]: r for r in _truth_csv(seller.files["product_master"])}
        rows = defaultdict(list)
        for r in tsv(seller.files[STORAGE]):
            rows[(r["fnsku"], r["month_of_charge"])].append(r)
        sku_of = {r["fnsku"]: r["sku"] for r in tsv(seller.files[FEE_PREVIEW])}
        truth = [t for t in _truth(seller) if t["claim_type"] == "storage_fee_overcharge"]
        assert truth
        assert len({(t["fnsku"], t["event_date"]) for t in truth}) == len(truth)
        for t in truth:
            assert t["event_date"].endswith("-01") and t["fulfillment_center_id"] == ""
            month = rows[(t["fnsku"], t["event_date"][:7])]
            true_volume = _dims(master[sku_of[t["fnsku"]]]).cubic_feet
            assert any(Decimal(r["item_volume"]) > true_volume for r in month)
            charged = sum(Decimal(r["estimated_monthly_storage_fee"]) for r in month)
            assert charged > Decimal(t["amount"]) > 0


def test_removal_shipments_and_unaccounted_units(sandbox):
    for seller in sandbox.sellers:
        orders = {r["order-id"]: r for r in tsv(seller.files[REMOVALS])}
        shipped = Counter()
        for r in tsv(seller.files[REMOVAL_SHIPMENTS]):
            o = orders[r["order-id"]]
            assert o["order-type"] == r["removal-order-type"] == "Return"
            assert (o["sku"], o["fnsku"]) == (r["sku"], r["fnsku"])
            assert datetime.fromisoformat(r["shipment-date"]) >= datetime.fromisoformat(
                r["request-date"]
            )
            shipped[r["order-id"]] += int(r["shipped-quantity"])
        assert shipped
        for oid, o in orders.items():
            assert shipped[oid] == int(o["shipped-quantity"])
        ledger = Counter()
        for r in tsv(seller.files[LEDGER]):
            if r["Event Type"] == "VendorReturns":
                ledger[r["Reference ID"]] -= int(r["Quantity"])
        assert ledger == +shipped
        truth = [t for t in _truth(seller) if t["claim_type"] == "removal_unaccounted"]
        assert truth
        for t in truth:
            o = orders[t["removal_order_id"]]
            assert o["order-status"] == "Completed" and o["sku"] == t["sku"]
            left = int(o["requested-quantity"]) - sum(
                int(o[f"{k}-quantity"]) for k in ("cancelled", "disposed", "shipped", "in-process")
            )
            assert left == int(t["quantity"]) > 0
        claimed = {t["removal_order_id"] for t in truth}
        for oid, o in orders.items():
            if oid not in claimed and o["order-status"] == "Completed":
                assert int(o["requested-quantity"]) == sum(
                    int(o[f"{k}-quantity"]) for k in ("cancelled", "disposed", "shipped")
                )


def test_reversal_truth(sandbox):
    for seller in sandbox.sellers:
        reimb = {r["reimbursement-id"]: r for r in tsv(seller.files[REIMB])}
        found = defaultdict(list)
        for r in tsv(seller.files[LEDGER]):
            if r["Reason"] == "F":
                found[r["FNSKU"]].append(datetime.strptime(r["Date"], "%m/%d/%Y").date())
        truth = [t for t in _truth(seller) if t["claim_type"] == "reversal_unjustified"]
        assert truth
        claimed = set()
        for t in truth:
            rev = reimb[t["reference_id"]]
            claimed.add(t["reference_id"])
            assert rev["reason"] == "Reimbursement_Reversal" and rev["fnsku"] == t["fnsku"]
            assert Decimal(t["amount"]) == -Decimal(rev["amount-total"]) > 0
            original = reimb[rev["original-reimbursement-id"]]
            # claim-policy.md 2.13: no unit of the FNSKU found after the original (to as_of)
            lo = datetime.fromisoformat(original["approval-date"]).date()
            assert not any(lo <= d <= sandbox.scenario.as_of for d in found[t["fnsku"]])
        # Justified reversals (after a found unit or a returned item), and reversals owed as the
        # reopened warehouse_lost claim, exist and are not claimed.
        reversals = {k for k, r in reimb.items() if r["reason"] == "Reimbursement_Reversal"}
        assert reversals - claimed
