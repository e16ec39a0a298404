"""The health score of generated customers against a plain-Python reading of docs/health.md."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.success.health_signals import DEFAULT_WEIGHTS
from tests.factories import WorkspaceHandle
from tests.success.health_world import (
    complaint,
    conversation,
    customer,
    nps_answer,
    prediction,
    scored,
)


def half_up(x: float) -> int:
    return math.floor(x + 0.5)


@dataclass
class Person:
    orders: int
    first: float  # days before now
    last: float
    p_alive: float | None = None
    open_complaints: int = 0
    nps: list[tuple[float, int]] = field(default_factory=list)  # (days ago, answer)
    chats: list[tuple[float, int | None, float | None]] = field(default_factory=list)  # (days ago, csat, sentiment)


def expected(person: Person) -> tuple[int, dict[str, int | None]]:
    """The documented scoring, written out plainly."""
    parts: dict[str, int | None] = {}
    if person.p_alive is not None:
        parts["purchase_activity"] = half_up(100 * person.p_alive)
    elif person.orders >= 2:
        interval = max((person.first - person.last) / (person.orders - 1), 1.0)
        ratio = person.last / interval
        parts["purchase_activity"] = half_up(min(100.0, max(0.0, 100 * (4 - ratio) / 3)))
    else:
        parts["purchase_activity"] = half_up(min(100.0, max(0.0, 100 * (1 - person.first / 180))))
    parts["complaints"] = {0: 100, 1: 40}.get(person.open_complaints, 0)
    parts["nps"] = min(person.nps)[1] * 10 if person.nps else None
    ratings = [csat for days, csat, _ in person.chats if csat is not None and days < 180]
    parts["csat"] = half_up((sum(ratings) / len(ratings) - 1) * 25) if ratings else None
    recent = [s for days, _, s in person.chats if s is not None and days < 90]
    before = [s for days, _, s in person.chats if s is not None and 90 <= days < 180]
    if recent:
        r = sum(recent) / len(recent)
        change = r - sum(before) / len(before) if before else 0.0
        parts["sentiment_trend"] = half_up(min(100.0, max(0.0, 100 + 100 * min(r, 0) + 100 * min(change, 0))))
    else:
        parts["sentiment_trend"] = None
    load = sum(1 for days, _, _ in person.chats if days < 30)
    parts["support_load"] = max(0, 100 - 20 * max(load - 1, 0))
    counted = [(score, DEFAULT_WEIGHTS[name]) for name, score in parts.items() if score is not None]
    return half_up(sum(s * w for s, w in counted) / sum(w for _, w in counted)), parts


def generate(rnd: random.Random) -> Person:
    orders = rnd.choice([1, 1, 2, 3, 5])
    first = rnd.uniform(1, 400)
    person = Person(orders=orders, first=first, last=first if orders == 1 else rnd.uniform(0.5, first))
    if rnd.random() < 0.4:
        person.p_alive = round(rnd.random(), 4)
    person.open_complaints = rnd.choice([0, 0, 0, 1, 2])
    person.nps = [(rnd.uniform(0.5, 300), rnd.randint(0, 10)) for _ in range(rnd.choice([0, 0, 1, 2]))]
    for _ in range(rnd.choice([0, 0, 1, 2, 4])):
        days = rnd.choice([rnd.uniform(0.5, 29), rnd.uniform(31, 89), rnd.uniform(91, 179), rnd.uniform(181, 300)])
        sentiment = rnd.choice([None, round(rnd.uniform(-1, 1), 2)])
        person.chats.append((days, rnd.choice([None, rnd.randint(1, 5)]), sentiment))
    return person


async def test_generated_customers_score_as_documented(session: AsyncSession, workspace: WorkspaceHandle) -> None:
    rnd = random.Random(2026)
    people: dict[int, Person] = {}
    for _ in range(40):
        person = generate(rnd)
        contact_id = await customer(session, workspace, orders=person.orders, first=person.first, last=person.last)
        if person.p_alive is not None:
            await prediction(session, workspace, contact_id, person.p_alive)
        for _ in range(person.open_complaints):
            await complaint(session, workspace, contact_id)
        for days, answer in person.nps:
            await nps_answer(session, workspace, contact_id, answer, answered=days)
        for days, csat, sentiment in person.chats:
            lines = (("visitor", sentiment),) if sentiment is not None else ()
            await conversation(session, workspace, contact_id, created=days, csat=csat, lines=lines)
        people[contact_id] = person

    health = await scored(session, workspace)
    assert set(health) == set(people)
    for contact_id, person in people.items():
        score, parts = expected(person)
        got = {name: part["score"] for name, part in health[contact_id].components.items()}
        assert got == parts, (contact_id, person)
        assert health[contact_id].score == score, (contact_id, person)
        pulling = {name for name, part in parts.items() if part is not None and part < 60}
        assert len(health[contact_id].reasons) == len(pulling), (contact_id, health[contact_id].reasons)
