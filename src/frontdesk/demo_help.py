"""The demo's help center: collections and articles in English and German (with drafts, an article with
unpublished changes, one with a former address, and weeks of revisions by two people), and 60 days of widget
activity behind the help center report: searches (some misspelt, some finding nothing), opened articles, votes,
and the chats that followed some of them, whose questions make the report's content gaps.

Texts are in ``demo_help_articles``. Articles are written through the help center service, as an editor would;
the visitors' activity is inserted in bulk (a few statements, not one per search) so the demo stays fast.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import AuthorType, Conversation, ConversationStatus, Message, Visitor
from frontdesk.demo_help_articles import (
    ARTICLES,
    CHANGED,
    COLLECTIONS,
    DRAFTS,
    GAP_QUESTIONS,
    GERMAN,
    QUERIES,
    RENAMED,
)
from frontdesk.demo_livechat import context_for
from frontdesk.helpcenter import help_collections, service
from frontdesk.helpcenter.activity import normalize_query
from frontdesk.helpcenter.models import (
    HelpArticleView,
    HelpRevision,
    HelpSearch,
    HelpSession,
    HelpTranslation,
    HelpVote,
)
from frontdesk.helpcenter.search import search_articles
from frontdesk.workspaces.models import Agent, Role, Workspace
from frontdesk.workspaces.schemas import AgentCreate
from frontdesk.workspaces.service import Principal, do_create_agent

DEMO_SLUG = "demo-shop"
EDITOR_EMAIL = "erin@demo-shop.example"
SESSIONS = 300
DAYS = 60
UNHELPFUL = "return-label"  # the article visitors keep voting "no" on: the label is hard to find
GERMAN_QUERIES: list[tuple[str, int, str | None]] = [
    ("rücksendung", 5, "returns-how"),
    ("lieferzeit", 4, "delivery-times"),
    ("zahlungsarten", 3, "payment-methods"),
    ("passwort", 2, "password-reset"),
    ("tee zubereitung", 2, "brewing"),
    ("rechnung firma", 2, None),
]
# Questions visitors asked in the chat after reading an article (answered ones: the help center has them).
FOLLOW_UPS = {
    "returns-how": "How do returns work for opened coffee?",
    "return-label": "Where is the return label? I cannot print the label",
    "delivery-times": "What are the delivery times and costs to Austria?",
    "tracking": "My tracking link shows no tracking status",
    "refund-times": "When do I get the refund, what are the refund times?",
    "order-status": "Where is my order? It has not arrived",
}
GAP_TOPICS = {
    "klarna": "klarna",
    "afterpay": "klarna",
    "invoice for company": "invoice",
    "rechnung firma": "invoice",
    "change delivery address": "address",
}
REPLIES = [
    "Thanks for asking! I've sorted that out for you; anything else I can help with?",
    "Good question. I've passed it on and we'll add it to our help center too.",
    "Done! You'll get an e-mail confirmation in a minute.",
]


async def create_demo_help(
    *, session: AsyncSession, workspace_id: int, admin: Agent, password: str, rng: random.Random, now: datetime
) -> int:
    """The help center and its history; returns how many conversations it started."""
    workspace = await session.get(Workspace, workspace_id)
    assert workspace is not None
    workspace.slug = DEMO_SLUG  # the public address /help/demo-shop
    editor = await do_create_agent(
        session=session,
        workspace_id=workspace_id,
        data=AgentCreate(email=EDITOR_EMAIL, display_name="Erin Editor", password=password, role=Role.editor),
    )
    people = [
        Principal(workspace_id=workspace_id, role=Role.editor, label="Erin Editor", agent_id=editor.id),
        Principal(workspace_id=workspace_id, role=Role.admin, label="Ada Admin", agent_id=admin.id),
    ]
    translations = await _articles(session, workspace_id, people, rng, now)
    return await _activity(session, workspace_id, admin, translations, rng, now)


async def _articles(
    session: AsyncSession, workspace_id: int, people: list[Principal], rng: random.Random, now: datetime
) -> dict[tuple[str, str], HelpTranslation]:
    """Every article by (key, locale); written, reworked and published over the past weeks by two people."""
    collections = {}
    for position, (key, names, descriptions) in enumerate(COLLECTIONS):
        created = await help_collections.do_create_collection(
            session=session,
            workspace_id=workspace_id,
            names=names,
            descriptions=descriptions,
            slug=key,
            position=position,
        )
        collections[key] = created.id
    found: dict[tuple[str, str], HelpTranslation] = {}
    for key, collection, title, description, body in [*ARTICLES, *DRAFTS]:
        found[key, "en"] = await service.do_create_article(
            session=session,
            workspace_id=workspace_id,
            by=rng.choice(people),
            locale="en",
            title=title,
            description=description,
            body=body,
            collection_id=collections[collection],
        )
    ids = {key: translation.article_id for (key, _), translation in found.items()}
    for key, (title, description, body) in GERMAN.items():
        found[key, "de"] = await service.do_add_translation(
            session=session,
            workspace_id=workspace_id,
            article_id=ids[key],
            by=rng.choice(people),
            locale="de",
            title=title,
            description=description,
            body=body,
        )
    drafts = {key for key, *_ in DRAFTS}
    for translation in found.values():
        if "article:" in translation.body:  # the second person links the article to its neighbours
            body = translation.body
            for other, article_id in ids.items():
                body = body.replace(f"(article:{other})", f"(article:{article_id})")
            await service.do_update_translation(
                session=session,
                workspace_id=workspace_id,
                translation_id=translation.id,
                by=rng.choice(people),
                body=body,
            )
    for rounds in range(2):  # twice: links resolve only to articles already published
        for (key, _), translation in found.items():
            if key not in drafts and (rounds == 0 or "article:" in translation.body):
                await service.do_publish(
                    session=session, workspace_id=workspace_id, translation_id=translation.id, by=rng.choice(people)
                )
    changed = found[CHANGED[0], "en"]
    await service.do_update_translation(
        session=session, workspace_id=workspace_id, translation_id=changed.id, by=people[0], title=CHANGED[1]
    )
    renamed = found[RENAMED[0], "en"]
    await service.do_update_translation(
        session=session, workspace_id=workspace_id, translation_id=renamed.id, by=people[0], slug=RENAMED[1]
    )
    await _backdate(session, workspace_id, found, rng, now)
    return found


async def _backdate(
    session: AsyncSession,
    workspace_id: int,
    found: dict[tuple[str, str], HelpTranslation],
    rng: random.Random,
    now: datetime,
) -> None:
    """Spread each version's history over the past weeks: written 2-11 weeks ago, a step every day or two."""
    revisions: dict[int, list[HelpRevision]] = defaultdict(list)
    for revision in await session.scalars(
        select(HelpRevision).where(HelpRevision.workspace_id == workspace_id).order_by(HelpRevision.number)
    ):
        revisions[revision.translation_id].append(revision)
    for translation in found.values():
        moment = now - timedelta(days=rng.uniform(14, 77))
        translation.created_at = moment
        for revision in revisions[translation.id]:
            revision.created_at = moment
            if revision.action == "published":
                translation.published_at = moment
            translation.updated_at = moment
            moment += timedelta(hours=rng.uniform(3, 40))
    await session.flush()


def _pick(rng: random.Random, queries: list[tuple[str, int, str | None]]) -> tuple[str, str | None]:
    query, _, key = rng.choices(queries, weights=[weight for _, weight, _ in queries])[0]
    return query, key


async def _activity(
    session: AsyncSession,
    workspace_id: int,
    admin: Agent,
    found: dict[tuple[str, str], HelpTranslation],
    rng: random.Random,
    now: datetime,
) -> int:
    """SESSIONS widget visits over DAYS days: a search each, most open an article, some vote, some chat."""
    results: dict[tuple[str, str], tuple[int, int | None]] = {}
    plans = []
    for number in range(SESSIONS):
        locale = "de" if rng.random() < 0.15 else "en"
        query, key = _pick(rng, GERMAN_QUERIES if locale == "de" else QUERIES)
        if (locale, query) not in results:
            hits = await search_articles(session=session, workspace_id=workspace_id, locale=locale, query=query)
            results[locale, query] = (hits.total, hits.hits[0].translation_id if hits.hits else None)
        started = now - timedelta(days=rng.uniform(0.02, DAYS))
        plans.append((number, locale, query, key, started))
    visitors = [
        Visitor(
            workspace_id=workspace_id,
            token_hash=f"demo-help-{number}-{rng.getrandbits(48):012x}",
            created_at=started,
            last_seen_at=started,
        )
        for number, _, _, _, started in plans
    ]
    session.add_all(visitors)
    await session.flush()
    visits = [
        HelpSession(
            workspace_id=workspace_id,
            visitor_id=visitor.id,
            source="widget",
            locale=locale,
            started_at=started,
            last_seen_at=started + timedelta(minutes=2),
            searched=True,
        )
        for visitor, (_, locale, _, _, started) in zip(visitors, plans, strict=True)
    ]
    session.add_all(visits)
    await session.flush()
    chats: list[tuple[Visitor, datetime, str]] = []
    for visitor, visit, (_, locale, query, key, started) in zip(visitors, visits, plans, strict=True):
        total, first_id = results[locale, query]
        session.add(
            HelpSearch(
                workspace_id=workspace_id,
                session_id=visit.id,
                source="widget",
                locale=locale,
                query=query,
                normalized_query=normalize_query(query),
                result_count=total,
                first_result_id=first_id,
                created_at=started,
            )
        )
        article = found.get((key, locale)) if key and total else None
        if article is not None and rng.random() < 0.8:
            opened = started + timedelta(seconds=rng.uniform(10, 90))
            visit.first_opened_at = opened
            session.add(
                HelpArticleView(
                    workspace_id=workspace_id,
                    translation_id=article.id,
                    session_id=visit.id,
                    source="widget",
                    created_at=opened,
                )
            )
            if rng.random() < (0.8 if key == UNHELPFUL else 0.4):
                helpful = rng.random() < (0.2 if key == UNHELPFUL else 0.85)
                session.add(
                    HelpVote(
                        workspace_id=workspace_id,
                        translation_id=article.id,
                        session_id=visit.id,
                        helpful=helpful,
                        created_at=opened,
                        updated_at=opened,
                    )
                )
            wants_chat = rng.random() < (0.6 if key == UNHELPFUL else 0.3)
            question = FOLLOW_UPS.get(key or "", article.title)
        else:
            wants_chat = rng.random() < 0.55
            topic = GAP_TOPICS.get(query)
            if topic:
                question = _gap_question(rng, topic)
            elif key is not None:
                question = FOLLOW_UPS.get(key, found[key, "en"].title)
            else:
                question = f"Do you offer {query}?"
        # Most chats follow within minutes (the widget carries the question over); a few come back hours later.
        chat_at = started + timedelta(minutes=rng.uniform(2, 8) if rng.random() < 0.8 else 60 * rng.uniform(2, 20))
        if wants_chat and chat_at + timedelta(hours=1) < now:
            if chat_at - started < timedelta(minutes=10):
                visit.continued_to_chat_at = chat_at
            chats.append((visitor, chat_at, question))
    await session.flush()
    await _chats(session, workspace_id, admin, chats, rng)
    return len(chats)


def _gap_question(rng: random.Random, topic: str) -> str:
    words = {"klarna": "klarna", "invoice": "invoice", "address": "address"}[topic]
    return rng.choice([question for question in GAP_QUESTIONS if words in question.lower()])


async def _chats(
    session: AsyncSession,
    workspace_id: int,
    admin: Agent,
    chats: list[tuple[Visitor, datetime, str]],
    rng: random.Random,
) -> None:
    """The conversations visitors started after the help center: their question, an answer, resolved."""
    conversations = []
    for visitor, chat_at, _ in chats:
        replied = chat_at + timedelta(minutes=rng.uniform(1, 6))
        conversations.append(
            Conversation(
                workspace_id=workspace_id,
                visitor_id=visitor.id,
                assignee_id=admin.id,
                status=ConversationStatus.resolved.value,
                last_seq=2,
                created_at=chat_at,
                last_activity_at=replied,
                first_response_at=replied,
                resolved_at=replied + timedelta(minutes=rng.uniform(5, 40)),
                context=context_for(rng, chat_at),
            )
        )
    session.add_all(conversations)
    await session.flush()
    for conversation, (_, chat_at, question) in zip(conversations, chats, strict=True):
        session.add_all(
            [
                Message(
                    workspace_id=workspace_id,
                    conversation_id=conversation.id,
                    seq=1,
                    client_id=f"demo-help-{conversation.id}-1",
                    author_type=AuthorType.visitor.value,
                    body=question,
                    created_at=chat_at,
                ),
                Message(
                    workspace_id=workspace_id,
                    conversation_id=conversation.id,
                    seq=2,
                    client_id=f"demo-help-{conversation.id}-2",
                    author_type=AuthorType.agent.value,
                    author_agent_id=admin.id,
                    author_name=admin.display_name,
                    body=rng.choice(REPLIES),
                    created_at=conversation.first_response_at,
                ),
            ]
        )
    await session.flush()
