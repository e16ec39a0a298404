"""A visitor on a phone opens the public help center, searches, reads an article and votes, without JavaScript."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Browser, ConsoleMessage, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.test_console import VIEWPORTS, _fits_the_screen
from tests.factories import make_workspace
from tests.helpcenter.test_public import make_content


async def test_a_visitor_on_a_phone_searches_reads_and_votes(
    browser: Browser, server_url: str, engine: AsyncEngine, artifacts_dir: Path, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    shop = await make_workspace(engine, "Phone Help Shop")
    content = await make_content(engine, shop)
    # No script is needed anywhere: the pages must work with JavaScript switched off.
    context = await browser.new_context(
        viewport=VIEWPORTS["phone"],  # type: ignore[arg-type]
        is_mobile=True,
        has_touch=True,
        java_script_enabled=False,
    )
    page = await context.new_page()
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    try:
        await page.goto(f"{server_url}/help/{content.slug}")
        await expect(page.get_by_role("heading", name="Phone Help Shop Help Center")).to_be_visible()
        await expect(page.get_by_role("link", name="Returns", exact=True)).to_be_visible()
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"help-home-phone-{backend}.png", full_page=True)

        await page.get_by_role("searchbox").fill("returns")
        await page.get_by_role("button", name="Search").click()
        await expect(page.get_by_role("heading", name="Results for “returns”")).to_be_visible()
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"help-search-phone-{backend}.png", full_page=True)

        await page.get_by_role("link", name="How returns work").click()
        await expect(page.get_by_role("heading", name="How returns work", level=1)).to_be_visible()
        await expect(page.get_by_text("Updated ")).to_be_visible()
        assert await _fits_the_screen(page)
        await page.get_by_role("button", name="Yes").click()
        await expect(page.get_by_role("status")).to_have_text("Thank you for your answer.")
        await page.screenshot(path=artifacts_dir / f"help-article-phone-{backend}.png", full_page=True)

        await page.get_by_role("link", name="Deutsch").first.click()
        await expect(page.get_by_role("heading", name="So funktionieren Rücksendungen", level=1)).to_be_visible()
        assert await _fits_the_screen(page)
    finally:
        await context.close()
    assert problems == []
