"""What the inbox shows beside a conversation: where the visitor is (from the widget) and who they are as a
customer (orders, lifecycle, RFM group, open complaints, NPS answer, past conversations). Read only.

The visit context is agents-only: it is read here for the console and never put into anything a visitor gets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce import service as commerce_service
from frontdesk.commerce.models import Order
from frontdesk.commerce.schemas import CustomerFiguresRead, OrderRead
from frontdesk.complaints.models import Complaint, ComplaintStatus
from frontdesk.conversations.inbox_time import zone_named
from frontdesk.conversations.models import Conversation
from frontdesk.surveys.models import SurveyRecipient

ORDERS_SHOWN = 5
PAGES_SHOWN = 10
PAST_SHOWN = 10


@dataclass(frozen=True)
class PageVisit:
    url: str
    title: str
    at: str


@dataclass(frozen=True)
class VisitView:
    """The widget's view of the visit; every field may be missing (older widgets, privacy settings)."""

    page_url: str = ""
    page_title: str = ""
    pages: list[PageVisit] = field(default_factory=list)
    referrer: str = ""
    browser: str = ""
    os: str = ""
    language: str = ""
    time_zone: str = ""
    local_time: str = ""  # the visitor's wall clock now, "14:05", when their zone or offset is known

    @property
    def page_href(self) -> str:
        """The current page as a link only when it is a web address: the widget's report is the visitor's word."""
        return self.page_url if urlsplit(self.page_url).scheme in {"http", "https"} else ""

    @property
    def empty(self) -> bool:
        return not (self.page_url or self.pages or self.referrer or self.browser or self.language)


@dataclass(frozen=True)
class CustomerView:
    figures: CustomerFiguresRead
    orders: list[OrderRead]
    open_complaints: list[Complaint]
    nps_score: int | None
    nps_answered_at: datetime | None
    past_conversations: list[Conversation]


def _text(value: Any, limit: int = 500) -> str:
    """Whatever the widget stored, as a bounded string: the context is JSON the browser filled in."""
    return value[:limit] if isinstance(value, str) else ""


def _local_time(context: dict[str, Any], now: datetime) -> str:
    zone_name = _text(context.get("time_zone"), 64)
    if zone_name:
        zone = zone_named(zone_name)
        if zone.key == zone_name:
            return now.astimezone(zone).strftime("%H:%M")
    offset = context.get("utc_offset_minutes")
    if isinstance(offset, int) and not isinstance(offset, bool) and -16 * 60 <= offset <= 16 * 60:
        return now.astimezone(timezone(timedelta(minutes=offset))).strftime("%H:%M")
    return ""


def visit_view(context: dict[str, Any] | None, now: datetime | None = None) -> VisitView:
    context = context if isinstance(context, dict) else {}
    raw_pages = context.get("pages")
    pages = [
        PageVisit(url=_text(page.get("url"), 2000), title=_text(page.get("title"), 300), at=_text(page.get("at"), 40))
        for page in (raw_pages if isinstance(raw_pages, list) else [])[-PAGES_SHOWN:]
        if isinstance(page, dict) and isinstance(page.get("url"), str)
    ]
    return VisitView(
        page_url=_text(context.get("page_url"), 2000),
        page_title=_text(context.get("page_title"), 300),
        pages=list(reversed(pages)),  # latest first
        referrer=_text(context.get("referrer"), 2000),
        browser=_text(context.get("browser"), 100),
        os=_text(context.get("os"), 100),
        language=_text(context.get("language"), 40),
        time_zone=_text(context.get("time_zone"), 64),
        local_time=_local_time(context, now or datetime.now(UTC)),
    )


async def customer_view(
    *, session: AsyncSession, workspace_id: int, contact_id: int, conversation_id: int
) -> CustomerView:
    """The contact as a customer, from the domains that own each figure."""
    orders = (
        await session.scalars(
            select(Order)
            .where(
                Order.workspace_id == workspace_id,
                or_(Order.buyer_id == contact_id, Order.recipient_id == contact_id),
            )
            .order_by(Order.ordered_at.desc(), Order.id.desc())
            .limit(ORDERS_SHOWN)
        )
    ).all()
    complaints = (
        await session.scalars(
            select(Complaint)
            .where(
                Complaint.workspace_id == workspace_id,
                Complaint.contact_id == contact_id,
                Complaint.status != ComplaintStatus.resolved.value,
            )
            .order_by(Complaint.id.desc())
        )
    ).all()
    nps = (
        await session.execute(
            select(SurveyRecipient.score, SurveyRecipient.answered_at)
            .where(
                SurveyRecipient.workspace_id == workspace_id,
                SurveyRecipient.contact_id == contact_id,
                SurveyRecipient.score.is_not(None),
            )
            .order_by(SurveyRecipient.answered_at.desc())
            .limit(1)
        )
    ).first()
    past = (
        await session.scalars(
            select(Conversation)
            .where(
                Conversation.workspace_id == workspace_id,
                Conversation.contact_id == contact_id,
                Conversation.id != conversation_id,
            )
            .order_by(Conversation.id.desc())
            .limit(PAST_SHOWN)
        )
    ).all()
    return CustomerView(
        figures=await commerce_service.get_figures(session=session, workspace_id=workspace_id, contact_id=contact_id),
        orders=await commerce_service.to_reads(session=session, orders=list(orders)),
        open_complaints=list(complaints),
        nps_score=nps[0] if nps else None,
        nps_answered_at=nps[1] if nps else None,
        past_conversations=list(past),
    )
