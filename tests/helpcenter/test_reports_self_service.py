"""The self-service rate against a hand count: which sessions count, which are pending, and the period's edges
in the workspace's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.db import create_session_factory
from frontdesk.helpcenter import activity, service
from frontdesk.helpcenter.models import HelpTranslation
from frontdesk.helpcenter.reports import self_service
from frontdesk.helpcenter.search import SearchResults
from frontdesk.reports.controls import Granularity, ReportControls
from frontdesk.workspaces.models import Role, Workspace
from frontdesk.workspaces.service import Principal
from tests.factories import WorkspaceHandle

BERLIN = "Europe/Berlin"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def published_article(
    session: AsyncSession, workspace_id: int, title: str, *, locale: str = "en"
) -> HelpTranslation:
    by = Principal(workspace_id=workspace_id, role=Role.editor, label="Edith Editor")
    draft = await service.do_create_article(
        session=session, workspace_id=workspace_id, by=by, locale=locale, title=title, body=f"All about {title}."
    )
    return await service.do_publish(session=session, workspace_id=workspace_id, translation_id=draft.id, by=by)


async def visit(
    session: AsyncSession,
    workspace_id: int,
    article: HelpTranslation,
    *,
    started: datetime,
    searched: bool = True,
    opened_after: timedelta | None = None,
    chat_after_opening: timedelta | None = None,
    source: str = "widget",
) -> None:
    """One visitor's session: a search (or not), an opened article (or not), a conversation (or not)."""
    visitor = Visitor(workspace_id=workspace_id, token_hash=f"t-{workspace_id}-{started.isoformat()}-{source}")
    session.add(visitor)
    await session.flush()
    help_session = await activity.current_session(
        session=session, workspace_id=workspace_id, visitor_id=visitor.id, source=source, locale="en", now=started
    )
    if searched:
        await activity.log_search(
            session=session,
            workspace_id=workspace_id,
            source=source,
            locale="en",
            results=SearchResults(query="returns", total=1),
            help_session=help_session,
            now=started,
        )
    if opened_after is not None:
        opened = started + opened_after
        await activity.log_view(
            session=session, translation=article, source=source, help_session=help_session, now=opened
        )
        if chat_after_opening is not None:
            session.add(
                Conversation(workspace_id=workspace_id, visitor_id=visitor.id, created_at=opened + chat_after_opening)
            )
    await session.flush()


async def test_the_self_service_rate_equals_the_hand_count(
    engine: AsyncEngine, workspace: WorkspaceHandle, other_workspace: WorkspaceHandle
) -> None:
    minute = timedelta(minutes=1)
    async with create_session_factory(engine).begin() as session:
        await session.execute(update(Workspace).where(Workspace.id == workspace.id).values(time_zone=BERLIN))
        article = await published_article(session, workspace.id, "How returns work")
        foreign = await published_article(session, other_workspace.id, "How returns work")
        ws = workspace.id
        # Counted, not self-served: searched and opened nothing.
        await visit(session, ws, article, started=at("2026-03-05T10:00"))
        # Counted and self-served: 00:30 on 1 March in Berlin (still February in UTC); opened, no chat ever.
        await visit(session, ws, article, started=at("2026-02-28T23:30"), opened_after=minute)
        # Counted, not self-served: a chat 2 hours after opening.
        await visit(
            session,
            ws,
            article,
            started=at("2026-03-10T09:00"),
            opened_after=minute,
            chat_after_opening=timedelta(hours=2),
        )
        # Counted and self-served: the chat came 30 hours later, outside the 24 hours.
        await visit(
            session,
            ws,
            article,
            started=at("2026-03-12T09:00"),
            opened_after=minute,
            chat_after_opening=timedelta(hours=30),
        )
        # Not counted: opened an article without searching.
        await visit(session, ws, article, started=at("2026-03-14T09:00"), searched=False, opened_after=minute)
        # Not counted: the public help center (no widget, no visitor to follow into a chat).
        await visit(session, ws, article, started=at("2026-03-15T09:00"), opened_after=minute, source="help_center")
        # Not counted: another workspace's visitor.
        await visit(session, other_workspace.id, foreign, started=at("2026-03-16T09:00"), opened_after=minute)
        # Pending: opened 10 hours before "now", no chat yet, its 24 hours not over.
        await visit(session, ws, article, started=at("2026-03-31T10:00"), opened_after=minute)
        # Not counted: 00:30 on 1 April in Berlin, after the period (still 31 March in UTC).
        await visit(session, ws, article, started=at("2026-03-31T22:30"), opened_after=minute)

        controls = ReportControls(
            workspace_id=ws,
            first_day=date(2026, 3, 1),
            last_day=date(2026, 3, 31),
            granularity=Granularity.month,
            time_zone=BERLIN,
        )
        whole, by_month = await self_service(session, controls, now=at("2026-03-31T20:00"))
        # 2 of 4 decided sessions: the one without an opened article and the one with a chat 2 hours later are not.
        assert (whole.searched_sessions, whole.self_served, whole.pending, whole.rate) == (4, 2, 1, 50.0)
        assert by_month == [whole]

        # A day later the pending session's 24 hours are over: 3 of 5.
        later, _ = await self_service(session, controls, now=at("2026-04-02T12:00"))
        assert (later.searched_sessions, later.self_served, later.pending, later.rate) == (5, 3, 0, 60.0)

        # By day, each session is in its local day: 1 March holds the session started at 23:30 UTC on 28 February.
        daily = ReportControls(
            workspace_id=ws,
            first_day=date(2026, 3, 1),
            last_day=date(2026, 3, 31),
            granularity=Granularity.day,
            time_zone=BERLIN,
        )
        _, by_day = await self_service(session, daily, now=at("2026-04-02T12:00"))
        assert (by_day[0].searched_sessions, by_day[0].self_served) == (1, 1)
        assert [row.rate for row in by_day[9:12]] == [0.0, None, 100.0]  # 10 March: chat; 11: nothing; 12: served

        # In UTC the period's edges move: the 28 February session drops out and the 31 March one comes in.
        utc = ReportControls(workspace_id=ws, first_day=date(2026, 3, 1), last_day=date(2026, 3, 31), time_zone="UTC")
        in_utc, _ = await self_service(session, utc, now=at("2026-04-02T12:00"))
        assert (in_utc.searched_sessions, in_utc.self_served) == (5, 3)

        nothing = ReportControls(workspace_id=ws, first_day=date(2026, 1, 1), last_day=date(2026, 1, 31))
        empty, _ = await self_service(session, nothing)
        assert (empty.searched_sessions, empty.rate) == (0, None)  # nothing to divide by: no rate, not 0
