"""Who calls, from the JWT claims API Gateway hands over (strings) or a decoded token (JSON types)."""

from __future__ import annotations

from typing import Any

import pytest

from activity_tracker.api import caller_from_event


def event(**claims: Any) -> dict[str, Any]:
    return {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "s-1", "custom:org_id": "org-1", **claims}}}}}


@pytest.mark.parametrize(("verified", "email"), [(True, "a@b.example"), ("true", "a@b.example"), (False, ""), ("false", ""), (None, ""), ("TRUE ", ""), ("yes", "")])
def test_the_email_counts_only_when_verified(verified: Any, email: str):
    claims = {"email": " A@B.example "} | ({} if verified is None else {"email_verified": verified})
    assert caller_from_event(event(**claims)).email == email
