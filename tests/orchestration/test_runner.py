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


def test_a_failed_blocking_check_is_named_with_what_it_found():
    """A run stopped by a blocking check says which check and what it found (the GX gate's
    description: expectation, column, rows), not only that "1 blocking asset check failed";
    a failed warning check is not a reason the run failed, and many failures are capped."""
    import dagster as dg

    from orchestration.runner import MAX_CHECK_LINES, _failed_checks

    @dg.asset
    def claims():
        return 1

    def check(name, severity, description):
        @dg.asset_check(asset=claims, name=name, blocking=True)
        def _check():
            return dg.AssetCheckResult(passed=False, severity=severity, description=description)

        return _check

    gate = check("gate", dg.AssetCheckSeverity.ERROR, "expect_x on quantity: 3 row(s), e.g. [0]")
    warn = check("advice", dg.AssetCheckSeverity.WARN, "only a warning")
    job = dg.Definitions(
        assets=[claims], asset_checks=[gate, warn], jobs=[dg.define_asset_job("j")]
    ).resolve_job_def("j")
    result = job.execute_in_process(raise_on_error=False)
    assert not result.success
    assert _failed_checks(result) == ["check claims:gate: expect_x on quantity: 3 row(s), e.g. [0]"]

    many = [
        check(f"c{i:02d}", dg.AssetCheckSeverity.ERROR, f"failure {i}")
        for i in range(MAX_CHECK_LINES + 3)
    ]
    job = dg.Definitions(
        assets=[claims], asset_checks=many, jobs=[dg.define_asset_job("j")]
    ).resolve_job_def("j")
    lines = _failed_checks(job.execute_in_process(raise_on_error=False))
    assert len(lines) == MAX_CHECK_LINES + 1 and lines[-1].startswith("... and 3 more")


@pytest.mark.parametrize("full_errors", [False, True])
def test_the_console_logger_prints_a_failed_step_on_one_line(capfd, full_errors):
    """Dagster's console lines are one line each (the stack stays in the run's event log), unless
    the CLI's --verbose asks for them whole."""
    import dagster as dg

    from orchestration.console_logger import one_line_console_logger

    @dg.op
    def pull_report():
        raise dg.Failure("SANDBOX1 GET_LEDGER_DETAIL_VIEW_DATA: cannot connect")

    @dg.job(logger_defs={"console": one_line_console_logger})
    def one_failing_step():
        pull_report()

    result = one_failing_step.execute_in_process(
        run_config={
            "loggers": {"console": {"config": {"log_level": "WARNING", "full_errors": full_errors}}}
        },
        raise_on_error=False,
    )
    assert not result.success
    err = capfd.readouterr().err
    failures = [ln for ln in err.splitlines() if "STEP_FAILURE" in ln]
    assert len(failures) == 1 and "pull_report" in failures[0], err
    if full_errors:
        assert "Stack Trace" in err and "cannot connect" in err
    else:
        assert "Stack Trace" not in err and failures[0].endswith("(details: Dagster UI)")
        assert all(" - dagster - " in ln for ln in err.splitlines() if ln.strip()), err


def test_a_failed_step_is_summarised_by_the_error_it_raised_not_dagsters_wrapper():
    """With the stack off the console, the CLI's summary must say what went wrong: the step's own
    error, not "Error occurred while executing op"."""
    import dagster as dg

    from orchestration.runner import _error_text

    @dg.op
    def build_models():
        raise RuntimeError("dbt parse failed: models/x.sql: syntax error at line 3")

    @dg.op
    def pull_report():
        raise dg.Failure("SANDBOX1 GET_LEDGER_DETAIL_VIEW_DATA: cannot connect")

    @dg.job
    def two_failing_steps():
        build_models()
        pull_report()

    result = two_failing_steps.execute_in_process(raise_on_error=False)
    texts = {
        e.step_key: _error_text(e.step_failure_data.error)
        for e in result.all_events
        if e.is_step_failure
    }
    assert texts["build_models"].startswith("RuntimeError: dbt parse failed: models/x.sql")
    assert "Error occurred while executing op" not in texts["build_models"]
    assert "SANDBOX1 GET_LEDGER_DETAIL_VIEW_DATA: cannot connect" in texts["pull_report"]
