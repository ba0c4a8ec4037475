"""Bufdir export worker: runs each export queued in the table (fed by its stream)."""

from activity_tracker.bufdir.handlers import worker_handler as handler

__all__ = ["handler"]
