"""Group commit for the busiest write: a visitor's further line in a conversation that already exists.

Sockets hand their messages to one writer per process. It takes whatever has queued up while the previous
batch was being written and stores it in one transaction with a handful of statements, however many messages
there are: increment each conversation's ``last_seq`` by the number of its new messages, read the numbers
back, insert all messages at once, commit. Only then are the senders acknowledged and the events published.
The database's unique indexes keep this honest: if another process wrote to the same conversation in
between, or a client id was already stored, the batch fails as a whole, is rolled back, and its messages are
written one by one through the ordinary path, which handles both cases.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, func, insert, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from frontdesk.conversations.models import AuthorType, Conversation, ConversationStatus, Message, MessageKind
from frontdesk.conversations.outbox import (
    Outbox,
    add_message_events,
    conversation_channel,
    conversation_summary,
    inbox_channel,
    summary_of,
)
from frontdesk.conversations.queries import conversation_event
from frontdesk.conversations.schemas import MessageRead
from frontdesk.conversations.service import do_post_message
from frontdesk.db import Base, utcnow
from frontdesk.feedback.sentiment import sentiment
from frontdesk.realtime.broker import Broker
from frontdesk.webhooks import events

log = logging.getLogger(__name__)
CONVERSATIONS: Table = Base.metadata.tables["conversations"]
MESSAGES: Table = Base.metadata.tables["messages"]
MAX_BATCH = 500


@dataclass
class _Line:
    conversation_id: int
    client_id: str
    body: str
    sentiment: float
    done: asyncio.Future[dict[str, Any]] = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class MessageWriter:
    def __init__(self, factory: async_sessionmaker[AsyncSession], broker: Broker) -> None:
        self.factory = factory
        self.broker = broker
        self.queue: asyncio.Queue[_Line] = asyncio.Queue()
        self.task: asyncio.Task[None] | None = None

    async def submit(self, conversation_id: int, client_id: str, body: str) -> dict[str, Any]:
        """Store one visitor line; returns the stored message (``MessageRead`` as JSON) once committed."""
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._run(), name="frontdesk-message-writer")
        # Scored here, in the visitor's own task: the writer's transaction (the write lock) stays short.
        line = _Line(conversation_id, client_id, body, sentiment(body))
        await self.queue.put(line)
        return await line.done

    async def close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task

    async def _run(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < MAX_BATCH and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            outbox = Outbox()
            results: list[dict[str, Any] | BaseException]
            try:
                async with self.factory() as session:
                    results = list(await write_lines(session=session, lines=batch, outbox=outbox))
                    await session.commit()
            except Exception:  # a conflict or a failure: the ordinary path, one line at a time
                log.debug("batch of %d lines failed; writing them one by one", len(batch), exc_info=True)
                outbox = Outbox()
                results = await self._one_by_one(batch, outbox)
            for line, result in zip(batch, results, strict=True):
                if line.done.done():
                    continue
                if isinstance(result, BaseException):
                    line.done.set_exception(result)
                else:
                    line.done.set_result(result)
            await outbox.publish(self.broker)

    async def _one_by_one(self, batch: list[_Line], outbox: Outbox) -> list[dict[str, Any] | BaseException]:
        results: list[dict[str, Any] | BaseException] = []
        for line in batch:
            for attempt in range(2):
                try:
                    async with self.factory() as session:
                        conversation = await session.get(Conversation, line.conversation_id)
                        if conversation is None:
                            raise LookupError(f"conversation {line.conversation_id} is gone")
                        message, _ = await do_post_message(
                            session=session,
                            conversation=conversation,
                            author_type=AuthorType.visitor,
                            client_id=line.client_id,
                            body=line.body,
                            outbox=outbox,
                        )
                        await session.commit()
                    results.append(MessageRead.model_validate(message).model_dump(mode="json"))
                    break
                except Exception as exc:  # the retry finds a message stored by a concurrent writer
                    if attempt:
                        results.append(exc)
        return results


async def write_lines(*, session: AsyncSession, lines: list[_Line], outbox: Outbox) -> list[dict[str, Any]]:
    """Store ``lines`` in the caller's transaction with a fixed number of statements; results in order."""
    keys = list(dict.fromkeys((line.conversation_id, line.client_id) for line in lines))
    stored = {
        (row.conversation_id, row.client_id): row
        for row in (
            await session.scalars(select(Message).where(tuple_(Message.conversation_id, Message.client_id).in_(keys)))
        ).all()
    }
    new_keys = [key for key in keys if key not in stored]
    body_of = {(line.conversation_id, line.client_id): line.body for line in lines}
    sentiment_of = {(line.conversation_id, line.client_id): line.sentiment for line in lines}
    counts: dict[int, int] = {}
    for conversation_id, _ in new_keys:
        counts[conversation_id] = counts.get(conversation_id, 0) + 1
    now = utcnow()
    created: dict[tuple[int, str], Message] = {}
    conversations: dict[int, Any] = {}
    if counts:
        # Increment first: the row lock (PostgreSQL) or the write lock (SQLite) is ours from here to commit.
        await session.execute(
            update(CONVERSATIONS)
            .where(CONVERSATIONS.c.id == bindparam("cid"))
            .values(
                last_seq=CONVERSATIONS.c.last_seq + bindparam("n"),
                last_activity_at=now,
                # A visitor line starts the wait unless the visitor is already waiting (see do_post_message).
                waiting_since=func.coalesce(CONVERSATIONS.c.waiting_since, now),
            ),
            [{"cid": cid, "n": n} for cid, n in counts.items()],
        )
        rows = (
            await session.execute(
                select(
                    CONVERSATIONS.c.id,
                    CONVERSATIONS.c.workspace_id,
                    CONVERSATIONS.c.last_seq,
                    CONVERSATIONS.c.status,
                    CONVERSATIONS.c.first_response_at,
                    CONVERSATIONS.c.assignee_id,
                    CONVERSATIONS.c.waiting_since,
                    CONVERSATIONS.c.created_at,
                    CONVERSATIONS.c.contact_id,
                ).where(CONVERSATIONS.c.id.in_(list(counts)))
            )
        ).all()
        conversations = {row.id: row for row in rows}
        next_seq = {row.id: row.last_seq - counts[row.id] + 1 for row in rows}
        values = []
        for conversation_id, client_id in new_keys:
            conversation = conversations[conversation_id]  # KeyError: gone; the one-by-one path reports it
            values.append(
                {
                    "workspace_id": conversation.workspace_id,
                    "conversation_id": conversation_id,
                    "seq": next_seq[conversation_id],
                    "client_id": client_id,
                    "author_type": AuthorType.visitor.value,
                    "author_agent_id": None,
                    "author_name": None,
                    "kind": MessageKind.message.value,
                    "body": body_of[(conversation_id, client_id)],
                    "sentiment": sentiment_of[(conversation_id, client_id)],
                    "created_at": now,
                }
            )
            next_seq[conversation_id] += 1
        await session.execute(insert(MESSAGES), values)
        ids = {
            (row.conversation_id, row.seq): row.id
            for row in (
                await session.execute(
                    select(MESSAGES.c.id, MESSAGES.c.conversation_id, MESSAGES.c.seq).where(
                        tuple_(MESSAGES.c.conversation_id, MESSAGES.c.seq).in_(
                            [(v["conversation_id"], v["seq"]) for v in values]
                        )
                    )
                )
            ).all()
        }
        reopened = [row.id for row in rows if row.status == ConversationStatus.resolved.value]
        if reopened:  # a new visitor line reopens a resolved conversation
            await session.execute(
                update(CONVERSATIONS)
                .where(CONVERSATIONS.c.id.in_(reopened))
                .values(status=ConversationStatus.open.value, resolved_at=None, snoozed_until=None)
            )
        for value in values:
            message = Message(id=ids[(value["conversation_id"], value["seq"])], **value)
            created[(value["conversation_id"], value["client_id"])] = message
            row = conversations[value["conversation_id"]]
            summary = summary_of(
                conversation_id=row.id,
                status=ConversationStatus.open.value,
                first_response_at=row.first_response_at,
                assignee_id=row.assignee_id,
                waiting_since=row.waiting_since,
                last_activity_at=now,
                first_response_seconds=(
                    (row.first_response_at - row.created_at).total_seconds() if row.first_response_at else None
                ),
            )
            add_message_events(outbox, message, workspace_id=row.workspace_id, summary=summary)
        for conversation_id in reopened:
            outbox.add(
                conversation_channel(conversation_id),
                {"type": "status", "conversation_id": conversation_id, "status": "open"},
            )
            conversation_obj = await session.get(Conversation, conversation_id)
            if conversation_obj is not None:
                await session.refresh(conversation_obj)
                outbox.add(
                    inbox_channel(conversations[conversation_id].workspace_id),
                    await conversation_event(session=session, conversation=conversation_obj),
                )
    for (conversation_id, _), message in stored.items():
        # A retry of a stored line is announced again: the first attempt's events may never have gone out.
        conversation_obj = await session.get(Conversation, conversation_id)
        if conversation_obj is not None:
            add_message_events(
                outbox, message, workspace_id=message.workspace_id, summary=conversation_summary(conversation_obj)
            )
    await _emit_messages(session, list(created.values()), conversations)
    found = {**stored, **created}
    return [
        MessageRead.model_validate(found[(line.conversation_id, line.client_id)]).model_dump(mode="json")
        for line in lines
    ]


async def _emit_messages(session: AsyncSession, messages: list[Message], conversations: dict[int, Any]) -> None:
    """message.created for the batch's new lines: one emit_many per workspace, so a workspace without webhooks
    pays the one subscription query of this session, and nothing per line."""
    by_workspace: dict[int, list[events.Emitted]] = {}
    for message in messages:
        by_workspace.setdefault(message.workspace_id, []).append(
            events.Emitted(
                MessageRead.model_validate(message).model_dump(mode="json"),
                conversations[message.conversation_id].contact_id,
            )
        )
    for workspace_id, emitted in by_workspace.items():
        await events.emit_many(session, workspace_id=workspace_id, event_type="message.created", events=emitted)
