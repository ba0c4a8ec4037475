"""Retention of free text: an organization may set `retention.free_text_years` (PATCH
/api/organization); the daily schedule then removes the free text of its activities dated more
than that many years ago (summary, rejection reason, calendar UID, home-visit reports' content),
as erasure does (`text.py`): activities and every figure stay. Without the setting nothing is removed.

One run per organization and UTC day (`ORG#o#RETENTION#<day>`, listed by GSI2
`ORG#o#RETENTION_RUNS`), a job of `jobs.py`: it records its cut-off, its place and what it removed.
A run that is cut short (out of time, an error) is continued by the next invocation (the schedule's
retries, `make retention`, or the next day's schedule, which finishes the unfinished run first)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from activity_tracker import keys
from activity_tracker.clock import now
from activity_tracker.privacy import jobs
from activity_tracker.privacy.text import add, has_text, remove_activity_text
from activity_tracker.repository.table import plain_item
from activity_tracker.rules.audit import SYSTEM as SYSTEM_ACTOR

MAX_YEARS = 100


def runs_of_org(org_id: str) -> str:
    return f"ORG#{org_id}#RETENTION_RUNS"


def years_of(org: Any) -> int | None:
    years = (getattr(org, "retention", None) or {}).get("free_text_years")
    return int(years) if years else None


def cutoff(today: date, years: int) -> str:
    """The first day whose activities keep their text: `years` before today (29 February → 28)."""
    try:
        return today.replace(year=today.year - years).isoformat()
    except ValueError:
        return today.replace(year=today.year - years, day=28).isoformat()


def _older(partition: str) -> Callable[[jobs.JobItem, Any, dict[str, int]], Any]:
    def step(job: jobs.JobItem, cursor: Any, counts: dict[str, int]) -> Any:
        org_id = job.organization_id
        request = {
            "IndexName": "gsi2", "KeyConditionExpression": "gsi2pk = :p AND gsi2sk < :cutoff",
            "ExpressionAttributeValues": {":p": {"S": partition.format(org=org_id)}, ":cutoff": {"S": (job.settings or {})["before"]}},
        }  # fmt: skip
        items, cursor = jobs.pages(request, cursor)
        for raw in items:
            activity = plain_item(raw) or {}
            if has_text(activity):
                add(counts, remove_activity_text(org_id, activity["id"], actor=SYSTEM_ACTOR))
        return cursor

    return step


STEPS: list[tuple[str, jobs.Step]] = [
    ("activities", _older(keys.activities_of_org("{org}"))),
    ("deleted_activities", _older(keys.deleted_activities_of_org("{org}"))),
]


def _latest(org_id: str) -> jobs.JobItem | None:
    return next(iter(jobs.JobItem.by_organization.query(runs_of_org(org_id), scan_index_forward=False, limit=1)), None)


def run_org(org: Any, today: date, seconds_left: Callable[[], float] | None = None) -> str | None:
    """Continue the organization's unfinished run, else start today's (once a day). None: nothing to do."""
    latest = _latest(org.id)
    if latest is not None and latest.status != "done":
        job = jobs.get(latest.pk, latest.sk) or latest
    else:
        years = years_of(org)
        if years is None or (latest is not None and latest.gsi2sk >= today.isoformat()):
            return None
        day = today.isoformat()
        job = jobs.new(
            jobs.RETENTION_RUN, keys.retention_run_pk(org.id, day), keys.RETENTION_RUN_SK, day, org.id,
            settings={"free_text_years": years, "before": cutoff(today, years)}, gsi2pk=runs_of_org(org.id), gsi2sk=day,
        )  # fmt: skip
        if not jobs.create(job):
            job = jobs.get(job.pk, job.sk) or job
    if job.status == "failed":
        jobs.requeue(job)
        job.refresh(consistent_read=True)
    if job.status == "done" or not jobs.claim(job):
        return None
    return jobs.run_steps(job, STEPS, seconds_left)


def run_all(seconds_left: Callable[[], float] | None = None, today: date | None = None) -> dict[str, Any]:
    """Every organization with a retention setting (or an unfinished run): its run, continued or started."""
    from activity_tracker.api import logger
    from activity_tracker.repository.organizations import OrganizationItem

    today = today or now().date()
    outcomes: dict[str, str] = {}
    for org in OrganizationItem.every_organization.query(keys.ALL_ORGANIZATIONS):
        outcome = run_org(org, today, seconds_left)
        if outcome is not None:
            outcomes[org.id] = outcome
    logger.info("retention runs", extra={"outcomes": outcomes})
    return {"runs": outcomes}
