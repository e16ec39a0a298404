"""An editor in the inbox, in Chromium: the help article answering the visitor's question is suggested beside the
conversation, its link goes into the reply, another is found from the composer, and the reply becomes a draft."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import service
from frontdesk.helpcenter.models import HelpArticle, HelpTranslation
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.factories import PASSWORD, WorkspaceHandle


async def _published(engine: AsyncEngine, workspace: WorkspaceHandle) -> str:
    """Two published articles; the workspace's public slug."""
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith")
    async with create_session_factory(engine).begin() as session:
        for title, body in (
            ("How returns work", "Send the parcel back within 30 days."),
            ("Shipping times", "Parcels arrive in two days."),
        ):
            draft = await service.do_create_article(
                session=session, workspace_id=workspace.id, by=by, locale="en", title=title, body=body
            )
            await service.do_publish(session=session, workspace_id=workspace.id, translation_id=draft.id, by=by)
        found = await session.get(Workspace, workspace.id)
        assert found is not None
        return found.slug


async def test_an_editor_uses_the_help_center_from_the_inbox(
    browser: Browser, server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    slug = await _published(engine, workspace)
    conversation = await workspace.conversation("Hello, how do returns work?")
    editor = await workspace.add_agent(Role.editor)
    context = await browser.new_context(viewport={"width": 1366, "height": 800})
    page = await context.new_page()
    try:
        await page.goto(f"{server_url}/login")
        await page.get_by_label("E-mail").fill(editor)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await page.goto(f"{server_url}/inbox/{conversation}")

        suggestions = page.locator("#help-suggestions")
        await expect(suggestions.locator(".help-suggestion")).to_have_count(1)
        await expect(suggestions).to_contain_text("How returns work")
        await suggestions.get_by_role("button", name="Insert link").click()
        reply = page.locator("#composer textarea[name=body]")
        returns_url = f"{server_url}/help/{slug}/en/articles/how-returns-work"
        await expect(reply).to_have_value(f"How returns work: {returns_url}")

        await page.get_by_role("button", name="Help article").click()
        await page.get_by_label("Search help articles").fill("shipping")
        await page.locator("#help-link-results").get_by_role("button", name=re.compile("Shipping times")).click()
        shipping_url = f"{server_url}/help/{slug}/en/articles/shipping-times"
        await expect(reply).to_have_value(f"How returns work: {returns_url} Shipping times: {shipping_url}")
        await expect(page.locator("#help-link-menu")).to_be_hidden()

        await page.get_by_role("button", name="Send").click()
        await expect(page.locator("#messages li.agent.message")).to_contain_text("Shipping times")
        await page.reload()  # a line that arrived as a live event gets its server-rendered actions on a reload
        await page.locator("#messages li.agent.message").get_by_role("button", name="Turn into article").click()
        await page.wait_for_url(re.compile(r"/console/help/articles/\d+/en$"))
        article_id = int(page.url.rsplit("/", 2)[-2])
    finally:
        await context.close()

    async with create_session_factory(engine)() as session:
        article = await session.get(HelpArticle, article_id)
        assert article is not None and article.source_conversation_id == conversation
        draft = await session.scalar(select(HelpTranslation).where(HelpTranslation.article_id == article_id))
        assert draft is not None and draft.published_at is None
        assert draft.title == "Hello, how do returns work?"
        assert draft.body == f"How returns work: {returns_url} Shipping times: {shipping_url}"
