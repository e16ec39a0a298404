"""What the contact page shows beside the registry's own data: who owns the customer, and what the success
team's refresh stored about them (purchase prediction, health). Read only, a few indexed reads per page: the
figures are computed by the refresh (success/clv.py, success/health.py), never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.schemas import minor_units
from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import list_possible_owners
from frontdesk.conversations.routing import team_member_ids
from frontdesk.success.models import SUCCESS_TEAM, ClvModel, CustomerHealth, CustomerPrediction, HealthHistory
from frontdesk.workspaces.models import Agent

HEALTH_HISTORY_SHOWN = 10
NO_MODEL_HINT = "No purchase model yet: run `frontdesk analytics fit` or wait for the daily refresh."
# Score bands of the health badge; the label says it in words, so the colour is never the only signal.
HEALTH_BANDS = ((70, "healthy", "Healthy"), (40, "watch", "Watch"), (0, "at-risk", "At risk"))


@dataclass(frozen=True)
class OwnerChoices:
    """The agents a customer can be given to: the success team first, then everyone else active."""

    success_team: list[Agent]
    others: list[Agent]


async def owner_choices(*, session: AsyncSession, workspace_id: int) -> OwnerChoices:
    agents = await list_possible_owners(session=session, workspace_id=workspace_id)
    success = set(await team_member_ids(session=session, workspace_id=workspace_id, key=SUCCESS_TEAM))
    return OwnerChoices(
        success_team=[agent for agent in agents if agent.id in success],
        others=[agent for agent in agents if agent.id not in success],
    )


@dataclass(frozen=True)
class PredictionView:
    p_alive: float
    expected_purchases_90d: float
    expected_purchases_365d: float
    expected_order_value: Decimal  # in the workspace currency's major unit
    clv_12m: Decimal


@dataclass(frozen=True)
class HealthView:
    score: int
    band: str  # healthy / watch / at-risk: the badge's class
    label: str  # the same in words
    reasons: str
    computed_at: datetime
    history: list[HealthHistory]


@dataclass(frozen=True)
class SuccessView:
    model_as_of: datetime | None  # None: no purchase model fitted yet
    prediction: PredictionView | None
    health: HealthView | None
    no_model_hint: str = NO_MODEL_HINT


def _major(minor: float, currency: str) -> Decimal:
    return (Decimal(repr(minor)) / minor_units(currency)).quantize(Decimal("0.01"))


def health_band(score: int) -> tuple[str, str]:
    for floor, band, label in HEALTH_BANDS:
        if score >= floor:
            return band, label
    return HEALTH_BANDS[-1][1], HEALTH_BANDS[-1][2]


async def success_view(*, session: AsyncSession, contact: Contact, currency: str) -> SuccessView:
    """The contact's stored prediction and health, with the model's as-of date and recent health history."""
    model_as_of = await session.scalar(select(ClvModel.as_of).where(ClvModel.workspace_id == contact.workspace_id))
    prediction = await session.scalar(
        select(CustomerPrediction).where(
            CustomerPrediction.contact_id == contact.id, CustomerPrediction.workspace_id == contact.workspace_id
        )
    )
    health = await session.scalar(
        select(CustomerHealth).where(
            CustomerHealth.contact_id == contact.id, CustomerHealth.workspace_id == contact.workspace_id
        )
    )
    prediction_view = None
    if prediction is not None:
        prediction_view = PredictionView(
            p_alive=prediction.p_alive,
            expected_purchases_90d=prediction.expected_purchases_90d,
            expected_purchases_365d=prediction.expected_purchases_365d,
            expected_order_value=_major(prediction.expected_order_value_minor, currency),
            clv_12m=_major(prediction.clv_12m_minor, currency),
        )
    health_view = None
    if health is not None:
        history = await session.scalars(
            select(HealthHistory)
            .where(HealthHistory.contact_id == contact.id, HealthHistory.workspace_id == contact.workspace_id)
            .order_by(HealthHistory.recorded_at.desc(), HealthHistory.id.desc())
            .limit(HEALTH_HISTORY_SHOWN)
        )
        band, label = health_band(health.score)
        health_view = HealthView(
            score=health.score,
            band=band,
            label=label,
            reasons="; ".join(str(reason) for reason in health.reasons or []),
            computed_at=health.computed_at,
            history=list(history.all()),
        )
    return SuccessView(model_as_of=model_as_of, prediction=prediction_view, health=health_view)
