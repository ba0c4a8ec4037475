"""Tenant isolation and the role matrix, for every route of API.md, driven by one table.

- `test_ids_of_another_organization_are_404_and_change_nothing`: each role of organization A
  acts on the ids of organization B's resources (or, for routes without ids, calls the route in
  A): an allowed role gets 404, any role gets exactly what a random id gets (403 or 404, so the
  answer never tells that B's id exists), no answer carries B's data, and B's items in the
  table are byte-for-byte unchanged.
- `test_each_role_gets_exactly_the_access_api_md_grants`: in its own organization, every role
  that API.md allows succeeds (2xx) and every other role gets 403.

The table below has an entry for every route of API.md. Entries whose route is not (yet) in
template.yaml are skipped, so the matrix grows as features land; when creating a prerequisite
fails (a feature's route differs slightly), the case is skipped with the reason.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.template import Stack
from tests.helpers import Api, Person, Reply, make_user

ROLES = ("member", "moderator", "coordinator", "admin")
EVERYONE = frozenset(ROLES)
REVIEWERS = frozenset({"coordinator", "admin"})
CONTENT = frozenset({"admin", "moderator"})
_days = itertools.count(1)


# ---------------------------------------------------------------- the world of one organization
class Org:
    """An organization with one user per role, and helpers that create resources through the API."""

    def __init__(self, api: Api, name: str):
        self.api, self.id = api, f"{name}-{uuid.uuid4().hex[:10]}"
        self.people = {role: make_user(api, self.id, role) for role in ROLES}
        # every id (and email) created in this organization, for the leak checks
        self.ids: set[str] = {marker for who in self.people.values() for marker in (who.sub, who.email)}

    def person(self, role: str) -> Person:
        return self.people[role]

    def new_member(self) -> Person:
        who = make_user(self.api, self.id, "member")
        self.ids |= {who.sub, who.email}
        return who

    def create(self, who: Person, method: str, path: str, body: Any = None, what: str = "") -> dict[str, Any]:
        route = path.split("?")[0]
        if self.api.stack.match(method, route) is None:
            pytest.skip(f"prerequisite {method} {route} is not in template.yaml yet")
        reply = self.api.call(method, path, who, body)
        if not 200 <= reply.status < 300:
            pytest.skip(f"could not create {what or path} for the matrix: {method} {path} answered {reply.status} {reply.body}")
        if isinstance(reply.body, dict) and isinstance(reply.body.get("id"), str):
            self.ids.add(reply.body["id"])
        return reply.body or {}

    # --- resources
    def contact(self, who: Person) -> str:
        return self.create(who, "POST", "/api/contacts", {"name": "Kari Nordmann", "notes": "matrix"}, "a contact")["id"]

    def activity(self, who: Person, **fields: Any) -> str:
        day = (dt.date.today() - dt.timedelta(days=next(_days) % 900 + 1)).isoformat()
        body = {"activity_date": day, "activity_type": "meeting", "duration_minutes": 60, "summary": "matrix", **fields}
        return self.create(who, "POST", "/api/activities", body, "an activity")["id"]

    def deleted_activity(self, who: Person) -> str:
        activity_id = self.activity(who)
        self.create(self.person("admin"), "DELETE", f"/api/activities/{activity_id}", None, "a deleted activity")
        return activity_id

    def task(self, who: Person | None = None) -> str:
        body = {"title": "Greetings", "content": "Sign hello", "answer": "hello", "description": "matrix", "type": "reading", "difficulty": "easy"}
        return self.create(who or self.person("admin"), "POST", "/api/tasks", body, "a task")["id"]

    def klass(self, host: Person, *, scheduled: bool = False) -> str:
        when = (dt.datetime.now(dt.UTC) + dt.timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
        class_id = self.create(host, "POST", "/api/classes", {"class_type": "grupal", "max_participants": 5, "scheduled_at": when, "title": "matrix"}, "a class")["id"]
        if scheduled:
            self.create(self.person("admin"), "POST", f"/api/classes/{class_id}/confirm", None, "a scheduled class")
        return class_id

    def user_activity(self, who: Person, *, held: bool = False) -> str:
        class_id = self.klass(who, scheduled=held)
        if held:  # its time has come (booking refuses a past time, so it is moved back in the table)
            from activity_tracker.repository.learning import ClassItem, get_class

            past = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
            get_class(self.id, class_id).update(actions=[ClassItem.scheduled_at.set(past), ClassItem.gsi2sk.set(f"{past}#{class_id}")])
        listed = self.create(who, "GET", f"/api/user-activities?class_id={class_id}", None, "the host's user activity")
        items = listed.get("items") or []
        if not items:
            pytest.skip(f"booking a class created no user activity for its host (GET /api/user-activities?class_id= answered {listed})")
        self.ids.add(items[0]["id"])
        return items[0]["id"]

    def no_export_pending(self) -> None:
        """An organization has one pending or running export at a time: the matrix's earlier ones
        are finished first (no worker runs here), as the worker would finish them."""
        from activity_tracker import keys
        from activity_tracker.repository import exports

        for item in exports.ExportItem.by_organization.query(keys.exports_of_org(self.id)):
            if item.status in exports.UNFINISHED:
                exports.fail_stuck(item, "finished by the matrix")

    def export(self, who: Person | None = None) -> str:
        self.no_export_pending()
        year = dt.date.today().year - 1
        body = {"period_start": f"{year}-01-01", "period_end": f"{year}-01-31", "format": "csv"}
        return self.create(who or self.person("admin"), "POST", "/api/exports/bufdir", body, "an export")["id"]

    def data_export(self, who: Person) -> str:
        return self.create(who, "POST", "/api/users/me/data-export", {}, "a personal-data export")["id"]

    def erasure(self) -> str:
        return self.create(self.person("admin"), "POST", f"/api/contacts/{self.contact(self.person('member'))}/erase", {}, "an erasure")["id"]

    def feed_token(self, who: Person) -> str:
        return str(self.create(who, "POST", "/api/calendar/feed", None, "a calendar feed")["url"]).rsplit("/", 1)[1]

    def progress(self, who: Person, item_id: str) -> None:
        self.create(who, "POST", "/api/user_progress", {"data": {"progress_type": "sign_learned", "item_id": item_id, "score": 1}}, "a progress row")


# ---------------------------------------------------------------- the table
Make = Callable[[Org, Person], str]  # creates the resource the path's {id} names, owned by the given person
Body = Callable[[Org, Person], Any]  # the request body, built in the caller's organization


@dataclass(frozen=True)
class Entry:
    method: str
    path: str
    allowed: frozenset[str]
    make: Make | None = None
    body: Body | None = None
    query: str = ""
    owner: str = "caller"  # whose resource in the role test: "caller" (own) or "member" (another member's)
    note: str = ""
    statuses: frozenset[int] = field(default_factory=frozenset)  # success statuses when not simply 2xx
    capability: bool = False  # a public route whose path id is a secret key (the calendar feed): no organization scopes it

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.owner}'s]" if self.make and self.owner != "caller" else "")


CALENDAR_FILE = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//matrix//EN\r\nBEGIN:VEVENT\r\nUID:matrix-1\r\nDTSTART:20260115T100000Z\r\nSUMMARY:matrix\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"


def _fixed(value: Any) -> Body:
    return lambda org, who: value


TABLE: list[Entry] = [
    # user progress (the caller's own rows only)
    Entry("GET", "/api/user_progress", EVERYONE, query="progress_type=sign_learned"),
    Entry("POST", "/api/user_progress", EVERYONE, body=_fixed({"data": {"progress_type": "sign_learned", "item_id": "matrix-a", "score": 2}})),
    Entry("DELETE", "/api/user_progress/by-item", EVERYONE, query="progress_type=sign_learned&item_id=shared-item"),
    # users
    Entry("GET", "/api/users/me", EVERYONE),
    Entry("PATCH", "/api/users/me", EVERYONE, body=_fixed({"name": "Matrix"})),
    Entry("GET", "/api/users", frozenset({"coordinator", "moderator", "admin"})),
    Entry("PATCH", "/api/users/{id}", frozenset({"admin"}), make=lambda org, who: org.new_member().sub, body=_fixed({"role": "moderator"}), owner="member"),
    # organization
    Entry("GET", "/api/organization", EVERYONE),
    Entry("PATCH", "/api/organization", frozenset({"admin"}), body=_fixed({"name": "Matrix org"})),
    # contacts
    Entry("POST", "/api/contacts", EVERYONE, body=_fixed({"name": "Ola"})),
    Entry("GET", "/api/contacts", EVERYONE),
    Entry("GET", "/api/contacts/{id}", EVERYONE, make=lambda org, who: org.contact(who)),
    Entry("PATCH", "/api/contacts/{id}", EVERYONE, make=lambda org, who: org.contact(who), body=_fixed({"notes": "changed"})),
    Entry("PATCH", "/api/contacts/{id}", REVIEWERS, make=lambda org, who: org.contact(who), body=_fixed({"notes": "changed"}), owner="member", note="a member changes the contacts they created"),
    Entry("DELETE", "/api/contacts/{id}", EVERYONE, make=lambda org, who: org.contact(who)),
    Entry("DELETE", "/api/contacts/{id}", REVIEWERS, make=lambda org, who: org.contact(who), owner="member"),
    # activities
    Entry("POST", "/api/activities", EVERYONE, body=lambda org, who: {"activity_date": "2026-01-15", "activity_type": "phone_call", "contact_id": org.contact(who)}),
    Entry("GET", "/api/activities", EVERYONE),
    Entry("GET", "/api/activities/{id}", EVERYONE, make=lambda org, who: org.activity(who)),
    Entry("GET", "/api/activities/{id}", REVIEWERS, make=lambda org, who: org.activity(who), owner="member", note="a member sees their own activities only"),
    Entry("PATCH", "/api/activities/{id}", EVERYONE, make=lambda org, who: org.activity(who), body=_fixed({"summary": "changed"})),
    Entry("PATCH", "/api/activities/{id}", REVIEWERS, make=lambda org, who: org.activity(who), body=_fixed({"summary": "changed"}), owner="member"),
    Entry("DELETE", "/api/activities/{id}", EVERYONE, make=lambda org, who: org.activity(who)),
    Entry("DELETE", "/api/activities/{id}", REVIEWERS, make=lambda org, who: org.activity(who), owner="member"),
    Entry("POST", "/api/activities/{id}/restore", REVIEWERS, make=lambda org, who: org.deleted_activity(who), owner="member"),
    Entry("POST", "/api/activities/{id}/review", REVIEWERS, make=lambda org, who: org.activity(who), body=_fixed({"action": "approve"}), owner="member"),
    Entry("GET", "/api/sync/pull", EVERYONE, query="last_pulled_at=0&schema_version=1"),
    Entry("POST", "/api/sync/push", EVERYONE, query="last_pulled_at=0", body=lambda org, who: {"changes": {"activities": {"created": [{"id": f"wm-{uuid.uuid4().hex[:8]}", "activity_date": "2026-01-11", "activity_type": "meeting"}]}}}),
    Entry("POST", "/api/activities/sync", EVERYONE, body=lambda org, who: {"items": [{"local_id": f"shared-local-{uuid.uuid4().hex[:6]}", "activity_date": "2026-01-10", "activity_type": "meeting"}]}),
    Entry("POST", "/api/activities/bulk", REVIEWERS, body=lambda org, who: {"user_ids": [org.new_member().sub], "activity": {"activity_date": "2026-01-12", "activity_type": "group_activity", "participant_count": 4, "is_group_activity": True}}),
    Entry("POST", "/api/activities/{id}/home-visit-report", EVERYONE, make=lambda org, who: org.activity(who, activity_type="home_visit"), body=_fixed({"content": "Went well."})),
    Entry("POST", "/api/activities/{id}/home-visit-report", REVIEWERS, make=lambda org, who: org.activity(who, activity_type="home_visit"), body=_fixed({"content": "Went well."}), owner="member"),
    # audit trail
    Entry("GET", "/api/activities/{id}/history", EVERYONE, make=lambda org, who: org.activity(who)),
    Entry("GET", "/api/activities/{id}/history", REVIEWERS, make=lambda org, who: org.activity(who), owner="member", note="as GET /api/activities/{id}"),
    Entry("GET", "/api/audit", frozenset({"admin"})),
    # statistics
    Entry("GET", "/api/stats/me", EVERYONE, query="year=2026"),
    Entry("GET", "/api/stats/organization", REVIEWERS, query="year=2026"),
    # Bufdir exports
    Entry("POST", "/api/exports/bufdir", REVIEWERS, body=lambda org, who: org.no_export_pending() or {"period_start": "2026-01-01", "period_end": "2026-01-31", "format": "json"}, statuses=frozenset({202})),
    Entry("GET", "/api/exports", REVIEWERS),
    Entry("GET", "/api/exports/{id}", REVIEWERS, make=lambda org, who: org.export(), owner="member", note="API.md gives exports to coordinator/admin"),
    # privacy
    Entry("POST", "/api/users/me/data-export", EVERYONE, statuses=frozenset({202})),
    Entry("POST", "/api/users/{id}/data-export", frozenset({"admin"}), make=lambda org, who: org.new_member().sub, owner="member", statuses=frozenset({202})),
    Entry("GET", "/api/data-exports/{id}", EVERYONE, make=lambda org, who: org.data_export(who), note="the person it is about"),
    Entry("GET", "/api/data-exports/{id}", frozenset({"admin"}), make=lambda org, who: org.data_export(who), owner="member"),
    Entry("POST", "/api/users/{id}/erase", frozenset({"admin"}), make=lambda org, who: org.new_member().sub, owner="member", statuses=frozenset({202})),
    Entry("POST", "/api/contacts/{id}/erase", frozenset({"admin"}), make=lambda org, who: org.contact(who), owner="member", statuses=frozenset({202})),
    Entry("GET", "/api/erasures/{id}", frozenset({"admin"}), make=lambda org, who: org.erasure(), owner="member"),
    # learning platform
    Entry("POST", "/api/tasks", CONTENT, body=_fixed({"title": "T", "content": "C", "answer": "A", "description": "D", "type": "exam", "difficulty": "hard"})),
    Entry("GET", "/api/tasks", EVERYONE),
    Entry("GET", "/api/tasks/{id}", EVERYONE, make=lambda org, who: org.task(), owner="member"),
    Entry("POST", "/api/classes", EVERYONE, body=_fixed({"class_type": "individual", "max_participants": 1, "scheduled_at": "2030-01-01T10:00:00Z"})),
    Entry("GET", "/api/classes", EVERYONE),
    Entry("GET", "/api/classes/{id}", EVERYONE, make=lambda org, who: org.klass(org.new_member()), owner="member"),
    Entry("POST", "/api/classes/{id}/confirm", EVERYONE, make=lambda org, who: org.klass(who), note="the host"),
    Entry("POST", "/api/classes/{id}/confirm", CONTENT, make=lambda org, who: org.klass(org.new_member()), owner="member"),
    Entry("POST", "/api/classes/{id}/join", EVERYONE, make=lambda org, who: org.klass(org.new_member()), owner="member"),
    Entry("POST", "/api/classes/{id}/cancel", EVERYONE, make=lambda org, who: org.klass(who), note="the host"),
    Entry("POST", "/api/classes/{id}/cancel", frozenset({"admin"}), make=lambda org, who: org.klass(org.new_member()), owner="member"),
    Entry("POST", "/api/classes/{id}/tasks", EVERYONE, make=lambda org, who: org.klass(who), body=lambda org, who: {"task_id": org.task()}, note="the host"),
    Entry("POST", "/api/classes/{id}/tasks", CONTENT, make=lambda org, who: org.klass(org.new_member()), body=lambda org, who: {"task_id": org.task()}, owner="member"),
    Entry("POST", "/api/classes/{id}/complete", CONTENT, make=lambda org, who: org.klass(org.new_member(), scheduled=True), owner="member"),
    Entry("GET", "/api/user-activities", EVERYONE),
    Entry("GET", "/api/user-activities/{id}", EVERYONE, make=lambda org, who: org.user_activity(who)),
    Entry("POST", "/api/user-activities/{id}/complete", EVERYONE, make=lambda org, who: org.user_activity(who, held=True)),
    # calendars
    Entry("POST", "/api/calendar/import", EVERYONE, body=_fixed(CALENDAR_FILE)),
    Entry("POST", "/api/calendar/feed", EVERYONE, statuses=frozenset({201})),
    Entry("DELETE", "/api/calendar/feed", EVERYONE),
    Entry("GET", "/api/calendar/feed/{token}", EVERYONE, make=lambda org, who: org.feed_token(who), capability=True, note="public: the secret URL is the key, whatever the organization"),
]

# a capability URL is not scoped by organization (the token is the key), so it has no cross-organization case
CROSS = [entry for entry in TABLE if not entry.capability and (entry.owner == "caller" or not any(e.method == entry.method and e.path == entry.path and e.owner == "caller" for e in TABLE))]


def test_the_table_names_every_route_of_template_yaml(stack: Stack):
    """A route added to template.yaml without an entry here fails, so the matrix never silently misses one."""
    in_table = {(entry.method, entry.path) for entry in TABLE}
    missing = sorted(route.key for route, _ in stack.routes() if (route.method, route.path) not in in_table)
    assert not missing, f"add these routes to TABLE in {__file__}: {missing}"


# ---------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def orgs(api: Api) -> tuple[Org, Org]:
    return Org(api, "matrix-a"), Org(api, "matrix-b")


@pytest.fixture(scope="module")
def b_world(orgs: tuple[Org, Org], stack: Stack) -> dict[str, str]:
    """One resource of organization B per entry with an id (created once), and data of every kind."""
    _, b = orgs
    made: dict[str, str] = {}
    for entry in CROSS:
        if entry.make is None or not _served(stack, entry):
            continue
        try:
            made[entry.key] = entry.make(b, b.person("member"))
        except pytest.skip.Exception as skipped:
            made[entry.key] = f"skip:{skipped.msg}"
    try:
        b.progress(b.person("member"), "shared-item")
        b.progress(b.person("admin"), "shared-item")
    except pytest.skip.Exception:
        pass
    return made


def _served(stack: Stack, entry: Entry) -> bool:
    return any(route.method == entry.method and route.path == entry.path for route, _ in stack.routes())


def _snapshot(org_id: str) -> dict[tuple[str, str], Any]:
    """Every item of the organization in the table (a test-only Scan)."""
    import boto3
    from boto3.dynamodb.conditions import Attr

    from activity_tracker.settings import get_settings

    table = boto3.resource("dynamodb").Table(get_settings().table_name)
    items: dict[tuple[str, str], Any] = {}
    kwargs: dict[str, Any] = {"FilterExpression": Attr("pk").begins_with(f"ORG#{org_id}") | Attr("organization_id").eq(org_id), "ConsistentRead": True}
    while True:
        page = table.scan(**kwargs)
        for item in page["Items"]:
            items[(item["pk"], item["sk"])] = item
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _path(entry: Entry, resource_id: str | None) -> str:
    path = re.sub(r"\{[^}]+\}", resource_id or "", entry.path)
    return f"{path}?{entry.query}" if entry.query else path


def _call(api: Api, entry: Entry, org: Org, who: Person, resource_id: str | None) -> Reply:
    body = entry.body(org, who) if entry.body else None
    if isinstance(body, bytes):  # a file (the calendar import)
        return api.call(entry.method, _path(entry, resource_id), who, raw=body, headers={"content-type": "text/calendar"})
    if body is None and entry.method in ("POST", "PATCH", "PUT"):
        body = {}  # an action without fields (confirm, join, restore, ...) gets an empty JSON object
    return api.call(entry.method, _path(entry, resource_id), who, body)


def _leaks(reply: Reply, b: Org) -> list[str]:
    text = json.dumps(reply.body)
    return sorted(marker for marker in {b.id, *b.ids} if marker and marker in text)


# ---------------------------------------------------------------- tests
@pytest.mark.parametrize("entry", CROSS, ids=[e.key for e in CROSS])
def test_ids_of_another_organization_are_404_and_change_nothing(api: Api, stack: Stack, orgs: tuple[Org, Org], b_world: dict[str, str], entry: Entry):
    if not _served(stack, entry):
        pytest.skip(f"{entry.method} {entry.path} is not in template.yaml yet")
    a, b = orgs
    resource_id = None
    if entry.make is not None:
        resource_id = b_world.get(entry.key, "skip:no resource")
        if resource_id.startswith("skip:"):
            pytest.skip(resource_id[5:])
    before = _snapshot(b.id)
    assert before, "organization B has items to protect"
    problems = []
    for role in ROLES:
        who = a.person(role)
        reply = _call(api, entry, a, who, resource_id)
        assert reply.status < 500, f"{role}: {entry.method} {entry.path} answered {reply.status} {reply.body}"
        if resource_id is not None:
            random_reply = _call(api, entry, a, who, str(uuid.uuid4()))
            if reply.status != random_reply.status or reply.status not in (403, 404):
                problems.append(f"{role}: B's id answered {reply.status}, a random id {random_reply.status} (both must be 404, or 403 for a role that may not)")
            elif role in _allowed_anywhere(entry) and reply.status != 404:
                problems.append(f"{role} may use this route but B's id answered {reply.status}, not 404")
            if reply.status == 404 and reply.body["error"]["code"] != "not_found":
                problems.append(f"{role}: 404 with code {reply.body['error']['code']}")
        leaks = _leaks(reply, b)
        if leaks:
            problems.append(f"{role}: the answer carries organization B's ids {leaks}")
    assert not problems, "\n".join(problems)
    assert _snapshot(b.id) == before, f"{entry.method} {entry.path} called from organization A changed organization B's items"


def _allowed_anywhere(entry: Entry) -> frozenset[str]:
    return frozenset().union(*(e.allowed for e in TABLE if e.method == entry.method and e.path == entry.path))


ROLE_CASES = [(entry, role) for entry in TABLE for role in ROLES]


@pytest.mark.parametrize(("entry", "role"), ROLE_CASES, ids=[f"{e.key}-{r}" for e, r in ROLE_CASES])
def test_each_role_gets_exactly_the_access_api_md_grants(api: Api, stack: Stack, orgs: tuple[Org, Org], entry: Entry, role: str):
    if not _served(stack, entry):
        pytest.skip(f"{entry.method} {entry.path} is not in template.yaml yet")
    a, _ = orgs
    who = a.person(role)
    resource_id = None
    if entry.make is not None:
        resource_id = entry.make(a, who if entry.owner == "caller" else a.new_member())
    reply = _call(api, entry, a, who, resource_id)
    where = f"{role} on {entry.key}{' (' + entry.note + ')' if entry.note else ''}: {reply.status} {reply.body}"
    if role in entry.allowed:
        ok = reply.status in entry.statuses if entry.statuses else 200 <= reply.status < 300
        assert ok, f"API.md allows {where}"
    else:
        assert reply.status == 403 and reply.body["error"]["code"] == "forbidden", f"API.md does not allow {where}"
    _conforms_to_openapi(entry, reply)


def _conforms_to_openapi(entry: Entry, reply: Reply) -> None:
    """The answer (real data, success or 403) is documented in docs/openapi.json: status and body."""
    from jsonschema import Draft202012Validator

    from local.openapi import OPENAPI_FILE

    document = _openapi(str(OPENAPI_FILE))
    operation = document["paths"].get(entry.path, {}).get(entry.method.lower())
    assert operation, f"{entry.method} {entry.path} is not in docs/openapi.json: run `make openapi`"
    response = operation["responses"].get(str(reply.status))
    assert response, f"{entry.method} {entry.path} answered {reply.status}, which docs/openapi.json does not document ({sorted(operation['responses'])})"
    if "$ref" in response:
        response = document["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
    schema = (response.get("content") or {}).get("application/json", {}).get("schema")
    if schema is not None and reply.body is not None:
        errors = sorted(Draft202012Validator({**schema, "components": document["components"]}).iter_errors(reply.body), key=str)
        assert not errors, f"{entry.method} {entry.path} {reply.status}: the body breaks its documented schema: {errors[0].message} at {list(errors[0].absolute_path)}"


@functools.cache
def _openapi(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_the_checks_themselves_see_organization_b(api: Api, orgs: tuple[Org, Org], b_world: dict[str, str]):
    """Positive control: B's own admin reading B's contact is 200, and the leak check flags it."""
    _, b = orgs
    assert _snapshot(b.id), "the snapshot finds organization B's items"
    contact_id = b_world.get("GET /api/contacts/{id}", "")
    if not contact_id or contact_id.startswith("skip:"):
        pytest.skip("no contact in organization B")
    reply = api.call("GET", f"/api/contacts/{contact_id}", b.person("admin"))
    assert reply.status == 200 and _leaks(reply, b)


# ---------------------------------------------------------------- ids of organization B inside a body
@dataclass(frozen=True)
class Reference:
    """A body that names organization B's ids (a contact, a task, users), sent by A's admin."""

    method: str
    path: str
    body: Callable[[Org, Org], Any]  # (a, b) -> body naming B's ids
    make: Make | None = None  # A's resource for the path's {id}
    rejected_per_item: bool = False  # a batch answers per item: every item must be rejected

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


REFERENCES = [
    Reference("POST", "/api/activities", lambda a, b: {"activity_date": "2026-01-20", "activity_type": "meeting", "contact_id": b.contact(b.person("member"))}),
    Reference("PATCH", "/api/activities/{id}", lambda a, b: {"contact_id": b.contact(b.person("member"))}, make=lambda org, who: org.activity(who)),
    Reference("POST", "/api/activities", lambda a, b: {"activity_date": "2026-01-21", "activity_type": "meeting", "user_id": b.person("member").sub}),
    Reference("POST", "/api/activities/bulk", lambda a, b: {"user_ids": [b.person("member").sub], "activity": {"activity_date": "2026-01-22", "activity_type": "meeting"}}, rejected_per_item=True),
    Reference("POST", "/api/classes/{id}/tasks", lambda a, b: {"task_id": b.task()}, make=lambda org, who: org.klass(who)),
]


@pytest.mark.parametrize("ref", REFERENCES, ids=[f"{r.key} ({i})" for i, r in enumerate(REFERENCES)])
def test_a_body_naming_another_organizations_ids_is_refused(api: Api, stack: Stack, orgs: tuple[Org, Org], ref: Reference):
    if not any(route.method == ref.method and route.path == ref.path for route, _ in stack.routes()):
        pytest.skip(f"{ref.key} is not in template.yaml yet")
    a, b = orgs
    admin = a.person("admin")
    body = ref.body(a, b)
    path = re.sub(r"\{[^}]+\}", ref.make(a, admin) if ref.make else "", ref.path)
    before = _snapshot(b.id)
    reply = api.call(ref.method, path, admin, body)
    if ref.rejected_per_item and 200 <= reply.status < 300:
        outcomes = [result.get("outcome") for result in reply.body["results"]]
        assert outcomes and set(outcomes) == {"rejected"}, f"{ref.key} accepted organization B's ids: {reply.body}"
    else:
        assert reply.status in (400, 404), f"{ref.key} with organization B's ids answered {reply.status} {reply.body}"
    assert _snapshot(b.id) == before


def test_a_claim_that_would_address_another_partition_is_401(api: Api, org_id: str):
    """Keys join ids with `#`: the organization `o#USER#u` lists its activities from GSI2
    `ORG#o#USER#u#ACT`, which is user u's own activity partition (GSI1) of organization o."""
    victim = make_user(api, org_id)
    assert api.call("POST", "/api/activities", victim, {"activity_date": "2026-01-05", "activity_type": "meeting"}).status == 201
    intruder = Person(f"{org_id}#USER#{victim.sub}", "admin@tests.example", str(uuid.uuid4()))  # admin of "their" organization
    reply = api.call("GET", "/api/activities", intruder)
    assert (reply.status, reply.error["code"]) == (401, "unauthorized"), reply
