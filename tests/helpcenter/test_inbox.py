"""The help center in the inbox: suggested articles, the composer's link search, a reply turned into a draft."""

from __future__ import annotations

import re
import uuid

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.models import Conversation, Message
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import service
from frontdesk.helpcenter.models import HelpArticle, HelpCenter, HelpSearch, HelpTranslation
from frontdesk.helpcenter.suggestions import opening_question, question_before
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import csrf_of, login


async def _articles(engine: AsyncEngine, workspace: WorkspaceHandle) -> None:
    """A published returns article, a published shipping one, and a draft about returns the public cannot see."""
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith")
    async with create_session_factory(engine).begin() as session:
        for title, body, publish in (
            ("How returns work", "Send the parcel back within 30 days.", True),
            ("Shipping times", "Parcels arrive in two days.", True),
            ("Returns for damaged goods draft", "Not ready.", False),
        ):
            draft = await service.do_create_article(
                session=session, workspace_id=workspace.id, by=by, locale="en", title=title, body=body
            )
            if publish:
                await service.do_publish(session=session, workspace_id=workspace.id, translation_id=draft.id, by=by)


async def _sign_in(client: httpx.AsyncClient, workspace: WorkspaceHandle, role: Role) -> str:
    await login(client, await workspace.add_agent(role))
    return csrf_of((await client.get("/settings/profile")).text)


async def _reply(client: httpx.AsyncClient, conversation: int, csrf: str, body: str, kind: str = "") -> None:
    data = {"body": body, "client_id": uuid.uuid4().hex} | ({"kind": kind} if kind else {})
    sent = await client.post(f"/inbox/{conversation}/messages", data=data, headers={"X-CSRF-Token": csrf})
    assert sent.status_code == 200, sent.text


async def _messages(engine: AsyncEngine, conversation: int) -> list[Message]:
    async with create_session_factory(engine)() as session:
        return list(await session.scalars(select(Message).where(Message.conversation_id == conversation)))


async def test_suggestions_show_published_matches_beside_the_conversation(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await _articles(engine, workspace)
    conversation = await workspace.conversation("Hello, how do returns work?")
    await _sign_in(client, workspace, Role.agent)
    page = await client.get(f"/inbox/{conversation}")
    assert f'hx-get="/console/inbox/{conversation}/help-suggestions"' in page.text

    fragment = await client.get(f"/console/inbox/{conversation}/help-suggestions", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "How returns work" in fragment.text
    assert "draft" not in fragment.text.lower()  # the unpublished returns article is never suggested
    assert "Shipping times" not in fragment.text
    url = f"http://testserver/help/{await _slug(engine, workspace)}/en/articles/how-returns-work"
    assert f'data-help-insert="How returns work: {url}"' in fragment.text
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(HelpSearch)) == 0  # not a visitor's search

    unanswered = await workspace.conversation("Do you sell gift vouchers?")
    empty = await client.get(f"/console/inbox/{unanswered}/help-suggestions")
    assert "No published article matches" in empty.text


async def _slug(engine: AsyncEngine, workspace: WorkspaceHandle) -> str:
    from frontdesk.workspaces.models import Workspace

    async with create_session_factory(engine)() as session:
        found = await session.get(Workspace, workspace.id)
        assert found is not None
        return found.slug


async def test_link_search_finds_published_articles_only(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await _articles(engine, workspace)
    await _sign_in(client, workspace, Role.agent)
    found = (await client.get("/console/help/link-search", params={"q": "returns"})).json()
    assert [item["title"] for item in found["items"]] == ["How returns work"]
    item = found["items"][0]
    assert item["url"].endswith("/en/articles/how-returns-work") and item["url"].startswith("http://testserver/help/")
    assert item["text"] == f"How returns work: {item['url']}"
    assert (await client.get("/console/help/link-search", params={"q": ""})).json()["items"] == []
    refused = await client.get("/console/help/link-search", params={"q": "x", "locale": "fr"})
    assert refused.status_code == 422
    signed_out = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    assert (await signed_out.get("/console/help/link-search", params={"q": "returns"})).status_code == 303


async def test_an_editor_turns_a_reply_into_a_draft_article(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    conversation = await workspace.conversation("How  do I return\na damaged parcel?")
    csrf = await _sign_in(client, workspace, Role.editor)
    await _reply(client, conversation, csrf, "Send it back with the label in the box; we refund in 5 days.")
    await _reply(client, conversation, csrf, "Customer seems upset", kind="note")
    messages = await _messages(engine, conversation)
    visitor, reply, note = (
        next(m for m in messages if m.author_type == kind and m.kind == k)
        for kind, k in (("visitor", "message"), ("agent", "message"), ("agent", "note"))
    )
    page = await client.get(f"/inbox/{conversation}")
    assert f"/console/inbox/{conversation}/messages/{reply.id}/article" in page.text
    assert f"/messages/{note.id}/article" not in page.text and f"/messages/{visitor.id}/article" not in page.text

    forged = await client.post(f"/console/inbox/{conversation}/messages/{reply.id}/article")
    assert forged.status_code == 403
    turned = await client.post(f"/console/inbox/{conversation}/messages/{reply.id}/article", data={"csrf_token": csrf})
    assert turned.status_code == 303
    match = re.fullmatch(r"/console/help/articles/(\d+)/en", turned.headers["location"])
    assert match
    async with create_session_factory(engine)() as session:
        article = await session.get(HelpArticle, int(match.group(1)))
        assert article is not None and article.source_conversation_id == conversation
        draft = await session.scalar(select(HelpTranslation).where(HelpTranslation.article_id == article.id))
        assert draft is not None
        assert draft.title == "How do I return a damaged parcel?"
        assert draft.body == "Send it back with the label in the box; we refund in 5 days."
        assert draft.published_at is None  # a draft for an editor to polish

    for refused in (note.id, visitor.id):
        response = await client.post(
            f"/console/inbox/{conversation}/messages/{refused}/article", data={"csrf_token": csrf}
        )
        assert response.status_code == 422, response.text


async def test_agents_cannot_turn_replies_into_articles(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    conversation = await workspace.conversation("Where is my order?")
    csrf = await _sign_in(client, workspace, Role.agent)
    await _reply(client, conversation, csrf, "It ships tomorrow.")
    reply = next(m for m in await _messages(engine, conversation) if m.author_type == "agent")
    page = await client.get(f"/inbox/{conversation}")
    assert "Turn into article" not in page.text
    refused = await client.post(f"/console/inbox/{conversation}/messages/{reply.id}/article", data={"csrf_token": csrf})
    assert refused.status_code == 403
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(HelpArticle)) == 0


async def test_another_workspaces_conversations_are_not_found(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await _articles(engine, workspace)
    conversation = await workspace.conversation("Secret: how do returns work?")
    await login(client, workspace.admin_email)
    admin_csrf = csrf_of((await client.get("/settings/profile")).text)
    await _reply(client, conversation, admin_csrf, "Secret answer")
    reply = next(m for m in await _messages(engine, conversation) if m.author_type == "agent")

    outsider = httpx.AsyncClient(transport=client._transport, base_url="http://testserver")
    csrf = await _sign_in(outsider, other_workspace, Role.admin)
    suggested = await outsider.get(f"/console/inbox/{conversation}/help-suggestions")
    assert suggested.status_code == 404 and "Secret" not in suggested.text
    turned = await outsider.post(
        f"/console/inbox/{conversation}/messages/{reply.id}/article", data={"csrf_token": csrf}
    )
    assert turned.status_code == 404
    own = await other_workspace.conversation("Hello")
    crossed = await outsider.post(f"/console/inbox/{own}/messages/{reply.id}/article", data={"csrf_token": csrf})
    assert crossed.status_code == 404
    assert (await outsider.get("/console/help/link-search", params={"q": "returns"})).json()["items"] == []
    async with create_session_factory(engine)() as session:
        assert await session.scalar(select(func.count()).select_from(HelpArticle)) == 3  # only A's own three


async def test_a_draft_from_a_reply_starts_without_the_customer_in_it(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    """The draft outlives the customer (it is not erased with them): their name, however they gave it, their
    addresses and numbers are placeholders; the reply's links to the shop's own pages stay."""
    question = (
        "Hi, I'm Ana Ruiz: order 100234 to ana.ruiz@example.com never came, call +49 151 2345 6789. "
        "Tracking: https://shop.example/track/XK42"
    )
    conversation = await workspace.conversation(question, name="Ana Ruiz", email="ana.ruiz@example.com")
    csrf = await _sign_in(client, workspace, Role.editor)
    await _reply(
        client, conversation, csrf, "Hello ANA, order 100234 left on 2 May: https://shop.example/help/delivery"
    )
    reply = next(m for m in await _messages(engine, conversation) if m.author_type == "agent")
    turned = await client.post(f"/console/inbox/{conversation}/messages/{reply.id}/article", data={"csrf_token": csrf})
    assert turned.status_code == 303
    async with create_session_factory(engine)() as session:
        draft = await session.scalar(select(HelpTranslation))
        assert draft is not None
        assert draft.title == ("Hi, I'm [name]: order [number] to [email] never came, call [number]. Tracking: [link]")
        assert draft.body == "Hello [name], order [number] left on 2 May: https://shop.example/help/delivery"


def _line(seq: int, author: str, body: str, kind: str = "message") -> Message:
    return Message(seq=seq, author_type=author, kind=kind, body=body)


def test_the_question_is_what_the_visitor_asked_before_the_reply() -> None:
    thread = [
        _line(1, "visitor", "Hi"),
        _line(2, "visitor", "how do refunds work?"),
        _line(3, "agent", "Hello! Within 5 days."),
        _line(4, "visitor", "And for   gift cards?"),
        _line(5, "agent", "checking", kind="note"),
        _line(6, "system", "Agent joined"),
        _line(7, "agent", "Gift cards are refunded as credit."),
    ]
    assert opening_question(thread) == "Hi how do refunds work?"
    assert question_before(thread, thread[2]) == "Hi how do refunds work?"
    assert question_before(thread, thread[6]) == "And for gift cards?"
    long = [_line(1, "visitor", "word " * 100), _line(2, "agent", "answer")]
    title = question_before(long, long[1])
    assert len(title) <= 200 and title.endswith("…")


async def test_a_reply_to_a_german_question_becomes_a_german_draft(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    conversation = await workspace.conversation("Wie kann ich meine Bestellung zurückschicken?")
    async with create_session_factory(engine).begin() as session:
        row = await session.get(Conversation, conversation)
        assert row is not None
        row.context = {**(row.context or {}), "language": "de-AT"}
    csrf = await _sign_in(client, workspace, Role.editor)
    await _reply(client, conversation, csrf, "Legen Sie das Etikett in das Paket.")
    reply = next(m for m in await _messages(engine, conversation) if m.author_type == "agent")
    turned = await client.post(f"/console/inbox/{conversation}/messages/{reply.id}/article", data={"csrf_token": csrf})
    assert turned.status_code == 303
    assert re.fullmatch(r"/console/help/articles/\d+/de", turned.headers["location"])


async def test_links_use_the_custom_domain_when_the_help_center_has_one(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, engine: AsyncEngine
) -> None:
    await _articles(engine, workspace)
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example"))
    await _sign_in(client, workspace, Role.agent)
    (item,) = (await client.get("/console/help/link-search", params={"q": "returns"})).json()["items"]
    assert item["url"] == "http://help.acme.example/en/articles/how-returns-work"
    assert item["text"] == f"How returns work: {item['url']}"
