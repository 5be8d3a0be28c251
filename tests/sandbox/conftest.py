from __future__ import annotations

import pytest
import sp_api.auth.access_token_client as token_module
from sp_api.api import Reports
from sp_api.auth import AccessTokenClient
from sp_api.base import Marketplaces
from sp_api.base.credential_provider import FromCodeCredentialProvider

from extractors.sandbox.emulator import SpApiEmulator
from extractors.sandbox.simulator import SandboxManifest, Scenario, generate


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory) -> SandboxManifest:
    """The default scenario, generated once per test session."""
    return generate(Scenario(), tmp_path_factory.mktemp("sandbox-default"))


@pytest.fixture
def emulator(sandbox):
    token_module.cache.clear()
    with SpApiEmulator(sandbox.out_dir) as emu:
        yield emu
    token_module.cache.clear()


def _token_client_for(endpoint: str) -> type[AccessTokenClient]:
    host = endpoint.split("://", 1)[1]
    return type("EmulatorTokenClient", (AccessTokenClient,), {"scheme": "http://", "host": host})


@pytest.fixture
def make_client(emulator, sandbox):
    """A real python-amazon-sp-api Reports client pointed at the emulator, for one seller."""
    clients = []

    def make(seller_id: str = "SANDBOX1", emu: SpApiEmulator | None = None, **overrides):
        emu = emu or emulator
        seller = sandbox.seller(seller_id)
        credentials = {
            "refresh_token": seller.refresh_token,
            "lwa_app_id": seller.lwa_app_id,
            "lwa_client_secret": seller.lwa_client_secret,
            **overrides,
        }
        client = Reports(
            Marketplaces.US,
            credentials=credentials,
            credential_providers=[FromCodeCredentialProvider],
            auth_token_client_class=_token_client_for(emu.endpoint),
            timeout=5,
        )
        client.endpoint = emu.endpoint
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
