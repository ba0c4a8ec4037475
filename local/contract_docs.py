"""`make local` serves the contract a newcomer codes against: docs/openapi.json rendered by Redoc at
`/docs`, and the file itself at `/docs/openapi.json`. Local only (no route of template.yaml, no
token needed), like `/_local/...`. The page loads Redoc from jsDelivr, pinned by version and
Subresource Integrity (the npm package redoc's own bundle); offline, `/docs/openapi.json` still answers."""

from __future__ import annotations

from local.template import ROOT

OPENAPI_FILE = ROOT / "docs" / "openapi.json"

REDOC_VERSION = "2.5.4"
REDOC_URL = f"https://cdn.jsdelivr.net/npm/redoc@{REDOC_VERSION}/bundles/redoc.standalone.js"
REDOC_INTEGRITY = "sha384-w447zOpYfw/1Tv/5AK9NfHTlQIqE3RVR6KY62jCyy9zNDgO64cMwGGP1Fj0zJVf5"  # sha384 of that file in the npm tarball

PAGE = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>activity-tracker API (local)</title>
</head>
<body>
  <noscript>Redoc needs JavaScript: read <a href="/docs/openapi.json">/docs/openapi.json</a> (OpenAPI 3.1) instead.</noscript>
  <redoc spec-url="/docs/openapi.json" hide-hostname="true" path-in-middle-panel="true"></redoc>
  <script src="{REDOC_URL}" integrity="{REDOC_INTEGRITY}" crossorigin="anonymous"></script>
</body>
</html>
"""


def page(path: str) -> tuple[str, bytes] | None:
    """(content type, body) of a docs path, or None when `path` is not one. The file is read on
    each request, so a `make openapi` while the stack runs shows at once."""
    if path in ("/docs", "/docs/"):
        return "text/html; charset=utf-8", PAGE.encode()
    if path == "/docs/openapi.json":
        return "application/json", OPENAPI_FILE.read_bytes()
    return None
