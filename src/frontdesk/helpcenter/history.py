"""An article version's history: its revisions, and restoring one."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.db import utcnow
from frontdesk.errors import NotFound
from frontdesk.helpcenter.models import HelpRevision, HelpTranslation
from frontdesk.helpcenter.service import get_translation, record_revision
from frontdesk.workspaces.service import Principal


async def list_revisions(*, session: AsyncSession, workspace_id: int, translation_id: int) -> Sequence[HelpRevision]:
    """Newest first."""
    await get_translation(session=session, workspace_id=workspace_id, translation_id=translation_id)
    return list(
        await session.scalars(
            select(HelpRevision)
            .where(HelpRevision.translation_id == translation_id)
            .order_by(HelpRevision.number.desc())
        )
    )


async def do_restore_revision(
    *, session: AsyncSession, workspace_id: int, translation_id: int, number: int, by: Principal
) -> HelpTranslation:
    """The working copy becomes what it was at revision ``number`` (a new revision records the restore)."""
    translation = await get_translation(session=session, workspace_id=workspace_id, translation_id=translation_id)
    revision = await session.scalar(
        select(HelpRevision).where(HelpRevision.translation_id == translation.id, HelpRevision.number == number)
    )
    if revision is None:
        raise NotFound(f"revision {number} not found", field="number")
    translation.title, translation.description, translation.body = revision.title, revision.description, revision.body
    translation.updated_at = utcnow()
    translation.updated_by = by.label
    translation.has_unpublished_changes = translation.published_at is not None
    await session.flush()
    await record_revision(session, translation, "restored", by)
    await session.flush()
    return translation
