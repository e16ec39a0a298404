"""The Content-Security-Policy in a real browser: the console's pages work under it and violate nothing."""

from __future__ import annotations

from playwright.async_api import Browser, ConsoleMessage, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conversations.chat_clients import allow_site
from tests.factories import PASSWORD, WorkspaceHandle


async def test_console_pages_run_under_the_policy_without_a_violation(
    browser: Browser, server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    contact_id = await workspace.contact(name="Policy Person", emails=["policy@acme.example"])
    await workspace.conversation("Does the policy hold?")
    await allow_site(engine, workspace.id, server_url)
    context = await browser.new_context()
    page = await context.new_page()
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    try:
        await page.goto(f"{server_url}/login")
        await page.get_by_label("E-mail").fill(workspace.admin_email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()  # charts.js, vendored Chart.js

        await page.goto(f"{server_url}/reports/support")  # the report form and its charts
        await expect(page.get_by_role("heading", name="Support report")).to_be_visible()
        await page.goto(f"{server_url}/contacts")
        await expect(page.get_by_role("heading", name="Contacts")).to_be_visible()

        # HTMX search (script from /static, X-CSRF-Token header from the body attribute).
        await page.get_by_role("searchbox").first.fill("Policy")
        await expect(page.locator("#contact-results")).to_contain_text("Policy Person")

        # A note sent by HTMX clears its form afterwards (data-reset-on-success, not an hx-on handler).
        await page.goto(f"{server_url}/contacts/{contact_id}")
        note = page.locator("form[data-reset-on-success] textarea").first
        await note.fill("Written under the policy")
        await note.locator("xpath=ancestor::form").locator("button[type=submit]").click()
        await expect(page.locator("#timeline")).to_contain_text("Written under the policy")
        await expect(note).to_have_value("")

        # The inbox's live socket connects (connect-src) and a select submits on change (forms.js).
        await page.goto(f"{server_url}/inbox")
        await expect(page.locator("#inbox[data-live='true']")).to_be_attached()
        await page.locator("#conversation-list li a").first.click()
        team = page.locator("select[name=team][data-submit-on-change]")
        other = await team.locator("option:not([selected])").first.get_attribute("value")
        async with page.expect_response(lambda response: response.url.endswith("/update")):
            await team.select_option(other)

        # The widget on the preview page injects its stylesheet and opens its own socket.
        await page.goto(f"{server_url}/widget/try")
        await expect(page.get_by_role("button", name="Open chat")).to_be_visible()
        await page.goto(f"{server_url}/settings")
        await expect(page.get_by_role("heading", name="Settings").first).to_be_visible()
    finally:
        await context.close()
    assert violations == []
