"""Playbooks: each customer who comes to match a playbook gets one task per episode, owned per its owner rule."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.models import Contact, ContactEvent
from frontdesk.db import create_session_factory
from frontdesk.success.models import CustomerHealth, CustomerPrediction, Playbook, SuccessSettings, TaskStatus
from frontdesk.success.playbooks import do_create_playbook, run_playbooks
from frontdesk.success.schemas import PlaybookCreate
from frontdesk.workspaces.models import Role
from tests.factories import WorkspaceHandle
from tests.success.playbook_world import (
    agent_id,
    episode_count,
    join_success_team,
    set_agent,
    set_owner,
    tag,
    tasks_of,
)

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


async def playbook(workspace: WorkspaceHandle, rule: str, **fields: Any) -> int:
    data = {"name": f"Playbook {rule}", "rule": rule, "task_title": "Call them", **fields}
    async with create_session_factory(workspace.engine)() as session:
        created = await do_create_playbook(
            session=session, workspace_id=workspace.id, data=PlaybookCreate.model_validate(data)
        )
        await session.commit()
        return created.id


async def run(workspace: WorkspaceHandle, now: datetime = NOW) -> int:
    async with create_session_factory(workspace.engine)() as session:
        created = await run_playbooks(session=session, workspace_id=workspace.id, now=now)
        await session.commit()
        return created


async def buyer(workspace: WorkspaceHandle, name: str, orders: int) -> int:
    contact = await workspace.contact(name=name)
    for n in range(orders):
        await workspace.order(f"{name}-{n}", contact, "TEA-1", ordered_at=f"2026-0{n + 1}-10T12:00:00Z")
    return contact


@pytest.fixture
async def shop(workspace: WorkspaceHandle) -> WorkspaceHandle:
    await workspace.product("TEA-1")
    return workspace


async def test_each_matching_customer_gets_exactly_one_task_across_repeated_runs(shop: WorkspaceHandle) -> None:
    regular = await buyer(shop, "Regular Rita", 3)
    twice = await buyer(shop, "Twice Tom", 2)
    await buyer(shop, "Once Olga", 1)
    await shop.contact(name="Prospect Pia")
    playbook_id = await playbook(shop, "orders >= 2", task_title="Thank and upsell", due_in_days=5)

    assert await run(shop) == 2
    assert await run(shop, NOW + timedelta(days=1)) == 0
    assert await run(shop, NOW + timedelta(days=2)) == 0

    tasks = await tasks_of(shop.engine, shop.id)
    assert sorted(t.contact_id for t in tasks) == sorted([regular, twice])
    for task in tasks:
        assert task.title == "Thank and upsell"
        assert task.playbook_id == playbook_id
        assert task.status == TaskStatus.open.value
        assert task.created_by == "playbook: Playbook orders >= 2"
        assert task.due_at == NOW + timedelta(days=5)
        assert task.owner_id is None  # no owner, no success team: unassigned
    assert await episode_count(shop.engine, shop.id) == 2
    # Each creation is on the customer's timeline.
    async with create_session_factory(shop.engine)() as session:
        kinds = (await session.scalars(select(ContactEvent.kind).where(ContactEvent.contact_id == regular))).all()
    assert list(kinds).count("task_created") == 1


async def test_a_customer_who_recovers_and_falls_again_gets_a_second_task(shop: WorkspaceHandle) -> None:
    contact = await buyer(shop, "Wobbly Walt", 1)
    await playbook(shop, 'tag = "at-risk"')
    await tag(shop, contact, "at-risk")
    assert await run(shop) == 1
    assert await run(shop) == 0  # still at risk: no second task

    await tag(shop, contact, "at-risk", present=False)
    assert await run(shop) == 0
    assert await episode_count(shop.engine, shop.id) == 0  # the episode ended
    (first,) = await tasks_of(shop.engine, shop.id)
    assert first.status == TaskStatus.open.value  # the task stays as it was

    await tag(shop, contact, "at-risk")
    assert await run(shop) == 1
    assert await run(shop) == 0
    tasks = await tasks_of(shop.engine, shop.id)
    assert [t.contact_id for t in tasks] == [contact, contact]
    assert await episode_count(shop.engine, shop.id) == 1


async def test_inactive_playbooks_do_not_run_and_several_playbooks_each_give_their_task(
    shop: WorkspaceHandle,
) -> None:
    contact = await buyer(shop, "Multi Mia", 2)
    await playbook(shop, "orders >= 2", task_title="A")
    await playbook(shop, "orders >= 1", task_title="B")
    await playbook(shop, "orders >= 0", task_title="C", is_active=False)
    assert await run(shop) == 2
    assert sorted(t.title for t in await tasks_of(shop.engine, shop.id)) == ["A", "B"]
    assert {t.contact_id for t in await tasks_of(shop.engine, shop.id)} == {contact}


async def test_customer_owner_rule_gives_the_task_to_the_customers_active_owner(shop: WorkspaceHandle) -> None:
    owner = await agent_id(shop)
    member = await agent_id(shop)
    await join_success_team(shop, member)
    owned = await buyer(shop, "Owned Otto", 2)
    orphan = await buyer(shop, "Orphan Ola", 2)
    await set_owner(shop, owned, owner)
    await playbook(shop, "orders >= 2")
    assert await run(shop) == 2
    owners = {t.contact_id: t.owner_id for t in await tasks_of(shop.engine, shop.id)}
    assert owners == {owned: owner, orphan: member}  # no owner: round-robin in the success team


async def test_an_inactive_owner_is_passed_over_for_the_success_team(shop: WorkspaceHandle) -> None:
    gone = await agent_id(shop)
    member = await agent_id(shop)
    await join_success_team(shop, member)
    contact = await buyer(shop, "Left Behind", 2)
    await set_owner(shop, contact, gone)
    await set_agent(shop, gone, is_active=False)
    await playbook(shop, "orders >= 2")
    assert await run(shop) == 1
    (task,) = await tasks_of(shop.engine, shop.id)
    assert task.owner_id == member


async def test_round_robin_takes_turns_across_runs_and_skips_viewers_and_inactive_members(
    shop: WorkspaceHandle,
) -> None:
    first, second = await agent_id(shop), await agent_id(shop)
    viewer, inactive = await agent_id(shop, Role.viewer), await agent_id(shop)
    await set_agent(shop, inactive, is_active=False)
    await join_success_team(shop, first, second, viewer, inactive)
    owned = await buyer(shop, "Has Owner", 1)
    await set_owner(shop, owned, viewer)  # round_robin ignores the customer's owner anyway
    contacts = [owned] + [await buyer(shop, f"Buyer {i}", 1) for i in range(4)]
    await playbook(shop, "orders >= 1", owner_rule="round_robin")
    assert await run(shop) == 5
    owners = [t.owner_id for t in sorted(await tasks_of(shop.engine, shop.id), key=lambda t: t.contact_id)]
    assert owners == [first, second, first, second, first]
    async with create_session_factory(shop.engine)() as session:
        settings = await session.get(SuccessSettings, shop.id)
        assert settings is not None and settings.round_robin_cursor == first
    # The next task goes to whoever's turn it is now, not back to the first member.
    late = await buyer(shop, "Latecomer", 1)
    assert await run(shop) == 1
    newest = max(await tasks_of(shop.engine, shop.id), key=lambda t: t.id)
    assert (newest.contact_id, newest.owner_id) == (late, second)
    assert sorted([*contacts, late]) == sorted(t.contact_id for t in await tasks_of(shop.engine, shop.id))


async def test_without_success_team_members_tasks_are_unassigned(shop: WorkspaceHandle) -> None:
    await join_success_team(shop)  # the team exists, nobody is in it
    await buyer(shop, "Nobody's", 1)
    await playbook(shop, "orders >= 1", owner_rule="round_robin")
    assert await run(shop) == 1
    assert [t.owner_id for t in await tasks_of(shop.engine, shop.id)] == [None]


async def test_a_stored_rule_that_no_longer_parses_is_skipped_and_the_others_run(
    shop: WorkspaceHandle, caplog: pytest.LogCaptureFixture
) -> None:
    await buyer(shop, "Still Served", 2)
    async with create_session_factory(shop.engine)() as session:
        # As if a segment field the rule used had been removed since it was saved.
        session.add(Playbook(workspace_id=shop.id, name="Broken", rule="retired_field > 3", task_title="Never"))
        await session.commit()
    await playbook(shop, "orders >= 2", task_title="Works")
    with caplog.at_level(logging.WARNING, logger="frontdesk.success.playbooks"):
        assert await run(shop) == 1
    assert [t.title for t in await tasks_of(shop.engine, shop.id)] == ["Works"]
    assert "Broken" in caplog.text and "retired_field" in caplog.text


async def test_thousands_of_matches_take_a_handful_of_statements(shop: WorkspaceHandle, engine: AsyncEngine) -> None:
    async with create_session_factory(engine)() as session:
        await session.execute(
            insert(Contact), [{"workspace_id": shop.id, "name": f"Bulk {i}", "created_at": NOW} for i in range(2500)]
        )
        await session.commit()
    await playbook(shop, "days_since_created < 30")
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(str(args[2]))

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        assert await run(shop) == 2500
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    # Whatever the number of matches: a few reads, then inserts in batches (not a query per customer).
    assert len(statements) < 30, len(statements)
    assert await run(shop) == 0
    assert len(await tasks_of(shop.engine, shop.id)) == 2500


# The matching is the segments package's; these cases check playbooks read every kind of field it offers.
# After the owners and health helpers' merge, add: ("health < 40 and clv_12m > 100", {"Slipping Sam"}).
RULE_CASES = [
    ("orders >= 2", {"Slipping Sam", "Steady Stella"}),
    ('lifecycle = "new"', {"Newbie Ned"}),
    ('tag = "vip" and orders >= 1', {"Steady Stella"}),
    ("days_since_last_order > 200", {"Slipping Sam"}),
]


@pytest.mark.parametrize(("rule", "expected"), RULE_CASES, ids=[rule for rule, _ in RULE_CASES])
async def test_playbook_rules_pick_the_customers_the_segment_would(
    shop: WorkspaceHandle, rule: str, expected: set[str]
) -> None:
    sam = await shop.contact(name="Slipping Sam")
    for n, day in enumerate(("2025-01-10", "2025-03-10")):
        await shop.order(f"S-{n}", sam, "TEA-1", ordered_at=f"{day}T10:00:00Z")
    stella = await shop.contact(name="Steady Stella", tags=["vip"])
    for n, day in enumerate(("2026-10-01", "2026-11-01")):
        await shop.order(f"T-{n}", stella, "TEA-1", ordered_at=f"{day}T10:00:00Z")
    ned = await shop.contact(name="Newbie Ned")
    await shop.order("N-0", ned, "TEA-1", ordered_at="2026-11-15T10:00:00Z")
    async with create_session_factory(shop.engine)() as session:
        # What the CLV and health steps would have written: Sam is slipping and valuable, Stella is fine.
        session.add_all(
            [
                CustomerHealth(contact_id=sam, workspace_id=shop.id, score=25, reasons=["no order for long"]),
                CustomerHealth(contact_id=stella, workspace_id=shop.id, score=90, reasons=[]),
                CustomerPrediction(
                    contact_id=sam,
                    workspace_id=shop.id,
                    frequency=1,
                    recency_days=59,
                    age_days=600,
                    p_alive=0.2,
                    expected_purchases_90d=0.1,
                    expected_purchases_365d=0.4,
                    expected_order_value_minor=1500,
                    clv_12m_minor=25_000,
                ),
            ]
        )
        await session.commit()
    await playbook(shop, rule)
    await run(shop)
    async with create_session_factory(shop.engine)() as session:
        names = dict((await session.execute(select(Contact.id, Contact.name))).all())
    assert {names[t.contact_id] for t in await tasks_of(shop.engine, shop.id)} == expected
