"""The console logger of every job: Dagster's log lines on stderr, one line each.

Dagster's own console logger prints a failed step with its whole stack trace (about 80 lines per
failure, so a backfill whose credentials are unset printed over a thousand). The command that ran
the job prints its own summary of every failure, and the full error with its stack stays in the
run's event log (Dagster UI), so the console shows each message's first line only; `full_errors`
(the CLI's `--verbose`) prints them whole.
"""

from __future__ import annotations

import logging
import sys

import dagster as dg

FORMAT = "%(asctime)s - dagster - %(levelname)s - %(message)s"
DATE_FORMAT = "%Y-%m-%d %H:%M:%S %z"


class FirstLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        first, _, rest = super().format(record).partition("\n")
        return f"{first} (details: Dagster UI)" if rest.strip() else first


@dg.logger(
    config_schema={
        "log_level": dg.Field(str, is_required=False, default_value="INFO"),
        "full_errors": dg.Field(bool, is_required=False, default_value=False),
    },
    description="Dagster's log lines on stderr, one line each (whole with full_errors).",
)
def one_line_console_logger(init_context) -> logging.Logger:
    config = init_context.logger_config
    level = logging.getLevelName(str(config["log_level"]).upper())
    if not isinstance(level, int):
        raise dg.DagsterInvalidConfigError(
            f"console logger: unknown log_level {config['log_level']!r}", [], config
        )
    logger = logging.Logger("dagster", level=level)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter(FORMAT, DATE_FORMAT)
        if config["full_errors"]
        else FirstLineFormatter(FORMAT, DATE_FORMAT)
    )
    logger.addHandler(handler)
    return logger
