"""Referral links land: a ?ref=CODE the widget kept counts when its visitor becomes a contact or first buys."""

from __future__ import annotations

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk import security
from frontdesk.conversations.identity import do_confirm_claim
from frontdesk.conversations.models import Visitor as VisitorRow
from frontdesk.conversations.visitors import do_start_visitor, get_chat_settings
from frontdesk.conversations.visits import do_note_referral
from frontdesk.db import create_session_factory, utcnow
from frontdesk.referrals.models import Referral
from frontdesk.referrals.service import get_or_create_code
from tests.conversations.chat_clients import Visitor, allow_site
from tests.factories import WorkspaceHandle


async def _code_of(server_url: str, workspace: WorkspaceHandle, contact_id: int) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server_url}/api/v1/contacts/{contact_id}/referral-code", headers=workspace.headers)
    code: str = response.json()["code"]
    return code


async def _row(engine: AsyncEngine, visitor: Visitor) -> VisitorRow:
    async with create_session_factory(engine)() as session:
        row = await session.scalar(
            select(VisitorRow).where(VisitorRow.token_hash == security.token_digest(visitor.visitor_token or ""))
        )
        assert row is not None
        return row


async def _referrals(engine: AsyncEngine, workspace_id: int) -> list[tuple[int | None, int | None, int | None]]:
    async with create_session_factory(engine)() as session:
        rows = await session.execute(
            select(Referral.referrer_id, Referral.referred_id, Referral.order_id)
            .where(Referral.workspace_id == workspace_id)
            .order_by(Referral.id)
        )
        return [(a, b, c) for a, b, c in rows.all()]


async def _link(engine: AsyncEngine, visitor: Visitor, contact_id: int) -> None:
    """The visitor's browser joins a contact without a chat (the e-mailed link, an agent's merge)."""
    row = await _row(engine, visitor)
    async with create_session_factory(engine)() as session:
        await session.execute(update(VisitorRow).where(VisitorRow.id == row.id).values(contact_id=contact_id))
        await session.commit()


async def test_a_kept_code_counts_when_the_visitor_becomes_a_contact_once_and_unknown_codes_are_ignored(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    rita = await workspace.contact(name="Rita Referrer")
    code = await _code_of(server_url, workspace, rita)
    token = await allow_site(engine, workspace.id)

    stranger = Visitor(server_url, token)
    assert (await stranger.start_session(referral_code="NOSUCHCD"))["status"] == 200
    assert (await _row(engine, stranger)).referral_code is None
    for odd in (42, ["x"], "x" * 500, ""):
        assert (await stranger.start_session(referral_code=odd))["status"] == 200  # dropped, never fatal

    visitor = Visitor(server_url, token)
    await visitor.start_session(referral_code=code.lower())  # as typed from a link: case does not matter
    assert (await _row(engine, visitor)).referral_code == code
    assert await _referrals(engine, workspace.id) == []  # not a contact yet
    await visitor.connect()
    try:
        await visitor.send("Rita sent me", team="sales")
        await visitor.expect("ack")
        await visitor.send("Still here")
        await visitor.expect("ack")
    finally:
        await visitor.close()
    await visitor.start_session(referral_code=code)  # the link opened again
    contact_id = (await _row(engine, visitor)).contact_id
    assert contact_id is not None
    assert await _referrals(engine, workspace.id) == [(rita, contact_id, None)]


async def test_a_kept_code_counts_with_the_first_order_and_never_for_the_referrer_or_an_earlier_customer(
    server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    await workspace.product("TEA-1")
    rita = await workspace.contact(name="Rita Referrer")
    code = await _code_of(server_url, workspace, rita)
    token = await allow_site(engine, workspace.id)

    rita_browser = Visitor(server_url, token)  # Rita clicks her own link
    await rita_browser.start_session()
    await _link(engine, rita_browser, rita)
    await rita_browser.start_session(referral_code=code)
    await workspace.order("R-1", rita, "TEA-1")
    assert await _referrals(engine, workspace.id) == []

    nina = await workspace.contact(name="Nina New")
    nina_browser = Visitor(server_url, token)
    await nina_browser.start_session(referral_code=code)
    await _link(engine, nina_browser, nina)  # joined without the widget's hook: the order counts it
    first = await workspace.order("N-1", nina, "TEA-1", ordered_at="2026-02-01T12:00:00Z")
    await workspace.order("N-2", nina, "TEA-1", ordered_at="2026-03-01T12:00:00Z")
    assert await _referrals(engine, workspace.id) == [(rita, nina, first)]

    carl = await workspace.contact(name="Carl Customer")
    await workspace.order("C-1", carl, "TEA-1", ordered_at="2026-01-01T12:00:00Z")
    carl_browser = Visitor(server_url, token)
    await carl_browser.start_session(referral_code=code)
    await _link(engine, carl_browser, carl)
    await workspace.order("C-2", carl, "TEA-1", ordered_at="2026-04-01T12:00:00Z")
    assert await _referrals(engine, workspace.id) == [(rita, nina, first)]  # Carl had bought before the code


async def test_a_kept_code_counts_when_a_verified_address_joins_the_visitor_to_its_contact(
    engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    rita = await workspace.contact(name="Rita Referrer")
    nina = await workspace.contact(name="Nina New", emails=["nina@shop.example"])
    factory = create_session_factory(engine)
    async with factory() as session:
        code = await get_or_create_code(session=session, workspace_id=workspace.id, contact_id=rita)
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        visitor = (await do_start_visitor(session=session, settings=settings, visitor_token=None)).visitor
        assert await do_note_referral(session=session, visitor=visitor, code=code)
        visitor.claimed_email, visitor.claimed_at = "nina@shop.example", utcnow()
        for _ in range(2):  # the e-mailed link opened twice
            await do_confirm_claim(session=session, visitor=visitor, how="link", actor="test")
        await session.commit()
    assert await _referrals(engine, workspace.id) == [(rita, nina, None)]
