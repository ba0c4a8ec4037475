"""Environment settings, validated once per container."""

from __future__ import annotations

import os
from functools import lru_cache

from pydantic import BaseModel, Field

DEFAULT_TABLE_NAME = "activity-tracker"


class Settings(BaseModel):
    table_name: str = DEFAULT_TABLE_NAME
    admin_emails: frozenset[str] = Field(default_factory=frozenset)
    exports_bucket: str = "activity-tracker-exports"
    max_body_bytes: int = 256 * 1024
    exports_daily_quota: int = 20  # Bufdir exports an organization's users may request per UTC day (template: ExportsDailyQuota)

    @classmethod
    def from_env(cls) -> Settings:
        emails = os.environ.get("ADMIN_EMAILS", "")
        return cls(
            table_name=os.environ.get("TABLE_NAME", DEFAULT_TABLE_NAME),
            admin_emails=frozenset(e.strip().lower() for e in emails.split(",") if e.strip()),
            exports_bucket=os.environ.get("EXPORTS_BUCKET", "activity-tracker-exports"),
            exports_daily_quota=int(os.environ.get("EXPORTS_DAILY_QUOTA") or 20),
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings.from_env()
