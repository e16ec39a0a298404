"""The dashboard and the reports in Chromium: every chart is drawn, from the numbers its table shows, at 1,366 px
and on a 390 px phone, without the page scrolling sideways."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

import frontdesk.reports.pages  # noqa: F401  (registers the template helpers the chart partial uses)
from frontdesk.conversations.csat import do_rate
from frontdesk.conversations.models import AuthorType, Conversation
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import RatingCreate
from frontdesk.conversations.service import do_change_conversation, do_post_message
from frontdesk.db import create_session_factory
from frontdesk.reports.charts import Chart, Series
from frontdesk.web.console import templates
from frontdesk.workspaces.models import Agent
from tests.browser.test_console import VIEWPORTS, _fits_the_screen
from tests.factories import PASSWORD, WorkspaceHandle, make_workspace

# Every chart on the page: is its canvas painted (differs from a blank canvas of its size), what did Chart.js
# get as data, and what does the table under it say.
CHARTS_ON_PAGE = """() => Array.from(document.querySelectorAll("figure[data-chart]")).map((figure) => {
  const canvas = figure.querySelector("canvas");
  const blank = document.createElement("canvas");
  blank.width = canvas.width; blank.height = canvas.height;
  const chart = window.Chart ? window.Chart.getChart(canvas) : undefined;
  const kind = figure.dataset.chartKind;
  const section = figure.closest("section");
  const drawn = !chart ? null : kind === "heatmap"
    ? [chart.data.datasets[0].data.map((cell) => cell.v)]
    : chart.data.datasets.map((dataset) => dataset.data);
  const rows = Array.from(section.querySelectorAll(".chart-table tbody tr:not(.extra)"))
    .map((tr) => Array.from(tr.querySelectorAll("td")).map((td) => td.textContent.trim()));
  return { key: section.id, kind, width: canvas.width, height: canvas.height, drawn, rows,
           painted: canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL() };
})"""

SPARKLINES = """() => Array.from(document.querySelectorAll("canvas[data-sparkline]")).map((canvas) => {
  const blank = document.createElement("canvas");
  blank.width = canvas.width; blank.height = canvas.height;
  const painted = canvas.width > 0 && canvas.toDataURL() !== blank.toDataURL();
  return { values: JSON.parse(canvas.dataset.sparkline), painted };
})"""


def _number(text: str) -> float | None:
    if text == "—":
        return None
    return float(text.replace(",", "").split(" ")[0])


def _rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)


async def _check_charts(page: Page) -> list[dict[str, Any]]:
    """Every chart is painted and draws exactly the numbers of its table; returns them."""
    charts: list[dict[str, Any]] = await page.evaluate(CHARTS_ON_PAGE)
    for chart in charts:
        assert chart["painted"], f"{chart['key']} is not drawn"
        assert chart["drawn"] is not None, f"{chart['key']} has no Chart.js chart"
        table = [[_number(cell) for cell in row] for row in chart["rows"]]
        drawn = [[_rounded(value) for value in series] for series in chart["drawn"]]
        if chart["kind"] == "heatmap":  # a row per series, a column per label
            assert drawn == [[value for row in table for value in row]], chart["key"]
        else:  # a row per label, a column per series (then any extra columns)
            assert drawn == [[row[i] for row in table] for i in range(len(drawn))], chart["key"]
    return charts


async def _check_sparklines(page: Page) -> None:
    # charts.js is deferred: the tiles are on the page before it has drawn them. Wait until it has marked every
    # sparkline drawn, then give the canvas a moment to show it (a resize can repaint it once more).
    await expect(page.locator("canvas[data-sparkline]:not([data-drawn])")).to_have_count(0)
    sparklines: list[dict[str, Any]] = []
    for _ in range(25):
        sparklines = await page.evaluate(SPARKLINES)
        if all(s["painted"] for s in sparklines if any(value is not None for value in s["values"])):
            break
        await page.wait_for_timeout(200)
    for sparkline in sparklines:
        if any(value is not None for value in sparkline["values"]):
            assert sparkline["painted"], sparkline


WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
SAMPLE_CHARTS = [
    Chart("conversations", "Conversations", "bar", ["2026-01", "2026-02", "2026-03"],
          [Series("Conversations", [12, 0, 31])]),
    Chart("first-response", "First-response time", "line", ["2026-01", "2026-02", "2026-03"],
          [Series("Median", [4.5, None, 12.25]), Series("90th percentile", [30, None, 41.5])], unit="min"),
    Chart("new-returning", "New and returning customers", "stacked-bar", ["2026-W52", "2026-W53", "2027-W01"],
          [Series("New", [3, 5, 0]), Series("Returning", [1, 0, 2])]),
    Chart("revenue", "Revenue", "line", ["2026-01", "2026-02", "2026-03"],
          [Series("Consumers", [1234.5, 99.99, 0]), Series("Resellers", [20000, 0, 15.1])], unit="EUR"),
    Chart("chats-by-hour", "Incoming chats by weekday and hour", "heatmap", [f"{h:02d}" for h in range(24)],
          [Series(day, [(d * 7 + h) % 11 for h in range(24)]) for d, day in enumerate(WEEKDAYS)]),
    Chart("retention", "Retention by month of first purchase", "heatmap", ["0", "1", "2"],
          [Series("2026-01", [100, 40, 25.5]), Series("2026-02", [100, 33.33, None]),
           Series("2026-03", [100, None, None])],
          unit="%", extra_rows=[Series("customers", [12, 3, 0])]),
]  # fmt: skip


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_every_kind_of_chart_is_drawn_from_the_numbers_of_its_table(
    browser: Browser, server_url: str, artifacts_dir: Path, screen: str, database: object
) -> None:
    """The page template and charts.js on known charts, whatever the reports compute today."""
    body = templates.env.from_string(
        '{% from "partials/report_chart.html" import chart_section %}'
        '<div class="report-charts">{% for chart in charts %}{{ chart_section(chart, "1 Jan to 31 Mar 2026") }}'
        "{% endfor %}</div>"
    ).render(charts=SAMPLE_CHARTS)
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<title>Charts</title><link rel="stylesheet" href="/static/app.css">'
        f"{templates.get_template('partials/report_scripts.html').render()}</head>"
        f'<body><main id="main"><h1>Charts</h1>{body}</main></body></html>'
    )
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await page.route(
            f"{server_url}/__charts",
            lambda route: route.fulfill(body=document, content_type="text/html; charset=utf-8"),
        )
        await page.goto(f"{server_url}/__charts")
        await expect(page.locator("figure[data-drawn]")).to_have_count(len(SAMPLE_CHARTS))
        charts = await _check_charts(page)
        assert [chart["kind"] for chart in charts] == [chart.kind for chart in SAMPLE_CHARTS]
        assert await _fits_the_screen(page)
        await page.screenshot(
            path=artifacts_dir / f"charts-sample-{screen}-{getattr(database, 'backend', 'db')}.png", full_page=True
        )
    finally:
        await context.close()
    assert errors == []


async def _seed(workspace: WorkspaceHandle, server_url: str) -> None:
    """Rows for every report, written through the app's services and API: orders over five months (one
    refunded), chats answered by an agent and rated, NPS answers and complaints."""
    now = datetime.now(UTC)
    await workspace.product("TEA-1", "Tea")
    await workspace.product("MUG-1", "Kitchen")
    buyers = [
        await workspace.contact(
            name=f"Buyer {i}", emails=[f"buyer{i}@reports.example"], country=("DE", "FR", "NL")[i % 3]
        )
        for i in range(9)
    ]
    for i, buyer in enumerate(buyers):
        for k in range(1 + i % 3):
            when = now - timedelta(days=3 + 17 * k + 5 * i)
            status = "refunded" if (i, k) == (4, 1) else "completed"
            await workspace.order(f"R-{i}-{k}", buyer, "TEA-1", *(["MUG-1"] if k else []),
                                  ordered_at=when.isoformat(), status=status)  # fmt: skip

    factory = create_session_factory(workspace.engine)
    for i in range(6):
        conversation_id = await workspace.conversation(f"Where is order R-{i}-0?")
        async with factory() as session:
            conversation = await session.get(Conversation, conversation_id)
            agent = await session.scalar(select(Agent).where(Agent.workspace_id == workspace.id))
            assert conversation is not None and agent is not None
            await do_post_message(
                session=session, conversation=conversation, author_type=AuthorType.agent, client_id=f"reply-{i}",
                body="On its way.", outbox=Outbox(), agent=agent,
            )  # fmt: skip
            if i % 3 != 2:  # resolved and rated; the others stay open
                await do_change_conversation(
                    session=session, conversation=conversation, outbox=Outbox(), changes={"status": "resolved"},
                    actor_name=agent.display_name,
                )  # fmt: skip
                await do_rate(
                    session=session, conversation=conversation, data=RatingCreate(rating=5 - i % 3), outbox=Outbox()
                )
            await session.commit()

    async with httpx.AsyncClient(base_url=server_url, headers=workspace.headers, timeout=30) as api:
        survey = (await api.post("/api/v1/surveys", json={"name": "NPS", "segment": "external"})).json()
        assert (await api.post(f"/api/v1/surveys/{survey['id']}/send")).status_code < 300
        links = list(csv.DictReader(io.StringIO((await api.get(f"/api/v1/surveys/{survey['id']}/links")).text)))
        assert links, "the survey reached nobody"
        for link, score in zip(links, [10, 9, 7, 3, 10, 6, 8, 9, 0], strict=False):
            answered = await api.post(urlsplit(link["link"]).path, data={"score": str(score), "comment": ""})
            assert answered.status_code == 200, answered.text[:300]
        for buyer, summary in zip(buyers[:3], ["Broken mug", "Late delivery", "Wrong tea"], strict=True):
            raised = await api.post("/api/v1/complaints", json={"contact_id": buyer, "summary": summary})
            assert raised.status_code == 201, raised.text


async def _sign_in(page: Page, server_url: str, email: str) -> None:
    await page.goto(f"{server_url}/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Password").fill(PASSWORD)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


@pytest.mark.parametrize("screen", list(VIEWPORTS))
async def test_dashboard_and_reports_draw_their_charts(
    browser: Browser, server_url: str, engine: AsyncEngine, artifacts_dir: Path, screen: str, database: object
) -> None:
    backend = getattr(database, "backend", "db")
    workspace = await make_workspace(engine, "Charts Shop")
    await _seed(workspace, server_url)
    context = await browser.new_context(viewport=VIEWPORTS[screen])  # type: ignore[arg-type]
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        await _sign_in(page, server_url, workspace.admin_email)  # signing in lands on the dashboard
        assert await page.locator(".tile").count() > 0, "the dashboard shows no tiles"
        await _check_sparklines(page)
        assert await _fits_the_screen(page)
        await page.screenshot(path=artifacts_dir / f"reports-dashboard-{screen}-{backend}.png", full_page=True)

        for key in ("support", "customers", "feedback"):
            await page.goto(f"{server_url}/reports/{key}")
            await expect(page.get_by_role("heading", level=1)).to_contain_text(key.title())
            charts = await _check_charts(page)
            assert charts, f"the {key} report shows no charts"
            assert any(
                any(value not in (None, 0) for series in chart["drawn"] for value in series) for chart in charts
            ), f"every chart of the {key} report is empty, though the workspace has rows for it"
            assert await _fits_the_screen(page)  # wide heatmaps and tables scroll inside their own boxes
            await page.screenshot(path=artifacts_dir / f"reports-{key}-{screen}-{backend}.png", full_page=True)
    finally:
        await context.close()
    assert errors == []


async def test_the_segment_control_sends_one_segment_and_a_bad_rule_is_shown_by_the_form(
    browser: Browser, server_url: str, workspace: WorkspaceHandle
) -> None:
    context = await browser.new_context(viewport=VIEWPORTS["phone"])  # type: ignore[arg-type]
    page = await context.new_page()
    try:
        await _sign_in(page, server_url, workspace.admin_email)
        await page.goto(f"{server_url}/reports/support")
        rule = page.get_by_role("textbox", name="Rule")
        await expect(rule).to_be_hidden()  # shown only when "A rule…" is chosen
        await page.get_by_label("Segment").select_option(label="A rule…")
        await expect(rule).to_be_focused()
        await rule.fill('country = "DE"')
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator(".report-scope")).to_contain_text('segment country = "DE"')
        assert parse_qs(urlsplit(page.url).query)["segment"] == ['country = "DE"']
        await expect(rule).to_have_value('country = "DE"')

        await page.get_by_label("Segment").select_option(label="B2B")
        await expect(rule).to_be_hidden()
        await page.get_by_role("button", name="Show").click()
        await expect(page.locator(".report-scope")).to_contain_text("segment B2B")
        assert parse_qs(urlsplit(page.url).query)["segment"] == ["b2b"]
        csv_link = await page.get_by_role("link", name="Download CSV").get_attribute("href")
        assert csv_link is not None and parse_qs(urlsplit(csv_link).query)["segment"] == ["b2b"]

        await page.get_by_label("Segment").select_option(label="A rule…")
        await rule.fill("country = = DE")
        await page.get_by_role("button", name="Show").click()
        await expect(page.get_by_role("alert")).to_contain_text("Segment:")
        await expect(rule).to_have_attribute("aria-invalid", "true")
        await expect(rule).to_be_visible()
        assert await _fits_the_screen(page)
    finally:
        await context.close()
