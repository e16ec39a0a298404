"""/api/v1/docs: Swagger UI served from Frontdesk's own static files, so the docs work without internet.

The assets are vendored from the npm package swagger-ui-dist (version and licence in
web/static/vendor/swagger-ui/README.md). Swagger UI's online validator badge is switched off: it would
send the schema's address to validator.swagger.io.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

SWAGGER_UI_VERSION = "5.35.0"
VENDOR_URL = "/static/vendor/swagger-ui"
DOCS_PATH = "/api/v1/docs"

router = APIRouter(include_in_schema=False)


@router.get(DOCS_PATH)
async def api_docs(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        swagger_js_url=f"{VENDOR_URL}/swagger-ui-bundle.js?v={SWAGGER_UI_VERSION}",
        swagger_css_url=f"{VENDOR_URL}/swagger-ui.css?v={SWAGGER_UI_VERSION}",
        swagger_favicon_url=f"{VENDOR_URL}/favicon-32x32.png",
        oauth2_redirect_url=None,
        swagger_ui_parameters={"validatorUrl": None},
    )
