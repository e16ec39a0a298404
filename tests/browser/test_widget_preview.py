"""Settings' live preview: the widget drawn from a given config, open, without a single request to the server."""

from __future__ import annotations

import html
import json

from playwright.async_api import Browser, expect

PREVIEW_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Preview</title></head><body>
<script src="{server}/widget.js" data-frontdesk="preview" data-preview="true" data-config="{config}"></script>
</body></html>"""
CONFIG = {
    "color": "#0b6e4f",
    "position": "left",
    "launcher_text": "Hilfe",
    "launcher_icon": "help",
    "language": "de",
    "greeting": "Hallo! Wie können wir helfen?",
    "offline_message": "Gerade nicht da.",
    "agents": [
        {"name": "Anna Berg", "initials": "AB", "avatar_url": None},
        {"name": "Ben Cho", "initials": "BC", "avatar_url": None},
    ],
    "reply_time_seconds": 1800,
    "teams": {
        "sales": {"name": "Vertrieb", "open_now": True, "online": True},
        "support": {"name": "Hilfe", "open_now": False, "online": True},
    },
}


async def test_the_preview_shows_the_given_config_open_and_never_calls_the_server(
    browser: Browser, server_url: str, shop_site: tuple[str, dict[str, str]]
) -> None:
    site_url, page_html = shop_site
    page_html["html"] = PREVIEW_PAGE.format(server=server_url, config=html.escape(json.dumps(CONFIG), quote=True))
    context = await browser.new_context(viewport={"width": 390, "height": 700})
    page = await context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    try:
        await page.goto(site_url)
        dialog = page.get_by_role("dialog", name="Schreiben Sie uns")
        await expect(dialog).to_be_visible()  # open without a click
        await expect(dialog).to_contain_text("Hallo! Wie können wir helfen?")
        await expect(dialog).to_contain_text("Anna Berg, Ben Cho")
        await expect(dialog).to_contain_text("Antwortet meist in unter einer Stunde")
        await expect(page.locator(".fdw-face")).to_have_text(["AB", "BC"])
        head = await page.locator(".fdw-head").evaluate(
            "h => [getComputedStyle(h).backgroundColor, getComputedStyle(h).color]"
        )
        assert head == ["rgb(11, 110, 79)", "rgb(255, 255, 255)"]
        await expect(page.get_by_role("button", name="Hilfe")).to_be_visible()
        # Office hours: Support is closed now, so choosing it turns the form into the offline form.
        await expect(page.get_by_label("Thema")).to_have_value("sales")
        await expect(page.get_by_label("Ihre E-Mail")).to_have_attribute("placeholder", "E-Mail (optional)")
        await page.get_by_label("Thema").select_option("support")
        await expect(dialog).to_contain_text("Gerade nicht da.")
        await expect(page.get_by_label("Ihre E-Mail")).to_have_attribute("placeholder", "E-Mail für unsere Antwort")

        # Settings changes a colour: the preview follows without reloading.
        await page.evaluate(
            "(config) => window.frontdeskPreview(config)", {**CONFIG, "color": "#f5c400", "language": "en"}
        )
        await expect(page.get_by_role("dialog", name="Chat with us")).to_be_visible()
        colour = await page.locator(".fdw-head").evaluate("h => getComputedStyle(h).color")
        assert colour == "rgb(29, 35, 48)"  # dark text on the light colour
        await page.get_by_role("textbox", name="Message").fill("Hello")
        await page.get_by_role("button", name="Send").click()
        await page.wait_for_timeout(500)
    finally:
        await context.close()
    assert [url for url in requests if url.startswith(server_url)] == [f"{server_url}/widget.js"]
    assert sockets == []
