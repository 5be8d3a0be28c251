"""Fixtures for the conformance suite: a small generated sandbox and an emulator that records
every SP-API exchange (SpApiEmulator.wire), so tests can check each one against the models."""

from __future__ import annotations

import pytest
import sp_api.auth.access_token_client as token_module

from extractors.sandbox.emulator import SpApiEmulator
from extractors.sandbox.simulator import Scenario, generate
from tests.conformance.models import find_operation


@pytest.fixture(scope="session")
def conformance_sandbox(tmp_path_factory):
    """Two sandbox sellers, three months (shipments with several items each)."""
    return generate(Scenario(sellers=2, months=3), tmp_path_factory.mktemp("conformance"))


@pytest.fixture
def recording_emulator(conformance_sandbox):
    """The emulator with small inbound pages (so every NextToken path is taken) and reports
    finishing on the second poll, recording every exchange."""
    token_module.cache.clear()
    with SpApiEmulator(conformance_sandbox.out_dir, inbound_page_size=2, polls_to_done=2) as emu:
        emu.wire = []
        yield emu
    token_module.cache.clear()


def response_problems(wire: list[dict]) -> list[str]:
    """Every way the recorded responses differ from what the models allow."""
    problems = []
    for ex in wire:
        hit = find_operation(ex["method"], ex["path"])
        if hit is None:
            if ex["operation"] is not None:
                problems.append(f"{ex['method']} {ex['path']}: served, but no model operation")
            continue
        op, _ = hit
        if ex["operation"] != op.operation_id:
            problems.append(
                f"{ex['method']} {ex['path']}: served as {ex['operation']}, "
                f"the model says {op.operation_id}"
            )
        problems += op.response_errors(ex["status"], ex["body"], ex["headers"])
    return problems
