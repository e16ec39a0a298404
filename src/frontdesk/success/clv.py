"""Fitting the workspace's purchase model on its completed orders, storing it, and scoring every buyer with it.

Purchase occasions follow Fader, Hardie & Lee: a customer's orders on one calendar day (in the workspace's
time zone) are one occasion; frequency counts the repeat occasions; recency and T run from the first occasion
(to the last one, and to the as-of instant); monetary value is the mean revenue of the repeat occasions.
The summary is success/clv_summary.py, the mathematics success/clv_math.py, the formulas docs/clv.md.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import Base, bulk_insert, utcnow
from frontdesk.errors import InvalidInput
from frontdesk.success import clv_math
from frontdesk.success.clv_summary import PurchaseSummary, purchase_summary
from frontdesk.success.models import DEFAULT_DISCOUNT_RATE, ClvModel, CustomerPrediction, SuccessSettings
from frontdesk.workspaces.models import Workspace

log = logging.getLogger(__name__)
PREDICTIONS = Base.metadata.tables[CustomerPrediction.__tablename__]
PREDICTION_COLUMNS = ("contact_id", "workspace_id", "frequency", "recency_days", "age_days", "monetary_minor",
                      "p_alive", "expected_purchases_90d", "expected_purchases_365d", "expected_order_value_minor",
                      "clv_12m_minor", "computed_at")  # fmt: skip
CLV_MONTHS = 12


class NotEnoughData(InvalidInput):
    """The fit cannot be made: no buyers, nobody who repeated, or the optimiser did not converge (422)."""


@dataclass(frozen=True)
class RefitOutcome:
    model: ClvModel | None  # the model scoring used: the new fit, or the last good one when the refit failed
    refitted: bool
    problem: str | None  # why the refit failed, in words (NotEnoughData's message)
    scored: int  # customers scored


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


async def fit_and_store(
    *, session: AsyncSession, workspace_id: int, as_of: datetime | None = None, now: datetime | None = None
) -> ClvModel:
    """Fit BG/NBD and Gamma-Gamma on the orders up to ``as_of`` (default: now) and store the fit as the
    workspace's model. Raises NotEnoughData (and keeps the last good model) when it cannot."""
    now = now or utcnow()
    as_of = as_of or now
    if as_of.tzinfo is None:
        raise InvalidInput("needs a time zone, e.g. 2026-06-30T23:59:59Z", field="as_of")
    if as_of > now:
        raise InvalidInput("must not be in the future: a fit counts orders that have happened", field="as_of")
    summary = await purchase_summary(session=session, workspace_id=workspace_id, as_of=as_of)
    customers, repeaters = len(summary), summary.repeat_customers
    when = f"up to {as_of.isoformat(timespec='seconds')}"
    if customers == 0:
        raise NotEnoughData(f"no customer has a completed order {when}: the purchase model needs buyers")
    if repeaters == 0:
        raise NotEnoughData(
            f"none of the {_plural(customers, 'customer')} with completed orders {when} bought again on a later "
            "day: the purchase model needs repeat customers"
        )
    started = time.perf_counter()
    try:
        bgnbd, log_likelihood = clv_math.fit_bgnbd(summary.frequency, summary.recency, summary.age)
        spend, spend_log_likelihood = clv_math.fit_gamma_gamma(summary.frequency, summary.monetary)
    except clv_math.FitFailed as failure:
        raise NotEnoughData(
            f"{failure} ({_plural(customers, 'customer')}, {repeaters} of them repeat, {when})"
        ) from None
    seconds = time.perf_counter() - started
    numbers = (bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b, spend.p, spend.q, spend.gamma, log_likelihood,
               spend_log_likelihood)  # fmt: skip
    if not all(math.isfinite(value) for value in numbers):  # never stored: the last good model stays
        raise NotEnoughData(f"the fit gave a non-finite number ({customers} customers, {repeaters} repeat, {when})")
    workspace = await session.get(Workspace, workspace_id)
    model = await session.get(ClvModel, workspace_id)
    if model is None:
        model = ClvModel(workspace_id=workspace_id)
        session.add(model)
    model.as_of = as_of
    model.fitted_at = now
    model.time_zone = workspace.time_zone if workspace is not None else "UTC"
    model.customers = customers
    model.repeat_customers = repeaters
    model.r, model.alpha, model.a, model.b = bgnbd.r, bgnbd.alpha, bgnbd.a, bgnbd.b
    model.p, model.q, model.gamma = spend.p, spend.q, spend.gamma
    model.log_likelihood = log_likelihood
    model.gamma_gamma_log_likelihood = spend_log_likelihood
    model.seconds = seconds
    await session.flush()
    return model


async def get_model(*, session: AsyncSession, workspace_id: int) -> ClvModel | None:
    return await session.get(ClvModel, workspace_id)


async def discount_rate(*, session: AsyncSession, workspace_id: int) -> float:
    """The workspace's annual discount rate for lifetime values (DEFAULT_DISCOUNT_RATE when none is set)."""
    settings = await session.get(SuccessSettings, workspace_id)
    return settings.discount_rate if settings is not None else DEFAULT_DISCOUNT_RATE


@dataclass(frozen=True)
class Predictions:
    p_alive: np.ndarray
    expected_90d: np.ndarray
    expected_365d: np.ndarray
    order_value: np.ndarray
    clv_12m: np.ndarray

    def finite(self) -> np.ndarray:
        """Which customers' predictions are all finite numbers (the others are never stored)."""
        found = np.ones(len(self.p_alive), dtype=bool)
        for column in (self.p_alive, self.expected_90d, self.expected_365d, self.order_value, self.clv_12m):
            found &= np.isfinite(column)
        return found


def predict(model: ClvModel, summary: PurchaseSummary, annual_discount_rate: float) -> Predictions:
    """Every summarised buyer's predictions from a stored model."""
    bgnbd = clv_math.BgNbd(r=model.r, alpha=model.alpha, a=model.a, b=model.b)
    spend = clv_math.GammaGamma(p=model.p, q=model.q, gamma=model.gamma)
    x, tx, T, m = summary.frequency, summary.recency, summary.age, summary.monetary
    return Predictions(
        p_alive=clv_math.p_alive(bgnbd, x, tx, T),
        expected_90d=clv_math.expected_purchases(bgnbd, 90, x, tx, T),
        expected_365d=clv_math.expected_purchases(bgnbd, 365, x, tx, T),
        order_value=clv_math.expected_order_value(spend, x, m),
        clv_12m=clv_math.lifetime_value(
            bgnbd, spend, x, tx, T, m, months=CLV_MONTHS, annual_discount_rate=annual_discount_rate
        ),
    )


async def score_customers(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Predictions of every buyer from the stored model, written to customer_predictions; returns how many."""
    now = now or utcnow()
    model = await session.get(ClvModel, workspace_id)
    if model is None:
        return 0
    summary = await purchase_summary(session=session, workspace_id=workspace_id, as_of=now)
    rate = await discount_rate(session=session, workspace_id=workspace_id)
    found = predict(model, summary, rate)
    keep = found.finite()
    if not keep.all():
        log.warning("workspace %d: %d customers' predictions are not finite numbers and were not stored",
                    workspace_id, int((~keep).sum()))  # fmt: skip
    await session.execute(delete(PREDICTIONS).where(PREDICTIONS.c.workspace_id == workspace_id))
    count = int(keep.sum())
    frequency = summary.frequency[keep]
    monetary: list[float | None] = [
        value if repeat else None
        for value, repeat in zip(summary.monetary[keep].tolist(), (frequency > 0).tolist(), strict=True)
    ]
    columns = (
        summary.contact_id[keep].tolist(),
        [workspace_id] * count,
        frequency.astype(np.int64).tolist(),
        summary.recency[keep].tolist(),
        summary.age[keep].tolist(),
        monetary,
        found.p_alive[keep].tolist(),
        found.expected_90d[keep].tolist(),
        found.expected_365d[keep].tolist(),
        found.order_value[keep].tolist(),
        found.clv_12m[keep].tolist(),
        [now] * count,
    )
    await bulk_insert(session, PREDICTIONS, PREDICTION_COLUMNS, list(zip(*columns, strict=True)))
    return count


async def refit_and_score(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> RefitOutcome:
    """The daily refresh's step: refit as of now, keep the last good model if that fails, score with it."""
    now = now or utcnow()
    problem: str | None = None
    model: ClvModel | None
    try:
        model = await fit_and_store(session=session, workspace_id=workspace_id, as_of=now, now=now)
    except NotEnoughData as failure:
        problem = failure.detail
        model = await session.get(ClvModel, workspace_id)
    scored = await score_customers(session=session, workspace_id=workspace_id, now=now)
    return RefitOutcome(model=model, refitted=problem is None, problem=problem, scored=scored)
