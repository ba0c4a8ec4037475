"""`/api/contacts`: any role creates and reads the organization's contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.api import Request, Response
from activity_tracker.clock import new_id, now_iso
from activity_tracker.dto import contact_dto
from activity_tracker.errors import NotFound, ValidationFailed
from activity_tracker.pagination import collect, cursor_key, decode_cursor
from activity_tracker.repository import contacts as repo

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.contact import ContactCreate, ContactListQuery


def create_contact(request: Request, user: Any) -> Response:
    return Response(201, contact_dto(new_contact(request.caller.org_id, user, request.body, new_id())))


def new_contact(org_id: str, user: Any, body: ContactCreate, contact_id: str) -> Any:
    """Create a contact with `contact_id` (a device's id on offline push); PutError if it exists."""
    if not body.name.strip():
        raise ValidationFailed("The request is not valid.", [{"field": "name", "rule": "string_too_short", "message": "name must not be blank"}])
    moment = now_iso()
    return repo.create(
        {"id": contact_id, "organization_id": org_id, "name": body.name.strip(), "notes": body.notes,
         "created_by_user_id": user.id, "created_at": moment, "updated_at": moment, "updated_by": user.id}
    )  # fmt: skip


def list_contacts(request: Request, user: Any) -> dict[str, Any]:
    query: ContactListQuery = request.params
    org_id = request.caller.org_id
    start = decode_cursor(query.cursor, ("pk", "sk", "gsi2pk", "gsi2sk"), ("gsi2pk", keys.contacts_of_org(org_id)))
    items, cursor = collect(repo.query(org_id, query.limit, start), query.limit, lambda it: cursor_key(it, "gsi2"))
    return {"items": [contact_dto(item) for item in items], "next_cursor": cursor}


def get_contact(request: Request, user: Any) -> dict[str, Any]:
    item = repo.get(request.caller.org_id, request.path["id"])
    if item is None:
        raise NotFound("contact")
    return contact_dto(item)
