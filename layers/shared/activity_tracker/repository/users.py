"""Users: profile `ORG#o#USER#u / PROFILE`, listed by GSI1 `ORG#o#USERS`, and an email guard
`ORG#o#EMAIL#e / EMAIL` written in the same transaction, so an email is unique within an
organization (not across organizations).

A re-created Cognito account (a new `sub` with the verified email of an existing user of the same
organization) signs in as that user through a link `ORG#o#USER#<new sub> / PROFILE` of type
USER_LINK whose `id` names the profile it stands for: `get` follows it (one more GetItem, for
re-linked accounts only), so the profile, its history and every key built from its id stay as
they are.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.repository.organizations import OrganizationItem, new_organization
from activity_tracker.repository.table import Gsi1, TableItem, cancellation_codes, transaction, update_versioned

USER_ENTITY = "USER"
LINK_ENTITY = "USER_LINK"


class UserItem(TableItem):
    id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    image = UnicodeAttribute(null=True)
    localidad = UnicodeAttribute(null=True)
    telefono = UnicodeAttribute(null=True)
    nivel = UnicodeAttribute(default="inicial")
    active = BooleanAttribute(default=True)
    newsletter = UnicodeAttribute(default="no")
    total_classes = NumberAttribute(default=0)
    role = UnicodeAttribute(default="member")
    organization_id = UnicodeAttribute()
    campus_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    updated_by = UnicodeAttribute(null=True)  # who made the last change (the audit trail's "who")
    version = NumberAttribute(null=True)  # moved by every change through the API (its ETag); absent on older users: 0
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    erased_at = UnicodeAttribute(null=True)  # set by erasure (privacy/erasure.py): the profile signs in no more
    by_organization = Gsi1()


class EmailGuard(TableItem):
    user_id = UnicodeAttribute()
    organization_id = UnicodeAttribute()


class UserLink(TableItem):
    """Where a re-created account's profile would be: `id` names the profile it signs in as."""

    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    created_at = UnicodeAttribute()


def _profile_or_link(org_id: str, user_id: str, consistent: bool) -> UserItem | None:
    try:
        return UserItem.get(keys.user_pk(org_id, user_id), keys.PROFILE_SK, consistent_read=consistent)
    except DoesNotExist:
        return None


def get(org_id: str, user_id: str, *, consistent: bool = False) -> UserItem | None:
    """The profile of `user_id` (a user id, or the `sub` of an account linked to one)."""
    item = _profile_or_link(org_id, user_id, consistent)
    if item is not None and item.entity == LINK_ENTITY:
        item = _profile_or_link(org_id, item.id, consistent)
    return item if item is not None and item.entity == USER_ENTITY else None


def is_profile(item: Any) -> bool:
    """Whether an item read by key from `ORG#o#USER#u / PROFILE` is a user (not a link to one)."""
    return getattr(item, "entity", None) == USER_ENTITY


def new_user(org_id: str, user_id: str, email: str, role: str, campus_id: str | None) -> UserItem:
    moment = now_iso()
    return UserItem(
        keys.user_pk(org_id, user_id),
        keys.PROFILE_SK,
        entity=USER_ENTITY,
        id=user_id,
        email=email,
        nivel="inicial",
        active=True,
        newsletter="no",
        total_classes=0,
        role=role,
        organization_id=org_id,
        campus_id=campus_id,
        created_at=moment,
        updated_at=moment,
        updated_by=user_id,  # the first sign-in creates the user: their own doing
        version=1,
        gsi1pk=keys.users_of_org(org_id),
        gsi1sk=f"{moment}#{user_id}",
    )


def create_with_email_guard(user: UserItem, *, create_organization: bool) -> None:
    """Write the user, its email guard and (if new) its organization in one transaction.

    Raises `UserExists` when this user was created by a concurrent request; `EmailTaken` when
    another user of the organization holds the email; `OrganizationExists` when another first
    sign-in created the organization meanwhile; `Busy` when DynamoDB cancelled the transaction
    for a concurrent one on the same items (TransactionConflict: the app's start-up requests race).
    """
    guard = EmailGuard(keys.email_guard(user.organization_id, user.email), keys.EMAIL_SK, entity="EMAIL", user_id=user.id, organization_id=user.organization_id)
    try:
        with transaction() as tx:
            tx.save(user, condition=UserItem.pk.does_not_exist())
            tx.save(guard, condition=EmailGuard.pk.does_not_exist())
            if create_organization:
                tx.save(new_organization(user.organization_id, created_by=user.id), condition=OrganizationItem.pk.does_not_exist())
    except TransactWriteError as error:
        failed = [*cancellation_codes(error), None, None, None]
        if failed[0] == "ConditionalCheckFailed":
            raise UserExists() from None
        if failed[1] == "ConditionalCheckFailed":
            raise EmailTaken() from None
        if failed[2] == "ConditionalCheckFailed":
            raise OrganizationExists() from None
        if "TransactionConflict" in failed:
            raise Busy() from None
        raise


def link_to_email_holder(org_id: str, sub: str, email: str) -> UserItem:
    """Sign `sub` in as the user of the organization that holds `email` (a re-created account).

    One transaction: the link is written only if `sub` has no profile or link yet, the email guard
    still names that user and that user's profile still has that email. Raises `UserExists` when
    `sub` got a profile or link meanwhile, `Busy` when the guard or profile changed or the
    transaction met a concurrent one: the caller retries from the start.
    """
    try:
        guard = EmailGuard.get(keys.email_guard(org_id, email), keys.EMAIL_SK, consistent_read=True)
    except DoesNotExist:
        raise Busy() from None
    profile = _profile_or_link(org_id, guard.user_id, True)
    if profile is None or not is_profile(profile) or profile.email != email:
        raise Busy()
    link = UserLink(keys.user_pk(org_id, sub), keys.PROFILE_SK, entity=LINK_ENTITY, id=profile.id, organization_id=org_id, created_at=now_iso())
    try:
        with transaction() as tx:
            tx.save(link, condition=UserLink.pk.does_not_exist())
            tx.condition_check(EmailGuard, guard.pk, guard.sk, condition=EmailGuard.user_id == profile.id)
            tx.condition_check(UserItem, profile.pk, profile.sk, condition=(UserItem.email == email) & (UserItem.entity == USER_ENTITY))
    except TransactWriteError as error:
        failed = cancellation_codes(error)
        if failed[:1] == ["ConditionalCheckFailed"]:
            raise UserExists() from None
        if "ConditionalCheckFailed" in failed or "TransactionConflict" in failed:
            raise Busy() from None
        raise
    return profile


class UserExists(Exception):
    pass


class EmailTaken(Exception):
    pass


class OrganizationExists(Exception):
    pass


class Busy(Exception):
    """The sign-in transaction lost a race; trying again from the start can succeed."""


def update_fields(user: UserItem, changes: dict[str, Any], *, actor: str, expected_versions: frozenset[int] | None = None) -> UserItem:
    """One UpdateItem: `changes`, `updated_at` and the version up by one; with `expected_versions`
    conditioned on the user still being at one of them (atomic If-Match, else `VersionChanged`);
    `actor` (who makes the change) is stored as `updated_by`. Returns the item as stored."""
    update_versioned(user, changes, actor=actor, expected_versions=expected_versions)
    return user
