"""How many sellers are pulled at once is the operator's setting: a value that is not a whole
number of at least one is refused by name before anything runs."""

from __future__ import annotations

import pytest

from orchestration.home import ReclaimHome
from orchestration.runner import (
    EXTRACT_PARALLEL_ENV,
    PartitionRun,
    PipelineFailed,
    run_partitions,
)


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", ""])
def test_a_parallelism_below_one_or_not_a_number_is_refused(tmp_path, monkeypatch, value):
    monkeypatch.setenv(EXTRACT_PARALLEL_ENV, value)
    home = ReclaimHome(tmp_path / "home")
    monkeypatch.setenv("RECLAIM_HOME", str(home.root))  # the runner exports it; restored after
    runs = [PartitionRun("2026-11-20|SANDBOX1", {})]
    with pytest.raises(PipelineFailed, match=rf"{EXTRACT_PARALLEL_ENV}=.*whole number >= 1"):
        run_partitions(home, "extract_job", runs)
    assert not (home.root / "logs").exists()  # nothing ran
