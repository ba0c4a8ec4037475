"""Erasure of a user or a contact: personal fields leave every item of the table, activities stay
as anonymous records, counters, statistics and Bufdir figures do not move; sign-in is closed; the
erasure is idempotent, resumable after a failure and recorded."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from activity_tracker.repository import users
from tests.helpers import Api, Person, make_user
from tests.stream_helpers import consume, counters, expected_counters, recorded, run_jobs

ERASURE, EXPORT = "ERASURE", "EXPORT"  # the job worker runs the jobs of these item types
NOVEMBER = {"period_start": "2026-11-01", "period_end": "2026-11-30", "format": "json"}


def drain(api: Api, org_id: str) -> None:
    """Run every stream record of the organization through the consumer (markers skip applied ones)."""
    consume(api, recorded(api.stack, org_id))


def run(api: Api, org_id: str, kind: str) -> None:
    run_jobs(api, org_id, kind)


def scan_text() -> str:
    """Every item of the whole table, as text (a test-only Scan)."""
    import boto3

    from activity_tracker.settings import get_settings

    client, out, kwargs = boto3.client("dynamodb"), [], {"TableName": get_settings().table_name, "ConsistentRead": True}
    while True:
        page = client.scan(**kwargs)
        out.extend(str(item) for item in page["Items"])
        if "LastEvaluatedKey" not in page:
            return "\n".join(out)
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


class World:
    """An organization where a mentor with a name, phone and email has a history: activities of
    every kind (approved, rejected with a reason, deleted, with home-visit reports), a contact,
    progress rows and a class she hosts; and a colleague whose data must stay."""

    def __init__(self, api: Api, org_id: str):
        self.api, self.org_id = api, org_id
        tag = uuid.uuid4().hex[:6]
        self.admin = make_user(api, org_id, "admin")
        self.coordinator = make_user(api, org_id, "coordinator")
        self.mentor = make_user(api, org_id, email=f"kari.{tag}@tests.example")
        self.colleague = make_user(api, org_id)
        self.name, self.phone = f"Kari Nordmann {tag}", f"+47 9{tag[:3]} 00 000"
        assert api.call("PATCH", "/api/users/me", self.mentor, {"name": self.name, "telefono": self.phone, "localidad": "Bergen", "image": "https://img.example/kari.png"}).status == 200
        self.contact_name = f"Ola Hansen {tag}"
        self.contact = api.call("POST", "/api/contacts", self.mentor, {"name": self.contact_name, "notes": f"notes about {self.contact_name}"}).body["id"]
        self.texts = [self.name, self.phone, self.mentor.email]
        self.activities = []
        for day in range(1, 9):
            summary = f"visit {day} by {self.name} ({tag})"
            body = {"activity_date": f"2026-11-{day:02d}", "activity_type": "home_visit", "duration_minutes": 60, "summary": summary}
            if day % 2:
                body["contact_id"] = self.contact
            created = api.call("POST", "/api/activities", self.mentor, body).body
            self.activities.append(created["id"])
            self.texts.append(summary)
            if day <= 3:
                report = f"report {day}: {self.name} met {tag}"
                assert api.call("POST", f"/api/activities/{created['id']}/home-visit-report", self.mentor, {"content": report}).status == 201
                self.texts.append(report)
            if day <= 5:
                api.call("POST", f"/api/activities/{created['id']}/review", self.coordinator, {"action": "approve"})
        reason = f"rejected: {self.name} wrote twice ({tag})"
        api.call("POST", f"/api/activities/{self.activities[5]}/review", self.coordinator, {"action": "reject", "reason": reason})
        self.texts.append(reason)
        assert api.call("DELETE", f"/api/activities/{self.activities[6]}", self.mentor).status == 204
        proxy = f"registered for {self.name} ({tag})"
        registered = api.call("POST", "/api/activities", self.coordinator, {"user_id": self.mentor.sub, "activity_date": "2026-11-10", "activity_type": "meeting", "summary": proxy}).body
        api.call("POST", f"/api/activities/{registered['id']}/review", self.admin, {"action": "approve"})
        self.texts.append(proxy)
        progress = f"progress note {tag}"
        api.call("POST", "/api/user_progress", self.mentor, {"data": {"progress_type": "sign_learned", "item_id": "hello", "value": progress}})
        self.texts.append(progress)
        title = f"class of {self.name}"
        api.call("POST", "/api/classes", self.mentor, {"class_type": "grupal", "max_participants": 5, "scheduled_at": "2030-01-01T10:00:00Z", "title": title})
        self.texts.append(title)
        self.kept = f"colleague's own summary {tag}"
        colleague = api.call("POST", "/api/activities", self.colleague, {"activity_date": "2026-11-03", "activity_type": "meeting", "duration_minutes": 45, "summary": self.kept}).body
        api.call("POST", f"/api/activities/{colleague['id']}/review", self.coordinator, {"action": "approve"})
        drain(api, org_id)

    def figures(self) -> dict[str, Any]:
        """Statistics (organization, each user) and a Bufdir export of November (summary and row count)."""
        api, org_id = self.api, self.org_id
        stats = api.call("GET", "/api/stats/organization?year=2026", self.admin).body
        mine = api.call("GET", "/api/stats/me?year=2026", self.colleague).body
        queued = api.call("POST", "/api/exports/bufdir", self.admin, NOVEMBER)
        assert queued.status == 202, queued.body
        run(api, org_id, EXPORT)
        export = api.call("GET", f"/api/exports/{queued.body['id']}", self.admin).body
        assert export["status"] == "done", export
        return {"stats": stats, "colleague": mine, "summary": export["summary"], "row_count": export["row_count"], "counters": counters(org_id)}


@pytest.fixture
def world(api: Api, org_id: str) -> World:
    return World(api, org_id)


def test_an_erased_user_leaves_no_personal_text_in_the_table_and_every_figure_stays(api: Api, world: World):
    before = world.figures()
    text = scan_text()
    assert all(t in text for t in world.texts)  # the scan sees what it looks for
    queued = api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin)
    assert queued.status == 202 and queued.body["status"] == "pending"
    run(api, world.org_id, ERASURE)
    drain(api, world.org_id)  # whatever the erasure's writes put on the stream, counted by the consumer
    erasure = api.call("GET", f"/api/erasures/{queued.body['id']}", world.admin).body
    assert erasure["status"] == "done" and erasure["phase"] == "finished", erasure
    assert erasure["counts"]["profiles"] == 1 and erasure["counts"]["activities"] == 9 and erasure["counts"]["reports"] == 3
    assert erasure["subject_id"] == world.mentor.sub and world.name not in str(erasure)  # the record holds no personal data
    text = scan_text()
    assert [t for t in world.texts if t in text] == []
    assert world.kept in text  # others' data stays
    after = world.figures()
    assert after == before
    assert counters(world.org_id) == expected_counters(world.org_id)
    listed = api.call("GET", f"/api/activities?user_id={world.mentor.sub}&limit=100", world.admin).body["items"]
    assert len(listed) == 8 and all(a["summary"] is None for a in listed)  # the activities stay, anonymous


def test_an_erased_user_cannot_sign_in_with_that_identity_and_the_email_is_released(api: Api, world: World):
    api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin)
    run(api, world.org_id, ERASURE)
    assert api.call("GET", "/api/users/me", world.mentor).status == 403
    users.update_fields(users.get(world.org_id, world.mentor.sub), {"active": True}, actor="tests")  # even set active again
    assert api.call("GET", "/api/users/me", world.mentor).status == 403
    again = Person.new(world.org_id, email=world.mentor.email)  # a new account with the same address
    fresh = api.call("GET", "/api/users/me", again).body
    assert fresh["id"] == again.sub != world.mentor.sub and fresh["name"] is None  # an empty profile: nothing links it to the erased one
    assert api.call("GET", "/api/stats/me?year=2026", again).body["months"][10]["activity_count"] == 0


def test_erasure_is_idempotent(api: Api, world: World):
    first = api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body
    run(api, world.org_id, ERASURE)
    done = api.call("GET", f"/api/erasures/{first['id']}", world.admin).body
    again = api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin)
    assert again.status == 202 and again.body == {"id": first["id"], "status": "done"}
    run(api, world.org_id, ERASURE)
    assert api.call("GET", f"/api/erasures/{first['id']}", world.admin).body == done  # nothing ran twice


def test_a_failed_erasure_continues_from_its_place_when_asked_again(api: Api, world: World, monkeypatch: pytest.MonkeyPatch):
    from activity_tracker.privacy import erasure, jobs, text

    monkeypatch.setattr(jobs, "PAGE_ITEMS", 2)  # places after every two activities
    real, calls = text.remove_activity_text, []

    def crash_on_the_fifth(org_id: str, activity_id: str, *, actor: str) -> dict[str, int]:
        calls.append(activity_id)
        if len(calls) == 5:
            raise RuntimeError("the worker died")
        return real(org_id, activity_id, actor=actor)

    monkeypatch.setattr(erasure, "remove_activity_text", crash_on_the_fifth)
    before = world.figures()
    queued = api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body
    run(api, world.org_id, ERASURE)
    failed = api.call("GET", f"/api/erasures/{queued['id']}", world.admin).body
    assert failed["status"] == "failed" and failed["phase"] == "activities" and failed["counts"]["activities"] == 4
    assert api.call("GET", "/api/users/me", world.mentor).status == 403  # the profile went first
    monkeypatch.setattr(erasure, "remove_activity_text", real)
    calls.clear()
    assert api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body == {"id": queued["id"], "status": "pending"}
    run(api, world.org_id, ERASURE)
    done = api.call("GET", f"/api/erasures/{queued['id']}", world.admin).body
    assert done["status"] == "done" and done["counts"]["activities"] == 9, done
    drain(api, world.org_id)
    assert [t for t in world.texts if t in scan_text()] == []
    assert world.figures() == before


def test_a_run_out_of_time_hands_over_to_the_next_invocation(api: Api, world: World, monkeypatch: pytest.MonkeyPatch):
    from activity_tracker.privacy import erasure, jobs

    monkeypatch.setattr(jobs, "PAGE_ITEMS", 2)
    queued = api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body
    job = jobs.get(f"ORG#{world.org_id}#ERASURE#{queued['id']}", "ERASURE")
    assert job is not None and jobs.claim(job)
    clock = iter([900.0, 900.0, 900.0, 10.0])
    assert erasure.run(job, seconds_left=lambda: next(clock, 10.0)) == "handed_over"
    handed = api.call("GET", f"/api/erasures/{queued['id']}", world.admin).body
    assert handed["status"] == "pending" and handed["phase"] == "activities"
    run(api, world.org_id, ERASURE)  # the MODIFY back to pending reaches the worker
    assert api.call("GET", f"/api/erasures/{queued['id']}", world.admin).body["status"] == "done"
    assert [t for t in world.texts if t in scan_text()] == []


def test_an_erased_contact_keeps_its_activities_and_figures(api: Api, world: World):
    before = world.figures()
    queued = api.call("POST", f"/api/contacts/{world.contact}/erase", world.admin)
    assert queued.status == 202
    run(api, world.org_id, ERASURE)
    drain(api, world.org_id)
    erasure = api.call("GET", f"/api/erasures/{queued.body['id']}", world.admin).body
    assert erasure["status"] == "done" and erasure["subject_kind"] == "contact" and erasure["counts"]["contacts"] == 1
    contact = api.call("GET", f"/api/contacts/{world.contact}", world.admin).body
    assert contact["name"] == "[erased]" and contact["notes"] is None
    text = scan_text()
    assert world.contact_name not in text
    with_contact = api.call("GET", f"/api/activities?contact_id={world.contact}&include_deleted=true&limit=100", world.admin).body["items"]
    assert len(with_contact) == 4 and all(a["summary"] is None for a in with_contact)
    assert world.name in text  # the mentor was not erased: only the contact's activities lost their text
    assert world.figures() == before


def test_only_admins_erase_and_not_themselves(api: Api, world: World):
    for who in (world.coordinator, world.mentor):
        assert api.call("POST", f"/api/users/{world.colleague.sub}/erase", who).status == 403
        assert api.call("POST", f"/api/contacts/{world.contact}/erase", who).status == 403
    refused = api.call("POST", f"/api/users/{world.admin.sub}/erase", world.admin)
    assert (refused.status, refused.rules) == (403, ["admin_cannot_erase_self"])
    assert api.call("POST", f"/api/users/{uuid.uuid4()}/erase", world.admin).status == 404
    assert api.call("POST", f"/api/contacts/{uuid.uuid4()}/erase", world.admin).status == 404
    assert api.call("GET", f"/api/erasures/{uuid.uuid4()}", world.admin).status == 404


def test_an_erasure_whose_worker_was_killed_is_continued_when_asked_again(api: Api, world: World):
    """A run killed outright (no `failed` written) leaves `running`; once older than the worker's
    timeout it reads failed, and asking again queues it from its place."""
    from activity_tracker.clock import iso, now
    from activity_tracker.privacy import jobs

    queued = api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body
    job = jobs.get(f"ORG#{world.org_id}#ERASURE#{queued['id']}", "ERASURE")
    assert job is not None and jobs.claim(job)  # claimed by a worker that then dies
    assert api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body["status"] == "running"  # still within its time
    job.update(actions=[jobs.JobItem.started_at.set(iso(now() - jobs.STALE_RUNNING - jobs.STALE_RUNNING))])
    assert api.call("GET", f"/api/erasures/{queued['id']}", world.admin).body["status"] == "failed"
    assert api.call("POST", f"/api/users/{world.mentor.sub}/erase", world.admin).body == {"id": queued["id"], "status": "pending"}
    run(api, world.org_id, ERASURE)
    assert api.call("GET", f"/api/erasures/{queued['id']}", world.admin).body["status"] == "done"
    assert [t for t in world.texts if t in scan_text()] == []
