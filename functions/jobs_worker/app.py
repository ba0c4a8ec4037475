"""Job worker: runs each job queued in the table (Bufdir export, personal-data export, erasure), fed by its stream."""

from activity_tracker.stream.jobs import handler

__all__ = ["handler"]
