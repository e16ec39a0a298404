"""A success agent works the Success page in Chromium, at 1,366 px and on a 390 px phone: the at-risk customers,
their task, completing it with an outcome, and finding it under Done."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import create_session_factory, utcnow
from frontdesk.success.models import CustomerHealth, CustomerPrediction, SuccessTask
from tests.browser.test_console import VIEWPORTS, _fits_the_screen, _sign_in
from tests.factories import WorkspaceHandle, make_workspace
from tests.success.playbook_world import admin_id


@pytest.fixture
async def team(engine: AsyncEngine) -> WorkspaceHandle:
    workspace = await make_workspace(engine, "Success Shop")
    me = await admin_id(workspace)
    names = ["Ingrid Longname-Vanderberg", "Paul Slipping", "Quentin Quiet"]
    ids = [await workspace.contact(name=name) for name in names]
    now = utcnow()
    async with create_session_factory(engine)() as session:
        for n, contact_id in enumerate(ids):
            session.add(
                CustomerHealth(
                    contact_id=contact_id, workspace_id=workspace.id, score=15 + 10 * n,
                    reasons=[f"no order for {3 + n} times their usual interval", "1 open complaint"],
                )
            )  # fmt: skip
            session.add(
                CustomerPrediction(
                    contact_id=contact_id, workspace_id=workspace.id, frequency=3, recency_days=200, age_days=400,
                    p_alive=0.2 + 0.2 * n, expected_purchases_90d=0.2, expected_purchases_365d=0.9,
                    expected_order_value_minor=4500, clv_12m_minor=60_000 - 10_000 * n,
                )
            )  # fmt: skip
        session.add(
            SuccessTask(workspace_id=workspace.id, contact_id=ids[0], title="Call about the broken delivery",
                        owner_id=me, due_at=now - timedelta(days=1), created_by="playbook: Save valuable customers")
        )  # fmt: skip
        session.add(
            SuccessTask(workspace_id=workspace.id, contact_id=ids[1], title="Send a win-back offer",
                        owner_id=me, due_at=now + timedelta(days=4), created_by="agent")
        )  # fmt: skip
        await session.commit()
    return workspace


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_agent_completes_an_at_risk_customers_task_with_an_outcome(
    browser: Browser, server_url: str, team: WorkspaceHandle, artifacts_dir: Path, screen: str, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, team.admin_email)
        await page.get_by_role("link", name="Success", exact=True).click()
        await expect(page.get_by_role("heading", name="Success", exact=True)).to_be_visible()
        at_risk = page.locator("table.at-risk tbody tr")
        await expect(at_risk).to_have_count(3)
        # Most value at risk first: 600 x 0.8, then 500 x 0.6, then 400 x 0.4.
        await expect(at_risk.nth(0)).to_contain_text("Ingrid Longname-Vanderberg")
        await expect(at_risk.nth(0)).to_contain_text("480.00 EUR")
        await expect(at_risk.nth(0)).to_contain_text("no order for 3 times their usual interval")
        await expect(at_risk.nth(2)).to_contain_text("Quentin Quiet")
        task = page.locator("li.success-task", has_text="Call about the broken delivery")
        await expect(task).to_contain_text("overdue")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"success-{screen}-{backend}.png", full_page=True)

        await task.get_by_label("Outcome").fill("Called, offered 10% - ordered again")
        await task.get_by_role("button", name="Mark done").click()
        done_card = page.locator("li.success-task[data-status=done]", has_text="Call about the broken delivery")
        await expect(done_card).to_contain_text("Outcome: Called, offered 10% - ordered again")

        await page.get_by_role("link", name="Done").click()
        await expect(page).to_have_url(f"{server_url}/success?tab=done")
        await expect(page.locator("li.success-task")).to_have_count(1)
        await expect(page.locator("li.success-task")).to_contain_text("Called, offered 10% - ordered again")
        await page.get_by_role("link", name="Mine (1)").click()
        await expect(page.locator("li.success-task")).to_have_count(1)
        await expect(page.locator("li.success-task")).to_contain_text("Send a win-back offer")
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"success-mine-{screen}-{backend}.png", full_page=True)
    finally:
        await context.close()
