"""Activities (seed: Meander Activity): `ORG#o#ACT#id / ACT`, type ACTIVITY.

Attributes carry the API field names verbatim, plus the index keys and `local_date`, the
activity's calendar day (YYYY-MM-DD) in the organization's time zone at the time of writing:
the duplicate check, statistics months and exports all use it, so none of them needs the
organization's time zone again. Listings come from indexes (see docs/data-model.md):
GSI1 by user, GSI2 by organization, GSI3 by contact, GSI4 by status, all sorted by
`activity_date#id` (activity_date is ISO 8601 UTC with Z, so the sort is chronological).
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute

from activity_tracker.repository.table import Gsi1, Gsi2, Gsi3, Gsi4, TableItem

ENTITY = "ACTIVITY"


class ActivityItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    registered_by_user_id = UnicodeAttribute()
    activity_date = UnicodeAttribute()  # ISO 8601 UTC with Z
    local_date = UnicodeAttribute()  # YYYY-MM-DD in the organization's time zone
    duration_minutes = NumberAttribute()
    activity_type = UnicodeAttribute()
    summary = UnicodeAttribute(null=True)
    contact_id = UnicodeAttribute(null=True)
    is_group_activity = BooleanAttribute(default=False)
    participant_count = NumberAttribute(null=True)
    is_proxy_registration = BooleanAttribute(default=False)
    is_bulk_registration = BooleanAttribute(default=False)
    status = UnicodeAttribute(default="under_review")
    reviewed_by_user_id = UnicodeAttribute(null=True)
    reviewed_at = UnicodeAttribute(null=True)
    rejection_reason = UnicodeAttribute(null=True)
    duplicate_of_activity_id = UnicodeAttribute(null=True)
    calendar_event_uid = UnicodeAttribute(null=True)
    has_home_visit_report = BooleanAttribute(default=False)
    bufdir_eligible = BooleanAttribute(default=False)
    bufdir_excluded = BooleanAttribute(default=False)
    local_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    deleted_at = UnicodeAttribute(null=True)
    version = NumberAttribute(default=1)

    gsi1pk = UnicodeAttribute()  # keys.activities_of_user
    gsi1sk = UnicodeAttribute()  # keys.activity_by_date
    gsi2pk = UnicodeAttribute()  # keys.activities_of_org
    gsi2sk = UnicodeAttribute()
    gsi3pk = UnicodeAttribute(null=True)  # keys.activities_of_contact, when contact_id is set
    gsi3sk = UnicodeAttribute(null=True)
    gsi4pk = UnicodeAttribute()  # keys.activities_by_status
    gsi4sk = UnicodeAttribute()

    by_user = Gsi1()
    by_organization = Gsi2()
    by_contact = Gsi3()
    by_status = Gsi4()
