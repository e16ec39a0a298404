"""The raw data of the reports benchmark: generated once as Parquet files, then loaded into each database
(benchmarks/reports_load.py).

The Parquet files are the same rows the databases hold (ids included), so DuckDB computes its figures from
exactly what Frontdesk reads. Only the workspace, its products, teams and agents are made through the ORM in
each database (create_shop); the generator needs their ids.
"""

from __future__ import annotations

import math
import random
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from sqlalchemy import Boolean, Float, Integer, String, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import Order, OrderLine, Product
from frontdesk.commerce.schemas import ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.complaints.models import Complaint
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation, Message, Team, TeamMember
from frontdesk.db import Base, UTCDateTime
from frontdesk.referrals.models import Referral
from frontdesk.reviews.models import Review
from frontdesk.surveys.models import Survey, SurveyRecipient
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_agent, do_create_workspace

BATCH = 20_000
COUNTRIES = ["DE", "FR", "NL", "IT", "ES", "GB", "US", "PL", "SE", "AT"]
RANGES, PRODUCTS_PER_RANGE = 8, 5
PRICES = (450, 1200, 1999, 3500, 8900)
TEAMS = (("support", "Support"), ("sales", "Sales"))
AGENTS_PER_TEAM = 3
# Full-scale sizes (--scale 1): the workspace.
FULL = {"contacts": 1_000_000, "orders": 5_000_000, "conversations": 200_000, "messages_per_conversation": 10,
        "survey_answers": 200_000, "complaints": 50_000, "reviews": 100_000, "referrals": 30_000}  # fmt: skip


def progress(label: str, done: int, total: int, started: float) -> None:
    rate = done / max(time.perf_counter() - started, 1e-9)
    print(f"\r  {label}: {done:,}/{total:,} ({rate:,.0f} rows/s)   ", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


@dataclass
class Shop:
    """What the loader creates through the ORM in each database; the generator needs its ids."""

    workspace_id: int
    products: list[tuple[int, int]]  # (product id, range id)
    teams: dict[int, list[int]]  # team id -> its agents' ids

    def translation(self, generated: Shop) -> dict[str, dict[int, int]]:
        """Column -> (id in the generated data -> id here), where this database numbered differently
        (PostgreSQL's sequences skip the values an upsert's ON CONFLICT took)."""
        products = dict(zip((p for p, _ in generated.products), (p for p, _ in self.products), strict=True))
        ranges = dict(zip((r for _, r in generated.products), (r for _, r in self.products), strict=True))
        teams = dict(zip(generated.teams, self.teams, strict=True))
        agents = {a: b for x, y in zip(generated.teams.values(), self.teams.values(), strict=True)
                  for a, b in zip(x, y, strict=True)}  # fmt: skip
        found = {"workspace_id": {generated.workspace_id: self.workspace_id}, "product_id": products,
                 "range_id": ranges, "team_id": teams, "assignee_id": agents, "csat_agent_id": agents,
                 "author_agent_id": agents}  # fmt: skip
        return {column: ids for column, ids in found.items() if any(a != b for a, b in ids.items())}


@dataclass
class Plan:
    start: datetime  # the first instant of the data (a local month start, as UTC)
    now: datetime  # the data ends just before this
    contacts: int
    orders: int
    conversations: int
    messages_per_conversation: int
    survey_answers: int
    complaints: int
    reviews: int
    referrals: int
    rows: dict[str, int] = field(default_factory=dict)  # rows written per table
    seconds: dict[str, float] = field(default_factory=dict)  # generation time per table

    @classmethod
    def of(cls, scale: float, start: datetime, now: datetime) -> Plan:
        sizes = {key: max(1, round(value * scale)) for key, value in FULL.items() if key != "messages_per_conversation"}
        return cls(start=start, now=now, messages_per_conversation=FULL["messages_per_conversation"], **sizes)


async def create_shop(session: AsyncSession, time_zone: str) -> Shop:
    """The workspace (in ``time_zone``), its products in eight ranges, two teams of three agents."""
    workspace, _, _ = await do_create_workspace(
        session=session,
        name="Bench",
        admin=AgentCreate(email="admin@bench.example", display_name="Admin", password="benchmark-password"),
    )
    workspace_row = await session.get(Workspace, workspace.id)
    assert workspace_row is not None
    workspace_row.time_zone = time_zone
    for r in range(RANGES):
        for p in range(PRODUCTS_PER_RANGE):
            data = ProductCreate(sku=f"SKU-{r}-{p}", name=f"Product {r}-{p}", range=f"Range {r}")
            await do_upsert_product(session=session, workspace_id=workspace.id, data=data)
    teams: dict[int, list[int]] = {}
    for key, name in TEAMS:
        team = Team(workspace_id=workspace.id, key=key, name=name)
        session.add(team)
        await session.flush()
        teams[team.id] = []
        for n in range(AGENTS_PER_TEAM):
            agent = await do_create_agent(
                session=session,
                workspace_id=workspace.id,
                data=AgentCreate(
                    email=f"{key}{n}@bench.example", display_name=f"{name} {n}", password="benchmark-password",
                    role=Role.agent,
                ),
            )  # fmt: skip
            session.add(TeamMember(team_id=team.id, agent_id=agent.id))
            teams[team.id].append(agent.id)
    await session.commit()
    rows = await session.execute(
        select(Product.id, Product.range_id).where(Product.workspace_id == workspace.id).order_by(Product.id)
    )
    return Shop(workspace_id=workspace.id, products=[(a, b) for a, b in rows.all()], teams=teams)


# --- generation ----------------------------------------------------------------------------------------------

COLUMNS: dict[str, tuple[type[Base], list[str]]] = {
    "contacts": (Contact, ["id", "kind", "country", "market", "is_reseller", "created_at"]),
    "orders": (Order, ["id", "workspace_id", "external_id", "buyer_id", "recipient_id", "channel", "status",
                       "currency", "total_minor", "for_resale", "buyer_class", "ordered_at", "created_at",
                       "updated_at"]),
    "order_lines": (OrderLine, ["id", "workspace_id", "order_id", "product_id", "range_id", "quantity",
                                "unit_price_minor"]),
    "conversations": (Conversation, ["id", "workspace_id", "visitor_id", "contact_id", "team_id", "assignee_id",
                                     "status", "started_offline", "last_seq", "created_at", "last_activity_at",
                                     "first_response_at", "resolved_at", "snoozed_until", "csat_rating",
                                     "csat_comment", "csat_agent_id"]),
    "messages": (Message, ["id", "workspace_id", "conversation_id", "seq", "client_id", "author_type",
                           "author_agent_id", "author_name", "kind", "body", "sentiment", "created_at"]),
    "surveys": (Survey, ["id", "workspace_id", "name", "question", "segment", "status", "valid_days",
                         "change_hours", "created_by", "created_at", "sent_at"]),
    "survey_recipients": (SurveyRecipient, ["id", "workspace_id", "survey_id", "contact_id", "email", "invited_at",
                                            "score", "comment", "sentiment", "first_answered_at", "answered_at"]),
    "complaints": (Complaint, ["id", "workspace_id", "contact_id", "source", "conversation_id", "review_id",
                               "survey_recipient_id", "summary", "description", "category", "severity", "status",
                               "owner_id", "due_at", "resolution", "created_by", "created_at", "updated_at",
                               "resolved_at"]),
    "reviews": (Review, ["id", "workspace_id", "product_id", "contact_id", "order_id", "verified_purchase", "rating",
                         "title", "body", "sentiment", "status", "rejection_reason", "reply", "replied_at",
                         "moderated_by", "moderated_at", "created_at", "updated_at"]),
    "referrals": (Referral, ["id", "workspace_id", "referrer_id", "referred_id", "order_id", "code", "created_at"]),
}  # fmt: skip


def _arrow_type(model: type[Base], column: str) -> pa.DataType:
    kind = model.__table__.c[column].type  # type: ignore[attr-defined]
    if isinstance(kind, UTCDateTime):
        return pa.timestamp("us", tz="UTC")
    for sql, arrow in ((Boolean, pa.bool_()), (Integer, pa.int64()), (Float, pa.float64()), (String, pa.string())):
        if isinstance(kind, sql):
            return arrow
    raise TypeError(f"no Parquet type for {model.__tablename__}.{column} ({kind!r})")


class Writer:
    """Parquet files of the generated rows, written batch by batch."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.writers: dict[str, pq.ParquetWriter] = {}

    def write(self, table: str, rows: Sequence[tuple[Any, ...]]) -> None:
        model, columns = COLUMNS[table]
        schema = pa.schema([(name, _arrow_type(model, name)) for name in columns])
        if table not in self.writers:
            self.writers[table] = pq.ParquetWriter(self.directory / f"{table}.parquet", schema)
        data = [pa.array(values, type=schema.field(i).type) for i, values in enumerate(zip(*rows, strict=True))]
        self.writers[table].write_table(pa.Table.from_arrays(data, schema=schema))

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _moment(rnd: random.Random, plan: Plan) -> datetime:
    """A random instant of the data's span; later ones more likely (a business that grows)."""
    span = (plan.now - plan.start).total_seconds() - 120
    return plan.start + timedelta(seconds=int(span * math.sqrt(rnd.random())))


def _batches(total: int, make: Callable[[int], list[tuple[Any, ...]]]) -> Iterator[list[tuple[Any, ...]]]:
    for first in range(0, total, BATCH):
        yield make(first)


def generate(plan: Plan, shop: Shop, directory: Path) -> None:
    """Every table's rows as Parquet files in ``directory``, deterministic for a plan and shop."""
    rnd = random.Random(12)
    out = Writer(directory)
    ws = shop.workspace_id
    resellers = set()

    def timed(table: str, total: int, batches: Iterator[list[tuple[Any, ...]]], *extra: str) -> None:
        started, done = time.perf_counter(), 0
        for batch in batches:
            out.write(table, batch)
            done += len(batch)
            plan.rows[table] = done
            progress(f"generating {table}", done, total, started)
        plan.seconds[table] = time.perf_counter() - started

    def contacts(first: int) -> list[tuple[Any, ...]]:
        rows = []
        for n in range(first + 1, min(first + BATCH, plan.contacts) + 1):
            organisation = rnd.random() < 0.15
            reseller = organisation and rnd.random() < 0.3
            if reseller:
                resellers.add(n)
            market = "b2b" if organisation else rnd.choice(("b2c", None))
            rows.append((n, "organisation" if organisation else "person", rnd.choice(COUNTRIES), market, reseller,
                         plan.start - timedelta(days=rnd.randint(0, 900))))  # fmt: skip
        return rows

    timed("contacts", plan.contacts, _batches(plan.contacts, contacts))

    buyers = rnd.sample(range(1, plan.contacts + 1), k=max(1, int(plan.contacts * 0.7)))
    line_id = 0
    lines: list[tuple[Any, ...]] = []

    def orders(first: int) -> list[tuple[Any, ...]]:
        nonlocal line_id
        rows = []
        for n in range(first + 1, min(first + BATCH, plan.orders) + 1):
            buyer = buyers[int(len(buyers) * rnd.random() ** 2)]  # a few buy far more often than the rest
            at = _moment(rnd, plan)
            status = "completed" if (u := rnd.random()) < 0.93 else "refunded" if u < 0.97 else "cancelled"
            resale = buyer in resellers
            total = 0
            for _ in range(rnd.choice((1, 1, 1, 2, 3))):
                product, range_id = rnd.choice(shop.products)
                quantity, price = rnd.randint(1, 3), rnd.choice(PRICES)
                line_id += 1
                lines.append((line_id, ws, n, product, range_id, quantity, price))
                total += quantity * price
            rows.append((n, ws, f"O{n}", buyer, None, rnd.choice(("web", "store", "phone")), status, "EUR", total,
                         resale, "reseller" if resale else "consumer", at, at, at))  # fmt: skip
        return rows

    def orders_and_lines() -> Iterator[list[tuple[Any, ...]]]:
        for batch in _batches(plan.orders, orders):
            out.write("order_lines", lines)
            plan.rows["order_lines"] = plan.rows.get("order_lines", 0) + len(lines)
            lines.clear()
            yield batch

    timed("orders", plan.orders, orders_and_lines())

    messages: list[tuple[Any, ...]] = []
    message_id = 0
    teams = list(shop.teams.items())

    def conversations(first: int) -> list[tuple[Any, ...]]:
        nonlocal message_id
        rows = []
        for n in range(first + 1, min(first + BATCH, plan.conversations) + 1):
            created = _moment(rnd, plan)
            contact = rnd.randint(1, plan.contacts) if rnd.random() < 0.85 else None
            team, agents = rnd.choice(teams)
            agent = rnd.choice(agents)
            offline = rnd.random() < 0.1
            answered = rnd.random() < (0.7 if offline else 0.97)
            # Minutes to the first answer: a long tail (median about 3, some take hours; offline ones longer).
            wait = rnd.lognormvariate(math.log(180 if offline else 3), 1.2) if answered else None
            first_response = created + timedelta(seconds=int(wait * 60) + 1) if wait is not None else None
            status = rnd.choices(("resolved", "open", "pending"), (90, 6, 4))[0] if answered else "open"
            count = max(2, min(30, int(rnd.expovariate(1 / plan.messages_per_conversation)) + 1))
            at = created
            for seq in range(1, (count if answered else 1) + 1):
                message_id += 1
                by_agent = answered and seq % 2 == 0
                if seq == 1:
                    at = created
                elif seq == 2 and first_response:
                    at = first_response  # the first agent message is the first response
                else:
                    at += timedelta(seconds=rnd.randint(5, 600))
                author = agent if by_agent else None
                kind = "agent" if by_agent else "visitor"
                messages.append((message_id, ws, n, seq, f"c{seq}", kind, author, None, "message", "Hello", None, at))
            resolved = at + timedelta(minutes=rnd.randint(1, 120)) if status == "resolved" else None
            rating = rnd.choices((1, 2, 3, 4, 5), (5, 5, 10, 30, 50))[0] if resolved and rnd.random() < 0.3 else None
            assignee, rated = agent if answered else None, agent if rating else None
            rows.append((n, ws, None, contact, team, assignee, status, offline, seq, created, resolved or at,
                         first_response, resolved, None, rating, None, rated))  # fmt: skip
        return rows

    def conversations_and_messages() -> Iterator[list[tuple[Any, ...]]]:
        for batch in _batches(plan.conversations, conversations):
            out.write("messages", messages)
            plan.rows["messages"] = plan.rows.get("messages", 0) + len(messages)
            messages.clear()
            yield batch

    timed("conversations", plan.conversations, conversations_and_messages())

    # One NPS survey a month, each answered by its share of the answers; as many invitations go unanswered.
    months = []
    month = plan.start
    while month < plan.now:
        months.append(month)
        month = (month.replace(day=1) + timedelta(days=32)).replace(day=1, hour=month.hour)
    surveys = [(i + 1, ws, f"NPS {m:%Y-%m}", "How likely are you to recommend us?", "all", "sent", 30, 72,
                "benchmark", m, m + timedelta(days=2)) for i, m in enumerate(months)]  # fmt: skip
    timed("surveys", len(surveys), iter([surveys]))
    per_survey = max(1, plan.survey_answers // len(surveys))
    recipient_id = 0

    def recipients(first: int) -> list[tuple[Any, ...]]:
        nonlocal recipient_id
        survey_id, _, _, _, _, _, _, _, _, _, sent = surveys[first // BATCH]
        rows = []
        for contact in rnd.sample(range(1, plan.contacts + 1), k=min(plan.contacts, 2 * per_survey)):
            recipient_id += 1
            score = answered = None
            if len(rows) % 2 == 0:
                score = rnd.choices(range(11), (2, 1, 1, 2, 2, 4, 6, 10, 18, 26, 28))[0]
                answered = sent + timedelta(minutes=int(rnd.expovariate(1 / 3000)) + 1)
                answered = min(answered, plan.now - timedelta(seconds=1))
            rows.append((recipient_id, ws, survey_id, contact, None, sent, score, None, None, answered, answered))
        return rows

    # One batch per survey: ``first // BATCH`` is its index.
    timed("survey_recipients", len(surveys) * 2 * per_survey, _batches(len(surveys) * BATCH, recipients))

    def complaints(first: int) -> list[tuple[Any, ...]]:
        rows = []
        for n in range(first + 1, min(first + BATCH, plan.complaints) + 1):
            created = _moment(rnd, plan)
            resolved = created + timedelta(days=rnd.randint(0, 20)) if rnd.random() < 0.8 else None
            resolved = resolved if resolved and resolved < plan.now else None
            contact = rnd.randint(1, plan.contacts) if rnd.random() < 0.9 else None
            category = rnd.choice(("product", "delivery", "billing", "service"))
            severity, status = rnd.choice(("low", "medium", "high")), "resolved" if resolved else "open"
            due = created + timedelta(days=7)
            rows.append((n, ws, contact, "api", None, None, None, "Parcel arrived late", "", category, severity,
                         status, None, due, None, "benchmark", created, resolved or created, resolved))  # fmt: skip
        return rows

    timed("complaints", plan.complaints, _batches(plan.complaints, complaints))

    # Reviews by buyers (one per product and contact, as the database demands), most of them approved.
    pairs = sorted({(rnd.choice(shop.products)[0], rnd.choice(buyers)) for _ in range(plan.reviews)})
    rnd.shuffle(pairs)

    def reviews(first: int) -> list[tuple[Any, ...]]:
        rows = []
        for n, (product, contact) in enumerate(pairs[first : first + BATCH], start=first + 1):
            at = _moment(rnd, plan)
            rating = rnd.choices((1, 2, 3, 4, 5), (4, 6, 10, 30, 50))[0]
            status = "approved" if rnd.random() < 0.9 else "pending"
            rows.append((n, ws, product, contact, None, True, rating, "Review", "Works as described", None, status,
                         None, None, None, None, None, at, at))  # fmt: skip
        return rows

    timed("reviews", len(pairs), _batches(len(pairs), reviews))
    referred = rnd.sample(buyers, k=min(len(buyers), plan.referrals))

    def referrals(first: int) -> list[tuple[Any, ...]]:
        return [(n, ws, rnd.randint(1, plan.contacts), contact, None, f"CODE{n % 997:04d}", _moment(rnd, plan))
                for n, contact in enumerate(referred[first : first + BATCH], start=first + 1)]  # fmt: skip

    timed("referrals", len(referred), _batches(len(referred), referrals))
    out.close()
