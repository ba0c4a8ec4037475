"""The local runner reads everything from template.yaml; these pin what it reads."""

from __future__ import annotations

import json
from pathlib import Path

from local.events import http_event
from local.filters import matches
from local.template import ROOT, Function, Stack, route_pattern


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


def _function(stack: Stack, logical_id: str) -> Function:
    (function,) = [f for f in stack.functions if f.logical_id == logical_id]
    return function


def test_the_job_worker_may_query_the_indexes_its_jobs_read(stack: Stack):
    """Least privilege cuts both ways: the worker's Query grants name the indexes its jobs read
    (the Bufdir export gsi4, the personal-data export gsi1 and gsi2, the erasure gsi1 to gsi3)."""
    from activity_tracker.repository.table import Gsi1, Gsi2, Gsi3, Gsi4

    statements = [s for policy in _function(stack, "JobsWorkerFunction").policies if isinstance(policy, dict) for s in policy["Statement"]]
    resources = [r for s in statements for r in (lambda v: v if isinstance(v, list) else [v])(stack.resolve(s["Resource"]))]
    granted = sorted(r.split("/index/")[1] for r in resources if "/index/" in r)
    assert granted == sorted(g.Meta.index_name for g in (Gsi1, Gsi2, Gsi3, Gsi4))


def test_the_tables_stream_has_two_readers_the_consumer_and_the_job_worker(stack: Stack):
    """DynamoDB Streams serves at most two readers per shard: GetRecords is limited to 5 calls a
    second per shard, shared by every reader, so a third throttles them all and their IteratorAge
    grows (docs/decisions.md, Stream readers). New stream work joins one of the two readers."""
    stream = stack.resolve({"Fn::GetAtt": ["Table", "StreamArn"]})
    readers = []
    for logical_id, resource in stack.resources.items():
        props = resource.get("Properties") or {}
        if resource["Type"] == "AWS::Lambda::EventSourceMapping" and stack.resolve(props.get("EventSourceArn")) == stream:
            readers.append(logical_id)
        for event in (props.get("Events") or {}).values() if resource["Type"] == "AWS::Serverless::Function" else []:
            if event["Type"] == "DynamoDB" and stack.resolve(event["Properties"]["Stream"]) == stream:
                readers.append(logical_id)
    assert len(readers) <= 2, f"more than two readers of the table's stream: {readers}"
    assert sorted(readers) == ["JobsWorkerFunction", "StreamConsumerFunction"]


def _job_record(kind: str, event: str = "INSERT", status: str | None = "pending") -> dict:
    image = {"type": {"S": kind}, **({"status": {"S": status}} if status else {})}
    return {"eventName": event, "dynamodb": {"NewImage": image} if event != "REMOVE" else {"OldImage": image}}


def test_the_local_runner_sends_each_job_type_to_the_job_worker_only(stack: Stack):
    """A job queued (INSERT) or queued again (MODIFY to pending) reaches the job worker, and the
    worker runs each type it is let through; a job running, done or failed, or an item of another
    type, does not wake it. The filters fit one FilterCriteria (at most 5 filters)."""
    from activity_tracker.stream.jobs import RECORD_HANDLERS
    from local.streams import StreamPoller

    poller = StreamPoller(stack, None)  # type: ignore[arg-type]
    (source,) = _function(stack, "JobsWorkerFunction").streams
    assert len(source.filters) <= 5
    assert {kind for f in source.filters for kind in f["dynamodb"]["NewImage"]["type"]["S"]} == set(RECORD_HANDLERS)
    for kind in RECORD_HANDLERS:
        for event in ("INSERT", "MODIFY"):
            woken = [fn.logical_id for fn, src in poller.consumers if any(matches(p, _job_record(kind, event)) for p in src.filters)]
            assert woken == ["JobsWorkerFunction"], (kind, event, woken)
        for record in (_job_record(kind, "MODIFY", "running"), _job_record(kind, "MODIFY", "done"), _job_record(kind, "MODIFY", "failed"), _job_record(kind, "REMOVE", None)):
            assert not any(matches(p, record) for p in source.filters), (kind, record)
    assert not any(matches(p, _job_record("ACTIVITY")) for p in source.filters)


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
