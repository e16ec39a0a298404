"""A workspace never loses its last active admin, even when demotions race in two processes."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.db import create_session_factory
from frontdesk.errors import Conflict
from frontdesk.workspaces import service
from frontdesk.workspaces.models import Agent, Role
from frontdesk.workspaces.schemas import AgentUpdate
from tests.factories import WorkspaceHandle

DEMOTE = AgentUpdate(role=Role.agent)
DEACTIVATE = AgentUpdate(is_active=False)


async def _change(
    factory: async_sessionmaker[AsyncSession], workspace_id: int, agent_id: int, data: AgentUpdate
) -> bool:
    async with factory() as session:
        try:
            await service.do_update_agent(session=session, workspace_id=workspace_id, agent_id=agent_id, data=data)
        except Conflict:
            await session.rollback()
            return False
        await session.commit()
        return True


async def _active_admins(factory: async_sessionmaker[AsyncSession], workspace_id: int) -> int:
    async with factory() as session:
        count = await session.scalar(
            select(func.count(Agent.id)).where(
                Agent.workspace_id == workspace_id, Agent.role == Role.admin.value, Agent.is_active.is_(True)
            )
        )
        return int(count or 0)


async def _agent_id(factory: async_sessionmaker[AsyncSession], workspace_id: int, email: str) -> int:
    async with factory() as session:
        agent_id = await session.scalar(
            select(Agent.id).where(Agent.workspace_id == workspace_id, Agent.email == email)
        )
        assert agent_id is not None
        return agent_id


@pytest.mark.parametrize(("first", "second"), [(DEMOTE, DEMOTE), (DEACTIVATE, DEMOTE), (DEACTIVATE, DEACTIVATE)])
async def test_two_racing_demotions_of_the_last_two_admins_leave_one(
    two_processes: list[async_sessionmaker[AsyncSession]],
    workspace: WorkspaceHandle,
    first: AgentUpdate,
    second: AgentUpdate,
) -> None:
    factory = two_processes[0]
    admins = [
        await _agent_id(factory, workspace.id, workspace.admin_email),
        await _agent_id(factory, workspace.id, await workspace.add_agent(Role.admin)),
    ]
    for _ in range(5):  # several rounds: each is a fresh race
        results = await asyncio.gather(
            _change(two_processes[0], workspace.id, admins[0], first),
            _change(two_processes[1], workspace.id, admins[1], second),
        )
        assert sorted(results) == [False, True]
        assert await _active_admins(factory, workspace.id) == 1
        for agent_id in admins:  # both admins again for the next round
            assert await _change(factory, workspace.id, agent_id, AgentUpdate(role=Role.admin, is_active=True))


async def test_the_last_admin_cannot_demote_or_deactivate_themselves(
    session: AsyncSession, workspace: WorkspaceHandle
) -> None:
    factory = create_session_factory(session.bind)  # type: ignore[arg-type]
    admin_id = await _agent_id(factory, workspace.id, workspace.admin_email)
    for change in (DEMOTE, DEACTIVATE):
        with pytest.raises(Conflict):
            await service.do_update_agent(session=session, workspace_id=workspace.id, agent_id=admin_id, data=change)
        await session.rollback()
    assert await _active_admins(factory, workspace.id) == 1
