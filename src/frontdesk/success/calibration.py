"""Is the purchase model right for this business? The calibration/holdout check of Fader, Hardie & Lee.

The history is split at the end of a local day: the model is fitted on the orders up to it (the calibration
period) and predicts each of those customers' repeat purchases in the days after it (the holdout period), up to
the end of a later day. The prediction is set against what the customers actually did, in total and per number
of repeat purchases in the calibration period (0, 1, ... 7+): a model that tracks the actual numbers in every
group can be trusted with the predictions on the contact page; one that does not says so here first.

A customer's purchases in the holdout are their purchase occasions up to its end minus those up to the split:
occasions are local days, and the split falls on a day's end, so no day is counted in both periods.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import numpy as np
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput
from frontdesk.reports.charts import Chart, Series
from frontdesk.reports.controls import local_midnight, zone_of
from frontdesk.success.clv import NotEnoughData
from frontdesk.success.clv_math import FitFailed, expected_purchases, fit_bgnbd
from frontdesk.success.clv_summary import purchase_summary
from frontdesk.workspaces.service import get_workspace

TOP_GROUP = 7  # calibration purchases of 7 and more share the last group, as in the paper's figure
DEFAULT_HOLDOUT_DAYS = 182


class CalibrationModel(BaseModel):
    r: float
    alpha: float
    a: float
    b: float
    log_likelihood: float


class CalibrationGroup(BaseModel):
    calibration_purchases: str  # "0" ... "6", "7+": repeat purchases in the calibration period
    customers: int
    predicted: float  # repeat purchases in the holdout, summed over the group's customers
    actual: int
    predicted_per_customer: float
    actual_per_customer: float


class CalibrationReport(BaseModel):
    split: date  # the calibration period's last local day
    end: date  # the holdout period's last local day
    time_zone: str
    unit: str = "day"
    calibration_days: int  # from the first purchase counted to the split
    holdout_days: int
    customers: int  # who bought by the split: the customers predicted for
    repeat_customers: int  # who bought on a second day by the split
    model: CalibrationModel
    predicted: float  # repeat purchases in the holdout, all customers
    actual: int
    difference_percent: float | None  # (predicted - actual) / actual
    groups: list[CalibrationGroup]


def _day_end(day: date, zone_name: str) -> datetime:
    """The last instant of ``day`` in the zone: the as-of at which ``day`` is the last day counted."""
    return local_midnight(day + timedelta(days=1), zone_of(zone_name)) - timedelta(microseconds=1)


def _group_label(purchases: int) -> str:
    return f"{TOP_GROUP}+" if purchases >= TOP_GROUP else str(purchases)


async def calibration_report(
    *,
    session: AsyncSession,
    workspace_id: int,
    split: date | None = None,
    end: date | None = None,
    now: datetime | None = None,
) -> CalibrationReport:
    """Fit on the orders up to the end of ``split``; predicted against actual repeat purchases up to ``end``.

    ``split`` defaults to 183 days before today, ``end`` to ``split`` + 182 days or yesterday, whichever is
    earlier: by default the last half year is the holdout. Both are local days of the workspace's time zone.
    Raises InvalidInput naming ``split`` or ``end`` for a period that cannot be checked, and NotEnoughData when
    the calibration period cannot be fitted.
    """
    workspace = await get_workspace(session=session, workspace_id=workspace_id)
    zone_name = workspace.time_zone
    today = (now or utcnow()).astimezone(zone_of(zone_name)).date()
    if split is None:
        split = today - timedelta(days=DEFAULT_HOLDOUT_DAYS + 1)
    if split >= today:
        raise InvalidInput(
            "the split must be a past day: the holdout period after it is what is checked", field="split"
        )
    if end is None:
        end = min(split + timedelta(days=DEFAULT_HOLDOUT_DAYS), today - timedelta(days=1))
        end = max(end, split + timedelta(days=1))
    if end <= split:
        raise InvalidInput("the holdout period must end after the split", field="end")
    if end > today:
        raise InvalidInput(f"the holdout period cannot end after today ({today.isoformat()})", field="end")

    calibration = await purchase_summary(session=session, workspace_id=workspace_id, as_of=_day_end(split, zone_name))
    customers = len(calibration.contact_id)
    if not customers:
        raise NotEnoughData(
            f"no completed orders up to {split.isoformat()}: nothing to fit the model on", field="split"
        )
    try:
        model, log_likelihood = fit_bgnbd(calibration.frequency, calibration.recency, calibration.age)
    except FitFailed as failure:
        problem = f"the calibration period up to {split.isoformat()} cannot be fitted: {failure}"
        raise NotEnoughData(problem, field="split") from None

    whole = await purchase_summary(session=session, workspace_id=workspace_id, as_of=_day_end(end, zone_name))
    # Occasions up to the end minus occasions up to the split. Every calibration customer is in ``whole`` (orders
    # only add), unless an order was refunded or its buyer erased since: then they count as buying nothing more.
    position = {contact_id: index for index, contact_id in enumerate(whole.contact_id.tolist())}
    later = np.array([position.get(contact_id, -1) for contact_id in calibration.contact_id.tolist()], dtype=np.int64)
    frequency_at_end = np.where(later >= 0, whole.frequency[np.maximum(later, 0)], calibration.frequency)
    actual = np.maximum(frequency_at_end - calibration.frequency, 0.0)
    holdout_days = (end - split).days
    predicted = expected_purchases(
        model, float(holdout_days), calibration.frequency, calibration.recency, calibration.age
    )

    groups: list[CalibrationGroup] = []
    capped = np.minimum(calibration.frequency, TOP_GROUP).astype(np.int64)
    for purchases in range(TOP_GROUP + 1):
        members = capped == purchases
        count = int(members.sum())
        predicted_sum = float(predicted[members].sum())
        actual_sum = round(float(actual[members].sum()))
        groups.append(
            CalibrationGroup(
                calibration_purchases=_group_label(purchases),
                customers=count,
                predicted=round(predicted_sum, 2),
                actual=actual_sum,
                predicted_per_customer=round(predicted_sum / count, 4) if count else 0.0,
                actual_per_customer=round(actual_sum / count, 4) if count else 0.0,
            )
        )
    predicted_total = float(predicted.sum())
    actual_total = round(float(actual.sum()))
    return CalibrationReport(
        split=split,
        end=end,
        time_zone=zone_name,
        calibration_days=int(calibration.age.max()),
        holdout_days=holdout_days,
        customers=customers,
        repeat_customers=int((calibration.frequency > 0).sum()),
        model=CalibrationModel(r=model.r, alpha=model.alpha, a=model.a, b=model.b, log_likelihood=log_likelihood),
        predicted=round(predicted_total, 2),
        actual=actual_total,
        difference_percent=round((predicted_total - actual_total) / actual_total * 100, 2) if actual_total else None,
        groups=groups,
    )


def calibration_chart(report: CalibrationReport) -> Chart:
    """Predicted against actual holdout purchases per customer, by calibration purchases (the paper's figure)."""
    return Chart(
        key="calibration",
        title="Repeat purchases in the holdout period, per customer",
        kind="bar",
        labels=[group.calibration_purchases for group in report.groups],
        series=[
            Series("Predicted", [group.predicted_per_customer for group in report.groups]),
            Series("Actual", [group.actual_per_customer for group in report.groups]),
        ],
        note=f"By repeat purchases up to {report.split.isoformat()}; holdout {report.holdout_days} days to "
        f"{report.end.isoformat()}.",
        extra_rows=[Series("Customers", [group.customers for group in report.groups])],
    )
