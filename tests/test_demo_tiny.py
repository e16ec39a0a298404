"""`frontdesk demo` creates its workspace once, whatever its size."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations.models import Conversation
from frontdesk.demo import do_create_demo


async def test_a_tiny_demo_is_created_once(session: AsyncSession) -> None:
    # `frontdesk demo --contacts 2`: too few customers for some stories, which are then left out.
    first = await do_create_demo(session=session, contacts=2)
    await session.commit()
    again = await do_create_demo(session=session, contacts=2)
    assert not again.created and again.workspace_id == first.workspace_id
    assert await session.scalar(select(func.count()).select_from(Conversation)) == first.conversations
