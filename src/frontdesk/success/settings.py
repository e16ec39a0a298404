"""A workspace's customer-success settings: the discount rate of lifetime values and the health weights."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput
from frontdesk.inputs import RequestModel
from frontdesk.success.health_signals import DEFAULT_WEIGHTS, SIGNAL_NAMES
from frontdesk.success.models import DEFAULT_DISCOUNT_RATE, SuccessSettings

MAX_WEIGHT = 100.0

Weight = Annotated[float | None, Field(default=None, ge=0, le=MAX_WEIGHT, allow_inf_nan=False)]


class HealthWeightsUpdate(RequestModel):
    """Weights to change, by signal; a signal set to null goes back to its default weight. 0 disables it.

    Unknown signal names are refused (extra fields are forbidden), so the error names health_weights.NAME.
    """

    purchase_activity: Weight = None
    complaints: Weight = None
    nps: Weight = None
    csat: Weight = None
    sentiment_trend: Weight = None
    support_load: Weight = None


assert tuple(HealthWeightsUpdate.model_fields) == SIGNAL_NAMES, "one weight field per signal"


class SuccessSettingsUpdate(RequestModel):
    discount_rate: Annotated[
        float | None,
        Field(default=None, ge=0, le=1, allow_inf_nan=False, description="Annual rate, 0.1 = 10 %"),
    ] = None
    health_weights: HealthWeightsUpdate | None = None


class SuccessSettingsRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    discount_rate: float = Field(description="Annual discount rate of the 12-month lifetime value (0.1 = 10 %)")
    health_weights: dict[str, float] = Field(
        description="The weight of every health signal, the defaults merged with the workspace's own"
    )
    default_health_weights: dict[str, float]
    updated_at: datetime


async def get_success_settings(*, session: AsyncSession, workspace_id: int) -> SuccessSettings:
    """The workspace's settings, created with the defaults on first use."""
    found = await session.get(SuccessSettings, workspace_id)
    if found is None:
        found = SuccessSettings(workspace_id=workspace_id, health_weights={})
        session.add(found)
        await session.flush()
    return found


async def peek_success_settings(*, session: AsyncSession, workspace_id: int) -> SuccessSettingsRead:
    """The settings as they apply, without creating the row (a page view should not write)."""
    found = await session.get(SuccessSettings, workspace_id)
    if found is None:
        return SuccessSettingsRead(
            discount_rate=DEFAULT_DISCOUNT_RATE,
            health_weights=dict(DEFAULT_WEIGHTS),
            default_health_weights=dict(DEFAULT_WEIGHTS),
            updated_at=utcnow(),
        )
    return read_model(found)


def effective_weights(settings: SuccessSettings) -> dict[str, float]:
    """Every signal's weight: the workspace's own where set, the documented default otherwise."""
    own: dict[str, Any] = settings.health_weights or {}
    weights = dict(DEFAULT_WEIGHTS)
    for name in SIGNAL_NAMES:
        value = own.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= MAX_WEIGHT:
            weights[name] = float(value)
    return weights


def read_model(settings: SuccessSettings) -> SuccessSettingsRead:
    return SuccessSettingsRead(
        discount_rate=settings.discount_rate,
        health_weights=effective_weights(settings),
        default_health_weights=dict(DEFAULT_WEIGHTS),
        updated_at=settings.updated_at,
    )


async def do_update_success_settings(
    *, session: AsyncSession, workspace_id: int, data: SuccessSettingsUpdate
) -> SuccessSettings:
    """Change the discount rate and/or some weights (the others keep theirs). At least one signal must keep a
    weight above 0, or there would be nothing to score on."""
    settings = await get_success_settings(session=session, workspace_id=workspace_id)
    if data.health_weights is not None:
        own = {k: v for k, v in (settings.health_weights or {}).items() if k in SIGNAL_NAMES}
        for name in data.health_weights.model_fields_set:
            value = getattr(data.health_weights, name)
            if value is None:
                own.pop(name, None)
            else:
                own[name] = value
        merged = {**DEFAULT_WEIGHTS, **own}
        if not any(weight > 0 for weight in merged.values()):
            raise InvalidInput("at least one health signal must have a weight above 0", field="health_weights")
        settings.health_weights = own  # a new dict: the JSON column sees the change
    if data.discount_rate is not None:
        settings.discount_rate = data.discount_rate
    settings.updated_at = utcnow()
    await session.flush()
    return settings
