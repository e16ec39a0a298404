"""The demo's customer success: a success team of two, owners for the best customers, three playbooks, the
refresh's predictions, health scores and tasks, and weeks of history (tasks done with outcomes, some overdue)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.models import CustomerFigures
from frontdesk.commerce.schemas import minor_units
from frontdesk.complaints.models import ComplaintSource, Severity
from frontdesk.complaints.schemas import ComplaintCreate
from frontdesk.complaints.service import do_raise_complaint
from frontdesk.contacts.models import Contact, ContactEvent
from frontdesk.conversations.models import Team, TeamMember
from frontdesk.db import insert_missing
from frontdesk.success.models import (
    SUCCESS_TEAM,
    CustomerPrediction,
    Playbook,
    PlaybookEpisode,
    SuccessTask,
    TaskOwnerRule,
    TaskStatus,
)
from frontdesk.success.refresh import SuccessRefresh, refresh_success
from frontdesk.workspaces.models import Agent, Role
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_agent

SUCCESS_AGENT = ("sofia@demo-shop.example", "Sofia Success")
OWNED_CUSTOMERS = 30
# Stored as text like any saved playbook. The first two use the purchase model's and the health score's segment
# fields; the third only figures every workspace has, so it gives tasks from the first refresh on. The first
# says 50, not 40: under the default weights a customer still worth 100 in the next year rarely scores under 40
# (their purchase activity holds the score up), and the demo's troubled customers score in the forties.
PLAYBOOKS = [
    ("Save valuable customers at risk", "health < 50 and clv_12m > 100", "Call: what went wrong, and how to fix it",
     TaskOwnerRule.customer_owner, 3),
    ("Win back lapsing regulars", "p_alive < 0.3 and orders >= 3", "Send a personal win-back offer",
     TaskOwnerRule.customer_owner, 7),
    ("Check on lapsed repeat buyers", 'lifecycle in ("lapsed", "churned") and orders >= 2',
     "Check in: are they still happy with us?", TaskOwnerRule.round_robin, 5),
]  # fmt: skip
TROUBLED_CUSTOMERS = 4
TROUBLES = [
    ("Second parcel in a row arrived damaged", "The tea tins were dented again; wants a replacement and an answer."),
    ("Charged twice for one order", "Two card payments for the same order; asks for the refund."),
]
OUTCOMES = [
    "Called, offered 10% - ordered again",
    "Left a voicemail, then e-mailed a voucher; they used it the next week",
    "Moved abroad; closed their account on request",
    "Unhappy with the last delivery: refunded shipping, they will order again",
    "No answer after three tries",
    "Switched to the subscription plan",
]


async def create_demo_success(
    *, session: AsyncSession, workspace_id: int, agent_id: int, password: str, now: datetime
) -> SuccessRefresh:
    """After the demo's figures refresh: a success team of ``agent_id`` and a success manager made here (with
    ``password``), owners, playbooks, the success refresh, then a backdated history."""
    rng = random.Random(13)
    members = await _success_team(session, workspace_id, agent_id, password)
    best = await session.scalars(
        select(CustomerFigures.contact_id)
        .join(Contact, Contact.id == CustomerFigures.contact_id)
        .where(CustomerFigures.workspace_id == workspace_id, CustomerFigures.orders > 0)
        .order_by(CustomerFigures.total_spent_minor.desc(), CustomerFigures.contact_id)
        .limit(OWNED_CUSTOMERS)
    )
    for n, contact_id in enumerate(best.all()):
        await session.execute(update(Contact).where(Contact.id == contact_id).values(owner_id=members[n % 2]))
    for name, rule, title, owner_rule, due in PLAYBOOKS:
        session.add(
            Playbook(
                workspace_id=workspace_id,
                name=name,
                rule=rule,
                task_title=title,
                owner_rule=owner_rule.value,
                due_in_days=due,
                created_at=now - timedelta(days=60),
                updated_at=now - timedelta(days=60),
            )
        )
    await session.flush()
    refreshed = await refresh_success(session=session, workspace_id=workspace_id, now=now)
    if await _troubles(session, workspace_id, members[0]):
        # Their open complaints lower their health: the refresh again, so "Save valuable customers" finds them.
        refreshed = await refresh_success(session=session, workspace_id=workspace_id, now=now)
    await _backdate(session, workspace_id, now, rng)
    return refreshed


async def _troubles(session: AsyncSession, workspace_id: int, agent_id: int) -> int:
    """A few valuable customers who were already drifting away (p_alive under a half) have two complaints still
    open: the story the first playbook is for. Nothing without predictions (no purchase model fitted)."""
    currency = (await get_commerce_settings(session=session, workspace_id=workspace_id)).currency
    drifting = await session.scalars(
        select(CustomerPrediction.contact_id)
        .where(
            CustomerPrediction.workspace_id == workspace_id,
            CustomerPrediction.clv_12m_minor > 150 * minor_units(currency),
            CustomerPrediction.p_alive < 0.5,
        )
        .order_by(CustomerPrediction.clv_12m_minor.desc(), CustomerPrediction.contact_id)
        .limit(TROUBLED_CUSTOMERS)
    )
    troubled = list(drifting.all())
    for contact_id in troubled:
        for summary, description in TROUBLES:
            await do_raise_complaint(
                session=session,
                workspace_id=workspace_id,
                data=ComplaintCreate(
                    contact_id=contact_id,
                    summary=summary,
                    description=description,
                    severity=Severity.high,
                    owner_id=agent_id,
                ),
                actor="demo",
                direct_source=ComplaintSource.agent,
            )
    return len(troubled)


async def _success_team(session: AsyncSession, workspace_id: int, agent_id: int, password: str) -> list[int]:
    await insert_missing(session, Team, [{"workspace_id": workspace_id, "key": SUCCESS_TEAM, "name": "Success"}])
    team_id = await session.scalar(select(Team.id).where(Team.workspace_id == workspace_id, Team.key == SUCCESS_TEAM))
    email, name = SUCCESS_AGENT
    sofia = await do_create_agent(
        session=session,
        workspace_id=workspace_id,
        data=AgentCreate(email=email, display_name=name, password=password, role=Role.agent),
    )
    members = [agent_id, sofia.id]
    await insert_missing(session, TeamMember, [{"team_id": team_id, "agent_id": member} for member in members])
    return members


async def _backdate(session: AsyncSession, workspace_id: int, now: datetime, rng: random.Random) -> None:
    """Spread the tasks over the last seven weeks: the older ones mostly done with an outcome, a few overdue,
    the newest due this week; episodes and timeline entries move with them."""
    tasks = list(
        await session.scalars(
            select(SuccessTask).where(SuccessTask.workspace_id == workspace_id).order_by(SuccessTask.id)
        )
    )
    rng.shuffle(tasks)
    names = dict((await session.execute(select(Agent.id, Agent.display_name))).all())
    events: list[dict[str, object]] = []
    for n, task in enumerate(tasks):
        share = n / max(1, len(tasks))
        if share < 0.45:  # done, weeks ago
            created = now - timedelta(days=rng.randint(10, 49), hours=rng.randint(0, 8))
            task.completed_at = created + timedelta(days=rng.randint(0, 4), hours=rng.randint(1, 6))
            task.status = TaskStatus.done.value
            task.outcome = rng.choice(OUTCOMES)
        elif share < 0.7:  # open and overdue
            created = now - timedelta(days=rng.randint(6, 20), hours=rng.randint(0, 8))
        else:  # open, due this week
            created = now - timedelta(days=rng.randint(0, 3), hours=rng.randint(0, 8))
        task.created_at = created
        task.due_at = created + timedelta(days=3 if task.status == TaskStatus.done.value or share < 0.7 else 5)
        await session.execute(
            update(PlaybookEpisode).where(PlaybookEpisode.task_id == task.id).values(started_at=created)
        )
        await session.execute(
            update(ContactEvent)
            .where(ContactEvent.contact_id == task.contact_id, ContactEvent.kind == "task_created")
            .values(created_at=created)
        )
        if task.completed_at is not None:
            owner = names.get(task.owner_id, "Ada Admin") if task.owner_id is not None else "Ada Admin"
            events.append(
                {
                    "workspace_id": workspace_id,
                    "contact_id": task.contact_id,
                    "kind": "task_completed",
                    "actor": f"agent:{task.owner_id} {owner}",
                    "data": {"task_id": task.id, "title": task.title, "outcome": task.outcome},
                    "created_at": task.completed_at,
                }
            )
    if events:
        await session.execute(insert(ContactEvent), events)
    await session.flush()
