"""POST /api/activities/{id}/home-visit-report"""

from activity_tracker.api import endpoint
from activity_tracker.logic.activities import create_home_visit_report
from activity_tracker.models.activity import HomeVisitReportCreate, HomeVisitReportOut

handler = endpoint(create_home_visit_report, status=201, body=HomeVisitReportCreate, response=HomeVisitReportOut)
