"""The local runner reads everything from template.yaml; these pin what it reads."""

from __future__ import annotations

import json
from pathlib import Path

from local.events import http_event
from local.filters import matches
from local.template import ROOT, Stack, route_pattern


def test_every_function_has_its_code_and_a_sample_event(stack: Stack):
    for function in stack.functions:
        module = function.code_uri / (function.handler.rsplit(".", 1)[0] + ".py")
        assert module.exists(), module
        assert (ROOT / "events" / f"{function.logical_id}.json").exists(), f"make events: {function.logical_id}"


def test_routes_are_unique_and_one_function_serves_each(stack: Stack):
    keys = [route.key for route, _ in stack.routes()]
    assert len(keys) == len(set(keys))
    assert all(len(fn.routes) <= 1 for fn in stack.functions), "one Lambda handler per endpoint"


def test_literal_routes_win_over_parameters():
    from local.template import Route

    routes = []
    for path in ["/api/activities/{id}", "/api/activities/sync"]:
        pattern, literal = route_pattern(path)
        routes.append(Route("POST", path, pattern, literal))
    ordered = sorted(routes, key=lambda r: -r.literal_segments)
    assert ordered[0].path == "/api/activities/sync"
    assert route_pattern("/api/activities/{id}")[0].match("/api/activities/abc").groupdict() == {"id": "abc"}
    assert not route_pattern("/api/activities/{id}")[0].match("/api/activities/a/b")


def test_table_definition_comes_from_the_template(stack: Stack):
    (logical_id, args), = stack.tables()
    assert logical_id == "Table"
    assert args["StreamSpecification"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
    assert {i["IndexName"] for i in args["GlobalSecondaryIndexes"]} == {"gsi1", "gsi2", "gsi3", "gsi4", "gsi5"}
    assert [i["IndexName"] for i in args["LocalSecondaryIndexes"]] == ["lsi1"]


def test_function_environment_resolves_references(stack: Stack):
    env = stack.environment()
    assert env["TABLE_NAME"] == stack.physical_name("Table") == "activity-tracker-dev"
    assert env["ADMIN_EMAILS"] == "admin@tests.example,Boss@Tests.Example"


def test_http_event_has_the_payload_v2_shape():
    event = http_event("GET", "GET /api/x/{id}", "/api/x/1", "a=1&a=2&b=", {"Authorization": "t", "X-Y": "z"}, None, {"sub": "s", "exp": 5}, {"id": "1"})
    assert event["version"] == "2.0" and event["routeKey"] == "GET /api/x/{id}"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["headers"] == {"authorization": "t", "x-y": "z"}
    assert event["requestContext"]["authorizer"]["jwt"]["claims"] == {"sub": "s", "exp": "5"}
    assert event["pathParameters"] == {"id": "1"} and "body" not in event
    binary = http_event("POST", "k", "/", "", {}, b"\xff", None, None)
    assert binary["isBase64Encoded"] is True and "authorizer" not in binary["requestContext"]


def test_stream_filters_match_like_lambda_event_filtering():
    record = {"eventName": "MODIFY", "dynamodb": {"NewImage": {"type": {"S": "ACTIVITY"}}}}
    assert matches({"dynamodb": {"NewImage": {"type": {"S": ["ACTIVITY", "CLASS"]}}}}, record)
    assert not matches({"dynamodb": {"NewImage": {"type": {"S": ["COUNTER"]}}}}, record)
    assert not matches({"dynamodb": {"OldImage": {"type": {"S": ["ACTIVITY"]}}}}, record)
    assert matches({"eventName": [{"anything-but": ["REMOVE"]}]}, record)
    assert matches({"dynamodb": {"NewImage": {"type": {"S": [{"prefix": "ACT"}]}}}}, record)
    assert matches({"dynamodb": {"OldImage": [{"exists": False}]}}, record)


def test_sample_events_are_valid_json():
    for path in Path(ROOT / "events").glob("*.json"):
        json.loads(path.read_text())


def test_the_export_worker_may_query_the_index_it_reads():
    """Least privilege cuts both ways: the worker's one Query grant names the index its code reads."""
    from activity_tracker.repository.table import Gsi4

    text = (ROOT / "template.yaml").read_text()
    worker = text[text.index("  ExportsWorkerFunction:") : text.index("  ExportsScheduleFunction:")]
    granted = [line.split("/index/")[1].strip(' "') for line in worker.splitlines() if "/index/" in line]
    assert granted == [Gsi4.Meta.index_name]


def test_without_java_make_local_falls_back_to_moto_and_the_tests_refuse(monkeypatch):
    import pytest

    from local import dynamodb_local, services
    from local.services import LocalServices

    monkeypatch.setattr(dynamodb_local, "java", lambda: None)
    started: list[bool] = []
    monkeypatch.setattr(services.MotoServer, "start", lambda self: started.append(self.serialised) or self)
    monkeypatch.setattr(services.Endpoints, "apply", lambda self: None)
    with pytest.raises(dynamodb_local.EngineUnavailable, match="openjdk-17"):
        LocalServices(engine="dynamodb-local").start()
    fallback = LocalServices(engine="dynamodb-local", fallback=True)
    endpoints = fallback.start()
    assert fallback.engine == "moto" and endpoints.dynamodb == endpoints.aws
    assert started == [True], "moto serves DynamoDB one request at a time (its conditions are not atomic)"


def test_boto3_reaches_dynamodb_local_and_moto_through_their_own_endpoints(aws):
    import boto3

    assert boto3.client("dynamodb").meta.endpoint_url == boto3.client("dynamodbstreams").meta.endpoint_url == aws.dynamodb
    assert boto3.client("s3").meta.endpoint_url == boto3.client("sqs").meta.endpoint_url == aws.aws != aws.dynamodb
    assert "Jetty" in boto3.client("dynamodb").list_tables()["ResponseMetadata"]["HTTPHeaders"]["server"], "DynamoDB Local, not moto"


def test_the_user_pool_verifies_email_changes_and_can_close_sign_up(stack: Stack):
    """The API trusts `email` only when `email_verified` is true, so the ID token must carry it, and
    a changed email must not take effect before it is verified."""
    pool = stack.resources["UserPool"]["Properties"]
    assert pool["UserAttributeUpdateSettings"]["AttributesRequireVerificationBeforeUpdate"] == ["email"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] == {"Fn::If": ["SignUpClosed", True, False]}
    assert stack.doc["Parameters"]["AdminCreateUserOnly"]["Default"] == "true"
    assert pool["MfaConfiguration"] in ("OPTIONAL", "ON") and "SOFTWARE_TOKEN_MFA" in pool["EnabledMfas"]
    assert "email_verified" in stack.resources["UserPoolClient"]["Properties"]["ReadAttributes"]


def test_reads_of_the_exports_bucket_are_logged_to_a_bucket_of_their_own():
    from local.template import Stack

    resources = Stack().resources
    logging = resources["ExportsBucket"]["Properties"]["LoggingConfiguration"]
    assert logging["DestinationBucketName"] == {"Ref": "ExportsAccessLogBucket"} and logging["LogFilePrefix"] == "exports/"
    log_bucket = resources["ExportsAccessLogBucket"]
    assert log_bucket["DeletionPolicy"] == "Retain" and "LoggingConfiguration" not in log_bucket["Properties"]
    assert all(log_bucket["Properties"]["PublicAccessBlockConfiguration"].values())
    (grant,) = [s for s in resources["ExportsAccessLogBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert grant["Principal"] == {"Service": "logging.s3.amazonaws.com"} and grant["Action"] == "s3:PutObject"
    assert grant["Condition"]["ArnLike"] == {"aws:SourceArn": {"Fn::GetAtt": ["ExportsBucket", "Arn"]}}


def test_seed_against_no_stack_says_so_in_one_line(capsys):
    from local.dynamodb_local import free_port
    from local.seed import seed

    assert seed(f"http://127.0.0.1:{free_port()}", "demo-org") == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "start `make local`" in err


def test_token_without_email_or_org_is_a_usage_line(capsys):
    from local.__main__ import main

    assert main(["token", "--email", "", "--org", "demo-org"]) == 2
    assert capsys.readouterr().err.startswith("usage: make token")


def test_a_route_without_an_authorizer_is_public_and_only_that_one(stack: Stack):
    """template.yaml's `Auth: {Authorizer: NONE}`: the local runner checks no JWT for it, as API Gateway."""
    public = sorted(route.key for route, _ in stack.routes() if route.public)
    assert public == ["GET /api/calendar/feed/{token}"]
