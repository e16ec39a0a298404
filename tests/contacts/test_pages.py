"""The console: list with search, filters and paging; profile and timeline; forms with errors by the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/contacts")).text)


async def test_list_searches_filters_and_pages(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    await workspace.product("TEA")
    recently = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    for i in range(30):
        contact = await workspace.contact(name=f"Customer {i:02d}")
        if i % 2:  # a completed order makes every second one a customer, and a new one
            await workspace.order(f"O-{i}", contact, "TEA", ordered_at=recently)
    page = await client.get("/contacts")
    assert "30 contacts" in page.text
    assert len(re.findall(r'href="/contacts/\d+"', page.text)) == 25
    next_link = re.search(r'href="(/contacts\?[^"]*page=2[^"]*)"', page.text)
    assert next_link
    second = await client.get(next_link.group(1).replace("&amp;", "&"))
    assert "Customer 04" in second.text and "Customer 29" not in second.text
    search = await client.get("/contacts", params={"q": "customer 07"}, headers={"HX-Request": "true"})
    assert "<html" not in search.text  # HTMX gets only the results fragment
    assert "Customer 07" in search.text and "Customer 08" not in search.text
    customers = await client.get("/contacts", params={"stage": "customer"})
    assert "15 contacts" in customers.text
    # The stage filter offers the lifecycle stages, and filters by them.
    assert all(f'<option value="{s}"' in page.text for s in ("new", "returning", "regular", "lapsed", "churned"))
    for stage, count in (("prospect", 15), ("new", 15), ("regular", 0), ("lapsed", 0)):
        filtered = await client.get("/contacts", params={"stage": stage})
        assert f"{count} contacts" in filtered.text, stage
        assert re.search(rf'<option value="{stage}"\s+selected', filtered.text), stage


async def test_create_form_shows_errors_next_to_the_fields_and_keeps_input(
    client: httpx.AsyncClient, signed_in: str
) -> None:
    response = await client.post(
        "/contacts/new",
        data={
            "csrf_token": signed_in,
            "kind": "person",
            "first_name": "Ola",
            "emails": "ola@",
            "country": "XX",
            "audience": "external",
        },
    )
    assert response.status_code == 422
    html = response.text
    assert re.search(r'name="emails"[^>]*aria-invalid="true"', html)
    assert re.search(r'id="emails-error">[^<]*not a valid e-mail', html)
    assert re.search(r'id="country-error">[^<]*ISO 3166-1', html)
    assert 'value="Ola"' in html  # what the agent typed is still there


async def test_create_then_edit_then_note(client: httpx.AsyncClient, signed_in: str) -> None:
    created = await client.post(
        "/contacts/new",
        data={
            "csrf_token": signed_in,
            "kind": "organisation",
            "name": "Gummy Bears B.V.",
            "emails": "hi@gummy.example",
            "country": "NL",
            "vat_number": "NL004495445B01",
            "is_reseller": "on",
            "market": "b2b",
            "audience": "external",
            "roles": ["customer", "client"],
            "tags": "wholesale, eu",
        },
    )
    assert created.status_code == 303, created.text
    url = created.headers["location"]
    profile = await client.get(url)
    assert "Gummy Bears B.V." in profile.text and "NL004495445B01" in profile.text
    edit = await client.get(url + "/edit")
    assert 'value="Gummy Bears B.V."' in edit.text
    saved = await client.post(
        url + "/edit",
        data={
            "csrf_token": signed_in,
            "kind": "organisation",
            "name": "Gummy Bears Europe B.V.",
            "emails": "hi@gummy.example",
            "country": "NL",
            "vat_number": "NL004495445B01",
            "market": "b2b",
            "audience": "external",
            "roles": ["customer"],
            "tags": "wholesale",
        },
    )
    assert saved.status_code == 303
    note = await client.post(
        url + "/notes", data={"csrf_token": signed_in, "body": "<b>Call</b> on Monday"}, headers={"HX-Request": "true"}
    )
    assert "&lt;b&gt;Call&lt;/b&gt; on Monday" in note.text  # shown as text, never as HTML
    timeline = (await client.get(url)).text
    assert "Profile changed: is_reseller, name, roles, tags" in timeline


async def test_another_workspaces_contact_is_not_found_in_the_console(
    client: httpx.AsyncClient, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    foreign = await other_workspace.contact(name="Their Secret")
    for path in (f"/contacts/{foreign}", f"/contacts/{foreign}/edit"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "Their Secret" not in response.text
    posted = await client.post(f"/contacts/{foreign}/notes", data={"csrf_token": signed_in, "body": "x"})
    assert posted.status_code == 404
    listing = await client.get("/contacts", params={"q": "secret"})
    assert "Their Secret" not in listing.text


async def test_relationship_form_reports_a_missing_contact(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    contact_id = await workspace.contact(name="Linker")
    response = await client.post(
        f"/contacts/{contact_id}/relationships",
        data={"csrf_token": signed_in, "kind": "buys_for", "to_contact_id": "424242"},
    )
    assert response.status_code == 422
    assert "contact 424242 not found" in response.text


async def test_settings_shows_a_new_api_key_once(client: httpx.AsyncClient, signed_in: str) -> None:
    created = await client.post("/settings/api-keys", data={"csrf_token": signed_in, "name": "Shop"})
    key = re.search(r'<code class="secret">([^<]+)</code>', created.text)
    assert key
    assert (
        await client.get("/api/v1/workspace", headers={"Authorization": f"Bearer {key.group(1)}"})
    ).status_code == 200
    assert key.group(1) not in (await client.get("/settings")).text


async def test_agent_merges_a_duplicate_from_the_contact_page(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    keep = await workspace.contact(name="Keep Me", emails=["keep@x.example"])
    dup = await workspace.contact(name="Keep Me (dup)", emails=["dup@x.example"])
    bad = await client.post(f"/contacts/{keep}/merge", data={"csrf_token": signed_in, "duplicate_id": str(keep)})
    assert bad.status_code == 422
    assert "cannot be merged into itself" in bad.text
    merged = await client.post(f"/contacts/{keep}/merge", data={"csrf_token": signed_in, "duplicate_id": str(dup)})
    assert merged.status_code == 303
    page = (await client.get(f"/contacts/{keep}")).text
    assert "dup@x.example" in page and "Duplicate merged into this contact: Keep Me (dup)" in page


async def test_admin_exports_then_erases_with_a_typed_confirmation(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    contact_id = await workspace.contact(name="Gdpr Gina", emails=["gina@x.example"])
    export = await client.get(f"/contacts/{contact_id}/export")
    assert export.headers["content-disposition"].startswith("attachment")
    assert export.json()["contact"]["emails"] == ["gina@x.example"]
    unconfirmed = await client.post(f"/contacts/{contact_id}/erase", data={"csrf_token": signed_in, "confirm": "gina"})
    assert unconfirmed.status_code == 422
    assert (await client.get(f"/contacts/{contact_id}")).status_code == 200
    erased = await client.post(
        f"/contacts/{contact_id}/erase", data={"csrf_token": signed_in, "confirm": "Gdpr Gina", "reason": "asked"}
    )
    assert erased.status_code == 303
    gone = await client.get(f"/contacts/{contact_id}", headers={"accept": "text/html"})
    assert gone.status_code == 404
    assert "<html" in gone.text and "another workspace" in gone.text


async def test_admin_adds_an_agent_who_can_then_sign_in(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    weak = await client.post(
        "/settings/agents",
        data={
            "csrf_token": signed_in,
            "display_name": "Val",
            "email": "val@acme.example",
            "password": "short",
            "role": "agent",
        },
    )
    assert weak.status_code == 422
    assert "password" in weak.text
    added = await client.post(
        "/settings/agents",
        data={
            "csrf_token": signed_in,
            "display_name": "Val",
            "email": "val@acme.example",
            "password": "long-enough-1",
            "role": "viewer",
        },
    )
    assert added.status_code == 303
    client.cookies.clear()
    assert (await login(client, "val@acme.example", "long-enough-1")).status_code == 303
    page = await client.get("/settings")
    assert "Add agent" not in page.text  # a viewer sees the team, not the admin forms
