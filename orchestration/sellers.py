"""The seller registry: `state/sellers.json`, human-maintained, never rewritten by a run except
to add a seller that a user named (ingest, demo).

Beside "sellers", an optional top-level "agency" object says who bills (name, address lines,
email, tax id, default payment terms: orchestration.reporting.settings.parse_agency); rewriting
the registry keeps it, and anything else at the top level, as it was.

A seller record holds no secret: only the *names* of the environment variables that hold its
SP-API credentials (DESIGN.md rule 8).
"""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from extractors.landing import check_seller_id
from extractors.spapi.client import SpApiConnection

SANDBOX_ENDPOINT_ENV = "RECLAIM_SANDBOX_ENDPOINT"
SANDBOX_TOKEN_URL_ENV = "RECLAIM_SANDBOX_TOKEN_URL"
SANDBOX_RATE_SPEEDUP_ENV = "RECLAIM_SANDBOX_RATE_SPEEDUP"


@dataclass
class Seller:
    seller_id: str
    name: str = ""
    kind: str = "files"  # "sp-api" (pulled from Amazon), "sandbox" (emulator), "files" (ingest)
    region: str | None = None  # NA, EU, FE; None = derive from the data's country
    marketplace_ids: list[str] = field(default_factory=list)
    credentials_env: dict[str, str] = field(default_factory=dict)
    settings: dict = field(default_factory=dict)  # "recovery": see orchestration.reporting

    @property
    def recovery(self):
        """Recovery settings (fee, cadence, thresholds), validated, defaults for what is unset."""
        from orchestration.reporting.settings import seller_settings

        return seller_settings(self)

    def connection(self, marketplace_id: str | None = None) -> SpApiConnection:
        if self.kind not in ("sp-api", "sandbox"):
            raise ValueError(f"seller {self.seller_id} is not connected to SP-API ({self.kind})")
        endpoint = token_url = None
        rate_speedup = 1.0
        if self.kind == "sandbox":
            # The emulator processes reports in milliseconds; pacing at Amazon's real rates
            # (one createReport a minute after the burst) would only slow the demo down.
            rate_speedup = float(os.environ.get(SANDBOX_RATE_SPEEDUP_ENV, "1000"))
            endpoint = os.environ.get(SANDBOX_ENDPOINT_ENV)
            token_url = os.environ.get(SANDBOX_TOKEN_URL_ENV)
            if not endpoint or not token_url:
                raise RuntimeError(
                    f"sandbox seller {self.seller_id}: the sandbox emulator is not running "
                    f"({SANDBOX_ENDPOINT_ENV} / {SANDBOX_TOKEN_URL_ENV} unset); use `reclaim demo`"
                )
        env = self.credentials_env
        return SpApiConnection.from_env(
            marketplace_id or self.marketplace_ids[0],
            refresh_token_env=env.get("refresh_token", f"SP_API_REFRESH_TOKEN_{self.seller_id}"),
            app_id_env=env.get("lwa_app_id", "LWA_APP_ID"),
            client_secret_env=env.get("lwa_client_secret", "LWA_CLIENT_SECRET"),
            endpoint=endpoint,
            token_url=token_url,
            rate_speedup=rate_speedup,
        )


class SellerRegistry:
    def __init__(self, state_dir: Path):
        self.path = Path(state_dir) / "sellers.json"

    def _read(self) -> dict:
        if not self.path.exists():
            return {}
        try:
            data = json.loads(self.path.read_text())
            if not isinstance(data, dict):
                raise TypeError('the registry must be an object {"sellers": [...]}')
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{self.path}: not a valid seller registry ({exc})") from exc
        return data

    def load(self) -> list[Seller]:
        data = self._read()
        try:
            sellers = [Seller(**s) for s in data.get("sellers", [])]
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{self.path}: not a valid seller registry ({exc})") from exc
        for s in sellers:
            check_seller_id(s.seller_id)
            s.recovery  # noqa: B018 -- SettingsError (a ValueError) names each bad key
        self._agency(data)  # AgencyError (a ValueError): one line, every bad key
        return sellers

    def _agency(self, data: dict):
        from orchestration.reporting.settings import parse_agency

        return parse_agency(self.path, data.get("agency"))

    def agency(self):
        """The agency that bills (orchestration.reporting.settings.Agency), None when unset."""
        return self._agency(self._read())

    def set_agency(self, agency: dict | None) -> None:
        """Set (validated first) or, with None, remove the registry's agency object."""
        data = self._read()
        self._agency({"agency": agency})
        if agency is None:
            data.pop("agency", None)
        else:
            data["agency"] = agency
        self._write(data)

    def _write(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".sellers.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_text(json.dumps(data, indent=2) + "\n")
            os.replace(tmp, self.path)
        finally:
            if tmp.exists():
                tmp.unlink()

    def get(self, seller_id: str) -> Seller | None:
        return next((s for s in self.load() if s.seller_id == seller_id), None)

    def upsert(self, seller: Seller) -> None:
        check_seller_id(seller.seller_id)
        sellers = [s for s in self.load() if s.seller_id != seller.seller_id] + [seller]
        sellers.sort(key=lambda s: s.seller_id)
        self.save(sellers)

    def save(self, sellers: list[Seller]) -> None:
        """Rewrite the sellers, atomically; the agency (and any other top-level key) is kept."""
        for s in sellers:
            check_seller_id(s.seller_id)
        data = self._read()
        data["sellers"] = [asdict(s) for s in sellers]
        self._write(data)

    def ensure(self, seller_id: str) -> Seller:
        """The registered seller, registering a file-ingest seller on first sight."""
        seller = self.get(check_seller_id(seller_id))
        if seller is None:
            seller = Seller(seller_id=seller_id, name=seller_id, kind="files")
            self.upsert(seller)
        return seller
