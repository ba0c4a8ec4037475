"""The traffic profile the scale model runs (docs/scaling.md explains each figure).

Rates are per active mentor per day; what coordinators do is folded in per mentor (one coordinator
per `MENTORS_PER_COORDINATOR` mentors, who reviews every activity once). The names are the request
kinds measured by `make bench capacity` (scale/work.json).
"""

from __future__ import annotations

PER_MENTOR_DAY: dict[str, float] = {
    "users_me": 3.0,  # the app opens (profile and role)
    "profile_patch": 0.02,
    "contact_create": 0.2,
    "activity_create": 2.0,  # activities logged online, one request each
    "activity_sync_batch": 0.4,  # offline batches of 5: two more activities a day
    "sync_pull": 6.0,  # the device pulls changes (WatermelonDB), incremental
    "activity_list": 3.0,  # the mentor's own list, a page of 25
    "stats_me": 1.0,
    "activity_patch": 0.4,
    "coordinator_queue": 1.0,  # a coordinator reads the review queue 20 times a day
    "activity_review": 4.0,  # every activity reviewed once
    "stats_organization": 0.1,  # a coordinator twice a day
    "class_create": 0.1,
    "class_join": 0.5,  # learners' class joins
    "progress_upsert": 0.0,  # the learning app's progress rows: not part of the mentors' day
}
ACTIVITIES_PER_MENTOR_DAY = PER_MENTOR_DAY["activity_create"] + 5 * PER_MENTOR_DAY["activity_sync_batch"]
MENTORS_PER_COORDINATOR = 20
COORDINATOR_KINDS = frozenset({"coordinator_queue", "activity_review", "stats_organization"})

EXPORTS_PER_ORGANIZATION_MONTH = 1  # the scheduled Bufdir export: every approved activity of the month
PEAK_HOUR_SHARE = 0.2  # the busiest hour carries a fifth of the day (one time zone: every organization peaks together)
PEAK_SECOND_FACTOR = 2.0  # the busiest second against the busiest hour's mean (people sync after the same meeting)
RETENTION_YEARS = 3  # activities kept in the table (storage, and so partitions and stream shards)
DAYS_PER_MONTH = 30

# Organization sizes (share of organizations, active mentors each) for the scales with many organizations.
SIZE_DISTRIBUTION: list[tuple[float, int]] = [(0.6, 20), (0.3, 100), (0.09, 500), (0.01, 2_000)]


def organizations(count: int, giant: int | None = None) -> list[tuple[int, int]]:
    """(organizations, mentors each) for `count` organizations drawn from SIZE_DISTRIBUTION; with
    `giant`, one of them (taken from the smallest group) has that many mentors."""
    groups = [[round(share * count), size] for share, size in SIZE_DISTRIBUTION]
    groups[0][0] += count - sum(n for n, _ in groups)
    if giant:
        groups[0][0] -= 1
        groups.append([1, giant])
    return [(n, size) for n, size in groups if n > 0]


SCALES: list[tuple[str, list[tuple[int, int]]]] = [
    ("1 organization of 50 mentors", [(1, 50)]),
    ("10 organizations", organizations(10)),
    ("100 organizations", organizations(100)),
    ("1,000 organizations", organizations(1_000)),
    ("10,000 organizations, one of 50,000 mentors", organizations(10_000, giant=50_000)),
]
