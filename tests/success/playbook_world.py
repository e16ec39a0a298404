"""Test data of the playbook and task tests: a success team, owners, tags and direct success rows."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.contacts.models import Contact, ContactTag
from frontdesk.conversations.models import Team, TeamMember
from frontdesk.db import create_session_factory, insert_missing
from frontdesk.success.models import PlaybookEpisode, SuccessTask
from frontdesk.workspaces.models import Agent, Role
from tests.factories import WorkspaceHandle


async def agent_id(workspace: WorkspaceHandle, role: Role = Role.agent) -> int:
    """A new agent of the workspace: its id."""
    email = await workspace.add_agent(role)
    async with create_session_factory(workspace.engine)() as session:
        found = await session.scalar(select(Agent.id).where(Agent.email == email))
        assert found is not None
        return found


async def admin_id(workspace: WorkspaceHandle) -> int:
    async with create_session_factory(workspace.engine)() as session:
        found = await session.scalar(select(Agent.id).where(Agent.email == workspace.admin_email))
        assert found is not None
        return found


async def join_success_team(workspace: WorkspaceHandle, *agent_ids: int) -> None:
    """The success team exists (made here if the routing's defaults do not make it yet) with these members."""
    async with create_session_factory(workspace.engine)() as session:
        await insert_missing(session, Team, [{"workspace_id": workspace.id, "key": "success", "name": "Success"}])
        team_id = await session.scalar(select(Team.id).where(Team.workspace_id == workspace.id, Team.key == "success"))
        await insert_missing(session, TeamMember, [{"team_id": team_id, "agent_id": a} for a in agent_ids])
        await session.commit()


async def set_agent(workspace: WorkspaceHandle, agent: int, **values: object) -> None:
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Agent).where(Agent.id == agent).values(**values))
        await session.commit()


async def set_owner(workspace: WorkspaceHandle, contact_id: int, owner_id: int | None) -> None:
    async with create_session_factory(workspace.engine)() as session:
        await session.execute(update(Contact).where(Contact.id == contact_id).values(owner_id=owner_id))
        await session.commit()


async def tag(workspace: WorkspaceHandle, contact_id: int, name: str, present: bool = True) -> None:
    async with create_session_factory(workspace.engine)() as session:
        if present:
            await insert_missing(
                session, ContactTag, [{"contact_id": contact_id, "tag": name, "workspace_id": workspace.id}]
            )
        else:
            await session.execute(delete(ContactTag).where(ContactTag.contact_id == contact_id, ContactTag.tag == name))
        await session.commit()


async def tasks_of(engine: AsyncEngine, workspace_id: int) -> list[SuccessTask]:
    async with create_session_factory(engine)() as session:
        rows = await session.scalars(
            select(SuccessTask).where(SuccessTask.workspace_id == workspace_id).order_by(SuccessTask.id)
        )
        return list(rows.all())


async def episode_count(engine: AsyncEngine, workspace_id: int) -> int:
    async with create_session_factory(engine)() as session:
        counted = await session.scalar(
            select(func.count()).select_from(PlaybookEpisode).where(PlaybookEpisode.workspace_id == workspace_id)
        )
        return int(counted or 0)
