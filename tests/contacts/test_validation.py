"""Bad input gets a 4xx problem+json naming the field, never a 500 and never half a write."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.factories import WorkspaceHandle


def _fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    return [error["field"] for error in response.json()["errors"]]


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"name": "X", "emails": ["not-an-email"]}, "emails", "not a valid e-mail"),
        ({"name": "X", "phones": ["12"]}, "phones", "phone"),
        ({"name": "X", "phones": ["0301234567"]}, "phones", "country"),
        ({"name": "X", "country": "XX"}, "country", "ISO 3166-1"),
        ({"name": "X", "country": "DE", "region": "FR-IDF"}, "region", "not in country DE"),
        ({"name": "X", "region": "ZZ-99"}, "region", "ISO 3166-2"),
        ({"kind": "organisation", "name": "Org", "vat_number": "DE123456789"}, "vat_number", "not a valid VAT"),
        ({"kind": "organisation", "name": "Org", "eori_number": "D1"}, "eori_number", "not a valid EORI"),
        ({"kind": "person", "name": "P", "vat_number": "DE136695976"}, "vat_number", "only organisations"),
        ({"kind": "person", "name": "P", "is_reseller": True}, "is_reseller", "only organisations"),
        ({"name": "X", "audience": "internal"}, "department", "department or branch"),
        ({"kind": "organisation"}, "name", "needs a name"),
        ({"kind": "person"}, "name", "needs a name"),
        ({"name": "X", "stage": "lead"}, "stage", ""),
        ({"name": "X", "stage": "customer"}, "stage", "follows completed orders"),
        ({"name": "X", "roles": ["king"]}, "roles", ""),
        ({"name": "X", "tags": ["<script>"]}, "tags", "not a valid tag"),
        ({"name": "X", "favourite_colour": "red"}, "favourite_colour", "Extra inputs"),
        ({"name": "X" * 301}, "name", "at most 300"),
    ],
)
async def test_invalid_contact_is_a_422_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: dict[str, Any], field: str, fragment: str
) -> None:
    response = await client.post("/api/v1/contacts", json=body, headers=workspace.headers)
    assert response.status_code == 422, response.text
    fields = _fields(response)
    assert any(f == field or f.startswith(field + ".") for f in fields), fields
    assert fragment in response.json()["detail"]
    listing = await client.get("/api/v1/contacts", headers=workspace.headers)
    assert listing.json()["items"] == []


async def test_emails_are_unique_per_workspace_ignoring_case(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    first = await workspace.contact(emails=["Sam@Example.com"])
    response = await client.post(
        "/api/v1/contacts", json={"name": "Sam Two", "emails": ["sam@EXAMPLE.com"]}, headers=workspace.headers
    )
    assert response.status_code == 409
    assert _fields(response) == ["emails.0"]
    assert str(first) in response.json()["detail"]
    # Another workspace may hold the same address: tenants do not share a namespace.
    elsewhere = await client.post(
        "/api/v1/contacts", json={"name": "Sam", "emails": ["sam@example.com"]}, headers=other_workspace.headers
    )
    assert elsewhere.status_code == 201


async def test_patch_cannot_take_another_contacts_email(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await workspace.contact(emails=["taken@example.com"])
    second = await workspace.contact(emails=["free@example.com"])
    response = await client.patch(
        f"/api/v1/contacts/{second}",
        json={"emails": ["free@example.com", "TAKEN@example.com"]},
        headers=workspace.headers,
    )
    assert response.status_code == 409
    assert _fields(response) == ["emails.1"]
    unchanged = (await client.get(f"/api/v1/contacts/{second}", headers=workspace.headers)).json()
    assert unchanged["emails"] == ["free@example.com"]


async def test_patch_is_validated_against_the_whole_contact(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    contact_id = await workspace.contact(country="DE", region="DE-BY")
    response = await client.patch(f"/api/v1/contacts/{contact_id}", json={"country": "FR"}, headers=workspace.headers)
    assert response.status_code == 422
    assert _fields(response) == ["region"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "field"),
    [
        ("get", "/api/v1/contacts?limit=0", {}, "limit"),
        ("get", "/api/v1/contacts?limit=abc", {}, "limit"),
        ("get", "/api/v1/contacts?cursor=%%%", {}, "cursor"),
        ("get", "/api/v1/contacts?cursor=bm9wZQ", {}, "cursor"),
        ("get", "/api/v1/contacts?stage=lead", {}, "stage"),
        ("get", "/api/v1/contacts/not-a-number", {}, "contact_id"),
        (
            "post",
            "/api/v1/contacts",
            {"content": b"{not json", "headers": {"content-type": "application/json"}},
            "body",
        ),
        ("post", "/api/v1/contacts", {"json": ["a", "list"]}, "body"),
        ("post", "/api/v1/contacts/1/merge", {"json": {}}, "duplicate_id"),
        ("post", "/api/v1/contacts/1/notes", {"json": {"body": ""}}, "body"),
    ],
)
async def test_malformed_requests_name_the_parameter(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    headers = {**workspace.headers, **kwargs.pop("headers", {})}
    response = await client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == 422, response.text
    assert any(field in f for f in _fields(response)), response.json()


async def test_unknown_contact_is_a_404_problem(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    response = await client.get("/api/v1/contacts/999999999", headers=workspace.headers)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    huge = await client.get(f"/api/v1/contacts/{2**70}", headers=workspace.headers)
    assert huge.status_code in (404, 422)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
contact_fields = st.sampled_from(
    [
        "kind",
        "name",
        "first_name",
        "emails",
        "phones",
        "country",
        "region",
        "audience",
        "department",
        "market",
        "stage",
        "roles",
        "tags",
        "attributes",
        "vat_number",
        "eori_number",
        "is_reseller",
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(contact_fields, json_values, max_size=6))
async def test_no_contact_body_causes_a_server_error(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, body: dict[str, Any]
) -> None:
    response = await client.post("/api/v1/contacts", json=body, headers=workspace.headers)
    assert response.status_code in (201, 409, 422), response.text
    if response.status_code == 201:
        await client.delete(f"/api/v1/contacts/{response.json()['id']}", headers=workspace.headers)
