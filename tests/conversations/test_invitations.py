"""Proactive chat: each condition of an invitation rule as a class, all together, once per visitor and rule."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.conversations.invitations import InvitationOffer, mark_answered, match_invitation, page_target
from frontdesk.conversations.models import Conversation, Invitation, Visitor
from frontdesk.conversations.visitors import do_start_visitor, get_chat_settings
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login

API = "/api/v1/invitation-rules"


async def _rule(client: httpx.AsyncClient, workspace: WorkspaceHandle, **fields: Any) -> dict[str, Any]:
    body = {"name": "Rule", "message": "Can we help?", **fields}
    response = await client.post(API, json=body, headers=workspace.headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def _visitor(workspace: WorkspaceHandle, *, sessions: int = 1, contact_id: int | None = None) -> int:
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
        started.visitor.sessions = sessions
        started.visitor.contact_id = contact_id
        await session.commit()
        return started.visitor.id


async def _offer(
    workspace: WorkspaceHandle,
    visitor_id: int,
    page_url: str = "https://shop.example/",
    seconds: int = 0,
    factory: async_sessionmaker[AsyncSession] | None = None,
) -> InvitationOffer | None:
    async with (factory or create_session_factory(workspace.engine))() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        visitor = await session.get(Visitor, visitor_id)
        assert visitor is not None
        offer = await match_invitation(
            session=session, settings=settings, visitor=visitor, page_url=page_url, seconds_on_page=seconds
        )
        await session.commit()
        return offer


@pytest.mark.parametrize(
    ("pattern", "url", "matches"),
    [
        ("/pricing*", "https://shop.example/pricing", True),
        ("/pricing*", "https://shop.example/pricing/team?plan=pro", True),
        ("/pricing*", "https://shop.example/about/pricing", False),
        ("*pricing*", "https://shop.example/about/pricing", True),
        ("/cart", "https://shop.example/cart?step=2", False),
        ("/cart?step=2", "https://shop.example/cart?step=2", True),
        ("/Cart", "https://shop.example/cart", False),  # paths are case-sensitive
        ("/shop/*/checkout", "/shop/eu/checkout", True),
        ("*", "https://shop.example/", True),
    ],
)
async def test_the_page_condition_globs_path_and_query(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, pattern: str, url: str, matches: bool
) -> None:
    await _rule(client, workspace, url_pattern=pattern)
    offer = await _offer(workspace, await _visitor(workspace), page_url=url)
    assert (offer is not None) is matches


@pytest.mark.parametrize(
    ("minimum", "seconds", "matches"), [(30, 0, False), (30, 29, False), (30, 30, True), (0, 0, True)]
)
async def test_the_time_on_page_condition(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, minimum: int, seconds: int, matches: bool
) -> None:
    await _rule(client, workspace, min_seconds_on_page=minimum)
    offer = await _offer(workspace, await _visitor(workspace), seconds=seconds)
    assert (offer is not None) is matches


@pytest.mark.parametrize(
    ("returning_only", "sessions", "matches"), [(True, 1, False), (True, 2, True), (False, 1, True)]
)
async def test_the_returning_visitor_condition(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, returning_only: bool, sessions: int, matches: bool
) -> None:
    await _rule(client, workspace, returning_only=returning_only)
    offer = await _offer(workspace, await _visitor(workspace, sessions=sessions))
    assert (offer is not None) is matches


async def test_a_segment_rule_matches_identified_visitors_in_the_segment_only(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _rule(client, workspace, segment_rule='country = "DE" and tag = "vip"')
    in_segment = await workspace.contact(name="In", country="DE", tags=["vip"])
    outside = await workspace.contact(name="Out", country="FR", tags=["vip"])
    assert await _offer(workspace, await _visitor(workspace, contact_id=in_segment)) is not None
    assert await _offer(workspace, await _visitor(workspace, contact_id=outside)) is None
    assert await _offer(workspace, await _visitor(workspace)) is None  # anonymous: never matches a segment


FAILING = {
    "page": {"page_url": "https://shop.example/blog"},
    "time": {"seconds": 5},
    "returning": {"sessions": 1},
    "segment": {"contact": "outside"},
}


@pytest.mark.parametrize("failing", [None, *FAILING])
async def test_all_conditions_together_must_all_hold(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, failing: str | None
) -> None:
    await _rule(
        client,
        workspace,
        url_pattern="/pricing*",
        min_seconds_on_page=20,
        returning_only=True,
        segment_rule='country = "DE"',
        team="sales",
        message="Questions about plans?",
    )
    contacts = {
        "inside": await workspace.contact(name="In", country="DE"),
        "outside": await workspace.contact(name="Out", country="AT"),
    }
    case: dict[str, Any] = {
        "page_url": "https://shop.example/pricing",
        "seconds": 25,
        "sessions": 3,
        "contact": "inside",
    }
    case.update(FAILING.get(failing or "", {}))
    visitor = await _visitor(workspace, sessions=case["sessions"], contact_id=contacts[case["contact"]])
    offer = await _offer(workspace, visitor, page_url=case["page_url"], seconds=case["seconds"])
    if failing:
        assert offer is None
    else:
        assert offer is not None
        assert (offer.team, offer.message, offer.author_name) == ("sales", "Questions about plans?", "Sales")


async def test_each_rule_is_shown_once_per_visitor_by_priority_and_disabled_rules_never(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    late = await _rule(client, workspace, name="Late", priority=50)
    first = await _rule(client, workspace, name="First", priority=10)
    await _rule(client, workspace, name="Off", priority=1, enabled=False)
    visitor = await _visitor(workspace)
    offers = [await _offer(workspace, visitor) for _ in range(3)]
    assert [offer.rule_id if offer else None for offer in offers] == [first["id"], late["id"], None]
    # Another visitor sees them again; the first visitor's record keeps the page they saw.
    assert (await _offer(workspace, await _visitor(workspace))) is not None
    async with create_session_factory(workspace.engine)() as session:
        pages = (await session.scalars(select(Invitation.page_url).where(Invitation.visitor_id == visitor))).all()
    assert pages == ["https://shop.example/", "https://shop.example/"]


async def test_a_concurrent_double_call_shows_the_invitation_once(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, two_processes: list[async_sessionmaker[AsyncSession]]
) -> None:
    await _rule(client, workspace)
    for _ in range(3):
        visitor = await _visitor(workspace)
        offers = await asyncio.gather(*(_offer(workspace, visitor, factory=factory) for factory in two_processes))
        assert sum(offer is not None for offer in offers) == 1
        async with create_session_factory(workspace.engine)() as session:
            shown = await session.scalar(select(func.count()).where(Invitation.visitor_id == visitor))
        assert shown == 1


async def test_only_the_visitors_own_invitation_is_marked_answered(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _rule(client, workspace)
    visitor, stranger = await _visitor(workspace), await _visitor(workspace)
    offer = await _offer(workspace, visitor)
    assert offer is not None
    own_conversation = await workspace.conversation("Yes please")
    async with create_session_factory(workspace.engine)() as session:
        stranger_row = await session.get(Visitor, stranger)
        owner_row = await session.get(Visitor, visitor)
        assert stranger_row is not None and owner_row is not None
        await mark_answered(
            session=session, visitor=stranger_row, invitation_id=offer.invitation_id, conversation_id=own_conversation
        )
        # The owner, with a conversation that is not theirs: nothing either.
        await mark_answered(
            session=session, visitor=owner_row, invitation_id=offer.invitation_id, conversation_id=own_conversation
        )
        await session.commit()
        invitation = await session.get(Invitation, offer.invitation_id)
        assert invitation is not None and invitation.answered_at is None
        conversation = await session.get(Conversation, own_conversation)
        assert conversation is not None
        conversation.visitor_id = visitor
        await session.commit()
        await mark_answered(
            session=session, visitor=owner_row, invitation_id=offer.invitation_id, conversation_id=own_conversation
        )
        await session.commit()
        await session.refresh(invitation)
        assert invitation.answered_at is not None and invitation.conversation_id == own_conversation


def test_the_page_target_is_path_and_query() -> None:
    assert page_target("https://shop.example/a/b?x=1#frag") == "/a/b?x=1"
    assert page_target("https://shop.example") == "/"
    assert page_target("/cart") == "/cart"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"url_pattern": "pricing"}, "url_pattern"),
        ({"url_pattern": "/a b"}, "url_pattern"),
        ({"min_seconds_on_page": -1}, "min_seconds_on_page"),
        ({"min_seconds_on_page": 3601}, "min_seconds_on_page"),
        ({"segment_rule": "country = "}, "segment_rule"),
        ({"segment_rule": "shoe_size > 3"}, "segment_rule"),
        ({"message": ""}, "message"),
        ({"message": "x" * 1001}, "message"),
        ({"message": "   "}, "message"),
        ({"team": "billing"}, "team"),
        ({"priority": -5}, "priority"),
        ({"name": ""}, "name"),
    ],
)
async def test_bad_rules_are_refused_naming_the_field(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, fields: dict[str, Any], field: str
) -> None:
    body = {"name": "Rule", "message": "Hello", **fields}
    response = await client.post(API, json=body, headers=workspace.headers)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field


async def test_rule_crud(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    rule = await _rule(client, workspace, url_pattern="/pricing*", team="sales", segment_rule='lifecycle = "lapsed"')
    assert (rule["team"], rule["enabled"], rule["priority"]) == ("sales", True, 100)
    url = f"{API}/{rule['id']}"
    patched = await client.patch(url, json={"team": None, "enabled": False}, headers=workspace.headers)
    assert patched.status_code == 200
    assert (patched.json()["team"], patched.json()["enabled"], patched.json()["url_pattern"]) == (
        None,
        False,
        "/pricing*",
    )
    assert (await client.patch(url, json={"segment_rule": "nonsense"}, headers=workspace.headers)).status_code == 422
    listed = (await client.get(API, headers=workspace.headers)).json()
    assert [item["id"] for item in listed["items"]] == [rule["id"]]
    agent = await workspace.key_with_role(Role.agent)
    assert (await client.post(API, json={"name": "x", "message": "y"}, headers=agent)).status_code == 403
    assert (await client.delete(url, headers=workspace.headers)).status_code == 204
    assert (await client.get(url, headers=workspace.headers)).status_code == 404


async def test_another_workspaces_rules_are_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    rule = await _rule(client, workspace, name="Secret rule", message="Secret message")
    b = other_workspace.headers
    for method, body in (("GET", None), ("PATCH", {"name": "Hijacked"}), ("DELETE", None)):
        response = await client.request(method, f"{API}/{rule['id']}", json=body, headers=b)
        assert response.status_code == 404 and "Secret" not in response.text
    assert (await client.get(API, headers=b)).json()["items"] == []
    # Another workspace's visitor is never offered this workspace's rules.
    assert await _offer(other_workspace, await _visitor(other_workspace)) is None
    assert (await client.get(f"{API}/{rule['id']}", headers=workspace.headers)).json()["name"] == "Secret rule"


async def test_a_team_outside_its_office_hours_does_not_invite_until_it_opens(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _rule(client, workspace, team="sales", message="Sales here")
    closed = {"office_hours": {"mon": []}, "time_zone": None}  # closed every day
    await client.put("/api/v1/teams/sales/office-hours", json=closed, headers=workspace.headers)
    visitor = await _visitor(workspace)
    assert await _offer(workspace, visitor) is None
    always = {"office_hours": {}, "time_zone": None}
    await client.put("/api/v1/teams/sales/office-hours", json=always, headers=workspace.headers)
    offer = await _offer(workspace, visitor)  # not recorded while closed: shown now, for the first time
    assert offer is not None and offer.team == "sales"


async def test_invitation_rules_in_the_console(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await login(client, workspace.admin_email)
    csrf = csrf_of((await client.get("/settings/chat")).text)
    form = {
        "csrf_token": csrf, "name": "Pricing", "message": "Questions about plans?", "url_pattern": "/pricing*",
        "min_seconds_on_page": "30", "segment_rule": "", "team": "sales", "priority": "5", "enabled": "on",
    }  # fmt: skip
    assert (await client.post("/settings/invitation-rules", data=form)).status_code == 303
    rule = (await client.get(API, headers=workspace.headers)).json()["items"][0]
    assert (rule["url_pattern"], rule["min_seconds_on_page"], rule["team"], rule["priority"]) == (
        "/pricing*",
        30,
        "sales",
        5,
    )
    assert (rule["enabled"], rule["returning_only"], rule["segment_rule"]) == (True, False, None)
    refused = await client.post("/settings/invitation-rules", data={**form, "segment_rule": "lifecycle = "})
    assert refused.status_code == 422 and "segment_rule" in refused.text
    edited = await client.post(
        f"/settings/invitation-rules/{rule['id']}", data={**form, "enabled": "", "returning_only": "on"}
    )
    assert edited.status_code == 303
    after = (await client.get(f"{API}/{rule['id']}", headers=workspace.headers)).json()
    assert (after["enabled"], after["returning_only"]) == (False, True)
    page = (await client.get("/settings/chat")).text
    assert "Pricing" in page and "Questions about plans?" in page
    deleted = await client.post(f"/settings/invitation-rules/{rule['id']}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303
    assert (await client.get(API, headers=workspace.headers)).json()["items"] == []
