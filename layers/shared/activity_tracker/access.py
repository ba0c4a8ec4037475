"""Access control: the current user (created on first sign-in), tenant scope and roles."""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

from activity_tracker.errors import Forbidden, ServiceUnavailable, Unauthorized
from activity_tracker.settings import get_settings

if TYPE_CHECKING:
    from activity_tracker.api import Caller
    from activity_tracker.repository.users import UserItem

FIRST_SIGN_IN_ATTEMPTS = 5
RETRY_PAUSE_SECONDS = 0.05  # doubled on each attempt, with jitter


def current_user(caller: Caller) -> UserItem:
    """The caller's user record, created on their first authenticated request.

    One GetItem on the hot path (two for an account re-linked to an existing profile). Inactive
    users get 403 on every route.
    """
    from activity_tracker.repository import users

    user = users.get(caller.org_id, caller.user_id)
    if user is None:
        user = _first_sign_in(caller)
    if not user.active or user.erased_at:  # an erased profile stays closed, even if set active again
        raise Forbidden("Your account is deactivated.")
    return user


def _first_sign_in(caller: Caller) -> UserItem:
    """Create the caller's user (and the organization, for its first user) in one transaction.

    Needs a verified email (API.md: `email` counts only when `email_verified` is true), which is
    unique within the organization. A new `sub` with the verified email of an existing user of the
    organization is a re-created account: it is linked to that user's profile, which keeps its role
    and history. The app fires its start-up requests in parallel, so a lost race (another request
    created the user, the organization, or the link; a TransactionConflict) is retried.
    """
    from activity_tracker.api import logger
    from activity_tracker.repository import organizations, users

    if not caller.email:
        raise Unauthorized("A first sign-in needs a verified email in the token (email and email_verified).")
    role = "admin" if caller.email in get_settings().admin_emails else "member"
    for attempt in range(FIRST_SIGN_IN_ATTEMPTS):
        if attempt:
            time.sleep(RETRY_PAUSE_SECONDS * 2 ** (attempt - 1) * random.uniform(0.5, 1.5))
        candidate = users.new_user(caller.org_id, caller.user_id, caller.email, role, caller.campus_id)
        try:
            users.create_with_email_guard(candidate, create_organization=organizations.get(caller.org_id, consistent=True) is None)
            return candidate
        except users.EmailTaken:
            try:
                user = users.link_to_email_holder(caller.org_id, caller.user_id, caller.email)
                logger.info("re-created account linked to its profile", extra={"sub": caller.user_id, "user_id": user.id, "organization_id": caller.org_id})
                return user
            except users.UserExists:
                pass
            except users.Busy:
                continue
        except users.UserExists:  # a concurrent first request created it: read it back below
            pass
        except (users.OrganizationExists, users.Busy):
            continue
        found = users.get(caller.org_id, caller.user_id, consistent=True)
        if found is not None:
            return found
    raise ServiceUnavailable("Your account is being set up by other requests at the same time; try again.")


def require_role(user: UserItem, roles: Iterable[str], doing: str) -> None:
    if user.role not in set(roles):
        raise Forbidden(f"Your role ({user.role}) may not {doing}.")
