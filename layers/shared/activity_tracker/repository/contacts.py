"""Contacts: `ORG#o#CONTACT#c / CONTACT`, listed by name through GSI2 `ORG#o#CONTACTS` / `keys.contact_by_name`."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

from pynamodb.attributes import UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from activity_tracker import keys
from activity_tracker.clock import now_iso
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
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    gsi5pk = UnicodeAttribute(null=True)  # keys.changes_of_org, for offline sync
    gsi5sk = UnicodeAttribute(null=True)
    by_organization = Gsi2()


def create(state: dict[str, Any]) -> ContactItem:
    org_id, contact_id = state["organization_id"], state["id"]
    item = ContactItem(
        keys.contact_pk(org_id, contact_id), keys.CONTACT_SK, entity="CONTACT",
        gsi2pk=keys.contacts_of_org(org_id), gsi2sk=keys.contact_by_name(state["name"], contact_id),
        gsi5pk=keys.changes_of_org(org_id), gsi5sk=keys.change_sk(now_iso(), contact_id), **state,
    )  # fmt: skip
    item.save(condition=ContactItem.pk.does_not_exist())
    return item


def get(org_id: str, contact_id: str) -> ContactItem | None:
    try:
        return ContactItem.get(keys.contact_pk(org_id, contact_id), keys.CONTACT_SK)
    except DoesNotExist:
        return None


def query(org_id: str, limit: int, start: dict[str, str] | None) -> Iterator[SimpleNamespace]:
    """The organization's contacts by name, as records, `limit` a page."""
    return records(ContactItem.by_organization, keys.contacts_of_org(org_id), page_size=limit, start=start_key(start))
