"""Every 15 minutes: re-drives Bufdir exports stuck pending and fails those that cannot start or whose run died."""

from activity_tracker.bufdir.handlers import sweep_handler as handler

__all__ = ["handler"]
