"""Contact search ignores accents and case on both databases: "muller" finds "Müller", "Muller" and "MÜLLER"."""

from __future__ import annotations

import unicodedata

import httpx
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts import importer, merge
from frontdesk.contacts.models import Contact
from frontdesk.contacts.schemas import ContactCreate, ContactUpdate
from frontdesk.contacts.search import SEARCH_NAME_LENGTH, fold_for_search, search_name_of
from frontdesk.contacts.service import ContactFilters, do_create_contact, do_update_contact, list_contacts
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login


@pytest.mark.parametrize(
    ("text", "folded"),
    [("Müller", "muller"), ("MÜLLER", "muller"), ("Muller", "muller"), ("Straße", "strasse"), ("Zoë", "zoe")],
)
def test_fold_removes_accents_and_case(text: str, folded: str) -> None:
    assert fold_for_search(text) == folded


@given(st.text())
def test_folding_twice_is_folding_once(text: str) -> None:
    once = fold_for_search(text)
    assert fold_for_search(once) == once
    assert not any(unicodedata.combining(ch) for ch in once)


async def _search(engine: AsyncEngine, workspace_id: int, q: str) -> list[str]:
    async with create_session_factory(engine)() as session:
        found, _ = await list_contacts(
            session=session, workspace_id=workspace_id, filters=ContactFilters(q=q), limit=200
        )
        return [contact.name for contact in found]


async def test_any_spelling_finds_every_spelling(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    for name in ("Müller", "Muller", "MÜLLER", "Jana Müllerová"):
        await workspace.contact(name=name)
    await workspace.contact(name="Miller")
    for query in ("muller", "Müller", "MULLER", "müll", "ÜLL"):
        assert sorted(await _search(engine, workspace.id, query)) == sorted(
            ["Jana Müllerová", "MÜLLER", "Muller", "Müller"]
        )


async def test_email_search_is_unchanged_and_wildcards_are_characters(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    await workspace.contact(name="Ann", emails=["Ann.Smith@Example.com"])
    await workspace.contact(name="100% Cotton Ltd", kind="organisation")
    await workspace.contact(name="1000 Cotton Ltd", kind="organisation")
    assert await _search(engine, workspace.id, "ann.smith@example") == ["Ann"]
    assert await _search(engine, workspace.id, "100%") == ["100% Cotton Ltd"]
    assert await _search(engine, workspace.id, "_") == []


async def test_every_write_path_keeps_the_search_name(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    contact_id = await workspace.contact(name="Zoë Ångström")
    duplicate_id = await workspace.contact(name="Renée")
    async with create_session_factory(engine)() as session:
        await do_update_contact(
            session=session,
            workspace_id=workspace.id,
            contact_id=contact_id,
            patch=ContactUpdate(name="Çelik Öztürk"),
            actor="test",
        )
        target = await session.get_one(Contact, contact_id)
        await merge.do_merge_contacts(
            session=session, target=target, duplicate=await session.get_one(Contact, duplicate_id), actor="test"
        )
        report = await importer.import_rows(
            session=session,
            workspace_id=workspace.id,
            header=["name", "emails"],
            rows=[(2, ["Élodie Brûlé", "e@x.example"]), (3, ["ŁUKASZ", "l@x.example"])],
            atomic=False,
            actor="test",
        )
        assert report.created == 2
        await session.commit()
        rows = (await session.execute(select(Contact.name, Contact.search_name))).all()
    assert {row.name: row.search_name for row in rows} == {
        "Çelik Öztürk": "celik ozturk",
        "Élodie Brûlé": "elodie brule",
        "ŁUKASZ": "łukasz",  # Ł is a letter of its own, not L with a mark: it only loses its case
    }


async def test_console_search_ignores_accents(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await workspace.contact(name="François Dupré")
    await login(client, workspace.admin_email)
    page = await client.get("/contacts", params={"q": "francois dupre"})
    assert "François Dupré" in page.text


names = st.text(min_size=1, max_size=SEARCH_NAME_LENGTH).filter(lambda name: "\x00" not in name and name.strip())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=names)
async def test_a_name_is_found_by_itself_and_by_its_folded_form(
    name: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    try:
        data = ContactCreate(name=name)
    except ValidationError:
        assume(False)
        raise
    async with create_session_factory(engine)() as session:
        contact = await do_create_contact(session=session, workspace_id=workspace.id, data=data, actor="test")
        await session.commit()
        contact_id = contact.id
    try:
        stored = await _search(engine, workspace.id, data.name or "")
        folded = await _search(engine, workspace.id, search_name_of(data.name))
        assert data.name in stored and data.name in folded
    finally:
        async with create_session_factory(engine)() as session:
            await session.delete(await session.get_one(Contact, contact_id))
            await session.commit()


async def test_a_statement_that_renames_contacts_refolds_their_search_name(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    """As when a visitor's forgotten name is replaced (conversations/identity.py): no ORM object involved."""
    contact_id = await workspace.contact(name="Zebulon Quackenbush")
    async with create_session_factory(engine)() as session:
        await session.execute(update(Contact).where(Contact.id == contact_id).values(name="Visitor Ærø"))
        await session.commit()
        assert await session.scalar(select(Contact.search_name).where(Contact.id == contact_id)) == "visitor ærø"
        with pytest.raises(ValueError, match="must set search_name too"):
            await session.execute(update(Contact).values(name=Contact.first_name))
    assert await _search(engine, workspace.id, "quackenbush") == []
