"""/api/contacts: any role creates and reads; tenant isolation; cursor pagination."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from tests.helpers import Api, Person, make_user


def test_create_get_and_list_contacts(api: Api, org_id: str):
    member = make_user(api, org_id)
    created = api.call("POST", "/api/contacts", member, {"name": " Kari Nordmann ", "notes": "prefers mornings"})
    assert created.status == 201
    assert created.body["name"] == "Kari Nordmann" and created.body["organization_id"] == org_id and created.body["created_by_user_id"] == member.sub
    assert api.call("GET", f"/api/contacts/{created.body['id']}", make_user(api, org_id, "coordinator")).body == created.body


def test_a_name_that_grows_when_case_folded_fits_the_sort_key(api: Api, org_id: str):
    """200 characters fit the limit, but `ΐ` folds to three code points (6 bytes): the name's
    sort key would be 1,237 bytes, over DynamoDB's 1,024."""
    who = make_user(api, org_id)
    long_names = ["\u0390" * 200, "\u0390" * 199 + "a", "\ufb03" * 200]
    for name in [*long_names, "Alfa"]:
        assert api.call("POST", "/api/contacts", who, {"name": name}).status == 201
    listed = [c["name"] for c in api.call("GET", "/api/contacts", who).body["items"]]
    assert listed[0] == "Alfa" and sorted(listed[1:]) == sorted(long_names)


def test_a_cursor_with_a_key_over_dynamodbs_size_is_400(api: Api, org_id: str):
    import base64
    import json

    who = make_user(api, org_id)
    forged = {"pk": "x", "sk": "CONTACT", "gsi2pk": f"ORG#{org_id}#CONTACTS", "gsi2sk": "a" * 1025}
    cursor = base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
    assert api.call("GET", f"/api/contacts?cursor={cursor}", who).rules == ["cursor_invalid"]


def test_list_is_by_name_with_a_cursor(api: Api, org_id: str):
    who = make_user(api, org_id)
    for name in ["bravo", "Alfa", "charlie"]:
        api.call("POST", "/api/contacts", who, {"name": name})
    first = api.call("GET", "/api/contacts?limit=2", who).body
    assert [c["name"] for c in first["items"]] == ["Alfa", "bravo"] and first["next_cursor"]
    second = api.call("GET", f"/api/contacts?limit=2&cursor={first['next_cursor']}", who).body
    assert [c["name"] for c in second["items"]] == ["charlie"] and second["next_cursor"] is None


def test_contacts_are_tenant_scoped(api: Api, org_id: str):
    theirs = api.call("POST", "/api/contacts", make_user(api, org_id + "-b"), {"name": "Secret"}).body
    outsider = make_user(api, org_id)
    assert api.call("GET", f"/api/contacts/{theirs['id']}", outsider).status == 404
    assert api.call("GET", "/api/contacts", outsider).body == {"items": [], "next_cursor": None}


def test_a_cursor_from_another_organization_is_refused(api: Api, org_id: str):
    other = make_user(api, org_id + "-b")
    for name in ["a", "b"]:
        api.call("POST", "/api/contacts", other, {"name": name})
    cursor = api.call("GET", "/api/contacts?limit=1", other).body["next_cursor"]
    reply = api.call("GET", f"/api/contacts?cursor={cursor}", make_user(api, org_id))
    assert reply.status == 400 and reply.rules == ["cursor_invalid"]
    assert api.call("GET", "/api/contacts?cursor=%%%garbage", Person.new(org_id)).rules == ["cursor_invalid"]


def test_contact_validation(api: Api, org_id: str):
    who = make_user(api, org_id)
    assert api.call("POST", "/api/contacts", who, {"name": "   "}).rules == ["string_too_short"]
    assert api.call("POST", "/api/contacts", who, {}).rules == ["required"]
    assert api.call("POST", "/api/contacts", who, {"name": "x", "id": "mine"}).rules == ["server_owned_field"]


# ---------------------------------------------------------------- edit and soft delete
def test_the_creator_or_a_coordinator_edits_a_contact_and_others_may_not(api: Api, org_id: str):
    author, other, coordinator = make_user(api, org_id), make_user(api, org_id), make_user(api, org_id, "coordinator")
    made = api.call("POST", "/api/contacts", author, {"name": "Kari"})
    assert made.headers["etag"] == '"v1"' and made.body["version"] == 1
    edited = api.call("PATCH", f"/api/contacts/{made.body['id']}", author, {"name": " Kari N ", "notes": "mornings"})
    assert edited.status == 200 and edited.body["name"] == "Kari N" and edited.body["notes"] == "mornings"
    assert edited.body["version"] == 2 and edited.headers["etag"] == '"v2"' and edited.body["updated_at"] >= made.body["updated_at"]
    assert api.call("PATCH", f"/api/contacts/{made.body['id']}", other, {"name": "x"}).status == 403
    assert api.call("DELETE", f"/api/contacts/{made.body['id']}", other).status == 403
    by_coordinator = api.call("PATCH", f"/api/contacts/{made.body['id']}", coordinator, {"notes": None})
    assert by_coordinator.status == 200 and by_coordinator.body["notes"] is None and by_coordinator.body["name"] == "Kari N"
    assert [c["name"] for c in api.call("GET", "/api/contacts", other).body["items"]] == ["Kari N"]  # listed by its new name


def test_contact_patch_validation(api: Api, org_id: str):
    who = make_user(api, org_id)
    contact = api.call("POST", "/api/contacts", who, {"name": "Kari"}).body
    path = f"/api/contacts/{contact['id']}"
    assert api.call("PATCH", path, who, {"name": "  "}).rules == ["string_too_short"]
    assert api.call("PATCH", path, who, {"name": None}).rules == ["string_type"]
    assert api.call("PATCH", path, who, {"created_by_user_id": "me"}).rules == ["server_owned_field"]
    assert api.call("PATCH", path, who, {"version": 7, "name": "b"}).rules == ["version_conflict"]
    assert api.call("PATCH", "/api/contacts/nope", who, {"name": "b"}).status == 404
    assert api.call("GET", path, who).body == contact  # nothing written


def test_a_deleted_contact_leaves_lists_and_reads_and_takes_no_new_activity(api: Api, org_id: str):
    author, coordinator = make_user(api, org_id), make_user(api, org_id, "coordinator")
    gone = api.call("POST", "/api/contacts", author, {"name": "Gone"}).body
    kept = api.call("POST", "/api/contacts", author, {"name": "Kept"}).body
    assert api.call("DELETE", f"/api/contacts/{gone['id']}", coordinator).status == 204
    assert api.call("GET", f"/api/contacts/{gone['id']}", author).status == 404
    assert [c["id"] for c in api.call("GET", "/api/contacts", author).body["items"]] == [kept["id"]]
    assert api.call("DELETE", f"/api/contacts/{gone['id']}", author).status == 404  # once
    assert api.call("PATCH", f"/api/contacts/{gone['id']}", author, {"name": "back"}).status == 404
    activity = {"activity_date": "2026-01-05T10:00:00Z", "activity_type": "meeting", "contact_id": gone["id"]}
    refused = api.call("POST", "/api/activities", author, activity)
    assert refused.status == 400 and refused.rules == ["contact_not_deleted"]
    made = api.call("POST", "/api/activities", author, {**activity, "contact_id": kept["id"]}).body
    moved = api.call("PATCH", f"/api/activities/{made['id']}", author, {"contact_id": gone["id"]})
    assert moved.status == 400 and moved.rules == ["contact_not_deleted"]


def test_if_match_guards_contact_patch_and_delete(api: Api, org_id: str):
    who = make_user(api, org_id)
    contact = api.call("POST", "/api/contacts", who, {"name": "Kari"}).body
    path = f"/api/contacts/{contact['id']}"
    read = api.call("GET", path, who)
    assert read.headers["etag"] == '"v1"'
    assert api.call("PATCH", path, who, {"name": "a"}, headers={"If-Match": '"v1"'}).headers["etag"] == '"v2"'
    stale = api.call("PATCH", path, who, {"name": "b"}, headers={"If-Match": '"v1"'})
    assert stale.status == 412 and stale.error["code"] == "precondition_failed" and stale.rules == ["precondition_failed"]
    assert api.call("DELETE", path, who, headers={"If-Match": '"v1"'}).status == 412
    assert api.call("GET", path, who).body["name"] == "a"
    assert api.call("DELETE", path, who, headers={"If-Match": 'W/"v2"'}).status == 204


def test_a_conditional_contact_write_is_atomic(api: Api, org_id: str):
    """If-Match's version is a condition of the UpdateItem itself, not compared with a read: a write
    that lands after the contact was read still makes a stale If-Match 412, and nothing changes."""
    from activity_tracker.errors import PreconditionFailed
    from activity_tracker.logic.contacts import edit_contact
    from activity_tracker.models.contact import ContactPatch
    from activity_tracker.repository import contacts as repo

    who = make_user(api, org_id)
    contact = api.call("POST", "/api/contacts", who, {"name": "Kari"}).body
    read = repo.get(org_id, contact["id"])
    assert read is not None
    assert api.call("PATCH", f"/api/contacts/{contact['id']}", who, {"name": "Someone else"}).status == 200  # lands after `read`
    user = SimpleNamespace(id=who.sub, role="member")
    with pytest.raises(PreconditionFailed):
        edit_contact(user, read, ContactPatch(name="Mine"), if_match=frozenset({1}))
    assert api.call("GET", f"/api/contacts/{contact['id']}", who).body["name"] == "Someone else"
    assert api.call("PATCH", f"/api/contacts/{contact['id']}", who, {"name": "x"}, headers={"If-Match": '"bogus"'}).status == 412
    assert api.call("PATCH", f"/api/contacts/{contact['id']}", who, {"name": "Mine"}, headers={"If-Match": '"v1", "v2"'}).body["version"] == 3
    assert api.call("DELETE", f"/api/contacts/{contact['id']}", who, headers={"If-Match": "*"}).status == 204
