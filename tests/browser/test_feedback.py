"""A customer on a phone answers a survey and reviews what they bought, from their personal links."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.browser.test_console import VIEWPORTS, _fits_the_screen
from tests.factories import make_workspace


async def test_a_customer_answers_a_survey_and_leaves_a_review_on_a_phone(
    browser: Browser, server_url: str, engine: AsyncEngine, artifacts_dir: Path, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    shop = await make_workspace(engine, "Phone Shop")
    await shop.product("TEA-1")
    buyer = await shop.contact(name="Mia Phone", emails=["mia@example.com"])
    order_id = await shop.order("P-1", buyer, "TEA-1", ordered_at=(datetime.now(UTC) - timedelta(days=2)).isoformat())
    async with httpx.AsyncClient(base_url=server_url, headers=shop.headers, timeout=30) as api:
        survey = (await api.post("/api/v1/surveys", json={"name": "NPS", "segment": "new"})).json()
        await api.post(f"/api/v1/surveys/{survey['id']}/send")
        links = list(csv.DictReader(io.StringIO((await api.get(f"/api/v1/surveys/{survey['id']}/links")).text)))
        survey_path = urlsplit(links[0]["link"]).path
        review_path = urlsplit((await api.post(f"/api/v1/orders/{order_id}/review-link")).json()["url"]).path

        context = await browser.new_context(viewport=VIEWPORTS["phone"], is_mobile=True, has_touch=True)  # type: ignore[arg-type]
        page = await context.new_page()
        try:
            await page.goto(server_url + survey_path)
            await expect(page.get_by_role("heading", name="How likely are you to recommend us")).to_be_visible()
            await page.get_by_role("radio", name="9", exact=True).check()
            await page.get_by_label("What is the main reason for your score?").fill("Fast delivery, lovely tea")
            assert await _fits_the_screen(page)
            await page.get_by_role("button", name="Send my answer").click()
            await expect(page.get_by_role("status")).to_contain_text("Your answer is saved")
            await page.screenshot(path=artifacts_dir / f"survey-phone-{backend}.png", full_page=True)

            await page.goto(server_url + review_path)
            await expect(page.get_by_role("heading", name="Tea-1")).to_be_visible()
            await page.get_by_label("4 stars").check()
            await page.get_by_label("Title").fill("Good everyday tea")
            await page.get_by_label("Your review").fill("Brews well, a bit strong.")
            assert await _fits_the_screen(page)
            await page.get_by_role("button", name="Publish my review").click()
            await expect(page.get_by_role("status")).to_contain_text("Your review is saved")
            await page.screenshot(path=artifacts_dir / f"review-phone-{backend}.png", full_page=True)
        finally:
            await context.close()

        answers = (await api.get(f"/api/v1/surveys/{survey['id']}/answers")).json()["items"]
        assert [(a["score"], a["comment"]) for a in answers] == [(9, "Fast delivery, lovely tea")]
        reviews = (await api.get("/api/v1/reviews", params={"status": "pending"})).json()["items"]
        assert [(r["rating"], r["title"], r["contact_id"]) for r in reviews] == [(4, "Good everyday tea", buyer)]
