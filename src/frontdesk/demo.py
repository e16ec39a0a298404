"""A realistic demo workspace: "Demo Shop", two agents, a few hundred varied contacts and their orders."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import phonenumbers
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import refresh_workspace
from frontdesk.contacts.models import Contact, ContactEvent, ContactKind, RelationshipKind
from frontdesk.contacts.schemas import AttributeDefinitionCreate, ContactCreate, RelationshipCreate
from frontdesk.contacts.service import do_create_attribute_definition, do_create_contact
from frontdesk.contacts.timeline import do_add_note, do_add_relationship
from frontdesk.conversations.models import TeamMember
from frontdesk.conversations.routing import ensure_default_teams
from frontdesk.conversations.visitors import get_chat_settings
from frontdesk.db import Base, utcnow
from frontdesk.demo_calendar import ORDERS_BY_WEEKDAY, TIME_ZONE, Calendar, local
from frontdesk.demo_chats import create_demo_chats
from frontdesk.demo_complaints import create_demo_complaints
from frontdesk.demo_connections import create_demo_connections
from frontdesk.demo_feedback import create_demo_feedback
from frontdesk.demo_help import create_demo_help
from frontdesk.demo_history import create_demo_history
from frontdesk.demo_livechat import create_demo_livechat
from frontdesk.demo_orders import DemoOrders, create_demo_orders
from frontdesk.demo_success import create_demo_success
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

# Besides Ada (admin, both teams) and Sam (both teams): two agents who only sell, two who only support.
TEAM_AGENTS = [
    ("lena@demo-shop.example", "Lena Vogel", "sales"),
    ("marco@demo-shop.example", "Marco Rossi", "sales"),
    ("priya@demo-shop.example", "Priya Patel", "support"),
    ("jonas@demo-shop.example", "Jonas Weber", "support"),
]


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


async def create_demo_customers(
    *, session: AsyncSession, workspace_id: int, contacts: int, rng: random.Random
) -> list[Contact]:
    """The demo's custom fields, contacts and the relations between them (the orders and everything after draw
    on ``rng`` next)."""
    for definition in (
        AttributeDefinitionCreate(key="plan", label="Plan", type="choice", choices=["basic", "pro", "enterprise"]),
        AttributeDefinitionCreate(key="newsletter", label="Newsletter opt-in", type="boolean"),
        AttributeDefinitionCreate(key="birthday", label="Birthday", type="date"),
    ):
        await do_create_attribute_definition(session=session, workspace_id=workspace_id, data=definition)
    created = [
        await do_create_contact(session=session, workspace_id=workspace_id, data=data, actor=ACTOR)
        for data in demo_contacts(contacts)
    ]
    await _relate(session, created, rng)
    return created


async def do_create_demo(*, session: AsyncSession, contacts: int = 240) -> DemoResult:
    """Create the demo workspace, unless one already exists (then leave it as it is)."""
    existing = await session.scalar(select(Workspace.id).where(Workspace.name == DEMO_WORKSPACE).limit(1))
    if existing is not None:
        return DemoResult(workspace_id=existing, created=False, contacts=0)
    now = utcnow()
    workspace, admin, _ = await do_create_workspace(
        session=session,
        name=DEMO_WORKSPACE,
        admin=AgentCreate(email=DEMO_ADMIN_EMAIL, display_name="Ada Admin", password=DEMO_PASSWORD),
    )
    workspace.time_zone = TIME_ZONE  # reports bucket days, weeks and months in the shop's own time
    agent = await do_create_agent(
        session=session,
        workspace_id=workspace.id,
        data=AgentCreate(email=DEMO_AGENT_EMAIL, display_name="Sam Support", password=DEMO_PASSWORD, role=Role.agent),
    )
    chat = await get_chat_settings(session=session, workspace_id=workspace.id)
    chat.allowed_origins = ["http://127.0.0.1:8000", "http://localhost:8000"]
    teams = await ensure_default_teams(session=session, workspace_id=workspace.id)  # Ada and Sam join both
    agents = [admin, agent]
    for email, name, team in TEAM_AGENTS:
        member = await do_create_agent(
            session=session,
            workspace_id=workspace.id,
            data=AgentCreate(email=email, display_name=name, password=DEMO_PASSWORD, role=Role.agent),
        )
        session.add(TeamMember(team_id=teams[team].id, agent_id=member.id))
        agents.append(member)
    rng = random.Random(11)
    created = await create_demo_customers(session=session, workspace_id=workspace.id, contacts=contacts, rng=rng)
    orders = await create_demo_orders(session=session, workspace_id=workspace.id, contacts=created, rng=rng, now=now)
    buyers = {order.buyer_id for order in orders.orders if order.buyer_id is not None}
    arrivals = _arrivals(created, orders, rng, now)
    external = [c for c in created if c.audience == "external"]
    history = await create_demo_history(
        session=session,
        workspace_id=workspace.id,
        agents=agents,
        teams={key: team.id for key, team in teams.items()},
        contacts=external,
        buyers=buyers,
        arrivals=arrivals,
        rng=rng,
        now=now,
        count=min(900, 6 * len(external)),
    )
    people = [c for c in external if c.kind == ContactKind.person]
    chats = await create_demo_chats(
        session=session,
        workspace_id=workspace.id,
        agents=[admin, agent],
        customers=[c for c in people if c.id in buyers],
        rng=rng,
    )
    # Before the surveys: those go only to contacts the shop knew when each was sent.
    await _backdate_contacts(session, arrivals)
    feedback = await create_demo_feedback(session=session, workspace_id=workspace.id, orders=orders, rng=rng, now=now)
    complaints = await create_demo_complaints(
        session=session,
        workspace_id=workspace.id,
        agents=agents[:2],
        chats=chats,
        history=history,
        feedback=feedback,
        orders=orders,
        rng=rng,
        now=now,
    )
    # Stages as of now (who lapsed since the last weekly pass) and the RFM scores, relative to everyone.
    await refresh_workspace(session=session, workspace_id=workspace.id, now=utcnow())
    # Customer success on top: owners, playbooks, predictions, health scores and weeks of tasks.
    await create_demo_success(session=session, workspace_id=workspace.id, agent_id=agent.id, password=DEMO_PASSWORD,
                              now=utcnow())  # fmt: skip
    # The widget in the shop's colours, canned replies, macros, invitations and what agents see beside a chat.
    livechat = await create_demo_livechat(session=session, workspace_id=workspace.id, rng=rng, now=utcnow())
    # Last, so the stories above draw the same numbers as before: the shops that posted the recent orders, a
    # paused webhook endpoint with its delivery log, and the shop integration's scoped API key.
    await create_demo_connections(session=session, workspace_id=workspace.id, rng=random.Random(15), now=utcnow())
    # The help center: articles, and 60 days of searches, votes and the chats that followed (own random draws).
    help_chats = await create_demo_help(session=session, workspace_id=workspace.id, admin=admin,
                                        password=DEMO_PASSWORD, rng=random.Random(16), now=utcnow())  # fmt: skip
    return DemoResult(
        workspace_id=workspace.id,
        created=True,
        contacts=len(created),
        orders=len(orders.orders),
        conversations=history.conversations + chats.conversations + livechat.invitations_answered + help_chats,
        messages=history.messages + chats.messages + 3 * livechat.invitations_answered,
        feedback={"chat_ratings": history.ratings + chats.ratings, **feedback.counts(), "complaints": complaints},
    )


async def _relate(session: AsyncSession, created: list[Contact], rng: random.Random) -> None:
    """People acting for organisations, people buying for others, and notes on some contacts."""
    organisations = [c for c in created if c.kind == ContactKind.organisation]
    people = [c for c in created if c.kind == ContactKind.person and c.audience == "external"]
    for person in people[: len(people) // 4] if organisations else []:
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


def _arrivals(created: list[Contact], orders: DemoOrders, rng: random.Random, now: datetime) -> dict[int, datetime]:
    """When the shop first heard of each contact: a quarter before the history began, the others a little
    before their first order or (prospects) some day of the year, more often as the shop grew."""
    calendar = Calendar.ending(now)
    first: dict[int, datetime] = {}
    for order in orders.orders:
        if order.buyer_id is not None:
            first[order.buyer_id] = min(first.get(order.buyer_id, order.ordered_at), order.ordered_at)
    days = calendar.pick_days(rng, len(created), ORDERS_BY_WEEKDAY)
    arrivals = {}
    for contact, day in zip(created, days, strict=True):
        bought = first.get(contact.id)
        at = bought - timedelta(days=rng.uniform(0.1, 30)) if bought else local(day, rng.randrange(7, 22))
        if rng.random() < 0.25:  # known from before the history began: the shop is older than a year
            at = local(calendar.first, 9) - timedelta(days=rng.uniform(1, 365))
        arrivals[contact.id] = min(at, now)
    return arrivals


async def _backdate_contacts(session: AsyncSession, arrivals: dict[int, datetime]) -> None:
    """Contacts were recorded when they arrived, not when the demo was loaded: "new contacts", the contact
    pages and the surveys' recipients tell the same story as the orders and chats."""
    rows = [{"contact": contact_id, "at": at} for contact_id, at in arrivals.items()]
    contacts = Base.metadata.tables[Contact.__tablename__]
    events = Base.metadata.tables[ContactEvent.__tablename__]
    await session.execute(
        update(contacts)
        .where(contacts.c.id == bindparam("contact"))
        .values(created_at=bindparam("at"), updated_at=bindparam("at")),
        rows,
    )
    await session.execute(
        update(events)
        .where(events.c.contact_id == bindparam("contact"), events.c.kind == "created")
        .values(created_at=bindparam("at")),
        rows,
    )
