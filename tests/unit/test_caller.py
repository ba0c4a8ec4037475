"""Who calls, from the JWT claims API Gateway hands over (strings) or a decoded token (JSON types)."""

from __future__ import annotations

from typing import Any

import pytest

from activity_tracker.api import caller_from_event
from activity_tracker.errors import Unauthorized


def event(**claims: Any) -> dict[str, Any]:
    return {"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "s-1", "custom:org_id": "org-1", **claims}}}}}


@pytest.mark.parametrize(("verified", "email"), [(True, "a@b.example"), ("true", "a@b.example"), (False, ""), ("false", ""), (None, ""), ("TRUE ", ""), ("yes", "")])
def test_the_email_counts_only_when_verified(verified: Any, email: str):
    claims = {"email": " A@B.example "} | ({} if verified is None else {"email_verified": verified})
    assert caller_from_event(event(**claims)).email == email


UNSAFE = ["a#b", "ORG#x", "a b", "é", "a/b", "x" * 129, "a\n", "%23", "a|b"]


@pytest.mark.parametrize("claim", ["sub", "custom:org_id", "custom:campus_id"])
@pytest.mark.parametrize("value", UNSAFE)
def test_claims_that_go_into_keys_must_be_safe_ids(claim: str, value: str):
    """Keys join ids with `#`: `custom:org_id = "o#USER#u"` would read user u's partition of o."""
    with pytest.raises(Unauthorized):
        caller_from_event(event(**{claim: value}))


def test_safe_claims_pass_and_an_empty_campus_is_none():
    caller = caller_from_event(event(**{"sub": "7f9c-AB_x.y@z", "custom:org_id": "o" * 128, "custom:campus_id": ""}))
    assert (caller.user_id, caller.org_id, caller.campus_id) == ("7f9c-AB_x.y@z", "o" * 128, None)


def test_an_email_too_long_for_a_key_does_not_count():
    assert caller_from_event(event(email="a@" + "b" * 300, email_verified="true")).email == ""
