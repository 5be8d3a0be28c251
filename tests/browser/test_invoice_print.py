"""The invoice as a client receives it: the agency and bill-to blocks, the number, issue and due
dates and payment terms shown in headless Chromium; then printed to PDF on A4 and on Letter, and
laid out at each paper's printable width under print media, with nothing wider than the page."""

from __future__ import annotations

import base64
import json
import re
import shutil

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.print_page_options import PrintOptions
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from orchestration.home import ReclaimHome
from orchestration.sellers import SellerRegistry
from tests.browser.screenshots import pixel_stats
from tests.conftest import run_reclaim
from tests.orchestration import test_recovery_reporting as recovery

ME = recovery.ME
WAIT = 30  # seconds, for anything on a local file
CSS_PX_PER_CM = 96 / 2.54
MARGIN_CM = {"top": 1.4, "bottom": 1.4, "left": 1.2, "right": 1.2}  # as the invoice's @page
PAPERS = {"A4": (21.0, 29.7), "Letter": (21.59, 27.94)}  # width, height in cm
AGENCY = {
    "name": "Reclaim Partners Ltd",
    "address": ["1 Dock Road", "Harbourside", "Bristol BS1 4AA", "United Kingdom"],
    "email": "billing@reclaim.example",
    "tax_id": "GB123456789",
    "payment_terms_days": 21,
}
BILL_TO = ["Life & Co Ltd", "Accounts Payable", "1 Market Street", "Leeds LS1 1AA"]
# The rightmost edge of anything laid out, against the width the page has.
OVERFLOW_JS = """
const root = document.documentElement;
let right = 0, widest = '';
for (const el of document.querySelectorAll('body *')) {
  const r = el.getBoundingClientRect();
  if (r.width && r.right > right) { right = r.right; widest = el.tagName + '#' + el.id; }
}
return {scroll: root.scrollWidth, client: root.clientWidth, right: right, widest: widest};
"""


def _pages(pdf: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", pdf))


@pytest.mark.slow
def test_invoice_shows_who_bills_whom_and_prints_on_a4_and_letter(built, browser, tmp_path):
    src, _, _ = built
    home = ReclaimHome(tmp_path / "home")  # a copy: its registry and register are changed
    shutil.copytree(src.root, home.root)
    registry = SellerRegistry(home.state)
    registry.set_agency(AGENCY)
    seller = registry.get(ME)
    seller.settings.setdefault("recovery", {}).update(
        {"bill_to": BILL_TO, "payment_terms_days": 30}
    )
    registry.upsert(seller)
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
    (entry,) = [
        e
        for e in json.loads((home.state / "invoices.json").read_text())["invoices"]
        if e["seller_id"] == ME and e["period_start"] == "2026-11-16"
    ]
    assert f"issued {entry['issued_on']}, due {entry['due_on']} (payment terms 30 days)" in (
        r.stdout
    )
    path = home.root / "invoices" / ME / "invoice-2026-11-16_2026-11-29.html"

    browser.get(path.as_uri())
    WebDriverWait(browser, WAIT).until(
        lambda d: d.execute_script("return document.readyState") == "complete"
    )
    WebDriverWait(browser, WAIT).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, f'main[data-seller="{ME}"]'))
    )
    agency = browser.find_element(By.ID, "agency")
    assert agency.is_displayed()
    for text in (AGENCY["name"], *AGENCY["address"], AGENCY["email"], AGENCY["tax_id"]):
        assert text in agency.text, text
    bill_to = browser.find_element(By.ID, "bill-to")
    lines = [e.text for e in bill_to.find_elements(By.CSS_SELECTOR, ".line")]
    assert lines == BILL_TO
    assert browser.find_element(By.ID, "invoice-number").text == entry["number"]
    assert browser.find_element(By.ID, "issue-date").text == entry["issued_on"]
    assert browser.find_element(By.ID, "due-date").text == entry["due_on"]
    assert entry["payment_terms_days"] == 30
    assert browser.find_element(By.ID, "payment-terms").text == "Payment terms: 30 days"
    assert browser.find_element(By.ID, "invoice-period").text == "2026-11-16 to 2026-11-29"
    assert browser.find_element(By.CSS_SELECTOR, "td.fee-due").text == "3.20"
    (tmp_path / "invoice-screen.png").write_bytes(browser.get_screenshot_as_png())

    for paper, (width, height) in PAPERS.items():
        options = PrintOptions()
        options.page_width, options.page_height = width, height
        options.margin_top, options.margin_bottom = MARGIN_CM["top"], MARGIN_CM["bottom"]
        options.margin_left, options.margin_right = MARGIN_CM["left"], MARGIN_CM["right"]
        pdf = base64.b64decode(browser.print_page(options))
        (tmp_path / f"invoice-{paper}.pdf").write_bytes(pdf)
        assert pdf.startswith(b"%PDF-"), paper
        assert 1 <= _pages(pdf) <= 3, (paper, _pages(pdf))

    try:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert browser.execute_script("return matchMedia('print').matches")
        for paper, (width, height) in PAPERS.items():
            printable = int((width - MARGIN_CM["left"] - MARGIN_CM["right"]) * CSS_PX_PER_CM)
            tall = int((height - MARGIN_CM["top"] - MARGIN_CM["bottom"]) * CSS_PX_PER_CM)
            browser.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": printable, "height": tall, "deviceScaleFactor": 1, "mobile": False},
            )
            WebDriverWait(browser, WAIT).until(
                lambda d, w=printable: (
                    d.execute_script("return document.documentElement.clientWidth") == w
                )
            )
            laid = browser.execute_script(OVERFLOW_JS)
            assert laid["scroll"] <= laid["client"], (paper, laid)
            assert laid["right"] <= laid["client"] + 0.5, (paper, laid)
            shot = browser.get_screenshot_as_png()
            (tmp_path / f"invoice-print-{paper}.png").write_bytes(shot)
            assert not pixel_stats(shot).blank
    finally:
        browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
