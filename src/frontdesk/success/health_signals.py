"""The health score's signals: what each one is, its default weight, and the grouped query that reads it.

Each ``read_*`` function is ONE grouped SQL statement over the whole workspace (never a query per customer)
and returns plain arrays keyed by contact id; ``success/health.py`` aligns them with the customers and scores
them with numpy. docs/health.md defines every signal and its scoring.

The queries read other domains' tables directly, as segments/compiler.py does for its figure fields: a
service call per domain would either be one query per customer or a copy of this same statement there.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain
from operator import itemgetter
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import Float, and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from frontdesk.commerce.models import CustomerFigures
from frontdesk.complaints.models import Complaint, ComplaintStatus
from frontdesk.conversations.models import AuthorType, Conversation, Message
from frontdesk.db import UTCDateTime
from frontdesk.reviews.models import Review
from frontdesk.success.models import CustomerHealth, CustomerPrediction
from frontdesk.surveys.models import SurveyRecipient

Floats = npt.NDArray[np.float64]
AnySelect = Select[*tuple[Any, ...]]  # a select of any columns
Ints = npt.NDArray[np.int64]

CSAT_DAYS = 180  # chat ratings counted
SENTIMENT_DAYS = 90  # the recent window; the previous one is the 90 days before it
SUPPORT_LOAD_DAYS = 30  # conversations counted as recent support load


@dataclass(frozen=True)
class Signal:
    name: str  # the key in the API, in components and in SuccessSettings.health_weights
    label: str
    default_weight: float
    explanation: str  # one line, shown next to the weight on the Settings page


SIGNALS: tuple[Signal, ...] = (
    Signal(
        "purchase_activity",
        "Purchase activity",
        35,
        "Still buying: the purchase model's chance they are active, or days since their last order against "
        "their usual interval (one order: against the lapsed threshold).",
    ),
    Signal("complaints", "Open complaints", 20, "Complaints not yet resolved: none 100, one 40, two or more 0."),
    Signal("nps", "NPS", 15, "Their latest NPS answer (0-10) times 10; left out if they never answered."),
    Signal("csat", "CSAT", 10, "Their chat ratings of the last 180 days, 1-5 stars mapped to 0-100."),
    Signal(
        "sentiment_trend",
        "Sentiment trend",
        10,
        "How their chats, reviews and survey comments read in the last 90 days, and against the 90 before: "
        "negative or falling lowers it.",
    ),
    Signal(
        "support_load",
        "Support load",
        10,
        "Conversations they started in the last 30 days: none or one 100, each one more takes 20 off.",
    ),
)
SIGNAL_NAMES: tuple[str, ...] = tuple(signal.name for signal in SIGNALS)
DEFAULT_WEIGHTS: dict[str, float] = {signal.name: signal.default_weight for signal in SIGNALS}


def _epoch_days(column: Any, dialect: str) -> Any:
    """The timestamp as days since 1970 (a float), computed in the database: reading 700k timestamps as
    Python datetimes would cost seconds of parsing on SQLite, where they are stored as text."""
    if dialect == "postgresql":
        return func.extract("epoch", column) / 86400.0
    return func.julianday(column) - 2440587.5


def of_workspace(column: Any, workspace_id: int, dialect: str) -> Any:
    """``column = workspace_id`` for a statement that reads (or deletes) most of a table's rows.

    On SQLite, written so that no index serves it (``+ 0``): the workspace indexes list rows in another order
    (first order, score), and fetching 300k rows through them reads the table at random, five times slower
    than one scan in key order, which also makes the joins to predictions and health sequential. PostgreSQL's
    planner chooses a sequential scan by itself when the workspace is most of the table."""
    return (column + 0 if dialect == "sqlite" else column) == workspace_id


def epoch_days(moment: datetime) -> float:
    return moment.timestamp() / 86400.0


@dataclass(frozen=True)
class Customers:
    """The workspace's customers (a figures row with orders), sorted by contact id, with what the purchase
    model predicts for them and their score so far (NaN where they have none)."""

    ids: Ints
    orders: Ints
    first_order_day: Floats  # days since 1970
    last_order_day: Floats
    p_alive: Floats
    previous_score: Floats


async def _rows(session: AsyncSession, statement: AnySelect) -> tuple[Ints, Floats]:
    """The statement's rows (contact id first, then numbers, none NULL) as an id array and a float matrix.

    Executed on the Core connection (the ORM's result layer costs more per row than the query itself at 700k
    rows) and turned into arrays by numpy's C loops, not by Python code per row."""
    rows = (await (await session.connection()).execute(statement)).all()
    width = len(statement.selected_columns)
    ids = np.fromiter(map(itemgetter(0), rows), dtype=np.int64, count=len(rows))
    numbers = np.fromiter(chain.from_iterable(rows), dtype=np.float64, count=len(rows) * width)
    return ids, numbers.reshape(len(rows), width)[:, 1:]


NONE = -1.0  # stands for NULL in the customers query (p_alive and scores are never negative)


async def read_customers(session: AsyncSession, workspace_id: int) -> Customers:
    """One query: the figures, joined with the purchase prediction and the current health row (each a lookup
    by primary key), so neither costs a second pass over 700k rows."""
    dialect = session.get_bind().dialect.name
    statement = (
        select(
            CustomerFigures.contact_id,
            CustomerFigures.orders,
            _epoch_days(CustomerFigures.first_order_at, dialect),
            _epoch_days(CustomerFigures.last_order_at, dialect),
            func.coalesce(CustomerPrediction.p_alive, NONE),
            func.coalesce(CustomerHealth.score, NONE),
        )
        .outerjoin(
            CustomerPrediction,
            (CustomerPrediction.contact_id == CustomerFigures.contact_id)
            & (CustomerPrediction.workspace_id == workspace_id),
        )
        .outerjoin(
            CustomerHealth,
            (CustomerHealth.contact_id == CustomerFigures.contact_id) & (CustomerHealth.workspace_id == workspace_id),
        )
        .where(
            of_workspace(CustomerFigures.workspace_id, workspace_id, dialect),
            CustomerFigures.orders > 0,
            CustomerFigures.first_order_at.is_not(None),
            CustomerFigures.last_order_at.is_not(None),
        )
    )
    ids, numbers = await _rows(session, statement)
    order = np.argsort(ids, kind="stable")  # sorted here: the database need not sort 700k rows
    numbers = np.where(numbers[order] == NONE, np.nan, numbers[order])
    orders, first, last, p_alive, previous = (numbers[:, c].copy() for c in range(5))
    return Customers(ids[order], orders.astype(np.int64), first, last, p_alive, previous)


@dataclass(frozen=True)
class Keyed:
    """Values per contact id, for some contacts (the others have no data): columns of equal length."""

    ids: Ints
    columns: tuple[Floats, ...]


async def _keyed(session: AsyncSession, statement: AnySelect) -> Keyed:
    ids, numbers = await _rows(session, statement)
    return Keyed(ids, tuple(numbers[:, c].copy() for c in range(numbers.shape[1])))


async def read_open_complaints(session: AsyncSession, workspace_id: int) -> Keyed:
    statement = (
        select(Complaint.contact_id, func.count())
        .where(
            Complaint.workspace_id == workspace_id,
            Complaint.status != ComplaintStatus.resolved.value,
            Complaint.contact_id.is_not(None),
        )
        .group_by(Complaint.contact_id)
    )
    return await _keyed(session, statement)


async def read_latest_nps(session: AsyncSession, workspace_id: int, now: datetime) -> Keyed:
    """Each contact's latest answered score (by answered_at, up to now)."""
    ranked = (
        select(
            SurveyRecipient.contact_id.label("contact_id"),
            SurveyRecipient.score.label("score"),
            func.row_number()
            .over(
                partition_by=SurveyRecipient.contact_id,
                order_by=(SurveyRecipient.answered_at.desc(), SurveyRecipient.id.desc()),
            )
            .label("rank"),
        )
        .where(
            SurveyRecipient.workspace_id == workspace_id,
            SurveyRecipient.contact_id.is_not(None),
            SurveyRecipient.score.is_not(None),
            SurveyRecipient.answered_at <= now,
        )
        .subquery()
    )
    statement = select(ranked.c.contact_id, ranked.c.score).where(ranked.c.rank == 1)
    return await _keyed(session, statement)


async def read_csat(session: AsyncSession, workspace_id: int, now: datetime) -> Keyed:
    """Sum and count of the chat ratings of each contact's conversations begun in the last CSAT_DAYS."""
    statement = (
        select(Conversation.contact_id, func.sum(Conversation.csat_rating), func.count(Conversation.csat_rating))
        .where(
            Conversation.workspace_id == workspace_id,
            Conversation.contact_id.is_not(None),
            Conversation.csat_rating.is_not(None),
            Conversation.created_at > now - timedelta(days=CSAT_DAYS),
            Conversation.created_at <= now,
        )
        .group_by(Conversation.contact_id)
    )
    return await _keyed(session, statement)


async def read_sentiment(session: AsyncSession, workspace_id: int, now: datetime) -> Keyed:
    """Per contact: sum and count of sentiment scores in the recent window, then in the one before it.

    The sources are those of the segment field avg_sentiment_90d (segments/compiler.py): the contact's chat
    lines (visitor lines of their conversations), their reviews (by updated_at) and survey comments (by
    answered_at), each text scored once, pooled.
    """
    recent_from = now - timedelta(days=SENTIMENT_DAYS)
    previous_from = recent_from - timedelta(days=SENTIMENT_DAYS)
    chat = (
        select(
            Conversation.contact_id.label("contact_id"), Message.sentiment.label("s"), Message.created_at.label("at")
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(
            Message.workspace_id == workspace_id,
            Message.author_type == AuthorType.visitor.value,
            Message.sentiment.is_not(None),
            Message.created_at > previous_from,
            Message.created_at <= now,
            Conversation.contact_id.is_not(None),
        )
    )
    reviews = select(Review.contact_id, Review.sentiment, Review.updated_at).where(
        Review.workspace_id == workspace_id,
        Review.contact_id.is_not(None),
        Review.sentiment.is_not(None),
        Review.updated_at > previous_from,
        Review.updated_at <= now,
    )
    comments = select(SurveyRecipient.contact_id, SurveyRecipient.sentiment, SurveyRecipient.answered_at).where(
        SurveyRecipient.workspace_id == workspace_id,
        SurveyRecipient.contact_id.is_not(None),
        SurveyRecipient.sentiment.is_not(None),
        SurveyRecipient.answered_at > previous_from,
        SurveyRecipient.answered_at <= now,
    )
    texts = union_all(chat, reviews, comments).subquery()
    is_recent = texts.c.at > literal(recent_from, UTCDateTime())
    score = texts.c.s.cast(Float)
    statement = select(
        texts.c.contact_id,
        func.sum(case((is_recent, score), else_=0.0)),
        func.sum(case((is_recent, 1), else_=0)),
        func.sum(case((is_recent, 0.0), else_=score)),
        func.sum(case((is_recent, 0), else_=1)),
    ).group_by(texts.c.contact_id)
    return await _keyed(session, statement)


async def read_support_load(session: AsyncSession, workspace_id: int, now: datetime) -> Keyed:
    statement = (
        select(Conversation.contact_id, func.count())
        .where(
            and_(
                Conversation.workspace_id == workspace_id,
                Conversation.contact_id.is_not(None),
                Conversation.created_at > now - timedelta(days=SUPPORT_LOAD_DAYS),
                Conversation.created_at <= now,
            )
        )
        .group_by(Conversation.contact_id)
    )
    return await _keyed(session, statement)


def align(customer_ids: Ints, keyed: Keyed, column: int = 0, fill: float = np.nan) -> Floats:
    """``keyed``'s column as an array parallel to ``customer_ids`` (sorted), ``fill`` where a customer has none."""
    out = np.full(len(customer_ids), fill, dtype=np.float64)
    if len(keyed.ids) == 0 or len(customer_ids) == 0:
        return out
    at = np.searchsorted(customer_ids, keyed.ids)
    inside = at < len(customer_ids)
    found = np.zeros(len(keyed.ids), dtype=bool)
    found[inside] = customer_ids[at[inside]] == keyed.ids[inside]
    out[at[found]] = keyed.columns[column][found]
    return out
