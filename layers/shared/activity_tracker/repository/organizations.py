"""Organizations: `ORG#o / ORG`."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.repository.table import Gsi2, TableItem
from activity_tracker.vocabulary import DEFAULT_ACTIVITY_TYPE_CATEGORIES, DEFAULT_TIMEZONE


class OrganizationItem(TableItem):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    timezone = UnicodeAttribute(default=DEFAULT_TIMEZONE)
    is_test_organization = BooleanAttribute(default=False)
    activity_type_categories = JSONAttribute(default=lambda: dict(DEFAULT_ACTIVITY_TYPE_CATEGORIES))
    calendar_activity_types = JSONAttribute(default=dict)  # calendar import: keyword or category -> activity type (logic/calendar_import.py)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)  # keys.ALL_ORGANIZATIONS
    gsi2sk = UnicodeAttribute(null=True)  # the organization id
    every_organization = Gsi2()


def new_organization(org_id: str) -> OrganizationItem:
    """An organization with the defaults of API.md, created with its first user."""
    moment = now_iso()
    return OrganizationItem(
        keys.org_pk(org_id),
        keys.ORG_SK,
        entity="ORGANIZATION",
        id=org_id,
        name=org_id,
        timezone=DEFAULT_TIMEZONE,
        is_test_organization=False,
        activity_type_categories=dict(DEFAULT_ACTIVITY_TYPE_CATEGORIES),
        created_at=moment,
        updated_at=moment,
        gsi2pk=keys.ALL_ORGANIZATIONS,
        gsi2sk=org_id,
    )


def get(org_id: str, *, consistent: bool = False) -> OrganizationItem | None:
    try:
        return OrganizationItem.get(keys.org_pk(org_id), keys.ORG_SK, consistent_read=consistent)
    except DoesNotExist:
        return None


def update(org: OrganizationItem, changes: dict[str, Any]) -> OrganizationItem:
    """Apply `changes` in one UpdateItem; returns the item as stored."""
    actions = [getattr(OrganizationItem, name).set(value) for name, value in changes.items()]
    actions.append(OrganizationItem.updated_at.set(now_iso()))
    org.update(actions=actions, condition=OrganizationItem.pk.exists())
    return org
