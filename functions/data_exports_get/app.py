"""GET /api/data-exports/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.privacy import get_data_export

handler = endpoint(get_data_export, response="privacy:DataExportOut")
