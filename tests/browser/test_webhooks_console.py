"""An admin connects a webhook endpoint in Chromium and watches a delivery appear in its log, through the real
`frontdesk serve`, a dispatcher as `serve` runs it, and a real local receiver."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks.webhooks import Webhook

from frontdesk.db import create_session_factory
from frontdesk.settings import Settings
from frontdesk.webhooks.dispatcher import Dispatcher
from frontdesk.webhooks.service import list_endpoints
from tests.browser.test_console import VIEWPORTS, _fits_the_screen, _sign_in
from tests.factories import WorkspaceHandle, make_workspace
from tests.webhooks.receiver import Receiver


@pytest.fixture
async def shop(engine: AsyncEngine) -> WorkspaceHandle:
    return await make_workspace(engine, "Hook Shop")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver().start()
    yield running
    running.stop()


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_admin_adds_an_endpoint_and_watches_a_delivery_arrive(
    browser: Browser,
    server_url: str,
    shop: WorkspaceHandle,
    receiver: Receiver,
    artifacts_dir: Path,
    screen: str,
    database: object,
    engine: AsyncEngine,
    settings: Settings,
) -> None:
    backend = getattr(database, "backend", "db")
    hook_url = receiver.ok(f"/hooks/{screen}")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    # The live server's own dispatcher is off (tests/live_server.py): this one runs its loop meanwhile.
    dispatcher = Dispatcher(create_session_factory(engine), settings)
    delivering = asyncio.create_task(dispatcher.run())
    csp_errors: list[str] = []
    page.on("console", lambda message: csp_errors.append(message.text) if "Content Security" in message.text else None)
    try:
        await _sign_in(page, server_url, shop.admin_email)
        await page.goto(f"{server_url}/settings")
        await page.get_by_role("link", name="Set up connections").click()
        await expect(page.get_by_role("heading", name="Connections", exact=True)).to_be_visible()

        # A receiver on 127.0.0.1 is refused until private targets are allowed.
        await page.get_by_role("link", name="Add endpoint").click()
        await page.get_by_label("Endpoint URL").fill(hook_url)
        await page.get_by_label("contact.created").check()
        await page.get_by_role("button", name="Add endpoint").click()
        await expect(page.locator(".field-error")).to_contain_text("private")
        await page.goto(f"{server_url}/settings/connections")
        await page.get_by_label("Allow private network targets").check()
        await page.locator("#private-targets").get_by_role("button", name="Save").click()
        await expect(page.get_by_text("Private network targets are allowed.")).to_be_visible()

        await page.get_by_role("link", name="Add endpoint").click()
        await page.get_by_label("Endpoint URL").fill(hook_url)
        await page.get_by_label("Description").fill("CRM")
        await page.get_by_label("contact.created").check()
        assert await _fits_the_screen(page)
        await page.get_by_role("button", name="Add endpoint").click()
        await expect(page.get_by_text("Endpoint added")).to_be_visible()
        await expect(page.get_by_text("Nothing sent yet")).to_be_visible()
        assert await _fits_the_screen(page)

        # A contact created through the API: its contact.created event is queued in the same transaction.
        async with httpx.AsyncClient(base_url=server_url, headers=shop.headers) as api:
            created = await api.post("/api/v1/contacts", json={"name": "Hook Person", "emails": ["hook@x.example"]})
            assert created.status_code == 201, created.text

        # No reload: the log refreshes itself.
        row = page.locator("#delivery-log tr.delivery").first
        await expect(row).to_be_visible(timeout=15_000)
        await expect(row.get_by_text("succeeded")).to_be_visible(timeout=15_000)
        await expect(row).to_contain_text("contact.created")
        await expect(row).to_contain_text("200")
        await page.screenshot(path=artifacts_dir / f"webhooks-log-{screen}-{backend}.png", full_page=True)

        # What arrived is signed with the endpoint's secret.
        async with create_session_factory(shop.engine)() as session:
            [endpoint] = await list_endpoints(session=session, workspace_id=shop.id)
        received = await receiver.wait_for(1, f"/hooks/{screen}")
        verified = Webhook(endpoint.secret).verify(received[0].body, received[0].headers)
        assert verified["type"] == "contact.created"

        await row.get_by_role("link").click()
        await expect(page.get_by_role("heading", name=re.compile("contact.created"))).to_be_visible()
        await expect(page.locator(".delivery-status")).to_have_text("succeeded")
        await expect(page.get_by_text("Hook Person").first).to_be_visible()
        await expect(page.locator(".attempt")).to_contain_text("200")
        wide = await page.evaluate(
            "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > innerWidth)"
            ".map(e => e.tagName + '.' + e.className + ' ' + e.textContent.slice(0, 60))"
        )
        assert await _fits_the_screen(page), wide
        assert csp_errors == []
    finally:
        delivering.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await delivering
        await dispatcher.aclose()
        await context.close()
