from __future__ import annotations

import re

import httpx

from frontdesk.workspaces.models import Role
from tests.factories import PASSWORD, WorkspaceHandle


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


async def login_form_token(client: httpx.AsyncClient) -> str:
    """The CSRF token of a freshly fetched sign-in form (its nonce cookie is now in ``client``)."""
    return csrf_of((await client.get("/login")).text)


async def login(client: httpx.AsyncClient, email: str, password: str = PASSWORD) -> httpx.Response:
    data = {"email": email, "password": password, "next": "/contacts", "csrf_token": await login_form_token(client)}
    return await client.post("/login", data=data)


async def test_console_pages_redirect_to_login_when_signed_out(client: httpx.AsyncClient) -> None:
    response = await client.get("/contacts?q=x")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcontacts%3Fq%3Dx"


async def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    wrong = await login(client, workspace.admin_email, "not-the-password")
    unknown = await login(client, "nobody@nowhere.example")
    assert wrong.status_code == unknown.status_code == 400
    assert "do not match" in wrong.text and "do not match" in unknown.text
    assert "frontdesk_session" not in wrong.headers.get("set-cookie", "")


async def test_login_sets_an_http_only_session_cookie_and_logout_ends_it(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    response = await login(client, workspace.admin_email.upper())
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax")
    page = await client.get("/contacts")
    assert page.status_code == 200
    stolen = dict(client.cookies)
    logout = await client.post("/logout", data={"csrf_token": csrf_of(page.text)})
    assert logout.status_code == 303
    # The old cookie is dead on the server, not merely deleted in this browser.
    client.cookies.update(stolen)
    assert (await client.get("/contacts")).status_code == 303


async def test_forms_without_the_csrf_token_are_refused(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await login(client, workspace.admin_email)
    response = await client.post("/contacts/new", data={"name": "Forged"})
    assert response.status_code == 403
    forged = await client.post("/contacts/new", data={"name": "Forged", "csrf_token": "guess"})
    assert forged.status_code == 403
    listing = await client.get("/contacts")
    assert "Forged" not in listing.text


async def test_login_never_redirects_off_site(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    data = {"email": workspace.admin_email, "password": PASSWORD, "next": "//evil.example/"}
    response = await client.post("/login", data={**data, "csrf_token": await login_form_token(client)})
    assert response.headers["location"] == "/"


async def test_viewer_sees_contacts_but_no_edit_controls(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    email = await workspace.add_agent(Role.viewer)
    contact_id = await workspace.contact(name="Read Only")
    await login(client, email)
    page = await client.get(f"/contacts/{contact_id}")
    assert page.status_code == 200
    assert "Read Only" in page.text
    assert f"/contacts/{contact_id}/edit" not in page.text
    response = await client.post(
        f"/contacts/{contact_id}/edit", data={"name": "Changed", "csrf_token": csrf_of(page.text)}
    )
    assert response.status_code == 403
