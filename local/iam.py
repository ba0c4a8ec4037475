"""IAM, locally: a function may make only the AWS calls its `Policies` in template.yaml grant.

Neither moto nor DynamoDB Local checks IAM, so a policy that misses an action or an index would first fail in AWS.
While the runner invokes a function (Handlers.invoke), every botocore call it makes, presigned
URLs included, is mapped to the IAM actions and resource ARNs AWS would authorise, and refused
with AccessDenied, as AWS refuses it, unless an Allow statement of the function covers it. Only
Allow statements with Action and Resource are understood (all this template uses); anything
else in a policy fails loudly rather than being guessed at. `LOCAL_IAM=off` turns the check off.
"""

from __future__ import annotations

import contextlib
import contextvars
import fnmatch
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from local.template import ACCOUNT, Function, Stack

_current: contextvars.ContextVar[tuple[Function, list[Grant]] | None] = contextvars.ContextVar("local_iam_function", default=None)

# DynamoDB operations whose IAM action differs from the operation, per item of the request.
_TRANSACT_ACTIONS = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem", "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
# S3 operations authorised as another action.
_S3_ACTIONS = {
    "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject", "CompleteMultipartUpload": "PutObject",
    "ListObjectsV2": "ListBucket", "HeadObject": "GetObject", "ListParts": "ListMultipartUploadParts",
}  # fmt: skip


@dataclass(frozen=True)
class Grant:
    actions: tuple[str, ...]
    resources: tuple[str, ...]

    def allows(self, action: str, resource: str) -> bool:
        return any(fnmatch.fnmatchcase(action.lower(), a.lower()) for a in self.actions) and any(fnmatch.fnmatchcase(resource, r) for r in self.resources)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def grants(stack: Stack, function: Function) -> list[Grant]:
    """The Allow statements of a function's policies, inline or managed policies of the template."""
    out = []
    for policy in function.policies:
        if isinstance(policy, dict) and set(policy) == {"Ref"} and policy["Ref"] in stack.resources:
            statements = stack.resources[policy["Ref"]]["Properties"]["PolicyDocument"]["Statement"]
        elif isinstance(policy, dict) and "Statement" in policy:
            statements = policy["Statement"]
        else:
            raise ValueError(f"{function.logical_id}: policy {policy!r} is not understood by local/iam.py")
        for statement in _as_list(statements):
            if statement.get("Effect") != "Allow" or "Action" not in statement or "Resource" not in statement:
                raise ValueError(f"{function.logical_id}: statement {statement!r} is not understood by local/iam.py")
            resources = tuple(str(stack.resolve(r)) for r in _as_list(statement["Resource"]))
            out.append(Grant(tuple(_as_list(statement["Action"])), resources))
    return out


def _table(name: str, index: str | None = None) -> str:
    region = os.environ.get("AWS_REGION", "eu-north-1")
    return f"arn:aws:dynamodb:{region}:{ACCOUNT}:table/{name}" + (f"/index/{index}" if index else "")


def requested(service: str, operation: str, params: dict[str, Any]) -> list[tuple[str, str]]:
    """(IAM action, resource ARN) pairs that AWS authorises for one call."""
    if service == "dynamodb":
        if operation in ("TransactWriteItems", "TransactGetItems"):
            pairs = []
            for entry in params.get("TransactItems", []):
                ((kind, body),) = entry.items()
                pairs.append((f"dynamodb:{_TRANSACT_ACTIONS[kind]}", _table(body["TableName"])))
            return pairs
        if operation in ("BatchGetItem", "BatchWriteItem"):
            return [(f"dynamodb:{operation}", _table(name)) for name in params.get("RequestItems", {})]
        if "TableName" in params:
            return [(f"dynamodb:{operation}", _table(params["TableName"], params.get("IndexName")))]
        # DynamoDB Streams: a stream ARN, or a shard iterator, which starts with its stream's ARN
        stream = params.get("StreamArn") or (params.get("ShardIterator") or "").split("|", 1)[0]
        if ":table/" in stream and "/stream/" in stream:
            table, label = stream.split(":table/", 1)[1].split("/stream/", 1)
            return [(f"dynamodb:{operation}", f"{_table(table)}/stream/{label}")]
        return [(f"dynamodb:{operation}", "*")]
    if service == "s3":
        action = f"s3:{_S3_ACTIONS.get(operation, operation)}"
        if "Key" in params:
            return [(action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]
        if "Bucket" in params:
            return [(action, f"arn:aws:s3:::{params['Bucket']}")]
    if service == "sqs":
        name = params.get("QueueName") or (params.get("QueueUrl") or "").rstrip("/").rsplit("/", 1)[-1]
        if name:
            return [(f"sqs:{operation}", f"arn:aws:sqs:{os.environ.get('AWS_REGION', 'eu-north-1')}:{ACCOUNT}:{name}")]
    return [(f"{service}:{operation}", "*")]


def denied(service: str, operation: str, params: dict[str, Any]) -> tuple[str, str] | None:
    """The first (action, resource) of a call that the invoking function may not perform."""
    current = _current.get()
    if current is None:
        return None
    _, allowed = current
    for action, resource in requested(service, operation, params):
        if not any(grant.allows(action, resource) for grant in allowed):
            return action, resource
    return None


def enabled() -> bool:
    return os.environ.get("LOCAL_IAM", "on").lower() != "off"


@contextlib.contextmanager
def acting_as(function: Function, allowed: list[Grant]) -> Iterator[None]:
    """AWS calls made inside are checked against `allowed`, the function's grants."""
    if not enabled():
        yield
        return
    _install()
    token = _current.set((function, allowed))
    try:
        yield
    finally:
        _current.reset(token)


@contextlib.contextmanager
def unchecked() -> Iterator[None]:
    """Calls made inside are no function's (a test's own set-up inside an invocation)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


def _install() -> None:
    import botocore.client
    from botocore.exceptions import ClientError

    if getattr(botocore.client.BaseClient._emit_api_params, "_local_iam", False):
        return
    original = botocore.client.BaseClient._emit_api_params

    def checked(self: Any, api_params: dict[str, Any], operation_model: Any, context: Any) -> Any:
        api_params = original(self, api_params, operation_model, context)
        service = self.meta.service_model.signing_name or self.meta.service_model.endpoint_prefix
        refused = denied(service, operation_model.name, api_params)
        if refused is not None:
            current = _current.get()
            role = current[0].logical_id if current else "?"
            action, resource = refused
            code = "AccessDenied" if service == "s3" else "AccessDeniedException"
            message = f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}Role/{role} is not authorized to perform: {action} on resource: {resource} because no identity-based policy allows the {action} action"
            raise ClientError({"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": 400}}, operation_model.name)
        return api_params

    checked._local_iam = True  # type: ignore[attr-defined]
    botocore.client.BaseClient._emit_api_params = checked  # type: ignore[method-assign]
