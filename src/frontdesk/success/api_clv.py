"""``/api/v1``: fit the purchase model, read it, and read a customer's predictions.

The request and response shapes live here with the three routes that use them (success has no shared
schemas module yet; they move there when one exists).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Body
from pydantic import BaseModel, Field

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.commerce.schemas import from_minor
from frontdesk.contacts.service import get_contact
from frontdesk.deps import Admin, Agent, DbSession, PathId, Viewer
from frontdesk.errors import NotFound
from frontdesk.inputs import BoundedDateTime, RequestModel
from frontdesk.success import clv
from frontdesk.success.models import ClvModel, CustomerPrediction

router = APIRouter(prefix="/api/v1", tags=["success"])


class ClvFitRequest(RequestModel):
    as_of: BoundedDateTime | None = Field(
        default=None, description="Fit as of this instant: later orders are left out and T runs up to it (default: now)"
    )


class BgNbdRead(BaseModel):
    r: float
    alpha: float = Field(description="Scale of the purchase rates, in days")
    a: float
    b: float


class GammaGammaRead(BaseModel):
    p: float
    q: float
    gamma: float = Field(description="In the currency's minor unit (cents)")


class ClvModelRead(BaseModel):
    as_of: datetime
    unit: Literal["day"] = "day"
    customers: int
    repeat_customers: int
    bgnbd: BgNbdRead
    gamma_gamma: GammaGammaRead
    log_likelihood: float
    gamma_gamma_log_likelihood: float
    fitted_at: datetime
    time_zone: str = Field(description="Whose calendar days made the purchase occasions")

    @classmethod
    def of(cls, model: ClvModel) -> ClvModelRead:
        return cls(
            as_of=model.as_of,
            customers=model.customers,
            repeat_customers=model.repeat_customers,
            bgnbd=BgNbdRead(r=model.r, alpha=model.alpha, a=model.a, b=model.b),
            gamma_gamma=GammaGammaRead(p=model.p, q=model.q, gamma=model.gamma),
            log_likelihood=model.log_likelihood,
            gamma_gamma_log_likelihood=model.gamma_gamma_log_likelihood,
            fitted_at=model.fitted_at,
            time_zone=model.time_zone,
        )


class PredictionRead(BaseModel):
    contact_id: int
    p_alive: float = Field(description="Probability that the customer still buys (BG/NBD)")
    expected_purchases_90d: float
    expected_purchases_365d: float
    expected_order_value: Decimal = Field(description="In major units of the currency, e.g. 42.10")
    clv_12m: Decimal = Field(description="Discounted value of the next 12 months, in major units")
    currency: str
    frequency: int = Field(description="Repeat purchase occasions (days with orders after the first)")
    recency_days: float
    age_days: float
    computed_at: datetime


def _money(minor: float, currency: str) -> Decimal:
    return from_minor(round(minor), currency)


@router.post(
    "/analytics/clv/fit",
    response_model=ClvModelRead,
    summary="Fit the purchase model (BG/NBD and Gamma-Gamma) on the completed orders and store it",
    responses={422: {"description": "Not enough data to fit (says what is missing), or as_of in the future"}},
)
async def fit_model(
    session: DbSession, principal: Admin, data: Annotated[ClvFitRequest | None, Body()] = None
) -> ClvModelRead:
    as_of = data.as_of if data is not None else None
    model = await clv.fit_and_store(session=session, workspace_id=principal.workspace_id, as_of=as_of)
    read = ClvModelRead.of(model)
    await session.commit()
    return read


@router.get(
    "/analytics/clv/model",
    response_model=ClvModelRead,
    summary="The stored purchase model",
    responses={404: {"description": "No purchase model has been fitted yet"}},
)
async def read_model(session: DbSession, principal: Agent) -> ClvModelRead:
    model = await clv.get_model(session=session, workspace_id=principal.workspace_id)
    if model is None:
        raise NotFound("no purchase model has been fitted yet: POST /api/v1/analytics/clv/fit or wait for the refresh")
    return ClvModelRead.of(model)


@router.get(
    "/contacts/{contact_id}/predictions",
    response_model=PredictionRead,
    summary="A customer's purchase predictions: p_alive, expected purchases, order value, 12-month value",
)
async def read_predictions(contact_id: PathId, session: DbSession, principal: Viewer) -> PredictionRead:
    await get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    found = await session.get(CustomerPrediction, contact_id)
    if found is None or found.workspace_id != principal.workspace_id:
        raise NotFound(f"contact {contact_id} has no purchase predictions (no completed order, or no model yet)")
    currency = (await get_commerce_settings(session=session, workspace_id=principal.workspace_id)).currency
    return PredictionRead(
        contact_id=found.contact_id,
        p_alive=found.p_alive,
        expected_purchases_90d=found.expected_purchases_90d,
        expected_purchases_365d=found.expected_purchases_365d,
        expected_order_value=_money(found.expected_order_value_minor, currency),
        clv_12m=_money(found.clv_12m_minor, currency),
        currency=currency,
        frequency=found.frequency,
        recency_days=found.recency_days,
        age_days=found.age_days,
        computed_at=found.computed_at,
    )
