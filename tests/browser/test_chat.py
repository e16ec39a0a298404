"""The whole chat in Chromium: a shop page on another origin embeds the widget, an agent answers from the inbox."""

from __future__ import annotations

from pathlib import Path

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.conftest import Database
from tests.conversations.chat_clients import allow_site
from tests.factories import PASSWORD, WorkspaceHandle

SHOP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Candy Shop</title></head>
<body><h1>Candy Shop</h1><p>Our sweets.</p>
<script src="{server}/widget.js" data-frontdesk="{token}" async></script></body></html>"""


async def test_visitor_and_agent_chat_resolve_and_rate(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    database: Database,
    shop_site: tuple[str, dict[str, str]],
    artifacts_dir: Path,
) -> None:
    site_url, page = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page["html"] = SHOP_PAGE.format(server=server_url, token=token)
    shot = artifacts_dir / f"chat-{{}}-{database.backend}.png"

    agent_context = await browser.new_context(viewport={"width": 1366, "height": 768})
    visitor_context = await browser.new_context(viewport={"width": 390, "height": 844})
    agent, visitor = await agent_context.new_page(), await visitor_context.new_page()
    try:
        await agent.goto(f"{server_url}/login")
        await agent.get_by_label("E-mail").fill(workspace.admin_email)
        await agent.get_by_label("Password").fill(PASSWORD)
        await agent.get_by_role("button", name="Sign in").click()
        await agent.goto(f"{server_url}/inbox")
        await expect(agent.locator("#inbox[data-live='true']")).to_be_attached()

        await visitor.goto(site_url)
        await visitor.get_by_role("button", name="Open chat").click()
        await visitor.get_by_label("Topic").select_option("support")
        await visitor.get_by_label("Your e-mail").fill("mia@candy.example")
        attack = '<img src=x onerror="window.__pwned=1">'
        await visitor.get_by_role("textbox", name="Message").fill(f"Is this vegan? {attack}")
        await visitor.get_by_role("button", name="Send").click()
        await expect(visitor.locator(".fdw-msg.fdw-visitor[data-seq='1']")).to_be_visible()

        conversation = agent.locator("#conversation-list li a").first
        await expect(conversation).to_contain_text("Is this vegan?")  # arrived live, no reload
        await conversation.click()
        await expect(agent.locator("#messages")).to_contain_text(attack)
        await agent.get_by_role("textbox", name="Message").fill("Yes, all our gummies are vegan.")
        await agent.get_by_role("textbox", name="Message").press("Enter")
        await expect(agent.locator("#messages")).to_contain_text("Yes, all our gummies are vegan.")

        await expect(visitor.locator(".fdw-msg.fdw-agent")).to_contain_text("Yes, all our gummies are vegan.")
        await visitor.screenshot(path=str(shot).format("visitor"))
        await agent.screenshot(path=str(shot).format("agent"))

        await agent.get_by_role("button", name="Resolve").click()
        await visitor.get_by_role("button", name="Rate 5 out of 5").click()
        await expect(visitor.get_by_text("Thanks for your rating!")).to_be_visible()
        await expect(visitor.get_by_role("button", name="Rate 5 out of 5")).to_be_hidden()
        await visitor.screenshot(path=str(shot).format("visitor-rated"))

        assert await agent.evaluate("window.__pwned") is None
        assert await visitor.evaluate("window.__pwned") is None
        async with httpx.AsyncClient() as http:
            listed = (
                await http.get(
                    f"{server_url}/api/v1/conversations", params={"status": "resolved"}, headers=workspace.headers
                )
            ).json()["items"]
        assert [(c["csat_rating"], c["unanswered"]) for c in listed] == [(5, False)]
        await agent.goto(f"{server_url}/inbox/{listed[0]['id']}")
        await expect(agent.get_by_text("Rated 5/5")).to_be_visible()
        await agent.screenshot(path=str(shot).format("agent-rated"))
    finally:
        await agent_context.close()
        await visitor_context.close()


async def test_a_site_that_is_not_allowed_gets_a_hidden_widget_and_one_clear_console_message(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
) -> None:
    site_url, page = shop_site
    token = await allow_site(engine, workspace.id, "https://the-real-shop.example")  # not this site
    page["html"] = SHOP_PAGE.format(server=server_url, token=token)
    context = await browser.new_context()
    visitor = await context.new_page()
    messages: list[str] = []
    visitor.on("console", lambda message: messages.append(message.text))
    try:
        await visitor.goto(site_url)
        await visitor.wait_for_function("() => window.__frontdeskWidget === true")
        await expect(visitor.locator(".fdw-bubble")).to_have_count(0, timeout=5000)
        await visitor.wait_for_timeout(1500)  # time enough for a retry loop, if there were one
        from_widget = [text for text in messages if text.startswith("Frontdesk:")]
        assert from_widget == [
            f"Frontdesk: this site ({site_url}) is not allowed to use this chat; "
            "add it under Settings → Live chat → Sites allowed to show the widget."
        ]
        assert not any("CORS" in text for text in messages)  # the refusal itself was readable
    finally:
        await context.close()


FAKE_SOCKET = """
window.WebSocket = class {
  constructor(url) { this.url = url; this.readyState = 0; this.sent = []; window.__fakeSocket = this;
    setTimeout(() => { this.readyState = 1; if (this.onopen) this.onopen(); }, 0); }
  send(data) { this.sent.push(JSON.parse(data)); }
  close() { this.readyState = 3; }
  deliver(event) { this.onmessage({ data: JSON.stringify(event) }); }
};
"""


async def test_the_widget_shows_lines_in_sequence_order_once_and_asks_for_what_it_missed(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
) -> None:
    """Events delivered out of order, twice, and with a hole, through a stand-in for the WebSocket."""
    site_url, page = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page["html"] = SHOP_PAGE.format(server=server_url, token=token)
    context = await browser.new_context()
    await context.add_init_script(FAKE_SOCKET)
    visitor = await context.new_page()

    def line(seq: int, body: str, author: str = "agent") -> dict[str, object]:
        message = {"seq": seq, "client_id": f"c{seq}", "body": body, "author_type": author, "author_name": "Ann"}
        return {"type": "message", "conversation_id": 5, "message": message}

    try:
        await visitor.goto(site_url)
        await visitor.wait_for_function("() => window.__fakeSocket && window.__fakeSocket.sent.length > 0")
        hello = await visitor.evaluate("() => window.__fakeSocket.sent[0]")
        assert hello["type"] == "hello" and hello["after_seq"] == 0
        first = {"seq": 1, "client_id": "v1", "body": "one", "author_type": "visitor"}
        ready = {"type": "ready", "conversation": {"id": 5, "status": "open"}, "messages": [first], "through_seq": 1}
        for event in (
            ready,
            line(3, "three"),
            {"type": "seq", "conversation_id": 5, "seq": 4},
            line(2, "two"),
            line(3, "three"),
            line(6, "six"),
        ):
            await visitor.evaluate("(event) => window.__fakeSocket.deliver(event)", event)
        bodies = visitor.locator(".fdw-log .fdw-body")
        await expect(bodies).to_have_text(["one", "two", "three", "six"])  # in order, "three" once
        # 5 is missing below 6: the widget asks for everything after 4, the last number with nothing missing.
        await visitor.wait_for_function("() => window.__fakeSocket.sent.some((f) => f.type === 'resume')", timeout=5000)
        resume = await visitor.evaluate("() => window.__fakeSocket.sent.find((f) => f.type === 'resume')")
        assert resume == {"type": "resume", "after_seq": 4}
        await visitor.evaluate(
            "(event) => window.__fakeSocket.deliver(event)",
            {
                "type": "ready",
                "conversation": {"id": 5, "status": "open"},
                "through_seq": 6,
                "messages": [line(5, "five")["message"], line(6, "six")["message"]],
            },
        )
        await expect(bodies).to_have_text(["one", "two", "three", "five", "six"])
    finally:
        await context.close()
