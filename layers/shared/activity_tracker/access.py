"""Access control: the current user (created on first sign-in), tenant scope and roles."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from activity_tracker.errors import Forbidden, Unauthorized
from activity_tracker.settings import get_settings

if TYPE_CHECKING:
    from activity_tracker.api import Caller
    from activity_tracker.repository.users import UserItem

FIRST_SIGN_IN_ATTEMPTS = 3


def current_user(caller: Caller) -> UserItem:
    """The caller's user record, created on their first authenticated request.

    One GetItem on the hot path. On first sign-in, the user, its email guard and (when new) the
    organization are written in one transaction. Inactive users get 403 on every route.
    """
    from activity_tracker.repository import organizations, users

    user = users.get(caller.org_id, caller.user_id)
    attempts = 0
    while user is None and attempts < FIRST_SIGN_IN_ATTEMPTS:
        attempts += 1
        if not caller.email:
            raise Unauthorized("The token lacks the email claim needed to sign in.")
        role = "admin" if caller.email in get_settings().admin_emails else "member"
        candidate = users.new_user(caller.org_id, caller.user_id, caller.email, role, caller.campus_id)
        try:
            users.create_with_email_guard(candidate, create_organization=organizations.get(caller.org_id, consistent=True) is None)
            user = candidate
        except users.UserExists:  # a concurrent first request created it: read it back consistently
            user = users.get(caller.org_id, caller.user_id, consistent=True)
        except users.OrganizationExists:
            continue
    if user is None:
        raise Forbidden("Your account could not be set up; try again.")
    if not user.active:
        raise Forbidden("Your account is deactivated.")
    return user


def require_role(user: UserItem, roles: Iterable[str], doing: str) -> None:
    if user.role not in set(roles):
        raise Forbidden(f"Your role ({user.role}) may not {doing}.")
