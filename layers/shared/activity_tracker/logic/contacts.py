"""`/api/contacts`: any role creates and reads the organization's contacts; the creator or a
coordinator/admin edits and soft-deletes one (docs/decisions.md, Contacts)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.api import Request, Response
from activity_tracker.clock import new_id, now_iso
from activity_tracker.conditional import check_unchanged, etag, precondition_failed, required_versions, version_of, with_etag
from activity_tracker.dto import contact_dto
from activity_tracker.errors import Conflict, Forbidden, NotFound, ValidationFailed
from activity_tracker.pagination import collect, cursor_key, decode_cursor
from activity_tracker.repository import contacts as repo

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.contact import ContactCreate, ContactListQuery, ContactPatch


def create_contact(request: Request, user: Any) -> Response:
    item = new_contact(request.caller.org_id, user, request.body, new_id())
    return with_etag(contact_dto(item), item, status=201)


def new_contact(org_id: str, user: Any, body: ContactCreate, contact_id: str) -> Any:
    """Create a contact with `contact_id` (a device's id on offline push); PutError if it exists."""
    _check_name(body.name)
    moment = now_iso()
    return repo.create(
        {"id": contact_id, "organization_id": org_id, "name": body.name.strip(), "notes": body.notes,
         "created_by_user_id": user.id, "created_at": moment, "updated_at": moment, "updated_by": user.id}
    )  # fmt: skip


def _check_name(name: str) -> None:
    if not name.strip():
        raise ValidationFailed("The request is not valid.", [{"field": "name", "rule": "string_too_short", "message": "name must not be blank"}])


def list_contacts(request: Request, user: Any) -> dict[str, Any]:
    query: ContactListQuery = request.params
    org_id = request.caller.org_id
    start = decode_cursor(query.cursor, ("pk", "sk", "gsi2pk", "gsi2sk"), ("gsi2pk", keys.contacts_of_org(org_id)))
    items, cursor = collect(repo.query(org_id, query.limit, start), query.limit, lambda it: cursor_key(it, "gsi2"))
    return {"items": [contact_dto(item) for item in items], "next_cursor": cursor}


def _load(request: Request, *, consistent: bool = False) -> repo.ContactItem:
    """The live contact the path names (a soft-deleted one is 404, as for lists)."""
    item = repo.get(request.caller.org_id, request.path["id"], consistent=consistent)
    if item is None or item.deleted_at:
        raise NotFound("contact")
    return item


def get_contact(request: Request, user: Any) -> Response:
    item = _load(request)
    return with_etag(contact_dto(item), item)


def may_change(user: Any, item: Any) -> bool:
    """Who edits or deletes a contact: whoever created it, or a coordinator/admin."""
    from activity_tracker.vocabulary import REVIEWER_ROLES

    return user.role in REVIEWER_ROLES or item.created_by_user_id == user.id


def _check_may_change(user: Any, item: Any, doing: str) -> None:
    if not may_change(user, item):
        raise Forbidden(f"Only whoever created a contact, or a coordinator or admin, may {doing} it.")


def _version_conflict(item: Any) -> Conflict:
    return Conflict(
        "The contact changed since you read it.",
        [{"field": "version", "rule": "version_conflict", "message": f"current version is {version_of(item)}"}],
        code="version_conflict",
    )


def patch_contact(request: Request, user: Any) -> Response:
    versions = required_versions(request, "contact")
    item = edit_contact(user, _load(request, consistent=True), request.body, if_match=versions)
    return with_etag(contact_dto(item), item)


def edit_contact(user: Any, item: repo.ContactItem, patch: ContactPatch, *, if_match: frozenset[int] | None = None) -> repo.ContactItem:
    """Apply `patch` to a loaded live contact under PATCH's rules (also offline sync's push). The
    write is conditioned on the `If-Match` versions (412), else on the body's `version` (409)."""
    _check_may_change(user, item, "edit")
    if patch.version is not None and patch.version != version_of(item):
        raise _version_conflict(item)
    changes = {name: getattr(patch, name) for name in patch.model_fields_set - {"version"}}
    if "name" in changes:
        _check_name(changes["name"])
        changes["name"] = changes["name"].strip()
    if not changes:
        check_unchanged(item, if_match, "contact")
        return item
    return _write(user, item, changes, if_match, patch.version, delete=False)


def _write(user: Any, item: repo.ContactItem, changes: dict[str, Any], if_match: frozenset[int] | None, version: int | None, *, delete: bool) -> repo.ContactItem:
    """One conditional UpdateItem; a refused condition is read back to say why (404, 412 or 409)."""
    expected = if_match if if_match is not None else (frozenset({version}) if version is not None else None)
    try:
        return repo.update(item, changes, actor=user.id, expected_versions=expected, delete=delete)
    except repo.ContactChanged:
        current = repo.get(item.organization_id, item.id, consistent=True)
        if current is None or current.deleted_at:
            raise NotFound("contact") from None
        if if_match is not None:
            raise precondition_failed("contact", etag(current)) from None
        raise _version_conflict(current) from None


def delete_contact(request: Request, user: Any) -> Response:
    versions = required_versions(request, "contact")
    remove_contact(user, _load(request, consistent=True), if_match=versions)
    return Response(204)


def remove_contact(user: Any, item: repo.ContactItem, *, if_match: frozenset[int] | None = None, version: int | None = None) -> None:
    """Soft-delete a loaded live contact under DELETE's rules (also offline sync's push): it leaves
    the lists, devices pull its id in `contacts.deleted`, new activities may no longer name it."""
    _check_may_change(user, item, "delete")
    _write(user, item, {}, if_match, version, delete=True)
