"""Recovery settings per seller: how the agency works and bills a seller's claims.

They live in the seller registry (state/sellers.json, human input) under each seller's
`settings.recovery`; every key is optional and falls back to the default below:

    {"seller_id": "A2EXAMPLE123", ...,
     "settings": {"recovery": {"fee_percentage": "20", "billing_cadence": "monthly",
                               "minimum_claim_value": "10.00", "excluded_skus": ["SAMPLE-1"],
                               "claim_types_enabled": ["warehouse_lost", "warehouse_damaged"],
                               "grace_days": 3, "max_items_per_case": 10, "follow_up_days": 7,
                               "bill_to": ["Life & Co Ltd", "1 Market Street", "Leeds LS1 1AA"],
                               "payment_terms_days": 30}}}

`bill_to` and `payment_terms_days` are for the invoice only (it reads them from the registry):
the bill-to address lines (default: the seller's name) and the days an invoice is payable in
(default: the agency's `payment_terms_days`, else 14). The registry's top-level `agency` object
(`parse_agency`) holds who bills: name, address lines, email, optional tax id and the default
payment terms.

dbt reads the others from a snapshot the pipeline derives from the registry before every build
(`write_settings_snapshot`, run by the Dagster asset seller_registry/recovery_settings): one
Parquet file of scalar settings and one of list values (enabled claim types, excluded SKUs), under
RECLAIM_HOME/warehouse/inputs/ — rebuildable from state/, like the warehouse itself.
"""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import asdict, dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from orchestration.evaluation import CLAIM_TYPES

BILLING_CADENCES = ("weekly", "monthly")
SNAPSHOT_DIR = Path("warehouse") / "inputs"
SETTINGS_FILE = "recovery_settings.parquet"
VALUES_FILE = "recovery_setting_values.parquet"


class SettingsError(ValueError):
    """A seller's recovery settings are invalid; `problems` names each key."""

    def __init__(self, seller_id: str, problems: list[str]):
        self.seller_id = seller_id
        self.problems = problems
        super().__init__(f"seller {seller_id}: invalid recovery settings: " + "; ".join(problems))


@dataclass(frozen=True)
class RecoverySettings:
    # Share of what a case recovers that the agency bills (percent, 0-100).
    fee_percentage: Decimal = Decimal("25.00")
    # How often an invoice is issued: weekly (Monday to Sunday) or monthly (calendar month).
    billing_cadence: str = "weekly"
    # Claims worth less than this are not worth a case.
    minimum_claim_value: Decimal = Decimal("0.00")
    # Claim types the agency works for this seller (default: all).
    claim_types_enabled: tuple[str, ...] = CLAIM_TYPES
    # SKUs the seller does not want claimed (e.g. samples, bundles handled elsewhere).
    excluded_skus: tuple[str, ...] = ()
    # Days after a claim's window opens before it is filed (lets automatic payments post).
    grace_days: int = 0
    # Most claims filed together under one Seller Support case.
    max_items_per_case: int = 10
    # Days without an outcome after filing before the case is chased.
    follow_up_days: int = 7
    # The invoice's bill-to address lines (empty: the seller's name).
    bill_to: tuple[str, ...] = ()
    # Days an invoice is payable in (None: the agency's default, else DEFAULT_PAYMENT_TERMS_DAYS).
    payment_terms_days: int | None = None
    defaults_used: tuple[str, ...] = field(default=(), compare=False)


KEYS = tuple(k for k in RecoverySettings.__dataclass_fields__ if k != "defaults_used")
# Read by the invoice from the registry, never by dbt: kept out of the settings snapshot.
INVOICE_KEYS = ("bill_to", "payment_terms_days")
DEFAULT_PAYMENT_TERMS_DAYS = 14
PAYMENT_TERMS_RANGE = (0, 365)


def _decimal(value, key: str, lo: Decimal, hi: Decimal | None, problems: list[str]):
    bound = f"between {lo} and {hi}" if hi is not None else f"at least {lo}"
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        problems.append(f"{key}: {value!r} is not a number (expected a number {bound})")
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        problems.append(f"{key}: {value!r} is not a number (expected a number {bound})")
        return None
    if not d.is_finite() or d < lo or (hi is not None and d > hi):
        problems.append(f"{key}: {value!r} must be {bound}")
        return None
    return d.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _int(value, key: str, lo: int, hi: int, problems: list[str]):
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(
            f"{key}: {value!r} is not a whole number (expected a whole number between {lo} "
            f"and {hi})"
        )
        return None
    if not lo <= value <= hi:
        problems.append(f"{key}: {value!r} must be between {lo} and {hi}")
        return None
    return value


def _strings(value, key: str, problems: list[str]):
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        problems.append(f"{key}: must be a list of non-empty strings")
        return None
    return tuple(dict.fromkeys(v.strip() for v in value))


def _lines(value, key: str, problems: list[str]):
    """Address lines: a non-empty list of non-empty strings, kept in order (repeats too)."""
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(v, str) and v.strip() for v in value)
    ):
        problems.append(
            f"{key}: {value!r} is not a list of address lines (expected a non-empty list of "
            "non-empty strings)"
        )
        return None
    return tuple(v.strip() for v in value)


def parse_settings(seller_id: str, raw: dict | None) -> RecoverySettings:
    """The seller's recovery settings from the registry's `settings.recovery` object, defaults
    for what is absent. Every problem is reported at once (SettingsError)."""
    raw = {} if raw is None else raw
    if not isinstance(raw, dict):
        raise SettingsError(seller_id, ["settings.recovery must be an object"])
    problems: list[str] = []
    unknown = sorted(set(raw) - set(KEYS))
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)} (known: {', '.join(KEYS)})")
    values: dict = {}
    if "fee_percentage" in raw:
        values["fee_percentage"] = _decimal(
            raw["fee_percentage"], "fee_percentage", Decimal(0), Decimal(100), problems
        )
    if "minimum_claim_value" in raw:
        values["minimum_claim_value"] = _decimal(
            raw["minimum_claim_value"], "minimum_claim_value", Decimal(0), None, problems
        )
    if "billing_cadence" in raw:
        if raw["billing_cadence"] not in BILLING_CADENCES:
            problems.append(
                f"billing_cadence: {raw['billing_cadence']!r} is not one of "
                f"{', '.join(BILLING_CADENCES)}"
            )
        else:
            values["billing_cadence"] = raw["billing_cadence"]
    for key, lo, hi in (
        ("payment_terms_days", *PAYMENT_TERMS_RANGE),
        ("grace_days", 0, 365),
        ("max_items_per_case", 1, 1000),
        ("follow_up_days", 1, 365),
    ):
        if key in raw:
            values[key] = _int(raw[key], key, lo, hi, problems)
    if "claim_types_enabled" in raw:
        types = _strings(raw["claim_types_enabled"], "claim_types_enabled", problems)
        if types is not None:
            bad = [t for t in types if t not in CLAIM_TYPES]
            if bad:
                problems.append(
                    f"claim_types_enabled: unknown claim type(s) {', '.join(bad)} "
                    f"(known: {', '.join(CLAIM_TYPES)})"
                )
            else:
                values["claim_types_enabled"] = types
    if "excluded_skus" in raw:
        skus = _strings(raw["excluded_skus"], "excluded_skus", problems)
        if skus is not None:
            values["excluded_skus"] = skus
    if "bill_to" in raw:
        lines = _lines(raw["bill_to"], "bill_to", problems)
        if lines is not None:
            values["bill_to"] = lines
    if problems:
        raise SettingsError(seller_id, problems)
    defaults_used = tuple(k for k in KEYS if k not in values)
    return RecoverySettings(**values, defaults_used=defaults_used)


AGENCY_KEYS = ("name", "address", "email", "tax_id", "payment_terms_days")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AgencyError(ValueError):
    """The registry's `agency` object is invalid: one line naming the file and every bad key."""

    def __init__(self, path, problems: list[str]):
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: invalid agency: " + "; ".join(problems))


@dataclass(frozen=True)
class Agency:
    """Who bills: the registry's top-level `agency` object (state/sellers.json)."""

    name: str
    address: tuple[str, ...]
    email: str
    tax_id: str | None = None
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS


def parse_agency(path, raw) -> Agency | None:
    """The agency from the registry's `agency` object (None when absent). name, address (address
    lines) and email are required; tax_id and payment_terms_days (default 14) are optional.
    Every problem is reported at once (AgencyError), each naming the key, the value and what is
    expected."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise AgencyError(path, [f"agency: {raw!r} is not an object (expected {{...}})"])
    problems: list[str] = []
    unknown = sorted(set(raw) - set(AGENCY_KEYS))
    if unknown:
        problems.append(
            f"agency: unknown key(s) {', '.join(unknown)} (known: {', '.join(AGENCY_KEYS)})"
        )
    for key in ("name", "address", "email"):
        if key not in raw:
            problems.append(f"agency.{key}: missing (required)")
    values: dict = {}
    for key in ("name", "email", "tax_id"):
        if key in raw:
            v = raw[key]
            if not isinstance(v, str) or not v.strip():
                problems.append(f"agency.{key}: {v!r} is not text (expected a non-empty string)")
            elif key == "email" and not _EMAIL.match(v.strip()):
                problems.append(f"agency.email: {v!r} is not an email address (expected a@b.c)")
            else:
                values[key] = v.strip()
    if "address" in raw:
        values["address"] = _lines(raw["address"], "agency.address", problems)
    if "payment_terms_days" in raw:
        values["payment_terms_days"] = _int(
            raw["payment_terms_days"], "agency.payment_terms_days", *PAYMENT_TERMS_RANGE, problems
        )
    if problems:
        raise AgencyError(path, problems)
    return Agency(**values)


def agency_to_json(agency: Agency) -> dict:
    """The registry form of the agency (what `agency` holds)."""
    d = asdict(agency)
    d["address"] = list(d["address"])
    if d["tax_id"] is None:
        d.pop("tax_id")
    return d


def seller_settings(seller) -> RecoverySettings:
    """A registry Seller's recovery settings (orchestration.sellers.Seller)."""
    return parse_settings(seller.seller_id, (seller.settings or {}).get("recovery"))


def settings_to_json(s: RecoverySettings) -> dict:
    """The registry form (what `settings.recovery` holds), every key explicit except the
    invoice's bill_to and payment_terms_days when they fall back to the seller's name and the
    agency's terms (resolved when the invoice is written)."""
    d = asdict(s)
    d.pop("defaults_used")
    for k in ("fee_percentage", "minimum_claim_value"):
        d[k] = str(d[k])
    for k in ("claim_types_enabled", "excluded_skus", "bill_to"):
        d[k] = list(d[k])
    if not d["bill_to"]:
        d.pop("bill_to")
    if d["payment_terms_days"] is None:
        d.pop("payment_terms_days")
    return d


def write_settings_snapshot(home_root: Path, sellers: list) -> tuple[Path, Path]:
    """Write the resolved settings of every registered seller where dbt reads them: scalars in
    recovery_settings.parquet, list values (claim_type_enabled, excluded_sku) one per row in
    recovery_setting_values.parquet (the invoice's bill_to and payment_terms_days stay out: the
    invoice reads them from the registry). Each file is replaced atomically. Raises SettingsError on
    the first seller whose settings are invalid (nothing is written then)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    resolved = [(s.seller_id, seller_settings(s)) for s in sellers]
    money = pa.decimal128(18, 2)
    scalars = pa.table(
        {
            "seller_id": pa.array([sid for sid, _ in resolved], pa.string()),
            "fee_percentage": pa.array([s.fee_percentage for _, s in resolved], money),
            "billing_cadence": pa.array([s.billing_cadence for _, s in resolved], pa.string()),
            "minimum_claim_value": pa.array([s.minimum_claim_value for _, s in resolved], money),
            "grace_days": pa.array([s.grace_days for _, s in resolved], pa.int32()),
            "max_items_per_case": pa.array([s.max_items_per_case for _, s in resolved], pa.int32()),
            "follow_up_days": pa.array([s.follow_up_days for _, s in resolved], pa.int32()),
            "defaults_used": pa.array(
                [
                    ",".join(k for k in s.defaults_used if k not in INVOICE_KEYS)
                    for _, s in resolved
                ],
                pa.string(),
            ),
        }
    )
    rows = [
        (sid, setting, value)
        for sid, s in resolved
        for setting, values in (
            ("claim_type_enabled", s.claim_types_enabled),
            ("excluded_sku", s.excluded_skus),
        )
        for value in values
    ]
    lists = pa.table(
        {
            "seller_id": pa.array([r[0] for r in rows], pa.string()),
            "setting": pa.array([r[1] for r in rows], pa.string()),
            "value": pa.array([r[2] for r in rows], pa.string()),
        }
    )
    folder = Path(home_root) / SNAPSHOT_DIR
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for table, name in ((scalars, SETTINGS_FILE), (lists, VALUES_FILE)):
        path = folder / name
        tmp = path.with_name(f".{name}.{uuid.uuid4().hex}.tmp")
        try:
            pq.write_table(table, tmp)
            os.replace(tmp, path)
        finally:
            if tmp.exists():
                tmp.unlink()
        out.append(path)
    return out[0], out[1]
