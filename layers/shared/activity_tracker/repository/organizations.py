"""Organizations: `ORG#o / ORG`."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.repository.table import Gsi2, TableItem, update_versioned
from activity_tracker.vocabulary import DEFAULT_ACTIVITY_TYPE_CATEGORIES, DEFAULT_TIMEZONE


class OrganizationItem(TableItem):
    id = UnicodeAttribute()
    name = UnicodeAttribute()
    timezone = UnicodeAttribute(default=DEFAULT_TIMEZONE)
    is_test_organization = BooleanAttribute(default=False)
    activity_type_categories = JSONAttribute(default=lambda: dict(DEFAULT_ACTIVITY_TYPE_CATEGORIES))
    retention = JSONAttribute(default=lambda: {"free_text_years": None})  # privacy/retention.py
    calendar_activity_types = JSONAttribute(default=dict)  # calendar import: keyword or category -> activity type (logic/calendar_import.py)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)  # who made the last change (the audit trail's "who")
    version = NumberAttribute(null=True)  # moved by every change through the API (its ETag); absent on older organizations: 0
    gsi2pk = UnicodeAttribute(null=True)  # keys.ALL_ORGANIZATIONS
    gsi2sk = UnicodeAttribute(null=True)  # the organization id
    every_organization = Gsi2()


def new_organization(org_id: str, created_by: str | None = None) -> OrganizationItem:
    """An organization with the defaults of API.md, created with its first user (`created_by`)."""
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
        updated_by=created_by,
        version=1,
        gsi2pk=keys.ALL_ORGANIZATIONS,
        gsi2sk=org_id,
    )


def get(org_id: str, *, consistent: bool = False) -> OrganizationItem | None:
    try:
        return OrganizationItem.get(keys.org_pk(org_id), keys.ORG_SK, consistent_read=consistent)
    except DoesNotExist:
        return None


def update(org: OrganizationItem, changes: dict[str, Any], *, actor: str, expected_versions: frozenset[int] | None = None) -> OrganizationItem:
    """Apply `changes` in one UpdateItem, the version up by one; with `expected_versions`
    conditioned on the organization still being at one of them (atomic If-Match, else
    `VersionChanged`); `actor` stored as `updated_by`. Returns the item as stored."""
    update_versioned(org, changes, actor=actor, expected_versions=expected_versions)
    return org
