"""`make local`: DynamoDB Local (with streams) and moto's server (S3, SQS), every route of template.yaml over HTTP,
local JWT checks, and a stream poller that feeds the stream handlers, all in one process."""

from __future__ import annotations

import base64
import importlib.util
import json
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlsplit

from local import contract_docs, iam, jwt_local
from local.events import LambdaContext, http_event
from local.faults import FaultPlan
from local.services import Endpoints, LocalServices, create_resources
from local.streams import StreamPoller
from local.template import ROOT, Function, Stack

log = logging.getLogger("local")
LAYER_DIRS = [ROOT / "layers" / "shared"]
# Where a running `make local` says how to reach it (for `python -m local invoke`).
STATE_FILE = Path(os.environ.get("LOCAL_STATE_FILE") or ROOT / ".local-stack.json")
MAX_BODY = 10 * 1024 * 1024  # API Gateway's own payload limit
OVERRIDABLE = frozenset({"POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_DISABLED"})  # function settings a local user may set themself
# Template parameters a local user may set from the environment (`make local ADMIN_EMAILS=... EXPORTS_DAILY_QUOTA=...`).
PARAMETERS_FROM_ENV = {"AdminEmails": "ADMIN_EMAILS", "ExportsDailyQuota": "EXPORTS_DAILY_QUOTA"}


def parameters_from_env() -> dict[str, str]:
    """The template parameters set in the environment (AdminEmails always: empty means none)."""
    found = {name: os.environ[variable] for name, variable in PARAMETERS_FROM_ENV.items() if os.environ.get(variable)}
    return {"AdminEmails": os.environ.get("ADMIN_EMAILS", ""), **found}


class Handlers:
    """Loads each function's handler module from its CodeUri, with the layer on sys.path."""

    def __init__(self, stack: Stack):
        self.stack = stack
        self._loaded: dict[str, Callable[[dict[str, Any], Any], Any]] = {}
        self._grants: dict[str, list[iam.Grant]] = {}
        self._lock = threading.Lock()
        for layer in LAYER_DIRS:
            if str(layer) not in sys.path:
                sys.path.insert(0, str(layer))

    def get(self, function: Function) -> Callable[[dict[str, Any], Any], Any]:
        with self._lock:
            if function.logical_id not in self._loaded:
                module_name, attribute = function.handler.rsplit(".", 1)
                path = function.code_uri / (module_name.replace(".", "/") + ".py")
                spec = importlib.util.spec_from_file_location(f"fn_{function.logical_id}", path)
                assert spec and spec.loader, path
                module: ModuleType = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                self._loaded[function.logical_id] = getattr(module, attribute)
            return self._loaded[function.logical_id]

    def grants(self, function: Function) -> list[iam.Grant]:
        with self._lock:
            if function.logical_id not in self._grants:
                self._grants[function.logical_id] = iam.grants(self.stack, function)
            return self._grants[function.logical_id]

    def invoke(self, function: Function, event: dict[str, Any], context: Any = None) -> Any:
        """Call the handler as Lambda would, its AWS calls held to its policies (local/iam.py)."""
        handler = self.get(function)
        with iam.acting_as(function, self.grants(function)):
            return handler(event, context or LambdaContext(function.logical_id, function.timeout))


# What API Gateway's JWT authorizer answers itself (HTTP APIs have no gateway responses to change it)
GATEWAY_UNAUTHORIZED = json.dumps({"message": "Unauthorized"}).encode()


def _error(code: str, message: str) -> bytes:
    return json.dumps({"error": {"code": code, "message": message, "details": []}}).encode()


class RequestCpu:
    """CPU time of our own code per route (the handler's thread: botocore's work included, the
    engine's not, as it runs in another process): what carries over to Lambda. `GET /_local/cpu`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.by_route: dict[str, list[float]] = {}

    def add(self, route: str, seconds: float) -> None:
        with self._lock:
            self.by_route.setdefault(route, []).append(seconds)

    def report(self) -> dict[str, dict[str, float]]:
        with self._lock:
            return {route: {"requests": len(times), "cpu_ms_mean": 1000 * sum(times) / len(times), "cpu_ms_p95": 1000 * sorted(times)[int(0.95 * (len(times) - 1))]} for route, times in sorted(self.by_route.items())}


def cors_headers(cors: dict[str, Any] | None, origin: str | None, preflight: bool) -> dict[str, str]:
    """What API Gateway adds for the template's CorsConfiguration: on a preflight the allowed
    methods, headers and max age; on every answer to a request with an allowed Origin, the origin."""
    if not cors or not origin:
        return {}
    origins = [str(o) for o in cors.get("AllowOrigins", [])]
    if "*" not in origins and origin not in origins:
        return {}
    out = {"access-control-allow-origin": "*" if "*" in origins else origin}
    if preflight:
        out["access-control-allow-methods"] = ",".join(cors.get("AllowMethods", []))
        out["access-control-allow-headers"] = ",".join(cors.get("AllowHeaders", []))
        if cors.get("MaxAge") is not None:
            out["access-control-max-age"] = str(cors["MaxAge"])
    elif cors.get("ExposeHeaders"):
        out["access-control-expose-headers"] = ",".join(cors["ExposeHeaders"])
    return out


def make_http_handler(stack: Stack, handlers: Handlers, faults: FaultPlan | None = None, poller: StreamPoller | None = None) -> type[BaseHTTPRequestHandler]:
    cpu = RequestCpu()
    cors = stack.cors()
    controls: dict[str, Callable[[], Any]] = {"/_local/cpu": cpu.report}  # local-only answers, none of them routes of the API
    if poller is not None:
        controls["/_local/stream"] = poller.status

    class ApiHandler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "activity-tracker-local"

        def log_message(self, fmt: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), fmt % args)

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            headers = {**cors_headers(cors, self.headers.get("origin"), preflight=False), "apigw-requestid": self.request_id, **(headers or {})}
            sent = {k.lower() for k in (headers or {})}
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if "content-type" not in sent:
                self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _dispatch(self) -> None:
            url = urlsplit(self.path)
            self.request_id = str(uuid.uuid4())  # API Gateway's requestContext.requestId, sent back as apigw-requestid
            if self.command == "OPTIONS" and cors and self.headers.get("origin") and self.headers.get("access-control-request-method"):
                self.send_response(204)  # a preflight: API Gateway answers it from the CorsConfiguration, before auth
                for name, value in {**cors_headers(cors, self.headers.get("origin"), preflight=True), "apigw-requestid": self.request_id}.items():
                    self.send_header(name, value)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            length = int(self.headers.get("content-length") or 0)
            if length > MAX_BODY:
                self._send(413, _error("payload_too_large", "Request too large."), {"connection": "close"})
                self.close_connection = True
                return
            body = self.rfile.read(length) if length else None
            docs = contract_docs.page(url.path) if self.command in ("GET", "HEAD") else None
            if docs is not None:  # the contract, browsable (local only: see local/contract_docs.py)
                self._send(200, docs[1], {"content-type": docs[0]})
                return
            if url.path in controls and self.command == "GET":
                self._send(200, json.dumps(controls[url.path]()).encode())
                return
            if faults is not None and url.path == "/_local/faults":  # only under LOCAL_FAULTS: see local/faults.py
                try:
                    report = faults.configure(json.loads(body or b"{}")) if self.command == "PUT" else faults.report()
                except (ValueError, TypeError) as error:
                    self._send(400, _error("validation_error", str(error)))
                    return
                self._send(200, json.dumps(report).encode())
                return
            path = unquote(url.path)  # API Gateway's HTTP APIs hand the path and its parameters on percent-decoded (`%40` is `@`)
            found = stack.match(self.command, path)
            if found is None:
                self._send(404, _error("not_found", "No such route."))
                return
            route, function, params = found
            claims = None  # a public route (no authorizer in template.yaml): no JWT checked, no claims passed on
            if not route.public:
                try:
                    claims = jwt_local.verify(self.headers.get("authorization"))
                except jwt_local.InvalidToken as error:
                    log.info("401 %s %s: %s", self.command, url.path, error)  # API Gateway says no more than this body
                    self._send(401, GATEWAY_UNAUTHORIZED, {"www-authenticate": "Bearer"})
                    return
            event = http_event(self.command, route.key, path, url.query, dict(self.headers.items()), body, claims, params or None)
            event["requestContext"]["requestId"] = self.request_id
            started = time.thread_time()
            try:
                result = handlers.invoke(function, event)
                cpu.add(route.key, time.thread_time() - started)
            except Exception:
                log.exception("%s failed", function.logical_id)
                self._send(500, json.dumps({"message": "Internal Server Error"}).encode())
                return
            self._respond(result)

        def _respond(self, result: Any) -> None:
            if not isinstance(result, dict) or "statusCode" not in result:
                self._send(200, json.dumps(result).encode())
                return
            body = result.get("body") or ""
            raw = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
            self._send(int(result["statusCode"]), raw, {k: str(v) for k, v in (result.get("headers") or {}).items()})

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _dispatch

        def __getattr__(self, name: str) -> Any:
            # any other method (OPTIONS, TRACE, QUERY, ...) goes through routing too: no route
            # serves it, so 404 as API Gateway answers, never http.server's 501
            if name.startswith("do_"):
                return self._dispatch
            raise AttributeError(name)

    return ApiHandler


class LocalStack:
    """Everything `make local` runs; also used by the end-to-end tests on a free port."""

    def __init__(self, port: int = 3000, host: str = "127.0.0.1", parameters: dict[str, str] | None = None, poll_interval: float = 0.2):
        self.port, self.host = port, host
        self.parameters = parameters or {}
        self.poll_interval = poll_interval
        self.services: LocalServices | None = None
        self.http: ThreadingHTTPServer | None = None
        self.poller: StreamPoller | None = None
        self.stack: Stack | None = None

    def start(self, fallback: bool = False) -> None:
        """`fallback`: moto's DynamoDB when DynamoDB Local cannot run (with a warning), instead of failing."""
        self.services = LocalServices(fallback=fallback)
        self.endpoints = self.services.start()
        params = {**parameters_from_env(), **self.parameters}
        self.stack = Stack(parameters=params)
        for name, value in self.stack.environment().items():
            if name not in OVERRIDABLE or name not in os.environ:
                os.environ[name] = value
        create_resources(self.stack)
        self.services.arm_faults()
        handlers = Handlers(self.stack)
        for function in self.stack.functions:  # import every handler now: a broken one fails start-up
            handlers.get(function)
        self.poller = StreamPoller(self.stack, handlers, interval=self.poll_interval, reopen_when_idle=self.services.engine == "moto", endpoint=self.endpoints.streams)
        self.poller.start()
        self.http = ThreadingHTTPServer((self.host, self.port), make_http_handler(self.stack, handlers, self.services.faults, self.poller))
        self.http.daemon_threads = True
        self.port = self.http.server_address[1]
        threading.Thread(target=self.http.serve_forever, name="http", daemon=True).start()

    def stop(self) -> None:
        if self.http:
            self.http.shutdown()
            self.http.server_close()
        if self.poller:
            self.poller.stop()
        if self.services:
            self.services.stop()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


def serve() -> None:
    logging.basicConfig(level=os.environ.get("LOCAL_LOG_LEVEL", "INFO"), format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # moto's own request log
    for name in ("botocore", "pynamodb"):  # endpoint and settings notices on every new client
        logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no CloudWatch here: keep the console readable
    local = LocalStack(port=int(os.environ.get("PORT", "3000")))
    # moto's DynamoDB when DynamoDB Local cannot run, unless LOCAL_DYNAMODB_FALLBACK=none (the tests)
    local.start(fallback=os.environ.get("LOCAL_DYNAMODB_FALLBACK", "moto") != "none")
    assert local.services is not None
    STATE_FILE.write_text(json.dumps({"url": local.url, "endpoints": vars(local.endpoints), "direct": vars(local.services.direct), "pid": os.getpid()}))
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    assert local.stack is not None
    port = urlsplit(local.url).port
    seed_command = "make seed" if port == 3000 else f"make seed PORT={port}"
    print(
        f"""
activity-tracker local stack on {local.url}
  {len(local.stack.routes())} routes from template.yaml;
  DynamoDB ({local.services.engine}) at {local.endpoints.dynamodb}; S3 and SQS (moto) at {local.endpoints.aws};
  stream poller feeding {sum(1 for f in local.stack.functions if f.streams)} stream handler(s).

The contract: {local.url}/docs (docs/openapi.json, rendered).

Next, in another terminal:
  make token EMAIL=admin@demo.example ORG=demo-org       # prints a local JWT (add SUB=, CAMPUS=)
  {seed_command:54} # demo organization, users and data
  make export-scheduled                                  # run the monthly Bufdir export schedule now
  curl -H "Authorization: Bearer $(make -s token EMAIL=admin@demo.example ORG=demo-org)" {local.url}/api/users/me

Ctrl-C stops everything.""",
        flush=True,
    )
    print("ready", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        STATE_FILE.unlink(missing_ok=True)
        local.stop()
        print("stopped", flush=True)


if __name__ == "__main__":
    serve()


def invoke(function_id: str, event: dict[str, Any] | None = None) -> Any:
    """Invoke a function of template.yaml against the running `make local` (e.g. a scheduled one)."""
    if not STATE_FILE.exists():
        raise SystemExit("No running `make local` found (start it first).")
    state = json.loads(STATE_FILE.read_text())
    Endpoints(**state["endpoints"]).apply()
    stack = Stack(parameters=parameters_from_env())
    for name, value in stack.environment().items():
        os.environ.setdefault(name, value)
    function = next((f for f in stack.functions if f.logical_id == function_id), None)
    if function is None:
        raise SystemExit(f"No function {function_id} in template.yaml.")
    scheduled = {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event", "source": "aws.scheduler", "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "detail": {}}
    return Handlers(stack).invoke(function, event if event is not None else scheduled)
