"""The weekly recovery report and the invoice as a seller sees them: opened from disk in headless
Chromium, the inline-SVG charts actually painted, the deadline funnel and open-claims table
there, and the fee due on the invoice."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser.screenshots import decode_png, pixel_stats
from tests.conftest import run_reclaim
from tests.orchestration import test_recovery_reporting as recovery

# `built` (tests/conftest.py): two sellers ingested, claims filed, paid, built
ME = recovery.ME
WAIT = 30  # seconds, for anything on a local file

# The SVG charts of week 2026-W47 (16-22 Nov): case recoveries (28.50), Amazon's own payment
# (3.00), the open claims' deadline funnel and the top SKUs all have data.
CHARTS = ("recovery", "automatic", "funnel", "skus")
BOXES_JS = """
const svg = document.getElementById(arguments[0]);
if (!svg) return null;
const box = (el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; };
return {svg: box(svg), bars: Array.from(svg.querySelectorAll('rect')).map(box)};
"""


def _open(browser, path, ready_css):
    browser.get(path.as_uri())
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    return WebDriverWait(browser, WAIT).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, ready_css))
    )


@pytest.mark.slow
def test_weekly_report_renders_its_charts_funnel_and_open_claims(built, browser, tmp_path):
    home, mine, theirs = built
    out = tmp_path / "weekly.html"
    r = run_reclaim(
        home.root, "report", "weekly", "--seller", ME, "--week", "2026-W47", "--out", str(out)
    )
    assert r.returncode == 0, r.stderr
    _open(browser, out, f'main[data-seller="{ME}"][data-week="2026-W47"]')
    assert "Life & Co" in browser.find_element(By.TAG_NAME, "h1").text

    for kind in CHARTS:
        boxes = browser.execute_script(BOXES_JS, f"chart-{kind}")
        assert boxes, f"chart-{kind} missing"
        width, height = boxes["svg"]
        assert width > 100 and height > 50, (kind, boxes["svg"])
        bars = boxes["bars"]
        assert bars and all(w > 0 and h > 0 for w, h in bars), (kind, bars)

    # The deadline funnel: one bar per stage with claims, its labels drawn.
    funnel = browser.find_element(By.CSS_SELECTOR, "#deadline-funnel svg#chart-funnel")
    assert funnel.is_displayed()
    assert "Ready to file" in funnel.text

    # Open claims by urgency: the rows the page says it shows, this seller's claims only.
    table = browser.find_element(By.ID, "open-claims-table")
    assert table.is_displayed()
    rows = table.find_elements(By.CSS_SELECTOR, "tbody tr.open-claim")
    assert rows and len(rows) == int(table.get_attribute("data-rows"))
    shown = {row.get_attribute("data-claim-id") for row in rows}
    with duckdb.connect(str(home.serving), read_only=True) as con:
        open_ids = {
            cid
            for (cid,) in con.execute(
                "select claim_id from marts.fct_recovery_open_claims "
                "where seller_id = ? and deadline_stage <> 'expired'",
                [ME],
            ).fetchall()
        }
    assert shown and shown <= open_ids
    assert not shown & set(theirs.values())
    assert mine["5550003"] not in shown  # C-777 was paid in full: no longer open
    assert all(row.size["height"] > 0 for row in rows)

    # Pixels, not just DOM: the page is not blank, and the case-recovery chart was painted in
    # its bar colour (#0072B2, the first claim type's).
    page = pixel_stats(browser.get_screenshot_as_png())
    assert not page.blank and page.colours > 50, page
    chart = browser.find_element(By.ID, "chart-recovery")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", chart)
    pixels = decode_png(chart.screenshot_as_png)[:, :, :3].astype(int)
    bar_blue = (np.abs(pixels - (0x00, 0x72, 0xB2)).sum(axis=2) <= 24).sum()
    assert bar_blue > 100, f"{bar_blue} pixels of the bar colour in the recovery chart"


@pytest.mark.slow
def test_invoice_page_shows_the_fee_due(built, browser):
    home, _, _ = built
    r = run_reclaim(
        home.root,
        "invoice",
        "--seller",
        ME,
        "--period-start",
        "2026-11-16",
        "--period-end",
        "2026-11-29",
    )
    assert r.returncode == 0, r.stderr
    path = home.root / "invoices" / ME / "invoice-2026-11-16_2026-11-29.html"
    assert str(path) in r.stdout
    _open(browser, path, f'main[data-seller="{ME}"]')
    due = browser.find_element(By.CSS_SELECTOR, '#invoice-totals tr.total[data-currency="USD"]')
    fee = due.find_element(By.CSS_SELECTOR, "td.fee-due")
    assert fee.is_displayed() and fee.text == "3.20"
    assert fee.size["width"] > 0 and fee.size["height"] > 0
    assert "matches" in browser.find_element(By.ID, "reconciliation").text
    assert not pixel_stats(browser.get_screenshot_as_png()).blank


FULL_PAGE_JS = (
    "return [document.documentElement.scrollWidth, document.documentElement.scrollHeight];"
)


def _full_page_png(browser, path):
    """A screenshot of the whole page (the window grown to the document), saved to path."""
    width, height = browser.execute_script(FULL_PAGE_JS)
    browser.set_window_size(max(width, 1200), height + 200)
    png = browser.get_screenshot_as_png()
    path.write_bytes(png)
    return png


@pytest.mark.slow
def test_weekly_report_after_a_reversal_shows_the_net_headline_and_the_cases(
    built, browser, tmp_path
):
    """Week 2026-W48: Amazon took back C-100's 12.50 (24 Nov), nothing new was paid, so the
    headline is -12.50 and says it was reversed; the cases section lists C-100 first (action
    needed, net 0.00) and C-777 (paid 16.00 the week before)."""
    home, _, theirs = built
    out = tmp_path / "weekly-2026-W48.html"
    r = run_reclaim(
        home.root, "report", "weekly", "--seller", ME, "--week", "2026-W48", "--out", str(out)
    )
    assert r.returncode == 0, r.stderr
    _open(browser, out, f'main[data-seller="{ME}"][data-week="2026-W48"]')

    headline = next(
        kpi
        for kpi in browser.find_elements(By.CSS_SELECTOR, ".kpis .kpi")
        if kpi.find_element(By.CSS_SELECTOR, ".k").text.lower() == "recovered this week (net)"
    )
    assert headline.find_element(By.CSS_SELECTOR, ".v").text == "-12.50 USD"
    assert "12.50 USD reversed" in headline.find_element(By.CSS_SELECTOR, ".n").text

    section = browser.find_element(By.ID, "cases")
    browser.execute_script("arguments[0].scrollIntoView({block: 'start'})", section)
    assert section.is_displayed()
    assert "1 case(s) need your or our action" in section.text
    rows = section.find_elements(By.CSS_SELECTOR, "#cases-table tr.case")
    assert [(r.get_attribute("data-case-id"), r.get_attribute("data-status")) for r in rows] == [
        ("C-100", "reversed"),
        ("C-777", "reimbursed"),
    ]
    cells = [
        {
            name: row.find_element(By.CSS_SELECTOR, f"td.{name}").text
            for name in ("recovered", "reversed", "net", "status")
        }
        for row in rows
    ]
    assert cells[0] == {
        "recovered": "12.50",
        "reversed": "-12.50",
        "net": "0.00",
        "status": "reversed",
    }
    assert (cells[1]["recovered"], cells[1]["net"]) == ("16.00", "16.00")
    assert all(row.is_displayed() and row.size["height"] > 0 for row in rows)
    assert not set(theirs.values()) & set(section.text.split())
    assert "99.00" not in section.text

    # Screenshots, saved for a human to look at: the cases section and the whole page.
    cases_png = section.screenshot_as_png
    (tmp_path / "weekly-2026-W48-cases.png").write_bytes(cases_png)
    full_png = _full_page_png(browser, tmp_path / "weekly-2026-W48-full.png")
    for png in (cases_png, full_png):
        stats = pixel_stats(png)
        assert not stats.blank and stats.colours > 20, stats
    full = decode_png(full_png)
    assert full.shape[0] > 1500, full.shape  # the page, not just the first screen
    # The reversed pill (#D55E00) was painted in the cases section.
    pixels = decode_png(cases_png)[:, :, :3].astype(int)
    red = (np.abs(pixels - (0xD5, 0x5E, 0x00)).sum(axis=2) <= 24).sum()
    assert red > 50, f"{red} pixels of the reversed pill's colour"
