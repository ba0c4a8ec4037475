"""Personal-data export (right of access): everything the table holds about one user, as one JSON
document in S3, written item by item through the Bufdir export's multipart writer (memory holds one
5 MiB part, whatever the person's history), fetched with a short-lived presigned URL.

What it holds, each item as stored (its `sk` kept, partition and index keys left out), by section:
- `profile`; `user_partition`: the rest of the user's own partition by type (progress rows, user
  activities, monthly statistics, tombstones of deleted progress rows);
- `activities`: activities they own or registered, live and deleted, each with its
  `home_visit_reports`; `reviews`: activities of others they reviewed (id, status, when only);
- `classes_hosted` (without the other members' ids), `tasks_created`, `contacts_created`,
  `bufdir_exports_requested`, `data_exports` (earlier exports about them).
The organization's activities are read once (both GSI2 partitions, filtered on the person's ids):
the cost grows with the organization, which is fine for a request a person makes rarely."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.privacy import jobs
from activity_tracker.repository.table import plain_item

FILE_DAYS = 7  # template.yaml ExportsBucket lifecycle `expire-data-exports`
FILE_LIFETIME = timedelta(days=FILE_DAYS)
KEY_PREFIX = "data-exports"
HIDDEN = ("pk", "lsi1sk", *(f"gsi{n}{part}" for n in range(1, 6) for part in ("pk", "sk")))
OTHER_PEOPLE = ("participant_ids", "member_activities")  # a hosted class's members are not the host's data


def new_data_export(org_id: str, export_id: str, subject_id: str, requested_by: str) -> jobs.JobItem:
    moment = now_iso()
    return jobs.new(
        jobs.DATA_EXPORT, keys.data_export_pk(org_id, export_id), keys.DATA_EXPORT_SK, export_id, org_id, subject_kind="user",
        subject_id=subject_id, requested_by_user_id=requested_by, gsi1pk=keys.data_exports_of_user(org_id, subject_id), gsi1sk=f"{moment}#{export_id}",
    )  # fmt: skip


def s3_key(job: jobs.JobItem) -> str:
    return f"{KEY_PREFIX}/{job.organization_id}/{job.id}.json"


def shown(raw: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    item = plain_item(raw) or {}
    return {name: (sorted(value) if isinstance(value, set) else value) for name, value in sorted(item.items()) if name not in HIDDEN and name not in drop}


def _filtered(index: str, partition: str, names: tuple[str, ...], value: str) -> dict[str, Any]:
    """A Query of an index partition for items where any of `names` equals `value`."""
    return {
        "IndexName": index, "KeyConditionExpression": f"{index}pk = :p",
        "FilterExpression": " OR ".join(f"#f{n} = :v" for n in range(len(names))),
        "ExpressionAttributeNames": {f"#f{n}": name for n, name in enumerate(names)},
        "ExpressionAttributeValues": {":p": {"S": partition}, ":v": {"S": value}},
    }  # fmt: skip


def _reports(org_id: str, activity_id: str) -> list[dict[str, Any]]:
    request = {"KeyConditionExpression": "pk = :pk AND begins_with(sk, :r)", "ExpressionAttributeValues": {":pk": {"S": keys.activity_pk(org_id, activity_id)}, ":r": {"S": "REPORT#"}}}
    return [shown(raw) for raw in jobs.every(request)]


def sections(org_id: str, user_id: str) -> Iterator[tuple[str, Iterator[dict[str, Any]]]]:
    """(section, its items) in file order; every section is read lazily, a page at a time."""
    client_partition = {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": keys.user_pk(org_id, user_id)}}, "ConsistentRead": True}

    def user_partition() -> Iterator[dict[str, Any]]:
        for raw in jobs.every(client_partition):
            if raw.get("sk", {}).get("S") != keys.PROFILE_SK:
                yield shown(raw)

    def activities(reviews: list[str]) -> Iterator[dict[str, Any]]:
        for partition in (keys.activities_of_org(org_id), keys.deleted_activities_of_org(org_id)):
            for raw in jobs.every(_filtered("gsi2", partition, ("user_id", "registered_by_user_id", "reviewed_by_user_id"), user_id)):
                activity = shown(raw)
                if user_id not in (activity.get("user_id"), activity.get("registered_by_user_id")):
                    reviews.append(json.dumps({"id": activity["id"], "status": activity.get("status"), "reviewed_at": activity.get("reviewed_at")}))
                    continue
                if activity.get("has_home_visit_report"):
                    activity["home_visit_reports"] = _reports(org_id, activity["id"])
                yield activity

    # Reviews of others' activities are met while reading activities; only their ids and times are
    # kept (a few dozen bytes each), then written as their own section.
    reviews: list[str] = []
    yield "activities", activities(reviews)
    yield "reviews", (json.loads(review) for review in reviews)
    yield "user_partition", user_partition()
    yield "classes_hosted", (shown(raw, OTHER_PEOPLE) for raw in jobs.every(_filtered("gsi2", keys.classes_of_org(org_id), ("host_id",), user_id)))
    yield "tasks_created", (shown(raw) for raw in jobs.every(_filtered("gsi2", keys.tasks_of_org(org_id), ("created_by_user_id",), user_id)))
    yield "contacts_created", (shown(raw) for raw in jobs.every(_filtered("gsi2", keys.contacts_of_org(org_id), ("created_by_user_id",), user_id)))
    yield "bufdir_exports_requested", (shown(raw) for raw in jobs.every(_filtered("gsi2", keys.exports_of_org(org_id), ("requested_by_user_id",), user_id)))
    yield (
        "data_exports",
        (shown(raw) for raw in jobs.every({"IndexName": "gsi1", "KeyConditionExpression": "gsi1pk = :p", "ExpressionAttributeValues": {":p": {"S": keys.data_exports_of_user(org_id, user_id)}}})),
    )


def _text(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, default=str).encode("utf-8")


def run(job: jobs.JobItem, s3: Any = None, seconds_left: Callable[[], float] | None = None) -> str:
    """Write the file and end the job `done` (with the count of items per section) or `failed`."""
    from activity_tracker.api import logger
    from activity_tracker.bufdir.worker import MultipartWriter
    from activity_tracker.repository.table import connection
    from activity_tracker.settings import get_settings

    s3 = s3 or connection().session.create_client("s3")
    key = s3_key(job)
    writer = MultipartWriter(s3, get_settings().exports_bucket, key, "application/json")
    counts: dict[str, int] = {}
    try:
        profile = jobs.every(
            {
                "KeyConditionExpression": "pk = :pk AND sk = :sk",
                "ExpressionAttributeValues": {":pk": {"S": keys.user_pk(job.organization_id, job.subject_id)}, ":sk": {"S": keys.PROFILE_SK}},
                "ConsistentRead": True,
            }
        )
        meta = {"id": job.id, "organization_id": job.organization_id, "user_id": job.subject_id, "generated_at": now_iso()}
        writer.write(b'{"data_export":' + _text(meta) + b',"profile":' + _text(next((shown(raw) for raw in profile), None)))
        written = 0
        for name, items in sections(job.organization_id, job.subject_id):
            writer.write(b',"' + name.encode() + b'":[')
            for n, item in enumerate(items):
                if seconds_left is not None and written % 100 == 0 and seconds_left() < jobs.RESERVE_SECONDS:
                    raise TimeoutError("out of time")
                writer.write((b"," if n else b"") + _text(item))
                counts[name] = counts.get(name, 0) + 1
                written += 1
            writer.write(b"]")
        writer.write(b"}")
        writer.close()
    except Exception:  # noqa: BLE001 - any failure ends the job `failed` (its place kept), the error itself goes to the logs
        logger.exception("personal-data export failed", extra={"job": job.id, "organization": job.organization_id})
        try:
            writer.abort()
        finally:
            jobs.finish(job, "failed", [jobs.JobItem.error.set(jobs.FAILED)])
        return "failed"
    jobs.finish(job, "done", [jobs.JobItem.s3_key.set(key), jobs.JobItem.counts.set(counts)])
    return "done"


def delete_file(pk: str, sk: str, key: str) -> None:
    """Delete an export's file and forget its key (erasure)."""
    from activity_tracker.repository.table import connection
    from activity_tracker.settings import get_settings

    connection().session.create_client("s3").delete_object(Bucket=get_settings().exports_bucket, Key=key)
    jobs.JobItem(pk, sk).update(actions=[jobs.JobItem.s3_key.remove(), jobs.JobItem.updated_at.set(now_iso())], condition=jobs.JobItem.pk.exists())
