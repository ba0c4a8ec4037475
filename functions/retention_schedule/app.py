"""Daily retention: removes free text older than each organization's setting."""

from activity_tracker.privacy.handlers import retention_schedule as handler

__all__ = ["handler"]
