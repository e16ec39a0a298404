"""The health score at scale: how long scoring every customer of a large workspace takes.

For SQLite and PostgreSQL in turn this writes a workspace in bulk (contacts; customer figures as the figures
refresh leaves them; purchase predictions for 80% of the customers as CLV scoring leaves them; open and
resolved complaints; NPS answers with comments; conversations with chat ratings and scored visitor lines;
reviews), then prints the time of each signal's grouped query and of the whole ``score_health`` (its first
run, which writes a history row per customer, and a second run with nothing changed).

    python benchmarks/health_score.py [--customers 100000] [--skip-sqlite] [--skip-postgres]

The daily refresh's budget for the health step at 700k customers is about 15 s (issue 13: the whole refresh
under 60 s); the full-size run is benchmarks/clv.py's.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("FRONTDESK_PASSWORD_TIME_COST", "1")
os.environ.setdefault("FRONTDESK_PASSWORD_MEMORY_COST_KIB", "64")

from scratch import scratch_postgres_database
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import CustomerFigures
from frontdesk.commerce.schemas import ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.complaints.models import Complaint
from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Conversation, Message
from frontdesk.db import Base, bulk_insert, bulk_insert_with_ids, create_engine, create_session_factory, migrate
from frontdesk.reviews.models import Review
from frontdesk.success import health_signals as signals
from frontdesk.success.health import score_health
from frontdesk.success.models import CustomerPrediction
from frontdesk.surveys.models import Survey, SurveyRecipient
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_workspace

NOW = datetime.now(UTC).replace(microsecond=0)


def table(model: type[Base]) -> Any:
    return Base.metadata.tables[model.__tablename__]


def ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def build(session: AsyncSession, customers: int) -> int:
    """The workspace: its id."""
    rnd = random.Random(13)
    pg = session.get_bind().dialect.name == "postgresql"
    empty_list: Any = "[]" if pg else []
    empty_dict: Any = "{}" if pg else {}
    workspace, _, _ = await do_create_workspace(
        session=session, name="Bench", admin=AgentCreate(email="a@bench.example", display_name="A", password="x" * 12)
    )
    wid = workspace.id
    contacts = int(customers * 1.3)  # some never bought
    columns = ("workspace_id", "kind", "name", "audience", "stage", "roles", "attributes", "is_reseller")
    rows = [(wid, "person", f"C{i}", "external", "customer", empty_list, empty_dict, False) for i in range(contacts)]
    ids: list[int] = []
    for start in range(0, contacts, 50_000):
        batch = [(*row, NOW, NOW) for row in rows[start : start + 50_000]]
        ids += await bulk_insert_with_ids(session, table(Contact), (*columns, "created_at", "updated_at"), batch)
    buyers = ids[:customers]

    figures = []
    for contact_id in buyers:
        orders = rnd.choice((1, 1, 1, 2, 2, 3, 4, 6, 10))
        first = rnd.uniform(1, 900)
        last = first if orders == 1 else rnd.uniform(0, first)
        figures.append((contact_id, wid, orders, 2500 * orders, ago(first), ago(last), 1, 0, False, "new", NOW))
    await bulk_insert(
        session,
        table(CustomerFigures),
        (
            "contact_id",
            "workspace_id",
            "orders",
            "total_spent_minor",
            "first_order_at",
            "last_order_at",
            "ranges",
            "recent_orders",
            "reseller",
            "lifecycle",
            "updated_at",
        ),
        figures,
    )
    predictions = [
        (c, wid, 1, 10.0, 100.0, None, rnd.random(), 0.3, 1.2, 2500.0, 3000.0, NOW)
        for c in buyers
        if rnd.random() < 0.8
    ]
    await bulk_insert(
        session,
        table(CustomerPrediction),
        (
            "contact_id",
            "workspace_id",
            "frequency",
            "recency_days",
            "age_days",
            "monetary_minor",
            "p_alive",
            "expected_purchases_90d",
            "expected_purchases_365d",
            "expected_order_value_minor",
            "clv_12m_minor",
            "computed_at",
        ),
        predictions,
    )
    complaints = [
        (wid, c, "agent", "Late", "", "delivery", "low", rnd.choice(("open", "resolved")), ago(-3), "b", ago(9), NOW)
        for c in buyers
        if rnd.random() < 0.03
    ]
    await bulk_insert(
        session,
        table(Complaint),
        (
            "workspace_id",
            "contact_id",
            "source",
            "summary",
            "description",
            "category",
            "severity",
            "status",
            "due_at",
            "created_by",
            "created_at",
            "updated_at",
        ),
        complaints,
    )
    survey = Survey(workspace_id=wid, name="NPS", segment="all", created_by="bench", status="sent")
    session.add(survey)
    await session.flush()
    answers = []
    for c in buyers:
        if rnd.random() < 0.1:
            at = ago(rnd.uniform(0, 300))
            answers.append((wid, survey.id, c, at, rnd.randint(0, 10), "ok", rnd.uniform(-1, 1), at, at))
    await bulk_insert(
        session,
        table(SurveyRecipient),
        (
            "workspace_id",
            "survey_id",
            "contact_id",
            "invited_at",
            "score",
            "comment",
            "sentiment",
            "first_answered_at",
            "answered_at",
        ),
        answers,
    )
    chats = []
    for c in buyers:
        if rnd.random() < 0.2:
            for _ in range(rnd.randint(1, 3)):
                at = ago(rnd.uniform(0, 200))
                rated = rnd.random() < 0.5
                chats.append(
                    (wid, c, "resolved" if rated else "open", False, 2, at, at, rnd.randint(1, 5) if rated else None)
                )
    conversation_ids = await bulk_insert_with_ids(
        session,
        table(Conversation),
        (
            "workspace_id",
            "contact_id",
            "status",
            "started_offline",
            "last_seq",
            "created_at",
            "last_activity_at",
            "csat_rating",
        ),
        chats,
    )
    lines = []
    for conversation_id, chat in zip(conversation_ids, chats, strict=True):
        lines.append(
            (wid, conversation_id, 1, f"v{conversation_id}", "visitor", "message", "hi", rnd.uniform(-1, 1), chat[5])
        )
        lines.append((wid, conversation_id, 2, f"a{conversation_id}", "agent", "message", "hello", None, chat[5]))
    await bulk_insert(
        session,
        table(Message),
        (
            "workspace_id",
            "conversation_id",
            "seq",
            "client_id",
            "author_type",
            "kind",
            "body",
            "sentiment",
            "created_at",
        ),
        lines,
    )
    product = await do_upsert_product(
        session=session, workspace_id=wid, data=ProductCreate(sku="P", name="P", range="R")
    )
    reviews = []
    for c in buyers:
        if rnd.random() < 0.05:
            at = ago(rnd.uniform(0, 200))
            reviews.append((wid, product.id, c, True, 4, "t", "b", rnd.uniform(-1, 1), "approved", at, at))
    await bulk_insert(
        session,
        table(Review),
        (
            "workspace_id",
            "product_id",
            "contact_id",
            "verified_purchase",
            "rating",
            "title",
            "body",
            "sentiment",
            "status",
            "created_at",
            "updated_at",
        ),
        reviews,
    )
    await session.commit()
    print(
        f"  {contacts:,} contacts, {customers:,} customers, {len(predictions):,} predictions, "
        f"{len(complaints):,} complaints, {len(answers):,} NPS answers, {len(chats):,} conversations, "
        f"{len(lines):,} messages, {len(reviews):,} reviews",
        file=sys.stderr,
    )
    return wid


async def timed(label: str, step: Callable[[], Awaitable[Any]]) -> Any:
    """Runs the step; prints its wall time and this process's CPU time (the machine may be shared: CPU time of
    the benchmark process is the steadier figure; the database server's own CPU is not in it)."""
    started, cpu = time.perf_counter(), time.process_time()
    result = await step()
    print(f"  {label:<42} {time.perf_counter() - started:7.2f} s wall {time.process_time() - cpu:7.2f} s CPU")
    return result


async def run(url: str, label: str, customers: int) -> None:
    print(f"{label}:")
    engine = create_engine(url)
    try:
        await migrate(engine)
        async with create_session_factory(engine)() as session:
            started = time.perf_counter()
            wid = await build(session, customers)
            print(f"  (built in {time.perf_counter() - started:.0f} s)", file=sys.stderr)
            if label == "PostgreSQL":  # as autovacuum would have by the time of a daily refresh
                await (await session.connection()).exec_driver_sql("ANALYZE")
                await session.commit()
            await timed("customers (with p_alive, current score)", lambda: signals.read_customers(session, wid))
            await timed("open complaints", lambda: signals.read_open_complaints(session, wid))
            await timed("latest NPS", lambda: signals.read_latest_nps(session, wid, NOW))
            await timed("CSAT", lambda: signals.read_csat(session, wid, NOW))
            await timed("sentiment", lambda: signals.read_sentiment(session, wid, NOW))
            await timed("support load", lambda: signals.read_support_load(session, wid, NOW))
            await session.rollback()
            for run_label in ("score_health, first run", "score_health, nothing changed"):

                async def step() -> int:
                    scored = await score_health(session=session, workspace_id=wid, now=NOW)
                    await session.commit()
                    return scored

                scored = await timed(run_label + " (+commit)", step)
            print(f"  {scored:,} customers scored")
    finally:
        await engine.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-postgres", action="store_true")
    args = parser.parse_args()
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as directory:
            await run(f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", "SQLite", args.customers)
    if not args.skip_postgres:
        base = os.environ.get("FRONTDESK_BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres")
        async with scratch_postgres_database(base) as url:
            await run(url, "PostgreSQL", args.customers)


if __name__ == "__main__":
    asyncio.run(main())
