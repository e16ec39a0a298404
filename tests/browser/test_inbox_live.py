"""The inbox as agents live in it, in Chromium on a desktop and a phone: three conversations worked without a
page load, everything on screen following what visitors and colleagues do, and how fast a visitor's line shows."""

from __future__ import annotations

import asyncio
import contextlib
import re
import statistics
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.conversations.models import CannedReply
from frontdesk.db import create_session_factory
from tests.conftest import Database
from tests.conversations.chat_clients import Agent as ConsoleClient
from tests.conversations.chat_clients import Visitor, allow_site
from tests.conversations.test_presence_and_typing import wait_until_online
from tests.factories import PASSWORD, WorkspaceHandle

VIEWPORTS = {"desktop": {"width": 1366, "height": 800}, "phone": {"width": 390, "height": 844}}
SAMPLES = 20


async def _fits_the_screen(page: Page) -> bool:
    return bool(await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


async def _visitors(server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle, *firsts: str) -> list[Visitor]:
    token = await allow_site(engine, workspace.id)
    visitors = []
    for body in firsts:
        visitor = Visitor(server_url, token)
        await visitor.start_session()
        await visitor.connect()
        await visitor.send(body, team="support")
        await visitor.expect("ack")
        visitors.append(visitor)
    return visitors


async def _conversation_of(server_url: str, workspace: WorkspaceHandle, text: str) -> int:
    async with httpx.AsyncClient() as http:
        items = (
            await http.get(f"{server_url}/api/v1/conversations", params={"q": text}, headers=workspace.headers)
        ).json()["items"]
    assert len(items) == 1
    return int(items[0]["id"])


async def _close(engine: AsyncEngine, workspace: WorkspaceHandle, page: Page, visitors: list[Visitor]) -> None:
    """Closes the browser and the visitors, then waits for the server's last writes (the agent going offline):
    the next test empties the tables, which must not race them."""
    for visitor in visitors:
        await visitor.close()
    await page.context.close()
    with contextlib.suppress(AssertionError):
        await wait_until_online(engine, workspace.id, False)
    await asyncio.sleep(0.3)


async def _signed_in(browser: Browser, server_url: str, workspace: WorkspaceHandle, screen: str) -> Page:
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    await page.goto(f"{server_url}/login")
    await page.get_by_label("E-mail").fill(workspace.admin_email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{server_url}/inbox")
    await expect(page.locator("#inbox[data-live='true']")).to_be_attached()
    await page.evaluate("window.__noReload = 1")
    return page


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_an_agent_works_three_conversations_without_a_page_load(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    database: Database,
    artifacts_dir: Path,
    screen: str,
) -> None:
    firsts = ["Where is order 1001?", "Do you ship to Norway?", "Can I change my address?"]
    visitors = await _visitors(server_url, engine, workspace, *firsts)
    ids = [await _conversation_of(server_url, workspace, text) for text in firsts]
    page = await _signed_in(browser, server_url, workspace, screen)
    phone = screen == "phone"
    try:
        assert await _fits_the_screen(page)
        # Longest waiting first: the order they wrote in.
        listed = await page.locator("#conversation-list li[data-id]").evaluate_all("els => els.map(e => +e.dataset.id)")
        assert listed == ids
        for number, (conversation, visitor) in enumerate(zip(ids[:2], visitors[:2], strict=True)):
            await page.locator(f'#conversation-list li[data-id="{conversation}"] a').click()
            await expect(page).to_have_url(re.compile(rf"/inbox/{conversation}\?"))
            await expect(page.locator("#messages")).to_contain_text(firsts[number])
            await expect(page.locator(f'#conversation-list li[data-id="{conversation}"].current')).to_have_count(1)
            if phone:  # the conversation takes the screen; the list is one tap away
                await expect(page.locator("#conversation-list")).to_be_hidden()
            reply = f"Answer number {number + 1}"
            await page.get_by_role("textbox", name="Message").fill(reply)
            await page.get_by_role("textbox", name="Message").press("Enter")
            await expect(page.locator("#messages")).to_contain_text(reply)
            await visitor.wait_for_body(reply)
            if phone:
                assert await _fits_the_screen(page)
                await page.screenshot(path=artifacts_dir / f"inbox-conversation-{screen}-{database.backend}.png")
            await page.get_by_role("button", name="Resolve").click()
            await expect(page.locator("#conv-head [data-field=status]")).to_have_text("resolved")
            await expect(page.get_by_role("button", name="Reopen")).to_be_visible()
            await expect(page.get_by_role("button", name="Resolve")).to_be_hidden()
            # It leaves the list of open conversations by itself.
            await expect(page.locator(f'#conversation-list li[data-id="{conversation}"]')).to_have_count(0)
            if phone:
                await page.get_by_role("link", name="← Conversations").click()
                await expect(page.locator("#conversation-list")).to_be_visible()

        # The third by keyboard: j to it, Enter to open, a to take it, e to resolve.
        await page.locator("h1, body").first.click(position={"x": 1, "y": 1})
        await page.keyboard.press("j")
        await page.keyboard.press("Enter")
        await expect(page).to_have_url(re.compile(rf"/inbox/{ids[2]}\?"))
        await expect(page.locator("#messages")).to_contain_text(firsts[2])
        await page.get_by_role("textbox", name="Message").fill("Yes, tell me the new one.")
        await page.get_by_role("textbox", name="Message").press("Enter")
        await expect(page.locator("#messages")).to_contain_text("Yes, tell me the new one.")
        await page.locator("#conv-head h1").click()
        await page.keyboard.press("a")
        await expect(page.locator("#conv-head [data-field=assignee] option:checked")).to_contain_text("Admin")
        await page.keyboard.press("e")
        await expect(page.locator("#conv-head [data-field=status]")).to_have_text("resolved")
        await visitors[2].wait_for_body("Yes, tell me the new one.")

        # Back and forward walk the conversations; nothing reloaded the page.
        await page.go_back()
        await expect(page).to_have_url(re.compile(rf"/inbox(/{ids[1]})?\?"))
        await page.go_forward()
        await expect(page).to_have_url(re.compile(rf"/inbox/{ids[2]}\?"))
        await expect(page.locator("#messages")).to_contain_text(firsts[2])
        assert await page.evaluate("window.__noReload") == 1
        # The search box, from the keyboard.
        await page.locator("#conv-head h1").click()
        await page.keyboard.press("/")
        assert await page.evaluate("document.activeElement.name") == "q"
        await page.keyboard.type("norway")
        await page.get_by_label("Status").select_option("resolved")
        await expect(page.locator("#conversation-list li[data-id]")).to_have_count(1)
        await expect(page.locator(f'#conversation-list li[data-id="{ids[1]}"]')).to_be_visible()
        assert await page.evaluate("window.__noReload") == 1
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"inbox-live-{screen}-{database.backend}.png")
        search = page.get_by_label("Search conversations")
        await page.go_back()  # the filters are part of the address: back and forward walk them too
        await expect(search).to_have_value("")
        await expect(page.get_by_label("Status")).to_have_value("open")
        await page.go_forward()
        await expect(search).to_have_value("norway")
        await expect(page.locator(f'#conversation-list li[data-id="{ids[1]}"]')).to_be_visible()
        assert await page.evaluate("window.__noReload") == 1

        await page.reload()  # and a reload shows the same place: the conversation (a phone: the list) and filters
        if not phone:
            await expect(page.locator("#messages")).to_contain_text(firsts[2])
        await expect(page.get_by_label("Search conversations")).to_have_value("norway")
        await expect(page.locator(f'#conversation-list li[data-id="{ids[1]}"]')).to_be_visible()
    finally:
        await _close(engine, workspace, page, visitors)


async def test_unread_counts_and_the_header_follow_visitors_and_colleagues_live(
    browser: Browser, server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle, database: Database
) -> None:
    colleague_email = await workspace.add_agent()
    mia, noah = await _visitors(server_url, engine, workspace, "Mia here", "Noah here")
    mia_id = await _conversation_of(server_url, workspace, "Mia here")
    noah_id = await _conversation_of(server_url, workspace, "Noah here")
    page = await _signed_in(browser, server_url, workspace, "desktop")
    api = httpx.AsyncClient(base_url=server_url, headers=workspace.headers)
    try:
        all_count = page.locator('[data-view-count="all"]')
        await expect(all_count).to_have_text("2")
        await page.locator(f'#conversation-list li[data-id="{mia_id}"] a').click()
        await expect(page.locator("#messages")).to_contain_text("Mia here")
        await expect(all_count).to_have_text("1")  # Mia's is read now
        noah_unread = page.locator(f'#conversation-list li[data-id="{noah_id}"] [data-field=unread]')
        await expect(noah_unread).to_have_text("1")

        # Noah writes while the agent reads Mia's conversation: his count grows, hers stays read.
        for line in ("Still there?", "Hello?"):
            await noah.send(line)
            await noah.expect("ack")
        await expect(noah_unread).to_have_text("3")
        await expect(all_count).to_have_text("1")  # still one unread conversation
        await expect(page.locator(f'#conversation-list li[data-id="{noah_id}"] [data-field=preview]')).to_have_text(
            "Hello?"
        )
        await mia.socket.send('{"type": "typing"}')
        await expect(page.locator("#typing")).to_be_visible()
        await mia.send("My order is 1001", name="Mia Sommer", email="mia@candy.example")
        await expect(page.locator("#messages")).to_contain_text("My order is 1001")
        await expect(page.locator("#typing")).to_be_hidden()  # the message ends the typing
        await expect(page.locator(f'#conversation-list li[data-id="{mia_id}"] [data-field=unread]')).to_be_hidden()
        await expect(page.locator("#conv-head [data-field=name]")).to_have_text("Mia Sommer")  # the name she gave
        await expect(page.locator(f'#conversation-list li[data-id="{mia_id}"] [data-field=name]')).to_have_text(
            "Mia Sommer"
        )

        # A colleague (here: the API) assigns, moves and resolves it: the header follows.
        agents = (await api.get("/api/v1/agents")).json()
        await api.patch(f"/api/v1/conversations/{mia_id}", json={"assignee_id": agents[0]["id"], "team": "sales"})
        await expect(page.locator("#conv-head [data-field=assignee] option:checked")).to_contain_text("Admin")
        await expect(page.locator("#conv-head [data-field=team]")).to_have_value("sales")
        await expect(page.locator('[data-view-count="mine"]')).to_be_hidden()  # Mia's is read: nothing unread
        await api.post(f"/api/v1/conversations/{mia_id}/messages", json={"body": "Found it, ships today."})
        await expect(page.locator("#conv-head [data-field=first-response]")).to_have_text(re.compile(r"^\d+ s$"))
        await api.patch(f"/api/v1/conversations/{mia_id}", json={"status": "resolved"})
        await expect(page.locator("#conv-head [data-field=status]")).to_have_text("resolved")
        await expect(page.get_by_role("button", name="Reopen")).to_be_visible()
        await expect(page.get_by_role("button", name="Resolve")).to_be_hidden()

        await mia.send("One more question")  # a resolved conversation reopens when the visitor writes
        await expect(page.locator("#conv-head [data-field=status]")).to_have_text("open")
        await expect(page.get_by_role("button", name="Resolve")).to_be_visible()
        await expect(page.get_by_role("button", name="Reopen")).to_be_hidden()
        await expect(page.locator("#messages")).to_contain_text("One more question")
        await expect(page.locator(f'#conversation-list li[data-id="{mia_id}"]')).to_have_count(1)

        # Reading Noah's, Mia writes: hers becomes the one unread conversation.
        await page.locator(f'#conversation-list li[data-id="{noah_id}"] a').click()
        await expect(page.locator("#messages")).to_contain_text("Noah here")
        await expect(all_count).to_be_hidden()
        await mia.send("Are you there?")
        await expect(page.locator(f'#conversation-list li[data-id="{mia_id}"] [data-field=unread]')).to_have_text("1")
        await expect(all_count).to_have_text("1")
        await expect(page.locator('[data-view-count="mine"]')).to_have_text("1")  # hers is assigned to me

        # A colleague's console comes online: the assignee picker says so.
        colleague = ConsoleClient(server_url, colleague_email)
        colleague_id = next(agent["id"] for agent in agents if agent["email"] == colleague_email)
        option = page.locator(f'#conv-head [data-field=assignee] option[value="{colleague_id}"]')
        await expect(option).to_have_text(re.compile(r"\(offline\)$"))
        await colleague.login()
        await colleague.connect()
        await expect(option).to_have_text(re.compile(r"\(online\)$"))
        await colleague.close()
        await expect(option).to_have_text(re.compile(r"\(offline\)$"))
        assert await page.evaluate("window.__noReload") == 1
    finally:
        await api.aclose()
        await _close(engine, workspace, page, [mia, noah])


async def test_how_long_a_visitors_line_takes_to_reach_the_agents_screen(
    browser: Browser, server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    # A visitor may send a burst of 10 lines (then one every 2 s): the samples come from three visitors.
    firsts = ["Timing you 0", "Timing you 1", "Timing you 2"]
    visitors = await _visitors(server_url, engine, workspace, *firsts)
    ids = [await _conversation_of(server_url, workspace, text) for text in firsts]
    page = await _signed_in(browser, server_url, workspace, "desktop")
    try:
        # The page notes when each line appears (Date.now(): the same clock as this process's time.time()).
        await page.evaluate(
            """() => {
              window.__shownAt = {};
              new MutationObserver(() => {
                document.querySelectorAll('#messages li .body').forEach((b) => {
                  if (!(b.textContent in window.__shownAt)) window.__shownAt[b.textContent] = Date.now();
                });
              }).observe(document.getElementById('conversation'), {childList: true, subtree: true});
            }"""
        )
        latencies: list[float] = []
        for visitor, conversation, first in zip(visitors, ids, firsts, strict=True):
            await page.locator(f'#conversation-list li[data-id="{conversation}"] a').click()
            await expect(page.locator("#messages")).to_contain_text(first)
            for number in range(7):
                if len(latencies) == SAMPLES:
                    break
                body = f"timing line {conversation}.{number}"
                sent_at = time.time() * 1000
                await visitor.send(body)
                await page.wait_for_function("(b) => window.__shownAt[b] !== undefined", arg=body)
                latencies.append(await page.evaluate("(b) => window.__shownAt[b]", body) - sent_at)
                await visitor.expect("ack")
        assert len(latencies) == SAMPLES
        median = statistics.median(latencies)
        print("inbox visitor->agent median ms:", round(median, 1), "max ms:", round(max(latencies), 1))
        assert median < 2000
        assert await page.evaluate("window.__noReload") == 1
    finally:
        await _close(engine, workspace, page, visitors)


FAKE_NOTIFICATIONS = """
window.__notes = [];
window.__beeps = 0;
window.__hidden = false;
function FakeNotification(title, options) { window.__notes.push([title, options.body]); this.close = function () {}; }
FakeNotification.permission = "granted";
FakeNotification.requestPermission = function () { return Promise.resolve("granted"); };
window.Notification = FakeNotification;
window.AudioContext = function () {
  return { destination: {}, currentTime: 0, createOscillator: function () {
    return { frequency: {}, connect: function () {}, stop: function () {},
             start: function () { window.__beeps += 1; } };
  } };
};
Object.defineProperty(document, "hidden", { configurable: true, get: function () { return window.__hidden; } });
"""


async def test_notifications_in_the_background_follow_the_agents_preferences_and_live_times_their_zone(
    browser: Browser, server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    context = await browser.new_context(viewport=VIEWPORTS["desktop"])  # type: ignore[arg-type]
    await context.add_init_script(FAKE_NOTIFICATIONS)
    page = await context.new_page()
    await page.goto(f"{server_url}/login")
    await page.get_by_label("E-mail").fill(workspace.admin_email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await page.goto(f"{server_url}/settings/profile")
    await page.get_by_label("My time zone").fill("Asia/Tokyo")
    await page.get_by_role("button", name="Save preferences").click()
    await expect(page.get_by_text("Saved.")).to_be_visible()
    await page.goto(f"{server_url}/inbox")
    await expect(page.locator("#inbox[data-live='true']")).to_be_attached()
    visitors: list[Visitor] = []
    try:
        await page.evaluate("window.__hidden = true")  # the agent is in another tab
        visitors += await _visitors(server_url, engine, workspace, "Knock knock")
        await page.wait_for_function("() => window.__notes.length === 1")
        assert await page.evaluate("window.__notes") == [["New conversation", "Knock knock"]]
        assert await page.evaluate("window.__beeps") == 1
        assert (await page.title()).startswith("(1) ")

        conversation = await _conversation_of(server_url, workspace, "Knock knock")
        row = page.locator(f'#conversation-list li[data-id="{conversation}"]')
        async with httpx.AsyncClient() as http:  # routing gave it to the online agent: take it back
            await http.patch(
                f"{server_url}/api/v1/conversations/{conversation}",
                json={"assignee_id": None},
                headers=workspace.headers,
            )
        await expect(row).to_have_attribute("data-assignee-id", "")
        await visitors[0].send("Not yours yet")  # nobody's conversation: no notice
        preview = page.locator(f'#conversation-list li[data-id="{conversation}"] [data-field=preview]')
        await expect(preview).to_have_text("Not yours yet")
        async with httpx.AsyncClient() as http:
            agents = (await http.get(f"{server_url}/api/v1/agents", headers=workspace.headers)).json()
            await http.patch(
                f"{server_url}/api/v1/conversations/{conversation}",
                json={"assignee_id": agents[0]["id"]},
                headers=workspace.headers,
            )
        await visitors[0].send("Now it is yours")
        await page.wait_for_function("() => window.__notes.length === 2")
        assert (await page.evaluate("window.__notes"))[1] == ["New message", "Now it is yours"]
        assert await page.evaluate("window.__beeps") == 2

        # In view, a line arriving live shows its time as the server writes it: in the agent's zone.
        await page.evaluate("window.__hidden = false; document.dispatchEvent(new Event('visibilitychange'))")
        await page.locator(f'#conversation-list li[data-id="{conversation}"] a').click()
        await expect(page.locator("#messages")).to_contain_text("Now it is yours")
        await visitors[0].send("What time is it for you?")
        live = page.locator("#messages li").filter(has_text="What time is it for you?").locator("time")
        await expect(live).to_have_text(re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d$"))
        stamp = await live.get_attribute("datetime")
        assert stamp is not None
        expected = datetime.fromisoformat(stamp).astimezone(ZoneInfo("Asia/Tokyo")).strftime("%Y-%m-%d %H:%M")
        await expect(live).to_have_text(expected)
        assert await page.evaluate("window.__notes.length") == 2  # in view: no notice

        # Switched off: nothing, even in the background.
        await page.goto(f"{server_url}/settings/profile")
        await page.get_by_label("Desktop notifications", exact=False).uncheck()
        await page.get_by_label("A sound with them").uncheck()
        await page.get_by_role("button", name="Save preferences").click()
        await page.goto(f"{server_url}/inbox")
        await expect(page.locator("#inbox[data-live='true']")).to_be_attached()
        await page.evaluate("window.__hidden = true")
        visitors += await _visitors(server_url, engine, workspace, "Anyone?")
        await expect(page.locator("#conversation-list")).to_contain_text("Anyone?")
        assert await page.evaluate("[window.__notes.length, window.__beeps]") == [0, 0]
    finally:
        await _close(engine, workspace, page, visitors)


async def test_typing_a_slash_in_the_composer_picks_a_canned_reply(
    browser: Browser, server_url: str, engine: AsyncEngine, workspace: WorkspaceHandle
) -> None:
    async with create_session_factory(engine)() as session:
        for shortcut, body in (("shipping", "We ship within 2 days."), ("returns", "Returns are free for 30 days.")):
            session.add(CannedReply(workspace_id=workspace.id, shortcut=shortcut, title=shortcut, body=body))
        await session.commit()
    visitors = await _visitors(server_url, engine, workspace, "When do you ship?")
    conversation = await _conversation_of(server_url, workspace, "When do you ship?")
    page = await _signed_in(browser, server_url, workspace, "desktop")
    try:
        await page.locator(f'#conversation-list li[data-id="{conversation}"] a').click()
        composer = page.get_by_role("textbox", name="Message")
        await composer.press_sequentially("/")
        picker = page.get_by_role("listbox", name="Canned replies")
        await expect(picker.get_by_role("option")).to_have_count(2)
        await composer.press_sequentially("sh")  # filters as the agent types
        await expect(picker.get_by_role("option")).to_have_count(1)
        await expect(picker.get_by_role("option")).to_contain_text("We ship within 2 days.")
        await composer.press("Enter")  # inserts, does not send
        await expect(composer).to_have_value("We ship within 2 days.")
        await expect(picker).to_be_hidden()
        await composer.press("Enter")
        await visitors[0].wait_for_body("We ship within 2 days.")
        await expect(composer).to_have_value("")  # sent
        await composer.press_sequentially("/re")
        await expect(picker.get_by_role("option")).to_have_count(1)
        await composer.press("Escape")
        await expect(picker).to_be_hidden()
        await expect(composer).to_have_value("/re")

        # Typing on while a send is still on its way: the sent text leaves the box, the rest stays, and goes
        # as a message of its own (not taken for a retry of the first).
        release = asyncio.Event()

        async def hold(route: Route) -> None:
            if route.request.method == "POST":
                await release.wait()
            await route.continue_()

        await page.route(re.compile(r"/inbox/\d+/messages$"), hold)
        await composer.fill("First line")
        await composer.press("Enter")
        await composer.press_sequentially(" and more")
        release.set()
        await visitors[0].wait_for_body("First line")
        await expect(composer).to_have_value("and more")
        await composer.press("Enter")
        await visitors[0].wait_for_body("and more")
        assert await page.evaluate("window.__noReload") == 1
    finally:
        await _close(engine, workspace, page, visitors)
