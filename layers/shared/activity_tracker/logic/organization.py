"""`/api/organization`: the caller's organization; admins change it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker.access import require_role
from activity_tracker.api import Request
from activity_tracker.dto import organization_dto
from activity_tracker.errors import NotFound
from activity_tracker.repository import organizations as repo

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.organization import OrganizationPatch


def _organization(request: Request) -> Any:
    org = repo.get(request.caller.org_id)
    if org is None:
        raise NotFound("organization")
    return org


def get_organization(request: Request, user: Any) -> dict[str, Any]:
    return organization_dto(_organization(request))


def patch_organization(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, {"admin"}, "change the organization")
    patch: OrganizationPatch = request.body
    org = _organization(request)
    changes: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set if name != "activity_type_categories"}  # calendar_activity_types: replaced whole
    if "activity_type_categories" in patch.model_fields_set:
        changes["activity_type_categories"] = {**(org.activity_type_categories or {}), **patch.activity_type_categories}
    if changes:
        repo.update(org, changes)
    return organization_dto(org)
