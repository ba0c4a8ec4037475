"""Personal-data export worker: runs each data export queued in the table (fed by its stream)."""

from activity_tracker.privacy.handlers import data_export_worker as handler

__all__ = ["handler"]
