"""Teams, agent presence and automatic assignment (round-robin among online agents with room)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import AgentPresence, Conversation, ConversationStatus, Presence, Team, TeamMember
from frontdesk.db import insert_missing, utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.workspaces.models import Agent

# Consoles send a heartbeat every 20 s; an agent whose consoles all went quiet is offline after this.
PRESENCE_TTL = timedelta(seconds=45)
# Every workspace has these teams. Success (customer success: owners of customers, their tasks) is a choice an
# admin makes per agent, so only sales and support take in agents who are in no team yet.
DEFAULT_TEAMS = {"sales": "Sales", "support": "Support", "success": "Success"}
JOINED_BY_DEFAULT = ("sales", "support")


async def ensure_default_teams(*, session: AsyncSession, workspace_id: int) -> dict[str, Team]:
    """Sales, Support and Success exist in every workspace; agents who are in no team yet join sales and support.

    Safe to run concurrently (several consoles connecting at once): existing rows are skipped, not duplicated.
    """
    await insert_missing(
        session, Team, [{"workspace_id": workspace_id, "key": key, "name": name} for key, name in DEFAULT_TEAMS.items()]
    )
    teams = await list_teams(session=session, workspace_id=workspace_id)
    unteamed = await session.scalars(
        select(Agent.id).where(
            Agent.workspace_id == workspace_id,
            ~select(TeamMember.agent_id).where(TeamMember.agent_id == Agent.id).exists(),
        )
    )
    await insert_missing(
        session,
        TeamMember,
        [{"team_id": teams[key].id, "agent_id": agent_id} for agent_id in unteamed.all() for key in JOINED_BY_DEFAULT],
    )
    return teams


async def team_member_ids(*, session: AsyncSession, workspace_id: int, key: str) -> list[int]:
    """The ids of the agents in the workspace's team ``key`` (none when the team does not exist yet)."""
    rows = await session.scalars(
        select(TeamMember.agent_id)
        .join(Team, Team.id == TeamMember.team_id)
        .where(Team.workspace_id == workspace_id, Team.key == key)
        .order_by(TeamMember.agent_id)
    )
    return list(rows.all())


async def members_by_team(*, session: AsyncSession, workspace_id: int) -> dict[str, list[int]]:
    """Every team of the workspace (the default ones made if missing) with its members' agent ids."""
    teams = await ensure_default_teams(session=session, workspace_id=workspace_id)
    rows = await session.execute(
        select(Team.key, TeamMember.agent_id)
        .join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.workspace_id == workspace_id)
        .order_by(TeamMember.agent_id)
    )
    members: dict[str, list[int]] = {key: [] for key in teams}
    for key, agent_id in rows.all():
        members[key].append(agent_id)
    return members


async def _team_and_agent(*, session: AsyncSession, workspace_id: int, key: str, agent_id: int) -> tuple[Team, Agent]:
    agent = await session.scalar(select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id))
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    # An agent in no team yet joins sales and support first, as on their first console: joining success
    # adds a team, it does not take the default ones away.
    teams = await ensure_default_teams(session=session, workspace_id=workspace_id)
    team = teams.get(key.strip().lower())
    if team is None:
        raise NotFound(f"no team {key!r}; teams are {', '.join(sorted(teams))}")
    return team, agent


async def do_add_team_member(*, session: AsyncSession, workspace_id: int, key: str, agent_id: int) -> Team:
    """Put an active agent of the workspace in its team ``key``; already a member is fine (idempotent)."""
    team, agent = await _team_and_agent(session=session, workspace_id=workspace_id, key=key, agent_id=agent_id)
    if not agent.is_active:
        raise InvalidInput(f"agent {agent_id} is deactivated", field="agent_id")
    await insert_missing(session, TeamMember, [{"team_id": team.id, "agent_id": agent.id}])
    return team


async def do_remove_team_member(*, session: AsyncSession, workspace_id: int, key: str, agent_id: int) -> Team:
    """Take an agent of the workspace out of its team ``key``; not a member is fine (idempotent)."""
    team, agent = await _team_and_agent(session=session, workspace_id=workspace_id, key=key, agent_id=agent_id)
    member = await session.get(TeamMember, (team.id, agent.id))
    if member is not None:
        await session.delete(member)
        await session.flush()
    return team


async def list_teams(*, session: AsyncSession, workspace_id: int) -> dict[str, Team]:
    """The workspace's teams by key, read only (a workspace that never chatted may have none yet)."""
    teams = await session.scalars(select(Team).where(Team.workspace_id == workspace_id).order_by(Team.id))
    return {team.key: team for team in teams.all()}


async def get_team(*, session: AsyncSession, workspace_id: int, key: str | None) -> Team:
    chosen = (key or "support").strip().lower()
    # One indexed read on the hot path (every new chat); the defaults are made only when the team is missing.
    team = await session.scalar(select(Team).where(Team.workspace_id == workspace_id, Team.key == chosen))
    if team is not None:
        return team
    teams = await ensure_default_teams(session=session, workspace_id=workspace_id)
    if chosen not in teams:
        raise InvalidInput(f"unknown team {key!r}; choose one of {', '.join(sorted(teams))}", field="team")
    return teams[chosen]


async def do_set_presence(*, session: AsyncSession, agent: Agent, status: Presence) -> None:
    presence = await session.get(AgentPresence, agent.id)
    if presence is None:  # the agent's first console: agents who are in no team yet join the default ones
        await ensure_default_teams(session=session, workspace_id=agent.workspace_id)
        presence = AgentPresence(agent_id=agent.id, workspace_id=agent.workspace_id)
        session.add(presence)
    presence.status = status.value
    presence.last_seen_at = utcnow()
    await session.flush()


async def online_agent_ids(*, session: AsyncSession, workspace_id: int, team_id: int | None = None) -> list[int]:
    statement = select(AgentPresence.agent_id).where(
        AgentPresence.workspace_id == workspace_id,
        AgentPresence.status == Presence.online.value,
        AgentPresence.last_seen_at > utcnow() - PRESENCE_TTL,
    )
    if team_id is not None:
        statement = statement.join(TeamMember, TeamMember.agent_id == AgentPresence.agent_id).where(
            TeamMember.team_id == team_id
        )
    return sorted((await session.scalars(statement)).all())


async def presence_by_agent(*, session: AsyncSession, workspace_id: int) -> dict[int, str]:
    rows = await session.execute(
        select(AgentPresence.agent_id, AgentPresence.status, AgentPresence.last_seen_at).where(
            AgentPresence.workspace_id == workspace_id
        )
    )
    cutoff = utcnow() - PRESENCE_TTL
    return {
        agent_id: status if last_seen > cutoff else Presence.offline.value for agent_id, status, last_seen in rows.all()
    }


async def pick_assignee(*, session: AsyncSession, team: Team, online: list[int]) -> int | None:
    """The next of the team's ``online`` agents, in turn, with fewer open conversations than the team's limit."""
    if not online:
        return None
    loads = dict(
        (
            await session.execute(
                select(Conversation.assignee_id, func.count())
                .where(
                    Conversation.workspace_id == team.workspace_id,
                    Conversation.assignee_id.in_(online),
                    Conversation.status == ConversationStatus.open.value,
                )
                .group_by(Conversation.assignee_id)
            )
        ).all()
    )
    with_room = [agent_id for agent_id in online if loads.get(agent_id, 0) < team.max_open_per_agent]
    if not with_room:
        return None
    after_cursor = [agent_id for agent_id in with_room if agent_id > team.round_robin_cursor]
    chosen = (after_cursor or with_room)[0]
    team.round_robin_cursor = chosen
    return chosen
