"""What the contact page shows beside the registry's own data: who owns the customer, and what the success
team's refresh stored about them (purchase prediction, health). Read only, a few indexed reads per page: the
figures are computed by the refresh (success/clv.py, success/health.py), never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Order
from frontdesk.commerce.schemas import minor_units
from frontdesk.contacts.models import AttributeDefinition, AttributeType, Contact
from frontdesk.contacts.owners import list_possible_owners
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


# --- latest orders and custom attributes, as the contact page shows them ----------------------------------


async def latest_orders(*, session: AsyncSession, workspace_id: int, contact_id: int, limit: int) -> list[Order]:
    """The orders the contact placed or received, latest first by the date they were placed (not by when
    they reached Frontdesk: an imported history arrives in any order)."""
    statement = (
        select(Order)
        .where(
            Order.workspace_id == workspace_id,
            or_(Order.buyer_id == contact_id, Order.recipient_id == contact_id),
        )
        .order_by(Order.ordered_at.desc(), Order.id.desc())
        .limit(limit)
    )
    return list((await session.scalars(statement)).all())


@dataclass(frozen=True)
class ShownAttribute:
    key: str
    label: str
    value: str


def format_attribute_value(value: Any, kind: str | None) -> str:
    """A stored attribute value in words: Yes/No, 1,250.5, 3 Mar 2026, "a, b"; never Python's spelling."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool) or kind == AttributeType.boolean.value:
        truthy = value if isinstance(value, bool) else str(value).strip().lower() in {"true", "yes", "1"}
        return "Yes" if truthy else "No"
    if isinstance(value, list | tuple):
        return ", ".join(format_attribute_value(item, None) for item in value) or "—"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"{value:,}" if isinstance(value, int) or float(value).is_integer() else f"{value:,.6g}"
    if kind == AttributeType.date.value or (kind is None and _looks_like_date(value)):
        try:
            day = date.fromisoformat(str(value))
        except ValueError:
            return str(value)
        return f"{day.day} {day:%b %Y}"
    if isinstance(value, dict):
        return ", ".join(f"{key}: {format_attribute_value(item, None)}" for key, item in value.items()) or "—"
    return str(value)


def _looks_like_date(value: Any) -> bool:
    return isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-"


def shown_attributes(contact: Contact, definitions: dict[str, AttributeDefinition]) -> list[ShownAttribute]:
    """The contact's custom attributes under their defined labels, in the definitions' order; a value whose
    definition was deleted since shows under its key in words ("loyalty_tier" as "Loyalty tier")."""
    shown = []
    for key, value in contact.attributes.items():
        definition = definitions.get(key)
        label = definition.label if definition is not None else key.replace("_", " ").strip().capitalize()
        shown.append(ShownAttribute(key, label, format_attribute_value(value, definition.type if definition else None)))
    order = {key: index for index, key in enumerate(definitions)}
    return sorted(shown, key=lambda item: (order.get(item.key, len(order)), item.key))
