"""The API docs work on an install without internet: Chromium, every request to another host refused."""

from __future__ import annotations

from urllib.parse import urlsplit

from playwright.async_api import Browser, Route, expect

LOCAL_HOSTS = {"127.0.0.1", "localhost"}
# A policy as strict as a console's: scripts only from the server itself, no inline scripts, no eval.
STRICT_CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:"


async def test_api_docs_show_the_operations_with_other_hosts_blocked(browser: Browser, server_url: str) -> None:
    # Swagger UI draws a large document's operations only as they scroll into view: a tall window shows them all.
    context = await browser.new_context(viewport={"width": 1280, "height": 30_000})
    refused: list[str] = []

    async def only_local(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).path.endswith("/api/v1/docs"):
            response = await route.fetch()
            await route.fulfill(response=response, headers={**response.headers, "content-security-policy": STRICT_CSP})
        elif urlsplit(url).hostname in LOCAL_HOSTS or url.startswith(("data:", "blob:")):
            await route.continue_()
        else:
            refused.append(url)
            await route.abort()

    await context.route("**/*", only_local)
    page = await context.new_page()
    failed: list[str] = []
    page.on("requestfailed", lambda request: failed.append(request.url))
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    try:
        await page.goto(f"{server_url}/api/v1/docs")
        operations = page.locator(".opblock-summary")
        await expect(operations.first).to_be_visible(timeout=20_000)
        assert await operations.count() > 20
        await expect(page.locator(".opblock-summary-path", has_text="/api/v1/contacts/import").first).to_be_visible()
        assert refused == []
        assert failed == []
        assert problems == []  # among them, any Content-Security-Policy violation
    finally:
        await context.close()
