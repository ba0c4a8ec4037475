"""API Gateway HTTP API (payload 2.0) events and Lambda contexts, as AWS builds them."""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl


def http_event(method: str, route_key: str, raw_path: str, raw_query: str, headers: dict[str, str], body: bytes | None, claims: dict[str, Any] | None, path_parameters: dict[str, str] | None) -> dict[str, Any]:
    query: dict[str, str] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    lower = {k.lower(): v for k, v in headers.items()}
    now = time.time()
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": lower,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": lower.get("host", "127.0.0.1"),
            "domainPrefix": "local",
            "http": {"method": method, "path": raw_path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": lower.get("user-agent", "")},
            "requestId": str(uuid.uuid4()),
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "timeEpoch": int(now * 1000),
        },
        "isBase64Encoded": False,
    }
    if claims is not None:
        # API Gateway passes every claim as a string.
        event["requestContext"]["authorizer"] = {"jwt": {"claims": {k: v if isinstance(v, str) else _claim(v) for k, v in claims.items()}, "scopes": None}}
    if query:
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = path_parameters
    if body:
        try:
            event["body"] = body.decode("utf-8")
        except UnicodeDecodeError:
            event["body"] = base64.b64encode(body).decode()
            event["isBase64Encoded"] = True
    return event


def _claim(value: Any) -> str:
    if isinstance(value, list):
        return "[" + " ".join(str(v) for v in value) + "]"
    return str(value).lower() if isinstance(value, bool) else str(value)


@dataclass
class LambdaContext:
    function_name: str
    timeout_seconds: int
    memory_limit_in_mb: int = 512
    aws_request_id: str = ""
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"
    function_version: str = "$LATEST"

    def __post_init__(self) -> None:
        self.aws_request_id = self.aws_request_id or str(uuid.uuid4())
        self.invoked_function_arn = f"arn:aws:lambda:local:000000000000:function:{self.function_name}"
        self._deadline = time.monotonic() + self.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
