"""The widget's help endpoints: suggestions before a chat, an article opened in the widget, votes, going on to chat."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory, utcnow
from frontdesk.helpcenter import service, widget_help
from frontdesk.helpcenter.models import HelpArticleView, HelpCenter, HelpSearch, HelpSession, HelpVote
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.conversations.chat_clients import SITE, allow_site
from tests.factories import WorkspaceHandle


@dataclass
class WidgetVisitor:
    client: httpx.AsyncClient
    widget_token: str
    visitor_token: str
    origin: str = SITE

    def headers(self, **extra: str) -> dict[str, str]:
        return {
            "Origin": self.origin,
            "X-Frontdesk-Widget": self.widget_token,
            "X-Frontdesk-Visitor": self.visitor_token,
            **extra,
        }

    async def search(self, q: str | None, **params: str) -> httpx.Response:
        """A POST, the question in the body: a URL's query would land in proxy and access logs."""
        return await self.post("search", **({} if q is None else {"q": q}), **params)

    async def open(self, article_id: int | str) -> httpx.Response:
        return await self.client.get(f"/widget/api/help/articles/{article_id}", headers=self.headers())

    async def post(self, path: str, **body: Any) -> httpx.Response:
        sent = {"widget_token": self.widget_token, "visitor_token": self.visitor_token, **body}
        return await self.client.post(
            f"/widget/api/help/{path}",
            content=json.dumps(sent),
            headers={"Origin": self.origin, "Content-Type": "text/plain"},
        )


async def _slug(engine: AsyncEngine, workspace: WorkspaceHandle) -> str:
    async with create_session_factory(engine)() as session:
        found = await session.get(Workspace, workspace.id)
        assert found is not None
        return found.slug


async def _visitor(client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle) -> WidgetVisitor:
    token = await allow_site(engine, workspace.id)
    response = await client.post(
        "/widget/api/session", content=json.dumps({"widget_token": token}), headers={"Origin": SITE}
    )
    assert response.status_code == 200, response.text
    return WidgetVisitor(client, token, response.json()["visitor_token"])


async def _article(
    workspace: WorkspaceHandle, title: str, *, publish: bool = True, locale: str = "en", body: str = "Text."
) -> int:
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(workspace.engine).begin() as session:
        draft = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale=locale, title=title, body=body
        )
        if publish:
            await service.do_publish(session=session, workspace_id=workspace.id, translation_id=draft.id, by=by)
        return draft.id


async def _rows(engine: AsyncEngine, model: Any, workspace_id: int) -> list[Any]:
    async with create_session_factory(engine)() as session:
        return list(await session.scalars(select(model).where(model.workspace_id == workspace_id).order_by(model.id)))


async def test_a_typed_question_gets_published_articles_only_and_the_config_says_so(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    returns = await _article(workspace, "How returns work", body="Send the parcel back within **30 days**.")
    await _article(workspace, "Returns of opened items (draft)", publish=False)
    withdrawn = await _article(workspace, "Returns before 2020")
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(engine).begin() as session:
        await service.do_unpublish(session=session, workspace_id=workspace.id, translation_id=withdrawn, by=by)
    await _article(other_workspace, "Returns at the other shop")
    visitor = await _visitor(client, engine, workspace)

    started = await client.post(
        "/widget/api/session",
        content=json.dumps({"widget_token": visitor.widget_token, "visitor_token": visitor.visitor_token}),
        headers={"Origin": SITE},
    )
    assert started.json()["config"]["help"] == {"enabled": True, "locale": "en"}

    response = await visitor.search("returns")
    assert response.status_code == 200, response.text
    assert response.headers["access-control-allow-origin"] == SITE
    found = response.json()
    assert found["enabled"] is True
    assert [r["id"] for r in found["results"]] == [returns]
    assert found["results"][0]["title"] == "How returns work" and "snippet_html" in found["results"][0]


async def test_no_suggestions_when_they_are_off_or_the_help_center_is_private(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    article = await _article(workspace, "How returns work")
    visitor = await _visitor(client, engine, workspace)
    for off in ({"widget_suggestions": False}, {"is_public": False}):
        async with create_session_factory(engine).begin() as session:
            await session.merge(HelpCenter(workspace_id=workspace.id, **{"is_public": True, **off}))
        response = await visitor.search("returns")
        assert response.status_code == 200 and response.json()["enabled"] is False and response.json()["results"] == []
        assert (await visitor.open(article)).status_code == 404
        async with create_session_factory(engine)() as session:
            setup = await widget_help.widget_help(session=session, workspace_id=workspace.id, widget_language="en")
        assert setup.enabled is False
    assert await _rows(engine, HelpSearch, workspace.id) == []


async def test_the_config_has_help_off_without_articles_and_in_the_widgets_language(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine)() as session:
        empty = await widget_help.widget_help(session=session, workspace_id=workspace.id, widget_language="de")
    assert (empty.enabled, empty.locale) == (False, "de")
    await _article(workspace, "So funktionieren Rücksendungen", locale="de")
    async with create_session_factory(engine)() as session:
        german = await widget_help.widget_help(session=session, workspace_id=workspace.id, widget_language="de")
        english = await widget_help.widget_help(session=session, workspace_id=workspace.id, widget_language="en")
    assert (german.enabled, german.locale, english.enabled) == (True, "de", False)


async def test_typing_a_question_logs_one_search_and_a_new_question_another(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    await _article(workspace, "How returns work")
    visitor = await _visitor(client, engine, workspace)
    for typed in ("ret", "retu", "return", "returns", "retur", "returns policy"):
        assert (await visitor.search(typed)).status_code == 200
    assert (await visitor.search("re")).json()["results"] == []  # too short: neither searched nor logged
    await visitor.search("shipping costs")
    searches = await _rows(engine, HelpSearch, workspace.id)
    assert [(s.query, s.source) for s in searches] == [("returns policy", "widget"), ("shipping costs", "widget")]
    assert searches[0].result_count == 1 and searches[1].result_count == 0
    sessions = await _rows(engine, HelpSession, workspace.id)
    assert len(sessions) == 1 and sessions[0].searched and sessions[0].source == "widget"
    assert {s.session_id for s in searches} == {sessions[0].id}

    # After a pause the same words are a search of their own (asked again, they count again).
    async with create_session_factory(engine).begin() as session:
        await session.execute(
            update(HelpSearch)
            .where(HelpSearch.workspace_id == workspace.id)
            .values(created_at=utcnow() - widget_help.TYPING_WINDOW - timedelta(seconds=1))
        )
    await visitor.search("shipping costs abroad")
    assert len(await _rows(engine, HelpSearch, workspace.id)) == 3


async def test_opening_an_article_shows_the_published_copy_and_sets_first_opened_at(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    article = await _article(workspace, "How returns work", body="Send it back <script>alert(1)</script>.")
    draft = await _article(workspace, "Returns, unfinished", publish=False)
    foreign = await _article(other_workspace, "Returns elsewhere")
    visitor = await _visitor(client, engine, workspace)
    await visitor.search("returns")
    response = await visitor.open(article)
    assert response.status_code == 200, response.text
    opened = response.json()
    assert opened["title"] == "How returns work" and "<script" not in opened["html"]
    assert opened["url"] == f"http://testserver/help/{await _slug(engine, workspace)}/en/articles/how-returns-work"
    assert opened["published_at"]
    for hidden in (draft, foreign, 999_999_999, "abc", "0"):
        refused = await visitor.open(hidden)
        assert refused.status_code == 404 and refused.json()["field"] == "article_id", hidden
    views = await _rows(engine, HelpArticleView, workspace.id)
    assert [(v.translation_id, v.source) for v in views] == [(article, "widget")]
    (help_session,) = await _rows(engine, HelpSession, workspace.id)
    assert help_session.first_opened_at is not None and views[0].session_id == help_session.id


async def test_a_vote_is_recorded_and_a_second_answer_replaces_it(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    article = await _article(workspace, "How returns work")
    draft = await _article(workspace, "Returns, unfinished", publish=False)
    foreign = await _article(other_workspace, "Returns elsewhere")
    visitor = await _visitor(client, engine, workspace)
    assert (await visitor.post("votes", article_id=article, helpful=True)).status_code == 200
    answered = await visitor.post("votes", article_id=article, helpful=False)
    assert answered.status_code == 200 and answered.json() == {"article_id": article, "helpful": False}
    votes = await _rows(engine, HelpVote, workspace.id)
    assert [(v.translation_id, v.helpful) for v in votes] == [(article, False)]
    for hidden in (draft, foreign):
        assert (await visitor.post("votes", article_id=hidden, helpful=True)).status_code == 404
    assert await _rows(engine, HelpVote, other_workspace.id) == []


async def test_continuing_to_chat_marks_the_session(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    await _article(workspace, "How returns work")
    visitor = await _visitor(client, engine, workspace)
    await visitor.search("returns")
    response = await visitor.post("continue", question="returns of a gift?")
    assert response.status_code == 200, response.text
    (help_session,) = await _rows(engine, HelpSession, workspace.id)
    assert help_session.continued_to_chat_at is not None and help_session.searched
    assert "gift" not in json.dumps([s.query for s in await _rows(engine, HelpSearch, workspace.id)])


async def test_bad_input_is_refused_naming_the_field(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    article = await _article(workspace, "How returns work")
    visitor = await _visitor(client, engine, workspace)
    cases = [
        (await visitor.search(None), 422, "q"),
        (await visitor.search("x" * 201), 422, "q"),
        (await visitor.search("returns", locale="fr"), 422, "locale"),
        (await visitor.search("ret\x00urns"), 422, "q"),
        (await visitor.post("votes", article_id=article, helpful="yes"), 422, "helpful"),
        (await visitor.post("votes", article_id="1", helpful=True), 422, "article_id"),
        (await visitor.post("votes", helpful=True), 422, "article_id"),
        (await visitor.post("continue", question="x" * 5001), 422, "question"),
        (await visitor.post("continue", question="hi", extra=1), 422, "extra"),
        (await client.post("/widget/api/help/search", json={"q": "x"}, headers={"Origin": SITE}), 422, "widget_token"),
    ]
    for response, status, field in cases:
        answer = response.json()  # a NUL is refused by the app's guard, as problem+json, before the endpoint
        named = answer["field"] if "field" in answer else answer["errors"][0]["field"]
        assert (response.status_code, named) == (status, field), response.text
    stranger = WidgetVisitor(client, visitor.widget_token, "not-a-known-visitor")
    assert (await stranger.search("returns")).status_code == 401


async def test_unknown_widget_token_is_404_and_a_disallowed_origin_403(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    article = await _article(workspace, "How returns work")
    visitor = await _visitor(client, engine, workspace)
    unknown = WidgetVisitor(client, "no-such-widget", visitor.visitor_token)
    elsewhere = WidgetVisitor(client, visitor.widget_token, visitor.visitor_token, origin="https://evil.example")
    for caller, status, field in ((unknown, 404, "widget_token"), (elsewhere, 403, "origin")):
        for response in (
            await caller.search("returns"),
            await caller.open(article),
            await caller.post("votes", article_id=article, helpful=True),
            await caller.post("continue", question="returns?"),
        ):
            assert (response.status_code, response.json()["field"]) == (status, field), response.text
    assert await _rows(engine, HelpSearch, workspace.id) == []
    assert await _rows(engine, HelpVote, workspace.id) == []


async def test_the_question_travels_in_the_body_never_in_the_url(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    await _article(workspace, "How returns work")
    visitor = await _visitor(client, engine, workspace)
    answer = await visitor.search("returns")
    assert answer.status_code == 200 and [r["title"] for r in answer.json()["results"]] == ["How returns work"]
    assert answer.headers["access-control-allow-origin"] == SITE  # a text/plain POST: no preflight needed
    assert (await client.get("/widget/api/help/search?q=returns", headers=visitor.headers())).status_code == 405


async def test_the_article_link_uses_the_custom_domain(
    client: httpx.AsyncClient, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    article = await _article(workspace, "How returns work")
    async with create_session_factory(engine).begin() as session:
        session.add(HelpCenter(workspace_id=workspace.id, custom_domain="help.acme.example"))
    visitor = await _visitor(client, engine, workspace)
    opened = (await visitor.open(article)).json()
    assert opened["url"] == "http://help.acme.example/en/articles/how-returns-work"


async def test_the_browser_may_send_the_token_headers(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/widget/api/help/articles/5", headers={"Origin": SITE, "Access-Control-Request-Method": "GET"}
    )
    assert response.status_code == 204 and response.headers["access-control-allow-origin"] == SITE
    assert "X-Frontdesk-Visitor" in response.headers["access-control-allow-headers"]
