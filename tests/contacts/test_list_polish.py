"""The contacts list: sorting by column with paging kept, orders and spend, bulk actions scoped to the
workspace, the CSV export of a selection, and the search behind the contact picker."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.list_pages import PAGE_SIZE
from frontdesk.contacts.models import Contact, ContactTag
from frontdesk.contacts.search import fold_for_search
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

NAMES = ["Émile Zola", "anna Berg", "Zoë Adams", "Bob Stone", "émilie Dubois", "Chloé Martin", "Ben Ali"]


@pytest.fixture
async def signed_in(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> str:
    await login(client, workspace.admin_email)
    return csrf_of((await client.get("/contacts")).text)


def names_in(html: str) -> list[str]:
    return re.findall(r'<a href="/contacts/\d+">([^<]+)</a>', html)


async def _customers(workspace: WorkspaceHandle) -> dict[str, tuple[int, int, datetime | None]]:
    """Contacts with 0 to 3 orders of 10.00 each on different days: name -> (id, orders, last order)."""
    await workspace.product("TEA")
    made: dict[str, tuple[int, int, datetime | None]] = {}
    start = datetime(2026, 3, 1, 12, tzinfo=UTC)
    for index, name in enumerate(NAMES):
        contact_id = await workspace.contact(name=name)
        count = (index * 5) % 4  # 0, 1, 2, 3, 0, 1, 2
        last = None
        for n in range(count):
            last = start + timedelta(days=index * 3 - n)
            await workspace.order(f"O-{index}-{n}", contact_id, "TEA", ordered_at=last.isoformat())
        made[name] = (contact_id, count, last)
    return made


async def test_every_column_sorts_both_ways_with_ties_broken_by_id(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    made = await _customers(workspace)
    oracles = {
        "name": lambda name: (fold_for_search(name), made[name][0]),
        "orders": lambda name: (made[name][1], made[name][0]),
        "spend": lambda name: (made[name][1] * 10, made[name][0]),
        "created": lambda name: (made[name][0],),  # created one after another: the id order
    }
    for column, key in oracles.items():
        for direction in ("asc", "desc"):
            page = await client.get("/contacts", params={"sort": f"{'-' if direction == 'desc' else ''}{column}"})
            expected = sorted(NAMES, key=key, reverse=direction == "desc")
            assert names_in(page.text) == expected, (column, direction)
            assert re.search(r'aria-sort="(ascending|descending)"', page.text)
    # Contacts without orders have no last order: they come last both ways.
    for direction in ("asc", "desc"):
        page = await client.get("/contacts", params={"sort": f"{'-' if direction == 'desc' else ''}last_order"})
        shown = names_in(page.text)
        with_orders = [name for name in NAMES if made[name][2] is not None]
        dated = sorted(with_orders, key=lambda name: (made[name][2], made[name][0]), reverse=direction == "desc")
        assert shown == dated + sorted(
            (name for name in NAMES if made[name][2] is None),
            key=lambda name: made[name][0],
            reverse=direction == "desc",
        )
    # The orders and spend columns show the commerce figures.
    page = await client.get("/contacts", params={"sort": "-orders"})
    first_row = page.text[page.text.index("<tbody>") : page.text.index("</tr>", page.text.index("<tbody>"))]
    assert 'data-label="Orders" class="num">3<' in first_row and 'data-label="Spend" class="num">30.00<' in first_row


async def test_paging_keeps_the_sort_and_shows_each_contact_once(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, signed_in: str
) -> None:
    for n in range(PAGE_SIZE + 5):
        await workspace.contact(name=f"Person {n % 3}")  # many equal names: the id decides among them
    first = await client.get("/contacts", params={"sort": "name", "q": "person"})
    next_link = re.search(r'href="(/contacts\?[^"]*page=2[^"]*)"', first.text)
    assert next_link
    url = next_link.group(1).replace("&amp;", "&")
    assert "sort=name" in url and "q=person" in url
    second = await client.get(url)
    seen = re.findall(r'<a href="/contacts/(\d+)">', first.text) + re.findall(
        r'<a href="/contacts/(\d+)">', second.text
    )
    assert len(seen) == len(set(seen)) == PAGE_SIZE + 5
    assert "page 2" in second.text
    # An unknown sort or page (an old or edited link) shows the default list, not an error.
    assert (await client.get("/contacts", params={"sort": "-evil", "page": "-3"})).status_code == 200


async def test_bulk_tag_and_owner_touch_only_this_workspaces_contacts(
    client: httpx.AsyncClient,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    other_workspace: WorkspaceHandle,
    signed_in: str,
) -> None:
    mine = [await workspace.contact(name=f"Mine {n}") for n in range(3)]
    theirs = await other_workspace.contact(name="Theirs")
    response = await client.post(
        "/contacts/bulk",
        data={"csrf_token": signed_in, "action": "tag", "tag": "VIP", "ids": [*mine[:2], theirs, "x", "-1"]},
    )
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    assert "Tag &#39;vip&#39; added to 2 contacts." in page.text
    async with create_session_factory(engine)() as session:
        tagged = set((await session.scalars(select(ContactTag.contact_id).where(ContactTag.tag == "vip"))).all())
    assert tagged == set(mine[:2])
    # Repeating it adds nothing and says so; a contact of another workspace alone is refused.
    again = await client.post(
        "/contacts/bulk", data={"csrf_token": signed_in, "action": "tag", "tag": "vip", "ids": mine[:1]}
    )
    assert "added to 0 contacts" in (await client.get(again.headers["location"])).text
    refused = await client.post(
        "/contacts/bulk", data={"csrf_token": signed_in, "action": "tag", "tag": "vip", "ids": [theirs]}
    )
    assert "select at least one contact" in (await client.get(refused.headers["location"])).text
    # Owner: to an agent of this workspace only.
    owner = await client.post(
        "/contacts/bulk", data={"csrf_token": signed_in, "action": "owner", "owner_id": "", "ids": mine}
    )
    assert "0 contacts changed owner" in (await client.get(owner.headers["location"])).text
    async with create_session_factory(engine)() as session:
        contact = await session.get_one(Contact, mine[0])
        assert contact.owner_id is None
    me = re.search(r'<option value="(\d+)">', (await client.get("/contacts")).text.split('name="owner_id"')[1])
    assert me
    given = await client.post(
        "/contacts/bulk", data={"csrf_token": signed_in, "action": "owner", "owner_id": me.group(1), "ids": mine}
    )
    assert "3 contacts changed owner" in (await client.get(given.headers["location"])).text
    foreign_agent = await client.post(
        "/contacts/bulk", data={"csrf_token": signed_in, "action": "owner", "owner_id": "999999", "ids": mine}
    )
    assert "Nothing changed" in (await client.get(foreign_agent.headers["location"])).text


async def test_export_of_a_selection_is_exactly_those_rows_and_safe_for_spreadsheets(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    chosen = [
        await workspace.contact(name='=HYPERLINK("http://x")', kind="organisation"),
        await workspace.contact(name="Jürgen", emails=["j@x.example"], tags=["b2b"]),
    ]
    await workspace.contact(name="Not chosen")
    theirs = await other_workspace.contact(name="Theirs")
    response = await client.post(
        "/contacts/bulk", data={"csrf_token": signed_in, "action": "export", "ids": [*chosen, theirs]}
    )
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert sorted(int(row["id"]) for row in rows) == sorted(chosen)
    by_id = {int(row["id"]): row for row in rows}
    assert by_id[chosen[0]]["name"] == '\'=HYPERLINK("http://x")'  # neutralised: shown as text
    assert by_id[chosen[1]]["name"] == "Jürgen" and by_id[chosen[1]]["emails"] == "j@x.example"
    assert by_id[chosen[1]]["tags"] == "b2b"


async def test_bulk_actions_need_the_forms_token(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact(name="Ann")
    await login(client, workspace.admin_email)
    response = await client.post("/contacts/bulk", data={"action": "tag", "tag": "x", "ids": [contact_id]})
    assert response.status_code == 403


async def test_picker_search_finds_by_name_email_or_id_in_this_workspace_only(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, signed_in: str
) -> None:
    mine = await workspace.contact(name="Zoë Müller", emails=["zoe@shop.example"])
    await other_workspace.contact(name="Zoe Muller", emails=["zoe@rival.example"])
    for query in ("zoe", "MULLER", "zoe@shop", str(mine), f"#{mine}"):
        found = (await client.get("/contacts/search.json", params={"q": query})).json()
        assert found == [{"id": mine, "name": "Zoë Müller", "email": "zoe@shop.example"}], query
    assert (await client.get("/contacts/search.json", params={"q": "zoe", "exclude": mine})).json() == []
    assert (await client.get("/contacts/search.json", params={"q": ""})).json() == []
