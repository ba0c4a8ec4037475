"""`/api/activities`: create, list, read, edit, review, soft delete and restore, offline sync,
bulk registration and home-visit reports (API.md, Activities)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from activity_tracker import keys
from activity_tracker.api import Request, Response, validated
from activity_tracker.clock import new_id, now, now_iso
from activity_tracker.conditional import check_if_match, stale_write_is_412, with_etag
from activity_tracker.dto import activity_dto
from activity_tracker.errors import Conflict, DomainError, Forbidden, NotFound, PayloadTooLarge, ValidationFailed, rule_violation
from activity_tracker.pagination import check_date_range
from activity_tracker.repository import activities as repo
from activity_tracker.repository import organizations, users
from activity_tracker.repository.batch import get_many
from activity_tracker.repository.contacts import ContactItem
from activity_tracker.repository.organizations import OrganizationItem
from activity_tracker.repository.users import UserItem
from activity_tracker.rules import activities as rules
from activity_tracker.vocabulary import REVIEWER_ROLES

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of the reads' cold start)
    from activity_tracker.models.activity import (
        ActivityCreate,
        ActivityGetQuery,
        ActivityListQuery,
        ActivityPatch,
        ActivityReview,
        BulkActivity,
        BulkRequest,
        HomeVisitReportCreate,
        SyncRequest,
    )

SYNC_MAX_ITEMS = 25
BULK_MAX_USERS = 50
DEFAULT_DURATION_MINUTES = 30


# ---------------------------------------------------------------- create
def _prefetch(org_id: str, contact_id: str | None, local_id: str | None, org: OrganizationItem | None = None) -> tuple[OrganizationItem, DomainError | None, str | None]:
    """One BatchGetItem (none when there is nothing left to read): the organization unless given,
    what is wrong with the contact (None: no contact, or a live one), the activity holding local_id
    (None: no local_id to look up)."""
    wanted: list[tuple[type, str, str]] = [] if org else [(OrganizationItem, keys.org_pk(org_id), keys.ORG_SK)]
    if contact_id:
        wanted.append((ContactItem, keys.contact_pk(org_id, contact_id), keys.CONTACT_SK))
    if local_id:
        wanted.append((repo.LocalIdGuard, keys.local_id_guard(org_id, local_id), keys.LOCAL_ID_SK))
    found = get_many(wanted)
    org = org or found.get((keys.org_pk(org_id), keys.ORG_SK))
    if org is None:
        raise NotFound("organization")
    contact = found.get((keys.contact_pk(org_id, contact_id), keys.CONTACT_SK)) if contact_id else None
    guard = found.get((keys.local_id_guard(org_id, local_id), keys.LOCAL_ID_SK)) if local_id else None
    return org, _contact_problem(contact_id, contact), guard.activity_id if guard else None


def _contact_missing() -> ValidationFailed:
    return ValidationFailed("The contact does not exist.", [rules.detail("contact_id", "contact_id_exists_in_organization", "contact_id must name a contact of your organization")])


def _contact_problem(contact_id: str | None, contact: Any) -> DomainError | None:
    """Why an activity may not name this contact: it does not exist, or it was deleted."""
    if not contact_id:
        return None
    if contact is None:
        return _contact_missing()
    if contact.deleted_at:
        return ValidationFailed("The contact was deleted.", [rules.detail("contact_id", "contact_not_deleted", "contact_id names a deleted contact")])
    return None


def _new_state(org: OrganizationItem, author: Any, user_id: str, body: ActivityCreate | BulkActivity, *, bulk: bool, moment_now: datetime) -> dict[str, Any]:
    moment = rules.resolve_activity_date(body.activity_date, org.timezone)
    stamp = now_iso()
    state: dict[str, Any] = {
        "id": new_id(), "organization_id": org.id, "user_id": user_id, "registered_by_user_id": author.id,
        "activity_date": moment.activity_date, "local_date": moment.local_date,
        "duration_minutes": body.duration_minutes if body.duration_minutes is not None else DEFAULT_DURATION_MINUTES,
        "activity_type": body.activity_type, "summary": body.summary, "contact_id": body.contact_id,
        "is_group_activity": bool(body.is_group_activity), "participant_count": body.participant_count,
        "is_proxy_registration": bulk or user_id != author.id, "is_bulk_registration": bulk,
        "status": "under_review", "reviewed_by_user_id": None, "reviewed_at": None, "rejection_reason": None,
        "duplicate_of_activity_id": None, "calendar_event_uid": body.calendar_event_uid, "has_home_visit_report": False,
        "bufdir_excluded": False, "local_id": getattr(body, "local_id", None), "registration_mode": body.registration_mode,
        "created_at": stamp, "updated_at": stamp, "deleted_at": None, "version": 1,
    }  # fmt: skip
    rules.validate(state, moment, moment_now)
    state["bufdir_eligible"] = rules.bufdir_eligible(state, org.activity_type_categories or {}, org.is_test_organization)
    return state


def _suspected_duplicates(state: dict[str, Any]) -> list[dict[str, str]]:
    """Live activities of the same contact within ±1 local day, by anyone (GSI3, one Query)."""
    if not state.get("contact_id"):
        return []
    first, last = rules.local_day_window(state["local_date"], 1)
    wide_from, wide_to = rules.local_day_window(state["local_date"], 2)
    partition = keys.activities_of_contact(state["organization_id"], state["contact_id"])
    found = repo.query(repo.ActivityItem.by_contact, partition, repo.by_date(wide_from, wide_to), None, 100, None)
    return [{"code": "suspected_duplicate", "activity_id": item.id} for item in found if first <= item.local_date <= last and not item.deleted_at and item.id != state["id"]]


def _local_id_taken(field: str) -> Conflict:
    """409 for a local_id that another user's write holds: nothing of that record in it."""
    return Conflict("The local_id is in use in your organization.", [rules.detail(field, "local_id_unique_per_org", "local_id is already used by another activity")])


def replays_own_write(author: Any, item: repo.ActivityItem) -> bool:
    """A known local_id answers with its record only to whoever wrote it (its owner, or the
    coordinator/admin who registered it) and may read it now; to anyone else it is a conflict."""
    may_read = author.role in REVIEWER_ROLES or item.user_id == author.id
    return may_read and author.id in (item.user_id, item.registered_by_user_id)


def _existing(org_id: str, author: Any, activity_id: str, field: str) -> repo.ActivityItem:
    item = repo.get(org_id, activity_id)
    if item is None or not replays_own_write(author, item):  # a guard without its activity cannot happen: they are written together
        raise _local_id_taken(field)
    return item


def _duplicate_conflict(state: dict[str, Any]) -> Conflict:
    guard = repo.duplicate_key(state)
    existing = repo.guarded_activity_id(repo.DuplicateGuard, guard, keys.DUPLICATE_SK) if guard else None
    return Conflict(
        "The same activity is already logged for this contact on this day.",
        [{"field": "activity_date", "rule": "duplicate_activity", "message": "same user, contact, type and day", "activity_id": existing}],
        code="duplicate_activity",
    )


def register(
    org_id: str, author: Any, body: ActivityCreate | BulkActivity, *, user_id: str | None = None, bulk: bool = False, field_prefix: str = "",
    org: OrganizationItem | None = None, local_id_read: bool = False, guard: Any = None,
) -> tuple[repo.ActivityItem, list[dict[str, str]], bool]:  # fmt: skip
    """Create one activity; returns (item, warnings, created). A known local_id returns the stored
    one to whoever wrote it (`replays_own_write`); anyone else gets 409 `local_id_unique_per_org`.
    A batch passes what it read once for all its items: the organization, and `local_id_read` when it
    found the local_id free (a concurrent claim since still fails the transaction's guard).
    `guard(activity_id)` makes an item written in the activity's transaction on the condition that it
    does not exist yet (a calendar import's guard): if it exists, 409 `conflict` and nothing is written."""
    target = user_id or getattr(body, "user_id", None) or author.id
    if target != author.id and author.role not in REVIEWER_ROLES:
        raise rule_violation("user_id", "proxy_registration_requires_coordinator_role", "Only a coordinator or admin may register for someone else.", status=403)
    local_id = getattr(body, "local_id", None)
    org, contact_problem, holder = _prefetch(org_id, body.contact_id, None if local_id_read else local_id, org)
    if holder:
        return _existing(org_id, author, holder, field_prefix + "local_id"), [], False
    if contact_problem is not None:
        raise contact_problem
    if target != author.id and not bulk and not any(users.is_profile(found) for found in get_many([(UserItem, keys.user_pk(org_id, target), keys.PROFILE_SK)]).values()):
        raise NotFound("user")
    state = _new_state(org, author, target, body, bulk=bulk, moment_now=now())
    warnings = _suspected_duplicates(state)
    try:
        return repo.write(state, None, actor=author.id, local_guard=True, extra=guard(state["id"]) if guard else None), warnings, True
    except repo.WriteRefused as refused:
        if refused.reason == "extra":
            raise Conflict("It was written by another request at the same time.") from None
        if refused.reason == "local_id":
            holder = repo.guarded_activity_id(repo.LocalIdGuard, keys.local_id_guard(org_id, local_id or ""), keys.LOCAL_ID_SK)
            return _existing(org_id, author, holder or "", field_prefix + "local_id"), [], False
        if refused.reason == "duplicate":
            raise _duplicate_conflict(state) from None
        raise Conflict("Another write to the same activity happened at the same time; try again.") from None


def preview(org: OrganizationItem, author: Any, body: ActivityCreate) -> dict[str, Any]:
    """The activity `register` would create for the caller from `body`, every rule of its state
    checked (400 as register answers), without writing it: a dry run."""
    return _new_state(org, author, author.id, body, bulk=False, moment_now=now())


def create_activity(request: Request, user: Any) -> Response:
    item, warnings, created = register(request.caller.org_id, user, request.body)
    return Response(201 if created else 200, {**activity_dto(item), "warnings": warnings})


# ---------------------------------------------------------------- read
def _load(request: Request, user: Any, *, include_deleted: bool = False) -> repo.ActivityItem:
    item = repo.get(request.caller.org_id, request.path["id"])
    if item is None or (item.deleted_at and not (include_deleted and user.role in REVIEWER_ROLES)):
        raise NotFound("activity")
    if user.role not in REVIEWER_ROLES and item.user_id != user.id:
        raise Forbidden("This activity is not yours.")
    return item


def readable_activity(request: Request, user: Any, *, include_deleted: bool = False) -> repo.ActivityItem:
    """The path's activity if the caller may read it, as `GET /api/activities/{id}` decides (its history too)."""
    return _load(request, user, include_deleted=include_deleted)


def _with_etag(item: repo.ActivityItem) -> Response:
    return with_etag(activity_dto(item), item)


def get_activity(request: Request, user: Any) -> Response:
    query: ActivityGetQuery = request.params
    return _with_etag(_load(request, user, include_deleted=query.include_deleted))


def list_activities(request: Request, user: Any) -> dict[str, Any]:
    query: ActivityListQuery = request.params
    reviewer = user.role in REVIEWER_ROLES
    if query.include_deleted and not reviewer:
        raise Forbidden("Only a coordinator or admin may list deleted activities.")
    if not reviewer and query.user_id not in (None, user.id):
        raise Forbidden("You may list only your own activities.")
    check_date_range(query.from_, query.to)
    items, cursor = repo.listing(
        request.caller.org_id, user_id=query.user_id or (None if reviewer else user.id), contact_id=query.contact_id, status=query.status,
        activity_type=query.activity_type, local_from=query.from_, local_to=query.to,
        # activity_date is UTC: widen the key range by a day each side, the filter on local_date is exact.
        date_from=rules.local_day_window(query.from_, 1)[0] if query.from_ else None, date_to=rules.local_day_window(query.to, 1)[1] if query.to else None,
        include_deleted=query.include_deleted, limit=query.limit, cursor=query.cursor,
    )  # fmt: skip
    return {"items": [activity_dto(it) for it in items], "next_cursor": cursor}


# ---------------------------------------------------------------- change
def _save(new: dict[str, Any], old: dict[str, Any], *, actor: str, extra: Any = None, org: OrganizationItem | None = None) -> repo.ActivityItem:
    """Write a change: version and updated_at move, and `bufdir_eligible` is recomputed with the
    organization's mapping as it is now (it may have changed since the last write)."""
    org = org or organizations.get(new["organization_id"])
    if org is None:
        raise NotFound("organization")
    new["bufdir_eligible"] = rules.bufdir_eligible(new, org.activity_type_categories or {}, org.is_test_organization)
    new["version"] = int(old["version"]) + 1
    new["updated_at"] = now_iso()
    try:
        return repo.write(new, old, actor=actor, extra=extra)
    except repo.WriteRefused as refused:
        if refused.reason == "duplicate":
            raise _duplicate_conflict(new) from None
        if refused.reason == "extra":
            raise Conflict("It exists already.") from None
        raise Conflict("The activity changed since you read it.", [rules.detail("version", "version_conflict", "reload and try again")], code="version_conflict") from None


def _organization(org_id: str) -> OrganizationItem:
    org = _organization_or_none(org_id)
    if org is None:
        raise NotFound("organization")
    return org


def _organization_or_none(org_id: str) -> OrganizationItem | None:
    return get_many([(OrganizationItem, keys.org_pk(org_id), keys.ORG_SK)]).get((keys.org_pk(org_id), keys.ORG_SK))


def _check_version(sent: int | None, item: repo.ActivityItem) -> None:
    """409 version_conflict when the client sent the version it read and the activity moved on."""
    if sent is not None and sent != item.version:
        raise Conflict("The activity changed since you read it.", [rules.detail("version", "version_conflict", f"current version is {int(item.version)}")], code="version_conflict")


def _own_work(user: Any, item: repo.ActivityItem) -> bool:
    """A coordinator's own activity, or one they registered for someone: another reviewer (or an
    admin) decides on it. Admins are exempt, as someone has to be able to review anything."""
    return user.role != "admin" and user.id in (item.user_id, item.registered_by_user_id)


def _not_own_work(doing: str) -> DomainError:
    return rule_violation("id", "review_not_own_activity", f"A coordinator may not {doing} an activity they own or registered; another coordinator or an admin does.", status=403)


def patch_activity(request: Request, user: Any) -> Response:
    item = _load(request, user)
    check_if_match(request, item, "activity")
    with stale_write_is_412(request, "activity"):  # the write is conditioned on the version read
        return _with_etag(edit_activity(request.caller.org_id, user, item, request.body))


def edit_activity(org_id: str, user: Any, item: repo.ActivityItem, patch: ActivityPatch) -> repo.ActivityItem:
    """Apply `patch` to a loaded activity under every rule of PATCH (also offline sync's push)."""
    reviewer = user.role in REVIEWER_ROLES
    if not reviewer and item.status == "approved":
        raise Forbidden("An approved activity is locked until a coordinator reopens it.")
    if reviewer and item.status == "approved" and _own_work(user, item):  # else editing after approval would skip the review
        raise _not_own_work("edit an approved")
    if "bufdir_excluded" in patch.model_fields_set and user.role != "admin":
        raise Forbidden("Only an admin may exclude an activity from Bufdir.")
    _check_version(patch.version, item)
    changed = patch.model_fields_set - {"version"}
    old = repo.state_of(item)
    if not changed:
        return item
    new = {**old, **{name: getattr(patch, name) for name in changed}}
    org = _organization(org_id)
    if "contact_id" in changed and new["contact_id"]:
        problem = _contact_problem(
            new["contact_id"], get_many([(ContactItem, keys.contact_pk(org.id, new["contact_id"]), keys.CONTACT_SK)]).get((keys.contact_pk(org.id, new["contact_id"]), keys.CONTACT_SK))
        )
        if problem is not None:
            raise problem
    if "activity_date" in changed:
        moment = rules.resolve_activity_date(new["activity_date"], org.timezone)
        new["activity_date"], new["local_date"] = moment.activity_date, moment.local_date
    else:
        moment = rules.ActivityMoment(old["activity_date"], old["local_date"], datetime.fromisoformat(old["activity_date"]))
    rules.validate(new, moment, now() if "activity_date" in changed else moment.utc)
    return _save(new, old, actor=user.id, org=org)


def review_activity(request: Request, user: Any) -> dict[str, Any]:
    body: ActivityReview = request.body
    if user.role not in REVIEWER_ROLES:
        raise Forbidden("Only a coordinator or admin may review activities.")
    item = _load(request, user)
    if _own_work(user, item):
        raise _not_own_work("review")
    _check_version(body.version, item)
    status = rules.review(item.status, body.action, body.reason)
    old = repo.state_of(item)
    reviewed = status != "under_review"
    new = {
        **old, "status": status,
        "reviewed_by_user_id": user.id if reviewed else None, "reviewed_at": now_iso() if reviewed else None,
        "rejection_reason": body.reason.strip() if body.reason and status in ("flagged", "rejected") else None,
    }  # fmt: skip
    return activity_dto(_save(new, old, actor=user.id))


def delete_activity(request: Request, user: Any) -> Response:
    item = _load(request, user)
    check_if_match(request, item, "activity")
    with stale_write_is_412(request, "activity"):  # the write is conditioned on the version read
        soft_delete(user, item)
    return Response(204)


def soft_delete(user: Any, item: repo.ActivityItem) -> None:
    """Soft-delete a loaded activity under DELETE's rules (also offline sync's push)."""
    if user.role not in REVIEWER_ROLES and item.status == "approved":
        raise Forbidden("An approved activity can be deleted only by a coordinator or admin.")
    old = repo.state_of(item)
    _save({**old, "deleted_at": now_iso()}, old, actor=user.id)


def restore_activity(request: Request, user: Any) -> dict[str, Any]:
    if user.role not in REVIEWER_ROLES:
        raise Forbidden("Only a coordinator or admin may restore activities.")
    item = _load(request, user, include_deleted=True)
    if not item.deleted_at:
        raise Conflict("The activity is not deleted.")
    old = repo.state_of(item)
    return activity_dto(_save({**old, "deleted_at": None}, old, actor=user.id))


def create_home_visit_report(request: Request, user: Any) -> Response:
    body: HomeVisitReportCreate = request.body
    item = _load(request, user)
    if item.activity_type != "home_visit":
        raise rule_violation("activity_type", "home_visit_report_requires_home_visit", "Only a home_visit activity takes a home-visit report.")
    if item.has_home_visit_report:
        raise Conflict("This activity has its home-visit report already.")
    old = repo.state_of(item)
    report = repo.HomeVisitReportItem(
        keys.activity_pk(item.organization_id, item.id), keys.report_sk(new_id()), entity="HOME_VISIT_REPORT",
        organization_id=item.organization_id, activity_id=item.id, content=body.content, created_by_user_id=user.id, created_at=now_iso(),
    )  # fmt: skip
    report.id = report.sk.split("#", 1)[1]
    _save({**old, "has_home_visit_report": True}, old, actor=user.id, extra=report)
    fields = ("id", "organization_id", "activity_id", "content", "created_by_user_id", "created_at")
    return Response(201, {name: getattr(report, name) for name in fields})


# ---------------------------------------------------------------- batches
def _rejection(error: DomainError) -> dict[str, Any]:
    return error.body()["error"] | {"status": error.status}


def _known_local_ids(org_id: str, local_ids: list[str]) -> dict[str, repo.ActivityItem]:
    """The stored activities of the local_ids already synced: two BatchGetItems for a whole batch."""
    guards = get_many([(repo.LocalIdGuard, keys.local_id_guard(org_id, lid), keys.LOCAL_ID_SK) for lid in dict.fromkeys(local_ids)])
    holders = {key[0].split("#LOCAL#", 1)[1]: guard.activity_id for key, guard in guards.items()}
    found = get_many([(repo.ActivityItem, keys.activity_pk(org_id, aid), keys.ACTIVITY_SK) for aid in set(holders.values())])
    by_id = {item.id: item for item in found.values()}
    return {lid: by_id[aid] for lid, aid in holders.items() if aid in by_id}


def sync_activities(request: Request, user: Any) -> dict[str, Any]:
    body: SyncRequest = request.body
    items: list[Any] = body.items  # raw JSON values, each validated below (the model skips them)
    if len(items) > SYNC_MAX_ITEMS:
        raise PayloadTooLarge(f"A sync holds at most {SYNC_MAX_ITEMS} items.")
    org_id = request.caller.org_id
    known = _known_local_ids(org_id, [raw["local_id"] for raw in items if isinstance(raw, dict) and isinstance(raw.get("local_id"), str) and raw["local_id"]])
    results: list[dict[str, Any]] = []
    org: OrganizationItem | None = None  # read once, for the first item that is created
    for index, raw in enumerate(items):
        local_id = raw.get("local_id") if isinstance(raw, dict) else None
        try:
            activity = validated("activity:ActivityCreate", raw, prefix=f"items.{index}.")
            if not activity.local_id:
                raise ValidationFailed("A synced activity needs its local_id.", [rules.detail(f"items.{index}.local_id", "local_id_required_for_sync", "every synced item needs a local_id")])
            if activity.local_id in known:  # a replay: the stored record, unchanged, to whoever wrote it
                if not replays_own_write(user, known[activity.local_id]):
                    raise _local_id_taken(f"items.{index}.local_id")
                results.append({"local_id": local_id, "outcome": "existing", "activity": activity_dto(known[activity.local_id]), "warnings": []})
                continue
            org = org or _organization_or_none(org_id)
            item, warnings, created = register(org_id, user, activity, field_prefix=f"items.{index}.", org=org, local_id_read=True)
            known[activity.local_id] = item
            results.append({"local_id": local_id, "outcome": "created" if created else "existing", "activity": activity_dto(item), "warnings": warnings})
        except DomainError as error:
            results.append({"local_id": local_id if isinstance(local_id, str) else None, "outcome": "rejected", "error": _rejection(error)})
    return {"results": results}


def bulk_register(request: Request, user: Any) -> Response:
    body: BulkRequest = request.body
    if user.role not in REVIEWER_ROLES:
        raise rule_violation("user_ids", "proxy_registration_requires_coordinator_role", "Only a coordinator or admin may register for others.", status=403)
    if len(body.user_ids) > BULK_MAX_USERS:
        raise PayloadTooLarge(f"A bulk registration names at most {BULK_MAX_USERS} users.")
    activity = validated("activity:BulkActivity", body.activity, prefix="activity.")
    org_id = request.caller.org_id
    wanted = [(UserItem, keys.user_pk(org_id, uid), keys.PROFILE_SK) for uid in dict.fromkeys(body.user_ids) if isinstance(uid, str) and uid]
    members = {key[0] for key, found in get_many(wanted).items() if users.is_profile(found)}  # not a re-created account's link
    org = _organization_or_none(org_id) if members else None  # read once for every create
    results, seen = [], set()
    for user_id in body.user_ids:
        try:
            if user_id in seen:
                raise Conflict("This user is listed twice.")
            seen.add(user_id)
            if keys.user_pk(org_id, user_id) not in members:
                raise NotFound("user")
            item, warnings, _ = register(org_id, user, activity, user_id=user_id, bulk=True, org=org)
            results.append({"user_id": user_id, "outcome": "created", "activity": activity_dto(item), "warnings": warnings})
        except DomainError as error:
            results.append({"user_id": user_id, "outcome": "rejected", "error": _rejection(error)})
    return Response(201, {"results": results})
