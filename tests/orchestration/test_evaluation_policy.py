"""`reclaim evaluate` keeps claims that wait for a policy row (status needs_data) out of the
detection figures: they are counted apart, and the truth they match leaves the recall."""

from __future__ import annotations

from orchestration.evaluation import evaluate, format_table


def _row(claim_type: str, sku: str, month: str, amount: str, status: str = "ready") -> dict:
    return {
        "seller_id": "S1",
        "claim_type": claim_type,
        "marketplace_id": "ATVPDKIKX0DER",
        "sku": sku,
        "event_date": month,
        "amount": amount,
        "status": status,
    }


def test_fee_claims_match_per_sku_and_month_and_waiting_claims_stand_apart() -> None:
    fee = "fulfillment_fee_overcharge"
    truth = [
        _row(fee, "A", "2026-10-01", "39.39"),
        _row(fee, "A", "2026-11-01", "26.52"),
        _row(fee, "CHAIR", "2026-10-01", "1792.65"),
    ]
    detected = [
        _row(fee, "A", "2026-10-01", "39.39"),
        _row(fee, "A", "2026-11-01", "26.52"),
        _row(fee, "CHAIR", "2026-10-01", "", status="needs_data"),
        _row(fee, "CHAIR", "2026-09-01", "", status="needs_data"),
    ]
    e = evaluate(truth, detected, "2026-11-20")["claim_types"][fee]
    assert (e["truth_count"], e["found_count"], e["tp_count"]) == (2, 2, 2)
    assert e["precision_count"] == e["recall_count"] == e["recall_usd"] == 1.0
    assert e["waiting_for_policy_count"] == 2
    assert e["truth_waiting_for_policy_count"] == 1
    assert e["truth_waiting_for_policy_usd"] == 1792.65
    table = format_table(evaluate(truth, detected, "2026-11-20"))
    assert "waiting" in table.splitlines()[0]
    assert next(ln for ln in table.splitlines() if ln.startswith(fee)).split()[-1] == "2"


def test_a_fee_claim_per_order_no_longer_matches() -> None:
    fee = "fulfillment_fee_overcharge"
    truth = [_row(fee, "A", "2026-10-01", "39.39")]
    per_order = dict(_row(fee, "A", "2026-10-07", "0.39"), order_id="111-1")
    e = evaluate(truth, [per_order], "2026-11-20")["claim_types"][fee]
    assert e["tp_count"] == 0 and e["found_count"] == 1


def test_status_says_how_many_claims_wait_for_a_policy_row_and_which() -> None:
    from orchestration.status import Status, format_status

    claim = {
        "seller_id": "S1",
        "ready": 2,
        "ready_value": 10,
        "expiring_7d": 0,
        "upcoming": 1,
        "awaiting_amazon": 0,
        "currency": "USD",
        "needs_policy": 7,
        "waiting_for_policy": "claim_windows warehouse_lost MX; fba_fulfillment_fees US",
    }
    out = format_status(
        Status(claims=[claim, dict(claim, seller_id="S2", needs_policy=0)], as_of="2026-11-20")
    )
    waiting = [ln for ln in out.splitlines() if "waiting for a policy row" in ln]
    assert waiting == [
        "    waiting for a policy row 7: claim_windows warehouse_lost MX; fba_fulfillment_fees US"
    ]


def test_status_lists_the_claims_waiting_for_data_by_what_would_complete_them() -> None:
    """Issue 18: one line per missing fact with the count and the report or file to load."""
    from orchestration.status import Status, format_status

    claim = {
        "seller_id": "S1",
        "ready": 0,
        "ready_value": 0,
        "expiring_7d": 0,
        "upcoming": 0,
        "awaiting_amazon": 0,
        "currency": "USD",
        "needs_policy": 0,
        "waiting_for_policy": None,
        "waiting_for_data": [
            {
                "missing": "refund amount and date",
                "completed_by": "settlement report or Finances transactions",
                "claims": 3,
                "example": "refund amount and date for order O8, SKU K1 (...)",
            },
            {
                "missing": "unit cost",
                "completed_by": "product master",
                "claims": 1,
                "example": "unit cost of SKU K9 in the product master (...)",
            },
        ],
    }
    out = format_status(Status(claims=[claim], as_of="2026-11-20"))
    waiting = [ln for ln in out.splitlines() if "waiting for" in ln]
    assert waiting == [
        "    waiting for data 3: refund amount and date (load the settlement report or Finances "
        "transactions)",
        "    waiting for data 1: unit cost (load the product master)",
    ]


def test_status_reads_the_waiting_groups_from_the_claim_queue(tmp_path) -> None:
    import duckdb

    from orchestration.status import _waiting_for_data

    with duckdb.connect(str(tmp_path / "serving.duckdb")) as con:
        con.execute("create schema marts")
        con.execute(
            """
            create table marts.fct_claims as select * from (values
                ('S1', 'needs_data', 'refund amount and date for order O8, SKU K1 (...)',
                 'refund amount and date: settlement report or Finances transactions'),
                ('S1', 'needs_data', 'refund amount and date for order O9, SKU K1 (...)',
                 'refund amount and date: settlement report or Finances transactions'),
                ('S1', 'needs_data', 'unit cost of SKU K9 in the product master (...)',
                 'unit cost: product master'),
                ('S1', 'expired', 'unit cost of SKU K7 in the product master (...)',
                 'unit cost: product master'),
                ('S1', 'needs_data', null, null),
                ('S2', 'ready', null, null)
            ) as t(seller_id, status, missing_data, waiting_for_data)
            """
        )
        groups = _waiting_for_data(con)
    assert groups == {
        "S1": [
            {
                "missing": "refund amount and date",
                "completed_by": "settlement report or Finances transactions",
                "claims": 2,
                "example": "refund amount and date for order O8, SKU K1 (...)",
            },
            {
                "missing": "unit cost",
                "completed_by": "product master",
                "claims": 1,
                "example": "unit cost of SKU K9 in the product master (...)",
            },
        ]
    }


def test_claims_show_says_what_a_waiting_claim_needs(tmp_path) -> None:
    import duckdb

    from orchestration.claim_lookup import _SHOWN, find_claims, format_record

    values = {c: None for c in _SHOWN} | {
        "claim_id": "CLM-0000000000000001",
        "seller_id": "S1",
        "claim_type": "return_damaged_unreimbursed",
        "status": "needs_data",
        "order_id": "O8",
        "sku": "K1",
        "quantity": 1,
    }
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        con.execute("create schema marts")
        cols = ", ".join(f"? as {c}" for c in values)
        con.execute(
            f"create table marts.fct_claims as select {cols}, ? as missing_data, "
            "cast(null as varchar) as waiting_for_policy",
            [*values.values(), "refund amount and date for order O8, SKU K1 (...)"],
        )
        [record] = find_claims(con, tmp_path / "state", "O8")
    text = format_record(record)
    assert "  waiting for data: refund amount and date for order O8, SKU K1 (...)" in text
    assert "waiting for a policy row" not in text
