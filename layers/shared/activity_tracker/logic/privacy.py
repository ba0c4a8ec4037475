"""Privacy routes: personal-data exports (`/api/users/me/data-export`, `/api/users/{id}/data-export`,
`/api/data-exports/{id}`) and erasures (`/api/users/{id}/erase`, `/api/contacts/{id}/erase`,
`/api/erasures/{id}`). The work is done by workers (activity_tracker/privacy/); a route queues it."""

from __future__ import annotations

from typing import Any

from activity_tracker import keys
from activity_tracker.access import require_role
from activity_tracker.api import Request, Response, logger
from activity_tracker.clock import iso, new_id, now
from activity_tracker.errors import Forbidden, NotFound, rule_violation
from activity_tracker.privacy import jobs

URL_SECONDS = 5 * 60
ERASURE_FIELDS = ("id", "organization_id", "subject_kind", "subject_id", "status", "phase", "requested_by_user_id", "error", "created_at", "updated_at", "finished_at")
DATA_EXPORT_FIELDS = ("id", "organization_id", "requested_by_user_id", "status", "error", "created_at", "updated_at", "finished_at")


def _shown_status(job: Any) -> str:
    return "failed" if jobs.stopped(job) else str(job.status)


# ---------------------------------------------------------------- personal-data export
def _queue_data_export(org_id: str, subject_id: str, requested_by: str) -> Response:
    """One unfinished export per person: while one is pending or running, asking again answers it
    (an export reads the whole organization's activities; repeated asks must not pile up)."""
    from activity_tracker.privacy.export import new_data_export

    latest = next(iter(jobs.JobItem.by_subject.query(keys.data_exports_of_user(org_id, subject_id), scan_index_forward=False, limit=1)), None)
    if latest is not None and latest.status in ("pending", "running") and not jobs.stopped(latest):
        return Response(202, {"id": latest.id, "status": latest.status})
    job = new_data_export(org_id, new_id(), subject_id, requested_by)
    jobs.create(job)
    logger.info("personal-data export requested", extra={"data_export": job.id, "organization": org_id, "subject": subject_id, "requested_by": requested_by})
    return Response(202, {"id": job.id, "status": job.status})


def request_my_data_export(request: Request, user: Any) -> Response:
    """Anyone: everything held about themself."""
    return _queue_data_export(request.caller.org_id, user.id, user.id)


def request_user_data_export(request: Request, user: Any) -> Response:
    """An admin: everything held about a user of their organization."""
    from activity_tracker.repository import users

    require_role(user, {"admin"}, "export another user's data")
    target = users.get(request.caller.org_id, request.path["id"], consistent=True)
    if target is None:
        raise NotFound("user")
    return _queue_data_export(request.caller.org_id, target.id, user.id)


def get_data_export(request: Request, user: Any) -> dict[str, Any]:
    """The person it is about and admins; anyone else 403."""
    from activity_tracker.privacy.export import FILE_LIFETIME
    from activity_tracker.repository.exports import download_url

    job = jobs.get(keys.data_export_pk(request.caller.org_id, request.path["id"]), keys.DATA_EXPORT_SK)
    if job is None:
        raise NotFound("data export")
    if user.id != job.subject_id and user.role != "admin":
        raise Forbidden("Only the person a data export is about, and admins, may see it.")
    out: dict[str, Any] = {name: getattr(job, name) for name in DATA_EXPORT_FIELDS}
    out.update(user_id=job.subject_id, status=_shown_status(job), counts={k: int(v) for k, v in (job.counts or {}).items()})
    if out["status"] == "done":
        if not job.s3_key or (job.finished_at or "") < iso(now() - FILE_LIFETIME):
            out["status"] = "expired"
        else:
            out["url"] = download_url(job.s3_key, URL_SECONDS)
            logger.info("data export link issued", extra={"data_export": job.id, "organization": job.organization_id, "user": user.id, "valid_seconds": URL_SECONDS})
    elif out["status"] != job.status:
        out["error"] = jobs.FAILED
    return out


# ---------------------------------------------------------------- erasure
def _queue_erasure(org_id: str, kind: str, subject_id: str, requested_by: str) -> Response:
    """Queue the subject's erasure, or answer the one queued before (the same id): a failed or
    stopped one is queued again and continues from where it stopped; a done one stays done."""
    from activity_tracker.privacy.erasure import new_erasure

    job = new_erasure(org_id, kind, subject_id, requested_by)
    if not jobs.create(job):
        job = jobs.get(job.pk, job.sk) or job
        if job.status == "failed" or jobs.stopped(job):
            jobs.requeue(job)
            job.refresh(consistent_read=True)
    logger.info("erasure requested", extra={"erasure": job.id, "organization": org_id, "kind": kind, "subject": subject_id, "requested_by": requested_by, "status": job.status})
    return Response(202, {"id": job.id, "status": job.status})


def erase_user(request: Request, user: Any) -> Response:
    from activity_tracker.repository import users

    require_role(user, {"admin"}, "erase users")
    target = users.get(request.caller.org_id, request.path["id"], consistent=True)
    if target is None:
        raise NotFound("user")
    if target.id == user.id:
        raise rule_violation("id", "admin_cannot_erase_self", "An admin cannot erase themself; another admin can.", status=403)
    return _queue_erasure(request.caller.org_id, "user", target.id, user.id)


def erase_contact(request: Request, user: Any) -> Response:
    from activity_tracker.repository import contacts

    require_role(user, {"admin"}, "erase contacts")
    if contacts.get(request.caller.org_id, request.path["id"]) is None:
        raise NotFound("contact")
    return _queue_erasure(request.caller.org_id, "contact", request.path["id"], user.id)


def get_erasure(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, {"admin"}, "see erasures")
    job = jobs.get(keys.erasure_pk(request.caller.org_id, request.path["id"]), keys.ERASURE_SK)
    if job is None:
        raise NotFound("erasure")
    out: dict[str, Any] = {name: getattr(job, name) for name in ERASURE_FIELDS}
    out.update(status=_shown_status(job), counts={k: int(v) for k, v in (job.counts or {}).items()})
    if out["status"] != job.status:
        out["error"] = jobs.FAILED
    return out
