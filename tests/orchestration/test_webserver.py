"""`make dev` as an operator runs it: the Dagster webserver answers on 127.0.0.1 with the
code location loaded and the pipeline's assets and jobs visible, and stops on request."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

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


def dev_env(home: Path) -> dict[str, str]:
    """The environment an operator's shell gives `make dev`: none of ours leaks in but the home."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RECLAIM_", "DAGSTER_", "SP_API_", "LWA_", "DBT_", "MAKE"))
    }
    env["RECLAIM_HOME"] = str(home)
    return env


@dataclass
class DevServer:
    """`make dev DEV_PORT=<free port>` on 127.0.0.1, in its own process group (`dagster dev`, its
    daemon, code server and run workers are stopped together). Shared with tests/browser."""

    proc: subprocess.Popen
    port: int
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def graphql(self, query: str = QUERY, variables: dict | None = None) -> dict:
        req = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def wait_for_location(self, timeout: float = 240) -> list | None:
        """The workspace's location entries once one has loaded (or failed to); None if the
        server did not answer in time or exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                entries = self.graphql()["data"]["workspaceOrError"]["locationEntries"]
                if [e for e in entries if e["locationOrLoadError"]]:
                    return entries
            except (OSError, KeyError, TypeError, ValueError):
                pass
            time.sleep(2)
        return None

    def log_tail(self, chars: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def _signal_group(self, sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)

    def stop(self) -> None:
        self._signal_group(signal.SIGINT)
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self._signal_group(signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._signal_group(signal.SIGKILL)  # anything of the group still left


@contextlib.contextmanager
def dagster_dev(home: Path, log_path: Path) -> Iterator[DevServer]:
    port = _free_port()
    with open(log_path, "w") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "dev", f"DEV_PORT={port}"],
            cwd=REPO,
            env=dev_env(home),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        server = DevServer(proc, port, log_path)
        try:
            yield server
        finally:
            server.stop()


@pytest.mark.slow
def test_make_dev_serves_the_code_location(tmp_path):
    with dagster_dev(tmp_path / "home", tmp_path / "dev.log") as server:
        entries = server.wait_for_location()
        assert entries, server.log_tail()
        [entry] = entries
        assert entry["name"] == "fba_reclaim"
        location = entry["locationOrLoadError"]
        assert location["__typename"] == "RepositoryLocation", location
        [repo] = location["repositories"]
        jobs = {j["name"] for j in repo["jobs"]}
        assert {"extract_job", "build_job"} <= jobs
        keys = {"/".join(a["assetKey"]["path"]) for a in repo["assetNodes"]}
        assert {"amazon/ledger_detail", "marts/fct_claims", "claim_exports"} <= keys
        # Dagster's own storage goes under RECLAIM_HOME, not the repository.
        assert (tmp_path / "home" / "dagster" / "storage").is_dir()
    assert server.proc.returncode is not None
