"""One guard in front of every HTTP route: the query string, the path and the body are checked before any
endpoint parses them, so no endpoint (typed or reading its raw body, authenticated or public) can be
crashed by them.

- text no database can store (NUL, lone surrogates) in the path, a query parameter, a form field or
  anywhere in a JSON body: 422 naming it;
- JSON nested deeper than ``MAX_DEPTH``: 422 (Python's parser raises RecursionError near depth 1000,
  and every walk over the parsed value would too);
- query parameters over ``MAX_QUERY_VALUE`` characters: 422; bodies over ``MAX_BODY_BYTES``: 413.
- multipart bodies: only for the operations that take a file upload (their OpenAPI request body is
  ``multipart/form-data``), which bound and check the file themselves; anywhere else 415. Forms are read
  from multipart bodies too, so without this a console form sent as multipart would skip every check above.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from frontdesk.errors import FieldError, problem
from frontdesk.inputs import first_text_problem, text_problem

MAX_DEPTH = 32
MAX_BODY_BYTES = 2 * 1024 * 1024
# No query parameter needs more (a segment rule, the longest, is at most 4,000 characters).
MAX_QUERY_VALUE = 10_000

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SUSPECT_TEXT = re.compile(rb"\x00|\\u0000|\\u[dD][89a-fA-F]")
_JSON_TYPES = ("application/json", "text/plain", "")


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in ``body``, without parsing it (brackets in strings don't count)."""
    if body.count(b"[") + body.count(b"{") <= MAX_DEPTH:
        return 0  # cannot be deeper than the number of brackets: the common case costs two counts
    depth = deepest = 0
    for byte in _STRING.sub(b'""', body):
        if byte in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        elif byte in b"]}":
            depth -= 1
    return deepest


def _is_json(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media in _JSON_TYPES or media.endswith("+json")


def body_problem(body: bytes, content_type: str) -> tuple[int, FieldError] | None:
    """The status and error for a body no endpoint should see, or None."""
    if len(body) > MAX_BODY_BYTES:
        return 413, FieldError("body", f"is larger than {MAX_BODY_BYTES // 1024 // 1024} MB")
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/x-www-form-urlencoded":
        for name, value in parse_qsl(body.decode("latin-1"), keep_blank_values=True):
            if (reason := text_problem(name) or text_problem(value)) is not None:
                return 422, FieldError(name if text_problem(name) is None else "body", reason)
        return None
    if not _is_json(content_type):
        return None
    if json_depth(body) > MAX_DEPTH:
        return 422, FieldError("body", f"nests arrays and objects deeper than {MAX_DEPTH} levels")
    if not _SUSPECT_TEXT.search(body):
        return None
    try:
        document = json.loads(body)
    except ValueError:
        return None  # not JSON: the endpoint says so in its own words
    found = first_text_problem(document)
    if found is None:
        return None
    where, reason = found
    return 422, FieldError(".".join(str(part) for part in where) or "body", reason)


def query_problem(scope: Scope) -> FieldError | None:
    path: str = scope.get("path", "")
    if (reason := text_problem(path)) is not None:
        return FieldError("path", reason)
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return None
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if (reason := text_problem(name) or text_problem(value)) is not None:
            return FieldError(name if text_problem(name) is None else "query", reason)
        if len(name) + len(value) > MAX_QUERY_VALUE:
            return FieldError(name[:100] or "query", f"is longer than {MAX_QUERY_VALUE} characters")
    return None


# Uploads kept out of the public API document (the console's, the widget's): their routes name them here.
UNDOCUMENTED_UPLOADS: set[str] = set()


def allow_uploads(path: str) -> str:
    """Lets multipart bodies through to the route at ``path`` (a template such as ``/inbox/{id}/files``),
    which must bound and check the file itself."""
    UNDOCUMENTED_UPLOADS.add(path)
    return path


def multipart_paths(app: Any) -> list[re.Pattern[str]]:
    """The paths of the operations whose OpenAPI request body is ``multipart/form-data`` (file uploads)."""
    patterns = []
    for path in sorted(UNDOCUMENTED_UPLOADS):
        template = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
        patterns.append(re.compile(f"^{template}$"))
    for path, operations in app.openapi().get("paths", {}).items():
        for operation in operations.values():
            content = (operation.get("requestBody") or {}).get("content") or {} if isinstance(operation, dict) else {}
            if "multipart/form-data" in content:
                template = re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path))
                patterns.append(re.compile(f"^{template}$"))
    return patterns


class InputGuard:
    """ASGI middleware applying the checks above to every HTTP request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._uploads: list[re.Pattern[str]] | None = None  # from the app's OpenAPI, at the first multipart body

    def _takes_uploads(self, scope: Scope) -> bool:
        if self._uploads is None:
            self._uploads = multipart_paths(scope["app"])
        path: str = scope.get("path", "")
        return any(pattern.match(path) for pattern in self._uploads)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        error = query_problem(scope)
        if error is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _refuse(scope, receive, send, 422, error)
            return
        if scope["type"] != "http" or scope.get("method") in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = _header(scope, b"content-type")
        if content_type.split(";", 1)[0].strip().lower().startswith("multipart/"):
            if self._takes_uploads(scope):
                await self.app(scope, receive, send)
                return
            message = "multipart bodies are only for file uploads: send this form as application/x-www-form-urlencoded"
            await _refuse(scope, receive, send, 415, FieldError("body", message))
            return
        body, more = await _read_body(receive)
        found = (413, FieldError("body", "is too large")) if more else body_problem(body, content_type)
        if found is not None:
            await _refuse(scope, receive, send, *found)
            return
        await self.app(scope, _replay(body, receive), send)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return ""


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The body, and whether it went on past the limit (then the rest is not read)."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return b"", True
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, error: FieldError) -> None:
    title = {413: "Content too large", 415: "Unsupported media type"}.get(status, "Invalid input")
    response: Any = problem(status, title, f"{error['field']}: {error['message']}", [error])
    await response(scope, receive, send)
