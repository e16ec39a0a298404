"""An editor writes a help article in Chromium: a heading, a link to another article and an image, watches the
preview follow the typing, publishes, and the public address answers."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory
from frontdesk.helpcenter import service, slugs
from frontdesk.helpcenter.models import HelpTranslation
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.browser.test_console import VIEWPORTS, _fits_the_screen, _sign_in
from tests.factories import WorkspaceHandle, make_workspace
from tests.helpcenter.test_console import PNG


@pytest.fixture
async def shop(engine: AsyncEngine) -> WorkspaceHandle:
    workspace = await make_workspace(engine, "Help Shop")
    # A published article to link to.
    async with create_session_factory(engine).begin() as session:
        by = Principal(workspace_id=workspace.id, role=Role.editor, label="seed")
        shipping = await service.do_create_article(
            session=session, workspace_id=workspace.id, by=by, locale="en", title="Shipping times", body="Two days."
        )
        await service.do_publish(session=session, workspace_id=workspace.id, translation_id=shipping.id, by=by)
    return workspace


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_an_editor_writes_previews_and_publishes_an_article(
    browser: Browser,
    server_url: str,
    shop: WorkspaceHandle,
    engine: AsyncEngine,
    artifacts_dir: Path,
    screen: str,
    database: object,
    tmp_path: Path,
) -> None:
    backend = getattr(database, "backend", "db")
    email = await shop.add_agent(Role.editor)
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda message: csp_errors.append(message.text) if "Content Security" in message.text else None)
    try:
        await _sign_in(page, server_url, email)
        await page.get_by_role("navigation", name="Main").get_by_role("link", name="Help center").click()
        await expect(page.get_by_role("heading", name="Help center")).to_be_visible()
        await page.get_by_role("link", name="New article").click()
        await page.get_by_label("Title").fill(f"Returns on {screen}")
        await page.get_by_role("button", name="Create draft").click()
        await expect(page.locator(".help-status-line")).to_contain_text("Draft")

        body = page.locator("#help-body")
        await body.fill("# Sending it back\n\nPack the parcel. See ")
        preview = page.locator("#help-preview")
        await expect(preview.get_by_role("heading", name="Sending it back")).to_be_visible()
        await body.press("End")
        await page.get_by_label("Link to article").select_option(label="Shipping times")
        await expect(body).to_have_value(re.compile(r"Pack the parcel\. See \[Shipping times\]\(article:\d+\)$"))
        await expect(preview.get_by_role("link", name="Shipping times")).to_be_visible()
        image = tmp_path / "label.png"
        image.write_bytes(PNG)
        await page.locator("[data-help-image]").set_input_files(image)
        await expect(page.locator("[data-help-upload-status]")).to_have_text("Image inserted.", timeout=15_000)
        await expect(body).to_have_value(re.compile(r"\(article:\d+\)\n\n!\[label\.png\]\(/help-images/[\w-]+\)\n$"))
        assert await _fits_the_screen(page), "the editor is wider than the screen"
        await page.screenshot(path=artifacts_dir / f"help-editor-{screen}-{backend}.png", full_page=True)

        await page.get_by_role("button", name="Publish").click()
        await expect(page.locator(".notice")).to_have_text("Published.")
        await expect(page.locator(".help-status-line")).to_contain_text("Published")
        assert not csp_errors, csp_errors
    finally:
        await context.close()

    async with create_session_factory(engine)() as session:
        version = await session.scalar(select(HelpTranslation).where(HelpTranslation.title == f"Returns on {screen}"))
        workspace = await session.get(Workspace, shop.id)
        assert version is not None and workspace is not None
        assert version.published_html is not None and '<h2 id="h-sending-it-back">' in version.published_html
        assert f'href="/help/{workspace.slug}/en/articles/shipping-times"' in version.published_html
        public = slugs.article_path(workspace.slug, "en", version.slug)
    # The public pages are the public helper's part: this holds once /help/{ws}/{locale}/articles/{slug} is merged.
    async with httpx.AsyncClient(base_url=server_url) as visitor:
        answer = await visitor.get(public)
    assert answer.status_code == 200 and f"Returns on {screen}" in answer.text
