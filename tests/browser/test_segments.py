"""A manager writes a segment rule in Chromium: errors and the live count appear as they type."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.test_console import VIEWPORTS, _fits_the_screen, _sign_in
from tests.factories import WorkspaceHandle, make_workspace


@pytest.fixture
async def shop(engine: AsyncEngine) -> WorkspaceHandle:
    workspace = await make_workspace(engine, "Segment Shop")
    await workspace.product("TEA-1", "Tea")
    for i in range(12):
        contact = await workspace.contact(name=f"Buyer {i:02d}", country="DE" if i % 2 else "FR")
        for n in range(i % 4):
            await workspace.order(f"O-{i}-{n}", contact, "TEA-1", ordered_at=f"2026-11-0{n + 1}T10:00:00Z")
    return workspace


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_rule_editor_counts_live_and_points_at_mistakes(
    browser: Browser, server_url: str, shop: WorkspaceHandle, artifacts_dir: Path, screen: str, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, shop.admin_email)
        await page.get_by_role("link", name="Segments").click()
        await expect(page.get_by_role("heading", name="Segments", exact=True)).to_be_visible()
        editor = page.get_by_label("Rule")
        await editor.fill('country = "DE" and ordrs >= 2')
        await expect(page.locator("#rule-preview")).to_contain_text("unknown field 'ordrs'")
        await expect(page.locator("#rule-preview")).to_contain_text("character 20")
        await editor.fill('country = "DE" and orders >= 2')
        # Buyers 3, 7 and 11 bought three times and 2, 6, 10 twice; of those, the odd ones are in DE.
        await expect(page.locator("#rule-preview [data-count]")).to_have_attribute("data-count", "3")
        await page.get_by_label("Name").fill("German repeat buyers")
        await page.get_by_role("button", name="Save segment").click()
        row = page.locator("tr", has_text="German repeat buyers")
        await expect(row.locator("[data-count]")).to_have_attribute("data-count", "3")
        await expect(page.locator('tr[data-segment="prospects"] [data-count]')).to_have_attribute("data-count", "3")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"segments-{screen}-{backend}.png", full_page=True)
        await row.get_by_role("link", name="German repeat buyers").click()
        await expect(page.get_by_text("3 contacts")).to_be_visible()
    finally:
        await context.close()
