"""Reading the table's stream (DynamoDB Local) the way Lambda does, to record and replay real batches."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from activity_tracker.stream.images import lambda_record
from local.filters import matches
from local.template import Stack

STREAM_FUNCTION = "StreamConsumerFunction"
JOBS_WORKER = "JobsWorkerFunction"  # the stream's other reader: Bufdir exports, personal-data exports, erasures


def recorded(stack: Stack, org_id: str, function_id: str = STREAM_FUNCTION, entities: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
    """Every stream record so far about `org_id`'s items that the consumer's filters let through
    (only those of item types `entities`, when given)."""
    import boto3

    table = stack.physical_name("Table")
    dynamodb, streams = boto3.client("dynamodb"), boto3.client("dynamodbstreams")
    arn = dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"]
    function = next(f for f in stack.functions if f.logical_id == function_id)
    filters = function.streams[0].filters
    out = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            records = response.get("Records", [])
            for record in records:
                pk = record["dynamodb"]["Keys"]["pk"]["S"]
                if pk.startswith((f"ORG#{org_id}#", f"ORG#{org_id}")) and pk.split("#")[1] == org_id:
                    shaped = lambda_record(record, arn, dynamodb.meta.region_name)
                    image = record["dynamodb"].get("NewImage") or record["dynamodb"].get("OldImage") or {}
                    if any(matches(p, shaped) for p in filters) and (entities is None or image.get("type", {}).get("S") in entities):
                        out.append(shaped)
            iterator = response.get("NextShardIterator") if records else None
    return out


def consume(api: Any, records: list[dict[str, Any]], function_id: str = STREAM_FUNCTION) -> dict[str, Any]:
    function = next(f for f in api.stack.functions if f.logical_id == function_id)
    return api.handlers.invoke(function, {"Records": records})


def run_jobs(api: Any, org_id: str, *kinds: str) -> dict[str, Any]:
    """The job worker over the organization's job records so far, as the stream delivers them (only
    jobs of item types `kinds`, e.g. "EXPORT", "DATA_EXPORT", "ERASURE", when given)."""
    return consume(api, recorded(api.stack, org_id, JOBS_WORKER, entities=kinds or None), JOBS_WORKER)


def counters(org_id: str) -> dict[tuple[str, str], dict[str, int]]:
    """Every counter item of the organization (users' months and the organization's months)."""
    from activity_tracker.repository.table import TABLE_NAME, connection
    from activity_tracker.stream.images import deserialize

    client = connection().client
    out: dict[tuple[str, str], dict[str, int]] = {}
    for pk in [f"ORG#{org_id}", *user_partitions(org_id)]:
        for raw in client.query(TableName=TABLE_NAME, KeyConditionExpression="pk = :pk AND begins_with(sk, :s)", ExpressionAttributeValues={":pk": {"S": pk}, ":s": {"S": "STATS#"}})["Items"]:
            item = deserialize(raw) or {}
            fields = {k: v for k, v in item.items() if isinstance(v, int) and v != 0}
            if fields:
                out[(item["pk"], item["sk"])] = fields
    return out


def user_partitions(org_id: str) -> list[str]:
    from activity_tracker.repository.users import UserItem

    return [u.pk for u in UserItem.by_organization.query(f"ORG#{org_id}#USERS")]


def expected_counters(org_id: str) -> dict[tuple[str, str], dict[str, int]]:
    """The counters recomputed from the activities as they are now."""
    from activity_tracker.repository.activities import ActivityItem
    from activity_tracker.stream.deltas import contribution

    total: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for item in ActivityItem.by_organization.query(f"ORG#{org_id}#ACT"):
        image = {name: getattr(item, name) for name in ("organization_id", "user_id", "local_date", "duration_minutes", "activity_type", "status", "deleted_at")}
        for key, fields in contribution({"type": "ACTIVITY", **image}).items():
            for name, value in fields.items():
                total[key][name] = total[key].get(name, 0) + value
    for (pk, sk), fields in list(total.items()):  # active_users: user months with a counted activity
        if "#USER#" in pk and fields.get("activity_count", 0) > 0:
            org_month = total[(pk.split("#USER#", 1)[0], sk)]
            org_month["active_users"] = org_month.get("active_users", 0) + 1
    return {key: {n: v for n, v in fields.items() if v} for key, fields in total.items() if any(fields.values())}
