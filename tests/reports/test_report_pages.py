"""The console's dashboard and report pages: who sees what, the one set of controls, and the CSV download."""

from __future__ import annotations

import html
import json
import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from frontdesk.reports import catalogue, dashboard
from frontdesk.reports.charts import Chart, Series
from frontdesk.reports.dashboard import Dashboard, Tile
from frontdesk.workspaces.models import Role
from tests.factories import PASSWORD, WorkspaceHandle
from tests.workspaces.test_console_auth import login, login_form_token

REPORT_KEYS = ["support", "customers", "feedback"]


def _chart_specs(page: str) -> list[dict[str, Any]]:
    blocks = re.findall(r'<script type="application/json" data-chart-spec>(.*?)</script>', page, re.S)
    return [json.loads(block) for block in blocks]


@pytest.fixture
def sample_charts(monkeypatch: pytest.MonkeyPatch) -> list[Chart]:
    """The support report drawing two known charts (the report bodies are written elsewhere)."""
    charts = [
        Chart("first-response", "First-response time", "line", ["2026-01", "2026-02", "2026-03"],
              [Series("Median", [4.5, None, 12]), Series("90th percentile", [30.25, None, 41])], unit="min"),
        Chart("chats-by-hour", "Incoming chats by weekday and hour", "heatmap", ["00", "01"],
              [Series("Mon", [3, 0]), Series("Tue", [1200, 7])], extra_rows=[Series("All days", [1203, 7])]),
    ]  # fmt: skip
    definition = replace(catalogue.REPORTS_BY_KEY["support"], charts=lambda report: charts)
    monkeypatch.setitem(catalogue.REPORTS_BY_KEY, "support", definition)
    return charts


async def test_admin_sees_the_dashboard_and_every_report_with_its_controls(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    home = await client.get("/")
    assert home.status_code == 200
    assert "<h1>Dashboard</h1>" in home.text
    assert '<a class="brand" href="/">' in home.text and 'href="/reports/support"' in home.text
    for key in REPORT_KEYS:
        page = await client.get(f"/reports/{key}", params={"from": "2026-01-01", "to": "2026-03-31"})
        assert page.status_code == 200, key
        for control in ('name="from" value="2026-01-01"', 'name="to" value="2026-03-31"', 'name="granularity"',
                        'name="tz" value="UTC"', 'list="time-zones"', 'name="segment"'):  # fmt: skip
            assert control in page.text, (key, control)
        csv_link = html.unescape(re.search(r'href="(/reports/[^"]+\.csv[^"]*)"', page.text).group(1))  # type: ignore[union-attr]
        assert csv_link == f"/reports/{key}.csv?from=2026-01-01&to=2026-03-31&granularity=month&tz=UTC"
        for other in REPORT_KEYS:  # the other reports keep the same controls
            assert f'href="/reports/{other}?from=2026-01-01&amp;to=2026-03-31' in page.text


async def test_signing_in_lands_on_the_dashboard(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    data = {"email": workspace.admin_email, "password": PASSWORD, "csrf_token": await login_form_token(client)}
    response = await client.post("/login", data=data)
    assert response.headers["location"] == "/"


async def test_agent_sees_support_but_gets_403_on_customers_and_feedback(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, await workspace.add_agent(Role.agent))
    assert (await client.get("/")).status_code == 200
    support = await client.get("/reports/support")
    assert support.status_code == 200
    assert 'href="/reports/customers' not in support.text and 'href="/reports/feedback' not in support.text
    assert (await client.get("/reports/support.csv")).status_code == 200
    for key in ("customers", "feedback"):
        assert (await client.get(f"/reports/{key}")).status_code == 403
        assert (await client.get(f"/reports/{key}.csv")).status_code == 403


async def test_viewer_lands_on_contacts_and_has_no_reports_link(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, await workspace.add_agent(Role.viewer))
    landing = await client.get("/")
    assert landing.status_code == 303 and landing.headers["location"] == "/contacts"
    home = await client.get("/contacts")
    assert 'href="/reports/' not in home.text
    assert (await client.get("/reports/support")).status_code == 403


async def test_csv_download_has_the_numbers_of_the_page(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, sample_charts: list[Chart]
) -> None:
    await login(client, workspace.admin_email)
    response = await client.get("/reports/support.csv", params={"from": "2026-01-01", "to": "2026-03-31"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert 'filename="support-2026-01-01-2026-03-31.csv"' in response.headers["content-disposition"]
    lines = response.text.splitlines()
    assert lines[0] == "chart,series,label,value,unit"
    assert "first-response,Median,2026-01,4.5,min" in lines and "first-response,Median,2026-02,,min" in lines
    assert "chats-by-hour,All days,00,1203," in lines


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"tz": "Mars/Base"}, "tz", "unknown time zone"),
        ({"from": "2026-03-01", "to": "2026-02-01"}, "to", "ends before it begins"),
        ({"from": "yesterday"}, "from", "is not a date"),
        ({"granularity": "fortnight"}, "granularity", "choose day, week or month"),
        ({"segment": 'country = = "DE"'}, "segment", "read as a rule"),
    ],
)
async def test_a_bad_control_shows_its_message_next_to_the_form_with_422(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, params: dict[str, str], field: str, message: str
) -> None:
    await login(client, workspace.admin_email)
    response = await client.get("/reports/support", params=params)
    assert response.status_code == 422
    assert "data-report-controls" in response.text  # the report page with its form, not the error page
    error = re.search(r'<p class="error report-error" id="controls-error" role="alert">(.*?)</p>', response.text, re.S)
    assert error and message in html.unescape(error.group(1))
    marked = re.findall(r'<(?:input|select)[^>]*name="(\w+)"[^>]*aria-invalid="true"', response.text)
    assert marked == [field]
    for name, value in params.items():  # what was typed is kept, to correct it (a list offers only its choices)
        assert name == "granularity" or f'value="{value}"' in html.unescape(response.text), name


async def test_a_typed_rule_wins_over_the_list_and_the_links_carry_one_segment(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await login(client, workspace.admin_email)
    rule = 'country = "DE"'
    page = await client.get("/reports/support", params=[("segment", "b2b"), ("segment", rule)])
    assert page.status_code == 200
    assert "segment <strong>country = &#34;DE&#34;</strong>" in page.text
    assert re.search(r'<option value="" data-rule\s+selected>', page.text)
    csv_link = html.unescape(re.search(r'href="(/reports/support\.csv[^"]*)"', page.text).group(1))  # type: ignore[union-attr]
    assert csv_link.endswith("&segment=country+%3D+%22DE%22")
    builtin = await client.get("/reports/support", params=[("segment", "b2b"), ("segment", "")])
    assert re.search(r'<option value="b2b"\s+selected>B2B</option>', builtin.text)
    assert "segment <strong>B2B</strong>" in builtin.text


async def test_a_chart_is_drawn_from_the_numbers_its_table_shows(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, sample_charts: list[Chart]
) -> None:
    await login(client, workspace.admin_email)
    page = await client.get("/reports/support", params={"from": "2026-01-01", "to": "2026-03-31"})
    specs = _chart_specs(page.text)
    assert [spec["kind"] for spec in specs] == ["line", "heatmap"]
    assert specs[0]["series"] == [
        {"name": "Median", "values": [4.5, None, 12]},
        {"name": "90th percentile", "values": [30.25, None, 41]},
    ]
    assert specs[0]["unit"] == "min" and specs[0]["labels"] == ["2026-01", "2026-02", "2026-03"]
    section = page.text.split('id="first-response"')[1].split("</section>")[0]
    assert (
        '<canvas role="img" aria-label="Line chart: First-response time (min), 1 Jan 2026 \u2013 31 Mar 2026.'
        in section
    )
    assert "<caption" in section and "First-response time: the numbers, in min" in section
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>(.*?)</tr>', section, re.S)
    cells = [(label, re.findall(r'<td class="num">([^<]*)</td>', row)) for label, row in rows]
    assert cells == [("2026-01", ["4.5", "30.25"]), ("2026-02", ["—", "—"]), ("2026-03", ["12", "41"])]
    heatmap = page.text.split('id="chats-by-hour"')[1].split("</section>")[0]
    assert 'role="region" aria-label="Incoming chats by weekday and hour, scrolls sideways"' in heatmap
    assert re.search(r'<th scope="row">Tue</th><td class="num">1,200</td><td class="num">7</td>', heatmap)
    assert re.search(r'<tr class="extra"><th scope="row">All days</th><td class="num">1,203</td>', heatmap)


async def test_dashboard_tiles_say_the_change_in_words_and_show_a_dash_for_no_figure(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    days = ["2026-11-28", "2026-11-29", "2026-11-30"]
    tiles = [
        {"key": "first-response", "title": "Median first response", "unit": "min", "value": 4.5, "previous": 6.25,
         "change": -28.0, "change_kind": "percent", "sparkline": [6.0, None, 4.5], "period_days": 30,
         "report": "/reports/support#first-response"},
        {"key": "nps", "title": "NPS (90 days)", "unit": "", "value": None, "previous": None, "change": None,
         "change_kind": "points", "sparkline": [None, None, None], "period_days": 90,
         "report": "/reports/feedback#nps"},
    ]  # fmt: skip
    found = Dashboard.model_validate(
        {"as_of": datetime(2026, 11, 30, tzinfo=UTC), "time_zone": "Europe/Berlin", "first_day": "2026-11-01",
         "last_day": "2026-11-30", "days": days, "tiles": tiles}
    )  # fmt: skip

    async def two_tiles(**_: Any) -> Dashboard:
        return found

    monkeypatch.setattr(dashboard, "dashboard", two_tiles)
    await login(client, workspace.admin_email)
    page = (await client.get("/")).text
    frt = page.split('id="tile-first-response"')[1].split("</li>")[0]
    assert '<p class="tile-value">4.5 <span class="tile-unit">min</span></p>' in frt
    words = " ".join(re.sub(r"<[^>]+>", " ", frt.split('class="tile-change">')[1].split("</p>")[0]).split())
    assert words.startswith("▼ Down") and words.endswith("from 6.25 min in the previous 30 days")
    if "change_kind" in Tile.model_fields:  # the dashboard says what kind of change it computed
        assert words == "▼ Down 28 % from 6.25 min in the previous 30 days"
    assert "data-sparkline='[6.0, null, 4.5]'" in frt
    assert 'aria-label="Trend of Median first response: from 6 min to 4.5 min, lowest 4.5 min, highest 6 min"' in frt
    assert 'href="/reports/support#first-response"' in frt
    nps = page.split('id="tile-nps"')[1].split("</li>")[0]
    assert '<p class="tile-value">—</p>' in nps and "No comparison: no figure in the previous" in nps
    if "period_days" in Tile.model_fields:
        assert "in the previous 90 days" in nps
    if "days" in Dashboard.model_fields:  # the trend's numbers, day by day
        assert '<tr><th scope="row">2026-11-29</th><td class="num">—</td></tr>' in frt
