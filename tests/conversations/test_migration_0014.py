"""Migration 0014 fills what existing rows need: who is waiting since when, and the accent-folded contact names."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Integer, TextClause, bindparam, column, text
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.db import UTCDateTime, migrate

T0 = datetime(2026, 1, 1, tzinfo=UTC)
# (conversation id, status, lines as (seq, author, kind, minute)) -> waiting since minute, or None
CASES = [
    (1, "open", [(1, "visitor", "message", 0), (2, "agent", "message", 1), (3, "visitor", "message", 5),
                 (4, "visitor", "message", 6)], 5),  # asked again after the reply: waits since the first ask
    (2, "resolved", [(1, "visitor", "message", 0)], None),  # resolved: nobody waits
    (3, "pending", [(1, "visitor", "message", 0), (2, "agent", "note", 1)], 0),  # a note answers nobody
    (4, "open", [(1, "visitor", "message", 0), (2, "agent", "message", 2)], None),  # answered
    (5, "open", [(1, "agent", "message", 0), (2, "visitor", "message", 3)], 3),  # an invitation, then a question
    (6, "open", [], None),
]  # fmt: skip


async def test_migration_0014_fills_waiting_since_and_search_names(scratch_engine: AsyncEngine) -> None:
    engine = scratch_engine
    await migrate(engine, "0013")
    async with engine.begin() as connection:
        await connection.execute(
            _timed("INSERT INTO workspaces (id, name, time_zone, created_at) VALUES (1, 'W', 'UTC', :t)", "t"),
            {"t": T0},
        )
        for number, name in enumerate(["Jürgen Müller", "ZOË SALDAÑA", "Ordinary Name"], start=1):
            await connection.execute(
                _timed(
                    "INSERT INTO contacts (id, workspace_id, kind, name, audience, stage, roles, attributes,"
                    " is_reseller, created_at, updated_at) VALUES (:id, 1, 'person', :name, 'external',"
                    " 'prospect', '[]', '{}', false, :t, :t)",
                    "t",
                ),
                {"id": number, "name": name, "t": T0},
            )
        message_id = 0
        for conversation_id, status, lines, _ in CASES:
            await connection.execute(
                _timed(
                    "INSERT INTO conversations (id, workspace_id, status, started_offline, last_seq, created_at,"
                    " last_activity_at) VALUES (:id, 1, :status, false, :seq, :t, :t)",
                    "t",
                ),
                {"id": conversation_id, "status": status, "seq": len(lines), "t": T0},
            )
            for seq, author, kind, minute in lines:
                message_id += 1
                await connection.execute(
                    _timed(
                        "INSERT INTO messages (id, workspace_id, conversation_id, seq, client_id, author_type,"
                        " kind, body, created_at) VALUES (:id, 1, :c, :seq, :client, :author, :kind, 'x', :at)",
                        "at",
                    ),
                    {
                        "id": message_id,
                        "c": conversation_id,
                        "seq": seq,
                        "client": f"c{message_id}",
                        "author": author,
                        "kind": kind,
                        "at": datetime(2026, 1, 1, 10, minute, tzinfo=UTC),
                    },
                )
    await migrate(engine)
    async with engine.connect() as connection:
        waiting_query = text("SELECT id, waiting_since FROM conversations").columns(
            column("id", Integer), column("waiting_since", UTCDateTime())
        )
        waiting = dict((await connection.execute(waiting_query)).all())
        names = dict((await connection.execute(text("SELECT id, search_name FROM contacts"))).all())
    expected = {
        conversation_id: None if minute is None else datetime(2026, 1, 1, 10, minute, tzinfo=UTC)
        for conversation_id, _, _, minute in CASES
    }
    assert waiting == expected
    assert names == {1: "jurgen muller", 2: "zoe saldana", 3: "ordinary name"}


def _timed(sql: str, *stamps: str) -> TextClause:
    """A statement whose ``stamps`` parameters are UTC timestamps, stored as each database stores them."""
    return text(sql).bindparams(*(bindparam(name, type_=UTCDateTime()) for name in stamps))
