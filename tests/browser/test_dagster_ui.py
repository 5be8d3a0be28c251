"""The Dagster UI as an operator uses it after `make dev`: the asset graph shows the pipeline,
and the build job launched from the UI's launchpad runs to Success in a run worker (the default
run launcher: a subprocess of the webserver's code location, with make dev's environment)."""

from __future__ import annotations

import re
import time

import duckdb
import pytest
from selenium.common.exceptions import (
    ElementClickInterceptedException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from orchestration.home import ReclaimHome
from tests.conftest import FIXTURES, run_reclaim
from tests.orchestration.test_webserver import dagster_dev

SELLER = "A1LIFE"
LOCATION = "fba_reclaim"
PAGE_WAIT = 60  # seconds for a page of the UI to show what we look for
RUN_WAIT = 360  # seconds for the build job (about 3 minutes on 2 cores)
POLL = 3
TERMINAL = ("Success", "Failure", "Canceled")

RUN_QUERY = """
query RunStatus($runId: ID!) {
  runOrError(runId: $runId) {
    __typename
    ... on Run { status jobName }
    ... on PythonError { message }
  }
}
"""


def _text(value: str) -> tuple[str, str]:
    """A visible element whose own text is exactly `value` (text, not generated class names)."""
    return By.XPATH, f"//*[not(self::script) and not(self::style)][normalize-space(.)='{value}']"


def _button(label: str) -> tuple[str, str]:
    return By.XPATH, f"//button[normalize-space(.)='{label}']"


def _visible(browser, locator):
    return [e for e in browser.find_elements(*locator) if _shown(e)]


def _shown(element) -> bool:
    try:
        return element.is_displayed()
    except StaleElementReferenceException:
        return False


def _dismiss_welcome(browser, wait: float = 5) -> None:
    """A fresh profile gets Dagster's one-off "Join the Dagster community" dialog: Skip it."""
    try:
        skip = WebDriverWait(browser, wait).until(EC.element_to_be_clickable(_button("Skip")))
    except TimeoutException:
        return
    skip.click()
    WebDriverWait(browser, PAGE_WAIT).until(EC.invisibility_of_element_located(_button("Skip")))


def _click(browser, locator) -> None:
    for _ in range(3):  # a dialog that opened late is dismissed, then the click is retried
        button = WebDriverWait(browser, PAGE_WAIT).until(EC.element_to_be_clickable(locator))
        try:
            button.click()
            return
        except ElementClickInterceptedException:
            _dismiss_welcome(browser, wait=2)
    raise AssertionError(f"could not click {locator[1]}")


@pytest.fixture
def seller_home(tmp_path):
    """A home with the hand-written reports ingested for one seller and nothing built; no SP-API
    seller, so the extraction assets would have nothing to pull."""
    home = ReclaimHome(tmp_path / "home")
    files = [
        str(FIXTURES / "handwritten" / n)
        for n in ("ledger.tsv", "reimbursements.tsv", "product_master.csv")
    ]
    r = run_reclaim(home.root, "ingest", "--seller", SELLER, *files)
    assert r.returncode == 0, r.stderr
    assert not home.serving.exists()
    return home


@pytest.mark.slow
def test_asset_graph_and_a_build_launched_from_the_ui(seller_home, browser, tmp_path):
    home = seller_home
    with dagster_dev(home.root, tmp_path / "dev.log") as server:
        entries = server.wait_for_location()
        assert entries, server.log_tail()
        [entry] = entries
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry

        # The asset graph of the publishing group: its assets and fct_claims upstream of them.
        browser.get(f"{server.url}/locations/{LOCATION}/asset-groups/publishing")
        _dismiss_welcome(browser)
        for name in ("fct_claims", "serving_warehouse", "claim_exports"):
            WebDriverWait(browser, PAGE_WAIT).until(
                lambda d, n=name: _visible(d, _text(n)), f"asset {name} not shown in the graph"
            )

        # The build job's launchpad, with its default config: Launch Run.
        browser.get(f"{server.url}/locations/{LOCATION}/jobs/build_job/playground")
        _dismiss_welcome(browser)
        _click(browser, _button("Launch Run"))
        WebDriverWait(browser, PAGE_WAIT).until(EC.url_matches(r"/runs/[0-9a-f-]{36}"))
        run_id = re.search(r"/runs/([0-9a-f-]{36})", browser.current_url).group(1)

        # The run page, until its status tag reads Success (bounded: RUN_WAIT seconds).
        status = None
        deadline = time.monotonic() + RUN_WAIT
        while time.monotonic() < deadline and server.proc.poll() is None:
            status = next((s for s in TERMINAL if _visible(browser, _text(s))), None)
            if status:
                break
            time.sleep(POLL)
        assert status == "Success", f"run {run_id}: {status or 'not finished'}\n" + (
            server.log_tail()
        )

        run = server.graphql(RUN_QUERY, {"runId": run_id})["data"]["runOrError"]
        assert run == {"__typename": "Run", "status": "SUCCESS", "jobName": "build_job"}, run

        # The asset graph shows what the run materialised.
        browser.get(f"{server.url}/locations/{LOCATION}/asset-groups/publishing")
        WebDriverWait(browser, PAGE_WAIT).until(
            lambda d: len(_visible(d, _text("Materialized"))) >= 2,
            "serving_warehouse and claim_exports not shown as materialized",
        )

    # The run wrote the serving copy (under this RECLAIM_HOME, not the repository's data/).
    with duckdb.connect(str(home.serving), read_only=True) as con:
        (claims,) = con.execute(
            "select count(*) from marts.fct_claims where seller_id = ?", [SELLER]
        ).fetchone()
    assert claims > 0
    assert list((home.exports / SELLER).glob("claims-ready-*.csv"))
