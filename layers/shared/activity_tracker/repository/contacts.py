"""Contacts: `ORG#o#CONTACT#c / CONTACT`, listed by name through GSI2 `ORG#o#CONTACTS` / `keys.contact_by_name`.

A soft-deleted contact keeps its item (`deleted_at` set, the tombstone devices pull from the change
index gsi5) and leaves GSI2 (its `gsi2pk`/`gsi2sk` are removed), so lists never see it."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, UpdateError

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.conditional import version_condition
from activity_tracker.pagination import start_key
from activity_tracker.repository.table import Gsi2, TableItem, records


class ContactItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    name = UnicodeAttribute()
    notes = UnicodeAttribute(null=True)
    created_by_user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)  # who made the last change (the audit trail's "who")
    deleted_at = UnicodeAttribute(null=True)
    version = NumberAttribute(null=True)  # absent on contacts written before versions: 0 (activity_tracker.conditional)
    gsi2pk = UnicodeAttribute(null=True)  # removed on soft delete
    gsi2sk = UnicodeAttribute(null=True)
    gsi5pk = UnicodeAttribute(null=True)  # keys.changes_of_org, for offline sync
    gsi5sk = UnicodeAttribute(null=True)
    by_organization = Gsi2()


def create(state: dict[str, Any]) -> ContactItem:
    org_id, contact_id = state["organization_id"], state["id"]
    item = ContactItem(
        keys.contact_pk(org_id, contact_id), keys.CONTACT_SK, entity="CONTACT",
        gsi2pk=keys.contacts_of_org(org_id), gsi2sk=keys.contact_by_name(state["name"], contact_id),
        gsi5pk=keys.changes_of_org(org_id), gsi5sk=keys.change_sk(now_iso(), contact_id), version=1, **state,
    )  # fmt: skip
    item.save(condition=ContactItem.pk.does_not_exist())
    return item


def get(org_id: str, contact_id: str, *, consistent: bool = False) -> ContactItem | None:
    try:
        return ContactItem.get(keys.contact_pk(org_id, contact_id), keys.CONTACT_SK, consistent_read=consistent)
    except DoesNotExist:
        return None


def query(org_id: str, limit: int, start: dict[str, str] | None) -> Iterator[SimpleNamespace]:
    """The organization's contacts by name, as records, `limit` a page."""
    return records(ContactItem.by_organization, keys.contacts_of_org(org_id), page_size=limit, start=start_key(start))


class ContactChanged(Exception):
    """The contact is gone, deleted, or (with an expected version) at another version."""


def update(item: ContactItem, changes: dict[str, Any], *, actor: str, expected_versions: frozenset[int] | None, delete: bool = False) -> ContactItem:
    """One UpdateItem: `changes` (name, notes) or a soft delete, the version up by one, a new change
    time in gsi5. Conditioned on the contact being live and, with `expected_versions`, still at one
    of them (If-Match): atomic, not read-then-write; `actor` stored as `updated_by`. Returns the item as stored."""
    moment = now_iso()
    actions = [getattr(ContactItem, name).set(value) for name, value in changes.items()]
    if "name" in changes and not delete:
        actions.append(ContactItem.gsi2sk.set(keys.contact_by_name(changes["name"], item.id)))
    if delete:
        actions += [ContactItem.deleted_at.set(moment), ContactItem.gsi2pk.remove(), ContactItem.gsi2sk.remove()]
    actions += [
        ContactItem.updated_at.set(moment),
        ContactItem.version.add(1),
        ContactItem.updated_by.set(actor),
        ContactItem.gsi5pk.set(keys.changes_of_org(item.organization_id)),
        ContactItem.gsi5sk.set(keys.change_sk(moment, item.id)),
    ]
    condition = ContactItem.pk.exists() & ContactItem.deleted_at.does_not_exist()
    if expected_versions is not None:
        condition &= version_condition(ContactItem.version, expected_versions)
    try:
        item.update(actions=actions, condition=condition)
    except UpdateError as error:
        if error.cause_response_code == "ConditionalCheckFailedException":
            raise ContactChanged() from None
        raise
    return item
