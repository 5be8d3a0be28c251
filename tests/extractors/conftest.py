"""Fixtures for extractor tests that talk to the SP-API emulator over HTTP."""

from __future__ import annotations

import pytest
import sp_api.auth.access_token_client as token_module

from extractors.sandbox.emulator import SpApiEmulator
from extractors.sandbox.simulator import Scenario, generate
from extractors.spapi.client import SpApiConnection
from extractors.spapi.reports import RetryPolicy

# Retries without waiting: the emulator's faults are immediate.
NO_SLEEP = RetryPolicy(attempts=3, base_delay_s=0.0, sleep=lambda s: None)


@pytest.fixture(scope="module")
def scenario_dir(tmp_path_factory):
    """Two sandbox sellers, three months, generated once per test module."""
    out = tmp_path_factory.mktemp("sandbox")
    return generate(Scenario(sellers=2, months=3), out)


@pytest.fixture
def emulator(scenario_dir):
    """The emulator serving `scenario_dir`, with python-amazon-sp-api's token cache cleared.
    Every settlement is listed (no 90-day retention against the wall clock, which moves past the
    scenario's fixed as_of): tests of the retention build their own emulator."""
    token_module.cache.clear()
    with SpApiEmulator(scenario_dir.out_dir, settlement_retention_days=None) as emu:
        yield emu
    token_module.cache.clear()


def emulator_connection(emu, seller_id="SANDBOX1") -> SpApiConnection:
    """A sandbox seller's connection to the emulator, paced a million times faster than Amazon."""
    return emu.connection(seller_id, timeout=10, rate_speedup=1e6)
