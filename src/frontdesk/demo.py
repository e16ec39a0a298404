"""A realistic demo workspace: "Demo Shop", two agents, a few hundred varied contacts and their orders."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import phonenumbers
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_rfm
from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.orders import write_orders
from frontdesk.commerce.schemas import OrderCreate, OrderLineCreate, ProductCreate
from frontdesk.commerce.service import do_upsert_product
from frontdesk.contacts.models import Contact, ContactKind, RelationshipKind
from frontdesk.contacts.schemas import AttributeDefinitionCreate, ContactCreate, RelationshipCreate
from frontdesk.contacts.service import do_create_attribute_definition, do_create_contact
from frontdesk.contacts.timeline import do_add_note, do_add_relationship
from frontdesk.conversations.models import CannedReply
from frontdesk.conversations.routing import ensure_default_teams
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import utcnow
from frontdesk.demo_chats import create_demo_chats
from frontdesk.demo_feedback import create_demo_feedback
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import do_create_agent, do_create_workspace

DEMO_WORKSPACE = "Demo Shop"
DEMO_ADMIN_EMAIL = "admin@demo-shop.example"
DEMO_AGENT_EMAIL = "sam@demo-shop.example"
DEMO_PASSWORD = "frontdesk-demo"
ACTOR = "demo"

FIRST_NAMES = [
    "Anna",
    "Ben",
    "Chloé",
    "Dmitri",
    "Elif",
    "Farah",
    "Giulia",
    "Hugo",
    "Ines",
    "Jonas",
    "Kasia",
    "Liam",
    "Maja",
    "Noah",
    "Olivia",
    "Pablo",
    "Quentin",
    "Rosa",
    "Sven",
    "Tariq",
    "Uma",
    "Viktor",
    "Wiebke",
    "Xavier",
    "Yara",
    "Zoë",
    "Aoife",
    "Björn",
    "Carmen",
    "Daan",
]
LAST_NAMES = [
    "Müller",
    "Dubois",
    "de Vries",
    "Smith",
    "García",
    "Rossi",
    "Nowak",
    "Andersson",
    "Gruber",
    "Peeters",
    "Murphy",
    "Schmidt",
    "Martin",
    "Jansen",
    "Brown",
    "López",
    "Bianchi",
    "Kowalski",
    "Larsson",
    "Huber",
]
# (country, regions, a valid VAT number for organisations of that country)
COUNTRIES = [
    ("DE", ["DE-BY", "DE-BE", "DE-HH", "DE-NW"], "DE136695976"),
    ("FR", ["FR-IDF", "FR-ARA", "FR-OCC"], "FR40303265045"),
    ("NL", ["NL-NH", "NL-ZH", "NL-UT"], "NL004495445B01"),
    ("GB", ["GB-ENG", "GB-SCT", "GB-WLS"], "GB980780684"),
    ("ES", ["ES-MD", "ES-CT", "ES-AN"], "ESB58378431"),
    ("IT", ["IT-25", "IT-62", "IT-21"], "IT00743110157"),
    ("PL", ["PL-14", "PL-12"], "PL8567346215"),
    ("SE", ["SE-AB", "SE-O"], "SE556188840401"),
    ("AT", ["AT-9", "AT-6"], "ATU13585627"),
    ("US", ["US-CA", "US-NY", "US-TX"], None),
]
ORG_WORDS = ["Candy", "Toys", "Garden", "Books", "Coffee", "Bikes", "Outdoor", "Kitchen", "Pet", "Office"]
ORG_SUFFIXES = ["GmbH", "SARL", "B.V.", "Ltd", "S.L.", "S.r.l.", "Sp. z o.o.", "AB", "KG", "Inc."]
DEPARTMENTS = ["Marketing", "Finance", "Warehouse Hamburg", "Branch Lyon", "IT", "Legal"]
TAGS = ["vip", "newsletter", "wholesale", "gift-buyer", "event-2026", "support-heavy", "eco", "late-payer"]
NOTES = [
    "Asked about bulk pricing for the spring catalogue.",
    "Prefers e-mail over phone. Follow up after the trade fair.",
    "Complained about a late delivery in March; resolved with a voucher.",
    "Interested in the loyalty programme.",
    "Buys gifts for the whole family every December.",
]

CANNED_REPLIES = {
    "hello": "Hi! Thanks for reaching out to Demo Shop. How can I help?",
    "shipping": "We ship within 2 working days; you get a tracking link by e-mail.",
    "returns": "You can return anything within 30 days: demo-shop.example/returns.",
}


DEMO_PRODUCTS = {
    "Tea": [("TEA-EARL", "Earl Grey, 100 g", Decimal("6.90")), ("TEA-SEN", "Sencha, 100 g", Decimal("8.50"))],
    "Coffee": [("COF-ESP", "Espresso beans, 1 kg", Decimal("24.00")), ("COF-DEC", "Decaf, 500 g", Decimal("13.50"))],
    "Accessories": [("ACC-POT", "Glass teapot", Decimal("39.00")), ("ACC-MUG", "Stoneware mug", Decimal("12.00"))],
}


@dataclass(frozen=True)
class DemoResult:
    workspace_id: int
    created: bool
    contacts: int
    orders: int = 0
    conversations: int = 0
    messages: int = 0
    feedback: dict[str, int] = field(default_factory=dict)


def _phone(rng: random.Random, country: str) -> str | None:
    example = phonenumbers.example_number_for_type(country, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return None
    digits = str(example.national_number)
    for _ in range(10):
        candidate = digits[:-3] + f"{rng.randrange(1000):03d}"
        number = phonenumbers.parse("+" + str(example.country_code) + candidate)
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)


def demo_contacts(count: int, seed: int = 7) -> list[ContactCreate]:
    """``count`` varied contacts: people and organisations, B2B and B2C, internal and external."""
    rng = random.Random(seed)
    contacts: list[ContactCreate] = []
    for index in range(count):
        country, regions, vat = rng.choice(COUNTRIES)
        region = rng.choice(regions) if rng.random() < 0.7 else None
        tags = rng.sample(TAGS, rng.randrange(0, 3))
        stage = "customer" if rng.random() < 0.55 else "prospect"
        if index % 6 == 0:
            word = rng.choice(ORG_WORDS)
            name = f"{word} {rng.choice(LAST_NAMES)} {rng.choice(ORG_SUFFIXES)}"
            reseller = vat is not None and rng.random() < 0.5
            contacts.append(
                ContactCreate(
                    kind=ContactKind.organisation,
                    name=name,
                    emails=[f"orders{index}@{word.lower()}-{index}.example"],
                    phones=[p for p in [_phone(rng, country)] if p],
                    country=country,
                    region=region,
                    market="b2b",
                    stage=stage,
                    roles=["customer", "client"] if rng.random() < 0.4 else ["customer"],
                    tags=tags + (["wholesale"] if reseller and "wholesale" not in tags else []),
                    vat_number=vat if vat and rng.random() < 0.8 else None,
                    eori_number=f"{country}{rng.randrange(10**11, 10**12)}"
                    if country in {"DE", "FR", "ES", "IT"} and rng.random() < 0.4
                    else None,
                    is_reseller=reseller,
                    attributes={"plan": rng.choice(["basic", "pro", "enterprise"])},
                )
            )
            continue
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        internal = index % 17 == 0
        slug = f"{first}.{last}".lower().replace(" ", "").replace("é", "e").replace("ë", "e").replace("ö", "o")
        slug = slug.replace("ü", "u").replace("ó", "o").replace("ø", "o")
        domain = "demo-shop.example" if internal else rng.choice(["mail.example", "post.example", "inbox.example"])
        contacts.append(
            ContactCreate(
                kind=ContactKind.person,
                first_name=first,
                last_name=last,
                emails=[f"{slug}{index}@{domain}"],
                phones=[p for p in [_phone(rng, country)] if p and rng.random() < 0.7],
                country=country,
                region=region,
                audience="internal" if internal else "external",
                department=rng.choice(DEPARTMENTS) if internal else None,
                market=None if internal else rng.choice(["b2c", "b2c", "b2b"]),
                stage=stage,
                roles=rng.sample(["customer", "consumer", "user"], rng.randrange(1, 3)),
                tags=tags,
                attributes={
                    "newsletter": rng.random() < 0.5,
                    **(
                        {"birthday": f"19{rng.randrange(60, 99)}-0{rng.randrange(1, 10)}-1{rng.randrange(0, 9)}"}
                        if rng.random() < 0.3
                        else {}
                    ),
                },
            )
        )
    return contacts


async def do_create_demo(*, session: AsyncSession, contacts: int = 240) -> DemoResult:
    """Create the demo workspace, unless one already exists (then leave it as it is)."""
    existing = await session.scalar(select(Workspace.id).where(Workspace.name == DEMO_WORKSPACE).limit(1))
    if existing is not None:
        return DemoResult(workspace_id=existing, created=False, contacts=0)
    workspace, admin, _ = await do_create_workspace(
        session=session,
        name=DEMO_WORKSPACE,
        admin=AgentCreate(email=DEMO_ADMIN_EMAIL, display_name="Ada Admin", password=DEMO_PASSWORD),
    )
    agent = await do_create_agent(
        session=session,
        workspace_id=workspace.id,
        data=AgentCreate(email=DEMO_AGENT_EMAIL, display_name="Sam Support", password=DEMO_PASSWORD, role=Role.agent),
    )
    for definition in (
        AttributeDefinitionCreate(key="plan", label="Plan", type="choice", choices=["basic", "pro", "enterprise"]),
        AttributeDefinitionCreate(key="newsletter", label="Newsletter opt-in", type="boolean"),
        AttributeDefinitionCreate(key="birthday", label="Birthday", type="date"),
    ):
        await do_create_attribute_definition(session=session, workspace_id=workspace.id, data=definition)
    chat = await get_chat_settings(session=session, workspace_id=workspace.id)
    chat.allowed_origins = ["http://127.0.0.1:8000", "http://localhost:8000"]
    await ensure_default_teams(session=session, workspace_id=workspace.id)
    for shortcut, body in CANNED_REPLIES.items():
        session.add(CannedReply(workspace_id=workspace.id, shortcut=shortcut, body=body))
    rng = random.Random(11)
    created = []
    for data in demo_contacts(contacts):
        created.append(await do_create_contact(session=session, workspace_id=workspace.id, data=data, actor=ACTOR))
    organisations = [c for c in created if c.kind == ContactKind.organisation]
    people = [c for c in created if c.kind == ContactKind.person and c.audience == "external"]
    for person in people[: len(people) // 4]:
        organisation = rng.choice(organisations)
        await do_add_relationship(
            session=session,
            contact=person,
            other=organisation,
            data=RelationshipCreate(kind=RelationshipKind.acts_for, to_contact_id=organisation.id),
            actor=ACTOR,
        )
    last = people[-30:]  # pairs of distinct people, however few there are
    for buyer, consumer in zip(last[0::2], last[1::2], strict=False):
        await do_add_relationship(
            session=session,
            contact=buyer,
            other=consumer,
            data=RelationshipCreate(kind=RelationshipKind.buys_for, to_contact_id=consumer.id),
            actor=ACTOR,
        )
    for contact in rng.sample(created, min(60, len(created))):
        await do_add_note(session=session, contact=contact, body=rng.choice(NOTES), author="Sam Support")
    orders = await _demo_orders(session, workspace.id, created, rng)
    buyers = {order.buyer_id for order in orders}
    customers = [c for c in people if c.id in buyers]
    chats = await create_demo_chats(
        session=session, workspace_id=workspace.id, agents=[admin, agent], customers=customers, rng=rng
    )
    feedback = await create_demo_feedback(
        session=session, workspace_id=workspace.id, agents=[admin, agent], orders=orders, chats=chats, rng=rng
    )
    # Last, so the referred customers' first orders are in the scores too.
    await refresh_rfm(session=session, workspace_id=workspace.id)
    return DemoResult(
        workspace_id=workspace.id,
        created=True,
        contacts=len(created),
        orders=len(orders),
        conversations=chats.conversations,
        messages=chats.messages,
        feedback={"chat_ratings": chats.ratings, **feedback},
    )


async def _demo_orders(
    session: AsyncSession, workspace_id: int, contacts: list[Contact], rng: random.Random
) -> list[OrderCreate]:
    """Two years of orders from about two thirds of the external contacts, through the real order path;
    the orders written."""
    for range_name, products in DEMO_PRODUCTS.items():
        for sku, name, _ in products:
            await do_upsert_product(
                session=session, workspace_id=workspace_id, data=ProductCreate(sku=sku, name=name, range=range_name)
            )
    prices = {sku: price for products in DEMO_PRODUCTS.values() for sku, _, price in products}
    now = utcnow()
    buyers = [c for c in contacts if c.audience == "external"]
    orders = []
    for number, buyer in enumerate(rng.sample(buyers, k=len(buyers) * 2 // 3)):
        # A few loyal customers buy often; most buy once or twice.
        for repeat in range(rng.choice((1, 1, 1, 2, 2, 3, 5, 8))):
            skus = rng.sample(sorted(prices), k=rng.choice((1, 1, 2, 3)))
            orders.append(
                OrderCreate(
                    external_id=f"DS-{number:04d}-{repeat}",
                    buyer_id=buyer.id,
                    channel=rng.choice(("web", "web", "store", "phone")),
                    status=rng.choice([OrderStatus.completed] * 12 + [OrderStatus.refunded, OrderStatus.cancelled]),
                    currency="EUR",
                    ordered_at=now - timedelta(days=rng.expovariate(1 / 150), hours=rng.randrange(24)),
                    for_resale=buyer.is_reseller or None,
                    lines=[
                        OrderLineCreate(sku=sku, quantity=rng.choice((1, 1, 2, 3)), unit_price=prices[sku])
                        for sku in skus
                    ],
                )
            )
    outcome = await write_orders(session=session, workspace_id=workspace_id, orders=orders, actor=ACTOR)
    return [order for order in orders if order.external_id in outcome.order_ids]
