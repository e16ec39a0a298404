"""The CLV benchmark's data: the reports benchmark's workspace (benchmarks/reports_data.py, reports_load.py,
loaded by that code), plus what the success steps need on top of it: a success team, playbooks, and a way
back to "never refreshed" so every run times the same work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import CustomerFigures, Order
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Team, TeamMember
from frontdesk.db import Base
from frontdesk.segments.rule_text import parse
from frontdesk.segments.rules import RuleError
from frontdesk.success.models import (
    SUCCESS_TEAM,
    ClvModel,
    CustomerHealth,
    CustomerPrediction,
    HealthHistory,
    Playbook,
    PlaybookEpisode,
    SuccessTask,
    TaskOwnerRule,
)
from frontdesk.workspaces.models import Agent, Role
from reports import ZONE

# The example rule, and one on fields that existed before issue 13 (it matches whatever else lands).
PLAYBOOKS = (
    ("Save valuable customers at risk", "health < 40 and clv_12m > 100", TaskOwnerRule.customer_owner),
    ("Win back lapsing regulars", "orders >= 3 and days_since_last_order > 120", TaskOwnerRule.round_robin),
)
# Derived success rows a refresh writes, deleted by reset_success (children before parents).
DERIVED = (PlaybookEpisode, SuccessTask, HealthHistory, CustomerHealth, CustomerPrediction, ClvModel)


@dataclass(frozen=True)
class Sizes:
    contacts: int
    orders: int
    completed_orders: int
    buyers: int  # contacts with a completed order (customer_figures.orders > 0)


async def sizes(session: AsyncSession, workspace_id: int) -> Sizes:
    contacts = await session.scalar(
        select(func.count()).select_from(Contact).where(Contact.workspace_id == workspace_id)
    )
    orders = await session.scalar(select(func.count()).select_from(Order).where(Order.workspace_id == workspace_id))
    completed = await session.scalar(
        select(func.count()).select_from(Order).where(Order.workspace_id == workspace_id, Order.status == "completed")
    )
    buyers = await session.scalar(
        select(func.count())
        .select_from(CustomerFigures)
        .where(CustomerFigures.workspace_id == workspace_id, CustomerFigures.orders > 0)
    )
    return Sizes(int(contacts or 0), int(orders or 0), int(completed or 0), int(buyers or 0))


async def prepare_workspace(session: AsyncSession, workspace_id: int) -> list[str]:
    """A success team of two agents and the benchmark's playbooks (both once); returns a line per playbook
    saying whether its rule parses on this checkout (one that does not is skipped by run_playbooks)."""
    team = await session.scalar(select(Team).where(Team.workspace_id == workspace_id, Team.key == SUCCESS_TEAM))
    if team is None:
        team = Team(workspace_id=workspace_id, key=SUCCESS_TEAM, name="Success")
        session.add(team)
        await session.flush()
    if not await session.scalar(select(func.count()).select_from(TeamMember).where(TeamMember.team_id == team.id)):
        # The generated shop's sales agents double as the success team (agents need passwords: reuse them).
        agents = await session.scalars(
            select(Agent.id).where(Agent.workspace_id == workspace_id, Agent.role == Role.agent).order_by(Agent.id)
        )
        for agent_id in list(agents)[:2]:
            session.add(TeamMember(team_id=team.id, agent_id=agent_id))
    notes = []
    for name, rule, owner_rule in PLAYBOOKS:
        exists = await session.scalar(
            select(Playbook.id).where(Playbook.workspace_id == workspace_id, Playbook.name == name)
        )
        if exists is None:
            session.add(
                Playbook(workspace_id=workspace_id, name=name, rule=rule, task_title=f"{name}: call them",
                         owner_rule=owner_rule.value, due_in_days=3, is_active=True)
            )  # fmt: skip
        try:
            parse(rule)
            notes.append(f"playbook {name!r}: {rule}")
        except RuleError as error:
            notes.append(f"playbook {name!r}: {rule}  -- NOT VALID on this checkout, run_playbooks skips it ({error})")
    await session.commit()
    return notes


async def store_model(
    session: AsyncSession, workspace_id: int, as_of: datetime, fitted: tuple[Any, ...], customers: int, repeaters: int
) -> None:
    """The fit the benchmark already made, stored as the workspace's model (what fit_and_store would store,
    without its summary and fit again: they are timed on their own), so scoring has a model."""
    bg, ll, gg, gll = fitted
    await session.execute(delete(ClvModel).where(ClvModel.workspace_id == workspace_id))
    model = ClvModel(workspace_id=workspace_id, as_of=as_of, fitted_at=as_of, time_zone=ZONE, customers=customers,
                     repeat_customers=repeaters, r=bg.r, alpha=bg.alpha, a=bg.a, b=bg.b, p=gg.p, q=gg.q,
                     gamma=gg.gamma, log_likelihood=ll, gamma_gamma_log_likelihood=gll)  # fmt: skip
    session.add(model)
    await session.commit()


async def reset_success(session: AsyncSession, workspace_id: int, *models: type[Base]) -> None:
    """Deletes what earlier refreshes derived (``models``, default all: model, predictions, health and its
    history, episodes, tasks): the next refresh is the workspace's first, the one that writes most."""
    for model in [m for m in DERIVED if m in models] if models else DERIVED:
        await session.execute(delete(model).where(model.workspace_id == workspace_id))
    await session.commit()
