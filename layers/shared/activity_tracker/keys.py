"""Every key format of the single table, in one place (see docs/data-model.md).

Keys join ids with `#`, so an id that reaches a key must never hold one: every id from a token's
claims, a path, a query or a body is made of `SAFE_ID` characters (API.md), checked where it is
read (`api.py` for claims and paths, `models.base.Id` for queries and bodies).
"""

from __future__ import annotations

import re

SAFE_ID_MAX_BYTES = 128
SAFE_ID = re.compile(rf"[A-Za-z0-9._@-]{{1,{SAFE_ID_MAX_BYTES}}}")  # ASCII only: characters are bytes
SAFE_ID_RULE = "letters, digits, '-', '_', '.' or '@', at most 128"


def is_safe_id(value: object) -> bool:
    """Whether `value` may go into a key: it cannot hold `#` or address another partition."""
    return isinstance(value, str) and SAFE_ID.fullmatch(value) is not None


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


ORG_SK = "ORG"


def user_pk(org_id: str, user_id: str) -> str:
    return f"ORG#{org_id}#USER#{user_id}"


PROFILE_SK = "PROFILE"


def users_of_org(org_id: str) -> str:
    return f"ORG#{org_id}#USERS"


def email_guard(org_id: str, email: str) -> str:
    """An email is unique within an organization: the guard names the user holding it there."""
    return f"ORG#{org_id}#EMAIL#{email.lower()}"


EMAIL_SK = "EMAIL"


def progress_sk(progress_type: str, item_id: str) -> str:
    return f"PROGRESS#{progress_type}#{item_id}"


def progress_by_created(progress_type: str, created_at: str, progress_id: str) -> str:
    return f"PROGRESS#{progress_type}#{created_at}#{progress_id}"


def progress_prefix(progress_type: str) -> str:
    return f"PROGRESS#{progress_type}#"


# --- activities (issue 4); the consumer (issue 5) and exports (issue 7) read the same items
def activity_pk(org_id: str, activity_id: str) -> str:
    return f"ORG#{org_id}#ACT#{activity_id}"


ACTIVITY_SK = "ACT"


def activities_of_user(org_id: str, user_id: str) -> str:
    """GSI1 partition: a user's activities, sorted by `activity_date#id`."""
    return f"ORG#{org_id}#USER#{user_id}#ACT"


def activities_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's activities, sorted by `activity_date#id`."""
    return f"ORG#{org_id}#ACT"


def activities_of_contact(org_id: str, contact_id: str) -> str:
    """GSI3 partition: a contact's activities, sorted by `activity_date#id`."""
    return f"ORG#{org_id}#CONTACT#{contact_id}#ACT"


def activities_by_status(org_id: str, status: str) -> str:
    """GSI4 partition: the organization's activities in one review status, by `activity_date#id`."""
    return f"ORG#{org_id}#STATUS#{status}"


def deleted_activities_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's soft-deleted activities, by `activity_date#id`. A deleted
    activity leaves GSI1, GSI3 and GSI4 (they hold live activities only) and moves here."""
    return f"ORG#{org_id}#ACT#DELETED"


def activity_by_date(activity_date: str, activity_id: str) -> str:
    return f"{activity_date}#{activity_id}"


def local_id_guard(org_id: str, local_id: str) -> str:
    return f"ORG#{org_id}#LOCAL#{local_id}"


LOCAL_ID_SK = "LOCAL"


def duplicate_guard(org_id: str, user_id: str, contact_id: str, activity_type: str, local_date: str) -> str:
    """One live activity per (user, contact, type, local day): API.md's hard duplicate."""
    return f"ORG#{org_id}#DUP#{user_id}#{contact_id}#{activity_type}#{local_date}"


DUPLICATE_SK = "DUP"


def report_sk(report_id: str) -> str:
    return f"REPORT#{report_id}"


# --- contacts (issue 4)
def contact_pk(org_id: str, contact_id: str) -> str:
    return f"ORG#{org_id}#CONTACT#{contact_id}"


CONTACT_SK = "CONTACT"


def contacts_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's contacts, sorted by `contact_by_name`."""
    return f"ORG#{org_id}#CONTACTS"


def contact_by_name(name: str, contact_id: str) -> str:
    """GSI2 sort key `case-folded name#id`. Case folding can triple a name's bytes (`ΐ` folds to
    three code points), so the name part is cut to fit DynamoDB's 1,024-byte sort key: names
    that share their first ~980 bytes sort by id."""
    from activity_tracker.limits import SORT_KEY_MAX_BYTES, truncate_utf8

    suffix = f"#{contact_id}"
    return truncate_utf8(name.casefold(), SORT_KEY_MAX_BYTES - len(suffix.encode())) + suffix


# --- learning platform (issue 6)
def task_pk(org_id: str, task_id: str) -> str:
    return f"ORG#{org_id}#TASK#{task_id}"


TASK_SK = "TASK"


def tasks_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's tasks, by `created_at#id`."""
    return f"ORG#{org_id}#TASKS"


def class_pk(org_id: str, class_id: str) -> str:
    return f"ORG#{org_id}#CLASS#{class_id}"


CLASS_SK = "CLASS"


def classes_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's classes, by `scheduled_at#id`."""
    return f"ORG#{org_id}#CLASSES"


def user_activity_sk(class_id: str, user_activity_id: str) -> str:
    """In the user's partition `ORG#o#USER#u`: their user activities, grouped by class (the stream
    consumer's contract: `UA#<class_id>#<id>`)."""
    return f"UA#{class_id}#{user_activity_id}"


def user_activities_of_class(class_id: str) -> str:
    """Key prefix of a user's activities in one class."""
    return f"UA#{class_id}#"


USER_ACTIVITIES_PREFIX = "UA#"


def user_activity_by_id(user_activity_id: str) -> str:
    """LSI1 sort key of a user activity: finds it by id alone, strongly consistent, in its user's partition."""
    return f"UAID#{user_activity_id}"


# --- offline sync: the change index GSI5 (`gsi5pk` partition, `gsi5sk` = change time#id; docs/data-model.md)
def changes_of_user(org_id: str, user_id: str) -> str:
    """GSI5 partition: changes of a user's own records (activities, progress rows, their tombstones)."""
    return f"ORG#{org_id}#USER#{user_id}#CHANGES"


def changes_of_org(org_id: str) -> str:
    """GSI5 partition: changes of the organization's shared records (contacts)."""
    return f"ORG#{org_id}#CHANGES"


def change_sk(moment: str, record_id: str) -> str:
    """GSI5 sort key: when the write stamped the change (ISO 8601 UTC, ms) and the record."""
    return f"{moment}#{record_id}"


def tombstone_sk(table: str, record_id: str) -> str:
    """A deleted record's tombstone, in its owner's partition, for devices that still hold it."""
    return f"TOMBSTONE#{table}#{record_id}"


# --- Bufdir exports (issue 7)
def export_pk(org_id: str, export_id: str) -> str:
    return f"ORG#{org_id}#EXPORT#{export_id}"


EXPORT_SK = "EXPORT"


def exports_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's exports, by `created_at#id`."""
    return f"ORG#{org_id}#EXPORTS"


ALL_ORGANIZATIONS = "ORGS"  # GSI2 partition of every organization (the scheduled export walks it)


UNFINISHED_EXPORTS = "EXPORTS#UNFINISHED"  # GSI4 partition (sparse): every pending or running export, by `queued_at#id` (the sweep reads it)


def export_limits_pk(org_id: str) -> str:
    """The organization's export limits: `EXPORT_SLOT_SK` (which export holds its one place) and a
    request counter per UTC day (`export_quota_sk`)."""
    return f"ORG#{org_id}#EXPORTLIMITS"


EXPORT_SLOT_SK = "SLOT"


def export_quota_sk(day: str) -> str:
    return f"DAY#{day}"


# --- audit trail (written by the stream consumer, docs/data-model.md)
def audit_pk(org_id: str, month: str) -> str:
    """The organization's audit entries of one UTC month (`YYYY-MM`), by `audit_sk`: a month per
    partition keeps each item collection far below the 10 GB an LSI allows."""
    return f"ORG#{org_id}#AUDIT#{month}"


def audit_prefix(org_id: str) -> str:
    return f"ORG#{org_id}#AUDIT#"


def audit_sk(moment: str, event_id: str) -> str:
    return f"{moment}#{event_id}"


HISTORY_PREFIX = "AUDIT#"  # an activity's own audit entries, beside it: `ORG#o#ACT#id / AUDIT#<moment>#<event id>`


def history_sk(moment: str, event_id: str) -> str:
    return f"{HISTORY_PREFIX}{moment}#{event_id}"


# --- privacy: personal-data exports, erasures, retention runs (docs/data-model.md, Privacy)
def data_export_pk(org_id: str, export_id: str) -> str:
    return f"ORG#{org_id}#DATAEXPORT#{export_id}"


DATA_EXPORT_SK = "DATAEXPORT"


def data_exports_of_user(org_id: str, user_id: str) -> str:
    """GSI1 partition: the personal-data exports about one user, by `created_at#id`."""
    return f"ORG#{org_id}#USER#{user_id}#DATAEXPORTS"


def erasure_pk(org_id: str, erasure_id: str) -> str:
    return f"ORG#{org_id}#ERASURE#{erasure_id}"


ERASURE_SK = "ERASURE"


def erasures_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's erasure records, by `created_at#id`."""
    return f"ORG#{org_id}#ERASURES"


def retention_run_pk(org_id: str, day: str) -> str:
    """One retention run per organization and UTC day: a rerun of the schedule continues it."""
    return f"ORG#{org_id}#RETENTION#{day}"


RETENTION_RUN_SK = "RETENTION"


# --- calendars: import guards and the subscribable feed
def calendar_event_guard(org_id: str, user_id: str, digest: str) -> str:
    """One imported event occurrence per user: `digest` is calendars.event_digest(UID, RECURRENCE-ID)."""
    return f"ORG#{org_id}#USER#{user_id}#CALEVENT#{digest}"


CALENDAR_EVENT_SK = "CALEVENT"
CALENDAR_FEED_SK = "CALFEED"  # in the user's partition (user_pk): the hash of their current feed token


def calendar_feed_token(token_hash: str) -> str:
    """A feed token's lookup item (by the SHA-256 of the token: the token itself is never stored).
    Outside every organization's partition: the feed URL carries no organization."""
    return f"CALFEED#{token_hash}"
