"""Who looks after a customer: the owner (an active agent of the contact's workspace), its checks and changes.

The registry reads agents (the workspaces domain, below it) but knows nothing of teams: the success team is
the console's way of ordering the choices (contacts/profile.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.timeline import record_event
from frontdesk.contacts.validation import email_key
from frontdesk.errors import InvalidInput
from frontdesk.workspaces.models import Agent

OWNER_CHANGED = "owner_changed"  # the contact event (timeline: "Owner changed")


async def get_owner(*, session: AsyncSession, workspace_id: int, agent_id: int, field: str = "owner_id") -> Agent:
    """The agent who may own this workspace's customers; ``InvalidInput`` on ``field`` for any other id (an
    agent of another workspace gets the same answer as one that does not exist)."""
    agent = await session.scalar(select(Agent).where(Agent.id == agent_id, Agent.workspace_id == workspace_id))
    if agent is None:
        raise InvalidInput(f"no agent {agent_id} in this workspace", field=field)
    if not agent.is_active:
        raise InvalidInput(f"agent {agent_id} is deactivated and cannot own customers", field=field)
    return agent


async def list_possible_owners(*, session: AsyncSession, workspace_id: int) -> list[Agent]:
    """The workspace's active agents, by name: whom a customer can be given to."""
    rows = await session.scalars(
        select(Agent)
        .where(Agent.workspace_id == workspace_id, Agent.is_active.is_(True))
        .order_by(Agent.display_name, Agent.id)
    )
    return list(rows.all())


async def get_owner_or_none(*, session: AsyncSession, contact: Contact) -> Agent | None:
    return await session.get(Agent, contact.owner_id) if contact.owner_id is not None else None


def owner_label(agent: Agent | None) -> str | None:
    return None if agent is None else f"{agent.display_name} <{agent.email}>"


async def do_set_owner(*, session: AsyncSession, contact: Contact, owner_id: int | None, actor: str) -> bool:
    """Give the contact to an active agent of its workspace (``None``: to nobody), with an "owner changed"
    event on its timeline. Returns whether the owner changed (the same owner again records nothing)."""
    new = (
        await get_owner(session=session, workspace_id=contact.workspace_id, agent_id=owner_id)
        if owner_id is not None
        else None
    )
    if contact.owner_id == owner_id:
        return False
    old = await session.get(Agent, contact.owner_id) if contact.owner_id is not None else None
    previous_id = contact.owner_id
    contact.owner_id = owner_id
    await session.flush()
    record_event(
        session=session,
        contact=contact,
        kind=OWNER_CHANGED,
        actor=actor,
        data={
            "from": previous_id,
            "to": owner_id,
            "changes": {"owner": [owner_label(old), owner_label(new)]},
        },
    )
    return True


@dataclass(frozen=True)
class OwnersByEmail:
    """The workspace's agents by lower-cased e-mail address, read once per import (a workspace has few)."""

    active: dict[str, int]
    inactive: set[str]

    def owner_id(self, email: str) -> tuple[int | None, str | None]:
        """The agent's id, or why the address cannot own customers."""
        key = email_key(email)
        if key in self.active:
            return self.active[key], None
        if key in self.inactive:
            return None, f"agent {email} is deactivated and cannot own customers"
        return None, f"no agent with the e-mail address {email} in this workspace"


async def owners_by_email(*, session: AsyncSession, workspace_id: int) -> OwnersByEmail:
    rows = (
        await session.execute(
            select(Agent.email_normalized, Agent.id, Agent.is_active).where(Agent.workspace_id == workspace_id)
        )
    ).all()
    return OwnersByEmail(
        active={row.email_normalized: row.id for row in rows if row.is_active},
        inactive={row.email_normalized for row in rows if not row.is_active},
    )
