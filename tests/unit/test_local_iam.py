"""local/iam.py: functions are held to their template.yaml policies, as AWS holds them."""

from __future__ import annotations

import pytest

from local import iam
from local.template import ACCOUNT, Stack

TABLE = f"arn:aws:dynamodb:eu-north-1:{ACCOUNT}:table/t"


@pytest.fixture(autouse=True)
def region(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-north-1")


def test_every_functions_policies_are_understood_and_grant_something(stack: Stack):
    for function in stack.functions:
        assert iam.grants(stack, function), function.logical_id


def test_a_managed_policy_reference_grants_its_statements(stack: Stack):
    (function,) = [f for f in stack.functions if f.logical_id == "UsersMeGetFunction"]
    table = stack.physical_name("Table")
    allowed = iam.grants(stack, function)
    assert any(g.allows("dynamodb:GetItem", f"arn:aws:dynamodb:eu-north-1:{ACCOUNT}:table/{table}") for g in allowed)
    assert not any(g.allows("dynamodb:DeleteItem", f"arn:aws:dynamodb:eu-north-1:{ACCOUNT}:table/{table}") for g in allowed)
    assert not any(g.allows("dynamodb:GetItem", f"arn:aws:dynamodb:eu-north-1:{ACCOUNT}:table/{table}/index/gsi1") for g in allowed)


@pytest.mark.parametrize(
    ("service", "operation", "params", "expected"),
    [
        ("dynamodb", "GetItem", {"TableName": "t"}, [("dynamodb:GetItem", TABLE)]),
        ("dynamodb", "Query", {"TableName": "t", "IndexName": "gsi4"}, [("dynamodb:Query", TABLE + "/index/gsi4")]),
        ("dynamodb", "Query", {"TableName": "t"}, [("dynamodb:Query", TABLE)]),
        (
            "dynamodb",
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": "t"}}, {"Update": {"TableName": "t"}}, {"ConditionCheck": {"TableName": "t"}}, {"Delete": {"TableName": "t"}}]},
            [("dynamodb:PutItem", TABLE), ("dynamodb:UpdateItem", TABLE), ("dynamodb:ConditionCheckItem", TABLE), ("dynamodb:DeleteItem", TABLE)],
        ),
        ("dynamodb", "BatchGetItem", {"RequestItems": {"t": {}}}, [("dynamodb:BatchGetItem", TABLE)]),
        ("s3", "UploadPart", {"Bucket": "b", "Key": "exports/o/e.csv"}, [("s3:PutObject", "arn:aws:s3:::b/exports/o/e.csv")]),
        ("s3", "AbortMultipartUpload", {"Bucket": "b", "Key": "k"}, [("s3:AbortMultipartUpload", "arn:aws:s3:::b/k")]),
        ("s3", "ListObjectsV2", {"Bucket": "b"}, [("s3:ListBucket", "arn:aws:s3:::b")]),
        ("sqs", "ReceiveMessage", {"QueueUrl": "http://127.0.0.1:5000/123456789012/dlq"}, [("sqs:ReceiveMessage", f"arn:aws:sqs:eu-north-1:{ACCOUNT}:dlq")]),
        ("sqs", "GetQueueUrl", {"QueueName": "dlq"}, [("sqs:GetQueueUrl", f"arn:aws:sqs:eu-north-1:{ACCOUNT}:dlq")]),
        # DynamoDB Streams: by the stream's ARN (moto's account normalised), a shard iterator by the stream it starts with
        ("dynamodb", "GetShardIterator", {"StreamArn": "arn:aws:dynamodb:eu-north-1:123456789012:table/t/stream/2026-11-26T00:00:00"}, [("dynamodb:GetShardIterator", TABLE + "/stream/2026-11-26T00:00:00")]),
        ("dynamodb", "GetRecords", {"ShardIterator": "arn:aws:dynamodb:eu-north-1:123456789012:table/t/stream/L|1|AAAA"}, [("dynamodb:GetRecords", TABLE + "/stream/L")]),
        ("lambda", "Invoke", {"FunctionName": "f"}, [("lambda:Invoke", "*")]),
    ],
)
def test_calls_map_to_the_actions_and_resources_aws_authorises(service, operation, params, expected):
    assert iam.requested(service, operation, params) == expected


def test_wildcards_in_actions_and_resources():
    grant = iam.Grant(("dynamodb:Get*",), ("arn:aws:s3:::b/exports/*",))
    assert grant.allows("dynamodb:GetItem", "arn:aws:s3:::b/exports/o/e.csv")
    assert not grant.allows("dynamodb:PutItem", "arn:aws:s3:::b/exports/o/e.csv")
    assert not grant.allows("dynamodb:GetItem", "arn:aws:s3:::b/other")


def test_a_call_outside_the_functions_policies_is_refused_as_aws_refuses_it(stack: Stack, monkeypatch):
    import boto3
    from botocore.exceptions import ClientError

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    (function,) = [f for f in stack.functions if f.logical_id == "ExportsGetFunction"]
    s3, dynamodb = boto3.client("s3", region_name="eu-north-1"), boto3.client("dynamodb", region_name="eu-north-1")
    bucket = stack.physical_name("ExportsBucket")
    with iam.acting_as(function, iam.grants(stack, function)):
        assert s3.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "exports/o/e.csv"})  # granted
        with pytest.raises(ClientError) as refused:
            s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": "exports/o/e.csv"})
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
        with pytest.raises(ClientError) as refused:
            dynamodb.delete_item(TableName=stack.physical_name("Table"), Key={"pk": {"S": "p"}, "sk": {"S": "s"}})
        assert refused.value.response["Error"]["Code"] == "AccessDeniedException" and "dynamodb:DeleteItem" in str(refused.value)
    assert iam.denied("dynamodb", "DeleteItem", {"TableName": "t"}) is None  # outside a function nothing is checked
