"""Headless Chromium, driven by Selenium, for the pages people look at.

Debian's chromium and chromium-driver (/usr/bin/chromium, /usr/bin/chromedriver; `.ci/run`
installs them). Selenium is pointed at that chromedriver, so selenium-manager never looks for (or
downloads) a driver or a browser of its own. Without them the tests are skipped, except under CI,
where their absence is a failure: CI must have installed them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WINDOW = (1280, 1000)
PAGE_LOAD_TIMEOUT = 60  # seconds, per navigation
SCRIPT_TIMEOUT = 30

# As root in a closed network: no sandbox, no GPU, and nothing that phones Google.
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
)


def _missing() -> list[str]:
    return [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]


@pytest.fixture(scope="session")
def _browser_binaries():
    missing = _missing()
    if missing:
        msg = (
            f"headless-browser tests need {' and '.join(missing)} "
            "(Debian: apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{msg}; CI must install them (.ci/run does)", pytrace=False)
        pytest.skip(msg)
    return CHROMIUM, CHROMEDRIVER


@pytest.fixture
def browser(_browser_binaries):
    """A fresh headless Chromium (its own empty profile), quit after the test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = _browser_binaries
    profile = tempfile.mkdtemp(prefix="reclaim-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(chromium)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    service = Service(executable_path=str(chromedriver))
    try:
        driver = webdriver.Chrome(service=service, options=options)
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    try:
        driver.set_page_load_timeout(PAGE_LOAD_TIMEOUT)
        driver.set_script_timeout(SCRIPT_TIMEOUT)
        driver.implicitly_wait(0)  # every wait is an explicit, bounded WebDriverWait
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
