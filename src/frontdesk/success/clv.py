"""Fitting the workspace's purchase model on its completed orders, storing it, and scoring every buyer with it.

Purchase occasions follow Fader, Hardie & Lee: a customer's orders on one calendar day (in the workspace's
time zone) are one occasion; frequency counts the repeat occasions; recency and T run from the first occasion
(to the last one, and to the as-of instant); monetary value is the mean revenue of the repeat occasions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.errors import InvalidInput
from frontdesk.success.models import ClvModel


class NotEnoughData(InvalidInput):
    """The fit cannot be made: no buyers, nobody who repeated, or the optimiser did not converge (422)."""


@dataclass(frozen=True)
class RefitOutcome:
    model: ClvModel | None  # the model scoring used: the new fit, or the last good one when the refit failed
    refitted: bool
    problem: str | None  # why the refit failed, in words (NotEnoughData's message)
    scored: int  # customers scored


async def fit_and_store(
    *, session: AsyncSession, workspace_id: int, as_of: datetime | None = None, now: datetime | None = None
) -> ClvModel:
    """Fit BG/NBD and Gamma-Gamma on the orders up to ``as_of`` (default: now) and store the fit as the
    workspace's model. Raises NotEnoughData (and keeps the last good model) when it cannot."""
    raise NotEnoughData("the purchase model is not built yet")


async def score_customers(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Predictions of every buyer from the stored model, written to customer_predictions; returns how many."""
    return 0


async def refit_and_score(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> RefitOutcome:
    """The daily refresh's step: refit as of now, keep the last good model if that fails, score with it."""
    return RefitOutcome(model=None, refitted=False, problem="the purchase model is not built yet", scored=0)
