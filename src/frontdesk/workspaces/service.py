"""Workspaces, their agents, console sessions and API keys."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk import security
from frontdesk.contacts.validation import email_key
from frontdesk.db import utcnow
from frontdesk.errors import Conflict, Forbidden, InvalidInput, NotFound
from frontdesk.workspaces import scopes
from frontdesk.workspaces.models import Agent, AgentSession, ApiKey, AuditEntry, Role, Workspace
from frontdesk.workspaces.schemas import AgentCreate, AgentUpdate, ApiKeyCreate


@dataclass(frozen=True)
class Principal:
    """Who is acting: an agent logged into the console, an API key, or the command line."""

    workspace_id: int
    role: Role
    label: str
    agent_id: int | None = None
    api_key_id: int | None = None
    # An API key's scopes (workspaces.scopes); None: every scope, as for agents and the command line.
    scopes: frozenset[str] | None = None

    def require(self, role: Role) -> None:
        if not self.role.allows(role):
            raise Forbidden(f"this needs the {role.value} role; you have {self.role.value}")

    def require_scope(self, scope: str) -> None:
        if not scopes.allows(self.scopes, scope):
            raise Forbidden(f"this API key lacks the scope {scope}")


async def get_workspace(*, session: AsyncSession, workspace_id: int) -> Workspace:
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"workspace {workspace_id} not found", field="workspace")
    return workspace


async def do_create_workspace(
    *, session: AsyncSession, name: str, admin: AgentCreate, time_zone: ZoneInfo | None = None
) -> tuple[Workspace, Agent, str]:
    """A new tenant with its first admin and an admin API key (returned in clear, once)."""
    if not name.strip():
        raise InvalidInput("a workspace needs a name", field="name")
    workspace = Workspace(name=name.strip(), time_zone=time_zone.key if time_zone else "UTC")
    session.add(workspace)
    await session.flush()
    agent = await do_create_agent(
        session=session, workspace_id=workspace.id, data=admin.model_copy(update={"role": Role.admin})
    )
    _, key = await do_create_api_key(
        session=session, workspace_id=workspace.id, data=ApiKeyCreate(name="Initial admin key"), actor="setup"
    )
    return workspace, agent, key


async def do_update_workspace(
    *, session: AsyncSession, workspace_id: int, name: str | None, time_zone: ZoneInfo | None, actor: str
) -> Workspace:
    """Rename the workspace or move it to another time zone; None leaves a value as it is.

    The zone comes as a ``ZoneInfo``: callers turn the name they were given into one with
    ``frontdesk.reports.controls.zone_of``, which refuses names that are not IANA zones.
    """
    workspace = await get_workspace(session=session, workspace_id=workspace_id)
    changes: dict[str, list[str]] = {}
    if name is not None and name.strip() and name.strip() != workspace.name:
        changes["name"] = [workspace.name, name.strip()]
        workspace.name = name.strip()
    if time_zone is not None and time_zone.key != workspace.time_zone:
        changes["time_zone"] = [workspace.time_zone, time_zone.key]
        workspace.time_zone = time_zone.key
    if changes:
        session.add(
            AuditEntry(
                workspace_id=workspace_id,
                action="workspace.updated",
                subject_type="workspace",
                subject_id=workspace_id,
                actor=actor,
                details={"changes": changes},
            )
        )
        await session.flush()
    return workspace


# --- agents -----------------------------------------------------------------------------------------------


async def list_agents(*, session: AsyncSession, workspace_id: int) -> list[Agent]:
    statement = select(Agent).where(Agent.workspace_id == workspace_id).order_by(Agent.id)
    return list((await session.scalars(statement)).all())


async def get_agent(*, session: AsyncSession, workspace_id: int, agent_id: int) -> Agent:
    agent = await session.scalar(select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id))
    if agent is None:
        raise NotFound(f"agent {agent_id} not found")
    return agent


async def do_create_agent(*, session: AsyncSession, workspace_id: int, data: AgentCreate) -> Agent:
    # Hashed before the first query: argon2 takes a while, and the connection is not yet held meanwhile.
    password_hash = await security.hash_password_async(data.password)
    key = email_key(data.email)
    taken = await session.scalar(
        select(Agent.id).where(Agent.workspace_id == workspace_id, Agent.email_normalized == key)
    )
    if taken is not None:
        raise Conflict(f"an agent with e-mail {data.email} already exists", field="email")
    agent = Agent(
        workspace_id=workspace_id,
        email=data.email,
        email_normalized=key,
        display_name=data.display_name,
        role=data.role.value,
        password_hash=password_hash,
    )
    session.add(agent)
    await session.flush()
    return agent


async def do_update_agent(*, session: AsyncSession, workspace_id: int, agent_id: int, data: AgentUpdate) -> Agent:
    changes = data.model_dump(exclude_unset=True)
    # Hashed before the first query: argon2 takes a while, and the connection is not yet held meanwhile.
    password_hash = await security.hash_password_async(changes["password"]) if changes.get("password") else None
    agent = await get_agent(session=session, workspace_id=workspace_id, agent_id=agent_id)
    demoting = changes.get("role") not in (None, Role.admin) or changes.get("is_active") is False
    if demoting:
        await _lock_admins(session=session, workspace_id=workspace_id)
    if changes.get("display_name"):
        agent.display_name = changes["display_name"]
    if password_hash is not None:
        agent.password_hash = password_hash
    if changes.get("role"):
        agent.role = Role(changes["role"]).value
    if changes.get("is_active") is not None:
        agent.is_active = changes["is_active"]
        if not agent.is_active:
            await session.execute(
                update(AgentSession).where(AgentSession.agent_id == agent.id).values(expires_at=utcnow())
            )
    await session.flush()
    # Counted after the write, under the locks: what is counted is what will be committed.
    if demoting and not await _active_admin_count(session=session, workspace_id=workspace_id):
        raise Conflict("a workspace keeps at least one active admin", field="role")
    return agent


async def _lock_admins(*, session: AsyncSession, workspace_id: int) -> None:
    """Serialise the demotions of one workspace's admins, so two of them cannot each leave the other as the last.

    PostgreSQL: the active admin rows are locked until commit; a second demotion waits here, then sees the first
    one's result. SQLite ignores FOR UPDATE, but it has one writer: the demotion's own UPDATE takes the database's
    write lock before the count, and its transaction starts with that UPDATE, so the count reads the newest data.
    """
    await session.execute(
        select(Agent.id)
        .where(Agent.workspace_id == workspace_id, Agent.role == Role.admin.value, Agent.is_active.is_(True))
        .order_by(Agent.id)  # every demotion locks in the same order: no deadlock between two of them
        .with_for_update()
    )


async def _active_admin_count(*, session: AsyncSession, workspace_id: int) -> int:
    count = await session.scalar(
        select(func.count(Agent.id)).where(
            Agent.workspace_id == workspace_id, Agent.role == Role.admin.value, Agent.is_active.is_(True)
        )
    )
    return int(count or 0)


# --- console sessions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginCandidate:
    agent_id: int
    password_hash: str


async def list_login_candidates(*, session: AsyncSession, email: str) -> list[LoginCandidate]:
    """The active agents with this e-mail address (several workspaces may share one); plain values, so the
    caller can end its read before the passwords are checked."""
    rows = await session.execute(
        select(Agent.id, Agent.password_hash).where(
            Agent.email_normalized == email_key(email), Agent.is_active.is_(True)
        )
    )
    return [LoginCandidate(agent_id=agent_id, password_hash=password_hash) for agent_id, password_hash in rows.all()]


async def match_password(candidates: list[LoginCandidate], password: str) -> int | None:
    """The id of the candidate whose password this is, or ``None``; an unknown e-mail takes as long as a wrong
    password. Runs argon2 off the event loop and touches no database: call it holding no connection."""
    if not candidates:
        await security.verify_password_for_unknown_user_async(password)
        return None
    for candidate in candidates:
        if await security.verify_password_async(candidate.password_hash, password):
            return candidate.agent_id
    return None


async def do_start_login(*, session: AsyncSession, agent_id: int, max_age_seconds: int) -> tuple[str, AgentSession]:
    """A new console session for the agent whose password was matched; the token is returned in clear, once."""
    token = security.new_session_token()
    login = AgentSession(
        agent_id=agent_id,
        token_hash=security.token_digest(token),
        csrf_token=security.new_csrf_token(),
        expires_at=utcnow() + timedelta(seconds=max_age_seconds),
    )
    session.add(login)
    await session.flush()
    return token, login


async def get_login(*, session: AsyncSession, token: str) -> tuple[Agent, AgentSession] | None:
    row = (
        await session.execute(
            select(Agent, AgentSession)
            .join(AgentSession, AgentSession.agent_id == Agent.id)
            .where(AgentSession.token_hash == security.token_digest(token), Agent.is_active.is_(True))
        )
    ).first()
    if row is None or row[1].expires_at <= utcnow():
        return None
    return row[0], row[1]


async def do_logout(*, session: AsyncSession, token: str) -> None:
    await session.execute(
        update(AgentSession).where(AgentSession.token_hash == security.token_digest(token)).values(expires_at=utcnow())
    )


def principal_for_agent(agent: Agent) -> Principal:
    return Principal(
        workspace_id=agent.workspace_id,
        role=Role(agent.role),
        label=f"agent:{agent.id} {agent.display_name}",
        agent_id=agent.id,
    )


# --- API keys ---------------------------------------------------------------------------------------------


async def do_create_api_key(
    *, session: AsyncSession, workspace_id: int, data: ApiKeyCreate, actor: str
) -> tuple[ApiKey, str]:
    key = security.new_api_key()
    api_key = ApiKey(
        workspace_id=workspace_id,
        name=data.name,
        prefix=key[:10],
        key_hash=security.token_digest(key),
        role=data.role.value,
        scopes=scopes.normalise(data.scopes) if data.scopes is not None else None,
    )
    session.add(api_key)
    await session.flush()
    session.add(
        AuditEntry(
            workspace_id=workspace_id,
            action="api_key.created",
            subject_type="api_key",
            subject_id=api_key.id,
            actor=actor,
            details={"name": data.name, "role": data.role.value, "scopes": api_key.scopes},
        )
    )
    return api_key, key


async def list_api_keys(*, session: AsyncSession, workspace_id: int) -> list[ApiKey]:
    statement = select(ApiKey).where(ApiKey.workspace_id == workspace_id).order_by(ApiKey.id)
    return list((await session.scalars(statement)).all())


async def do_revoke_api_key(*, session: AsyncSession, workspace_id: int, api_key_id: int, actor: str) -> ApiKey:
    api_key = await session.scalar(select(ApiKey).where(ApiKey.id == api_key_id, ApiKey.workspace_id == workspace_id))
    if api_key is None:
        raise NotFound(f"API key {api_key_id} not found")
    if api_key.revoked_at is None:
        api_key.revoked_at = utcnow()
        session.add(
            AuditEntry(
                workspace_id=workspace_id,
                action="api_key.revoked",
                subject_type="api_key",
                subject_id=api_key.id,
                actor=actor,
                details={"name": api_key.name},
            )
        )
    await session.flush()
    return api_key


async def do_rename_api_key(
    *, session: AsyncSession, workspace_id: int, api_key_id: int, name: str, actor: str
) -> ApiKey:
    """Give a key a new name (what it is used for); the secret and its role stay."""
    api_key = await session.scalar(select(ApiKey).where(ApiKey.id == api_key_id, ApiKey.workspace_id == workspace_id))
    if api_key is None:
        raise NotFound(f"API key {api_key_id} not found")
    if api_key.name != name:
        session.add(
            AuditEntry(
                workspace_id=workspace_id,
                action="api_key.renamed",
                subject_type="api_key",
                subject_id=api_key.id,
                actor=actor,
                details={"from": api_key.name, "to": name},
            )
        )
        api_key.name = name
    await session.flush()
    return api_key


async def authenticate_api_key(*, session: AsyncSession, key: str) -> Principal | None:
    api_key = await session.scalar(select(ApiKey).where(ApiKey.key_hash == security.token_digest(key)))
    if api_key is None or api_key.revoked_at is not None:
        return None
    now = utcnow()
    # Written at most once a minute, so a busy integration does not turn every read into a write.
    if api_key.last_used_at is None or now - api_key.last_used_at > timedelta(minutes=1):
        api_key.last_used_at = now
    return Principal(
        workspace_id=api_key.workspace_id,
        role=Role(api_key.role),
        label=f"api_key:{api_key.id} {api_key.name}",
        api_key_id=api_key.id,
        scopes=frozenset(api_key.scopes) if api_key.scopes is not None else None,
    )
