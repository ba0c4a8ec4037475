"""A fault-injecting proxy between the handlers and DynamoDB (or S3/SQS): a chosen share of calls
fails the way AWS fails them, so retries, idempotency and error mapping are tested for real.

`LOCAL_FAULTS="rate=0.1"` (optionally `,kinds=throttle+reset,seed=7,operations=TransactWriteItems,limit=1`)
puts one in front of each endpoint of a local stack (`make chaos` does); while it runs, the plan can
be changed with `PUT /_local/faults` on the stack's port (the same keys, as JSON), which answers
how many calls the plan it replaces failed, by kind (`GET` answers that without a change). The stream itself is read past the proxy: Lambda's
event source mapping is AWS's, not ours; the consumer's own writes go through it.

Kinds, as AWS answers them:
- `throttle`: DynamoDB 400 ThrottlingException, S3 503 SlowDown (botocore retries both);
- `internal`: DynamoDB 500 InternalServerError, S3 500 InternalError (retried);
- `conflict`: TransactWriteItems cancelled with reason TransactionConflict, a single-item write
  TransactionConflictException (not retried by botocore: ours to handle), reads throttled;
- `reset`: the connection closes before the request reaches the service (retried);
- `applied_then_reset`: the request is applied, then the connection closes before the answer: a
  timeout after success. botocore retries it, so a retried write must be idempotent.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

log = logging.getLogger("local.faults")

KINDS = ("throttle", "internal", "conflict", "reset", "applied_then_reset")
_DYNAMODB_ERROR = "com.amazonaws.dynamodb.v20120810#"
_WRITES = {"PutItem", "UpdateItem", "DeleteItem"}


@dataclass
class FaultPlan:
    rate: float = 0.1
    kinds: tuple[str, ...] = KINDS
    seed: int | None = None
    operations: tuple[str, ...] = ()  # only these operations (DynamoDB's X-Amz-Target name), or all
    limit: int | None = None  # at most this many faults, then none
    armed: bool = False  # off while the stack creates its resources
    injected: Counter[str] = field(default_factory=Counter)
    calls: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.kinds) - set(KINDS)
        if unknown or not 0 <= self.rate <= 1:
            raise ValueError(f"LOCAL_FAULTS: rate in [0, 1], kinds among {', '.join(KINDS)} (got rate={self.rate}, kinds={sorted(unknown)})")
        self._random = random.Random(self.seed)
        self._lock = threading.Lock()

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """`rate=0.1,kinds=throttle+reset,seed=7`"""
        settings = dict(part.split("=", 1) for part in text.split(",") if "=" in part)
        return cls(**cls._settings(settings))

    @staticmethod
    def _settings(raw: dict[str, Any]) -> dict[str, Any]:
        def names(value: Any) -> tuple[str, ...]:
            return tuple(value) if isinstance(value, list) else tuple(str(value).split("+")) if value else ()

        out: dict[str, Any] = {}
        if "rate" in raw:
            out["rate"] = float(raw["rate"])
        if raw.get("kinds"):
            out["kinds"] = names(raw["kinds"])
        if "operations" in raw:
            out["operations"] = names(raw["operations"])
        if "seed" in raw:
            out["seed"] = int(raw["seed"]) if raw["seed"] not in (None, "") else None
        if "limit" in raw:
            out["limit"] = int(raw["limit"]) if raw["limit"] not in (None, "") else None
        return out

    def configure(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Change the plan while the stack runs (`PUT /_local/faults`); answers what the plan it
        replaces did, and the counts start again."""
        before = self.report()
        changed = FaultPlan(**self._settings(raw))  # a whole plan: what it leaves out takes the defaults
        with self._lock:
            self.rate, self.kinds, self.seed, self.operations, self.limit = changed.rate, changed.kinds, changed.seed, changed.operations, changed.limit
            self._random = random.Random(self.seed)
            self.injected, self.calls = Counter(), 0
        return before

    def draw(self, operation: str = "") -> str | None:
        """The fault for the next call of `operation`, or None."""
        with self._lock:
            self.calls += 1
            if not self.armed or (self.operations and operation not in self.operations):
                return None
            if self.limit is not None and sum(self.injected.values()) >= self.limit:
                return None
            if self._random.random() >= self.rate:
                return None
            kind = self._random.choice(self.kinds)
            self.injected[kind] += 1
            return kind

    def report(self) -> dict[str, Any]:
        return {"calls": self.calls, "injected": dict(self.injected), "rate": self.rate, "kinds": list(self.kinds), "operations": list(self.operations), "limit": self.limit}


def _dynamodb_error(status: int, code: str, message: str, **extra: Any) -> tuple[int, bytes, str]:
    return status, json.dumps({"__type": _DYNAMODB_ERROR + code, "message": message, **extra}).encode(), "application/x-amz-json-1.0"


def _s3_error(status: int, code: str, message: str) -> tuple[int, bytes, str]:
    return status, f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message></Error>'.encode(), "application/xml"


def refusal(kind: str, service: str, operation: str, body: bytes) -> tuple[int, bytes, str]:
    """The answer AWS gives for a fault of `kind` to `operation` (status, body, content type)."""
    if service != "dynamodb":
        if kind == "internal":
            return _s3_error(500, "InternalError", "We encountered an internal error. Please try again.")
        return _s3_error(503, "SlowDown", "Please reduce your request rate.")
    if kind == "internal":
        return _dynamodb_error(500, "InternalServerError", "Internal server error")
    if kind == "conflict" and operation == "TransactWriteItems":
        count = len(json.loads(body or b"{}").get("TransactItems", [])) or 1
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}] + [{"Code": "None"}] * (count - 1)
        message = "Transaction cancelled, please refer cancellation reasons for specific reasons [" + ", ".join(r["Code"] for r in reasons) + "]"
        return _dynamodb_error(400, "TransactionCanceledException", message, CancellationReasons=reasons)
    if kind == "conflict" and operation in _WRITES:
        return _dynamodb_error(400, "TransactionConflictException", "Transaction is ongoing for the item")
    return _dynamodb_error(400, "ThrottlingException", "Rate of requests exceeds the allowed throughput.")


class FaultProxy:
    """Forwards every request to `upstream`, failing a share of them as `plan` says."""

    def __init__(self, upstream: str, plan: FaultPlan, service: str):
        self.upstream = urlsplit(upstream)
        self.plan, self.service = plan, service
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def start(self) -> FaultProxy:
        threading.Thread(target=self._server.serve_forever, name=f"faults-{self.service}", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                pass

            def _relay(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                operation = (self.headers.get("x-amz-target") or ".").rsplit(".", 1)[-1]
                kind = proxy.plan.draw(operation or self.command)
                if kind == "reset":
                    return self._drop()
                if kind in ("throttle", "internal", "conflict"):
                    status, payload, content_type = refusal(kind, proxy.service, operation, body)
                    return self._answer(status, [("content-type", content_type)], payload)
                status, headers, payload = proxy.forward(self.command, self.path, self.headers.items(), body)
                if kind == "applied_then_reset":
                    return self._drop()
                self._answer(status, headers, payload)

            def _answer(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
                self.send_response(status)
                for name, value in headers:
                    if name.lower() not in ("content-length", "transfer-encoding", "connection", "server", "date"):
                        self.send_header(name, value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)

            def _drop(self) -> None:
                self.close_connection = True
                try:
                    self.connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = _relay

        return Handler

    def forward(self, method: str, path: str, headers: Any, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        connection = http.client.HTTPConnection(self.upstream.hostname or "127.0.0.1", self.upstream.port, timeout=120)
        try:
            connection.request(method, path, body=body or None, headers={k: v for k, v in headers if k.lower() not in ("connection", "keep-alive")})
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()
