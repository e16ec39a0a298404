"""A file each way through the real servers: a visitor sends one from the widget on a shop's page and the agent
sees it in the inbox; the agent sends one back and the visitor sees it in the widget (a signed link, served to
another origin). Nothing is stubbed."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.test_widget_browser import SHOP_PAGE, VIEWPORTS
from tests.conversations.chat_clients import allow_site
from tests.factories import PASSWORD, WorkspaceHandle
from tests.storage.samples import PNG


async def _loaded(page: Page, selector: str) -> None:
    image = page.locator(selector)
    await expect(image).to_be_visible()
    await page.wait_for_function(
        "s => { const img = document.querySelector(s); return Boolean(img && img.complete && img.naturalWidth) }",
        arg=selector,
    )


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_a_file_goes_from_the_visitor_to_the_agent_and_one_comes_back(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
    tmp_path: Path,
    screen: str,
) -> None:
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Candy Shop")
    receipt, label = tmp_path / "receipt.png", tmp_path / "return label.png"
    receipt.write_bytes(PNG)
    label.write_bytes(PNG)
    visitor_context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    agent_context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    try:
        visitor = await visitor_context.new_page()
        await visitor.goto(site_url)
        await visitor.get_by_role("button", name="Open chat").click()
        await visitor.get_by_label("Your e-mail").fill("mia@candy.example")
        await visitor.get_by_role("textbox", name="Message").fill("The box arrived broken, here is my receipt")
        await visitor.get_by_role("button", name="Send").click()
        await expect(visitor.locator(".fdw-msg[data-seq='1']")).to_be_visible()
        async with visitor.expect_file_chooser() as chooser:
            await visitor.get_by_role("button", name="Attach a file").click()
        await (await chooser.value).set_files(receipt)
        await _loaded(visitor, ".fdw-panel img[alt='receipt.png']")
        conversation = int(
            await visitor.evaluate(
                "() => Number(localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':conversation'))))"
            )
        )

        agent = await agent_context.new_page()
        await agent.goto(f"{server_url}/login")
        await agent.get_by_label("E-mail").fill(workspace.admin_email)
        await agent.get_by_label("Password").fill(PASSWORD)
        await agent.get_by_role("button", name="Sign in").click()
        await agent.goto(f"{server_url}/inbox/{conversation}")
        await _loaded(agent, "#messages li.msg.visitor img[alt='receipt.png']")

        async with agent.expect_file_chooser() as chooser:
            await agent.get_by_role("button", name="Attach files").click()
        await (await chooser.value).set_files(label)
        await _loaded(agent, "#messages li.msg.agent img[alt='return label.png']")
        # Live in the widget, from the Frontdesk server (another origin) through the signed link.
        await _loaded(visitor, ".fdw-panel img[alt='return label.png']")
        source = await visitor.locator(".fdw-panel img[alt='return label.png']").get_attribute("src")
        assert source is not None and source.startswith(server_url) and "sig=" in source
    finally:
        await visitor_context.close()
        await agent_context.close()
