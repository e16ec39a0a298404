"""Property: for random contacts, orders and rules, the SQL the database runs selects exactly the contacts
a plain-Python reading of the same rule selects, on SQLite and on PostgreSQL.

The reference below computes every figure from the generated orders itself (not from Frontdesk's tables)
and evaluates the rule tree directly, so the test checks the figures upkeep, the lifecycle and RFM
derivations and the SQL compiler together. Owners, predictions and health scores are generated too and
written as the refresh would store them (predictions' money in minor units, as floats).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.commerce.figures import refresh_workspace
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.contacts.models import Contact
from frontdesk.contacts.schemas import ContactCreate
from frontdesk.contacts.service import do_create_contact
from frontdesk.db import create_session_factory
from frontdesk.segments import service as segments_service
from frontdesk.segments.fields import FIELDS, RFM_GROUPS, Kind
from frontdesk.segments.rule_json import from_json, to_json
from frontdesk.segments.rule_text import parse, to_text
from frontdesk.segments.rules import ALL, AllOf, AnyOf, Comparison, Not, Rule
from frontdesk.success.models import CustomerHealth, CustomerPrediction
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_agent
from tests.factories import PASSWORD, make_workspace

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
PRODUCTS = {"TEA": "Tea", "CUP": "Cups", "POT": "Tea", "BAG": "Bags"}  # SKU -> range
PRICES = [Decimal("5.00"), Decimal("12.50"), Decimal("99.99")]
# Every generated workspace has these agents, so each address also belongs to agents of other workspaces.
AGENTS = ["anna@shop.example", "ben@shop.example"]
P_ALIVE = [0.0, 0.1, 0.3, 0.5, 0.95, 1.0]
PURCHASES = [0.0, 0.5, 1.5, 2.0, 3.25]
ORDER_VALUES_MINOR = [0.0, 1250.0, 2000.0, 2000.5, 9999.0]
CLV_MINOR = [0.0, 5000.0, 20000.0, 20000.4, 35012.5]
_names = itertools.count()


@dataclass
class GenContact:
    kind: str
    country: str | None
    audience: str
    market: str | None
    tags: list[str]
    vat: bool
    is_reseller: bool
    owner: int | None  # index in AGENTS
    prediction: tuple[float, float, float, float, float] | None  # p_alive, 90d, 365d, order value, clv (minor)
    health: int | None


@dataclass
class GenOrder:
    buyer: int
    recipient: int | None
    skus: list[str]
    quantity: int
    price: Decimal
    days_ago: int
    status: str
    for_resale: bool | None


@dataclass
class Facts:
    """What the reference knows of one contact."""

    contact: GenContact
    created_at: datetime
    values: dict[str, Any] = field(default_factory=dict)


contacts_strategy = st.builds(
    GenContact,
    kind=st.sampled_from(["person", "organisation"]),
    country=st.sampled_from([None, "DE", "FR", "US"]),
    audience=st.sampled_from(["external", "internal"]),
    market=st.sampled_from([None, "b2b", "b2c"]),
    tags=st.lists(st.sampled_from(["vip", "wholesale"]), unique=True, max_size=2),
    vat=st.booleans(),
    is_reseller=st.booleans(),
    owner=st.none() | st.integers(0, len(AGENTS) - 1),
    prediction=st.none()
    | st.tuples(
        st.sampled_from(P_ALIVE),
        st.sampled_from(PURCHASES),
        st.sampled_from(PURCHASES),
        st.sampled_from(ORDER_VALUES_MINOR),
        st.sampled_from(CLV_MINOR),
    ),
    health=st.none() | st.sampled_from([0, 39, 40, 41, 70, 100]),
)


def orders_strategy(contacts: int) -> st.SearchStrategy[list[GenOrder]]:
    return st.lists(
        st.builds(
            GenOrder,
            buyer=st.integers(0, contacts - 1),
            recipient=st.none() | st.integers(0, contacts - 1),
            skus=st.lists(st.sampled_from(sorted(PRODUCTS)), min_size=1, max_size=3, unique=True),
            quantity=st.integers(1, 3),
            price=st.sampled_from(PRICES),
            days_ago=st.sampled_from([0, 1, 29, 30, 31, 100, 179, 180, 181, 364, 365, 366, 500, 800]),
            status=st.sampled_from(["completed", "completed", "completed", "refunded", "cancelled"]),
            for_resale=st.none() | st.booleans(),
        ),
        max_size=30,
    )


VALUES: dict[str, list[Any]] = {
    "kind": ["person", "organisation"],
    "country": ["DE", "FR", "US"],
    "region": ["DE-BY"],
    "audience": ["external", "internal"],
    "market": ["b2b", "b2c"],
    "stage": ["prospect", "customer"],
    "department": ["Sales", "Ops"],
    "tag": ["vip", "wholesale", "other"],
    "is_reseller": [True, False],
    "days_since_created": [0, 1, 2],
    "orders": [0, 1, 2, 3, 5],
    "recent_orders": [0, 1, 2, 4],
    "total_spent": [Decimal(0), Decimal("10"), Decimal("24.99"), Decimal("100"), Decimal("250")],
    "avg_order_value": [Decimal("5"), Decimal("12.5"), Decimal("30"), Decimal("99.99")],
    "days_since_last_order": [0, 1, 30, 179, 180, 365, 500],
    "days_since_first_order": [0, 30, 180, 365, 800],
    "ranges": [0, 1, 2, 3, ALL],
    "lifecycle": ["prospect", "new", "returning", "regular", "occasional", "lapsed", "churned"],
    "reseller": [True, False],
    "rfm_r": [1, 3, 5],
    "rfm_f": [1, 2, 5],
    "rfm_m": [1, 4, 5],
    "rfm_group": list(RFM_GROUPS),
    "avg_sentiment_90d": [Decimal("-0.3"), Decimal("0"), Decimal("0.5")],
    "owner": [*AGENTS, "nobody@shop.example", 999_999_999],
    "p_alive": [Decimal("0"), Decimal("0.1"), Decimal("0.3"), Decimal("0.5"), Decimal("1")],
    "expected_purchases_90d": [Decimal("0"), Decimal("0.5"), Decimal("1.5"), Decimal("2"), Decimal("3.25")],
    "expected_purchases_365d": [Decimal("0"), Decimal("1.5"), Decimal("2"), Decimal("3.25")],
    "expected_order_value": [Decimal("0"), Decimal("12.5"), Decimal("20"), Decimal("20.01"), Decimal("100")],
    "clv_12m": [Decimal("0"), Decimal("50"), Decimal("200"), Decimal("200.01"), Decimal("350.12")],
    "health": [0, 39, 40, 70, 100],
}
SUCCESS_RULES = [
    "p_alive < 0.3 and clv_12m > 200",
    'health < 40 and (owner is null or owner = "anna@shop.example")',
    "not (expected_purchases_90d >= 0.5) and expected_order_value >= 20",
]
# Fields stored as floats: a rule's number is compared with the float nearest to it, by SQL as here.
FLOAT_FIELDS = {"p_alive", "expected_purchases_90d", "expected_purchases_365d"}


@st.composite
def comparisons(draw: st.DrawFn) -> Comparison:
    name = draw(st.sampled_from(sorted(FIELDS)))
    spec = FIELDS[name]
    ops = ["=", "!=", "in", "not in"]
    if spec.kind in {Kind.integer, Kind.money, Kind.days, Kind.score, Kind.probability, Kind.decimal}:
        ops += ["<", "<=", ">", ">="]
    if spec.nullable or spec.kind == Kind.tag:
        ops += ["is null", "is not null"]
    op = draw(st.sampled_from(ops))
    values = [v for v in VALUES[name] if v is not ALL or op in {"=", "!="}]
    if op in {"is null", "is not null"}:
        return Comparison(name, op)
    if op in {"in", "not in"}:
        plain = [v for v in values if v is not ALL]
        return Comparison(name, op, tuple(draw(st.lists(st.sampled_from(plain), min_size=1, max_size=3, unique=True))))
    return Comparison(name, op, draw(st.sampled_from(values)))


rules_strategy: st.SearchStrategy[Rule] = st.recursive(
    comparisons(),
    lambda inner: st.one_of(
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AllOf(tuple(parts))),
        st.lists(inner, min_size=2, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
        inner.map(Not),
    ),
    max_leaves=6,
)


# --- the reference ------------------------------------------------------------------------------------------


def _ntile(ordered_ids: list[int]) -> dict[int, int]:
    """SQL's NTILE(5): the first (n mod 5) buckets hold one row more than the others."""
    n = len(ordered_ids)
    result, index = {}, 0
    for bucket in range(1, 6):
        size = n // 5 + (1 if bucket <= n % 5 else 0)
        for contact_id in ordered_ids[index : index + size]:
            result[contact_id] = bucket
        index += size
    return result


def _group(r: int, f: int, m: int) -> str:
    mean = Fraction(f + m, 2)
    if r >= 4:
        return "Champions" if mean >= 4 else "Loyal" if mean >= 3 else "Potential loyalists"
    if r == 3:
        return "Loyal" if mean >= 3 else "Hibernating"
    if mean >= 4:
        return "Can't lose them" if r == 1 else "At risk"
    if mean >= 3:
        return "At risk"
    return "Hibernating" if r == 2 else "Lost"


def _lifecycle(orders: int, idle_days: int | None, recent: int) -> str:
    if orders == 0 or idle_days is None:
        return "prospect"
    if idle_days >= 365:
        return "churned"
    if idle_days >= 180:
        return "lapsed"
    if orders == 1:
        return "new"
    if recent >= 4:
        return "regular"
    return "occasional" if recent <= 1 else "returning"


def reference_facts(facts: dict[int, Facts], orders: list[tuple[int, int | None, GenOrder]]) -> None:
    """Fill each contact's ``values`` with every rule field, from the generated data alone."""
    for contact_id, fact in facts.items():
        c = fact.contact
        mine = [(o, recipient) for buyer, recipient, o in orders if buyer == contact_id and o.status == "completed"]
        times = [NOW - timedelta(days=o.days_ago, minutes=5) for o, _ in mine]
        spent = sum(int(o.price * 100) * o.quantity * len(o.skus) for o, _ in mine)
        registered = c.kind == "organisation" and c.vat
        reseller_flag = c.kind == "organisation" and c.is_reseller

        last = max(times) if times else None
        first = min(times) if times else None
        fact.values = {
            "kind": c.kind,
            "country": c.country,
            "region": None,
            "audience": c.audience,
            "market": c.market,
            # The registry stage is not the contact's to choose: it follows completed orders.
            "stage": "customer" if mine else "prospect",
            "department": "Ops" if c.audience == "internal" else None,
            "tag": c.tags,
            "is_reseller": reseller_flag,
            "days_since_created": (NOW - fact.created_at).days,
            "orders": len(mine),
            "recent_orders": sum(1 for o, _ in mine if o.days_ago < 365),
            "total_spent_minor": spent,
            "days_since_last_order": (NOW - last).days if last else None,
            "days_since_first_order": (NOW - first).days if first else None,
            "ranges": len({PRODUCTS[sku] for o, _ in mine for sku in o.skus}),
            # A registered organisation buying to resell, for someone other than itself, is a reseller.
            "reseller": any(
                registered and (reseller_flag if o.for_resale is None else o.for_resale) and r != contact_id
                for o, r in mine
            ),
            "last_order_at": last,
        }
        v = fact.values
        v["lifecycle"] = _lifecycle(v["orders"], v["days_since_last_order"], v["recent_orders"])
        assert (v["stage"] == "prospect") == (v["lifecycle"] == "prospect")  # the two never contradict
        v["rfm_r"] = v["rfm_f"] = v["rfm_m"] = v["rfm_group"] = None
        v["avg_sentiment_90d"] = None  # no chat in these data sets: tests/feedback covers the field with chats
        v["owner"] = AGENTS[c.owner] if c.owner is not None else None
        p = c.prediction
        v["p_alive"], v["expected_purchases_90d"], v["expected_purchases_365d"] = (
            (p[0], p[1], p[2]) if p else (None,) * 3
        )
        # Money in minor units as stored (floats), compared in major units: exact fractions on both sides.
        v["expected_order_value"] = Fraction(p[3]) / 100 if p else None
        v["clv_12m"] = Fraction(p[4]) / 100 if p else None
        v["health"] = c.health
    buyers = [i for i, f in facts.items() if f.values["orders"] > 0]
    recency = _ntile(sorted(buyers, key=lambda i: (facts[i].values["last_order_at"], i)))
    frequency = _ntile(sorted(buyers, key=lambda i: (facts[i].values["orders"], i)))
    monetary = _ntile(sorted(buyers, key=lambda i: (facts[i].values["total_spent_minor"], i)))
    for i in buyers:
        v = facts[i].values
        v["rfm_r"], v["rfm_f"], v["rfm_m"] = recency[i], frequency[i], monetary[i]
        v["rfm_group"] = _group(recency[i], frequency[i], monetary[i])


def evaluate(rule: Rule, v: dict[str, Any], range_count: int) -> bool:
    if isinstance(rule, AllOf):
        return all(evaluate(part, v, range_count) for part in rule.rules)
    if isinstance(rule, AnyOf):
        return any(evaluate(part, v, range_count) for part in rule.rules)
    if isinstance(rule, Not):
        return not evaluate(rule.rule, v, range_count)
    name, op, value = rule.field, rule.op, rule.value
    if name == "tag":
        tags = v["tag"]
        if op == "is null":
            return not tags
        if op == "is not null":
            return bool(tags)
        wanted = set(value) if isinstance(value, tuple) else {value}
        has = bool(wanted & set(tags))
        return has if op in {"=", "in"} else not has
    if name in FLOAT_FIELDS:
        return _compare_floats(op, v[name], value)
    if name == "owner":
        owner = v["owner"]  # an e-mail address; no agent has the ids the rules name
        if op in {"is null", "is not null"}:
            return (owner is None) == (op == "is null")
        listed = owner is not None and owner in (value if isinstance(value, tuple) else (value,))
        return owner is not None and (listed if op in {"=", "in"} else not listed)
    if name == "total_spent":
        actual: Any = Fraction(v["total_spent_minor"], 100)
    elif name == "avg_order_value":
        actual = Fraction(v["total_spent_minor"], 100 * v["orders"]) if v["orders"] else None
    else:
        actual = v[name]
    if op == "is null":
        return actual is None
    if op == "is not null":
        return actual is not None
    if actual is None:
        return False  # a comparison with an empty field is false
    if value is ALL:
        every = range_count > 0 and actual == range_count
        return every if op == "=" else not every
    if isinstance(value, tuple):
        listed = any(actual == (Fraction(item) if isinstance(item, Decimal) else item) for item in value)
        return listed if op == "in" else not listed
    target = Fraction(value) if isinstance(value, Decimal) else value
    return {
        "=": actual == target,
        "!=": actual != target,
        "<": actual < target,
        "<=": actual <= target,
        ">": actual > target,
        ">=": actual >= target,
    }[op]


def _compare_floats(op: str, actual: float | None, value: Any) -> bool:
    if op in {"is null", "is not null"}:
        return (actual is None) == (op == "is null")
    if actual is None:
        return False
    if isinstance(value, tuple):
        listed = any(actual == float(item) for item in value)
        return listed if op == "in" else not listed
    target = float(value)
    return {
        "=": actual == target,
        "!=": actual != target,
        "<": actual < target,
        "<=": actual <= target,
        ">": actual > target,
        ">=": actual >= target,
    }[op]


# --- the property -------------------------------------------------------------------------------------------


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data(), contacts=st.lists(contacts_strategy, min_size=1, max_size=10))
async def test_sql_selects_what_the_reference_selects(
    engine: AsyncEngine, data: st.DataObject, contacts: list[GenContact]
) -> None:
    orders = data.draw(orders_strategy(len(contacts)), label="orders")
    # Many rules per data set: the data set is the costly part, and single comparisons find boundary slips.
    rules = data.draw(st.lists(comparisons(), min_size=15, max_size=15), label="comparisons")
    rules += data.draw(st.lists(rules_strategy, min_size=1, max_size=10), label="rules")
    # The success team's typical rules, on every data set.
    rules += [parse(text) for text in SUCCESS_RULES]
    workspace = await make_workspace(engine, f"Property {next(_names)}")
    factory = create_session_factory(engine)
    async with factory() as session:
        for sku, range_name in PRODUCTS.items():
            await do_upsert_product(
                session=session, workspace_id=workspace.id, data=ProductCreate(sku=sku, name=sku, range=range_name)
            )
        agent_ids = []
        for email in AGENTS:
            agent = await do_create_agent(
                session=session,
                workspace_id=workspace.id,
                data=AgentCreate(email=email, display_name=email, password=PASSWORD, role=Role.agent),
            )
            agent_ids.append(agent.id)
        ids = []
        for index, c in enumerate(contacts):
            payload: dict[str, Any] = {
                "name": f"Contact {index}",
                "kind": c.kind,
                "country": c.country,
                "audience": c.audience,
                "department": "Ops" if c.audience == "internal" else None,
                "market": c.market,
                "tags": c.tags,
                "is_reseller": c.is_reseller and c.kind == "organisation",
                "vat_number": "DE136695976" if c.vat and c.kind == "organisation" else None,
                "owner_id": agent_ids[c.owner] if c.owner is not None else None,
            }
            contact = await do_create_contact(
                session=session, workspace_id=workspace.id, data=ContactCreate.model_validate(payload), actor="test"
            )
            ids.append(contact.id)
            if c.prediction is not None:
                p_alive, purchases_90d, purchases_365d, order_value, clv = c.prediction
                session.add(
                    CustomerPrediction(
                        contact_id=contact.id,
                        workspace_id=workspace.id,
                        frequency=1,
                        recency_days=10.0,
                        age_days=100.0,
                        p_alive=p_alive,
                        expected_purchases_90d=purchases_90d,
                        expected_purchases_365d=purchases_365d,
                        expected_order_value_minor=order_value,
                        clv_12m_minor=clv,
                    )
                )
            if c.health is not None:
                session.add(CustomerHealth(contact_id=contact.id, workspace_id=workspace.id, score=c.health))
        written = [(ids[o.buyer], ids[o.recipient] if o.recipient is not None else None, o) for o in orders]
        outcome = await write_orders(
            session=session,
            workspace_id=workspace.id,
            orders=[
                OrderCreate(
                    external_id=f"P-{n}",
                    buyer_id=buyer,
                    recipient_id=recipient,
                    status=o.status,
                    currency="EUR",
                    ordered_at=NOW - timedelta(days=o.days_ago, minutes=5),
                    for_resale=o.for_resale,
                    lines=[{"sku": sku, "quantity": o.quantity, "unit_price": o.price} for sku in o.skus],
                )
                for n, (buyer, recipient, o) in enumerate(written)
            ],
            actor="test",
        )
        assert not outcome.errors
        await refresh_workspace(session=session, workspace_id=workspace.id, now=NOW)
        await session.commit()
        created = dict((await session.execute(select(Contact.id, Contact.created_at).where(Contact.id.in_(ids)))).all())
        facts = {
            contact_id: Facts(contact=c, created_at=created[contact_id])
            for contact_id, c in zip(ids, contacts, strict=True)
        }
        reference_facts(facts, written)
        ctx = await segments_service.context(session=session, workspace_id=workspace.id, now=NOW)
        for rule in rules:
            assert parse(to_text(rule)) == rule and from_json(to_json(rule)) == rule
            found = set((await session.scalars(segments_service.members(rule, ctx))).all())
            expected = {i for i, fact in facts.items() if evaluate(rule, fact.values, ctx.range_count)}
            assert found == expected, to_text(rule)
            assert await segments_service.count(session=session, rule=rule, ctx=ctx) == len(expected)
