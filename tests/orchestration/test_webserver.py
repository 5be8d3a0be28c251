"""`make dev` as an operator runs it: the Dagster webserver answers on 127.0.0.1 with the
code location loaded and the pipeline's assets and jobs visible, and stops on request."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from tests.conftest import REPO

QUERY = """
{
  workspaceOrError {
    ... on Workspace {
      locationEntries {
        name
        locationOrLoadError {
          __typename
          ... on RepositoryLocation {
            repositories { name jobs { name } assetNodes { assetKey { path } } }
          }
          ... on PythonError { message }
        }
      }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int) -> dict:
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": QUERY}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        return json.loads(resp.read())


@pytest.mark.slow
def test_make_dev_serves_the_code_location(tmp_path):
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RECLAIM_", "DAGSTER_", "SP_API_", "LWA_", "DBT_", "MAKE"))
    }
    env["RECLAIM_HOME"] = str(tmp_path / "home")
    log = open(tmp_path / "dev.log", "w")  # noqa: SIM115 - closed in finally
    # Its own process group: `dagster dev` and its children are stopped together.
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "dev", f"DEV_PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        entries = None
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                data = _graphql(port)
                entries = data["data"]["workspaceOrError"]["locationEntries"]
                loaded = [e for e in entries if e["locationOrLoadError"]]
                if loaded:
                    break
            except (OSError, KeyError, TypeError, ValueError):
                pass
            time.sleep(2)
        assert entries, (tmp_path / "dev.log").read_text()[-3000:]
        [entry] = entries
        assert entry["name"] == "fba_reclaim"
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        [repo] = location["repositories"]
        jobs = {j["name"] for j in repo["jobs"]}
        assert {"daily_job", "extract_job", "build_job"} <= jobs
        keys = {"/".join(a["assetKey"]["path"]) for a in repo["assetNodes"]}
        assert {"amazon/ledger_detail", "marts/fct_claims", "claim_exports"} <= keys
        # Dagster's own storage goes under RECLAIM_HOME, not the repository.
        assert (tmp_path / "home" / "dagster" / "storage").is_dir()
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
        log.close()
    assert proc.returncode is not None
