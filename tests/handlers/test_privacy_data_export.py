"""Personal-data export (right of access): a JSON file in S3 with everything the table holds about
one person and nothing of anyone else, streamed by a worker fed by the table's stream; the status
and a short-lived link for that person and admins only."""

from __future__ import annotations

import json
import urllib.request
import uuid
from typing import Any

import pytest

from tests.helpers import Api, make_user
from tests.stream_helpers import consume, recorded, run_jobs


def run_worker(api: Api, org_id: str) -> None:
    run_jobs(api, org_id, "DATA_EXPORT")


def download(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def table_items(org_id: str) -> list[dict[str, Any]]:
    """Every item of the organization (a test-only Scan)."""
    import boto3
    from boto3.dynamodb.types import TypeDeserializer

    from activity_tracker.settings import get_settings

    client, out = boto3.client("dynamodb"), []
    kwargs: dict[str, Any] = {"TableName": get_settings().table_name, "ConsistentRead": True}
    plain = TypeDeserializer()
    while True:
        page = client.scan(**kwargs)
        for raw in page["Items"]:
            item = {k: plain.deserialize(v) for k, v in raw.items()}
            if item["pk"].split("#")[1:2] == [org_id]:
                out.append(item)
        if "LastEvaluatedKey" not in page:
            return out
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def about(items: list[dict[str, Any]], user_id: str, org_id: str) -> set[tuple[str, str, str]]:
    """(type, sk, id) of every item about the person, decided from the table itself: their own
    partition; activities they own or registered and those activities' reports; contacts, tasks
    they created; classes they host; exports they requested; personal-data exports about them."""
    activities = {i["id"] for i in items if i["type"] == "ACTIVITY" and user_id in (i.get("user_id"), i.get("registered_by_user_id"))}
    person_fields = {"CONTACT": "created_by_user_id", "TASK": "created_by_user_id", "CLASS": "host_id", "EXPORT": "requested_by_user_id", "DATA_EXPORT": "subject_id"}
    out = set()
    for i in items:
        mine = (
            i["pk"] == f"ORG#{org_id}#USER#{user_id}"
            or (i["type"] == "ACTIVITY" and i["id"] in activities)
            or (i["type"] == "HOME_VISIT_REPORT" and i["activity_id"] in activities)
            or (i["type"] in person_fields and i.get(person_fields[i["type"]]) == user_id)
        )
        if mine:
            out.add((i["type"], i["sk"], str(i.get("id", ""))))
    return out


def in_file(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    out = {("USER", document["profile"]["sk"], document["profile"]["id"])}
    for name, items in document.items():
        if isinstance(items, list) and name != "reviews":
            for item in items:
                out.add((item["type"], item["sk"], str(item.get("id", ""))))
                out |= {(r["type"], r["sk"], r["id"]) for r in item.get("home_visit_reports", [])}
    return out


def test_an_export_of_a_user_with_1000_activities_holds_every_item_about_them_and_nothing_of_anyone_else(api: Api, org_id: str):
    admin, coordinator = make_user(api, org_id, "admin"), make_user(api, org_id, "coordinator")
    person, other = make_user(api, org_id), make_user(api, org_id)
    tag = uuid.uuid4().hex[:6]
    api.call("PATCH", "/api/users/me", person, {"name": f"Kari {tag}", "telefono": "+47 12 34 56 78"})
    api.call("PATCH", "/api/users/me", other, {"name": f"Other {tag}", "telefono": "+47 99 99 99 99"})
    contact = api.call("POST", "/api/contacts", person, {"name": f"Ola {tag}", "notes": "met at the library"}).body["id"]
    for batch in range(40):
        items = [{"local_id": f"{tag}-{batch}-{n}", "activity_date": f"2025-{n % 12 + 1:02d}-{batch % 28 + 1:02d}", "activity_type": "meeting", "summary": f"mine {batch}/{n}"} for n in range(25)]
        assert all(r["outcome"] == "created" for r in api.call("POST", "/api/activities/sync", person, {"items": items}).body["results"])
    visit = api.call("POST", "/api/activities", person, {"activity_date": "2026-11-02", "activity_type": "home_visit", "summary": "a visit"}).body
    api.call("POST", f"/api/activities/{visit['id']}/home-visit-report", person, {"content": "the report"})
    api.call("DELETE", f"/api/activities/{visit['id']}", person)
    api.call("POST", "/api/activities", coordinator, {"user_id": person.sub, "activity_date": "2026-10-02", "activity_type": "meeting", "summary": "for Kari"})
    api.call("POST", "/api/user_progress", person, {"data": {"progress_type": "sign_learned", "item_id": "hello", "value": "learned"}})
    api.call("POST", "/api/classes", person, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2030-01-01T10:00:00Z", "title": "Kari's class"})
    theirs = api.call("POST", "/api/activities", other, {"activity_date": "2026-11-03", "activity_type": "meeting", "summary": f"secret of other {tag}", "contact_id": contact}).body
    api.call("POST", "/api/classes", other, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2030-01-02T10:00:00Z", "title": "Other's class"})
    api.call("POST", "/api/contacts", other, {"name": f"Other's contact {tag}"})
    consume(api, recorded(api.stack, org_id))  # counters: the person's monthly statistics are theirs too

    queued = api.call("POST", "/api/users/me/data-export", person)
    assert queued.status == 202 and queued.body["status"] == "pending"
    run_worker(api, org_id)
    done = api.call("GET", f"/api/data-exports/{queued.body['id']}", person).body
    assert done["status"] == "done" and done["user_id"] == person.sub and done["url"], done
    document = download(done["url"])
    assert len(document["activities"]) == 1002 and done["counts"]["activities"] == 1002

    expected = about(table_items(org_id), person.sub, org_id)
    exported = in_file(document)
    assert len(expected) > 1010
    assert expected - exported == set(), "items about the person missing from the export"
    assert exported - expected == set(), "items in the export that are not about the person"
    text = json.dumps(document)
    for foreign in (other.sub, other.email, f"Other {tag}", theirs["id"], f"secret of other {tag}", "Other's class", f"Other's contact {tag}", admin.email):
        assert foreign not in text
    deleted = next(a for a in document["activities"] if a["id"] == visit["id"])
    assert deleted["deleted_at"] and [r["content"] for r in deleted["home_visit_reports"]] == ["the report"]


def test_a_data_export_is_for_the_person_it_is_about_and_admins(api: Api, org_id: str):
    admin, person, other = make_user(api, org_id, "admin"), make_user(api, org_id), make_user(api, org_id)
    coordinator = make_user(api, org_id, "coordinator")
    by_admin = api.call("POST", f"/api/users/{person.sub}/data-export", admin)
    assert by_admin.status == 202
    run_worker(api, org_id)
    for who in (person, admin):
        assert api.call("GET", f"/api/data-exports/{by_admin.body['id']}", who).body["status"] == "done"
    for who in (other, coordinator):
        assert api.call("GET", f"/api/data-exports/{by_admin.body['id']}", who).status == 403
    assert api.call("POST", f"/api/users/{person.sub}/data-export", coordinator).status == 403
    assert api.call("POST", f"/api/users/{uuid.uuid4()}/data-export", admin).status == 404
    assert api.call("GET", f"/api/data-exports/{uuid.uuid4()}", admin).status == 404


def test_an_erasure_deletes_the_files_of_data_exports_about_the_person(api: Api, org_id: str):
    admin, person = make_user(api, org_id, "admin"), make_user(api, org_id)
    queued = api.call("POST", "/api/users/me/data-export", person).body
    run_worker(api, org_id)
    url = api.call("GET", f"/api/data-exports/{queued['id']}", admin).body["url"]
    api.call("POST", f"/api/users/{person.sub}/erase", admin)
    run_jobs(api, org_id, "ERASURE")
    shown = api.call("GET", f"/api/data-exports/{queued['id']}", admin).body
    assert shown["status"] == "expired" and "url" not in shown
    with pytest.raises(urllib.error.HTTPError):
        download(url)


def test_the_worker_writes_with_bounded_memory(api: Api, org_id: str, monkeypatch: pytest.MonkeyPatch):
    """A file over 5 MiB goes up in parts: the writer never holds more than one part and one item."""
    from activity_tracker.bufdir import worker

    person = make_user(api, org_id)
    for batch in range(35):  # ten a request: a body stays under 256 KiB
        items = [{"local_id": f"m-{batch}-{n}", "activity_date": "2025-11-02", "activity_type": "meeting", "summary": "x" * 20_000} for n in range(10)]
        assert api.call("POST", "/api/activities/sync", person, {"items": items}).status == 200
    held: list[int] = []
    real_write, real_flush = worker.MultipartWriter.write, worker.MultipartWriter._flush_part
    parts: list[int] = []

    def write(self: Any, data: bytes) -> None:
        real_write(self, data)
        held.append(self.buffer.tell())

    def flush(self: Any) -> None:
        parts.append(self.buffer.tell())
        real_flush(self)

    monkeypatch.setattr(worker.MultipartWriter, "write", write)
    monkeypatch.setattr(worker.MultipartWriter, "_flush_part", flush)
    queued = api.call("POST", "/api/users/me/data-export", person).body
    run_worker(api, org_id)
    done = api.call("GET", f"/api/data-exports/{queued['id']}", person).body
    assert len(download(done["url"])["activities"]) == 350
    assert len(parts) == 2 and max(held) < worker.PART_SIZE  # 7 MB written; never a part held after it was full


def test_one_unfinished_export_per_person(api: Api, org_id: str):
    admin, person = make_user(api, org_id, "admin"), make_user(api, org_id)
    first = api.call("POST", "/api/users/me/data-export", person).body
    assert api.call("POST", "/api/users/me/data-export", person).body == first
    assert api.call("POST", f"/api/users/{person.sub}/data-export", admin).body == first
    run_worker(api, org_id)
    second = api.call("POST", "/api/users/me/data-export", person).body
    assert second["id"] != first["id"] and second["status"] == "pending"
