"""The OpenAPI document, with every error an operation can answer described as ``application/problem+json``.

Errors are added from what each operation is (rather than listed by hand on each route), so a new route
documents its errors by construction:

- 400, 413, 422 on every operation (the input guard and validation answer for the query string and body
  of any request), and 415 on those with a body (the guard takes multipart only where a file is uploaded);
- 401, 403 and 429 on operations that need an API key (API keys are rate limited), 429 on the public ones
  (limited per IP address);
- 404 on operations that name a record (in the path, the query or the body), which may not exist;
- 409 on operations that write (a unique key or a concurrent write can conflict);
- any other 4xx a route declares itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from frontdesk.errors import PROBLEM_JSON
from frontdesk.inputs import whole_number
from frontdesk.middleware import PUBLIC_PREFIXES

WEBHOOK_ACKNOWLEDGED = "Any 2xx answer acknowledges the delivery; anything else (or no answer in time) is retried"

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}

PROBLEM_SCHEMAS: dict[str, Any] = {
    "FieldError": {
        "type": "object",
        "properties": {
            "field": {"type": "string", "description": "The field at fault, e.g. `lines.0.sku` or `body`"},
            "message": {"type": "string"},
        },
        "required": ["field", "message"],
    },
    "Problem": {
        "type": "object",
        "description": "An error (RFC 9457). `errors` names each field at fault.",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
        },
        "required": ["type", "title", "status", "detail"],
    },
}

DESCRIPTIONS = {
    400: "The body could not be read",
    401: "No API key, or an unknown or revoked one",
    403: "The API key's role may not do this",
    404: "A record the request names does not exist in this workspace",
    409: "The change conflicts with existing data",
    413: "The body is too large",
    415: "The body's media type is not one this operation takes (multipart is only for file uploads)",
    422: "Invalid input; `errors` names each field",
    429: "Too many requests; retry after `Retry-After` seconds",
}
WRITES = {"post", "put", "patch", "delete"}


def error_statuses(method: str, operation: dict[str, Any], path: str = "") -> set[int]:
    statuses = {400, 413, 422}
    if operation.get("security"):
        statuses |= {401, 403, 429}
    if path.startswith(PUBLIC_PREFIXES):  # limited per IP address
        statuses.add(429)
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(404)
    if operation.get("requestBody"):
        statuses.add(415)
    if method in WRITES:
        statuses.add(409)
    statuses |= {number for code in operation.get("responses", {}) if 400 <= (number := whole_number(code) or 0) < 500}
    return statuses


def with_problem_responses(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with every operation's 4xx answers as problem+json (FastAPI's own 422 replaced)."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.update(PROBLEM_SCHEMAS)
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    for path, path_item in document.get("paths", {}).items():
        for method, operation in path_item.items():
            if method not in {"get", "put", "post", "patch", "delete", "head", "options"}:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(method, operation, path)):
                declared = responses.get(str(status), {})
                description = declared.get("description")
                if not description or description == "Validation Error":  # FastAPI's own, about its own schema
                    description = DESCRIPTIONS.get(status, "Error")
                responses[str(status)] = {
                    "description": description,
                    "content": {PROBLEM_JSON: {"schema": PROBLEM_REF}},
                    **({"headers": declared["headers"]} if "headers" in declared else {}),
                }
            operation["responses"] = dict(sorted(responses.items()))
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the document above at the app's ``openapi_url``."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
                webhooks=app.webhooks.routes,
                servers=app.servers,
            )
            for path_item in document.get("webhooks", {}).values():
                for operation in path_item.values():
                    # A webhook is a request Frontdesk sends: FastAPI's own 422 (a schema the document drops)
                    # describes nothing; the receiver's 2xx is what counts.
                    operation["responses"] = {"200": {"description": WEBHOOK_ACKNOWLEDGED}}
            app.openapi_schema = with_problem_responses(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
