"""Reads template.yaml: functions, HTTP routes, stream event sources and the table definition.

This is the only place the local runner learns what exists; there is no second list of routes.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "template.yaml"
ACCOUNT = "000000000000"  # the local stand-in for the account id in ARNs
INTRINSICS = ("Ref", "Condition", "Base64", "Cidr", "FindInMap", "GetAtt", "GetAZs", "ImportValue", "Join", "Select", "Split", "Sub", "Transform", "And", "Equals", "If", "Not", "Or")


class _CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(name: str):
    key = name if name in ("Ref", "Condition") else f"Fn::{name}"

    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "GetAtt":
                value = value.split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {key: value}

    return construct


for _name in INTRINSICS:
    _CfnLoader.add_constructor(f"!{_name}", _intrinsic(_name))


def load(path: Path = TEMPLATE) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CfnLoader)


@dataclass
class Route:
    method: str
    path: str
    pattern: re.Pattern[str]
    literal_segments: int
    public: bool = False  # `Auth: {Authorizer: NONE}` on the event: API Gateway checks no JWT for it

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class StreamSource:
    batch_size: int
    filters: list[dict[str, Any]]
    max_retries: int
    report_failures: bool
    on_failure: str | None = None  # the on-failure destination's ARN (an SQS queue)

    @property
    def on_failure_queue(self) -> str | None:
        """The on-failure queue's name (the last part of its ARN)."""
        return self.on_failure.rsplit(":", 1)[1] if self.on_failure else None


@dataclass
class Function:
    logical_id: str
    code_uri: Path
    handler: str
    environment: dict[str, Any]
    timeout: int
    policies: list[Any] = field(default_factory=list)  # Policies as written, intrinsics unresolved
    routes: list[Route] = field(default_factory=list)
    streams: list[StreamSource] = field(default_factory=list)
    schedules: list[dict[str, Any]] = field(default_factory=list)


def route_pattern(path: str) -> tuple[re.Pattern[str], int]:
    regex, literal = "", 0
    for segment in path.strip("/").split("/"):
        match = re.fullmatch(r"\{([A-Za-z0-9_]+)(\+?)\}", segment)
        if match:
            regex += f"/(?P<{match.group(1)}>{'.+' if match.group(2) else '[^/]+'})"
        else:
            regex += "/" + re.escape(segment)
            literal += 1
    return re.compile(f"^{regex}$"), literal


class Stack:
    """The parts of the template that the runner uses, with intrinsics resolved for local use."""

    def __init__(self, path: Path = TEMPLATE, parameters: dict[str, str] | None = None):
        self.doc = load(path)
        self.parameters = {name: str(spec.get("Default", "")) for name, spec in (self.doc.get("Parameters") or {}).items()}
        self.parameters.update(parameters or {})
        self.resources: dict[str, Any] = self.doc["Resources"]
        self.functions = [self._function(name, res) for name, res in self.resources.items() if res["Type"] == "AWS::Serverless::Function"]
        self._routes: list[tuple[Route, Function]] | None = None

    # --- names of the local stand-ins of resources
    def physical_name(self, logical_id: str) -> str:
        resource = self.resources[logical_id]
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::DynamoDB::Table" and "TableName" in props:
            return str(self.resolve(props["TableName"]))
        if resource["Type"] == "AWS::S3::Bucket" and "BucketName" in props:
            return str(self.resolve(props["BucketName"]))
        return f"{logical_id.lower()}-local"

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (key, arg), = value.items()
            if key == "Ref":
                if arg in self.parameters:
                    return self.parameters[arg]
                if arg == "AWS::Region":
                    return os.environ.get("AWS_REGION", "eu-north-1")
                return self.physical_name(arg)
            if key == "Fn::Sub":
                text = arg if isinstance(arg, str) else arg[0]
                return re.sub(r"\$\{([^}]+)\}", lambda m: str(self.resolve({"Ref": m.group(1)}) if "." not in m.group(1) else self._get_att(m.group(1).split("."))), text)
            if key == "Fn::GetAtt":
                return self._get_att(arg)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _get_att(self, arg: list[str]) -> str:
        """ARNs shaped as AWS shapes them, so that policies can be checked locally (local/iam.py)."""
        logical_id, attribute = arg
        name, kind = self.physical_name(logical_id), self.resources[logical_id]["Type"]
        region = os.environ.get("AWS_REGION", "eu-north-1")
        if kind == "AWS::DynamoDB::Table" and attribute in ("Arn", "StreamArn"):
            return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}" + ("/stream/local" if attribute == "StreamArn" else "")
        if kind == "AWS::S3::Bucket" and attribute == "Arn":
            return f"arn:aws:s3:::{name}"
        if kind == "AWS::SQS::Queue" and attribute == "Arn":
            return f"arn:aws:sqs:{region}:{ACCOUNT}:{name}"
        if kind == "AWS::SQS::Queue" and attribute == "QueueName":
            return name
        if kind == "AWS::Serverless::Function" and attribute == "Arn":
            return f"arn:aws:lambda:{region}:{ACCOUNT}:function:{name}"
        if attribute == "Arn":
            return f"arn:aws:local:::{name}"
        return f"{name}.{attribute}"

    # --- functions
    def _function(self, logical_id: str, resource: dict[str, Any]) -> Function:
        glob = (self.doc.get("Globals") or {}).get("Function") or {}
        props = resource.get("Properties") or {}
        env = dict(((glob.get("Environment") or {}).get("Variables")) or {})
        env.update(((props.get("Environment") or {}).get("Variables")) or {})
        function = Function(
            logical_id=logical_id,
            code_uri=ROOT / props["CodeUri"],
            handler=props["Handler"],
            environment={k: str(self.resolve(v)) for k, v in env.items()},
            timeout=int(props.get("Timeout", glob.get("Timeout", 3))),
            policies=list(props.get("Policies") or []),
        )
        for event in (props.get("Events") or {}).values():
            spec = event.get("Properties") or {}
            if event["Type"] == "HttpApi":
                pattern, literal = route_pattern(spec["Path"])
                public = str(((spec.get("Auth") or {}).get("Authorizer")) or "").upper() == "NONE"
                function.routes.append(Route(spec["Method"].upper(), spec["Path"], pattern, literal, public))
            elif event["Type"] == "DynamoDB":
                filters = [json.loads(f["Pattern"]) for f in ((spec.get("FilterCriteria") or {}).get("Filters") or [])]
                function.streams.append(
                    StreamSource(
                        batch_size=int(spec.get("BatchSize", 100)),
                        filters=filters,
                        max_retries=int(spec.get("MaximumRetryAttempts", 2)),
                        report_failures="ReportBatchItemFailures" in (spec.get("FunctionResponseTypes") or []),
                        on_failure=self.resolve(((spec.get("DestinationConfig") or {}).get("OnFailure") or {}).get("Destination")),
                    )
                )
            elif event["Type"] in ("Schedule", "ScheduleV2"):
                function.schedules.append(spec)
        return function

    def routes(self) -> list[tuple[Route, Function]]:
        """Every HTTP route, most specific first (literal segments beat parameters, as API Gateway)."""
        if self._routes is None:
            pairs = [(route, fn) for fn in self.functions for route in fn.routes]
            self._routes = sorted(pairs, key=lambda pair: (-pair[0].literal_segments, pair[0].path))
        return self._routes

    def match(self, method: str, path: str) -> tuple[Route, Function, dict[str, str]] | None:
        """The route API Gateway would pick for `method path`, its function and path parameters."""
        for route, function in self.routes():
            if route.method in (method, "ANY"):
                found = route.pattern.match(path)
                if found:
                    return route, function, found.groupdict()
        return None

    def cors(self) -> dict[str, Any] | None:
        """The HTTP API's CorsConfiguration, resolved: API Gateway answers preflights with it and
        adds its headers to every answer (`make local` does the same)."""
        for resource in self.resources.values():
            if resource["Type"] == "AWS::Serverless::HttpApi" and resource.get("Properties", {}).get("CorsConfiguration"):
                return dict(self.resolve(resource["Properties"]["CorsConfiguration"]))
        return None

    def environment(self) -> dict[str, str]:
        env: dict[str, str] = {}
        for function in self.functions:
            env.update(function.environment)
        return env

    # --- the table
    def tables(self) -> list[tuple[str, dict[str, Any]]]:
        """(logical id, CreateTable arguments) for every DynamoDB table."""
        out = []
        for logical_id, resource in self.resources.items():
            if resource["Type"] != "AWS::DynamoDB::Table":
                continue
            props = self.resolve(resource["Properties"])
            args: dict[str, Any] = {
                "TableName": self.physical_name(logical_id),
                "AttributeDefinitions": props["AttributeDefinitions"],
                "KeySchema": props["KeySchema"],
                "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
            }
            for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
                if props.get(key):
                    args[key] = props[key]
            if props.get("StreamSpecification"):
                args["StreamSpecification"] = {"StreamEnabled": True, **props["StreamSpecification"]}
            out.append((logical_id, args))
        return out

    def queues(self) -> list[str]:
        return [self.physical_name(lid) for lid, res in self.resources.items() if res["Type"] == "AWS::SQS::Queue"]

    def buckets(self) -> list[str]:
        return [self.physical_name(lid) for lid, res in self.resources.items() if res["Type"] == "AWS::S3::Bucket"]
