"""Fixtures for orchestration tests that talk to the SP-API emulator."""

from __future__ import annotations

import pytest
import sp_api.auth.access_token_client as token_module

from extractors.sandbox.emulator import SpApiEmulator
from extractors.sandbox.simulator import Scenario, generate
from orchestration.home import ReclaimHome
from orchestration.sellers import (
    SANDBOX_ENDPOINT_ENV,
    SANDBOX_TOKEN_URL_ENV,
    Seller,
    SellerRegistry,
)


@pytest.fixture
def sandbox_home(tmp_path, monkeypatch):
    """A home with one registered sandbox seller and the emulator serving it."""
    home = ReclaimHome(tmp_path / "home")
    manifest = generate(Scenario(sellers=1, months=2), tmp_path / "sandbox")
    info = manifest.sellers[0]
    monkeypatch.setenv("T_REFRESH", info.refresh_token)
    monkeypatch.setenv("T_APP", info.lwa_app_id)
    monkeypatch.setenv("T_SECRET", info.lwa_client_secret)
    SellerRegistry(home.state).upsert(
        Seller(
            seller_id=info.seller_id,
            kind="sandbox",
            region=info.region,
            marketplace_ids=[info.marketplace_id],
            credentials_env={
                "refresh_token": "T_REFRESH",
                "lwa_app_id": "T_APP",
                "lwa_client_secret": "T_SECRET",
            },
        )
    )
    token_module.cache.clear()
    with SpApiEmulator(manifest.out_dir) as emu:
        monkeypatch.setenv(SANDBOX_ENDPOINT_ENV, emu.endpoint)
        monkeypatch.setenv(SANDBOX_TOKEN_URL_ENV, emu.token_url)
        yield home, manifest, emu
    token_module.cache.clear()
