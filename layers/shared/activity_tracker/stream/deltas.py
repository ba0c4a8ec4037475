"""What each stream record changes in the counters, from its old and new images (pure).

A counter is an item (`pk`, `sk`) with numeric fields. The contribution of an image is what that
state of the item adds to the counters; a record's delta is contribution(new) - contribution(old),
so creates, edits (date, type, duration), soft deletes, restores, rejections and reopenings all
move the counters by exactly what changed.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from activity_tracker import keys

CounterKey = tuple[str, str]
Deltas = dict[CounterKey, dict[str, int]]

ACTIVITY, USER_ACTIVITY = "ACTIVITY", "USER_ACTIVITY"


def stats_sk(month: str) -> str:
    return f"STATS#{month}"


def type_field(activity_type: str) -> str:
    return f"type_{activity_type}"


def counted(image: dict[str, Any] | None) -> bool:
    """Statistics count activities that are neither deleted nor rejected."""
    if not image:
        return False
    return image.get("type") == ACTIVITY and not image.get("deleted_at") and image.get("status") != "rejected"


def contribution(image: dict[str, Any] | None) -> Deltas:
    out: Deltas = {}
    if counted(image):
        assert image is not None
        org, user, month = image["organization_id"], image["user_id"], image["local_date"][:7]
        fields = {"activity_count": 1, "duration_minutes": int(image["duration_minutes"]), type_field(image["activity_type"]): 1}
        out[(keys.user_pk(org, user), stats_sk(month))] = dict(fields)
        out[(keys.org_pk(org), stats_sk(month))] = dict(fields)  # active_users: see counters.with_active_users
    elif image and image.get("type") == USER_ACTIVITY and image.get("completed"):
        out[(keys.user_pk(image["organization_id"], image["user_id"]), keys.PROFILE_SK)] = {"total_classes": 1}
    return out


def delta(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Deltas:
    result: Deltas = defaultdict(dict)
    for sign, image in ((1, new), (-1, old)):
        for key, fields in contribution(image).items():
            for name, value in fields.items():
                result[key][name] = result[key].get(name, 0) + sign * value
    return {key: {n: v for n, v in fields.items() if v} for key, fields in result.items() if any(fields.values())}


def merge(into: Deltas, more: Deltas) -> None:
    for key, fields in more.items():
        target = into.setdefault(key, {})
        for name, value in fields.items():
            target[name] = target.get(name, 0) + value
