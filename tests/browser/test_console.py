"""An agent uses the console in Chromium, at 1,366 px and on a phone-sized screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factories import PASSWORD, WorkspaceHandle, make_workspace

VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
async def seeded(engine: AsyncEngine) -> WorkspaceHandle:
    workspace = await make_workspace(engine, "Browser Shop")
    for i in range(30):
        await workspace.contact(
            first_name=f"Person{i:02d}",
            last_name="Tester",
            emails=[f"p{i}@browser.example"],
            country="DE",
            tags=["vip"] if i % 5 == 0 else [],
        )
    return workspace


async def _sign_in(page: Page, server_url: str, email: str) -> None:
    await page.goto(f"{server_url}/contacts")
    await expect(page).to_have_url(f"{server_url}/login?next=%2Fcontacts")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Contacts")).to_be_visible()


async def _fits_the_screen(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_agent_searches_creates_and_annotates_a_contact(
    browser: Browser,
    server_url: str,
    seeded: WorkspaceHandle,
    artifacts_dir: Path,
    screen: str,
    database: object,
) -> None:
    backend = getattr(database, "backend", "db")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, seeded.admin_email)
        await expect(page.get_by_text("30 contacts")).to_be_visible()
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"console-list-{screen}-{backend}.png", full_page=True)

        await page.get_by_label("Search").fill("person07")  # live search over HTMX, no page load
        await expect(page.get_by_text("1 contact", exact=True)).to_be_visible()
        await expect(page.get_by_role("link", name="Person07 Tester")).to_be_visible()

        await page.get_by_role("link", name="New contact").click()
        await page.get_by_label("First name").fill("Nora")
        await page.get_by_label("E-mail addresses").fill("nora@")
        await page.locator("input[name=country]").fill("DE")
        await page.get_by_role("button", name="Create contact").click()
        await expect(page.locator("#emails-error")).to_contain_text("not a valid e-mail address")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"console-form-errors-{screen}-{backend}.png", full_page=True)

        await page.get_by_label("E-mail addresses").fill("nora@browser.example")
        await page.get_by_role("button", name="Create contact").click()
        await expect(page.get_by_role("heading", name="Nora")).to_be_visible()

        await page.get_by_label("Add a note").fill("Called <b>twice</b>")
        await page.get_by_role("button", name="Add note").click()
        await expect(page.locator(".note-body")).to_have_text("Called <b>twice</b>")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"console-contact-{screen}-{backend}.png", full_page=True)
    finally:
        await context.close()
