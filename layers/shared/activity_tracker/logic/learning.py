"""Users administration, tasks, virtual classes and user activities (API.md, Users and Learning
platform). Every write touching a class and a user activity is one transaction."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError

from activity_tracker import keys
from activity_tracker.access import require_role
from activity_tracker.api import Request, Response
from activity_tracker.clock import iso, new_id, now, now_iso
from activity_tracker.conditional import check_unchanged, etag, precondition_failed, required_versions, version_condition, version_of, with_etag
from activity_tracker.dto import class_dto, task_dto, user_activity_dto, user_dto
from activity_tracker.errors import Conflict, Forbidden, NotFound, ValidationFailed, rule_violation
from activity_tracker.logic.users import update_user
from activity_tracker.pagination import SortRange, check_date_range, collect, cursor_key, decode_cursor, start_key
from activity_tracker.repository import learning as repo
from activity_tracker.repository import users
from activity_tracker.repository.learning import ClassItem, TaskItem, UserActivityItem
from activity_tracker.repository.table import CONFLICT_ATTEMPTS, cancellation_codes, met_a_transaction, records, transaction, wait_before_retry
from activity_tracker.vocabulary import CONTENT_ROLES, USER_LISTING_ROLES

if TYPE_CHECKING:  # request models load with the request that needs them (pydantic stays out of the cold start of routes without one)
    from activity_tracker.models.learning import AttachTask, ClassCreate, ClassListQuery, PageQuery, TaskCreate, TaskListQuery, UserActivityListQuery, UserAdminPatch

OPEN_STATUSES = ("pending", "scheduled")
HELD_STATUSES = ("scheduled", "completed")  # a class that took place: confirmed (and its time has come) or completed
MAX_TRANSACTION = 100


def _detail(field: str, rule: str, message: str) -> list[dict[str, str]]:
    return [{"field": field, "rule": rule, "message": message}]


# ---------------------------------------------------------------- users
def list_users(request: Request, user: Any) -> dict[str, Any]:
    require_role(user, USER_LISTING_ROLES, "list users")
    query: PageQuery = request.params
    partition = keys.users_of_org(request.caller.org_id)
    start = decode_cursor(query.cursor, ("pk", "sk", "gsi1pk", "gsi1sk"), ("gsi1pk", partition))
    found = records(users.UserItem.by_organization, partition, page_size=query.limit, start=start_key(start))
    items, cursor = collect(found, query.limit, lambda it: cursor_key(it, "gsi1"))
    return {"items": [user_dto(it) for it in items], "next_cursor": cursor}


def patch_user(request: Request, user: Any) -> Response:
    require_role(user, {"admin"}, "change users")
    patch: UserAdminPatch = request.body
    target = users.get(request.caller.org_id, request.path["id"], consistent=True)
    if target is None:
        raise NotFound("user")
    changes = {name: getattr(patch, name) for name in patch.model_fields_set}
    if target.id == user.id and (changes.get("role", "admin") != "admin" or changes.get("active", True) is False):
        raise rule_violation("role" if "role" in changes else "active", "admin_cannot_demote_self", "An admin cannot demote or deactivate themself.", status=403)
    target = update_user(target, changes, required_versions(request, "user"), actor=user.id)
    return with_etag(user_dto(target), target)


# ---------------------------------------------------------------- tasks
def create_task(request: Request, user: Any) -> Response:
    require_role(user, CONTENT_ROLES, "create tasks")
    body: TaskCreate = request.body
    org_id, task_id, moment = request.caller.org_id, new_id(), now_iso()
    item = TaskItem(
        keys.task_pk(org_id, task_id), keys.TASK_SK, entity="TASK", id=task_id, organization_id=org_id,
        title=body.title.strip(), content=body.content, answer=body.answer, description=body.description, type=body.type,
        difficulty=body.difficulty, created_by_user_id=user.id, created_at=moment, updated_at=moment,
        gsi2pk=keys.tasks_of_org(org_id), gsi2sk=f"{moment}#{task_id}",
    )  # fmt: skip
    item.save(condition=TaskItem.pk.does_not_exist())
    return Response(201, task_dto(item, with_answer=True))


def list_tasks(request: Request, user: Any) -> dict[str, Any]:
    query: TaskListQuery = request.params
    partition = keys.tasks_of_org(request.caller.org_id)
    start = decode_cursor(query.cursor, ("pk", "sk", "gsi2pk", "gsi2sk"), ("gsi2pk", partition))
    condition = None
    if query.type:
        condition = TaskItem.type == query.type
    if query.difficulty:
        part = TaskItem.difficulty == query.difficulty
        condition = part if condition is None else condition & part
    found = records(TaskItem.by_organization, partition, filter_condition=condition, scan_index_forward=False, page_size=100 if condition is not None else query.limit, start=start_key(start))
    items, cursor = collect(found, query.limit, lambda it: cursor_key(it, "gsi2"))
    return {"items": [task_dto(it, with_answer=user.role in CONTENT_ROLES) for it in items], "next_cursor": cursor}


def get_task(request: Request, user: Any) -> dict[str, Any]:
    item = repo.get_task(request.caller.org_id, request.path["id"])
    if item is None:
        raise NotFound("task")
    return task_dto(item, with_answer=user.role in CONTENT_ROLES)


# ---------------------------------------------------------------- classes
def _scheduled_at(raw: str) -> str:
    try:
        moment = datetime.fromisoformat(raw)
        utc = moment.astimezone(UTC) if moment.tzinfo is not None else None
    except (ValueError, OverflowError):  # OverflowError: an offset that moves it past year 9999
        raise ValidationFailed("The request is not valid.", _detail("scheduled_at", "scheduled_at_valid", "scheduled_at must be an ISO 8601 date-time")) from None
    if utc is None:
        raise ValidationFailed("The request is not valid.", _detail("scheduled_at", "scheduled_at_valid", "scheduled_at needs a time zone (Z or an offset)"))
    if utc < now():
        raise ValidationFailed("The request is not valid.", _detail("scheduled_at", "scheduled_at_in_future", "a class is booked for a time to come"))
    return iso(utc)


def _class(request: Request) -> ClassItem:
    item = repo.get_class(request.caller.org_id, request.path["id"])
    if item is None:
        raise NotFound("class")
    return item


def _members(klass: ClassItem) -> dict[str, str]:
    """user id -> that member's user-activity id, the host included."""
    return dict(entry.split("|", 1) for entry in (klass.member_activities or set()))


def book_class(request: Request, user: Any) -> Response:
    body: ClassCreate = request.body
    max_participants = body.max_participants if body.max_participants is not None else (1 if body.class_type == "individual" else 10)
    if body.class_type == "individual" and max_participants != 1:
        raise ValidationFailed("The request is not valid.", _detail("max_participants", "individual_class_holds_one", "an individual class has max_participants 1"))
    org_id, class_id, ua_id, moment = request.caller.org_id, new_id(), new_id(), now_iso()
    scheduled = _scheduled_at(body.scheduled_at)
    klass = ClassItem(
        keys.class_pk(org_id, class_id), keys.CLASS_SK, entity="CLASS", id=class_id, organization_id=org_id, host_id=user.id,
        class_type=body.class_type, max_participants=max_participants, current_participants=0, participant_ids=None,
        member_activities={f"{user.id}|{ua_id}"}, status="pending", scheduled_at=scheduled, title=body.title, task_ids=None,
        created_at=moment, updated_at=moment, version=1, gsi2pk=keys.classes_of_org(org_id), gsi2sk=f"{scheduled}#{class_id}",
    )  # fmt: skip
    host_activity = repo.new_user_activity(org_id, user.id, class_id, "anfitrion", moment, ua_id)
    with transaction() as tx:
        tx.save(klass, condition=ClassItem.pk.does_not_exist())
        tx.save(host_activity, condition=UserActivityItem.pk.does_not_exist())
    return with_etag(class_dto(klass), klass, status=201)


def list_classes(request: Request, user: Any) -> dict[str, Any]:
    query: ClassListQuery = request.params
    check_date_range(query.from_, query.to)
    partition = keys.classes_of_org(request.caller.org_id)
    scheduled = SortRange(low=query.from_, high=query.to + "~" if query.to else None)  # `scheduled_at#id`, UTC days
    start = decode_cursor(query.cursor, ("pk", "sk", "gsi2pk", "gsi2sk"), ("gsi2pk", partition), ("gsi2sk", scheduled))
    condition = ClassItem.status == query.status if query.status else None
    found = records(
        ClassItem.by_organization, partition, scheduled.condition(ClassItem.gsi2sk), filter_condition=condition, page_size=100 if condition is not None else query.limit, start=start_key(start)
    )
    items, cursor = collect(found, query.limit, lambda it: cursor_key(it, "gsi2"))
    return {"items": [class_dto(it) for it in items], "next_cursor": cursor}


def get_class(request: Request, user: Any) -> Response:
    klass = _class(request)
    return with_etag(class_dto(klass), klass)


def _class_changed(org_id: str, class_id: str) -> Exception:
    """412 for a class write refused by its If-Match condition (404 if the class is gone)."""
    current = repo.get_class(org_id, class_id)
    if current is None:
        return NotFound("class")
    return precondition_failed("class", etag(current))


def _busy() -> Conflict:
    return Conflict("Others are changing the same class right now; try again.", _detail("class_id", "conflict", "concurrent writes, nothing was changed"))


def _transition(klass: ClassItem, allowed_from: tuple[str, ...], to: str, if_match: frozenset[int] | None = None) -> Response:
    """`klass` (as read by the caller) moves to `to`, conditional on its status still being one it
    may leave (and, with `If-Match`, on its version); retried while a concurrent transaction (a
    join, a member's completion) holds it."""
    from pynamodb.exceptions import UpdateError

    if klass.status not in allowed_from:
        raise Conflict(f"A {klass.status} class cannot become {to}.", _detail("status", "invalid_transition", f"{klass.status} → {to}"), code="invalid_transition")
    condition = ClassItem.status.is_in(*allowed_from)
    if if_match is not None:
        condition &= version_condition(ClassItem.version, if_match)
    for attempt in range(CONFLICT_ATTEMPTS):
        try:
            klass.update(actions=[ClassItem.status.set(to), ClassItem.updated_at.set(now_iso()), ClassItem.version.add(1)], condition=condition)
            return with_etag(class_dto(klass), klass)
        except UpdateError as error:
            if error.cause_response_code == "ConditionalCheckFailedException":  # the status (or version) changed since it was read
                current = repo.get_class(klass.organization_id, klass.id)
                if if_match is not None and current is not None and version_of(current) not in if_match:
                    raise precondition_failed("class", etag(current)) from None
                raise Conflict("The class changed meanwhile.", _detail("status", "invalid_transition", f"no longer {' or '.join(allowed_from)}"), code="invalid_transition") from None
            if not met_a_transaction(error):
                raise
            wait_before_retry(attempt)
    raise _busy()


def confirm_class(request: Request, user: Any) -> Response:
    klass = _class(request)
    if klass.host_id != user.id and user.role not in CONTENT_ROLES:
        raise Forbidden("Only the host, a moderator or an admin may confirm a class.")
    return _transition(klass, ("pending",), "scheduled", required_versions(request, "class"))


def cancel_class(request: Request, user: Any) -> Response:
    klass = _class(request)
    if klass.host_id != user.id and user.role != "admin":
        raise Forbidden("Only the host or an admin may cancel a class.")
    return _transition(klass, OPEN_STATUSES, "cancelled", required_versions(request, "class"))


def join_class(request: Request, user: Any) -> Response:
    """Capacity, "once", the open status and `If-Match` are conditions on the class item, checked
    atomically with the participant's user activity in one transaction."""
    org_id, class_id, ua_id, moment = request.caller.org_id, request.path["id"], new_id(), now_iso()
    if_match = required_versions(request, "class")
    condition = (
        ClassItem.pk.exists() & ClassItem.status.is_in(*OPEN_STATUSES) & (ClassItem.current_participants < ClassItem.max_participants)
        & ~ClassItem.participant_ids.contains(user.id) & (ClassItem.host_id != user.id)
    )  # fmt: skip
    if if_match is not None:
        condition &= version_condition(ClassItem.version, if_match)
    klass = ClassItem(keys.class_pk(org_id, class_id), keys.CLASS_SK)
    activity = repo.new_user_activity(org_id, user.id, class_id, "participante", moment, ua_id)
    try:
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                with transaction() as tx:
                    tx.update(
                        klass,
                        actions=[
                            ClassItem.current_participants.add(1), ClassItem.participant_ids.add({user.id}), ClassItem.member_activities.add({f"{user.id}|{ua_id}"}),
                            ClassItem.updated_at.set(moment), ClassItem.version.add(1),
                        ],
                        condition=condition,
                    )  # fmt: skip
                    tx.save(activity, condition=UserActivityItem.pk.does_not_exist())
                break
            except TransactWriteError as error:
                if not met_a_transaction(error) or attempt == CONFLICT_ATTEMPTS - 1:
                    raise
                wait_before_retry(attempt)
    except TransactWriteError:
        current = repo.get_class(org_id, class_id)
        if current is None:
            raise NotFound("class") from None
        if if_match is not None and version_of(current) not in if_match:
            raise precondition_failed("class", etag(current)) from None
        if current.status not in OPEN_STATUSES:
            raise Conflict(f"A {current.status} class takes no one.", _detail("status", "invalid_transition", f"{current.status} classes refuse joins"), code="invalid_transition") from None
        if current.host_id == user.id or user.id in (current.participant_ids or set()):
            raise Conflict("You are in this class already.", _detail("class_id", "conflict", "joined already")) from None
        if current.current_participants >= current.max_participants:
            raise Conflict("The class is full.", _detail("class_id", "class_full", f"{int(current.max_participants)} of {int(current.max_participants)} places taken"), code="class_full") from None
        raise Conflict("The class changed meanwhile; try again.") from None
    klass = _class(request)
    return with_etag(class_dto(klass), klass)


def _each_member_activity(klass: ClassItem, actions: list[Any], if_match: frozenset[int] | None = None) -> None:
    """Apply `actions` (idempotent) to every member's user activity, in transactions of at most 100
    writes, each retried while a member's own write holds one of its items; 409 if that lasts. With
    `If-Match`, each transaction also checks the class's version: 412, and that part unwritten."""
    targets = [UserActivityItem(keys.user_pk(klass.organization_id, uid), keys.user_activity_sk(klass.id, ua_id)) for uid, ua_id in sorted(_members(klass).items())]
    size = MAX_TRANSACTION if if_match is None else MAX_TRANSACTION - 1
    for start in range(0, len(targets), size):
        for attempt in range(CONFLICT_ATTEMPTS):
            try:
                with transaction() as tx:
                    for target in targets[start : start + size]:
                        tx.update(target, actions=actions, condition=UserActivityItem.pk.exists())
                    if if_match is not None:
                        tx.condition_check(ClassItem, klass.pk, klass.sk, condition=version_condition(ClassItem.version, if_match))
                break
            except TransactWriteError as error:
                if if_match is not None and cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:  # pynamodb sends condition checks first
                    raise _class_changed(klass.organization_id, klass.id) from None
                if not met_a_transaction(error):
                    raise
                if attempt == CONFLICT_ATTEMPTS - 1:
                    raise _busy() from None
                wait_before_retry(attempt)


def attach_task(request: Request, user: Any) -> Response:
    from pynamodb.exceptions import UpdateError

    body: AttachTask = request.body
    if_match = required_versions(request, "class")
    klass = _class(request)
    if klass.host_id != user.id and user.role not in CONTENT_ROLES:
        raise Forbidden("Only the host, a moderator or an admin may attach tasks.")
    check_unchanged(klass, if_match, "class")  # before any member's activity is written
    if repo.get_task(request.caller.org_id, body.task_id) is None:
        raise NotFound("task")
    _each_member_activity(klass, [UserActivityItem.task_id.set(body.task_id), UserActivityItem.updated_at.set(now_iso())], if_match)
    try:
        klass.update(
            actions=[ClassItem.task_ids.add({body.task_id}), ClassItem.updated_at.set(now_iso()), ClassItem.version.add(1)],
            condition=version_condition(ClassItem.version, if_match) if if_match is not None else None,
        )
    except UpdateError as error:
        if if_match is not None and error.cause_response_code == "ConditionalCheckFailedException":
            raise _class_changed(klass.organization_id, klass.id) from None
        raise
    return with_etag(class_dto(klass), klass)


def complete_class(request: Request, user: Any) -> Response:
    """Every member's user activity is completed first (idempotent), then the class; a retry after
    a failure half-way finishes the job and counts nothing twice."""
    require_role(user, CONTENT_ROLES, "complete classes")
    if_match = required_versions(request, "class")
    klass = _class(request)
    if klass.status not in OPEN_STATUSES:
        raise Conflict(f"A {klass.status} class cannot be completed.", _detail("status", "invalid_transition", f"{klass.status} → completed"), code="invalid_transition")
    check_unchanged(klass, if_match, "class")  # before any member's activity is written
    _each_member_activity(klass, [UserActivityItem.completed.set(True), UserActivityItem.updated_at.set(now_iso())], if_match)
    return _transition(klass, OPEN_STATUSES, "completed", if_match)


# ---------------------------------------------------------------- user activities
def list_user_activities(request: Request, user: Any) -> dict[str, Any]:
    query: UserActivityListQuery = request.params
    partition = keys.user_pk(request.caller.org_id, user.id)
    prefix = SortRange(prefix=keys.user_activities_of_class(query.class_id) if query.class_id else keys.USER_ACTIVITIES_PREFIX)
    start = decode_cursor(query.cursor, ("pk", "sk"), ("pk", partition), ("sk", prefix))
    condition = None
    for attribute, value in ((UserActivityItem.completed, query.completed), (UserActivityItem.role, query.role), (UserActivityItem.task_id, query.task_id)):
        if value is not None:
            part = attribute == value
            condition = part if condition is None else condition & part
    found = records(UserActivityItem, partition, prefix.condition(UserActivityItem.sk), filter_condition=condition, page_size=100 if condition is not None else query.limit, start=start_key(start))
    items, cursor = collect(found, query.limit, lambda it: cursor_key(it, None))
    return {"items": [user_activity_dto(it) for it in items], "next_cursor": cursor}


def _user_activity(request: Request, user: Any) -> UserActivityItem:
    item = repo.get_user_activity(request.caller.org_id, user.id, request.path["id"])
    if item is None:
        raise NotFound("user activity")
    return item


def get_user_activity(request: Request, user: Any) -> dict[str, Any]:
    return user_activity_dto(_user_activity(request, user))


def _not_held(klass: ClassItem) -> Conflict:
    why = f"the class is {klass.status}" if klass.status not in HELD_STATUSES else f"the class is scheduled for {klass.scheduled_at}"
    return Conflict("A user activity is completed once its class has taken place.", _detail("class_id", "class_took_place", why), code="invalid_transition")


def complete_user_activity(request: Request, user: Any) -> dict[str, Any]:
    """The caller's own user activity becomes completed, only once its class has taken place
    (`HELD_STATUSES` and its time has come): checked in the same transaction as the write, which
    is conditioned on the activity not being completed yet, so a class completion racing it
    counts it once. Completed already: 200 without a write."""
    item = _user_activity(request, user)
    org_id = request.caller.org_id
    for attempt in range(CONFLICT_ATTEMPTS):
        if item.completed:
            return user_activity_dto(item)
        klass, moment = repo.get_class(org_id, item.class_id), now_iso()
        if klass is None:
            raise NotFound("class")
        if klass.status not in HELD_STATUSES or klass.scheduled_at > moment:
            raise _not_held(klass)
        try:
            with transaction() as tx:
                tx.condition_check(ClassItem, klass.pk, klass.sk, condition=ClassItem.status.is_in(*HELD_STATUSES) & (ClassItem.scheduled_at <= moment))
                tx.update(item, actions=[UserActivityItem.completed.set(True), UserActivityItem.updated_at.set(moment)], condition=UserActivityItem.completed.is_in(False))
            item.completed, item.updated_at = True, moment
            return user_activity_dto(item)
        except TransactWriteError as error:  # the class or the activity changed since read, or a transaction held one: read both again
            if met_a_transaction(error):
                wait_before_retry(attempt)
            fresh = repo.get_user_activity(org_id, user.id, item.id)
            if fresh is None:
                raise NotFound("user activity") from None
            item = fresh
    raise _busy()
