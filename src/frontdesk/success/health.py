"""The health score: each customer from 0 to 100, from documented signals weighted per workspace.

Every signal is scored 0-100 per customer (success/health_signals.py reads them, one grouped query each);
the customer's score is the weighted mean of the signals that have data for them, the weights of the
others left out (renormalised). docs/health.md is the definition; this module is the one place it is
computed. The daily refresh runs it after CLV scoring, so purchase activity uses today's p_alive.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.contacts.service import get_contact
from frontdesk.db import Base, UTCDateTime, bulk_insert, utcnow
from frontdesk.errors import NotFound
from frontdesk.reports.feedback_counts import nps_class
from frontdesk.success import health_signals as signals
from frontdesk.success.health_signals import CSAT_DAYS, SENTIMENT_DAYS, SIGNAL_NAMES, SUPPORT_LOAD_DAYS, Floats
from frontdesk.success.models import CustomerHealth, HealthHistory
from frontdesk.success.settings import effective_weights, get_success_settings

REASON_BELOW = 60  # a signal scoring under this pulls the score down and is named in the reasons
INTERVAL_ZERO_AT = 4.0  # a repeat buyer scores 0 at four times their usual interval without an order
MIN_INTERVAL_DAYS = 1.0  # several orders on one day: their usual interval counts as a day
COMPLAINT_SCORES = (100.0, 40.0, 0.0)  # none, one, two or more open complaints
TIMES = "\u00d7"  # the multiplication sign: "no order for 3\u00d7 their usual interval"
SUPPORT_STEP = 20.0  # points off per conversation beyond the first in SUPPORT_LOAD_DAYS

HISTORY = Base.metadata.tables[HealthHistory.__tablename__]
# customer_health as bulk_insert writes it: components and reasons given as JSON text already, built once
# here for both databases (COPY on PostgreSQL takes text for a json column; SQLite stores text).
HEALTH_ROWS = Table(
    CustomerHealth.__tablename__,
    MetaData(),
    Column("contact_id", BigInteger),
    Column("workspace_id", BigInteger),
    Column("score", Integer),
    Column("components", Text),
    Column("reasons", Text),
    Column("computed_at", UTCDateTime()),
)


@dataclass
class _Scored:
    """Per signal (in SIGNAL_NAMES order): raw values and 0-100 scores, NaN where the customer has no data."""

    values: dict[str, Floats]
    scores: dict[str, Floats]
    extra: dict[str, Floats]  # what the reasons and components need besides the value


def _clip(x: Floats) -> Floats:
    return np.clip(x, 0.0, 100.0)


def _whole(x: Floats) -> Floats:
    """Half up to a whole number (NaN stays NaN), as the final score is rounded."""
    return np.floor(x + 0.5)


def _score_signals(
    customers: signals.Customers, keyed: dict[str, signals.Keyed], today: float, lapsed_after_days: int
) -> _Scored:
    ids = customers.ids
    days_since = np.maximum(today - customers.last_order_day, 0.0)
    repeat = customers.orders >= 2
    # The usual interval: first to last order, over the gaps between them.
    gaps = np.maximum(customers.orders - 1, 1)
    interval = np.maximum((customers.last_order_day - customers.first_order_day) / gaps, MIN_INTERVAL_DAYS)
    ratio = np.where(repeat, days_since / interval, days_since / lapsed_after_days)
    p_alive = signals.align(ids, keyed["p_alive"])
    has_p = ~np.isnan(p_alive)
    by_interval = _clip(100.0 * (INTERVAL_ZERO_AT - ratio) / (INTERVAL_ZERO_AT - 1.0))
    by_lapse = _clip(100.0 * (1.0 - ratio))
    purchase = np.where(has_p, _clip(100.0 * np.nan_to_num(p_alive)), np.where(repeat, by_interval, by_lapse))
    purchase_value = np.where(has_p, p_alive, ratio)
    # basis: 0 p_alive, 1 interval, 2 one order against the lapsed threshold
    basis = np.where(has_p, 0.0, np.where(repeat, 1.0, 2.0))

    complaints = signals.align(ids, keyed["complaints"], fill=0.0)
    complaint_score = np.where(complaints == 0, COMPLAINT_SCORES[0], np.where(complaints == 1, *COMPLAINT_SCORES[1:]))

    nps = signals.align(ids, keyed["nps"])

    csat_sum, csat_count = (signals.align(ids, keyed["csat"], c, fill=0.0) for c in (0, 1))
    with np.errstate(invalid="ignore", divide="ignore"):
        csat = np.where(csat_count > 0, csat_sum / csat_count, np.nan)
        recent_sum, recent_n, previous_sum, previous_n = (
            signals.align(ids, keyed["sentiment"], c, fill=0.0) for c in range(4)
        )
        recent = np.where(recent_n > 0, recent_sum / recent_n, np.nan)
        previous = np.where(previous_n > 0, previous_sum / previous_n, np.nan)
    change = np.where(np.isnan(previous), 0.0, recent - previous)
    # Only what is negative or falling lowers it: neutral or better, and steady, is 100.
    sentiment = _clip(100.0 + 100.0 * np.minimum(recent, 0.0) + 100.0 * np.minimum(change, 0.0))

    load = signals.align(ids, keyed["support_load"], fill=0.0)
    support = _clip(100.0 - SUPPORT_STEP * np.maximum(load - 1.0, 0.0))

    return _Scored(
        values={
            "purchase_activity": purchase_value,
            "complaints": complaints,
            "nps": nps,
            "csat": csat,
            "sentiment_trend": recent,
            "support_load": load,
        },
        scores={
            "purchase_activity": _whole(purchase),
            "complaints": complaint_score,
            "nps": _whole(nps * 10.0),
            "csat": _whole((csat - 1.0) * 25.0),
            "sentiment_trend": _whole(sentiment),  # NaN stays NaN: no recent text, no signal
            "support_load": support,
        },
        extra={
            "basis": basis,
            "repeat": repeat.astype(np.float64),
            "ratio": ratio,
            "days_since": days_since,
            "previous": previous,
        },
    )


def _times(ratio: float) -> str:
    shown = f"{ratio:.1f}".removesuffix(".0") if ratio < 10 else f"{ratio:.0f}"
    return f"{shown}{TIMES}"


def _signed(x: float) -> str:
    return f"{x:+.1f}"


def _reason(name: str, value: float, extra: dict[str, float]) -> str:
    """The phrase for a signal that pulls the score down (docs/health.md lists them)."""
    if name == "purchase_activity":
        basis, ratio = extra["basis"], extra["ratio"]
        if basis == 2:
            return f"one order only, {extra['days_since']:.0f} days ago"
        overdue = f"no order for {_times(ratio)} their usual interval"
        if basis == 1:
            return overdue
        still = f"{round(value * 100)}% likely still buying"
        return f"{still} ({overdue})" if extra["repeat"] and ratio >= 1.5 else still
    if name == "complaints":
        return f"{value:.0f} open complaint{'s' if value != 1 else ''}"
    if name == "nps":
        return f"last NPS answer {value:.0f} ({nps_class(int(value))})"
    if name == "csat":
        return f"CSAT {value:.1f} of 5 in {CSAT_DAYS} days"
    if name == "sentiment_trend":
        previous = extra["previous"]
        if not math.isnan(previous) and value < previous:
            return f"sentiment falling ({_signed(value)} from {_signed(previous)})"
        return f"negative sentiment ({_signed(value)} in {SENTIMENT_DAYS} days)"
    return f"{value:.0f} conversations in {SUPPORT_LOAD_DAYS} days"


def _number(x: float) -> float | int:
    return int(x) if x == int(x) else round(x, 3)


def _combine(
    scored: _Scored, weights: dict[str, float], ids: list[int]
) -> tuple[list[int], list[int], list[str], list[str]]:
    """The weighted means, and each customer's components and reasons as JSON text: (ids, scores, ...)."""
    names = list(SIGNAL_NAMES)
    w = np.array([weights[n] for n in names])
    matrix = np.column_stack([scored.scores[n] for n in names]) if ids else np.zeros((0, len(names)))
    counted = ~np.isnan(matrix) & (w > 0)
    total_weight = (counted * w).sum(axis=1)
    weighted = np.where(counted, np.nan_to_num(matrix) * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        final = np.floor(weighted / total_weight + 0.5)  # half up; NaN where no signal counts
    # Python lists from here: the loop below reads them element by element, far faster than numpy indexing.
    has_score = cast(list[bool], np.greater(total_weight, 0).tolist())
    final_scores: list[float] = final.tolist()
    pulls_down: npt.NDArray[np.bool_] = counted & (np.nan_to_num(matrix, nan=100.0) < REASON_BELOW)
    any_reason = cast(list[bool], pulls_down.any(axis=1).tolist())

    values = [scored.values[n].tolist() for n in names]
    scores = [scored.scores[n].tolist() for n in names]
    extra = {key: column.tolist() for key, column in scored.extra.items()}
    basis_names = ("p_alive", "usual_interval", "lapsed_after_days")
    out_ids: list[int] = []
    out_scores: list[int] = []
    out_components: list[str] = []
    out_reasons: list[str] = []
    for i, contact_id in enumerate(ids):
        if not has_score[i]:
            continue  # every signal with data weighs 0 here: nothing to score them on
        components: dict[str, Any] = {}
        for j, name in enumerate(names):
            value, score = values[j][i], scores[j][i]
            if math.isnan(score):
                components[name] = {"value": None, "score": None, "weight": _number(w[j]), "missing": True}
            else:
                components[name] = {"value": _number(value), "score": int(score), "weight": _number(w[j])}
        components["purchase_activity"]["basis"] = basis_names[int(extra["basis"][i])]
        if not math.isnan(extra["previous"][i]):
            components["sentiment_trend"]["previous"] = round(extra["previous"][i], 3)
        reasons: list[str] = []
        if any_reason[i]:
            row_extra = {key: column[i] for key, column in extra.items()}
            down = sorted((scores[j][i], j) for j in range(len(names)) if pulls_down[i, j].item())
            reasons = [_reason(names[j], values[j][i], row_extra) for _, j in down]
        out_ids.append(contact_id)
        out_scores.append(int(final_scores[i]))
        out_components.append(json.dumps(components, separators=(",", ":")))
        out_reasons.append(json.dumps(reasons, ensure_ascii=False))
    return out_ids, out_scores, out_components, out_reasons


async def score_health(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Every customer's score, components and reasons into customer_health, a health_history row where the score
    moved; returns how many customers were scored. Reads customer_predictions, so it runs after CLV scoring."""
    now = now or utcnow()
    settings = await get_success_settings(session=session, workspace_id=workspace_id)
    weights = effective_weights(settings)
    lapsed_after_days = (await get_commerce_settings(session=session, workspace_id=workspace_id)).lapsed_after_days
    customers = await signals.read_customers(session, workspace_id)
    keyed = {
        "p_alive": await signals.read_p_alive(session, workspace_id),
        "complaints": await signals.read_open_complaints(session, workspace_id),
        "nps": await signals.read_latest_nps(session, workspace_id, now),
        "csat": await signals.read_csat(session, workspace_id, now),
        "sentiment": await signals.read_sentiment(session, workspace_id, now),
        "support_load": await signals.read_support_load(session, workspace_id, now),
    }
    scored = _score_signals(customers, keyed, signals.epoch_days(now), lapsed_after_days)
    ids, scores, components, reasons = _combine(scored, weights, customers.ids.tolist())

    current = select(CustomerHealth.contact_id, CustomerHealth.score).where(CustomerHealth.workspace_id == workspace_id)
    previous = dict((await session.execute(current)).all())
    # Rewritten wholesale: a contact no longer a customer loses its row (its history stays).
    await session.execute(delete(CustomerHealth).where(CustomerHealth.workspace_id == workspace_id))
    columns = ("contact_id", "workspace_id", "score", "components", "reasons", "computed_at")
    await bulk_insert(
        session,
        HEALTH_ROWS,
        columns,
        list(zip(ids, [workspace_id] * len(ids), scores, components, reasons, [now] * len(ids), strict=True)),
    )
    moved = [
        (workspace_id, contact_id, score, now)
        for contact_id, score in zip(ids, scores, strict=True)
        if previous.get(contact_id) != score
    ]
    await bulk_insert(session, HISTORY, ("workspace_id", "contact_id", "score", "recorded_at"), moved)
    session.expire_all()  # ORM objects of these tables loaded before are stale now
    return len(ids)


class HealthPoint(BaseModel):
    score: int
    recorded_at: datetime


class ContactHealth(BaseModel):
    score: int = Field(description="0-100: the weighted mean of the signal scores that have data")
    components: dict[str, Any] = Field(
        description='Per signal: {"value": raw, "score": 0-100, "weight": w}; "missing": true where the customer '
        "has no data for it (its weight is then left out)"
    )
    reasons: list[str] = Field(description="The signals pulling the score down, worst first, in words")
    computed_at: datetime
    history: list[HealthPoint] = Field(description="The score each time it changed, newest first")


async def get_contact_health(
    *, session: AsyncSession, workspace_id: int, contact_id: int, history_limit: int = 30
) -> ContactHealth:
    """The contact's current health and its latest changes; NotFound for another workspace's contact or an
    unscored one."""
    await get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id)
    health = await session.scalar(
        select(CustomerHealth).where(
            CustomerHealth.contact_id == contact_id, CustomerHealth.workspace_id == workspace_id
        )
    )
    if health is None:
        raise NotFound(f"contact {contact_id} has no health score (not a customer, or not scored yet)")
    history = (
        await session.execute(
            select(HealthHistory.score, HealthHistory.recorded_at)
            .where(HealthHistory.contact_id == contact_id, HealthHistory.workspace_id == workspace_id)
            .order_by(HealthHistory.recorded_at.desc(), HealthHistory.id.desc())
            .limit(history_limit)
        )
    ).all()
    return ContactHealth(
        score=health.score,
        components=health.components,
        reasons=health.reasons,
        computed_at=health.computed_at,
        history=[HealthPoint(score=score, recorded_at=at) for score, at in history],
    )
