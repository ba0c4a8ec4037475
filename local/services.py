"""The AWS services a local stack talks to: DynamoDB and DynamoDB Streams on AWS's DynamoDB Local
(the real engine), S3 and SQS on moto's server; and the environment that points boto3 at them
(botocore's service-specific endpoint variables, so the handlers' code is the code AWS runs).

`LOCAL_DYNAMODB=moto` puts DynamoDB on moto's server too (requests then serialised: see
`MotoServer`); `make local` falls back to that, with a warning, when Java is missing.
`LOCAL_FAULTS=rate=0.1` puts a fault-injecting proxy (local/faults.py) in front of both.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field
from typing import Any

from local.dynamodb_local import DynamoDBLocal, EngineUnavailable, free_port
from local.faults import FaultPlan, FaultProxy

log = logging.getLogger("local")

ENGINES = ("dynamodb-local", "moto")


class MotoServer:
    """moto's server for S3 and SQS (and DynamoDB when it stands in for DynamoDB Local).

    `serialised`: one AWS request at a time. moto's DynamoDB does not evaluate a condition and
    apply the write atomically (two concurrent conditional writes can both pass); DynamoDB Local
    does, so the lock is taken only while moto serves DynamoDB.
    """

    def __init__(self, port: int | None = None, serialised: bool = False):
        self.port = port or free_port()
        self.serialised = serialised
        self._server: Any = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoServer:
        from moto.moto_server.threaded_moto_server import MotoRequestHandler
        from moto.server import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import make_server

        app: Any = DomainDispatcherApplication(create_backend_app)
        if self.serialised:
            lock, inner = threading.Lock(), app

            def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
                with lock:
                    return list(inner(environ, start_response))

        self._server = make_server("127.0.0.1", self.port, app, threaded=True, request_handler=MotoRequestHandler)
        threading.Thread(target=self._server.serve_forever, name="moto", daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()


@dataclass
class Endpoints:
    """Where each service answers: `aws` for S3 and SQS (moto), `dynamodb` for DynamoDB and
    `streams` for its streams (past any fault proxy: Lambda's stream reading is AWS's own)."""

    aws: str
    dynamodb: str
    streams: str = ""

    def __post_init__(self) -> None:
        self.streams = self.streams or self.dynamodb

    def environment(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.aws,
            "AWS_ENDPOINT_URL_DYNAMODB": self.dynamodb,
            "AWS_ENDPOINT_URL_DYNAMODB_STREAMS": self.streams,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_SESSION_TOKEN": "local",
            "AWS_REGION": os.environ.get("AWS_REGION", "eu-north-1"),
            "AWS_DEFAULT_REGION": os.environ.get("AWS_REGION", "eu-north-1"),
        }

    def apply(self) -> None:
        os.environ.update(self.environment())


@dataclass
class LocalServices:
    """DynamoDB Local plus moto's server, started together and stopped together."""

    engine: str = field(default_factory=lambda: os.environ.get("LOCAL_DYNAMODB", "dynamodb-local"))
    fallback: bool = False  # when DynamoDB Local cannot run: moto with a warning (make local) or an error (tests)
    moto: MotoServer | None = None
    dynamodb: DynamoDBLocal | None = None
    faults: FaultPlan | None = field(default_factory=lambda: FaultPlan.parse(os.environ["LOCAL_FAULTS"]) if os.environ.get("LOCAL_FAULTS") else None)
    proxies: list[FaultProxy] = field(default_factory=list)
    direct: Endpoints | None = None  # the services themselves, past any fault proxy

    def start(self) -> Endpoints:
        if self.engine not in ENGINES:
            raise SystemExit(f"LOCAL_DYNAMODB={self.engine}: expected one of {', '.join(ENGINES)}")
        if self.engine == "dynamodb-local":
            try:
                self.dynamodb = DynamoDBLocal().start()
            except EngineUnavailable as error:
                if not self.fallback:
                    raise
                log.warning("DynamoDB Local cannot run (%s); falling back to moto's DynamoDB, which accepts what AWS refuses", error)
                self.engine = "moto"
        self.moto = MotoServer(serialised=self.engine == "moto").start()
        dynamodb = self.dynamodb.endpoint if self.dynamodb else self.moto.endpoint
        endpoints = self.direct = Endpoints(aws=self.moto.endpoint, dynamodb=dynamodb)
        if self.faults is not None:
            self.proxies = [FaultProxy(self.moto.endpoint, self.faults, "s3").start(), FaultProxy(dynamodb, self.faults, "dynamodb").start()]
            endpoints = Endpoints(aws=self.proxies[0].endpoint, dynamodb=self.proxies[1].endpoint, streams=dynamodb)
        endpoints.apply()
        return endpoints

    def restart_dynamodb(self, stack: Any) -> None:
        """A new, empty engine on the same port, with the stack's tables (the benchmarks start each
        area on one: an engine that held 100,000 items stays slower after the table is deleted)."""
        if self.dynamodb is None:
            raise RuntimeError("DynamoDB is moto's here: nothing to restart")
        port = self.dynamodb.port
        self.dynamodb.stop()
        self.dynamodb = DynamoDBLocal(port=port).start()
        import boto3

        client = boto3.client("dynamodb", endpoint_url=self.dynamodb.endpoint)
        for _, args in stack.tables():
            client.create_table(**args)

    def arm_faults(self) -> None:
        """Start failing calls (after the stack has created its resources)."""
        if self.faults is not None:
            self.faults.armed = True

    def stop(self) -> None:
        for proxy in self.proxies:
            proxy.stop()
        if self.moto:
            self.moto.stop()
        if self.dynamodb:
            self.dynamodb.stop()


def create_resources(stack: Any) -> None:
    """The table(s), queues and buckets of template.yaml."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    for _, args in stack.tables():
        dynamodb.create_table(**args)
    sqs = boto3.client("sqs")
    for queue in stack.queues():
        sqs.create_queue(QueueName=queue)
    s3 = boto3.client("s3")
    for bucket in stack.buckets():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": os.environ["AWS_REGION"]})
