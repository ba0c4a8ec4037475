"""Erasure of a user or a contact (docs/operations.md, Privacy): personal fields are removed or
replaced, activities stay as anonymous records, so counters, statistics and Bufdir figures do not
move. A job (`jobs.py`) of steps, each a page at a time, each idempotent:

user:    profile (fields removed, sign-in closed, email guard released) → their live activities →
         their deleted activities → progress rows and tombstones → titles of classes they host →
         files of personal-data exports about them
contact: contact (name replaced, notes removed) → its live activities → its deleted activities

An activity keeps its ids (owner, contact, registrar, reviewer: random identifiers, which no
longer lead to a name once the profile or contact is erased), date, type, duration, status,
participants and flags; its free text and its home-visit reports' content go (`text.py`)."""

from __future__ import annotations

import uuid
from typing import Any

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.privacy import jobs
from activity_tracker.privacy.text import add, has_text, remove_activity_text
from activity_tracker.repository.table import TABLE_NAME, connection, plain_item
from activity_tracker.rules.audit import SYSTEM as SYSTEM_ACTOR

ERASED_NAME = "[erased]"  # a contact's name once erased (a contact must have a name)
USER, CONTACT = "user", "contact"


def erasure_id(org_id: str, kind: str, subject_id: str) -> str:
    """The same id for the same subject: asking twice finds (and continues) the same erasure."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"activity-tracker:erasure:{org_id}:{kind}:{subject_id}"))


def new_erasure(org_id: str, kind: str, subject_id: str, requested_by: str) -> jobs.JobItem:
    erasure = erasure_id(org_id, kind, subject_id)
    moment = now_iso()
    return jobs.new(
        jobs.ERASURE, keys.erasure_pk(org_id, erasure), keys.ERASURE_SK, erasure, org_id, subject_kind=kind, subject_id=subject_id,
        requested_by_user_id=requested_by, gsi2pk=keys.erasures_of_org(org_id), gsi2sk=f"{moment}#{erasure}",
    )  # fmt: skip


def _activities(job: jobs.JobItem, cursor: Any, counts: dict[str, int], request: dict[str, Any]) -> Any:
    items, cursor = jobs.pages(request, cursor)
    for raw in items:
        activity = plain_item(raw) or {}
        if has_text(activity):
            add(counts, remove_activity_text(job.organization_id, activity["id"], actor=job.requested_by_user_id or SYSTEM_ACTOR))
    return cursor


def _index(index: str, partition: str, **filtering: str) -> dict[str, Any]:
    """A Query of one index partition, optionally filtered on attributes equal to values."""
    request: dict[str, Any] = {"IndexName": index, "KeyConditionExpression": f"{index}pk = :p", "ExpressionAttributeValues": {":p": {"S": partition}}}
    if filtering:
        request["FilterExpression"] = " AND ".join(f"#{name} = :{name}" for name in filtering)
        request["ExpressionAttributeNames"] = {f"#{name}": name for name in filtering}
        request["ExpressionAttributeValues"].update({f":{name}": {"S": value} for name, value in filtering.items()})
    return request


# ---------------------------------------------------------------- a user
def erase_profile(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    """One transaction: the profile loses name, email, image, place and phone and can no longer
    sign in (`erased_at`, inactive); the email guard is deleted, releasing the address (a new
    account with it starts an empty profile; nothing links it to the erased one)."""
    from activity_tracker.repository.table import transaction
    from activity_tracker.repository.users import EmailGuard, UserItem

    org_id, user_id = job.organization_id, job.subject_id
    user = UserItem.get(keys.user_pk(org_id, user_id), keys.PROFILE_SK, consistent_read=True)
    if user.erased_at:
        return None
    moment = now_iso()
    with transaction() as tx:
        if user.email:
            guard = EmailGuard(keys.email_guard(org_id, user.email), keys.EMAIL_SK)
            tx.delete(guard, condition=EmailGuard.pk.does_not_exist() | (EmailGuard.user_id == user_id))
        tx.update(
            user,
            actions=[
                UserItem.email.set(""), UserItem.name.remove(), UserItem.image.remove(), UserItem.localidad.remove(), UserItem.telefono.remove(),
                UserItem.newsletter.set("no"), UserItem.active.set(False), UserItem.erased_at.set(moment), UserItem.updated_at.set(moment),
                UserItem.updated_by.set(job.requested_by_user_id or SYSTEM_ACTOR), UserItem.version.add(1),
            ],
            condition=UserItem.email == user.email,
        )  # fmt: skip
    add(counts, {"profiles": 1})
    return None


def erase_user_activities(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    return _activities(job, cursor, counts, _index("gsi1", keys.activities_of_user(job.organization_id, job.subject_id)))


def erase_user_deleted_activities(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    return _activities(job, cursor, counts, _index("gsi2", keys.deleted_activities_of_org(job.organization_id), user_id=job.subject_id))


def delete_progress(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    """Progress rows (a learner's values and notes) and their tombstones are deleted: nothing counts them."""
    pk = keys.user_pk(job.organization_id, job.subject_id)
    client = connection().client
    for prefix, kind in (("PROGRESS#", "progress_rows"), ("TOMBSTONE#", "tombstones")):
        request = {
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":prefix": {"S": prefix}},
            "ProjectionExpression": "pk, sk",
            "ConsistentRead": True,
        }
        for raw in jobs.every(request):
            client.delete_item(TableName=TABLE_NAME, Key={"pk": raw["pk"], "sk": raw["sk"]})
            add(counts, {kind: 1})
    return None


def erase_class_titles(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    """A class's title is its host's free text."""
    from botocore.exceptions import ClientError

    items, cursor = jobs.pages(_index("gsi2", keys.classes_of_org(job.organization_id), host_id=job.subject_id), cursor)
    for raw in items:
        if "title" not in raw:
            continue
        try:
            connection().client.update_item(
                TableName=TABLE_NAME, Key={"pk": raw["pk"], "sk": raw["sk"]}, UpdateExpression="REMOVE title SET updated_at = :now",
                ConditionExpression="host_id = :host", ExpressionAttributeValues={":host": {"S": job.subject_id}, ":now": {"S": now_iso()}},
            )  # fmt: skip
            add(counts, {"class_titles": 1})
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
    return cursor


def delete_data_export_files(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    """The files of personal-data exports about the user (their whole record) are deleted at once,
    not left to the bucket's lifecycle."""
    from activity_tracker.privacy.export import delete_file

    items, cursor = jobs.pages(_index("gsi1", keys.data_exports_of_user(job.organization_id, job.subject_id)), cursor)
    for raw in items:
        if "s3_key" in raw:
            delete_file(raw["pk"]["S"], raw["sk"]["S"], raw["s3_key"]["S"])
            add(counts, {"data_export_files": 1})
    return cursor


USER_STEPS: list[tuple[str, jobs.Step]] = [
    ("profile", erase_profile),
    ("activities", erase_user_activities),
    ("deleted_activities", erase_user_deleted_activities),
    ("progress", delete_progress),
    ("class_titles", erase_class_titles),
    ("data_export_files", delete_data_export_files),
]


# ---------------------------------------------------------------- a contact
def erase_contact_item(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    """Name replaced, notes removed, moved in the by-name listing, and stamped for offline sync so
    devices replace their copy."""
    from botocore.exceptions import ClientError

    org_id, contact_id = job.organization_id, job.subject_id
    moment = now_iso()
    try:
        connection().client.update_item(
            TableName=TABLE_NAME, Key={"pk": {"S": keys.contact_pk(org_id, contact_id)}, "sk": {"S": keys.CONTACT_SK}},
            UpdateExpression="SET #name = :name, gsi2sk = :by_name, gsi5sk = :changed, updated_at = :now, erased_at = :now, updated_by = :actor REMOVE notes ADD version :one",
            ConditionExpression="attribute_exists(pk) AND attribute_not_exists(erased_at)", ExpressionAttributeNames={"#name": "name"},
            ExpressionAttributeValues={
                ":name": {"S": ERASED_NAME}, ":by_name": {"S": keys.contact_by_name(ERASED_NAME, contact_id)},
                ":changed": {"S": keys.change_sk(moment, contact_id)}, ":now": {"S": moment},
                ":actor": {"S": job.requested_by_user_id or SYSTEM_ACTOR}, ":one": {"N": "1"},
            },
        )  # fmt: skip
        add(counts, {"contacts": 1})
    except ClientError as error:
        if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise
    return None


def erase_contact_activities(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    return _activities(job, cursor, counts, _index("gsi3", keys.activities_of_contact(job.organization_id, job.subject_id)))


def erase_contact_deleted_activities(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
    return _activities(job, cursor, counts, _index("gsi2", keys.deleted_activities_of_org(job.organization_id), contact_id=job.subject_id))


CONTACT_STEPS: list[tuple[str, jobs.Step]] = [
    ("contact", erase_contact_item),
    ("activities", erase_contact_activities),
    ("deleted_activities", erase_contact_deleted_activities),
]


def run(job: jobs.JobItem, seconds_left: Any = None) -> str:
    return jobs.run_steps(job, USER_STEPS if job.subject_kind == USER else CONTACT_STEPS, seconds_left)
