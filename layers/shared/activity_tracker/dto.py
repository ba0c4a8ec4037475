"""Response bodies as plain dicts, built from what the server itself stored (items or records):
no validation on the way out, and no pydantic import, so a route that validates no input answers
its first request without loading pydantic (docs/benchmarks.md, CPU per request). The response
models in `models/` describe these bodies (OpenAPI, and the tests validate every success body
against them)."""

from __future__ import annotations

from typing import Any

ACTIVITY_FIELDS = (
    "id", "organization_id", "user_id", "registered_by_user_id", "activity_date", "local_date", "duration_minutes", "activity_type", "summary",
    "contact_id", "is_group_activity", "participant_count", "is_proxy_registration", "is_bulk_registration", "status",
    "reviewed_by_user_id", "reviewed_at", "rejection_reason", "duplicate_of_activity_id", "calendar_event_uid",
    "has_home_visit_report", "bufdir_eligible", "bufdir_excluded", "local_id", "created_at", "updated_at", "deleted_at", "version",
)  # fmt: skip
USER_FIELDS = ("id", "email", "name", "image", "localidad", "telefono", "nivel", "active", "newsletter", "total_classes", "role", "organization_id", "created_at", "updated_at")
ORGANIZATION_FIELDS = ("id", "name", "timezone", "is_test_organization", "activity_type_categories", "retention", "calendar_activity_types")
CONTACT_FIELDS = ("id", "organization_id", "name", "notes", "created_by_user_id", "created_at", "updated_at", "version")
EXPORT_FIELDS = ("id", "organization_id", "status", "period_start", "period_end", "format", "row_count", "summary", "error", "requested_by_user_id", "scheduled", "created_at", "updated_at", "finished_at")  # fmt: skip
TASK_FIELDS = ("id", "organization_id", "title", "content", "answer", "description", "type", "difficulty", "created_by_user_id", "created_at", "updated_at")
CLASS_FIELDS = ("id", "organization_id", "host_id", "class_type", "max_participants", "current_participants", "participant_ids", "status", "scheduled_at", "title", "task_ids", "created_at", "updated_at")  # fmt: skip
USER_ACTIVITY_FIELDS = ("id", "user_id", "task_id", "class_id", "role", "completed", "created_at", "updated_at")


def activity_dto(item: Any) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in ACTIVITY_FIELDS}
    for name in ("duration_minutes", "participant_count", "version"):
        if out[name] is not None:
            out[name] = int(out[name])
    return out


def user_dto(user: Any) -> dict[str, Any]:
    out = {name: getattr(user, name) for name in USER_FIELDS}
    out["total_classes"] = int(out["total_classes"] or 0)
    return out


def organization_dto(org: Any) -> dict[str, Any]:
    out = {name: getattr(org, name) for name in ORGANIZATION_FIELDS}
    out["calendar_activity_types"] = out["calendar_activity_types"] or {}  # organizations stored before the setting existed
    return out


def contact_dto(item: Any) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in CONTACT_FIELDS}
    out["version"] = int(out["version"] or 0)  # 0: written before contacts had versions
    return out


def export_dto(item: Any, url: str | None = None) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in EXPORT_FIELDS}
    out["row_count"] = int(out["row_count"]) if out["row_count"] is not None else None
    if url:
        out["url"] = url
    return out


def task_dto(item: Any, *, with_answer: bool) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in TASK_FIELDS}
    if not with_answer:
        out["answer"] = None
    return out


def class_dto(item: Any) -> dict[str, Any]:
    out = {name: getattr(item, name) for name in CLASS_FIELDS}
    out["participant_ids"] = sorted(out["participant_ids"] or [])
    out["task_ids"] = sorted(out["task_ids"] or [])
    out["max_participants"], out["current_participants"] = int(out["max_participants"]), int(out["current_participants"])
    return out


def user_activity_dto(item: Any) -> dict[str, Any]:
    return {name: getattr(item, name) for name in USER_ACTIVITY_FIELDS}


def progress_dto(item: Any) -> dict[str, Any]:
    score = item.score
    if isinstance(score, float) and score.is_integer():
        score = int(score)
    return {
        "id": item.id,
        "progress_type": item.progress_type,
        "item_id": item.item_id,
        "value": item.value,
        "score": score,
        "metadata": item.progress_metadata,
        "organizationId": item.organization_id,
        "campusId": item.campus_id,
        "userId": item.user_id,
        "createdAt": item.created_at,
        "updatedAt": item.updated_at,
    }
