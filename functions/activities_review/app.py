"""POST /api/activities/{id}/review"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import review_activity

handler = endpoint(review_activity, body="activity:ActivityReview", response="activity:ActivityOut")
