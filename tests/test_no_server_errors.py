"""No input makes any route answer 5xx, and every API error is problem+json naming the field.

The routes come from ``app.routes`` (API operations, console pages and forms, public pages, the widget),
with their parameters and body fields from FastAPI's own description of each route: a route added later is
fuzzed without anyone listing it. The values are the classes of input that have crashed requests: ids past
64 bits, NUL and lone surrogates, times whose offset leaves the year range, deep JSON, unknown fields,
numbers where text belongs and text where numbers belong, references written in other scripts.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import fastapi.routing
import httpx
import pytest
from fastapi import FastAPI, params
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.app import create_app
from frontdesk.inputs import RequestModel
from frontdesk.segments.fields import FIELDS
from frontdesk.segments.rules import COMPARISONS
from frontdesk.settings import Settings
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

MAX_ID = 2**63 - 1
EXTREME_TIMES = [
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-14:00",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59.999999Z",
    "10000-01-01T00:00:00Z",
    "2026-02-30T10:00:00Z",
    "2026-05-01T10:00:00",
    "0001-01-01",
    "9999-12-31",
]
HOSTILE_NUMBERS: list[Any] = [0, -1, MAX_ID, MAX_ID + 1, 2**64, -(2**63) - 1, 10**40, 1.5, -0.0, 1e308]
HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\ud800",
    "x" * 30_000,
    "²",
    "١٢",
    "Ωmega ünïcode 名前",
    "9" * 40,
    "1e999999",
    "NaN",
    "Infinity",
    "-1",
    "null",
    "' OR 1=1 --",
    *EXTREME_TIMES,
]
RULE_NUMBERS = ["99999999999999999999999999999999999999.5", "1" + "0" * 30, "-99999999999", "0.0001", "12.5"]


def _deep(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def rule_texts(draw: st.DrawFn) -> str:
    name = draw(st.sampled_from([*FIELDS, "сегмент", "orders²"]))
    op = draw(st.sampled_from([*COMPARISONS, "in"]))
    value = draw(st.sampled_from([*RULE_NUMBERS, '"\\u0000"', '"DE"', "true", "all", '"²"']))
    return f"{name} {op} ({value})" if op == "in" else f"{name} {op} {value}"


@st.composite
def rule_documents(draw: st.DrawFn) -> Any:
    name = draw(st.sampled_from([*FIELDS, "сегмент"]))
    value = draw(st.sampled_from([*HOSTILE_NUMBERS, *HOSTILE_TEXT[:12], "1E+999999", [2**70], {"a": 1}]))
    comparison = {"field": name, "op": draw(st.sampled_from(COMPARISONS)), "value": value}
    return draw(st.sampled_from([comparison, {"not": comparison}, {"all": [comparison, comparison]}, _deep(40)]))


@dataclass
class Route:
    """One method of one route, with the names of what it reads from the request."""

    method: str
    path: str
    api: bool
    path_params: list[str]
    query_params: list[str]
    body: str | None  # "json", "form" or "multipart"
    body_fields: list[str] = field(default_factory=list)


@dataclass
class Params:
    path_params: list[Any] = field(default_factory=list)
    query_params: list[Any] = field(default_factory=list)
    body_params: list[Any] = field(default_factory=list)


def flatten(dependant: Dependant) -> Params:
    """What a route and all its dependencies read from the request."""
    flat, pending = Params(), [dependant]
    while pending:
        current = pending.pop()
        flat.path_params += current.path_params
        flat.query_params += current.query_params
        flat.body_params += current.body_params
        pending.extend(current.dependencies)
    return flat


def _body_kind(route: APIRoute) -> tuple[str | None, list[str]]:
    flat = flatten(route.dependant)
    if not flat.body_params:
        return None, []
    info = flat.body_params[0].field_info
    if isinstance(info, params.File):
        return "multipart", [param.name for param in flat.body_params]
    if isinstance(info, params.Form):
        return "form", [param.alias for param in flat.body_params]
    annotation = flat.body_params[0].field_info.annotation
    if len(flat.body_params) == 1 and isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return "json", [info.alias or name for name, info in annotation.model_fields.items()]
    return "json", [param.alias for param in flat.body_params]


def api_routes(app: FastAPI) -> Iterator[tuple[str, APIRoute]]:
    """Every route with its full path, through included routers (FastAPI >= 0.120 nests them)."""
    iterate = getattr(fastapi.routing, "iter_route_contexts", None)
    contexts = iterate(app.routes) if iterate is not None else app.routes
    for context in contexts:
        route = getattr(context, "original_route", context)
        if isinstance(route, APIRoute):
            yield context.path, route


def routes_of(app: FastAPI) -> list[Route]:
    found = []
    for path, route in api_routes(app):
        flat = flatten(route.dependant)
        body, body_fields = _body_kind(route)
        for method in sorted(route.methods):
            found.append(
                Route(
                    method=method,
                    path=path,
                    api=path.startswith("/api/"),
                    path_params=[param.alias for param in flat.path_params],
                    query_params=[param.alias for param in flat.query_params],
                    body=body,
                    body_fields=body_fields,
                )
            )
    return found


@dataclass
class Target:
    app: FastAPI
    client: httpx.AsyncClient
    workspace: WorkspaceHandle
    real_ids: list[int]
    headers: dict[str, str]


@pytest.fixture
async def target(engine: AsyncEngine, settings: Settings, workspace: WorkspaceHandle) -> AsyncIterator[Target]:
    """The app, and a workspace with one record of each kind, so hostile requests also reach real rows."""
    app = create_app(settings, engine=engine)
    contact = await workspace.contact(name="Ada Lovelace", emails=["ada@example.com"])
    await workspace.product("tea")
    order = await workspace.order("A-1", contact, "tea")
    conversation = await workspace.conversation("Where is my order?")
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as client:
        ids = [contact, order, conversation]
        yield Target(app=app, client=client, workspace=workspace, real_ids=ids, headers=workspace.headers)


def _scalar(ids: list[int]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.sampled_from(HOSTILE_NUMBERS + HOSTILE_TEXT + ids),
        st.integers(),
        st.text(max_size=30),
    )


def _json_value(name: str, ids: list[int]) -> st.SearchStrategy[Any]:
    containers = st.sampled_from([[], {}, [None], {"zz": "\x00"}, [2**64], _deep(60), {"a": _deep(40)}])
    if name == "rule":
        return st.one_of(rule_texts(), _scalar(ids))
    if name == "rule_json":
        return rule_documents()
    if name == "lines":
        line = st.fixed_dictionaries(
            {"sku": st.sampled_from(["tea", "\x00", "x" * 200]), "quantity": _scalar(ids), "unit_price": _scalar(ids)}
        )
        return st.lists(line, max_size=3)
    return st.one_of(_scalar(ids), st.none(), st.booleans(), containers)


@st.composite
def requests(draw: st.DrawFn, routes: list[Route], ids: list[int]) -> tuple[Route, str, dict[str, str], Any]:
    route = draw(st.sampled_from(routes))
    path = route.path
    for name in route.path_params:
        value = draw(st.one_of(st.sampled_from(ids), _scalar(ids)))
        path = path.replace("{" + name + "}", _escaped(str(value)) or "%20")
    # Each value short enough that the URL stays under the client's 64 kB limit.
    query = {name: str(draw(_scalar(ids)))[:12_000] for name in route.query_params if draw(st.booleans())}
    body: Any = None
    if route.body == "json":
        shape = draw(st.sampled_from(["fields", "fields", "fields", "deep", "not json", "array"]))
        if shape == "deep":
            depth = draw(st.sampled_from([33, 1000, 5000]))
            body = b"[" * depth + b"1" + b"]" * depth
        elif shape == "not json":
            body = draw(st.sampled_from([b"{", b"\xff\xfe", b"[" * 100_000, b'{"a": "\x00"}']))
        elif shape == "array":
            body = json.dumps([{"zz_unknown": 1}]).encode()
        else:
            chosen = draw(st.lists(st.sampled_from(route.body_fields), unique=True)) if route.body_fields else []
            document = {name: draw(_json_value(name, ids)) for name in chosen}
            if draw(st.booleans()):
                document["zz_unknown"] = 1
            body = json.dumps(document).encode()  # ASCII escapes: lone surrogates travel as \ud800
    elif route.body in {"form", "multipart"}:
        # The CSRF token is sent right (a wrong one is refused before anything else is read).
        body = {
            name: str(draw(_scalar(ids))) for name in route.body_fields if name != "csrf_token" and draw(st.booleans())
        }
    return route, path, query, body


def _escaped(text: str) -> str:
    """Percent-encoded; a lone surrogate travels as the (invalid) UTF-8 bytes a careless client would send."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _form(values: dict[str, str]) -> str:
    return "&".join(f"{_escaped(name)}={_escaped(value)}" for name, value in values.items())


async def _send(target: Target, route: Route, path: str, query: dict[str, str], body: Any) -> httpx.Response:
    client, headers = target.client, dict(target.headers)
    if not route.api:
        await login(client, target.workspace.admin_email)
        headers["X-CSRF-Token"] = csrf_of((await client.get("/contacts")).text)
    url = f"{path}?{_form(query)}" if query else path
    kwargs: dict[str, Any] = {"headers": headers}
    if route.body == "json":
        kwargs["content"] = body
        headers["Content-Type"] = "application/json"
    elif route.body == "form":
        kwargs["content"] = _form(body)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif route.body == "multipart":
        kwargs["files"] = {"file": ("x.csv", b"name\n\x00\n")}
    response = await client.request(route.method, url, **kwargs)
    # A write may have revoked the key in use.
    if (
        route.method != "GET"
        and response.status_code < 400
        and ((await client.get("/api/v1/workspace", headers=target.headers)).status_code == 401)
    ):
        target.headers = await target.workspace.key_with_role(Role.admin)
    return response


def _check(route: Route, response: httpx.Response, sent: str) -> None:
    assert response.status_code < 500, f"{sent} -> {response.status_code}: {response.text[:500]}"
    if route.api and 400 <= response.status_code < 500:
        assert response.headers["content-type"].startswith("application/problem+json"), sent
        assert response.json()["status"] == response.status_code, sent


def _routes(target: Target) -> Iterator[Route]:
    skip = {"/logout"}  # signing out would only end the session the next example signs in again
    return (route for route in routes_of(target.app) if route.path not in skip)


@settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
async def test_no_input_makes_any_route_answer_a_server_error(target: Target, data: st.DataObject) -> None:
    routes = list(_routes(target))
    route, path, query, body = data.draw(requests(routes, target.real_ids))
    response = await _send(target, route, path, query, body)
    _check(route, response, f"{route.method} {path} {query} {body!r:.300}")


async def test_every_route_is_fuzzed(target: Target) -> None:
    """The fuzzer sees API operations, console forms and public pages alike (and would see new ones)."""
    paths = {route.path for route in _routes(target)}
    assert {"/api/v1/contacts/{contact_id}", "/widget/api/session", "/r/{token}", "/segments/preview"} <= paths
    assert len(paths) > 90


async def test_every_request_body_is_a_request_model(target: Target) -> None:
    """Unknown fields are refused and strings are bounded wherever a JSON body is read into a model."""
    checked = 0
    for path, route in api_routes(target.app):
        if route.body_field is not None and _body_kind(route)[0] == "json":
            annotation = route.body_field.field_info.annotation
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                assert issubclass(annotation, RequestModel), f"{path}: {annotation.__name__}"
                checked += 1
    assert checked >= 20


async def test_unknown_fields_are_refused_naming_them_on_every_operation(target: Target) -> None:
    document = target.app.openapi()
    checked = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            content = operation.get("requestBody", {}).get("content", {})
            if "application/json" not in content:
                continue
            url = path
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "path":
                    url = url.replace("{" + parameter["name"] + "}", str(target.real_ids[0]))
            response = await target.client.request(
                method, url, json={"zz_unknown": 1}, headers=target.workspace.headers
            )
            assert response.status_code == 422, f"{method} {path}: {response.status_code} {response.text}"
            assert response.headers["content-type"].startswith("application/problem+json")
            assert {"field": "zz_unknown", "message": "Extra inputs are not permitted"} in response.json()["errors"]
            checked += 1
    assert checked >= 20
