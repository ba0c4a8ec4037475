"""POST /api/activities/bulk"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import bulk_register
from activity_tracker.models.activity import BulkRequest, BulkResults

handler = endpoint(bulk_register, status=201, body=BulkRequest, response=BulkResults)
