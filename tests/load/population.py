"""Who the load is: its organizations and their coordinators (admins, by ADMIN_EMAILS). Shared by
the locustfile and its runner without importing locust (which patches the standard library)."""

from __future__ import annotations

import os

RUN = os.environ.get("LOAD_RUN", "run")
ORGANIZATIONS = [f"load-{RUN}-{n}" for n in range(int(os.environ.get("LOAD_ORGANIZATIONS", "4")))]
COORDINATORS_PER_ORG = 5


def coordinator_email(org: str, n: int) -> str:
    return f"coordinator-{n}@{org}.example"


def admin_emails() -> str:
    """The ADMIN_EMAILS the stack under load is started with."""
    return ",".join(coordinator_email(org, n) for org in ORGANIZATIONS for n in range(COORDINATORS_PER_ORG))
