"""The audit trail's entries, from a stream record's old and new images (pure: no AWS call).

An entry says who (`actor`), when (`at`), what (`entity`, `entity_id`, `action`) and which fields
changed from what to what (`changes`). Fields are shown by an allow-list per entity: only values
known to carry no personal text are shown; every other field (free text, notes, home-visit report
content, names, emails, phones, image links, and any field added later and not listed here) is
shown as `REDACTED` (or null when it was empty), so the entry still says *that* it changed. An
audit entry therefore holds ids, codes, dates, numbers and flags, never a person's words: erasing
a person (issue 17's erasure) has nothing to scrub from it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from activity_tracker.stream.images import Change

REDACTED = "[redacted]"

# The item type (stream images' `type`) -> the entity as the API names it.
ENTITIES = {
    "ACTIVITY": "activity",
    "HOME_VISIT_REPORT": "home_visit_report",
    "USER": "user",
    "CONTACT": "contact",
    "ORGANIZATION": "organization",
    "EXPORT": "export",
}
ENTITY_NAMES = tuple(ENTITIES.values())
ACTIONS = ("created", "updated", "reviewed", "deleted", "restored", "removed", "downloaded")
SYSTEM = "system"  # the actor of the stream consumer's own flags (duplicate mark, home-visit flag)

# Never diffed: keys, index keys, and bookkeeping that every write moves (the entry carries who,
# when and the version itself).
BOOKKEEPING = frozenset({"pk", "sk", "type", "lsi1sk", "id", "organization_id", "created_at", "updated_at", "updated_by", "version", "expires_at", "local_date"})
# Shown as they are: ids, codes, dates, numbers and flags. Anything else is redacted.
SHOWN: dict[str, frozenset[str]] = {
    "ACTIVITY": frozenset({
        "user_id", "registered_by_user_id", "activity_date", "duration_minutes", "activity_type", "contact_id", "is_group_activity",
        "participant_count", "is_proxy_registration", "is_bulk_registration", "status", "reviewed_by_user_id", "reviewed_at",
        "duplicate_of_activity_id", "has_home_visit_report", "bufdir_eligible", "bufdir_excluded", "local_id", "registration_mode", "deleted_at",
    }),  # redacted: summary, rejection_reason, calendar_event_uid (a calendar's id may embed an address)
    "HOME_VISIT_REPORT": frozenset({"activity_id", "created_by_user_id"}),  # redacted: content
    "USER": frozenset({"nivel", "active", "newsletter", "role", "campus_id"}),  # redacted: email, name, image, localidad, telefono
    "CONTACT": frozenset({"created_by_user_id", "deleted_at"}),  # redacted: name, notes
    "ORGANIZATION": frozenset({"name", "timezone", "is_test_organization", "activity_type_categories", "calendar_activity_types", "retention"}),  # the organization's, not a person's
    "EXPORT": frozenset(),
}  # fmt: skip
# Not changes anyone made: counters the consumer keeps on the item.
IGNORED: dict[str, frozenset[str]] = {"USER": frozenset({"total_classes"})}
JSON_TEXT = frozenset({"activity_type_categories", "calendar_activity_types", "retention"})  # stored as JSON text (PynamoDB JSONAttribute), shown as the object


@dataclass(frozen=True)
class AuditEntry:
    id: str  # the stream record's eventID: the same on every redelivery
    organization_id: str
    at: str  # ISO 8601 UTC, ms
    actor: str | None  # a user id, `system`, or None (not known: a removal, or an item written before the trail)
    entity: str
    entity_id: str
    action: str
    changes: list[dict[str, Any]] = field(default_factory=list)
    activity_id: str | None = None  # the activity an activity's or a home-visit report's entry belongs to
    version: int | None = None  # the activity's version after the change

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "organization_id": self.organization_id, "at": self.at, "actor": self.actor, "entity": self.entity,
            "entity_id": self.entity_id, "activity_id": self.activity_id, "action": self.action, "version": self.version, "changes": self.changes,
        }  # fmt: skip


def _value(name: str, value: Any) -> Any:
    if name in JSON_TEXT and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _empty(value: Any) -> bool:
    return value is None or value == ""


def diff(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The fields that differ between two images, by name: `{field, old, new, redacted}`, a
    redacted field's values shown as `REDACTED` (null when empty)."""
    old, new = old or {}, new or {}
    shown, ignored = SHOWN.get(kind, frozenset()), IGNORED.get(kind, frozenset()) | BOOKKEEPING
    changes = []
    for name in sorted(set(old) | set(new)):
        if name in ignored or name.startswith("gsi"):
            continue
        before, after = old.get(name), new.get(name)
        if before == after or (_empty(before) and _empty(after)):
            continue
        if name in shown:
            changes.append({"field": name, "old": _value(name, before), "new": _value(name, after), "redacted": False})
        else:
            changes.append({"field": name, "old": None if _empty(before) else REDACTED, "new": None if _empty(after) else REDACTED, "redacted": True})
    return changes


def _iso_seconds(epoch: int | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _action(kind: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if old is None:
        return "created"
    if new is None:
        return "removed"
    if not old.get("deleted_at") and new.get("deleted_at"):  # activities and contacts are soft-deleted
        return "deleted"
    if old.get("deleted_at") and not new.get("deleted_at"):
        return "restored"
    if kind == "ACTIVITY" and old.get("status") != new.get("status"):
        return "reviewed"
    return "updated"


def _download(change: Change) -> AuditEntry | None:
    """A download link handed out (`repository.exports.record_download`): the count moved."""
    old, new = change.old or {}, change.new
    if not new or int(new.get("downloads") or 0) <= int(old.get("downloads") or 0) or not new.get("last_downloaded_at"):
        return None
    org = new.get("organization_id")
    if not org:
        return None
    return AuditEntry(change.event_id, org, new["last_downloaded_at"], new.get("last_downloaded_by"), "export", new["id"], "downloaded")


def entry_of(change: Change) -> AuditEntry | None:
    """The audit entry of one stream record, or None: not an audited entity (audit items, counters,
    markers...), or nothing audited changed (a consumer's counter on a user, an export's run)."""
    kind = change.entity
    if kind not in ENTITIES:
        return None
    if kind == "EXPORT":
        return _download(change)
    old, new = change.old, change.new
    image = new or old or {}
    org = image.get("id") if kind == "ORGANIZATION" else image.get("organization_id")
    if not org or not image.get("id"):
        return None
    changes = diff(kind, old, new)
    if not changes and old is not None and new is not None:
        return None
    by_route = new is not None and (old is None or old.get("updated_at") != new.get("updated_at"))
    if kind == "HOME_VISIT_REPORT":
        actor = image.get("created_by_user_id")
    elif by_route:
        actor = new.get("updated_by") if new else None
    else:
        actor = SYSTEM if new is not None else None  # a write that moved neither updated_at nor version: the consumer's own flag
    at = (new.get("updated_at") or new.get("created_at")) if (by_route and new) else None
    at = at or _iso_seconds(change.approximate_at) or image.get("updated_at") or image.get("created_at") or ""
    activity_id = image["id"] if kind == "ACTIVITY" else image.get("activity_id") if kind == "HOME_VISIT_REPORT" else None
    version = int(new["version"]) if kind == "ACTIVITY" and new and new.get("version") is not None else None
    return AuditEntry(change.event_id, org, at, actor, ENTITIES[kind], image["id"], _action(kind, old, new), changes, activity_id, version)
