"""The widget in Chromium on a shop page of another origin: accessibility (axe-core), phone width, branding,
several conversations, and a proactive invitation shown and answered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, Page, Route, expect
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk import security
from frontdesk.conversations import routing
from frontdesk.conversations.models import ChatSettings, Invitation, InvitationRule, Message
from frontdesk.conversations.models import Visitor as VisitorRow
from frontdesk.db import create_session_factory
from tests.conftest import Database
from tests.conversations.chat_clients import allow_site
from tests.factories import WorkspaceHandle

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
SHOP_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><main><h1>Candy Shop</h1><p>Our sweets.</p></main>
<script src="{server}/widget.js" data-frontdesk="{token}" async></script></body></html>"""


async def _axe_problems(page: Page, where: str) -> list[str]:
    """Serious and critical axe-core violations inside the widget (the shop's own page is not ours to judge)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = await page.evaluate("async () => await axe.run({include: [['.fdw-root']]}, {resultTypes: ['violations']})")
    problems = [
        f"{where}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert result["passes"] or result["incomplete"] or result["violations"] is not None
    return problems


async def _fits(page: Page) -> None:
    """Nothing of the widget sticks out of the screen, and the page does not scroll sideways because of it."""
    assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = await page.locator(".fdw-panel").bounding_box()
    viewport = page.viewport_size
    assert box is not None and viewport is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"] and box["y"] >= 0


async def _fields_line_up(page: Page) -> None:
    """Pre-chat fields are as wide as the message box, and their placeholders fit inside them."""
    widths = await page.evaluate(
        """() => ['input[name=name]', 'input[name=email]', 'select[name=team]', 'textarea[name=body]']
        .map(s => document.querySelector('.fdw-panel ' + s).getBoundingClientRect().width)"""
    )
    assert max(widths) - min(widths) < 1, widths
    overflowing = await page.evaluate(
        """() => {
          const ctx = document.createElement('canvas').getContext('2d');
          return [...document.querySelectorAll('.fdw-panel input[placeholder], .fdw-panel textarea[placeholder]')]
            .filter(f => f.offsetParent !== null)
            .filter(f => {
              const s = getComputedStyle(f);
              ctx.font = s.font;
              const room = f.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
              return ctx.measureText(f.placeholder).width > room;
            }).map(f => f.placeholder);
        }"""
    )
    assert overflowing == []


async def _conversations(server_url: str, workspace: WorkspaceHandle) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"{server_url}/api/v1/conversations", headers=workspace.headers)
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def _resolve(server_url: str, workspace: WorkspaceHandle, conversation_id: int) -> None:
    async with httpx.AsyncClient() as http:
        response = await http.patch(
            f"{server_url}/api/v1/conversations/{conversation_id}",
            json={"status": "resolved"},
            headers=workspace.headers,
        )
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_the_widget_passes_axe_in_every_view_and_fits_the_screen(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    database: Database,
    shop_site: tuple[str, dict[str, str]],
    artifacts_dir: Path,
    screen: str,
) -> None:
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Candy Shop")
    shot = str(artifacts_dir / f"widget-{{}}-{screen}-{database.backend}.png")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    problems: list[str] = []
    try:
        await page.goto(site_url)
        await page.get_by_role("button", name="Open chat").click()
        dialog = page.get_by_role("dialog", name="Chat with us")
        await expect(dialog).to_be_visible()
        await expect(page.get_by_label("Your e-mail")).to_be_visible()  # the pre-chat form
        problems += await _axe_problems(page, "pre-chat form")
        await _fits(page)
        await _fields_line_up(page)
        await page.screenshot(path=shot.format("prechat"))

        await page.get_by_label("Your e-mail").fill("mia@candy.example")
        await page.get_by_role("textbox", name="Message").fill("Where is my parcel?")
        await page.get_by_role("button", name="Send").click()
        line = page.locator(".fdw-msg.fdw-visitor[data-seq='1']")
        await expect(line).to_be_visible()
        await expect(line.locator("time")).to_have_text(await page.evaluate(
            "() => new Date(document.querySelector(\".fdw-msg[data-seq='1'] time\").dateTime)"
            ".toLocaleTimeString('en', {hour: '2-digit', minute: '2-digit'})"
        ))  # fmt: skip
        problems += await _axe_problems(page, "conversation")

        conversation_id = (await _conversations(server_url, workspace))[0]["id"]
        await _resolve(server_url, workspace, conversation_id)
        await expect(page.get_by_role("status").filter(has_text="This conversation has ended.")).to_be_visible()
        await expect(page.get_by_role("button", name="Rate 4 out of 5")).to_be_visible()
        problems += await _axe_problems(page, "rating: stars")
        await _fits(page)
        await page.screenshot(path=shot.format("rating"))
        await page.get_by_role("button", name="Rate 4 out of 5").click()
        await expect(page.get_by_text("Thanks for your rating!")).to_be_visible()
        comment = page.get_by_label("Add a comment (optional)")
        await expect(comment).to_be_focused()  # the optional comment comes next
        problems += await _axe_problems(page, "rating: comment")
        await comment.fill("Fast answer, thanks")
        await page.get_by_role("button", name="Send comment").click()
        await expect(page.get_by_text("Thanks for your comment!")).to_be_visible()
        listed = await _conversations(server_url, workspace)
        assert (listed[0]["csat_rating"], listed[0]["csat_comment"]) == (4, "Fast answer, thanks")

        await page.get_by_role("button", name="Your conversations").click()
        await expect(page.get_by_role("button", name="New conversation")).to_be_visible()
        problems += await _axe_problems(page, "conversation list")
        await _fits(page)
        await page.screenshot(path=shot.format("list"))
        await page.get_by_role("button", name="Close chat").first.click()
        await expect(dialog).to_be_hidden()
        await expect(page.get_by_role("button", name="Open chat")).to_be_focused()
    finally:
        await context.close()
    assert problems == []


async def test_branding_colour_position_language_and_launcher_text_with_readable_contrast(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
    artifacts_dir: Path,
) -> None:
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    async with create_session_factory(engine)() as session:
        await session.execute(
            update(ChatSettings)
            .where(ChatSettings.workspace_id == workspace.id)
            .values(color="#ffd400", position="left", language="de", launcher_text="Fragen?", launcher_icon="wave")
        )
        await session.commit()
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Süßwaren")
    context = await browser.new_context(viewport=VIEWPORTS["phone"])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await page.goto(site_url)
        launcher = page.get_by_role("button", name="Fragen?")
        await expect(launcher).to_be_visible()
        colours = await launcher.evaluate("b => [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]")
        assert colours == ["rgb(255, 212, 0)", "rgb(29, 35, 48)"]  # dark text: white on yellow is unreadable
        box = await launcher.bounding_box()
        assert box is not None and box["x"] < 100  # on the left
        await launcher.click()
        await expect(page.get_by_role("dialog", name="Schreiben Sie uns")).to_be_visible()
        await expect(page.get_by_role("button", name="Senden")).to_be_visible()
        await expect(page.get_by_label("Ihre E-Mail")).to_have_attribute("placeholder", "E-Mail für unsere Antwort")
        await _fields_line_up(page)
        await _fits(page)
        problems = await _axe_problems(page, "German, yellow")
        await page.screenshot(path=str(artifacts_dir / "widget-branded-phone.png"))
    finally:
        await context.close()
    assert problems == []


async def test_a_returning_visitor_starts_a_new_conversation_and_reopens_an_old_one_from_the_list(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
) -> None:
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Candy Shop")
    context = await browser.new_context(viewport=VIEWPORTS["desktop"])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await page.goto(site_url + "/?ref=NOSUCHCODE")
        await page.get_by_role("button", name="Open chat").click()
        await page.get_by_label("Your e-mail").fill("mia@candy.example")
        await page.get_by_role("textbox", name="Message").fill("First question")
        await page.get_by_role("button", name="Send").click()
        await expect(page.locator(".fdw-msg[data-seq='1']")).to_be_visible()
        first = (await _conversations(server_url, workspace))[0]["id"]
        await _resolve(server_url, workspace, first)
        await expect(page.get_by_text("This conversation has ended.")).to_be_visible()

        await page.reload()  # a returning visitor: the widget remembers the conversation it showed
        await page.get_by_role("button", name="Open chat").click()
        await expect(page.get_by_text("This conversation has ended.")).to_be_visible()
        await expect(page.locator(".fdw-msg.fdw-visitor").first).to_contain_text("First question")
        await page.get_by_role("button", name="New conversation").first.click()
        await expect(page.locator(".fdw-log li")).to_have_count(0)
        await page.get_by_role("textbox", name="Message").fill("Second question")
        await page.get_by_role("button", name="Send").click()
        await expect(page.locator(".fdw-msg.fdw-visitor[data-seq='1']")).to_contain_text("Second question")
        listed = await _conversations(server_url, workspace)
        assert sorted(c["status"] for c in listed) == ["open", "resolved"]

        async with page.expect_response(lambda r: r.url.endswith("/widget/api/conversations")) as fetched:
            await page.get_by_role("button", name="Your conversations").click()
        response = await fetched.value
        assert response.request.method == "GET" and response.status == 200  # after the CORS preflight
        assert [c["status"] for c in (await response.json())["conversations"]] == ["open", "resolved"]
        items = page.locator(".fdw-item")
        await expect(items).to_have_count(2)
        await expect(items.nth(0)).to_contain_text("Second question")
        await expect(items.nth(1)).to_contain_text("Ended")
        await items.nth(1).click()
        await expect(page.locator(".fdw-msg.fdw-visitor").first).to_contain_text("First question")
        await expect(page.get_by_text("This conversation has ended.")).to_be_visible()
        await page.get_by_role("textbox", name="Message").fill("Back to the first")
        await page.get_by_role("button", name="Send").click()
        await expect(page.get_by_text("This conversation has ended.")).to_be_hidden()  # reopened by writing
        statuses = {c["id"]: c["status"] for c in await _conversations(server_url, workspace)}
        assert statuses[first] == "open" and len(statuses) == 2
        stored = await page.evaluate("() => Object.keys(localStorage).filter(k => k.endsWith(':ref'))")
        assert stored  # the code was kept by the widget (the server ignored it: no such code)
    finally:
        await context.close()


async def _real_invitation(engine: AsyncEngine, workspace_id: int, visitor_token: str, message: str) -> dict[str, Any]:
    """The row SETUP's matcher writes when it shows an invitation, and the answer it gives the widget."""
    async with create_session_factory(engine)() as session:
        visitor = await session.scalar(
            select(VisitorRow).where(VisitorRow.token_hash == security.token_digest(visitor_token))
        )
        assert visitor is not None
        sales = await routing.get_team(session=session, workspace_id=workspace_id, key="sales")
        rule = InvitationRule(workspace_id=workspace_id, name="Everyone", team_id=sales.id, message=message)
        session.add(rule)
        await session.flush()
        invitation = Invitation(workspace_id=workspace_id, rule_id=rule.id, visitor_id=visitor.id)
        session.add(invitation)
        await session.commit()
        return {"id": invitation.id, "team": "sales", "message": message, "author_name": sales.name}


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_a_proactive_invitation_is_shown_near_the_launcher_and_answered(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
    artifacts_dir: Path,
    screen: str,
) -> None:
    """The widget's half of proactive chat: the matcher's answer is given by the test (rules are SETUP's part),
    the invitation row behind it is real, and the answer goes through the real server."""
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Pricing")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    asked: list[dict[str, Any]] = []
    offer: dict[str, Any] = {}

    async def matcher(route: Route) -> None:
        asked.append(json.loads(route.request.post_data or "{}"))
        body = {"invitation": offer or None}
        await route.fulfill(status=200, json=body, headers={"Access-Control-Allow-Origin": site_url})

    await page.route(f"{server_url}/widget/api/invitation", matcher)
    try:
        await page.goto(site_url + "/pricing")
        await expect(page.get_by_role("button", name="Open chat")).to_be_visible()
        await page.wait_for_function("() => Object.keys(localStorage).some(k => k.endsWith(':visitor'))")
        visitor_token = await page.evaluate(
            "() => localStorage.getItem(Object.keys(localStorage).find(k => k.endsWith(':visitor')))"
        )
        offer.update(await _real_invitation(engine, workspace.id, visitor_token, "Comparing plans? We can help."))
        assert asked and asked[0]["page_url"] == site_url + "/pricing" and asked[0]["seconds_on_page"] <= 2
        assert asked[0]["visitor_token"] == visitor_token
        card = page.get_by_role("dialog", name="Message from Sales")
        await expect(card).to_be_visible(timeout=15_000)  # asked again at 10 s on the page
        assert [a["seconds_on_page"] for a in asked][-1] >= 9
        await expect(card).to_contain_text("Comparing plans? We can help.")
        problems = await _axe_problems(page, "invitation")
        await page.screenshot(path=str(artifacts_dir / f"widget-invitation-{screen}.png"))

        await card.get_by_role("button", name="Reply").click()
        await expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()
        await expect(page.locator(".fdw-msg.fdw-agent")).to_contain_text("Comparing plans? We can help.")
        await page.get_by_label("Your e-mail").fill("lea@candy.example")
        await page.get_by_role("textbox", name="Message").fill("Yes: five people, which plan?")
        await page.get_by_role("button", name="Send").click()
        await expect(page.locator(".fdw-msg.fdw-visitor[data-seq='2']")).to_be_visible()
        await expect(page.locator(".fdw-msg.fdw-agent[data-seq='1']")).to_contain_text("Comparing plans?")
        await expect(page.locator(".fdw-msg")).to_have_count(2)
    finally:
        await context.close()
    assert problems == []
    async with create_session_factory(engine)() as session:
        invitation = await session.get(Invitation, offer["id"])
        assert invitation is not None and invitation.conversation_id is not None
        lines = (
            await session.execute(
                select(Message.author_type, Message.body)
                .where(Message.conversation_id == invitation.conversation_id)
                .order_by(Message.seq)
            )
        ).all()
        assert [tuple(line) for line in lines] == [
            ("agent", "Comparing plans? We can help."),
            ("visitor", "Yes: five people, which plan?"),
        ]


async def test_a_rule_of_the_workspace_invites_a_visitor_on_its_page_end_to_end(
    browser: Browser,
    server_url: str,
    engine: AsyncEngine,
    workspace: WorkspaceHandle,
    shop_site: tuple[str, dict[str, str]],
) -> None:
    """With the invitation rules' matcher (SETUP's part of issue 14): a rule for /pricing pages, written as
    Settings writes it, invites the visitor on that page and not elsewhere. Until that matcher is merged, the
    matcher is a stub that never invites, and this test fails at the card."""
    site_url, page_html = shop_site
    token = await allow_site(engine, workspace.id, site_url)
    page_html["html"] = SHOP_PAGE.format(server=server_url, token=token, title="Pricing")
    async with create_session_factory(engine)() as session:
        sales = await routing.get_team(session=session, workspace_id=workspace.id, key="sales")
        session.add(
            InvitationRule(
                workspace_id=workspace.id, name="Pricing", url_pattern="/pricing*", team_id=sales.id,
                message="Comparing plans? We can help.",
            )
        )  # fmt: skip
        await session.commit()
    context = await browser.new_context(viewport=VIEWPORTS["desktop"])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await page.goto(site_url + "/about")
        await expect(page.get_by_role("button", name="Open chat")).to_be_visible()
        await page.wait_for_timeout(1500)
        await expect(page.get_by_role("dialog", name="Message from Sales")).to_be_hidden()
        await page.goto(site_url + "/pricing")
        card = page.get_by_role("dialog", name="Message from Sales")
        await expect(card).to_be_visible(timeout=15_000)
        await card.get_by_role("button", name="Reply").click()
        await page.get_by_label("Your e-mail").fill("lea@candy.example")
        await page.get_by_role("textbox", name="Message").fill("Which plan for five people?")
        await page.get_by_role("button", name="Send").click()
        await expect(page.locator(".fdw-msg.fdw-visitor[data-seq='2']")).to_be_visible()
    finally:
        await context.close()
    async with create_session_factory(engine)() as session:
        answered = (await session.scalars(select(Invitation).where(Invitation.workspace_id == workspace.id))).all()
        # Shown once (on /pricing, not on /about), and answered with the conversation it started.
        assert [(i.answered_at is not None, i.conversation_id is not None) for i in answered] == [(True, True)]
