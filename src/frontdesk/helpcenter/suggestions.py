"""The help center beside a conversation: the visitor's question, the articles that answer it, and an agent's
reply turned into a draft article.

None of this is logged as a visitor's search: the reports count what visitors looked for themselves, and an
agent opening a conversation (perhaps many times) would count the same question again and again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations import queries as conversations
from frontdesk.conversations.models import AuthorType, Conversation, Message, MessageKind, Visitor
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.helpcenter import centers, search, service
from frontdesk.helpcenter.models import LANGUAGES, HelpTranslation
from frontdesk.helpcenter.scrubbing import scrub
from frontdesk.workspaces.service import Principal

MAX_TITLE = 200
SUGGESTIONS = 3


@dataclass(frozen=True)
class Suggestions:
    question: str
    locale: str
    hits: list[search.SearchHit]


def _clean(text: str, limit: int) -> str:
    """One line, cut at a word boundary with "…" when longer than ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut:
        cut = cut[: cut.rfind(" ")]
    return cut.rstrip(" ,;:-") + "…"


def _is_visitor_line(message: Message) -> bool:
    return message.author_type == AuthorType.visitor.value and message.kind == MessageKind.message.value


def _is_agent_reply(message: Message) -> bool:
    return message.author_type == AuthorType.agent.value and message.kind == MessageKind.message.value


def opening_question(messages: Sequence[Message]) -> str:
    """What the visitor asked before anyone answered: the lines up to the first agent reply.

    The opening lines state what the conversation is about ("Hi" and the question); later lines are mostly
    answers to the agent ("yes", "order 1234", "thanks"), which would find nothing useful."""
    lines: list[str] = []
    for message in messages:
        if _is_agent_reply(message) and lines:
            break
        if _is_visitor_line(message):
            lines.append(message.body)
    return _clean(" ".join(lines), search.MAX_QUERY)


def question_before(messages: Sequence[Message], reply: Message) -> str:
    """The visitor's lines the reply answers: those since the previous agent reply (or the start)."""
    lines: list[str] = []
    for message in messages:
        if message.seq >= reply.seq:
            break
        if _is_agent_reply(message):
            lines = []
        elif _is_visitor_line(message):
            lines.append(message.body)
    return _clean(" ".join(lines), MAX_TITLE)


async def question_locale(session: AsyncSession, conversation: Conversation) -> str:
    """The visitor's language when the widget reported one the help center is written in; else the default."""
    reported = str((conversation.context or {}).get("language") or "").split("-")[0].strip().lower()
    if reported in LANGUAGES:
        return reported
    center = await centers.get_help_center(session=session, workspace_id=conversation.workspace_id)
    return center.default_locale


async def suggest_for_conversation(
    *, session: AsyncSession, workspace_id: int, conversation_id: int, limit: int = SUGGESTIONS
) -> Suggestions:
    conversation = await conversations.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    messages = await conversations.list_messages(session=session, conversation=conversation, include_notes=False)
    question = opening_question(messages)
    locale = await question_locale(session, conversation)
    if not question:
        return Suggestions(question="", locale=locale, hits=[])
    found = await search.search_articles(
        session=session, workspace_id=workspace_id, locale=locale, query=question, limit=limit
    )
    default = (await centers.get_help_center(session=session, workspace_id=workspace_id)).default_locale
    if not found.hits and locale != default:
        # Nothing written in the visitor's language matches: the default language's articles still help.
        locale = default
        found = await search.search_articles(
            session=session, workspace_id=workspace_id, locale=locale, query=question, limit=limit
        )
    return Suggestions(question=question, locale=locale, hits=found.hits)


async def do_reply_to_article(
    *, session: AsyncSession, workspace_id: int, conversation_id: int, message_id: int, by: Principal
) -> HelpTranslation:
    """A draft article from an agent's reply: the visitor's question as its title, the reply as its body."""
    conversation = await conversations.get_conversation(
        session=session, workspace_id=workspace_id, conversation_id=conversation_id
    )
    reply = await session.scalar(
        select(Message).where(
            Message.id == message_id,
            Message.conversation_id == conversation.id,
            Message.workspace_id == workspace_id,
        )
    )
    if reply is None:
        raise NotFound(f"message {message_id} not found", field="message_id")
    if not _is_agent_reply(reply):
        raise InvalidInput("only an agent's reply to the visitor can become an article", field="message_id")
    messages = await conversations.list_messages(session=session, conversation=conversation, include_notes=False)
    # The draft is the business's text from now on, kept after the customer is erased: it starts without them
    # (their name, addresses and numbers become placeholders for the editor to word generally).
    names = await _customer_names(session, conversation, messages)
    question = _clean(scrub(question_before(messages, reply), names=names), MAX_TITLE)
    body = scrub(reply.body, names=names, links=False)  # the reply's links are the business's own pages
    return await service.do_create_article(
        session=session,
        workspace_id=workspace_id,
        by=by,
        # The article is written in the language the question was asked in (the widget reports it).
        locale=await question_locale(session, conversation),
        title=question or _clean(body, MAX_TITLE) or f"Conversation {conversation.id}",
        body=body,
        source_conversation_id=conversation.id,
    )


async def _customer_names(session: AsyncSession, conversation: Conversation, messages: Sequence[Message]) -> set[str]:
    """Every name the customer goes by in this conversation: the contact's, the one typed into the widget, and
    the one their messages were signed with."""
    names = {message.author_name for message in messages if _is_visitor_line(message) and message.author_name}
    contact = await session.get(Contact, conversation.contact_id) if conversation.contact_id else None
    visitor = await session.get(Visitor, conversation.visitor_id) if conversation.visitor_id else None
    names.update(name for name in (contact and contact.name, visitor and visitor.claimed_name) if name)
    return names
