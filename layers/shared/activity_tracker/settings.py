"""Environment settings, read once per container (a plain dataclass: importing it costs nothing)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache

DEFAULT_TABLE_NAME = "activity-tracker"


@dataclass
class Settings:
    table_name: str = DEFAULT_TABLE_NAME
    admin_emails: frozenset[str] = field(default_factory=frozenset)
    exports_bucket: str = "activity-tracker-exports"
    max_body_bytes: int = 256 * 1024
    exports_daily_quota: int = 20  # Bufdir exports an organization's users may request per UTC day (template: ExportsDailyQuota)
    audit_retention_days: int = 730  # audit entries live this long (TTL), and are shown this far back (template: AuditRetentionDays)

    @classmethod
    def from_env(cls) -> Settings:
        emails = os.environ.get("ADMIN_EMAILS", "")
        return cls(
            table_name=os.environ.get("TABLE_NAME", DEFAULT_TABLE_NAME),
            admin_emails=frozenset(e.strip().lower() for e in emails.split(",") if e.strip()),
            exports_bucket=os.environ.get("EXPORTS_BUCKET", "activity-tracker-exports"),
            exports_daily_quota=int(os.environ.get("EXPORTS_DAILY_QUOTA") or 20),
            audit_retention_days=int(os.environ.get("AUDIT_RETENTION_DAYS") or 730),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
