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


def _sandbox_home(tmp_path, monkeypatch, sellers: int):
    home = ReclaimHome(tmp_path / "home")
    manifest = generate(Scenario(sellers=sellers, months=2), tmp_path / "sandbox")
    for n, info in enumerate(manifest.sellers):
        env = {
            k: f"T_{k.upper()}_{n}" for k in ("refresh_token", "lwa_app_id", "lwa_client_secret")
        }
        monkeypatch.setenv(env["refresh_token"], info.refresh_token)
        monkeypatch.setenv(env["lwa_app_id"], info.lwa_app_id)
        monkeypatch.setenv(env["lwa_client_secret"], info.lwa_client_secret)
        SellerRegistry(home.state).upsert(
            Seller(
                seller_id=info.seller_id,
                kind="sandbox",
                region=info.region,
                marketplace_ids=[info.marketplace_id],
                credentials_env=env,
            )
        )
    return home, manifest


@pytest.fixture
def sandbox_home(tmp_path, monkeypatch):
    """A home with one registered sandbox seller and the emulator serving it."""
    home, manifest = _sandbox_home(tmp_path, monkeypatch, 1)
    token_module.cache.clear()
    with SpApiEmulator(manifest.out_dir, settlement_retention_days=None) as emu:
        monkeypatch.setenv(SANDBOX_ENDPOINT_ENV, emu.endpoint)
        monkeypatch.setenv(SANDBOX_TOKEN_URL_ENV, emu.token_url)
        yield home, manifest, emu
    token_module.cache.clear()


@pytest.fixture
def two_seller_home(tmp_path, monkeypatch):
    """The same with two sandbox sellers."""
    home, manifest = _sandbox_home(tmp_path, monkeypatch, 2)
    token_module.cache.clear()
    with SpApiEmulator(manifest.out_dir, settlement_retention_days=None) as emu:
        monkeypatch.setenv(SANDBOX_ENDPOINT_ENV, emu.endpoint)
        monkeypatch.setenv(SANDBOX_TOKEN_URL_ENV, emu.token_url)
        yield home, manifest, emu
    token_module.cache.clear()


def materialize_seller_day(assets, home, seller_id, day, ops_config, **kwargs):
    """Materialise extraction `assets` for partition (day, seller) as a run of extract_job would,
    on an ephemeral instance that knows the seller."""
    import dagster as dg

    from orchestration.assets.extraction import SELLERS, seller_day_key
    from orchestration.resources import ReclaimHomeResource

    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(SELLERS.name, [seller_id])
        return dg.materialize(
            assets,
            instance=instance,
            partition_key=seller_day_key(seller_id, day),
            resources={"reclaim": ReclaimHomeResource(root=str(home.root))},
            run_config={"ops": ops_config},
            **kwargs,
        )
