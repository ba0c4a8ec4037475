"""Users: profile `ORG#o#USER#u / PROFILE`, listed by GSI1 `ORG#o#USERS`, and a system-wide
email guard `EMAIL#e / EMAIL` written in the same transaction, so an email is unique."""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, TransactWriteError

from activity_tracker import keys
from activity_tracker.clock import now_iso
from activity_tracker.errors import Conflict
from activity_tracker.repository.organizations import OrganizationItem, new_organization
from activity_tracker.repository.table import Gsi1, TableItem, transaction


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
    gsi1pk = UnicodeAttribute()
    gsi1sk = UnicodeAttribute()
    by_organization = Gsi1()


class EmailGuard(TableItem):
    user_id = UnicodeAttribute()
    organization_id = UnicodeAttribute()


def get(org_id: str, user_id: str, *, consistent: bool = False) -> UserItem | None:
    try:
        return UserItem.get(keys.user_pk(org_id, user_id), keys.PROFILE_SK, consistent_read=consistent)
    except DoesNotExist:
        return None


def new_user(org_id: str, user_id: str, email: str, role: str, campus_id: str | None) -> UserItem:
    moment = now_iso()
    return UserItem(
        keys.user_pk(org_id, user_id),
        keys.PROFILE_SK,
        entity="USER",
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
        gsi1pk=keys.users_of_org(org_id),
        gsi1sk=f"{moment}#{user_id}",
    )


def create_with_email_guard(user: UserItem, *, create_organization: bool) -> None:
    """Write the user, its email guard and (if new) its organization in one transaction.

    Raises Conflict when the email belongs to another user; `OrganizationExists` when another
    first sign-in created the organization meanwhile; `UserExists` when this user was created
    by a concurrent request.
    """
    guard = EmailGuard(keys.email_pk(user.email), keys.EMAIL_SK, entity="EMAIL", user_id=user.id, organization_id=user.organization_id)
    try:
        with transaction() as tx:
            tx.save(user, condition=UserItem.pk.does_not_exist())
            tx.save(guard, condition=EmailGuard.pk.does_not_exist())
            if create_organization:
                tx.save(new_organization(user.organization_id), condition=OrganizationItem.pk.does_not_exist())
    except TransactWriteError as error:
        failed = [getattr(reason, "code", None) == "ConditionalCheckFailed" for reason in (error.cancellation_reasons or [])]
        if failed and failed[0]:
            raise UserExists() from None
        if len(failed) > 1 and failed[1]:
            raise Conflict("This email is already registered to another user.") from None
        if len(failed) > 2 and failed[2]:
            raise OrganizationExists() from None
        raise


class UserExists(Exception):
    pass


class OrganizationExists(Exception):
    pass


def update_fields(user: UserItem, changes: dict[str, Any]) -> UserItem:
    actions = [getattr(UserItem, name).set(value) for name, value in changes.items()]
    actions.append(UserItem.updated_at.set(now_iso()))
    user.update(actions=actions, condition=UserItem.pk.exists())
    return user
