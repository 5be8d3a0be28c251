from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).parent / "fixtures"
RECLAIM = str(Path(sys.executable).with_name("reclaim"))


def run_reclaim(home: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """The installed `reclaim` console script, as a user runs it, in a fresh process."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("RECLAIM_", "DAGSTER_", "SP_API_", "LWA_", "DBT_"))
    }
    env["RECLAIM_HOME"] = str(home)
    return subprocess.run(
        [RECLAIM, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def reclaim():
    return run_reclaim


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The recovery scenario of tests/orchestration/test_recovery_reporting.py, built once per
    session: (home, claim ids of A1LIFE, claim ids of A2OTHER) by ledger reference id."""
    from tests.orchestration.test_recovery_reporting import build_recovery_home

    return build_recovery_home(tmp_path_factory.mktemp("recovery"))
