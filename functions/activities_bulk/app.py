"""POST /api/activities/bulk"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import bulk_register

handler = endpoint(bulk_register, status=201, body="activity:BulkRequest", response="activity:BulkResults")
