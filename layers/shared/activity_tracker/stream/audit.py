"""The audit trail, written by the stream consumer: one entry per audited stream record, so no
route can forget it. Each entry is stored twice, under deterministic keys made from the record
(its time and eventID): in the organization's month (`ORG#o#AUDIT#yyyy-mm`, the admin's list) and,
for an activity or its home-visit report, beside the activity (`ORG#o#ACT#id / AUDIT#...`, its
history). A redelivered record rewrites the same items with the same content (an idempotent put),
so the trail holds each change exactly once however often the stream delivers it.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

from activity_tracker import keys
from activity_tracker.repository.table import TABLE_NAME, connection
from activity_tracker.rules.audit import AuditEntry, entry_of
from activity_tracker.settings import get_settings
from activity_tracker.stream.images import Change

ENTITY = "AUDIT"
BATCH_WRITE_ITEMS = 25  # BatchWriteItem's limit
MAX_ATTEMPTS = 5


def expires_at(entry: AuditEntry, retention_days: int) -> int:
    """The entry's TTL: its time plus the retention (deterministic: a redelivery writes the same)."""
    moment = datetime.fromisoformat(entry.at.replace("Z", "+00:00")) if entry.at else datetime.fromtimestamp(0)
    return int(moment.timestamp()) + retention_days * 24 * 3600


def items_of(entry: AuditEntry, retention_days: int) -> list[dict[str, Any]]:
    """The entry as raw DynamoDB items: in the organization's month, and in its activity's history."""
    body: dict[str, Any] = {
        "type": {"S": ENTITY}, "id": {"S": entry.id}, "organization_id": {"S": entry.organization_id}, "at": {"S": entry.at},
        "entity": {"S": entry.entity}, "entity_id": {"S": entry.entity_id}, "action": {"S": entry.action},
        "changes": {"S": json.dumps(entry.changes, separators=(",", ":"), sort_keys=True, default=str)},
        "expires_at": {"N": str(expires_at(entry, retention_days))},
    }  # fmt: skip
    if entry.actor is not None:
        body["actor"] = {"S": entry.actor}
    if entry.activity_id is not None:
        body["activity_id"] = {"S": entry.activity_id}
    if entry.version is not None:
        body["version"] = {"N": str(entry.version)}
    month = {"pk": {"S": keys.audit_pk(entry.organization_id, entry.at[:7])}, "sk": {"S": keys.audit_sk(entry.at, entry.id)}}
    out = [{**month, **body}]
    if entry.activity_id is not None:
        out.append({"pk": {"S": keys.activity_pk(entry.organization_id, entry.activity_id)}, "sk": {"S": keys.history_sk(entry.at, entry.id)}, **body})
    return out


def record(changes: list[Change], client: Any = None) -> list[str]:
    """Write the audit entries of a batch's records; returns the eventIDs whose entries could not be
    written (reported as batch item failures, so Lambda delivers them again)."""
    from botocore.exceptions import BotoCoreError, ClientError

    retention = get_settings().audit_retention_days
    pending: list[tuple[str, dict[str, Any]]] = []
    for change in changes:
        entry = entry_of(change)
        if entry is not None:
            pending += [(change.event_id, item) for item in items_of(entry, retention)]
    if not pending:
        return []
    client = client or connection().client
    failed: set[str] = set()
    for start in range(0, len(pending), BATCH_WRITE_ITEMS):
        chunk = pending[start : start + BATCH_WRITE_ITEMS]
        owner = {(item["pk"]["S"], item["sk"]["S"]): event_id for event_id, item in chunk}
        requests = [{"PutRequest": {"Item": item}} for _, item in chunk]
        try:
            for attempt in range(MAX_ATTEMPTS):
                response = client.batch_write_item(RequestItems={TABLE_NAME: requests})
                requests = (response.get("UnprocessedItems") or {}).get(TABLE_NAME, [])
                if not requests:
                    break
                time.sleep(0.05 * 2**attempt)
        except (BotoCoreError, ClientError):
            pass  # what is left of the chunk fails below: the consumer logs it and Lambda delivers it again
        failed |= {owner[(r["PutRequest"]["Item"]["pk"]["S"], r["PutRequest"]["Item"]["sk"]["S"])] for r in requests}
    return sorted(failed)
