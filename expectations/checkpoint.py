"""Run the suites in `suites/` against marts handed over as pandas DataFrames.

GX's SQL datasource does not support DuckDB, so the caller reads each mart through a short-lived
read-only connection and passes the frame (stack-notes.md). The context is ephemeral: nothing is
written into the repository; validation results are rendered as Data Docs under the directory
the caller names (RECLAIM_HOME/data_docs).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

SUITES_DIR = Path(__file__).parent / "suites"


@dataclass
class ExpectationFailure:
    expectation: str
    column: str | None
    unexpected_count: int | None
    examples: list

    def __str__(self) -> str:
        where = f" on {self.column}" if self.column else ""
        count = f": {self.unexpected_count} row(s)" if self.unexpected_count else ""
        sample = f", e.g. {self.examples[:3]}" if self.examples else ""
        return f"{self.expectation}{where}{count}{sample}"


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    rows: int
    evaluated: int
    failures: list[ExpectationFailure] = field(default_factory=list)
    data_docs: Path | None = None


def suite_names() -> list[str]:
    return sorted(p.stem for p in SUITES_DIR.glob("*.json"))


def _load_suite(gx, name: str):
    spec = json.loads((SUITES_DIR / f"{name}.json").read_text(encoding="utf-8"))
    suite = gx.ExpectationSuite(name=spec["name"], meta={"description": spec.get("description")})
    from great_expectations.expectations.expectation_configuration import (
        ExpectationConfiguration,
    )

    for e in spec["expectations"]:
        suite.add_expectation_configuration(
            ExpectationConfiguration(type=e["type"], kwargs=e["kwargs"])
        )
    return suite


def validate(suite_name: str, frame: pd.DataFrame, docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate `frame` against suite `suite_name`; build Data Docs into `docs_dir` if given."""
    import great_expectations as gx

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False, "metric_calculations": False}
    actions = []
    if docs_dir is not None:
        docs_dir.mkdir(parents=True, exist_ok=True)
        context.add_data_docs_site(
            site_name="reclaim",
            site_config={
                "class_name": "SiteBuilder",
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_dir),
                },
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            },
        )
        actions.append(gx.checkpoint.UpdateDataDocsAction(name="data_docs"))
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(suite_name)
        .add_batch_definition_whole_dataframe("whole")
    )
    suite = context.suites.add(_load_suite(gx, suite_name))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=suite_name, data=batch, suite=suite)
    )
    checkpoint = context.checkpoints.add(
        gx.Checkpoint(name="exported_marts", validation_definitions=[definition], actions=actions)
    )
    result = checkpoint.run(batch_parameters={"dataframe": frame})
    failures, evaluated = [], 0
    for run in result.run_results.values():
        for r in run.results:
            evaluated += 1
            if r.success:
                continue
            kwargs = r.expectation_config.kwargs
            failures.append(
                ExpectationFailure(
                    expectation=r.expectation_config.type,
                    column=kwargs.get("column") or kwargs.get("column_A"),
                    unexpected_count=r.result.get("unexpected_count"),
                    examples=list(r.result.get("partial_unexpected_list") or [])[:5],
                )
            )
    return SuiteOutcome(
        suite=suite_name,
        success=bool(result.success),
        rows=len(frame),
        evaluated=evaluated,
        failures=failures,
        data_docs=(docs_dir / "index.html") if docs_dir is not None else None,
    )
