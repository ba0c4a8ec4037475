"""POST /api/activities/{id}/review"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import review_activity
from activity_tracker.models.activity import ActivityOut, ActivityReview

handler = endpoint(review_activity, body=ActivityReview, response=ActivityOut)
