"""The health score: each customer from 0 to 100, from documented signals weighted per workspace.

Every signal is scored 0-100 per customer (success/health_signals.py reads them, one grouped query each);
the customer's score is the weighted mean of the signals that have data for them, the weights of the
others left out (renormalised). docs/health.md is the definition; this module is the one place it is
computed. The daily refresh runs it after CLV scoring, so purchase activity uses today's p_alive.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any, cast

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, Field
from sqlalchemy import BigInteger, Column, Integer, MetaData, Table, Text, delete, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings
from frontdesk.contacts.service import get_contact
from frontdesk.db import Base, UTCDateTime, bulk_insert, utcnow
from frontdesk.errors import NotFound
from frontdesk.success import health_signals as signals
from frontdesk.success.health_signals import SIGNAL_NAMES, Floats
from frontdesk.success.health_text import Scored, fragments, grouped_text, phrase, reason_inputs
from frontdesk.success.models import CustomerHealth, HealthHistory
from frontdesk.success.settings import effective_weights, get_success_settings

REASON_BELOW = 60  # a signal scoring under this pulls the score down and is named in the reasons
INTERVAL_ZERO_AT = 4.0  # a repeat buyer scores 0 at four times their usual interval without an order
MIN_INTERVAL_DAYS = 1.0  # several orders on one day: their usual interval counts as a day
COMPLAINT_SCORES = (100.0, 40.0, 0.0)  # none, one, two or more open complaints
SUPPORT_STEP = 20.0  # points off per conversation beyond the first in SUPPORT_LOAD_DAYS

HISTORY = Base.metadata.tables[HealthHistory.__tablename__]
# customer_health as bulk_insert writes it: components and reasons given as JSON text already, built once
# here for both databases (COPY on PostgreSQL takes text for a json column; SQLite stores text), and the
# time as the value the database stores (_stored_time), so no value of 700k rows needs converting per row.
HEALTH_ROWS = Table(
    CustomerHealth.__tablename__,
    MetaData(),
    Column("contact_id", BigInteger),
    Column("workspace_id", BigInteger),
    Column("score", Integer),
    Column("components", Text),
    Column("reasons", Text),
    Column("computed_at", Text),
)


def _clip(x: Floats) -> Floats:
    return np.clip(x, 0.0, 100.0)


def _whole(x: Floats) -> Floats:
    """Half up to a whole number (NaN stays NaN), as the final score is rounded."""
    return np.floor(x + 0.5)


def _score_signals(
    customers: signals.Customers, keyed: dict[str, signals.Keyed], today: float, lapsed_after_days: int
) -> Scored:
    ids = customers.ids
    days_since = np.maximum(today - customers.last_order_day, 0.0)
    repeat = customers.orders >= 2
    # The usual interval: first to last order, over the gaps between them.
    gaps = np.maximum(customers.orders - 1, 1)
    interval = np.maximum((customers.last_order_day - customers.first_order_day) / gaps, MIN_INTERVAL_DAYS)
    ratio = np.where(repeat, days_since / interval, days_since / lapsed_after_days)
    p_alive = customers.p_alive
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

    return Scored(
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


def _stored_time(dialect: Dialect, moment: datetime) -> Any:
    """``moment`` as a UTCDateTime column stores it: SQLite's text form, PostgreSQL's own (COPY converts)."""
    if dialect.name == "postgresql":
        return moment
    process = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    return process(moment) if process else moment


def _combine(
    scored: Scored, weights: dict[str, float], ids: npt.NDArray[np.int64]
) -> tuple[list[int], list[int], list[str], list[str]]:
    """The weighted means, and each customer's components and reasons as JSON text: (ids, scores, ...)."""
    names = list(SIGNAL_NAMES)
    w = np.array([weights[n] for n in names])
    matrix = np.column_stack([scored.scores[n] for n in names]) if len(ids) else np.zeros((0, len(names)))
    counted = ~np.isnan(matrix) & (w > 0)
    total_weight = (counted * w).sum(axis=1)
    weighted = np.where(counted, np.nan_to_num(matrix) * w, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        final = np.floor(weighted / total_weight + 0.5)  # half up; NaN where no signal counts
    pulls_down: npt.NDArray[np.bool_] = counted & (np.nan_to_num(matrix, nan=100.0) < REASON_BELOW)

    parts = [fragments(name, scored, weights[name]).tolist() for name in names]
    components = ["{" + ",".join(row) + "}" for row in zip(*parts, strict=True)]

    # Reasons: the phrase of each signal pulling a customer down, then per customer worst first.
    phrases = np.full((len(ids), len(names)), "", dtype=object)
    for j, name in enumerate(names):
        rows = np.flatnonzero(pulls_down[:, j])
        if len(rows):
            phrases[rows, j] = grouped_text(reason_inputs(name, scored)[rows], partial(phrase, name))
    reasons = np.full(len(ids), "[]", dtype=object)
    counts = pulls_down.sum(axis=1)
    single = np.flatnonzero(counts == 1)
    if len(single):  # most customers with reasons have one: no sorting needed
        reasons[single] = '["' + phrases[single, np.argmax(pulls_down[single], axis=1)] + '"]'
    several = np.flatnonzero(counts > 1)
    order = np.argsort(np.where(pulls_down[several], matrix[several], np.inf), axis=1, kind="stable").tolist()
    for k, i in enumerate(several.tolist()):
        texts = phrases[i].tolist()
        # The phrases are Frontdesk's own words and numbers: no quote or backslash to escape.
        reasons[i] = '["' + '","'.join(texts[j] for j in order[k][: counts[i]]) + '"]'
    reason_texts = cast(list[str], reasons.tolist())

    # A customer whose every signal with data weighs 0 has nothing to be scored on: no row.
    keep = np.flatnonzero(total_weight > 0).tolist()
    if len(keep) == len(ids):
        return ids.tolist(), final.astype(np.int64).tolist(), components, reason_texts
    all_ids, all_scores = ids.tolist(), final.tolist()
    return (
        [all_ids[i] for i in keep],
        [int(all_scores[i]) for i in keep],
        [components[i] for i in keep],
        [reason_texts[i] for i in keep],
    )


async def score_health(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Every customer's score, components and reasons into customer_health, a health_history row where the score
    moved; returns how many customers were scored. Reads customer_predictions, so it runs after CLV scoring."""
    now = now or utcnow()
    settings = await get_success_settings(session=session, workspace_id=workspace_id)
    weights = effective_weights(settings)
    lapsed_after_days = (await get_commerce_settings(session=session, workspace_id=workspace_id)).lapsed_after_days
    customers = await signals.read_customers(session, workspace_id)
    keyed = {
        "complaints": await signals.read_open_complaints(session, workspace_id),
        "nps": await signals.read_latest_nps(session, workspace_id, now),
        "csat": await signals.read_csat(session, workspace_id, now),
        "sentiment": await signals.read_sentiment(session, workspace_id, now),
        "support_load": await signals.read_support_load(session, workspace_id, now),
    }
    scored = _score_signals(customers, keyed, signals.epoch_days(now), lapsed_after_days)
    ids, scores, components, reasons = _combine(scored, weights, customers.ids)

    connection = await session.connection()
    # Rewritten wholesale: a contact no longer a customer loses its row (its history stays).
    in_workspace = signals.of_workspace(HEALTH_ROWS.c.workspace_id, workspace_id, connection.dialect.name)
    await connection.execute(delete(HEALTH_ROWS).where(in_workspace))
    columns = ("contact_id", "workspace_id", "score", "components", "reasons", "computed_at")
    at = _stored_time(connection.dialect, now)
    rows = list(zip(ids, [workspace_id] * len(ids), scores, components, reasons, [at] * len(ids), strict=True))
    await bulk_insert(session, HEALTH_ROWS, columns, rows)
    # History where the whole-number score moved, or the customer had none (NaN before).
    was = signals.align(np.array(ids, dtype=np.int64), signals.Keyed(customers.ids, (customers.previous_score,)))
    moved_at = np.flatnonzero(~(was == np.array(scores, dtype=np.float64))).tolist()  # NaN never equals
    moved = [(workspace_id, ids[i], scores[i], now) for i in moved_at]
    await bulk_insert(session, HISTORY, ("workspace_id", "contact_id", "score", "recorded_at"), moved)
    # Health objects this session loaded before are stale now: forget them (expiring would make their next
    # read a lazy load, which an async session cannot do implicitly).
    for stale in [o for o in session.identity_map.values() if isinstance(o, CustomerHealth)]:
        session.expunge(stale)
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
