"""The console at product level: counts in words, attributes in words, latest orders by date, error pages
with navigation, a favicon, a notice after every save, and the contact picker without JavaScript."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from frontdesk.contacts.profile import format_attribute_value
from frontdesk.web.wording import plural
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/contacts")).text)


@pytest.mark.parametrize(
    ("count", "noun", "expected"),
    [
        (0, "complaint", "0 complaints"),
        (1, "complaint", "1 complaint"),
        (2, "complaint", "2 complaints"),
        (1, "reply", "1 reply"),
        (3, "reply", "3 replies"),
        (1204, "contact", "1,204 contacts"),
    ],
)
def test_plural_says_one_thing_and_many_things(count: int, noun: str, expected: str) -> None:
    assert plural(count, noun) == expected


@pytest.mark.parametrize("count", [0, 1, 2])
async def test_pages_word_their_counts_for_zero_one_and_two(
    count: int, client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    await workspace.product("TEA")
    for n in range(count):
        contact_id = await workspace.contact(name=f"Buyer {n}")
        await workspace.order(f"O-{n}", contact_id, "TEA")
        await client.post(
            "/complaints", data={"csrf_token": signed_in, "contact_id": contact_id, "summary": f"Late {n}"}
        )
    contacts = await client.get("/contacts")
    complaints = await client.get("/complaints")
    noun = "contact" if count == 1 else "contacts"
    assert f"{count} {noun}" in contacts.text
    if count:
        words = f"{count} complaint{'' if count == 1 else 's'}, {count} order{'' if count == 1 else 's'}"
        assert words in complaints.text
    else:
        assert "no orders yet" in complaints.text and "No complaints yet" in complaints.text
    for page in (contacts, complaints):
        assert not re.search(r"\b1 (contacts|complaints|orders)\b", page.text)


@pytest.mark.parametrize(
    ("value", "kind", "shown"),
    [
        (True, "boolean", "Yes"),
        (False, "boolean", "No"),
        (1250.5, "number", "1,250.5"),
        (3, "number", "3"),
        ("2026-03-03", "date", "3 Mar 2026"),
        (["a", "b"], None, "a, b"),
        ("gold", "choice", "gold"),
        (None, "text", "—"),
        (True, None, "Yes"),
    ],
)
def test_attribute_values_are_shown_in_words(value: object, kind: str | None, shown: str) -> None:
    assert format_attribute_value(value, kind) == shown


async def test_contact_page_shows_attribute_labels_and_typed_values(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    definitions = [
        {"key": "newsletter", "label": "Gets the newsletter", "type": "boolean"},
        {"key": "seats", "label": "Seats", "type": "number"},
        {"key": "renewal", "label": "Renewal date", "type": "date"},
        {"key": "tier", "label": "Tier", "type": "choice", "choices": ["gold", "silver"]},
    ]
    for definition in definitions:
        response = await client.post("/api/v1/attributes", json=definition, headers=workspace.headers)
        assert response.status_code == 201
    contact_id = await workspace.contact(
        name="Ada", attributes={"newsletter": True, "seats": 1200, "renewal": "2026-07-01", "tier": "gold"}
    )
    page = (await client.get(f"/contacts/{contact_id}")).text
    assert '<dt>Gets the newsletter</dt><dd data-attribute="newsletter">Yes</dd>' in page
    assert ">1,200</dd>" in page and ">1 Jul 2026</dd>" in page and "<dt>Tier</dt>" in page
    assert "True" not in page and "<dt>newsletter</dt>" not in page


async def test_latest_orders_are_newest_first_by_order_date(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    await workspace.product("TEA")
    contact_id = await workspace.contact(name="Ada")
    start = datetime(2025, 1, 1, tzinfo=UTC)
    offsets = [5, 40, 1, 300, 77, 12]  # arrival order is not date order (an imported history)
    for n, days in enumerate(offsets):
        await workspace.order(f"O-{n}", contact_id, "TEA", ordered_at=(start + timedelta(days=days)).isoformat())
    page = (await client.get(f"/contacts/{contact_id}")).text
    table = page[page.index("Latest orders") :]
    shown = re.findall(r"<td>(O-\d+)", table)
    expected = [f"O-{n}" for n, _ in sorted(enumerate(offsets), key=lambda pair: pair[1], reverse=True)]
    assert shown == expected


async def test_not_found_shows_the_console_navigation_to_a_signed_in_agent(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    for path in ("/contacts/999999", "/no-such-page", "/complaints/424242"):
        response = await client.get(path, headers={"Accept": "text/html"})
        assert response.status_code == 404
        assert 'aria-label="Main"' in response.text and 'href="/inbox"' in response.text
        assert "Sign out" in response.text


async def test_not_found_offers_sign_in_to_everyone_else(client: httpx.AsyncClient) -> None:
    response = await client.get("/no-such-page", headers={"Accept": "text/html"})
    assert response.status_code == 404
    assert 'href="/login"' in response.text and 'aria-label="Main"' not in response.text
    api = await client.get("/api/v1/no-such-thing", headers={"Accept": "text/html"})
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_console_and_public_pages_have_a_favicon(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    for path in ("/contacts", "/login"):
        assert '<link rel="icon" href="/static/favicon.svg"' in (await client.get(path)).text
    icon = await client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.text.startswith("<svg")


async def test_saving_shows_a_notice_once(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    saved = await client.post("/segments", data={"csrf_token": signed_in, "name": "Big buyers", "rule": "orders > 3"})
    assert saved.status_code == 303
    page = await client.get(saved.headers["location"])
    assert '<p class="notice" role="status">Segment &#39;Big buyers&#39; saved.</p>' in page.text
    assert 'class="notice"' not in (await client.get("/segments")).text  # once only
    contact_id = await workspace.contact(name="Ada")
    edit = await client.post(
        f"/contacts/{contact_id}/edit", data={"csrf_token": signed_in, "name": "Ada L", "kind": "person"}
    )
    assert "Changes saved." in (await client.get(edit.headers["location"])).text
    zone = await client.post("/settings/workspace", data={"csrf_token": signed_in, "time_zone": "Europe/Berlin"})
    assert "Time zone saved." in (await client.get(zone.headers["location"])).text


async def test_a_complaint_names_its_contact_by_typed_name_without_javascript(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    ada = await workspace.contact(name="Ada Lovelace", emails=["ada@x.example"])
    await workspace.contact(name="Ada Byron")
    raised = await client.post(
        "/complaints",
        data={"csrf_token": signed_in, "contact_id": "", "contact_id_text": "ada@x.exa", "summary": "Late"},
    )
    assert raised.status_code == 303
    assert "Ada Lovelace" in (await client.get(raised.headers["location"])).text
    ambiguous = await client.post(
        "/complaints", data={"csrf_token": signed_in, "contact_id": "", "contact_id_text": "ada", "summary": "Late"}
    )
    assert ambiguous.status_code == 422
    assert "several contacts match" in ambiguous.text and 'value="ada"' in ambiguous.text
    unknown = await client.post(
        "/complaints", data={"csrf_token": signed_in, "contact_id_text": "nobody", "summary": "Late"}
    )
    assert unknown.status_code == 422 and "no contact matches" in unknown.text
    # The relationship form takes the picker's id, or the one contact a typed name matches.
    byron = await client.post(
        f"/contacts/{ada}/relationships",
        data={"csrf_token": signed_in, "kind": "buys_for", "to_contact_id": "", "to_contact_id_text": "byron"},
    )
    assert byron.status_code == 303, re.findall(r"field-error[^<]*<", byron.text)
    assert "Ada Byron" in (await client.get(f"/contacts/{ada}")).text


EMPTY_LISTS = [
    "/contacts",
    "/segments",
    "/complaints",
    "/surveys",
    "/referrals",
    "/reviews",
    "/reviews?status=approved",
    "/success",
    "/success?tab=team",
    "/success/playbooks",
]


@pytest.mark.parametrize("path", EMPTY_LISTS)
async def test_an_empty_list_says_what_to_do_next(
    path: str, client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    page = (await client.get(path)).text
    start = page.index("data-empty")
    block = page[start : page.index("</", page.index("<a ", start)) + 4]
    assert "<a " in block and len(re.sub(r"<[^>]+>", "", block)) > 30, block


async def test_an_expired_form_explains_itself_inside_the_console(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    response = await client.post(
        "/segments", data={"csrf_token": "stale", "name": "x", "rule": "orders > 1"}, headers={"Accept": "text/html"}
    )
    assert response.status_code == 403
    assert "did not come from Frontdesk" in response.text and 'aria-label="Main"' in response.text
