"""`/api/users/me`: the caller's own profile."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker.api import Request
from activity_tracker.dto import user_dto
from activity_tracker.repository import users as repo

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.user import MePatch


def get_me(request: Request, user: Any) -> dict[str, Any]:
    return user_dto(user)


def patch_me(request: Request, user: Any) -> dict[str, Any]:
    patch: MePatch = request.body
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    if changes:
        repo.update_fields(user, changes, actor=user.id)
    return user_dto(user)
