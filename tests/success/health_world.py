"""Test data for the health score: customers with the figures, feedback and chats each signal reads."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.models import CustomerFigures
from frontdesk.complaints.models import Complaint
from frontdesk.conversations.models import Conversation, Message
from frontdesk.reviews.models import Review
from frontdesk.success.health import score_health
from frontdesk.success.models import CustomerHealth, CustomerPrediction
from frontdesk.surveys.models import Survey, SurveyRecipient
from tests.factories import WorkspaceHandle

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
_sequence = itertools.count(1)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


async def customer(
    session: AsyncSession,
    workspace: WorkspaceHandle,
    *,
    orders: int = 1,
    first: float = 10,
    last: float | None = None,
    **contact: object,
) -> int:
    """A contact with a figures row: ``orders`` completed orders, the first ``first`` days before NOW, the last
    ``last`` days before (default: the first)."""
    contact_id = await workspace.contact(**contact)
    session.add(
        CustomerFigures(
            contact_id=contact_id,
            workspace_id=workspace.id,
            orders=orders,
            total_spent_minor=1000 * orders,
            first_order_at=days_ago(first),
            last_order_at=days_ago(first if last is None else last),
        )
    )
    await session.commit()
    return contact_id


async def prediction(session: AsyncSession, workspace: WorkspaceHandle, contact_id: int, p_alive: float) -> None:
    session.add(
        CustomerPrediction(
            contact_id=contact_id,
            workspace_id=workspace.id,
            frequency=2,
            recency_days=100,
            age_days=200,
            p_alive=p_alive,
            expected_purchases_90d=0.5,
            expected_purchases_365d=1.5,
            expected_order_value_minor=1000,
            clv_12m_minor=1500,
        )
    )
    await session.commit()


async def complaint(
    session: AsyncSession, workspace: WorkspaceHandle, contact_id: int, status: str = "open", created: float = 5
) -> None:
    session.add(
        Complaint(
            workspace_id=workspace.id,
            contact_id=contact_id,
            source="agent",
            summary="Broken lid",
            category="product",
            severity="medium",
            status=status,
            due_at=NOW + timedelta(days=3),
            created_by="test",
            created_at=days_ago(created),
        )
    )
    await session.commit()


async def nps_answer(
    session: AsyncSession,
    workspace: WorkspaceHandle,
    contact_id: int,
    score: int,
    answered: float,
    sentiment: float | None = None,
) -> None:
    survey = Survey(workspace_id=workspace.id, name=f"NPS {next(_sequence)}", segment="all", created_by="test")
    session.add(survey)
    await session.flush()
    session.add(
        SurveyRecipient(
            workspace_id=workspace.id,
            survey_id=survey.id,
            contact_id=contact_id,
            score=score,
            comment="comment" if sentiment is not None else None,
            sentiment=sentiment,
            invited_at=days_ago(answered + 1),
            first_answered_at=days_ago(answered),
            answered_at=days_ago(answered),
        )
    )
    await session.commit()


async def conversation(
    session: AsyncSession,
    workspace: WorkspaceHandle,
    contact_id: int,
    *,
    created: float = 5,
    csat: int | None = None,
    lines: tuple[tuple[str, float | None], ...] = (),
) -> int:
    """A conversation of the contact begun ``created`` days ago, with ``lines`` of (author type, sentiment)."""
    found = Conversation(
        workspace_id=workspace.id,
        contact_id=contact_id,
        status="resolved" if csat is not None else "open",
        created_at=days_ago(created),
        last_activity_at=days_ago(created),
        csat_rating=csat,
    )
    session.add(found)
    await session.flush()
    for seq, (author, sentiment) in enumerate(lines, start=1):
        session.add(
            Message(
                workspace_id=workspace.id,
                conversation_id=found.id,
                seq=seq,
                client_id=f"c{next(_sequence)}",
                author_type=author,
                body="text",
                sentiment=sentiment,
                created_at=days_ago(created),
            )
        )
    await session.commit()
    return found.id


async def review(
    session: AsyncSession,
    workspace: WorkspaceHandle,
    contact_id: int,
    product_id: int,
    sentiment: float,
    updated: float,
) -> None:
    session.add(
        Review(
            workspace_id=workspace.id,
            product_id=product_id,
            contact_id=contact_id,
            order_id=None,
            rating=3,
            title="Review",
            body="Text",
            sentiment=sentiment,
            created_at=days_ago(updated),
            updated_at=days_ago(updated),
        )
    )
    await session.commit()


async def scored(session: AsyncSession, workspace: WorkspaceHandle, now: datetime = NOW) -> dict[int, CustomerHealth]:
    """Run the scoring as of ``now`` and commit; every health row of the workspace by contact."""
    await score_health(session=session, workspace_id=workspace.id, now=now)
    await session.commit()
    session.expire_all()
    rows = await session.scalars(select(CustomerHealth).where(CustomerHealth.workspace_id == workspace.id))
    found = {row.contact_id: row for row in rows}
    session.expunge_all()  # snapshots: a later run must not change what a test holds from this one
    return found


async def customers(session: AsyncSession, workspace: WorkspaceHandle, n: int, **figures: float) -> list[int]:
    return [await customer(session, workspace, **figures) for _ in range(n)]  # type: ignore[arg-type]
