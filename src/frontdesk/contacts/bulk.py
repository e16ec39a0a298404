"""Actions on several contacts at once (the contacts list's selection): add a tag, set the owner.

Each goes through the same service as the single-contact forms, so every contact's timeline records the
change and every rule (tag format, owner must be an active agent of the workspace) holds.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts import owners, service
from frontdesk.contacts.models import Contact
from frontdesk.contacts.schemas import ContactUpdate
from frontdesk.errors import InvalidInput

MAX_SELECTION = 500  # a page shows at most 200; a little more for a hand-made request, never unbounded


async def selected_contacts(*, session: AsyncSession, workspace_id: int, ids: Iterable[int]) -> list[Contact]:
    """The contacts of ``ids`` that belong to this workspace; ids of other workspaces are left out silently,
    like ids that never existed (neither reveals that the other exists)."""
    wanted = sorted(set(ids))
    if len(wanted) > MAX_SELECTION:
        raise InvalidInput(f"select at most {MAX_SELECTION} contacts at a time", field="ids")
    if not wanted:
        return []
    statement = select(Contact).where(Contact.workspace_id == workspace_id, Contact.id.in_(wanted))
    return list((await session.scalars(statement.order_by(Contact.id))).all())


async def do_add_tag(*, session: AsyncSession, contacts: list[Contact], tag: str, actor: str) -> int:
    """Add ``tag`` to each contact that lacks it; how many got it."""
    if not tag.strip():
        raise InvalidInput("type the tag to add", field="tag")
    added = 0
    for contact in contacts:
        before = contact.tags
        updated = await service.do_update_contact(
            session=session,
            workspace_id=contact.workspace_id,
            contact_id=contact.id,
            patch=ContactUpdate(tags=[*before, tag]),
            actor=actor,
        )
        added += updated.tags != before
    return added


async def do_set_owner(*, session: AsyncSession, contacts: list[Contact], owner_id: int | None, actor: str) -> int:
    """Give each contact to ``owner_id`` (None: to nobody); how many changed owner."""
    changed: list[Contact] = []
    for contact in contacts:
        if await owners.do_set_owner(session=session, contact=contact, owner_id=owner_id, actor=actor):
            changed.append(contact)
    if changed:
        await service.emit_contacts(
            session=session, workspace_id=changed[0].workspace_id, event_type="contact.updated", contacts=changed
        )
    return len(changed)
