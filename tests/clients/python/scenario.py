"""A mobile developer's scenario against the client generated from docs/openapi.json by
openapi-python-client with its default settings (package `activity_tracker_client`), the same
steps as tests/clients/typescript/scenario.ts: sign in, log an activity, sync, list with a cursor,
review, export. make test generates the client into a temporary directory, type-checks this file
with `mypy --strict` against it and runs it against a local stack
(tests/e2e/test_generated_clients.py): BASE_URL, MEMBER_TOKEN and ADMIN_TOKEN in the environment.
A change of docs/openapi.json that breaks this code breaks the build."""

from __future__ import annotations

import datetime
import io
import os
import time
from typing import TypeVar

from activity_tracker_client import AuthenticatedClient
from activity_tracker_client.api.activities import activities_create, activities_get, activities_list, activities_review, activities_sync
from activity_tracker_client.api.calendar import calendar_import
from activity_tracker_client.api.contacts import contacts_create
from activity_tracker_client.api.exports import exports_create, exports_get
from activity_tracker_client.api.sync import sync_pull
from activity_tracker_client.api.users import users_me_get, users_me_patch
from activity_tracker_client.models import (
    ActivityCreate,
    ActivityCreateActivityType,
    ActivityReview,
    ActivityReviewAction,
    ContactCreate,
    Error,
    ErrorErrorCode,
    ExportCreate,
    ExportCreateFormat,
    ExportOutStatus,
    GatewayError,
    MePatch,
    SyncedItem,
    SyncedItemOutcome,
    SyncRequest,
    UserOutRole,
)
from activity_tracker_client.types import UNSET, File, Response

T = TypeVar("T")


def api(base_url: str, token: str) -> AuthenticatedClient:
    """Signing in is Cognito's part: the app holds an ID token and sends it on every request.
    An answer the contract does not document raises (errors.UnexpectedStatus)."""
    return AuthenticatedClient(base_url=base_url, token=token, raise_on_unexpected_status=True)


def ok(step: str, response: Response[T | Error | GatewayError]) -> T:
    """The success body, or a clear failure with the error envelope's code and request id."""
    parsed = response.parsed
    if isinstance(parsed, Error):
        raise AssertionError(f"{step}: HTTP {response.status_code}: {parsed.error.code} {parsed.error.message} (request {parsed.error.request_id})")
    if isinstance(parsed, GatewayError) or parsed is None:
        raise AssertionError(f"{step}: HTTP {response.status_code}: {response.content!r}")
    return parsed


def scenario(base_url: str, member_token: str, admin_token: str) -> None:
    member, admin = api(base_url, member_token), api(base_url, admin_token)

    # sign in: the first authenticated request creates the user
    me = ok("sign in", users_me_get.sync_detailed(client=member))
    renamed = ok("profile", users_me_patch.sync_detailed(client=member, body=MePatch(name="Mona Mentor")))
    assert renamed.name == "Mona Mentor" and renamed.id == me.id
    assert ok("admin sign in", users_me_get.sync_detailed(client=admin)).role == UserOutRole.ADMIN

    # a contact, then an activity with it, typed as the user typed the date
    contact = ok("contact", contacts_create.sync_detailed(client=member, body=ContactCreate(name="Kari Nordmann")))
    visit = ActivityCreate(activity_date=datetime.date(2026, 11, 20), activity_type=ActivityCreateActivityType.HOME_VISIT, duration_minutes=45, contact_id=contact.id)
    created = activities_create.sync_detailed(client=member, body=visit)
    activity = ok("log an activity", created)
    assert created.status_code == 201 and activity.warnings == []
    assert activity.local_date == datetime.date(2026, 11, 20)
    assert activity.activity_date.tzinfo is not None

    # offline: a batch of activities born on the device, then a pull of what changed
    items = [ActivityCreate(activity_date=datetime.date(2026, 10, day), activity_type=ActivityCreateActivityType.PHONE_CALL, duration_minutes=10, local_id=f"device-{me.id}-{day}") for day in (1, 2, 3)]
    for result in ok("sync", activities_sync.sync_detailed(client=member, body=SyncRequest(items=items))).results:
        assert isinstance(result, SyncedItem), result
        assert result.outcome == SyncedItemOutcome.CREATED and result.activity.local_id == result.local_id
    pulled = ok("pull", sync_pull.sync_detailed(client=member, last_pulled_at=0))
    on_device = pulled.changes.activities.created + pulled.changes.activities.updated
    assert any(record.server_id == activity.id and record.local_date == datetime.date(2026, 11, 20) for record in on_device)

    # the member's list, two at a time, following next_cursor to the end
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page = ok("list", activities_list.sync_detailed(client=member, limit=2, cursor=cursor if cursor is not None else UNSET))
        assert len(page.items) <= 2
        seen += [item.id for item in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == 4 and seen[0] == activity.id  # newest activity_date first

    # a coordinator or admin reviews it; the member sees it approved
    reviewed = ok("review", activities_review.sync_detailed(activity.id, client=admin, body=ActivityReview(action=ActivityReviewAction.APPROVE)))
    assert reviewed.status.value == "approved"
    assert ok("get", activities_get.sync_detailed(activity.id, client=member)).version == reviewed.version

    # a member may not review: the error envelope, typed
    refused = activities_review.sync_detailed(activity.id, client=member, body=ActivityReview(action=ActivityReviewAction.REOPEN)).parsed
    assert isinstance(refused, Error) and refused.error.code == ErrorErrorCode.FORBIDDEN

    # a calendar file previewed (dry run): one outcome per event, nothing written
    day = (datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=2)).strftime("%Y%m%d")
    ics = f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//clients//EN\r\nBEGIN:VEVENT\r\nUID:client-{day}@example.org\r\nDTSTAMP:{day}T080000Z\r\nDTSTART:{day}T090000Z\r\nDTEND:{day}T100000Z\r\nSUMMARY:Visit\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    preview = ok("calendar preview", calendar_import.sync_detailed(client=member, body=File(payload=io.BytesIO(ics.encode()), mime_type="text/calendar"), dry_run=True))
    assert preview.dry_run and [r.outcome.value for r in preview.results] == ["created"], preview

    # the Bufdir export of November
    queued = ok("export", exports_create.sync_detailed(client=admin, body=ExportCreate(period_start=datetime.date(2026, 11, 1), period_end=datetime.date(2026, 11, 30), format_=ExportCreateFormat.CSV)))
    for _ in range(100):
        export = ok("export status", exports_get.sync_detailed(queued.id, client=admin))
        if export.status not in (ExportOutStatus.PENDING, ExportOutStatus.RUNNING):
            break
        time.sleep(0.1)
    assert export.status == ExportOutStatus.DONE and isinstance(export.url, str) and export.row_count is not None, export


if __name__ == "__main__":
    scenario(os.environ["BASE_URL"], os.environ["MEMBER_TOKEN"], os.environ["ADMIN_TOKEN"])
    print('{"ok": true}')
