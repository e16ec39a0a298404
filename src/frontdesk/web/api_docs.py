"""/api/v1/docs: Swagger UI served from Frontdesk's own static files, so the docs work without internet.

The assets are vendored from the npm package swagger-ui-dist (version and licence in
web/static/vendor/swagger-ui/README.md). The page has no inline script (``static/api-docs.js`` starts Swagger
UI), so it fits a Content-Security-Policy of ``script-src 'self'``. Swagger UI's online validator badge is
switched off in that script: it would send the schema's address to validator.swagger.io.
"""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"
VENDOR_URL = "/static/vendor/swagger-ui"
DOCS_PATH = "/api/v1/docs"

router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
async def api_docs(request: Request) -> HTMLResponse:
    version = f"?v={SWAGGER_UI_VERSION}"
    return HTMLResponse(f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(request.app.title)} API</title>
<link rel="stylesheet" href="{VENDOR_URL}/swagger-ui.css{version}">
<link rel="icon" href="{VENDOR_URL}/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(request.app.openapi_url or "")}"></div>
<script src="{VENDOR_URL}/swagger-ui-bundle.js{version}"></script>
<script src="/static/api-docs.js{version}"></script>
</body>
</html>
""")
