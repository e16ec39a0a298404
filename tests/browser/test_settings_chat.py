"""An admin brands the widget in Chromium: the preview follows the form before saving, on desktop and phone."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.test_console import VIEWPORTS, _fits_the_screen, _sign_in
from tests.factories import WorkspaceHandle, make_workspace


@pytest.fixture
async def shop(engine: AsyncEngine) -> WorkspaceHandle:
    return await make_workspace(engine, "Brand Shop")


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_the_preview_follows_the_look_form_and_saving_keeps_it(
    browser: Browser, server_url: str, shop: WorkspaceHandle, artifacts_dir: Path, screen: str, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    csp_errors: list[str] = []
    page.on("console", lambda message: csp_errors.append(message.text) if "Content Security" in message.text else None)
    try:
        await _sign_in(page, server_url, shop.admin_email)
        await page.goto(f"{server_url}/settings/chat")
        await expect(page.get_by_role("heading", name="Live chat", exact=True)).to_be_visible()
        preview = page.frame_locator("#widget-preview")
        widget = preview.locator("script[data-preview]")
        await expect(widget).to_have_attribute("data-config", re.compile('"color": "#2456d3"'))

        await page.get_by_label("Colour").fill("#ff0066")
        await expect(page.locator("#widget-preview")).to_have_attribute("src", re.compile("color=%23ff0066"))
        await expect(widget).to_have_attribute("data-config", re.compile('"color": "#ff0066"'))
        await page.get_by_label("Launcher text").fill("Fragen?")
        await page.get_by_label("Language of the widget's texts").select_option("de")
        await expect(widget).to_have_attribute("data-config", re.compile('"launcher_text": "Fragen\\?"'))
        await expect(widget).to_have_attribute("data-config", re.compile('"language": "de"'))
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"settings-chat-{screen}-{backend}.png", full_page=True)

        await page.get_by_role("button", name="Save look").click()
        await expect(page).to_have_url(re.compile("/settings/chat#look$"))
        await expect(page.get_by_label("Colour")).to_have_value("#ff0066")
        await expect(widget).to_have_attribute("data-config", re.compile('"color": "#ff0066"'))
        assert csp_errors == []
    finally:
        await context.close()
