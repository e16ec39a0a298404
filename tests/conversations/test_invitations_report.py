"""The proactive chat report against a hand count: shown, answered, orders that followed within 7 days."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from frontdesk.conversations.models import Invitation, InvitationRule
from frontdesk.conversations.visitors import do_start_visitor, get_chat_settings
from frontdesk.db import create_session_factory
from tests.factories import WorkspaceHandle
from tests.workspaces.test_console_auth import login


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def _world(workspace: WorkspaceHandle) -> dict[str, int]:
    """Two rules, four visitors (one identified only after the invitation), invitations in and out of March."""
    ids: dict[str, int] = {}
    for name in ("c1", "c2", "c3"):
        ids[name] = await workspace.contact(name=name.upper())
    async with create_session_factory(workspace.engine)() as session:
        settings = await get_chat_settings(session=session, workspace_id=workspace.id)
        rules = {}
        for name in ("A", "B"):
            rule = InvitationRule(workspace_id=workspace.id, name=f"Rule {name}", message="Hi")
            session.add(rule)
            rules[name] = rule
        visitors = {}
        for name, contact in (("v1", "c1"), ("v2", "c2"), ("v3", "c3"), ("v4", None)):
            started = await do_start_visitor(session=session, settings=settings, visitor_token=None)
            started.visitor.contact_id = ids[contact] if contact else None
            visitors[name] = started.visitor
        await session.flush()
        for rule, visitor, contact, shown, answered in (
            ("A", "v1", "c1", "2026-03-01 10:00", "2026-03-01 10:02"),
            ("B", "v1", "c1", "2026-03-03 10:00", None),
            ("A", "v2", "c2", "2026-03-05 10:00", "2026-03-05 10:01"),
            # Anonymous when shown; the visitor's contact (known later) is whose orders follow.
            ("A", "v3", None, "2026-03-10 10:00", None),
            ("A", "v4", None, "2026-02-01 10:00", "2026-02-01 10:00"),  # before the period
        ):
            session.add(
                Invitation(
                    workspace_id=workspace.id,
                    rule_id=rules[rule].id,
                    visitor_id=visitors[visitor].id,
                    contact_id=ids[contact] if contact else None,
                    shown_at=_at(shown),
                    answered_at=_at(answered) if answered else None,
                )
            )
        await session.commit()
        ids.update({f"rule_{name}": rule.id for name, rule in rules.items()})
    await workspace.product("TEA")
    for number, (contact, ordered_at, status) in enumerate(
        (
            ("c1", "2026-03-02T12:00:00Z", "completed"),  # follows A (1 day), before B was shown
            ("c1", "2026-03-08T09:00:00Z", "completed"),  # follows A (6d 23h) and B (5 days)
            ("c1", "2026-02-28T12:00:00Z", "completed"),  # before any invitation
            ("c2", "2026-03-12T10:00:01Z", "completed"),  # one second too late
            ("c2", "2026-03-06T10:00:00Z", "cancelled"),  # cancelled orders do not count
            ("c2", "2026-03-06T11:00:00Z", "refunded"),  # bought, then refunded: it followed
            ("c3", "2026-03-11T10:00:00Z", "completed"),  # follows A, through the visitor's contact
        )
    ):
        await workspace.order(f"O-{number}", ids[contact], "TEA", ordered_at=ordered_at, status=status)
    return ids


async def test_the_report_matches_a_hand_count(
    client: httpx.AsyncClient, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    ids = await _world(workspace)
    await _world(other_workspace)  # another workspace's invitations and orders never count here
    response = await client.get(
        "/api/v1/reports/invitations",
        params={"from": "2026-03-01", "to": "2026-03-31", "tz": "UTC"},
        headers=workspace.headers,
    )
    assert response.status_code == 200, response.text
    report = response.json()
    rules = {row["rule_id"]: row for row in report["rules"]}
    a, b = rules[ids["rule_A"]], rules[ids["rule_B"]]
    assert (a["name"], a["shown"], a["answered"], a["orders_following"]) == ("Rule A", 3, 2, 4)
    assert (b["shown"], b["answered"], b["orders_following"], b["answer_rate"]) == (1, 0, 1, 0.0)
    assert a["answer_rate"] == round(2 / 3, 4)
    # The order that followed both rules counts once in the total.
    assert (report["shown"], report["answered"], report["orders_following"]) == (4, 2, 4)
    assert [row["rule_id"] for row in report["rules"]] == [ids["rule_A"], ids["rule_B"]]


async def test_an_empty_period_reports_zeros(client: httpx.AsyncClient, workspace: WorkspaceHandle) -> None:
    await _world(workspace)
    params = {"from": "2025-01-01", "to": "2025-01-31"}
    report = (await client.get("/api/v1/reports/invitations", params=params, headers=workspace.headers)).json()
    assert (report["rules"], report["shown"], report["orders_following"], report["answer_rate"]) == ([], 0, 0, None)
    bad = await client.get(
        "/api/v1/reports/invitations", params={"from": "2026-03-02", "to": "2026-03-01"}, headers=workspace.headers
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "to"


async def test_the_report_page_shows_the_figures_per_rule(
    client: httpx.AsyncClient, workspace: WorkspaceHandle
) -> None:
    await _world(workspace)
    await login(client, workspace.admin_email)
    page = await client.get("/reports/invitations", params={"start": "2026-03-01", "end": "2026-03-31"})
    assert page.status_code == 200
    assert "Rule A" in page.text and "Rule B" in page.text and "67 %" in page.text
    empty = await client.get("/reports/invitations", params={"start": "2025-01-01", "end": "2025-01-02"})
    assert "No invitation was shown" in empty.text
