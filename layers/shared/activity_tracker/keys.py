"""Every key format of the single table, in one place (see docs/data-model.md)."""

from __future__ import annotations


def org_pk(org_id: str) -> str:
    return f"ORG#{org_id}"


ORG_SK = "ORG"


def user_pk(org_id: str, user_id: str) -> str:
    return f"ORG#{org_id}#USER#{user_id}"


PROFILE_SK = "PROFILE"


def users_of_org(org_id: str) -> str:
    return f"ORG#{org_id}#USERS"


def email_pk(email: str) -> str:
    return f"EMAIL#{email.lower()}"


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
    """GSI2 partition: the organization's contacts, sorted by `lower-case name#id`."""
    return f"ORG#{org_id}#CONTACTS"


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


# --- Bufdir exports (issue 7)
def export_pk(org_id: str, export_id: str) -> str:
    return f"ORG#{org_id}#EXPORT#{export_id}"


EXPORT_SK = "EXPORT"


def exports_of_org(org_id: str) -> str:
    """GSI2 partition: the organization's exports, by `created_at#id`."""
    return f"ORG#{org_id}#EXPORTS"


ALL_ORGANIZATIONS = "ORGS"  # GSI2 partition of every organization (the scheduled export walks it)
