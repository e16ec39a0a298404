"""A visitor on a phone finds an article in the widget, votes, then continues to a chat with the question carried
over (the issue's browser test of the help center in the widget)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.models import Conversation, Message
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import service
from frontdesk.helpcenter.models import HelpArticleView, HelpSearch, HelpSession, HelpVote
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal
from tests.browser.test_widget_browser import SHOP_PAGE, VIEWPORTS, _axe_problems, _fits
from tests.conftest import Database
from tests.conversations.chat_clients import allow_site
from tests.factories import WorkspaceHandle

QUESTION = "How do returns work for a gift?"
PHONE = {"viewport": VIEWPORTS["phone"], "is_mobile": True, "has_touch": True, "device_scale_factor": 3}


async def _published(workspace: WorkspaceHandle) -> int:
    by = Principal(workspace_id=workspace.id, role=Role.editor, label="Edith Editor")
    async with create_session_factory(workspace.engine).begin() as session:
        article = await service.do_create_article(
            session=session,
            workspace_id=workspace.id,
            by=by,
            locale="en",
            title="How returns work",
            description="Send it back within 30 days.",
            body=(
                "## Returns\n\nPack the item and use the [returns form](/help/form).\n\nRefunds take 5 days.\n\n"
                "![Parcel](/help-images/parcel.png)\n\n"
                "[Back to returns](#returns) or [mail us](mailto:help@candy.example)."
            ),
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=article.id, by=by)
        return article.id


async def test_a_visitor_on_a_phone_reads_a_suggested_article_votes_and_continues_to_a_chat(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    database: Database,
    shop_site: tuple[str, dict[str, str]],
    artifacts_dir: Path,
) -> None:
    article_id = await _published(workspace)
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Candy Shop")
    context = await browser.new_context(**PHONE)  # type: ignore[arg-type]
    page = await context.new_page()
    shot = str(artifacts_dir / f"widget-help-{{}}-{database.backend}.png")
    problems: list[str] = []
    requests: list[tuple[str, str]] = []
    page.on("request", lambda request: requests.append((request.method, request.url)))
    try:
        await page.goto(site_url)
        await page.get_by_role("button", name="Open chat").tap()
        await expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()
        message = page.get_by_role("textbox", name="Message")
        await message.press_sequentially(QUESTION, delay=20)  # typed key by key, as on a phone keyboard

        suggested = page.get_by_role("list", name="Suggested articles")
        await expect(suggested).to_be_visible()
        await expect(suggested.get_by_role("button")).to_have_count(1)
        problems += await _axe_problems(page, "suggestions")
        await _fits(page)
        await page.screenshot(path=shot.format("suggested"))
        await suggested.get_by_role("button", name="How returns work").tap()

        await expect(page.get_by_role("heading", name="How returns work")).to_be_focused()
        link = page.locator(".fdw-article a", has_text="returns form")
        await expect(link).to_have_attribute("href", f"{server_url}/help/form")  # the server's, not the shop's
        await expect(link).to_have_attribute("target", "_blank")
        image = page.locator(".fdw-article img")
        await expect(image).to_have_attribute("src", f"{server_url}/help-images/parcel.png")
        await expect(page.locator(".fdw-article a", has_text="mail us")).to_have_attribute(
            "href", "mailto:help@candy.example"
        )
        section = page.locator(".fdw-article a", has_text="Back to returns")
        await expect(section).to_have_attribute("href", "#h-returns")  # the heading's prefixed id
        await expect(page.locator(".fdw-article h3#h-returns")).to_have_count(1)
        await section.tap()
        assert page.url == site_url or page.url == site_url + "/"  # scrolled in the widget; the shop's URL kept
        await expect(message).to_be_hidden()
        problems += await _axe_problems(page, "article")
        await _fits(page)
        await page.screenshot(path=shot.format("article"))
        await page.get_by_role("group", name="Did this answer your question?").get_by_role("button", name="No").tap()
        await expect(page.get_by_role("status").filter(has_text="Thanks!")).to_be_visible()
        await expect(page.get_by_role("button", name="Chat with us")).to_be_focused()
        await page.get_by_role("button", name="Chat with us").tap()

        await expect(message).to_be_focused()
        await expect(message).to_have_value(QUESTION)
        await page.get_by_label("Your e-mail").fill("gift@candy.example")  # nobody is online: an address is asked
        await page.get_by_role("button", name="Send", exact=True).tap()
        await expect(page.locator(".fdw-msg.fdw-visitor[data-seq='1']")).to_contain_text(QUESTION)
        await expect(page.get_by_role("list", name="Suggested articles")).to_be_hidden()  # agents are here now
        await page.screenshot(path=shot.format("chat"))
    finally:
        await context.close()
    assert problems == []
    # Images were never asked of the shop (the HTML was rewritten before insertion), and the question went in
    # a POST body, never in a URL that logs keep.
    assert not [url for _, url in requests if url.startswith(site_url) and "/help-images/" in url]
    searches_sent = [(method, url) for method, url in requests if "/widget/api/help/search" in url]
    assert searches_sent and all(method == "POST" and "?" not in url for method, url in searches_sent)

    async with create_session_factory(engine)() as session:
        conversation = await session.scalar(select(Conversation).where(Conversation.workspace_id == workspace.id))
        assert conversation is not None
        first = await session.scalar(
            select(Message).where(Message.conversation_id == conversation.id).order_by(Message.seq).limit(1)
        )
        assert first is not None and (first.author_type, first.body) == ("visitor", QUESTION)
        ours = select(HelpSession).where(HelpSession.workspace_id == workspace.id)
        (help_session,) = (await session.scalars(ours)).all()
        assert help_session.visitor_id == conversation.visitor_id and help_session.source == "widget"
        assert help_session.searched and help_session.first_opened_at and help_session.continued_to_chat_at
        votes = (await session.scalars(select(HelpVote).where(HelpVote.session_id == help_session.id))).all()
        assert [(v.translation_id, v.helpful) for v in votes] == [(article_id, False)]
        viewed = select(HelpArticleView).where(HelpArticleView.session_id == help_session.id)
        views = (await session.scalars(viewed)).all()
        assert [v.translation_id for v in views] == [article_id]
        searches = (await session.scalars(select(HelpSearch).where(HelpSearch.session_id == help_session.id))).all()
        assert len(searches) == 1 and searches[0].query == QUESTION  # typed key by key, logged once
