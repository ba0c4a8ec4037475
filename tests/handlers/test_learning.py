"""Users administration, tasks, classes with booking and capacity, user activities, completion."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from tests.helpers import Api, Person, conflict_transactions, make_user
from tests.stream_helpers import consume, recorded


def soon(days: int = 3) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def book(api: Api, host: Person, **fields):
    return api.call("POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 5, "scheduled_at": soon(), **fields})


# ---------------------------------------------------------------- users
def test_admins_list_users_and_change_role_and_active(api: Api, org_id: str):
    admin, member = make_user(api, org_id, "admin"), make_user(api, org_id)
    listed = api.call("GET", "/api/users?limit=1", admin).body
    rest = api.call("GET", f"/api/users?cursor={listed['next_cursor']}", admin).body
    assert {u["id"] for u in listed["items"] + rest["items"]} == {admin.sub, member.sub}
    changed = api.call("PATCH", f"/api/users/{member.sub}", admin, {"role": "coordinator"})
    assert changed.status == 200 and changed.body["role"] == "coordinator"
    assert api.call("GET", "/api/users", member).status == 200  # coordinators may list
    assert api.call("PATCH", f"/api/users/{member.sub}", admin, {"active": False}).body["active"] is False
    assert api.call("GET", "/api/users/me", member).status == 403


def test_if_match_guards_changes_of_users(api: Api, org_id: str):
    admin, member = make_user(api, org_id, "admin"), make_user(api, org_id)
    me = api.call("GET", "/api/users/me", member)
    tag = me.headers["etag"]
    changed = api.call("PATCH", "/api/users/me", member, {"name": "Kari"}, headers={"If-Match": tag})
    assert changed.status == 200 and changed.headers["etag"] != tag
    stale = api.call("PATCH", "/api/users/me", member, {"name": "Ola"}, headers={"If-Match": tag})
    assert stale.status == 412 and stale.error["code"] == "precondition_failed"
    by_admin = api.call("PATCH", f"/api/users/{member.sub}", admin, {"role": "coordinator"}, headers={"If-Match": changed.headers["etag"]})
    assert by_admin.status == 200 and by_admin.headers["etag"] != changed.headers["etag"]
    assert api.call("PATCH", f"/api/users/{member.sub}", admin, {"active": False}, headers={"If-Match": changed.headers["etag"]}).status == 412
    after = api.call("GET", "/api/users/me", member)
    assert after.body["name"] == "Kari" and after.body["role"] == "coordinator" and after.body["active"] is True
    assert after.headers["etag"] == by_admin.headers["etag"]


@pytest.mark.parametrize("role", ["member"])
def test_members_cannot_list_or_change_users(api: Api, org_id: str, role: str):
    who, other = make_user(api, org_id, role), make_user(api, org_id)
    assert api.call("GET", "/api/users", who).status == 403
    assert api.call("PATCH", f"/api/users/{other.sub}", who, {"role": "admin"}).status == 403
    assert api.call("PATCH", f"/api/users/{other.sub}", make_user(api, org_id, "coordinator"), {"role": "admin"}).status == 403


def test_an_admin_cannot_demote_or_deactivate_themself(api: Api, org_id: str):
    admin = make_user(api, org_id, "admin")
    for body in ({"role": "member"}, {"active": False}):
        reply = api.call("PATCH", f"/api/users/{admin.sub}", admin, body)
        assert reply.status == 403 and reply.rules == ["admin_cannot_demote_self"]
    assert api.call("PATCH", f"/api/users/{admin.sub}", admin, {"role": "admin", "active": True}).status == 200


def test_user_admin_validation_and_isolation(api: Api, org_id: str):
    admin = make_user(api, org_id, "admin")
    target = make_user(api, org_id)
    assert api.call("PATCH", f"/api/users/{target.sub}", admin, {"role": "king"}).rules == ["must_be_one_of"]
    assert api.call("PATCH", f"/api/users/{target.sub}", admin, {"email": "x@y.z"}).rules == ["server_owned_field"]
    assert api.call("PATCH", f"/api/users/{target.sub}", admin, {"name": "x"}).rules == ["unknown_field"]
    stranger = make_user(api, org_id + "-b")
    assert api.call("PATCH", f"/api/users/{stranger.sub}", admin, {"role": "admin"}).status == 404


# ---------------------------------------------------------------- tasks
TASK = {"title": "Hello in sign language", "content": "# Hello", "answer": "wave", "description": "greeting", "type": "video", "difficulty": "easy"}


def test_tasks_by_admin_or_moderator_with_filters(api: Api, org_id: str):
    moderator, member = make_user(api, org_id, "moderator"), make_user(api, org_id)
    assert api.call("POST", "/api/tasks", member, TASK).status == 403
    first = api.call("POST", "/api/tasks", moderator, TASK)
    assert first.status == 201 and first.body["answer"] == "wave"
    api.call("POST", "/api/tasks", make_user(api, org_id, "admin"), {**TASK, "type": "exam", "difficulty": "hard"})
    assert [t["type"] for t in api.call("GET", "/api/tasks?type=exam", member).body["items"]] == ["exam"]
    assert [t["difficulty"] for t in api.call("GET", "/api/tasks?difficulty=easy", member).body["items"]] == ["easy"]
    assert api.call("GET", "/api/tasks?type=exam&difficulty=easy", member).body["items"] == []
    shown = api.call("GET", f"/api/tasks/{first.body['id']}", member).body
    assert shown["title"] == TASK["title"] and shown["answer"] is None  # the answer is not for learners
    assert api.call("GET", f"/api/tasks/{first.body['id']}", make_user(api, org_id + "-b")).status == 404


@pytest.mark.parametrize(("field", "value", "rule"), [("type", "podcast", "must_be_one_of"), ("difficulty", "extreme", "must_be_one_of"), ("title", "", "string_too_short"), ("title", None, "string_type")])
def test_task_validation(api: Api, org_id: str, field: str, value, rule: str):
    reply = api.call("POST", "/api/tasks", make_user(api, org_id, "admin"), {**TASK, field: value})
    assert reply.status == 400 and rule in reply.rules
    assert api.call("GET", "/api/tasks?type=podcast", make_user(api, org_id)).rules == ["must_be_one_of"]


# ---------------------------------------------------------------- classes
def test_booking_makes_the_caller_host_with_an_anfitrion_activity(api: Api, org_id: str):
    host = make_user(api, org_id)
    klass = book(api, host, title="Sign basics")
    assert klass.status == 201
    assert (klass.body["host_id"], klass.body["status"], klass.body["current_participants"], klass.body["participant_ids"]) == (host.sub, "pending", 0, [])
    mine = api.call("GET", f"/api/user-activities?class_id={klass.body['id']}", host).body["items"]
    assert [(ua["role"], ua["completed"], ua["task_id"]) for ua in mine] == [("anfitrion", False, None)]


@pytest.mark.parametrize(
    ("fields", "rule"),
    [
        ({"class_type": "individual", "max_participants": 3}, "individual_class_holds_one"),
        ({"class_type": "duo"}, "must_be_one_of"),
        ({"scheduled_at": "2020-01-01T10:00:00Z"}, "scheduled_at_in_future"),
        ({"scheduled_at": "next tuesday"}, "scheduled_at_valid"),
        ({"scheduled_at": "2030-01-01T10:00:00"}, "scheduled_at_valid"),
        ({"max_participants": 0}, "greater_than_equal"),
        ({"status": "scheduled"}, "server_owned_field"),
    ],
)
def test_booking_validation(api: Api, org_id: str, fields, rule: str):
    reply = book(api, make_user(api, org_id), **fields)
    assert reply.status == 400 and rule in reply.rules


def test_joining_adds_a_participant_with_a_participante_activity(api: Api, org_id: str):
    host, learner = make_user(api, org_id), make_user(api, org_id)
    klass = book(api, host).body
    joined = api.call("POST", f"/api/classes/{klass['id']}/join", learner)
    assert joined.status == 200 and joined.body["participant_ids"] == [learner.sub] and joined.body["current_participants"] == 1
    activities = api.call("GET", "/api/user-activities?role=participante", learner).body["items"]
    assert [(ua["class_id"], ua["role"]) for ua in activities] == [(klass["id"], "participante")]
    twice = api.call("POST", f"/api/classes/{klass['id']}/join", learner)
    assert twice.status == 409 and twice.error["code"] == "conflict"
    assert api.call("POST", f"/api/classes/{klass['id']}/join", host).error["code"] == "conflict"
    assert len(api.call("GET", "/api/user-activities", learner).body["items"]) == 1


def test_twenty_concurrent_joins_on_a_class_of_five(api: Api, org_id: str):
    klass = book(api, make_user(api, org_id), max_participants=5).body
    learners = [make_user(api, org_id) for _ in range(20)]
    replies = []
    threads = [threading.Thread(target=lambda who=who: replies.append(api.call("POST", f"/api/classes/{klass['id']}/join", who))) for who in learners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status for r in replies) == [200] * 5 + [409] * 15
    assert {r.error["code"] for r in replies if r.status == 409} == {"class_full"}
    final = api.call("GET", f"/api/classes/{klass['id']}", learners[0]).body
    assert final["current_participants"] == 5 and len(final["participant_ids"]) == 5
    with_activity = {who.sub for who in learners if api.call("GET", f"/api/user-activities?class_id={klass['id']}", who).body["items"]}
    assert with_activity == set(final["participant_ids"])  # no participant without a user activity, none without a place


def test_an_individual_class_holds_one(api: Api, org_id: str):
    klass = api.call("POST", "/api/classes", make_user(api, org_id), {"class_type": "individual", "scheduled_at": soon()}).body
    assert klass["max_participants"] == 1
    assert api.call("POST", f"/api/classes/{klass['id']}/join", make_user(api, org_id)).status == 200
    assert api.call("POST", f"/api/classes/{klass['id']}/join", make_user(api, org_id)).error["code"] == "class_full"


def test_confirm_cancel_and_what_closed_classes_refuse(api: Api, org_id: str):
    host, stranger, admin = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id, "admin")
    klass = book(api, host).body
    assert api.call("POST", f"/api/classes/{klass['id']}/confirm", stranger).status == 403
    assert api.call("POST", f"/api/classes/{klass['id']}/confirm", host).body["status"] == "scheduled"
    assert api.call("POST", f"/api/classes/{klass['id']}/confirm", host).error["code"] == "invalid_transition"
    assert api.call("POST", f"/api/classes/{klass['id']}/join", stranger).status == 200  # scheduled classes accept joins
    assert api.call("POST", f"/api/classes/{klass['id']}/cancel", stranger).status == 403
    assert api.call("POST", f"/api/classes/{klass['id']}/cancel", admin).body["status"] == "cancelled"
    refused = api.call("POST", f"/api/classes/{klass['id']}/join", make_user(api, org_id))
    assert refused.status == 409 and refused.error["code"] == "invalid_transition"
    assert api.call("POST", f"/api/classes/{klass['id']}/complete", admin).error["code"] == "invalid_transition"


def test_if_match_guards_every_change_of_a_class(api: Api, org_id: str):
    host, admin, guest = make_user(api, org_id), make_user(api, org_id, "admin"), make_user(api, org_id)
    booked = book(api, host)
    class_id, v1 = booked.body["id"], booked.headers["etag"]
    assert api.call("GET", f"/api/classes/{class_id}", guest).headers["etag"] == v1 == '"v1"'
    joined = api.call("POST", f"/api/classes/{class_id}/join", guest, headers={"If-Match": v1})
    assert joined.status == 200 and joined.headers["etag"] == '"v2"'
    late = make_user(api, org_id)
    refused = api.call("POST", f"/api/classes/{class_id}/join", late, headers={"If-Match": v1})
    assert refused.status == 412 and refused.rules == ["precondition_failed"]
    assert api.call("POST", f"/api/classes/{class_id}/confirm", host, headers={"If-Match": v1}).status == 412
    assert api.call("POST", f"/api/classes/{class_id}/cancel", host, headers={"If-Match": v1}).status == 412
    task = api.call("POST", "/api/tasks", admin, {"title": "t", "content": "c", "answer": "a", "description": "d", "type": "exam", "difficulty": "easy"}).body
    assert api.call("POST", f"/api/classes/{class_id}/tasks", host, {"task_id": task["id"]}, headers={"If-Match": v1}).status == 412
    assert api.call("POST", f"/api/classes/{class_id}/complete", admin, headers={"If-Match": v1}).status == 412
    now = api.call("GET", f"/api/classes/{class_id}", host)
    assert now.body["participant_ids"] == [guest.sub] and now.body["task_ids"] == [] and now.body["status"] == "pending"
    assert not any(ua["task_id"] for ua in api.call("GET", "/api/user-activities", guest).body["items"])  # a refused attach wrote no member's activity
    confirmed = api.call("POST", f"/api/classes/{class_id}/confirm", host, headers={"If-Match": now.headers["etag"]})
    assert confirmed.status == 200 and confirmed.body["status"] == "scheduled" and confirmed.headers["etag"] == '"v3"'
    attached = api.call("POST", f"/api/classes/{class_id}/tasks", host, {"task_id": task["id"]}, headers={"If-Match": '"v3"'})
    assert attached.status == 200 and attached.headers["etag"] == '"v4"'
    assert api.call("POST", f"/api/classes/{class_id}/complete", admin, headers={"If-Match": '"v4"'}).headers["etag"] == '"v5"'


def test_a_class_change_between_the_check_and_the_member_writes_is_412(api: Api, org_id: str):
    """The class's version is checked in the same transaction as its members' user activities."""
    from activity_tracker.errors import PreconditionFailed
    from activity_tracker.logic.learning import _each_member_activity
    from activity_tracker.repository.learning import UserActivityItem, get_class

    host = make_user(api, org_id)
    class_id = book(api, host).body["id"]
    klass = get_class(org_id, class_id)
    assert api.call("POST", f"/api/classes/{class_id}/join", make_user(api, org_id)).status == 200  # moves it to v2 after `klass` was read
    with pytest.raises(PreconditionFailed):
        _each_member_activity(klass, [UserActivityItem.task_id.set("t")], frozenset({1}))
    assert not any(ua["task_id"] for ua in api.call("GET", "/api/user-activities", host).body["items"])


def test_list_classes_by_status_and_date(api: Api, org_id: str):
    host = make_user(api, org_id)
    early, late = book(api, host, scheduled_at=soon(2)).body, book(api, host, scheduled_at=soon(9)).body
    api.call("POST", f"/api/classes/{late['id']}/confirm", host)
    assert [c["id"] for c in api.call("GET", "/api/classes", host).body["items"]] == [early["id"], late["id"]]
    assert [c["id"] for c in api.call("GET", "/api/classes?status=scheduled", host).body["items"]] == [late["id"]]
    cutoff = (dt.date.today() + dt.timedelta(days=5)).isoformat()
    assert [c["id"] for c in api.call("GET", f"/api/classes?to={cutoff}", host).body["items"]] == [early["id"]]
    assert [c["id"] for c in api.call("GET", f"/api/classes?from={cutoff}", host).body["items"]] == [late["id"]]
    assert api.call("GET", f"/api/classes/{early['id']}", make_user(api, org_id + "-b")).status == 404


def test_attaching_a_task_and_completing_the_class(api: Api, org_id: str):
    host, admin, moderator = make_user(api, org_id), make_user(api, org_id, "admin"), make_user(api, org_id, "moderator")
    learners = [make_user(api, org_id) for _ in range(2)]
    klass = book(api, host).body
    for who in learners:
        api.call("POST", f"/api/classes/{klass['id']}/join", who)
    task = api.call("POST", "/api/tasks", admin, TASK).body
    assert api.call("POST", f"/api/classes/{klass['id']}/tasks", learners[0], {"task_id": task["id"]}).status == 403
    assert api.call("POST", f"/api/classes/{klass['id']}/tasks", host, {"task_id": "nope"}).status == 404
    attached = api.call("POST", f"/api/classes/{klass['id']}/tasks", host, {"task_id": task["id"]})
    assert attached.status == 200 and attached.body["task_ids"] == [task["id"]]
    for who in [host, *learners]:
        assert [ua["task_id"] for ua in api.call("GET", f"/api/user-activities?task_id={task['id']}", who).body["items"]] == [task["id"]]
    assert api.call("POST", f"/api/classes/{klass['id']}/complete", host).status == 403
    done = api.call("POST", f"/api/classes/{klass['id']}/complete", moderator)
    assert done.status == 200 and done.body["status"] == "completed"
    for who in [host, *learners]:
        assert [ua["completed"] for ua in api.call("GET", "/api/user-activities?completed=true", who).body["items"]] == [True]
    consume(api, recorded(api.stack, org_id))
    consume(api, recorded(api.stack, org_id))
    assert [api.call("GET", "/api/users/me", who).body["total_classes"] for who in [host, *learners]] == [1, 1, 1]


def took_place(org_id: str, class_id: str, status: str = "scheduled") -> None:
    """The class's time has come (booking refuses a past time, so the test moves it back in the table)."""
    from activity_tracker.repository.learning import ClassItem, get_class

    past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    get_class(org_id, class_id).update(actions=[ClassItem.status.set(status), ClassItem.scheduled_at.set(past), ClassItem.gsi2sk.set(f"{past}#{class_id}")])


def test_completing_a_user_activity_is_idempotent_and_counts_once(api: Api, org_id: str):
    host = make_user(api, org_id)
    took_place(org_id, book(api, host).body["id"])
    ua = api.call("GET", "/api/user-activities", host).body["items"][0]
    first = api.call("POST", f"/api/user-activities/{ua['id']}/complete", host)
    again = api.call("POST", f"/api/user-activities/{ua['id']}/complete", host)
    assert first.status == again.status == 200 and again.body["completed"] is True
    assert api.call("GET", f"/api/user-activities/{ua['id']}", host).body["completed"] is True
    assert api.call("GET", f"/api/user-activities/{ua['id']}", make_user(api, org_id)).status == 404  # another's
    consume(api, recorded(api.stack, org_id))
    consume(api, recorded(api.stack, org_id))
    assert api.call("GET", "/api/users/me", host).body["total_classes"] == 1


@pytest.mark.parametrize(("query", "status", "rule"), [("from=0001-01-01&to=9999-12-31", 200, None), ("from=2026-02-01&to=2026-01-01", 400, "date_range_valid"), ("from=2026-13-01", 400, "date_format"), ("to=9999-12-31", 200, None)])
def test_class_list_dates(api: Api, org_id: str, query: str, status: int, rule: str | None):
    host = make_user(api, org_id)
    book(api, host)
    reply = api.call("GET", f"/api/classes?{query}", host)
    assert (reply.status, reply.rules if rule else None) == (status, [rule] if rule else None)


@pytest.mark.parametrize("scheduled_at", ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"])
def test_booking_past_the_calendar_is_400(api: Api, org_id: str, scheduled_at: str):
    reply = book(api, make_user(api, org_id), scheduled_at=scheduled_at)
    assert reply.status == 400 and reply.rules[0] in ("scheduled_at_valid", "scheduled_at_in_future")


def test_completing_a_class_while_its_members_change_is_retried_then_409_not_500(api: Api, org_id: str, monkeypatch: pytest.MonkeyPatch):
    from activity_tracker.repository.table import CONFLICT_ATTEMPTS

    admin, learner = make_user(api, org_id, "admin"), make_user(api, org_id)
    klass = book(api, admin).body
    api.call("POST", f"/api/classes/{klass['id']}/join", learner)
    conflict_transactions(monkeypatch, 1)
    assert api.call("POST", f"/api/classes/{klass['id']}/complete", admin).body["status"] == "completed", "one conflict is retried"
    other = book(api, admin).body
    api.call("POST", f"/api/classes/{other['id']}/join", learner)
    conflict_transactions(monkeypatch, CONFLICT_ATTEMPTS)
    reply = api.call("POST", f"/api/classes/{other['id']}/complete", admin)
    assert (reply.status, reply.error["code"]) == (409, "conflict")
    monkeypatch.undo()
    assert api.call("POST", f"/api/classes/{other['id']}/complete", admin).body["status"] == "completed"  # trying again finishes it


def test_ids_in_bodies_and_queries_are_safe_ids(api: Api, org_id: str):
    admin = make_user(api, org_id, "admin")
    klass = api.call("POST", "/api/classes", admin, {"class_type": "grupal", "scheduled_at": "2099-01-01T10:00:00Z"}).body
    assert api.call("POST", f"/api/classes/{klass['id']}/tasks", admin, {"task_id": "t#TASK"}).rules == ["id_format"]
    assert api.call("GET", "/api/user-activities?class_id=c%23x", admin).rules == ["id_format"]
    assert api.call("GET", "/api/user-activities?task_id=" + "t" * 129, admin).rules == ["id_format"]
    bulk = {"user_ids": [admin.sub, "u#x"], "activity": {"activity_date": "2026-01-05", "activity_type": "meeting"}}
    assert api.call("POST", "/api/activities/bulk", admin, bulk).rules == ["id_format"]


def test_a_member_completes_their_user_activity_only_once_the_class_took_place(api: Api, org_id: str):
    host, learner, admin = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id, "admin")

    def complete(who: Person, class_id: str):
        (ua,) = api.call("GET", f"/api/user-activities?class_id={class_id}", who).body["items"]
        return api.call("POST", f"/api/user-activities/{ua['id']}/complete", who)

    klass = book(api, host).body["id"]
    api.call("POST", f"/api/classes/{klass}/join", learner)
    refused = complete(learner, klass)  # pending, and not yet held
    assert refused.status == 409 and refused.error["code"] == "invalid_transition" and refused.rules == ["class_took_place"]
    api.call("POST", f"/api/classes/{klass}/confirm", host)
    assert complete(learner, klass).error["code"] == "invalid_transition"  # scheduled, but still to come
    unpaid = book(api, host).body["id"]
    took_place(org_id, unpaid, "pending")  # its time passed without being confirmed
    assert complete(host, unpaid).error["code"] == "invalid_transition"
    cancelled = book(api, host).body["id"]
    api.call("POST", f"/api/classes/{cancelled}/join", learner)
    took_place(org_id, cancelled)
    api.call("POST", f"/api/classes/{cancelled}/cancel", admin)
    assert complete(learner, cancelled).error["code"] == "invalid_transition"
    took_place(org_id, klass)
    done = complete(learner, klass)
    assert done.status == 200 and done.body["completed"] is True
    for _ in range(2):
        consume(api, recorded(api.stack, org_id))
    assert [api.call("GET", "/api/users/me", who).body["total_classes"] for who in (learner, host)] == [1, 0]


def test_class_completion_racing_members_own_completions_never_fails_and_counts_once(api: Api, org_id: str):
    moderator, host = make_user(api, org_id, "moderator"), make_user(api, org_id)
    learners = [make_user(api, org_id) for _ in range(4)]
    rounds, replies = 4, []
    for _ in range(rounds):
        klass = book(api, host).body["id"]
        for who in learners:
            api.call("POST", f"/api/classes/{klass}/join", who)
        took_place(org_id, klass)
        mine = {who.sub: api.call("GET", f"/api/user-activities?class_id={klass}", who).body["items"][0]["id"] for who in [host, *learners]}
        barrier = threading.Barrier(1 + 2 * len(mine))

        def call(method: str, path: str, who: Person, barrier: threading.Barrier = barrier) -> None:
            barrier.wait()
            replies.append((path, api.call(method, path, who)))

        threads = [threading.Thread(target=call, args=("POST", f"/api/classes/{klass}/complete", moderator))]
        for who in [host, *learners]:
            threads += [threading.Thread(target=call, args=("POST", f"/api/user-activities/{mine[who.sub]}/complete", who)) for _ in range(2)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        assert api.call("GET", f"/api/classes/{klass}", host).body["status"] == "completed"
    assert all(reply.status == 200 for _, reply in replies), [(path, reply.status, reply.body) for path, reply in replies if reply.status != 200]
    for _ in range(2):  # delivered twice
        consume(api, recorded(api.stack, org_id))
    assert [api.call("GET", "/api/users/me", who).body["total_classes"] for who in [host, *learners]] == [rounds] * 5


class TransactionsMeetOthers:
    """DynamoDB Local runs one write at a time; AWS cancels a transaction (TransactionConflict) or
    refuses a single write (TransactionConflictException) when another transaction holds one of its
    items. This answers the next `times` calls of `operation` that way, before they reach the engine."""

    def __init__(self, operation: str, times: int, model: type | None = None):
        from activity_tracker.repository.table import connection

        self.operation, self.left = operation, times
        # transactions go through the shared low-level connection, a model's own writes through its own
        client = model._get_connection().connection.client if model is not None else connection().client  # type: ignore[attr-defined]
        self.events = client.meta.events

    def __enter__(self) -> TransactionsMeetOthers:
        self.events.register(f"before-call.dynamodb.{self.operation}", self._answer, unique_id="test-conflict")
        return self

    def __exit__(self, *exc) -> None:
        self.events.unregister(f"before-call.dynamodb.{self.operation}", unique_id="test-conflict")

    def _answer(self, params, **kwargs):
        from types import SimpleNamespace

        if self.left <= 0:
            return None
        self.left -= 1
        if self.operation == "TransactWriteItems":
            error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]"}
            body = {"Error": error, "CancellationReasons": [{"Code": "TransactionConflict"}]}
        else:
            body = {"Error": {"Code": "TransactionConflictException", "Message": "Transaction is ongoing for the item"}}
        return SimpleNamespace(status_code=400, headers={}), {**body, "ResponseMetadata": {"HTTPStatusCode": 400}}


def test_writes_that_meet_another_transaction_are_retried_and_never_answer_5xx(api: Api, org_id: str):
    from activity_tracker.repository.learning import ClassItem

    moderator, host, learner = make_user(api, org_id, "moderator"), make_user(api, org_id), make_user(api, org_id)
    klass = book(api, host).body["id"]
    with TransactionsMeetOthers("TransactWriteItems", 2):  # a member's completion holds the class for a moment
        assert api.call("POST", f"/api/classes/{klass}/join", learner).status == 200
    took_place(org_id, klass)
    (ua,) = api.call("GET", f"/api/user-activities?class_id={klass}", learner).body["items"]
    with TransactionsMeetOthers("TransactWriteItems", 2):
        assert api.call("POST", f"/api/user-activities/{ua['id']}/complete", learner).body["completed"] is True
    with TransactionsMeetOthers("TransactWriteItems", 2), TransactionsMeetOthers("UpdateItem", 2, ClassItem):
        assert api.call("POST", f"/api/classes/{klass}/complete", moderator).body["status"] == "completed"
    other = book(api, host).body["id"]
    took_place(org_id, other)
    (mine,) = api.call("GET", f"/api/user-activities?class_id={other}", host).body["items"]
    with TransactionsMeetOthers("TransactWriteItems", 100):  # held for longer than the retries last
        assert api.call("POST", f"/api/user-activities/{mine['id']}/complete", host).error["code"] == "conflict"
        assert api.call("POST", f"/api/classes/{other}/complete", moderator).error["code"] == "conflict"
    with TransactionsMeetOthers("UpdateItem", 100, ClassItem):
        assert api.call("POST", f"/api/classes/{other}/cancel", host).error["code"] == "conflict"
    assert api.call("GET", f"/api/classes/{other}", host).body["status"] == "scheduled"


def test_user_activity_queries(api: Api, org_id: str):
    who = make_user(api, org_id)
    assert api.call("GET", "/api/user-activities?completed=maybe", who).rules == ["bool_parsing"]
    assert api.call("GET", "/api/user-activities?role=guest", who).rules == ["must_be_one_of"]
    assert api.call("GET", "/api/user-activities", who).body == {"items": [], "next_cursor": None}


def test_user_activity_items_keep_the_stream_consumers_contract(api: Api, org_id: str):
    """`ORG#o#USER#u / UA#<class_id>#<id>`, type USER_ACTIVITY; found by id alone through LSI1."""
    from activity_tracker.repository.learning import UserActivityItem

    host, learner = make_user(api, org_id), make_user(api, org_id)
    first, second = book(api, host).body, book(api, host).body
    api.call("POST", f"/api/classes/{first['id']}/join", learner)
    stored = list(UserActivityItem.query(f"ORG#{org_id}#USER#{host.sub}", UserActivityItem.sk.startswith("UA#")))
    assert {(s.entity, s.sk) for s in stored} == {("USER_ACTIVITY", f"UA#{c['class_id']}#{c['id']}") for c in api.call("GET", "/api/user-activities", host).body["items"]}
    assert len(stored) == 2 and {s.role for s in stored} == {"anfitrion"}
    in_first = api.call("GET", f"/api/user-activities?class_id={first['id']}", host).body["items"]
    assert [ua["class_id"] for ua in in_first] == [first["id"]]
    assert api.call("GET", f"/api/user-activities/{in_first[0]['id']}", host).body == in_first[0]
    assert api.call("GET", f"/api/user-activities/{in_first[0]['id']}", learner).status == 404
    assert api.call("GET", "/api/user-activities?class_id=nope", host).body["items"] == []
    page = api.call("GET", "/api/user-activities?limit=1", host).body
    assert page["next_cursor"] and len(page["items"]) == 1
    rest = api.call("GET", f"/api/user-activities?limit=1&cursor={page['next_cursor']}", host).body
    assert rest["items"][0]["id"] != page["items"][0]["id"]
    other_class = first["id"] if page["items"][0]["class_id"] == second["id"] else second["id"]
    assert api.call("GET", f"/api/user-activities?class_id={other_class}&cursor={page['next_cursor']}", host).rules == ["cursor_invalid"]
