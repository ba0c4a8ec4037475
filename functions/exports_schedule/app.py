"""Monthly schedule: queues the previous month's Bufdir export for every organization that is not a test organization."""

from activity_tracker.bufdir.handlers import schedule_handler as handler

__all__ = ["handler"]
