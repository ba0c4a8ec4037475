"""/api/organization: defaults, admin-only changes, validation and tenant scope."""

from __future__ import annotations

import pytest

from tests.helpers import Api, Person, make_user

DEFAULT_MAP = {"home_visit": "outreach", "meeting": "outreach", "group_activity": "group", "course": "peer_course", "phone_call": None, "other": None}


def make_admin(api: Api, org_id: str) -> Person:
    return make_user(api, org_id, "admin")


def test_get_returns_the_defaults(api: Api, org_id: str):
    body = api.call("GET", "/api/organization", Person.new(org_id)).body
    assert body == {"id": org_id, "name": org_id, "timezone": "Europe/Oslo", "is_test_organization": False, "activity_type_categories": DEFAULT_MAP, "retention": {"free_text_years": None}, "calendar_activity_types": {}}


def test_admin_patches_and_categories_merge(api: Api, org_id: str):
    admin = make_admin(api, org_id)
    reply = api.call("PATCH", "/api/organization", admin, {"name": "Meander Bergen", "timezone": "America/New_York", "is_test_organization": True, "activity_type_categories": {"phone_call": "outreach"}})
    assert reply.status == 200
    assert reply.body["name"] == "Meander Bergen" and reply.body["timezone"] == "America/New_York" and reply.body["is_test_organization"] is True
    assert reply.body["activity_type_categories"] == {**DEFAULT_MAP, "phone_call": "outreach"}
    assert api.call("GET", "/api/organization", Person.new(org_id)).body == reply.body


@pytest.mark.parametrize("role", ["member", "moderator", "coordinator"])
def test_only_admins_patch(api: Api, org_id: str, role: str):
    who = make_user(api, org_id, role)
    reply = api.call("PATCH", "/api/organization", who, {"name": "Mine now"})
    assert (reply.status, reply.error["code"]) == (403, "forbidden")
    assert api.call("GET", "/api/organization", who).body["name"] == org_id


@pytest.mark.parametrize(
    ("body", "rule"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone_valid_iana"),
        ({"timezone": "../../etc/passwd"}, "timezone_valid_iana"),
        ({"name": ""}, "string_too_short"),
        ({"name": None}, "string_type"),
        ({"is_test_organization": "yes"}, "bool_type"),
        ({"activity_type_categories": {"home_visit": "party"}}, "must_be_one_of"),
        ({"activity_type_categories": {"skydiving": "group"}}, "must_be_one_of"),
        ({"id": "other"}, "server_owned_field"),
    ],
)
def test_patch_validation(api: Api, org_id: str, body, rule):
    reply = api.call("PATCH", "/api/organization", make_admin(api, org_id), body)
    assert reply.status == 400 and rule in reply.rules


def test_an_admin_changes_only_their_own_organization(api: Api, org_id: str):
    other = f"{org_id}-other"
    api.call("GET", "/api/organization", Person.new(other))
    api.call("PATCH", "/api/organization", make_admin(api, org_id), {"name": "A"})
    assert api.call("GET", "/api/organization", Person.new(other)).body["name"] == other


def test_if_match_guards_organization_changes_atomically(api: Api, org_id: str):
    admin = make_admin(api, org_id)
    read = api.call("GET", "/api/organization", admin)
    tag = read.headers["etag"]
    changed = api.call("PATCH", "/api/organization", admin, {"name": "First"}, headers={"If-Match": tag})
    assert changed.status == 200 and changed.headers["etag"] != tag
    stale = api.call("PATCH", "/api/organization", admin, {"activity_type_categories": {"other": "outreach"}}, headers={"If-Match": tag})
    assert stale.status == 412 and stale.rules == ["precondition_failed"]
    assert api.call("PATCH", "/api/organization", admin, {}, headers={"If-Match": tag}).status == 412  # an empty change checks too
    assert api.call("GET", "/api/organization", admin).body["activity_type_categories"] == DEFAULT_MAP
    assert api.call("PATCH", "/api/organization", admin, {"name": "Second"}, headers={"If-Match": changed.headers["etag"]}).status == 200
    assert api.call("PATCH", "/api/organization", admin, {"name": "Third"}).status == 200  # without If-Match: unconditional


def test_an_organization_written_before_versions_has_etag_v0(api: Api, org_id: str):
    from activity_tracker.repository import organizations

    admin = make_admin(api, org_id)
    organizations.get(org_id).update(actions=[organizations.OrganizationItem.version.remove()])
    assert api.call("GET", "/api/organization", admin).headers["etag"] == '"v0"'
    changed = api.call("PATCH", "/api/organization", admin, {"name": "x"}, headers={"If-Match": '"v0"'})
    assert changed.status == 200 and changed.headers["etag"] == '"v1"'
    assert api.call("PATCH", "/api/organization", admin, {"name": "y"}, headers={"If-Match": '"v0"'}).status == 412
