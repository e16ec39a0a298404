"""At-risk customers: whom the success team should look at first (docs/success.md defines both figures).

*At risk*: a contact of the workspace with a current episode of an active playbook (they matched its rule at
the last refresh), or with a health score under ``AT_RISK_HEALTH`` (40).

*Value at risk*: ``clv_12m * (1 - p_alive)``, the part of the next twelve months' expected value the customer
takes along if they have already left. No prediction (nothing fitted, or not a buyer): no value at risk; such
customers sort after every customer with one.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Float, cast, func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.schemas import minor_units
from frontdesk.contacts.models import Contact
from frontdesk.errors import InvalidInput
from frontdesk.success.models import (
    CustomerHealth,
    CustomerPrediction,
    Playbook,
    PlaybookEpisode,
    SuccessTask,
    TaskStatus,
)
from frontdesk.workspaces.models import Agent

AT_RISK_HEALTH = 40
MAX_OFFSET = 10**9


def encode_cursor(offset: int) -> str:
    """The list is sorted by a computed figure, so a page continues at a position, not after an id."""
    return base64.urlsafe_b64encode(f"r:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, _, value = raw.partition(":")
        if prefix != "r" or not (value.isascii() and value.isdigit()) or not 0 < int(value) <= MAX_OFFSET:
            raise ValueError
        return int(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput("not a cursor this list gave", field="cursor") from None


@dataclass(frozen=True)
class AtRiskCustomer:
    contact_id: int
    name: str
    health: int | None
    first_reason: str | None
    p_alive: float | None
    clv_12m: float | None  # in the workspace currency's major unit
    value_at_risk: float | None  # the same
    owner_id: int | None
    owner_name: str | None
    open_task_id: int | None
    open_task_title: str | None


@dataclass(frozen=True)
class AtRiskPage:
    customers: list[AtRiskCustomer]
    total: int
    currency: str


def value_at_risk() -> ColumnElement[float]:
    """clv_12m * (1 - p_alive), in minor units; NULL without a prediction."""
    return cast(CustomerPrediction.clv_12m_minor, Float) * (literal(1.0) - CustomerPrediction.p_alive)


def at_risk_ids(workspace_id: int) -> ColumnElement[bool]:
    in_episode = (
        select(PlaybookEpisode.contact_id)
        .join(Playbook, Playbook.id == PlaybookEpisode.playbook_id)
        .where(PlaybookEpisode.workspace_id == workspace_id, Playbook.is_active)
    )
    unhealthy = select(CustomerHealth.contact_id).where(
        CustomerHealth.workspace_id == workspace_id, CustomerHealth.score < AT_RISK_HEALTH
    )
    return Contact.id.in_(union(in_episode, unhealthy).scalar_subquery())


async def list_at_risk(*, session: AsyncSession, workspace_id: int, limit: int, offset: int) -> AtRiskPage:
    """A page of at-risk customers, most value at risk first (ties: by contact id)."""
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    unit = minor_units(settings.currency)
    where = (Contact.workspace_id == workspace_id, at_risk_ids(workspace_id))
    total = int(await session.scalar(select(func.count()).select_from(Contact).where(*where)) or 0)
    risk = value_at_risk()
    rows = (
        await session.execute(
            select(
                Contact.id,
                Contact.name,
                CustomerHealth.score,
                CustomerHealth.reasons,
                CustomerPrediction.p_alive,
                CustomerPrediction.clv_12m_minor,
                risk,
                Contact.owner_id,
                Agent.display_name,
            )
            .select_from(Contact)
            .outerjoin(CustomerHealth, CustomerHealth.contact_id == Contact.id)
            .outerjoin(CustomerPrediction, CustomerPrediction.contact_id == Contact.id)
            .outerjoin(Agent, Agent.id == Contact.owner_id)
            .where(*where)
            .order_by(func.coalesce(risk, -1.0).desc(), Contact.id)
            .limit(limit)
            .offset(offset)
        )
    ).all()
    ids = [row[0] for row in rows]
    open_tasks: dict[int, tuple[int, str]] = {}
    for task_id, contact_id, title in (
        await session.execute(
            select(SuccessTask.id, SuccessTask.contact_id, SuccessTask.title)
            .where(
                SuccessTask.workspace_id == workspace_id,
                SuccessTask.contact_id.in_(ids),
                SuccessTask.status == TaskStatus.open.value,
            )
            .order_by(SuccessTask.due_at.desc(), SuccessTask.id.desc())
        )
    ).all():
        open_tasks[contact_id] = (task_id, title)  # the last written wins: the one due first
    customers = [
        AtRiskCustomer(
            contact_id=contact_id,
            name=name,
            health=score,
            first_reason=reasons[0] if reasons else None,
            p_alive=p_alive,
            clv_12m=clv / unit if clv is not None else None,
            value_at_risk=value / unit if value is not None else None,
            owner_id=owner_id,
            owner_name=owner,
            open_task_id=open_tasks[contact_id][0] if contact_id in open_tasks else None,
            open_task_title=open_tasks[contact_id][1] if contact_id in open_tasks else None,
        )
        for contact_id, name, score, reasons, p_alive, clv, value, owner_id, owner in rows
    ]
    return AtRiskPage(customers=customers, total=total, currency=settings.currency)
