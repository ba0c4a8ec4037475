"""POST /api/activities/{id}/home-visit-report"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import create_home_visit_report

handler = endpoint(create_home_visit_report, status=201, body="activity:HomeVisitReportCreate", response="activity:HomeVisitReportOut")
