"""``GET /api/v1/reports/support`` and its CSV: who may read them, bad controls, workspace isolation.

The numbers themselves are checked against the oracle in test_support_report.py.
"""

from __future__ import annotations

import csv
import io

import httpx
from sqlalchemy import select, update

from frontdesk.conversations.models import Conversation, Team
from frontdesk.csvsafe import FORMULA_STARTS
from frontdesk.db import create_session_factory
from frontdesk.workspaces.models import Agent, Role
from tests.factories import WorkspaceHandle

URL = "/api/v1/reports/support"


async def test_an_agent_key_reads_the_report_and_its_csv(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await workspace.conversation("Where is my order?")
    agent = await workspace.key_with_role(Role.agent)
    query = {"granularity": "week", "tz": "Europe/Berlin"}
    response = await client.get(URL, params=query, headers=agent)
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["time_zone"] == "Europe/Berlin" and report["granularity"] == "week"
    assert len(report["buckets"]) == len(report["labels"]) and report["period"]["conversations"] == 1
    assert sum(map(sum, report["heatmap"]["counts"])) == 1
    assert report["by_team"][-1]["name"] == "No team" or report["by_team"][-1]["id"] is not None
    csv = await client.get(f"{URL}.csv", params=query, headers=agent)
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    lines = csv.text.splitlines()
    assert lines[0] == "chart,series,label,value,unit"
    assert any(line.startswith("conversations,Conversations,") and line.endswith(",1,") for line in lines)


async def test_a_viewer_key_may_not_read_the_support_report(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    viewer = await workspace.key_with_role(Role.viewer)
    assert (await client.get(URL, headers=viewer)).status_code == 403
    assert (await client.get(f"{URL}.csv", headers=viewer)).status_code == 403


async def test_bad_controls_are_422_naming_the_field(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    agent = await workspace.key_with_role(Role.agent)
    cases = [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "to"),
        ({"granularity": "fortnight"}, "granularity"),
        ({"segment": "no-such-segment"}, "segment"),
        ({"segment": "country = "}, "segment"),
    ]
    for path in (URL, f"{URL}.csv"):
        for query, field in cases:
            response = await client.get(path, params=query, headers=agent)
            assert response.status_code == 422, (path, query, response.text)
            assert [error["field"] for error in response.json()["errors"]] == [field], (path, query)


async def test_another_workspaces_conversations_are_never_counted(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    await other_workspace.conversation("Hello from the rival")
    await other_workspace.conversation("And again")
    await workspace.conversation("Hello")
    ours = (await client.get(URL, headers=workspace.headers)).json()
    theirs = (await client.get(URL, headers=other_workspace.headers)).json()
    assert ours["period"]["conversations"] == 1 and theirs["period"]["conversations"] == 2
    assert sum(map(sum, ours["heatmap"]["counts"])) == 1


async def test_team_and_agent_names_cannot_run_as_formulas_in_the_csv(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    conversation_id = await workspace.conversation("Hello")
    async with create_session_factory(workspace.engine)() as session:
        agent_id = await session.scalar(select(Agent.id).where(Agent.workspace_id == workspace.id))
        await session.execute(update(Team).where(Team.workspace_id == workspace.id).values(name="=1+2"))
        await session.execute(update(Agent).where(Agent.id == agent_id).values(display_name="@SUM(1+1)"))
        await session.execute(
            update(Conversation).where(Conversation.id == conversation_id).values(assignee_id=agent_id, csat_rating=5)
        )
        await session.commit()
    response = await client.get(f"{URL}.csv", headers=workspace.headers)
    assert response.status_code == 200
    cells = {cell for row in csv.reader(io.StringIO(response.text, newline="")) for cell in row}
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells)
    assert {"'=1+2", "'@SUM(1+1)"} <= cells
