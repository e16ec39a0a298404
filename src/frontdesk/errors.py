"""Errors as ``application/problem+json`` (RFC 9457), always naming the field at fault."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException

PROBLEM_JSON = "application/problem+json"


class FieldError(dict[str, str]):
    """``{"field": "emails.0", "message": "..."}``"""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field=field, message=message)


class DomainError(Exception):
    """Raised by services; the HTTP layer turns it into a problem response."""

    status_code = 400
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, errors: list[FieldError] | None = None):
        super().__init__(detail)
        self.detail = detail
        self.errors = errors if errors is not None else ([FieldError(field, detail)] if field else [])


class InvalidInput(DomainError):
    status_code = 422
    title = "Invalid input"


class NotFound(DomainError):
    status_code = 404
    title = "Not found"


class Conflict(DomainError):
    status_code = 409
    title = "Conflict"


class Forbidden(DomainError):
    status_code = 403
    title = "Forbidden"


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """``("body", "emails", 0)`` -> ``emails.0``; the request part is implied by the endpoint."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie"}:
        parts = parts[1:]
    return ".".join(parts) or "body"


def _clean_message(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _from_pydantic(error: Any) -> FieldError:
    if error.get("type") == "json_invalid":
        reason = (error.get("ctx") or {}).get("error", "")
        # FastAPI puts the position in loc; model_validate_json leaves loc empty and says where in the reason.
        where = f" at character {error['loc'][-1]}" if error.get("loc") else ""
        return FieldError("body", f"the body is not valid JSON ({reason}{where})")
    return FieldError(field_path(error.get("loc", ())), _clean_message(str(error.get("msg", ""))))


def errors_from_pydantic(errors: list[Any]) -> list[FieldError]:
    return [_from_pydantic(error) for error in errors]


def problem(status: int, title: str, detail: str, errors: list[FieldError] | None = None, **extra: Any) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)


def _summary(errors: list[FieldError]) -> str:
    return "; ".join(f"{error['field']}: {error['message']}" for error in errors[:5])


HtmlErrorPage = Callable[[Request, int, str, str], Response]


def install_problem_handlers(app: FastAPI, html_page: HtmlErrorPage | None = None) -> None:
    """Errors become problem+json; outside ``/api/`` a browser asking for HTML gets ``html_page`` instead."""

    def respond(
        request: Request, status: int, title: str, detail: str, errors: list[FieldError] | None = None
    ) -> Response:
        wants_html = "text/html" in request.headers.get("accept", "")
        if html_page is not None and wants_html and not request.url.path.startswith("/api/"):
            return html_page(request, status, title, detail)
        return problem(status, title, detail, errors)

    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        return respond(request, exc.status_code, exc.title, exc.detail, exc.errors)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> Response:
        errors = errors_from_pydantic(list(exc.errors()))
        return respond(request, 422, "Invalid input", _summary(errors), errors)

    @app.exception_handler(ValidationError)
    async def _validation(request: Request, exc: ValidationError) -> Response:
        errors = errors_from_pydantic(list(exc.errors()))
        return respond(request, 422, "Invalid input", _summary(errors), errors)

    @app.exception_handler(IntegrityError)
    async def _integrity(request: Request, exc: IntegrityError) -> Response:
        # Reached only when a concurrent write wins a race the service checked for beforehand.
        return respond(request, 409, "Conflict", "the change conflicts with data written at the same time; retry")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = {401: "Unauthorized", 403: "Forbidden", 404: "Not found", 405: "Method not allowed"}.get(
            exc.status_code, "Error"
        )
        response = respond(request, exc.status_code, title, str(exc.detail))
        if exc.headers:
            response.headers.update(exc.headers)
        return response
