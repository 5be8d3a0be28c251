"""NextToken paging of the API extractors (extractors.spapi.api_extract._paged): every way a
server can keep handing out tokens ends, either on its own or in a clear error."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from extractors.spapi import api_extract


def _direct(operation, fn, what):  # the ApiCaller's shape, without pacing or retries
    return fn()


def _page(items, token=None):
    payload = {"ItemData": [{"ShipmentId": "FBA1", "SellerSKU": s} for s in items]}
    if token:
        payload["NextToken"] = token
    return SimpleNamespace(payload=payload)


def _items(pages):
    return [i["SellerSKU"] for p in pages for i in p["payload"]["ItemData"]]


RECORDS = ("ItemData", api_extract._item_key)


def test_a_repeated_token_ends_paging():
    calls = []

    def more(token):
        calls.append(token)
        return _page(["B"], "T1")  # Amazon's examples: the same token again

    pages = api_extract._paged(_direct, "op", lambda: _page(["A"], "T1"), more, "x")
    assert _items(pages) == ["A", "B"] and calls == ["T1"]


def test_a_page_with_nothing_new_ends_paging_and_duplicates_are_dropped():
    answers = iter([_page(["B", "A"], "T2"), _page(["B"], "T3")])
    pages = api_extract._paged(
        _direct, "op", lambda: _page(["A"], "T1"), lambda t: next(answers), "x", records=RECORDS
    )
    assert _items(pages) == ["A", "B"]  # A is not landed twice; the all-duplicate page ends it
    assert next(answers, None) is None  # both answers asked for, no more


def test_endless_fresh_pages_fail_clearly_past_the_bound():
    counter = iter(range(10_000))

    def more(token):
        n = next(counter)
        return _page([f"S{n}"], f"T{n + 1}")

    with pytest.raises(RuntimeError, match=r"more than 5 pages of getShipmentItems"):
        api_extract._paged(
            _direct, "getShipmentItemsByShipmentId", lambda: _page(["A"], "T0"), more,
            "getShipmentItemsByShipmentId FBA1", records=RECORDS,
            more_operation="getShipmentItems", max_pages=5,
        )  # fmt: skip
    assert next(counter) == 5  # 1 first page + 5 more calls, then the error


def test_empty_pages_with_new_tokens_still_page_without_records():
    """Finances pages may be empty with a NextToken (the model says so): without `records`,
    only a repeated token or the bound ends paging."""
    answers = iter([_page([], "T2"), _page(["B"])])
    pages = api_extract._paged(_direct, "op", lambda: _page([], "T1"), lambda t: next(answers), "x")
    assert _items(pages) == ["B"] and len(pages) == 3
