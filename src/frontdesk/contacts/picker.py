"""Choosing a contact in a console form by name or e-mail instead of by its numeric id.

The form shows a combobox (``partials/contact_picker.html`` and ``static/forms.js``): the visible text
input searches ``GET /contacts/search.json`` (contacts/list_pages.py) and a chosen contact's id goes into
a hidden input. Without JavaScript the typed text is sent alone and ``resolve_picked_contact`` finds the
one contact it names.
"""

from __future__ import annotations

import contextlib
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts import service
from frontdesk.contacts.models import Contact
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.inputs import parse_id

SUGGESTIONS = 10


async def find_contacts(*, session: AsyncSession, workspace_id: int, text: str, limit: int) -> list[Contact]:
    """Contacts whose name (accents ignored) or e-mail contains ``text``, or whose id it is; newest first."""
    text = text.strip()
    found: list[Contact] = []
    contact_id = parse_id(text.removeprefix("#"))
    if contact_id is not None:
        with contextlib.suppress(NotFound):  # a number that is no contact's id may still be in a name
            found.append(await service.get_contact(session=session, workspace_id=workspace_id, contact_id=contact_id))
    if text:
        matches, _ = await service.list_contacts(
            session=session, workspace_id=workspace_id, filters=service.ContactFilters(q=text), limit=limit
        )
        found += [contact for contact in matches if contact not in found]
    return found[:limit]


def suggestion(contact: Contact) -> dict[str, Any]:
    return {"id": contact.id, "name": contact.name, "email": contact.primary_email or ""}


async def resolve_picked_contact(
    *, session: AsyncSession, workspace_id: int, picked_id: str, typed: str, field: str
) -> Contact | None:
    """The contact a picker names: the id the list filled in, else the one contact the typed text matches.

    None when nothing was given; ``InvalidInput`` on ``field`` when the text matches no contact or several.
    """
    if picked_id.strip():
        contact_id = parse_id(picked_id)
        if contact_id is None:
            raise InvalidInput("choose a contact from the list", field=field)
        return await service.get_referenced_contact(
            session=session, workspace_id=workspace_id, contact_id=contact_id, field=field
        )
    if not typed.strip():
        return None
    found = await find_contacts(session=session, workspace_id=workspace_id, text=typed, limit=2)
    if not found:
        raise InvalidInput(f"no contact matches {typed.strip()!r}", field=field)
    exact = [contact for contact in found if contact.name.casefold() == typed.strip().casefold()]
    if len(found) > 1 and len(exact) != 1:
        raise InvalidInput(f"several contacts match {typed.strip()!r}: choose one from the list", field=field)
    return exact[0] if len(found) > 1 else found[0]
