"""Writes events/<Function>.json: a sample API Gateway v2 event per HTTP function and a sample
DynamoDB Streams event per stream consumer, for `sam local invoke -e` on machines with Docker.
Bodies already in an events file are kept (with their content-type), so hand-written examples survive regeneration."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from local.events import http_event
from local.template import ROOT, Stack

EVENTS = ROOT / "events"
SAMPLE_CLAIMS = {"sub": "11111111-1111-4111-8111-111111111111", "email": "admin@demo.example", "custom:org_id": "demo-org", "iss": "activity-tracker-local", "aud": "activity-tracker"}
SAMPLE_ID = "22222222-2222-4222-8222-222222222222"


def write_all() -> list[Path]:
    EVENTS.mkdir(exist_ok=True)
    written = []
    for function in Stack().functions:
        path = EVENTS / f"{function.logical_id}.json"
        old = json.loads(path.read_text()) if path.exists() else {}
        if function.routes:
            route = function.routes[0]
            raw_path = re.sub(r"\{[^}]+\}", SAMPLE_ID, route.path)
            params = dict.fromkeys(re.findall(r"\{([^}+]+)\+?\}", route.path), SAMPLE_ID) or None
            body = old.get("body")
            if body is None and route.method in ("POST", "PATCH", "PUT"):
                body = "{}"
            content_type = (old.get("headers") or {}).get("content-type") or "application/json"  # a hand-written body keeps its type (text/calendar)
            claims = None if route.public else SAMPLE_CLAIMS  # a public route has no authorizer, so no claims
            event = http_event(route.method, route.key, raw_path, old.get("rawQueryString", ""), {"content-type": content_type, "host": "api.example.org"}, body.encode() if body else None, claims, params)
            event["requestContext"]["requestId"] = "sample-request-id"
            event["requestContext"]["timeEpoch"] = 0
            event["requestContext"]["time"] = "24/Nov/2026:09:00:00 +0000"
        elif old:
            event = old
        else:
            event = {"Records": []}
        path.write_text(json.dumps(event, indent=2, sort_keys=True) + "\n")
        written.append(path)
    return written


def sample(function_id: str) -> dict[str, Any]:
    return json.loads((EVENTS / f"{function_id}.json").read_text())
