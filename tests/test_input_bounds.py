"""The input bounds one by one, each with the field its error names (the fuzzer in test_no_server_errors.py
covers the classes; these pin the examples that once crashed, and what stays allowed at each edge)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.app import create_app
from frontdesk.segments.compiler import Context, contacts_matching
from frontdesk.segments.rule_text import parse
from frontdesk.settings import Settings
from tests import test_no_server_errors as fuzz
from tests.factories import WorkspaceHandle
from tests.test_no_server_errors import Target

target = fuzz.target  # the same fixture: the app, a client and a workspace with one record of each kind


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/widget/api/session", b"[" * 5000 + b"]" * 5000, "body"),
        ("/widget/api/session", b'{"widget_token": "a\\u0000b"}', "widget_token"),
        ("/api/v1/contacts", b'{"name": "Ada", "tags": ["ok", "\\ud800"]}', "tags.1"),
        ("/api/v1/segments/preview", b'{"rule_json": ' + b'{"not": ' * 2000 + b"1" + b"}" * 2001, "body"),
        ("/api/v1/shop-connections/mapping-preview", b'{"mapping": {}, "sample": {"id": "a\\u0000b"}}', "sample.id"),
        ("/api/v1/help/articles", b'{"locale": "en", "title": "Returns", "body": "a\\u0000b"}', "body"),
    ],
)
async def test_hostile_bodies_are_refused_naming_the_field(target: Target, path: str, raw: bytes, field: str) -> None:
    response = await target.client.post(
        path, content=raw, headers={**target.workspace.headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "0001-01-01T00:00:00+14:00"}, "since"),
        ({"until": "9999-12-31T23:59:59-14:00"}, "until"),
        ({"since": "2026-01-01T00:00:00"}, "since"),
    ],
)
async def test_times_past_the_year_range_are_invalid_input(target: Target, query: dict[str, str], field: str) -> None:
    response = await target.client.get("/api/v1/reports/revenue-split", params=query, headers=target.workspace.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_an_order_too_large_to_sum_is_refused_and_nothing_is_stored(target: Target) -> None:
    lines = [{"sku": f"sku-{i}", "quantity": 1_000_000, "unit_price": "1000000000"} for i in range(20)]
    order = {"external_id": "HUGE", "buyer_id": target.real_ids[0], "currency": "EUR",
             "ordered_at": "2026-01-01T00:00:00Z", "lines": lines}  # fmt: skip
    response = await target.client.post("/api/v1/orders", json=order, headers=target.workspace.headers)
    assert response.status_code == 422, response.text
    assert "total" in response.json()["detail"]
    listed = await target.client.get("/api/v1/orders", headers=target.workspace.headers)
    assert [item["external_id"] for item in listed.json()["items"]] == ["A-1"]
    products = await target.client.get("/api/v1/products", headers=target.workspace.headers)
    assert [item["sku"] for item in products.json()["items"]] == ["tea"]


@pytest.mark.parametrize("ref", ["²", "\u0661", "\u0663\u0664", "9" * 30, "сегмент"])
async def test_segment_references_in_any_script_are_not_found(target: Target, ref: str) -> None:
    response = await target.client.get(f"/api/v1/segments/{quote(ref)}", headers=target.workspace.headers)
    assert response.status_code == 404
    response = await target.client.get("/api/v1/contacts", params={"segment": ref}, headers=target.workspace.headers)
    assert response.status_code in (404, 422)


@pytest.mark.parametrize(
    ("rule", "status"),
    [
        ("total_spent > 99999999999999999999999999999999999999.5", 422),
        ("days_since_last_order < 99999999", 422),
        ("orders > 10000000000", 422),
        ("avg_sentiment_90d > 1000000000000000000000000000000.5", 422),
        # At the top of their ranges the compiled query must not overflow either.
        ("avg_order_value > 999999999999.99", 200),
        ("days_since_first_order >= 365000", 200),
        ("days_since_created < -365000", 200),
        ("total_spent >= 1000000000000", 200),
    ],
)
async def test_rule_numbers_are_bounded_by_their_field(target: Target, rule: str, status: int) -> None:
    response = await target.client.post(
        "/api/v1/segments/preview", json={"rule": rule}, headers=target.workspace.headers
    )
    assert response.status_code == status, response.text
    if status == 422:
        assert response.json()["errors"][0]["field"] == "rule"


@pytest.mark.parametrize("rule", ["total_spent > 12.5", "avg_order_value <= 0.01", "total_spent != 1.25"])
async def test_a_fraction_of_a_minor_unit_compiles_in_a_currency_without_one(
    client: httpx.AsyncClient, session: AsyncSession, workspace: WorkspaceHandle, rule: str
) -> None:
    await client.patch("/api/v1/commerce/settings", json={"currency": "JPY"}, headers=workspace.headers)
    buyer = await workspace.contact(name="Kenji")
    await workspace.product("tea")
    await workspace.order("J-1", buyer, "tea", currency="JPY", lines=[{"sku": "tea", "quantity": 1, "unit_price": 13}])
    context = Context(workspace_id=workspace.id, now=datetime.now(UTC), currency="JPY", range_count=1)
    matched = (await session.scalars(contacts_matching(parse(rule), context))).all()
    expected = {"total_spent > 12.5": [buyer], "avg_order_value <= 0.01": [], "total_spent != 1.25": [buyer]}
    assert list(matched) == expected[rule]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limt=3", "limt"),
        ("=1", "query"),
        ("limit=3&limit=4", "limit"),
        ("since=1700000000", "since"),
        ("q=" + "x" * 10_001, "q"),
        ("q=a%00b", "q"),
        ("after_seq=2147483648", "after_seq"),
    ],
)
async def test_unknown_repeated_and_numeric_time_query_parameters_are_refused(
    target: Target, query: str, field: str
) -> None:
    path = {"since": "/api/v1/reports/nps", "after_seq": f"/api/v1/conversations/{target.real_ids[2]}/messages"}.get(
        field, "/api/v1/contacts"
    )
    response = await target.client.get(f"{path}?{query}", headers=target.workspace.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_true_is_not_a_number(target: Target) -> None:
    response = await target.client.patch(
        "/api/v1/commerce/settings", json={"lapsed_after_days": True}, headers=target.workspace.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "lapsed_after_days"


async def test_every_operation_documents_its_errors_as_problem_json(target: Target) -> None:
    for path, item in target.app.openapi()["paths"].items():
        for method, operation in item.items():
            expected = {"400", "413", "422"}
            if operation.get("security"):
                expected |= {"401", "403", "429"}
            if "{" in path:
                expected.add("404")
            if method in {"post", "patch", "put", "delete"}:
                expected.add("409")
            assert expected <= operation["responses"].keys(), f"{method} {path}"
            for status, response in operation["responses"].items():
                if status.startswith("4"):
                    assert list(response["content"]) == ["application/problem+json"], f"{method} {path} {status}"


async def test_a_multipart_body_is_refused_everywhere_but_file_uploads(engine: AsyncEngine, settings: Settings) -> None:
    """Forms are read from multipart bodies too: a console form (or a JSON operation) sent as multipart would
    otherwise skip the guard's checks (a NUL in a sign-in field reached PostgreSQL)."""
    app = create_app(settings, engine=engine)
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")
    uploads = {"/api/v1/contacts/import", "/api/v1/orders/import"}
    # Attachments: through the API, the console and the widget.
    uploads |= {"/api/v1/conversations/{conversation_id}/attachments", "/inbox/{conversation_id}/attachments"}
    uploads.add("/widget/api/attachments")
    uploads.add("/contacts/import")  # the console's import page, when the browser runs no script
    uploads.add("/console/help/images")  # images for help center articles
    files = {"email": (None, "a\x00b@acme.example"), "password": (None, "x"), "csrf_token": (None, "t")}
    checked = 0
    for path, route in fuzz.api_routes(app):
        for method in route.methods & {"POST", "PUT", "PATCH"}:
            url = path.replace("{", "").replace("}", "")  # any value: the guard answers before routing
            response = await client.request(method, url, files=files)
            if path in uploads:
                assert response.status_code != 415, path
            else:
                assert response.status_code == 415, (method, path, response.status_code)
                assert response.headers["content-type"].startswith("application/problem+json")
                assert response.json()["errors"][0]["field"] == "body"
            checked += 1
    await client.aclose()
    assert checked > 40 and "/login" in {path for path, _ in fuzz.api_routes(app)}
