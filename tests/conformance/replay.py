"""A tiny HTTP server on 127.0.0.1 that answers with Amazon's own example responses.

The models carry `x-amzn-api-sandbox` examples: request parameters and the response Amazon's
static sandbox gives for them. This server serves them to python-amazon-sp-api unchanged, so the
extractor meets exactly what Amazon documents, NextTokens included.

Matching: the request is routed to its operation by the model's path templates; among that
operation's examples, the one whose listed parameters agree best with the request wins (one
point per equal value, minus one per different value; ties go to the lowest status code, then
to the order in the model). Amazon's examples do not form consistent conversations (the
getShipmentItems examples use QueryType=SHIPMENT, which that operation does not take; the
ByShipmentId example answers shipment FBA15DJ9SVVD with an item of FBA15DF2763D), so the nearest
example stands in for a request no example lists exactly, which is what a client meeting the
real API sees too: an answer of that shape.

Every exchange is recorded; after `budget` API requests the server answers 400 InvalidInput
"replay budget exhausted", so a client that loops fails fast instead of running for ever.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from extractors.spapi.client import SpApiConnection
from tests.conformance.models import RATE_HEADER, find_operation

TOKEN_PATH = "/auth/o2/token"


class ReplayServer:
    def __init__(self, *, budget: int = 200):
        self.budget = budget
        self.exchanges: list[dict] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.endpoint = ""

    def __enter__(self) -> ReplayServer:
        handler = type("ReplayHandler", (_Handler,), {"replay": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        host, port = self._server.server_address[:2]
        self.endpoint = f"http://{host}:{port}"
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def __exit__(self, *exc) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def connection(self, marketplace_id: str = "ATVPDKIKX0DER") -> SpApiConnection:
        return SpApiConnection(
            marketplace_id=marketplace_id,
            refresh_token="Atzr|replay",
            lwa_app_id="amzn1.application-oa2-client.replay",
            lwa_client_secret="replay-secret",
            endpoint=self.endpoint,
            token_url=self.endpoint + TOKEN_PATH,
            timeout=5,
            rate_speedup=1e6,
        )

    def calls(self, operation: str | None = None) -> int:
        with self._lock:
            return sum(1 for e in self.exchanges if operation in (None, e["operation"]))

    def answer(self, method: str, path: str, query: dict[str, list[str]], body: bytes):
        """(status, JSON body, headers) for one API request."""
        hit = find_operation(method, path)
        with self._lock:
            n = len(self.exchanges) + 1
        if hit is None:
            status, doc, op_id, op = (
                404,
                _error("NotFound", f"no model operation {path}"),
                None,
                None,
            )
        elif n > self.budget:
            op, _ = hit
            op_id = op.operation_id
            status, doc = 400, _error("InvalidInput", f"replay budget exhausted ({self.budget})")
        else:
            op, path_params = hit
            op_id = op.operation_id
            given = {k: v[0] for k, v in query.items()} | path_params
            if body:
                try:
                    given["body"] = json.loads(body)
                except ValueError:
                    given["body"] = body.decode("utf-8", "replace")
            status, doc = _nearest(op.examples(), given)
        headers = {"x-amzn-RequestId": f"replay-{n}"}
        resp = op.response(status) if op else None
        plan = op.usage_plan() if op else None
        if resp and plan and RATE_HEADER in (resp.get("headers") or {}):
            headers[RATE_HEADER] = f"{plan[0]:g}"
        with self._lock:
            self.exchanges.append(
                {"operation": op_id, "method": method, "path": path, "query": query,
                 "status": status, "body": doc}
            )  # fmt: skip
        return status, doc, headers


def _error(code: str, message: str) -> dict:
    return {"errors": [{"code": code, "message": message, "details": ""}]}


def _nearest(examples, given: dict) -> tuple[int, object]:
    def score(example) -> tuple[int, int]:
        status, params, _ = example
        points = 0
        for name, value in params.items():
            if name in given:
                points += 1 if given[name] == value else -1
        return points, -status

    if not examples:
        return 500, _error("InternalFailure", "the model has no example for this operation")
    status, _, response = max(examples, key=score)  # max keeps the first of equal scores
    return status, response


class _Handler(BaseHTTPRequestHandler):
    replay: ReplayServer
    protocol_version = "HTTP/1.0"

    def log_message(self, format, *args) -> None:
        pass

    def _send(self, status: int, doc, headers: dict) -> None:
        body = b"" if doc is None else json.dumps(doc).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _handle(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        if parts.path == TOKEN_PATH:
            token = {"access_token": "Atza|replay", "token_type": "bearer", "expires_in": 3600}
            return self._send(200, token, {})
        query = parse_qs(parts.query, keep_blank_values=True)
        status, doc, headers = self.replay.answer(method, parts.path, query, body)
        self._send(status, doc, headers)

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_DELETE(self) -> None:
        self._handle("DELETE")
