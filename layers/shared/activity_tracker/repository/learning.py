"""Tasks, classes and user activities.

- task `ORG#o#TASK#t / TASK`, listed through GSI2 `ORG#o#TASKS` by `created_at#t`;
- class `ORG#o#CLASS#c / CLASS`, listed through GSI2 `ORG#o#CLASSES` by `scheduled_at#c`; it
  holds `member_activities` ("user|user-activity id" of the host and each participant), the
  participants' set and count; capacity and "joined once" are conditions on this item;
- user activity `ORG#o#USER#u / UA#<class_id>#<id>` (type USER_ACTIVITY), in its user's partition;
  LSI1 `UAID#<id>` finds it by id alone (strongly consistent).
A class and the user activity of whoever books or joins it are written in one transaction.
"""

from __future__ import annotations

from pynamodb.attributes import BooleanAttribute, NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import DoesNotExist

from activity_tracker import keys
from activity_tracker.repository.table import Gsi2, Lsi1, TableItem


class TaskItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    title = UnicodeAttribute()
    content = UnicodeAttribute(null=True)
    answer = UnicodeAttribute(null=True)
    description = UnicodeAttribute(null=True)
    type = UnicodeAttribute(attr_name="task_type")
    difficulty = UnicodeAttribute()
    created_by_user_id = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_organization = Gsi2()


class ClassItem(TableItem):
    id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    host_id = UnicodeAttribute()
    class_type = UnicodeAttribute()
    max_participants = NumberAttribute()
    current_participants = NumberAttribute(default=0)
    participant_ids = UnicodeSetAttribute(null=True)
    member_activities = UnicodeSetAttribute(null=True)  # "user_id|user_activity_id" of the host and every participant
    status = UnicodeAttribute()
    scheduled_at = UnicodeAttribute()
    title = UnicodeAttribute(null=True)
    task_ids = UnicodeSetAttribute(null=True)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    version = NumberAttribute(null=True)  # moved by every change of the class (its ETag); absent on older classes: 0
    gsi2pk = UnicodeAttribute()
    gsi2sk = UnicodeAttribute()
    by_organization = Gsi2()


class UserActivityItem(TableItem):
    id = UnicodeAttribute()
    user_id = UnicodeAttribute()
    organization_id = UnicodeAttribute()
    class_id = UnicodeAttribute()
    task_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute()
    completed = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    lsi1sk = UnicodeAttribute()  # keys.user_activity_by_id
    by_id = Lsi1()


def get_task(org_id: str, task_id: str) -> TaskItem | None:
    try:
        return TaskItem.get(keys.task_pk(org_id, task_id), keys.TASK_SK)
    except DoesNotExist:
        return None


def get_class(org_id: str, class_id: str) -> ClassItem | None:
    try:
        return ClassItem.get(keys.class_pk(org_id, class_id), keys.CLASS_SK, consistent_read=True)
    except DoesNotExist:
        return None


def get_user_activity(org_id: str, user_id: str, user_activity_id: str) -> UserActivityItem | None:
    """The caller's own user activity by id: one strongly consistent Query on LSI1."""
    if not user_activity_id or len(user_activity_id) > 64:
        return None
    found = UserActivityItem.by_id.query(keys.user_pk(org_id, user_id), UserActivityItem.lsi1sk == keys.user_activity_by_id(user_activity_id), consistent_read=True, limit=1)
    return next(iter(found), None)


def new_user_activity(org_id: str, user_id: str, class_id: str, role: str, moment: str, user_activity_id: str, task_id: str | None = None) -> UserActivityItem:
    return UserActivityItem(
        keys.user_pk(org_id, user_id), keys.user_activity_sk(class_id, user_activity_id), entity="USER_ACTIVITY",
        id=user_activity_id, user_id=user_id, organization_id=org_id, class_id=class_id, task_id=task_id,
        role=role, completed=False, created_at=moment, updated_at=moment, lsi1sk=keys.user_activity_by_id(user_activity_id),
    )  # fmt: skip
