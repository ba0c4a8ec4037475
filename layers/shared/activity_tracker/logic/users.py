"""`/api/users/me`: the caller's own profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker.api import Request, Response
from activity_tracker.conditional import check_unchanged, etag, precondition_failed, required_versions, with_etag
from activity_tracker.dto import user_dto
from activity_tracker.repository import users as repo
from activity_tracker.repository.table import VersionChanged

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.user import MePatch


def get_me(request: Request, user: Any) -> Response:
    return with_etag(user_dto(user), user)


def patch_me(request: Request, user: Any) -> Response:
    patch: MePatch = request.body
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    user = update_user(user, changes, required_versions(request, "user"), actor=user.id)
    return with_etag(user_dto(user), user)


def update_user(user: Any, changes: dict[str, Any], if_match: frozenset[int] | None, *, actor: str) -> Any:
    """Write `changes` to a user (themself, or an admin's change), conditioned on the `If-Match`
    versions in the same UpdateItem: 412 when the user is at another version."""
    if not changes:
        check_unchanged(user, if_match, "user")
        return user
    try:
        return repo.update_fields(user, changes, actor=actor, expected_versions=if_match)
    except VersionChanged:
        current = repo.get(user.organization_id, user.id, consistent=True)
        raise precondition_failed("user", etag(current) if current is not None else None) from None
