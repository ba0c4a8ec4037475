"""StatsRecountFunction: an organization's activity counters recomputed from its activities when
the consumer missed records for good; refused while the activities are still moving; a counter the
consumer moves in between is never overwritten."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import Api, make_user
from tests.stream_helpers import consume, counters, expected_counters, recorded

URL = "/api/activities"
RECOUNT = "StatsRecountFunction"


def _history(api: Api, org_id: str) -> None:
    mentor, coordinator, other = make_user(api, org_id), make_user(api, org_id, "coordinator"), make_user(api, org_id)
    first = api.call("POST", URL, mentor, {"activity_date": "2026-11-02", "activity_type": "home_visit", "duration_minutes": 60}).body["id"]
    api.call("POST", URL, mentor, {"activity_date": "2026-10-30", "activity_type": "meeting", "duration_minutes": 30})
    gone = api.call("POST", URL, other, {"activity_date": "2026-10-12", "activity_type": "course", "duration_minutes": 90}).body["id"]
    api.call("PATCH", f"{URL}/{first}", mentor, {"duration_minutes": 75})
    api.call("DELETE", f"{URL}/{gone}", coordinator)
    api.call("POST", URL, coordinator, {"activity_date": "2026-11-03", "activity_type": "phone_call", "user_id": mentor.sub})


def _recount(api: Api, event: dict[str, Any]) -> dict[str, Any]:
    function = next(f for f in api.stack.functions if f.logical_id == RECOUNT)
    return api.handlers.invoke(function, event)


def _add(pk: str, sk: str, **fields: int) -> None:
    """A counter moved behind the consumer's back (or by a record it applied twice)."""
    from activity_tracker.repository.table import TABLE_NAME, connection

    names = {f"#f{n}": name for n, name in enumerate(fields)}
    values = {f":v{n}": {"N": str(v)} for n, v in enumerate(fields.values())}
    connection().client.update_item(
        TableName=TABLE_NAME,
        Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression="ADD " + ", ".join(f"#f{n} :v{n}" for n in range(len(fields))),
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
    )


def test_counters_the_consumer_never_got_are_recomputed(api: Api, org_id: str):
    _history(api, org_id)  # no stream record applied: as after an expired failed batch
    assert counters(org_id) == {}

    (result,) = _recount(api, {"organization_id": org_id, "quiet_seconds": 0})["results"]

    assert result["status"] == "done" and result["activities"] == 4 and result["corrected"]
    assert counters(org_id) == expected_counters(org_id) != {}


def test_wrong_and_stray_counters_are_put_right_and_only_those_are_written(api: Api, org_id: str):
    _history(api, org_id)
    consume(api, recorded(api.stack, org_id))
    right = counters(org_id)
    assert right == expected_counters(org_id)
    user_month = next(key for key in sorted(right) if "#USER#" in key[0] and key[1] == "STATS#2026-11")
    _add(*user_month, activity_count=2, type_meeting=1)  # counted twice
    _add(f"ORG#{org_id}", "STATS#2026-01", activity_count=1, active_users=1)  # a month with nothing in it

    (result,) = _recount(api, {"organization_id": org_id, "quiet_seconds": 0})["results"]

    assert {(c["pk"], c["sk"]) for c in result["corrected"]} == {user_month, (f"ORG#{org_id}", "STATS#2026-01")}
    assert counters(org_id) == right
    (again,) = _recount(api, {"organization_id": org_id, "quiet_seconds": 0})["results"]
    assert again["status"] == "done" and again["corrected"] == []


def test_refused_while_an_activity_changed_within_the_quiet_period(api: Api, org_id: str):
    _history(api, org_id)

    (result,) = _recount(api, {"organization_id": org_id})["results"]  # default: 15 minutes

    assert result["status"] == "busy" and "changed since" in result["reason"]
    assert counters(org_id) == {}  # nothing written


def test_a_counter_moved_between_read_and_write_is_never_overwritten(api: Api, org_id: str, monkeypatch):
    """An activity is logged and applied by the consumer after the recount read the counters and
    the activities: the rewrite's condition fails, the recount starts again from fresh reads, and
    the new activity is counted once (without the condition it would be lost)."""
    from activity_tracker.stream import recount
    from local import iam

    _history(api, org_id)
    consume(api, recorded(api.stack, org_id))
    mentor = make_user(api, org_id)
    read = recount._activities
    logged: list[int] = []

    def read_then_a_new_activity_is_applied(client: Any, org: str) -> Any:
        activities = read(client, org)
        if not logged:
            with iam.unchecked():  # the API and the consumer, not the recount, make these calls
                seen = len(recorded(api.stack, org_id))
                api.call("POST", URL, mentor, {"activity_date": "2026-11-20", "activity_type": "meeting", "duration_minutes": 40})
                consume(api, recorded(api.stack, org_id)[seen:])
            logged.append(1)
        return activities

    monkeypatch.setattr(recount, "_activities", read_then_a_new_activity_is_applied)
    _add(f"ORG#{org_id}", "STATS#2026-11", duration_minutes=5)  # something to correct, so it writes

    (result,) = _recount(api, {"organization_id": org_id, "quiet_seconds": 0})["results"]

    assert logged and result["status"] == "done" and result["activities"] == 5
    assert counters(org_id) == expected_counters(org_id)


def test_every_organization_and_what_time_did_not_reach(api: Api, org_id: str):
    other_org = f"{org_id}-b"
    _history(api, org_id)
    _history(api, other_org)

    out = _recount(api, {"organization_ids": [org_id, other_org], "quiet_seconds": 0})

    assert [r["organization_id"] for r in out["results"]] == [org_id, other_org] and out["remaining"] == []
    assert counters(other_org) == expected_counters(other_org) != {}
    everyone = _recount(api, {"all_organizations": True, "quiet_seconds": 0})
    assert {org_id, other_org} <= {r["organization_id"] for r in everyone["results"]}
    assert all(r["status"] == "done" and r["corrected"] == [] for r in everyone["results"] if r["organization_id"] in (org_id, other_org))


def test_an_event_naming_no_organization_is_refused(api: Api):
    assert "error" in _recount(api, {})


@pytest.mark.parametrize("minutes_ago, busy", [(20, False), (5, True)])
def test_the_quiet_period_is_measured_from_the_latest_change(api: Api, org_id: str, minutes_ago: int, busy: bool):
    from activity_tracker.stream.recount import recount

    _history(api, org_id)
    latest = max(item["updated_at"] for item in _activities(org_id))
    now = datetime.strptime(latest, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC) + timedelta(minutes=minutes_ago)
    assert (recount(org_id, now=now)["status"] == "busy") is busy


def test_the_recount_reads_deleted_activities_too(api: Api, org_id: str):
    """They live in a GSI2 partition of their own; a recent deletion must make the recount wait for the consumer."""
    _history(api, org_id)
    read = _activities(org_id)
    assert len(read) == 4 and sum(1 for activity in read if activity.get("deleted_at")) == 1


def _activities(org_id: str) -> list[dict[str, Any]]:
    from activity_tracker.repository.table import connection
    from activity_tracker.stream.recount import _activities as read

    return read(connection().client, org_id)


def _completed_class(api: Api, org_id: str) -> tuple[Any, Any]:
    """A class of a host and a learner, completed: each has one completed user activity."""
    host, learner, moderator = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id, "moderator")
    when = (datetime.now(UTC) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    klass = api.call("POST", "/api/classes", host, {"class_type": "grupal", "max_participants": 5, "scheduled_at": when}).body
    assert api.call("POST", f"/api/classes/{klass['id']}/join", learner).status == 200
    assert api.call("POST", f"/api/classes/{klass['id']}/complete", moderator).status == 200
    return host, learner


def _total_classes(api: Api, who: Any) -> int:
    return api.call("GET", "/api/users/me", who).body["total_classes"]


def test_total_classes_are_recounted_from_completed_user_activities(api: Api, org_id: str):
    host, learner = _completed_class(api, org_id)
    assert (_total_classes(api, host), _total_classes(api, learner)) == (0, 0)  # the consumer never saw the completions

    (result,) = _recount(api, {"organization_id": org_id, "quiet_seconds": 0})["results"]

    assert result["status"] == "done" and result["user_activities"] == 2
    assert (_total_classes(api, host), _total_classes(api, learner)) == (1, 1)


def test_a_wrong_total_classes_is_put_right_and_a_right_one_left_alone(api: Api, org_id: str):
    host, learner = _completed_class(api, org_id)
    consume(api, recorded(api.stack, org_id))
    assert (_total_classes(api, host), _total_classes(api, learner)) == (1, 1)
    _add(f"ORG#{org_id}#USER#{host.sub}", "PROFILE", total_classes=2)
    before = _raw_profile(org_id, host.sub)

    (result,) = _recount(api, {"organization_id": org_id, "quiet_seconds": 0})["results"]

    assert [(c["pk"], c["sk"], c["before"], c["after"]) for c in result["corrected"]] == [(f"ORG#{org_id}#USER#{host.sub}", "PROFILE", {"total_classes": 3}, {"total_classes": 1})]
    assert (_total_classes(api, host), _total_classes(api, learner)) == (1, 1)
    assert _raw_profile(org_id, host.sub)["type"] == before["type"]  # nothing but total_classes touched
    assert {k: v for k, v in _raw_profile(org_id, host.sub).items() if k != "total_classes"} == {k: v for k, v in before.items() if k != "total_classes"}


def _raw_profile(org_id: str, sub: str) -> dict[str, Any]:
    from activity_tracker.repository.table import TABLE_NAME, connection

    return connection().client.get_item(TableName=TABLE_NAME, Key={"pk": {"S": f"ORG#{org_id}#USER#{sub}"}, "sk": {"S": "PROFILE"}}, ConsistentRead=True)["Item"]


def test_refused_while_a_user_activity_changed_within_the_quiet_period(api: Api, org_id: str):
    _completed_class(api, org_id)

    (result,) = _recount(api, {"organization_id": org_id})["results"]

    assert result["status"] == "busy"
