"""GET /api/erasures/{id}"""

from activity_tracker.api import endpoint
from activity_tracker.logic.privacy import get_erasure

handler = endpoint(get_erasure, response="privacy:ErasureOut")
