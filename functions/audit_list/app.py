"""GET /api/audit"""

from activity_tracker.api import endpoint
from activity_tracker.logic.audit import organization_audit

handler = endpoint(organization_audit, query="audit:AuditQuery", response="audit:AuditPage")
