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
