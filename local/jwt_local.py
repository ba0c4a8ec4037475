"""Local JWTs, checked as API Gateway's JWT authorizer would (HS256 stands in for Cognito's RS256)."""

from __future__ import annotations

import os
import time
from typing import Any

import jwt

DEFAULT_SECRET = "activity-tracker-local-development-secret"
ISSUER = "activity-tracker-local"
AUDIENCE = "activity-tracker"


def secret() -> str:
    return os.environ.get("LOCAL_JWT_SECRET") or DEFAULT_SECRET


LOCAL_TOKEN_TTL_SECONDS = 8 * 3600  # `make token` and `make seed`: a working day


def mint(sub: str, email: str, org_id: str, campus_id: str | None = None, ttl_seconds: int = 3600, *, verified: bool = True, **extra: Any) -> str:
    """A token as Cognito's ID token carries it; `verified=False` for an email not verified yet."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "sub": sub, "email": email, "email_verified": verified, "custom:org_id": org_id,
        "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + ttl_seconds, **extra,
    }  # fmt: skip
    if campus_id:
        claims["custom:campus_id"] = campus_id
    return jwt.encode(claims, secret(), algorithm="HS256")


class InvalidToken(Exception):
    pass


def verify(authorization: str | None) -> dict[str, Any]:
    """Claims of a valid `Authorization` header value; InvalidToken otherwise."""
    if not authorization:
        raise InvalidToken("missing Authorization header")
    token = authorization.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    try:
        return jwt.decode(token, secret(), algorithms=["HS256"], audience=AUDIENCE, issuer=ISSUER, options={"require": ["exp", "iss", "aud", "sub"]})
    except jwt.PyJWTError as error:
        raise InvalidToken(str(error)) from None


def stable_sub(email: str) -> str:
    """The same user id for the same email, so `make token` twice names one user."""
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"activity-tracker-local:{email.lower()}"))
