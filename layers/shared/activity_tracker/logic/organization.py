"""`/api/organization`: the caller's organization; admins change it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from activity_tracker.access import require_role
from activity_tracker.api import Request, Response
from activity_tracker.conditional import check_unchanged, etag, precondition_failed, required_versions, with_etag
from activity_tracker.dto import organization_dto
from activity_tracker.errors import NotFound
from activity_tracker.repository import organizations as repo
from activity_tracker.repository.table import VersionChanged

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of GET's cold start)
    from activity_tracker.models.organization import OrganizationPatch


def _organization(request: Request) -> Any:
    org = repo.get(request.caller.org_id)
    if org is None:
        raise NotFound("organization")
    return org


def get_organization(request: Request, user: Any) -> Response:
    org = _organization(request)
    return with_etag(organization_dto(org), org)


def patch_organization(request: Request, user: Any) -> Response:
    require_role(user, {"admin"}, "change the organization")
    patch: OrganizationPatch = request.body
    if_match = required_versions(request, "organization")
    org = _organization(request)
    changes: dict[str, Any] = {name: getattr(patch, name) for name in patch.model_fields_set if name != "activity_type_categories"}  # calendar_activity_types: replaced whole
    if "activity_type_categories" in patch.model_fields_set:
        changes["activity_type_categories"] = {**(org.activity_type_categories or {}), **patch.activity_type_categories}
    if not changes:
        check_unchanged(org, if_match, "organization")
    else:
        try:  # with If-Match, the merged categories are written only onto the version they were merged with
            repo.update(org, changes, actor=user.id, expected_versions=if_match)
        except VersionChanged:
            current = repo.get(request.caller.org_id, consistent=True)
            raise precondition_failed("organization", etag(current) if current is not None else None) from None
    return with_etag(organization_dto(org), org)
