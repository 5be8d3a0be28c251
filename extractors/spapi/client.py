"""python-amazon-sp-api clients for one seller, pointed at Amazon or at a local emulator.

The library has no endpoint override; it reads the API host from `client.endpoint` on every
request and the LWA token URL from class attributes of its token client, so both are set here
(../shared/reference/sp-api-client.md §0, §2.9). Credentials come only from the code path that
builds the connection (normally environment variables named in the seller registry); the
library's own environment/config-file lookup is switched off so nothing stray leaks in.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import quote, urlsplit

import sp_api.auth.access_token_client as token_module
from sp_api.api import Reports
from sp_api.api.finances.finances_2024_06_19 import FinancesV20240619
from sp_api.api.finances.finances_v0 import FinancesV0
from sp_api.api.fulfillment_inbound.fulfillment_inbound_v0 import FulfillmentInboundV0
from sp_api.auth import AccessTokenClient
from sp_api.base import Marketplaces
from sp_api.base.credential_provider import FromCodeCredentialProvider

DEFAULT_TIMEOUT_S = 30.0

_BY_MARKETPLACE_ID = {m.marketplace_id: m for m in Marketplaces}


class MissingCredentials(RuntimeError):
    pass


@dataclass(frozen=True)
class SpApiConnection:
    """Everything needed to talk to SP-API as one seller. Secrets are excluded from repr."""

    marketplace_id: str
    refresh_token: str = field(repr=False)
    lwa_app_id: str = field(repr=False)
    lwa_client_secret: str = field(repr=False)
    endpoint: str | None = None  # e.g. http://127.0.0.1:8123 for the sandbox emulator
    token_url: str | None = None  # e.g. http://127.0.0.1:8123/auth/o2/token
    timeout: float = DEFAULT_TIMEOUT_S
    # Multiplies Amazon's rate limits in client-side pacing (extractors.spapi.pacing): 1.0 for
    # Amazon; the sandbox emulator, which runs Amazon's processing in milliseconds, allows more.
    rate_speedup: float = 1.0

    @classmethod
    def from_env(
        cls,
        marketplace_id: str,
        *,
        refresh_token_env: str,
        app_id_env: str = "LWA_APP_ID",
        client_secret_env: str = "LWA_CLIENT_SECRET",
        endpoint: str | None = None,
        token_url: str | None = None,
        rate_speedup: float = 1.0,
    ) -> SpApiConnection:
        values = {}
        missing = []
        for key, env in (
            ("refresh_token", refresh_token_env),
            ("lwa_app_id", app_id_env),
            ("lwa_client_secret", client_secret_env),
        ):
            value = os.environ.get(env, "")
            if not value:
                missing.append(env)
            values[key] = value
        if missing:
            raise MissingCredentials(
                "SP-API credentials missing: set the environment variable(s) " + ", ".join(missing)
            )
        return cls(
            marketplace_id=marketplace_id,
            endpoint=endpoint,
            token_url=token_url,
            rate_speedup=rate_speedup,
            **values,
        )

    @property
    def pacing_key(self) -> str:
        """Amazon meters per selling partner and application: the key for client-side pacing,
        derived from the credentials without holding them."""
        digest = hashlib.sha256(f"{self.lwa_app_id}:{self.refresh_token}".encode())
        return digest.hexdigest()[:16]

    @property
    def marketplace(self) -> Marketplaces:
        try:
            return _BY_MARKETPLACE_ID[self.marketplace_id]
        except KeyError:
            raise ValueError(f"unknown marketplace id {self.marketplace_id!r}") from None


def _token_client_class(token_url: str | None) -> type[AccessTokenClient]:
    if not token_url:
        return AccessTokenClient
    parts = urlsplit(token_url)
    return type(
        "LocalAccessTokenClient",
        (AccessTokenClient,),
        {"scheme": f"{parts.scheme}://", "host": parts.netloc, "path": parts.path or "/"},
    )


class _HostFromEndpoint:
    """The library derives the Host header as endpoint[8:], which assumes https://."""

    @property
    def headers(self):
        h = super().headers
        h["host"] = urlsplit(self.endpoint).netloc
        return h


class ReportsClient(_HostFromEndpoint, Reports):
    pass


class _DecimalBody:
    """A response whose JSON numbers are read as Decimal (the library's `res.json()` gives
    floats: money must never pass through a float, DESIGN.md rule 2)."""

    def __init__(self, res):
        self._res = res

    def __getattr__(self, name):
        return getattr(self._res, name)

    def json(self, **kwargs):
        return json.loads(self._res.content, parse_float=Decimal)


class _DecimalMoney:
    def _check_response(self, res, *args, **kwargs):
        return super()._check_response(_DecimalBody(res), *args, **kwargs)


# The versioned dispatchers (`Finances`, `FulfillmentInbound`) default to v0 anyway; the v0
# classes are named explicitly so a library default change cannot switch API versions under us
# (sp-api-client.md §4, §5, §8.23). Only their read operations are used.
class FinancesClient(_DecimalMoney, _HostFromEndpoint, FinancesV0):
    def list_financial_events(self, **kwargs):
        """listFinancialEvents with the model's parameters only (it takes no marketplace: the
        library would add its four marketplace spellings to the query)."""
        return self._request("/finances/v0/financialEvents", params=kwargs, add_marketplace=False)


# Finances v2024-06-19 (`Finances(version="2024-06-19")` in the library): only list_transactions
# exists in Amazon's model (sp-api-client.md §4).
class FinanceTransactionsClient(_DecimalMoney, _HostFromEndpoint, FinancesV20240619):
    def list_transactions(self, **kwargs):
        """listTransactions with the model's parameters only. The library would add its four
        marketplace spellings, none of which is the model's optional `marketplaceId`; that one is
        left out too, so every marketplace of the account is listed."""
        return self._request(
            "/finances/2024-06-19/transactions", params=kwargs, add_marketplace=False
        )


class InboundClient(_HostFromEndpoint, FulfillmentInboundV0):
    def shipment_items_by_shipment_only(self, shipment_id: str):
        """getShipmentItemsByShipmentId as the model defines it: the shipment id in the path and
        no query at all. The library's `shipment_items_by_shipment` adds its four marketplace
        parameters; the model's only one here, MarketplaceId, is "Deprecated. Do not use."."""
        path = f"/fba/inbound/v0/shipments/{quote(shipment_id, safe='')}/items"
        return self._request(path, params={}, add_marketplace=False)


def _client(cls, conn: SpApiConnection):
    client = cls(
        conn.marketplace,
        credentials={
            "refresh_token": conn.refresh_token,
            "lwa_app_id": conn.lwa_app_id,
            "lwa_client_secret": conn.lwa_client_secret,
        },
        credential_providers=[FromCodeCredentialProvider],
        auth_token_client_class=_token_client_class(conn.token_url),
        timeout=conn.timeout,
    )
    if conn.endpoint:
        client.endpoint = conn.endpoint.rstrip("/")
    return client


def reports_client(conn: SpApiConnection) -> ReportsClient:
    return _client(ReportsClient, conn)


def finances_client(conn: SpApiConnection) -> FinancesClient:
    return _client(FinancesClient, conn)


def finance_transactions_client(conn: SpApiConnection) -> FinanceTransactionsClient:
    return _client(FinanceTransactionsClient, conn)


def inbound_client(conn: SpApiConnection) -> InboundClient:
    return _client(InboundClient, conn)


def clear_token_cache() -> None:
    """The library caches LWA tokens process-wide for ~53 minutes and never refreshes on 403."""
    token_module.cache.clear()
