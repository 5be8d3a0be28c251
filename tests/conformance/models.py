"""Amazon's official SP-API models (tests/fixtures/sp-api-models/) as executable checks.

Everything here is read from the model JSON files at run time; no schema is copied by hand:
- `Model.operation(method, path)` finds an operation by its path template;
- `Operation.response_errors(status, body, headers)` checks a response against the responses
  the model lists for the operation (status code, body schema with the Swagger 2.0 `definitions`
  resolved by $ref through jsonschema/referencing, rate-limit header where the model has one);
- `Operation.request_errors(query, body)` checks a request (parameter names, required ones,
  types, enums, formats such as ISO-8601 date-times and CSV lists, documented limits).

Response bodies are validated closed-world: an object schema that lists its properties and says
nothing about others is taken to allow no others (the models never set additionalProperties on
these objects), so a field the emulator leaks (an internal filter key, a typo) fails the check.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path

from jsonschema import Draft4Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

MODELS_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "sp-api-models"
REPORTS = "reports_2021-06-30.json"
INBOUND = "fulfillmentInboundV0.json"
FINANCES = "finances_2024-06-19.json"
FINANCES_V0 = "financesV0.json"
RATE_HEADER = "x-amzn-RateLimit-Limit"

# ISO 8601 date-time as the SP-API docs use it: a date, "T", a time, and a zone (Z or +hh:mm).
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")
_USAGE_PLAN = re.compile(r"\|\s*Rate \(requests per second\)\s*\|\s*Burst\s*\|\s*\n\|[-| ]+\|\s*\n"
                         r"\|\s*([0-9.]+)\s*\|\s*([0-9]+)\s*\|")  # fmt: skip

FORMATS = FormatChecker()


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value) -> bool:
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        raise ValueError(f"{value!r} is not an ISO 8601 date-time with a zone")
    datetime.fromisoformat(value.replace("Z", "+00:00"))
    return True


@FORMATS.checks("date", raises=ValueError)
def _is_date(value) -> bool:
    if isinstance(value, str):
        date.fromisoformat(value)
    return True


def _closed(node):
    """A copy of a schema tree in which listed properties are the only ones allowed."""
    if isinstance(node, dict):
        out = {k: _closed(v) for k, v in node.items()}
        if isinstance(out.get("properties"), dict) and "additionalProperties" not in out:
            out["additionalProperties"] = False
        return out
    if isinstance(node, list):
        return [_closed(v) for v in node]
    return node


def _closed_model(doc: dict) -> dict:
    """The model with every object closed (_closed), except the parts of an allOf: each part
    lists only its own properties, so closing them one by one would refuse every object that
    combines them (Finances v2024-06-19 Context = contextType + ProductContext + ...). Draft 4
    cannot close a combination, so those objects stay open."""
    in_all_of = {
        ref.rsplit("/", 1)[-1]
        for definition in doc.get("definitions", {}).values()
        for part in definition.get("allOf", [])
        if isinstance(part, dict) and isinstance(ref := part.get("$ref"), str)
    }
    closed = _closed(doc)
    for name in in_all_of:
        closed["definitions"][name] = doc["definitions"][name]
    for definition in closed.get("definitions", {}).values():
        for part in definition.get("allOf", []):
            if isinstance(part, dict):
                part.pop("additionalProperties", None)
    return closed


@dataclass
class Operation:
    model: Model
    operation_id: str
    method: str
    template: str
    spec: dict

    @property
    def parameters(self) -> list[dict]:
        return list(self.spec.get("parameters") or [])

    def query_parameters(self) -> dict[str, dict]:
        return {p["name"]: p for p in self.parameters if p.get("in") == "query"}

    def usage_plan(self) -> tuple[float, int] | None:
        """(rate, burst) from the usage-plan table in the operation's description."""
        m = _USAGE_PLAN.search(self.spec.get("description", ""))
        return (float(m.group(1)), int(m.group(2))) if m else None

    def response(self, status: int) -> dict | None:
        return (self.spec.get("responses") or {}).get(str(status))

    def examples(self) -> list[tuple[int, dict, object]]:
        """Amazon's own examples: (status, request parameters {name: value}, response body)."""
        out = []
        for code, resp in (self.spec.get("responses") or {}).items():
            sandbox = resp.get("x-amzn-api-sandbox") or {}
            for kind in ("static", "dynamic"):
                for ex in sandbox.get(kind) or []:
                    params = {
                        name: v.get("value")
                        for name, v in ((ex.get("request") or {}).get("parameters") or {}).items()
                    }
                    out.append((int(code), params, ex.get("response")))
        return out

    # -- responses ----------------------------------------------------------------------------

    def response_errors(self, status: int, body: bytes | None, headers: dict) -> list[str]:
        where = f"{self.operation_id} {status}"
        resp = self.response(status)
        if resp is None:
            return [f"{where}: the model lists no {status} response"]
        errors = []
        lower = {k.lower(): v for k, v in headers.items()}
        declared = {h.lower() for h in resp.get("headers") or {}}
        if "x-amzn-requestid" in declared and not lower.get("x-amzn-requestid"):
            errors.append(f"{where}: no x-amzn-RequestId header")
        rate = lower.get(RATE_HEADER.lower())
        if RATE_HEADER.lower() in declared:
            if rate is None:
                errors.append(f"{where}: the model sends {RATE_HEADER} here; missing")
            else:
                plan = self.usage_plan()
                if plan and float(rate) != plan[0]:
                    errors.append(f"{where}: {RATE_HEADER} {rate} != usage plan {plan[0]}")
        elif rate is not None:
            errors.append(f"{where}: {RATE_HEADER} sent where the model has none")
        schema = resp.get("schema")
        if schema is None:
            if body:
                errors.append(f"{where}: a body where the model has no schema: {body[:200]!r}")
            return errors
        try:
            doc = json.loads(body or b"")
        except ValueError:
            return [*errors, f"{where}: body is not JSON: {(body or b'')[:200]!r}"]
        errors += [f"{where}: {e}" for e in self.model.body_errors(schema, doc)]
        if status >= 400:
            errors += [f"{where}: {e}" for e in error_shape_errors(doc)]
        return errors

    # -- requests -----------------------------------------------------------------------------

    def request_errors(
        self, query: dict[str, list[str]], body: bytes | None = None, *, tolerated=frozenset()
    ) -> list[str]:
        """What in this request the model does not allow. `tolerated` names query parameters
        accepted although the model does not list them (say why where it is used)."""
        where = self.operation_id
        errors = []
        params = self.query_parameters()
        for name, values in query.items():
            if name in tolerated and name not in params:
                continue
            p = params.get(name)
            if p is None:
                errors.append(f"{where}: {name} is not a parameter of this operation")
                continue
            if len(values) != 1:
                errors.append(f"{where}: {name} sent {len(values)} times (send one CSV value)")
            for value in values:
                errors += [f"{where}: {name}: {e}" for e in _parameter_errors(p, value)]
        for name, p in params.items():
            if p.get("required") and name not in query:
                errors.append(f"{where}: required {name} missing")
        body_params = [p for p in self.parameters if p.get("in") == "body"]
        if body_params:
            try:
                doc = json.loads(body or b"")
            except ValueError:
                return [*errors, f"{where}: body is not JSON"]
            errors += [
                f"{where} body: {e}" for e in self.model.body_errors(body_params[0]["schema"], doc)
            ]
        elif body:
            errors.append(f"{where}: a body where the model takes none")
        return errors


def _parameter_errors(p: dict, value: str) -> list[str]:
    kind = p.get("type")
    if kind == "array":
        items = value.split(",")
        errors = []
        if any(not v.strip() for v in items):
            errors.append(f"empty item in CSV list {value!r}")
        if "minItems" in p and len(items) < p["minItems"]:
            errors.append(f"{len(items)} items < minItems {p['minItems']}")
        if "maxItems" in p and len(items) > p["maxItems"]:
            errors.append(f"{len(items)} items > maxItems {p['maxItems']}")
        for v in items:
            errors += _scalar_errors(p.get("items") or {}, v)
        return errors
    return _scalar_errors(p, value)


def _scalar_errors(p: dict, value: str) -> list[str]:
    kind = p.get("type", "string")
    if kind == "integer":
        try:
            n = int(value)
        except ValueError:
            return [f"{value!r} is not an integer"]
        if "minimum" in p and n < p["minimum"]:
            return [f"{n} < minimum {p['minimum']}"]
        if "maximum" in p and n > p["maximum"]:
            return [f"{n} > maximum {p['maximum']}"]
        return []
    if kind == "boolean":
        return [] if value in ("true", "false") else [f"{value!r} is not true/false"]
    if "enum" in p and value not in p["enum"]:
        return [f"{value!r} not in {p['enum']}"]
    if p.get("format") == "date-time":
        try:
            _is_date_time(value)
        except ValueError as exc:
            return [str(exc)]
    return []


def error_shape_errors(doc) -> list[str]:
    """Amazon's error body: {"errors": [{"code", "message", "details"}, ...]}, never empty."""
    errs = doc.get("errors") if isinstance(doc, dict) else None
    if not isinstance(errs, list) or not errs:
        return [f"error body without an errors list: {doc!r}"[:300]]
    out = []
    for e in errs:
        if not isinstance(e, dict) or not {"code", "message", "details"} <= set(e):
            out.append(f"error entry is not {{code, message, details}}: {e!r}"[:300])
        elif not all(isinstance(e[k], str) for k in ("code", "message", "details")):
            out.append(f"error entry with a non-string field: {e!r}"[:300])
    return out


class Model:
    def __init__(self, file_name: str):
        self.file_name = file_name
        self.raw_bytes = (MODELS_DIR / file_name).read_bytes()
        self.doc = json.loads(self.raw_bytes)
        self.uri = f"urn:sp-api-model:{file_name}"
        closed = _closed_model(copy.deepcopy(self.doc))
        self._registry = Registry().with_resource(
            self.uri, Resource.from_contents(closed, default_specification=DRAFT4)
        )
        self._open_registry = Registry().with_resource(
            self.uri, Resource.from_contents(self.doc, default_specification=DRAFT4)
        )
        self.operations: list[Operation] = []
        for template, ops in self.doc["paths"].items():
            for method, spec in ops.items():
                if method == "parameters":
                    continue
                self.operations.append(Operation(self, spec["operationId"], method.upper(),
                                                 template, spec))  # fmt: skip

    def by_id(self, operation_id: str) -> Operation:
        return next(o for o in self.operations if o.operation_id == operation_id)

    def operation(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        """The operation serving METHOD path, and its path parameters."""
        for op in self.operations:
            if op.method != method.upper():
                continue
            pattern = "^" + re.sub(r"\\{(\w+)\\}", r"(?P<\1>[^/]+)", re.escape(op.template)) + "$"
            m = re.match(pattern, path)
            if m:
                return op, m.groupdict()
        return None

    def body_errors(self, schema: dict, doc, *, closed: bool = True) -> list[str]:
        ref = schema.get("$ref")
        root = {"$ref": self.uri + ref} if ref else _rebase(schema, self.uri)
        if closed and not ref:
            root = _closed(root)
        validator = Draft4Validator(
            root,
            registry=self._registry if closed else self._open_registry,
            format_checker=FORMATS,
        )
        return [
            f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"[:400]
            for e in validator.iter_errors(doc)
        ]


def _rebase(node, uri: str):
    """A schema with its local $refs (#/definitions/...) pointed at the model's resource."""
    if isinstance(node, dict):
        return {
            k: (uri + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else
                _rebase(v, uri))
            for k, v in node.items()
        }  # fmt: skip
    if isinstance(node, list):
        return [_rebase(v, uri) for v in node]
    return node


@cache
def load(file_name: str) -> Model:
    return Model(file_name)


def find_operation(method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    for name in (REPORTS, INBOUND, FINANCES, FINANCES_V0):
        hit = load(name).operation(method, path)
        if hit:
            return hit
    return None
