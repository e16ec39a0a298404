"""What each domain does with a person's rows when the contact is exported, erased or merged.

The registry (contacts) is the ground floor and knows no domain above it, yet GDPR export and erasure must
reach every row about a person, and a merge must move them all. So each domain registers, in its own
``personal_data`` module, one ``PersonalDataOwner`` naming the tables it answers for and three hooks; the
contacts domain calls them without importing the domains. ``frontdesk.models_registry`` imports every such
module, so any process that loads the models has every owner registered.

``require_complete`` refuses to export, erase or merge while a table that points at contacts has no owner:
a new domain that forgets to register fails loudly (and in the test suite) instead of leaving data behind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact

# What an anonymised row shows where the person's words were, when the column cannot be empty.
ERASED_TEXT = "[erased]"
# Who an anonymised row is from, wherever a name is shown.
ERASED_CONTACT_NAME = "Erased customer"

# The contacts domain's own tables, handled by contacts/privacy.py and contacts/merge.py directly.
CORE_TABLES = frozenset(
    {
        "contacts",
        "contact_emails",
        "contact_phones",
        "contact_tags",
        "contact_relationships",
        "contact_notes",
        "contact_events",
    }
)


class Exporter(Protocol):
    async def __call__(self, *, session: AsyncSession, contact: Contact) -> dict[str, Any]:
        """Sections of the GDPR export (art. 15): top-level keys of the document, JSON-ready."""


class Eraser(Protocol):
    async def __call__(self, *, session: AsyncSession, contact: Contact) -> dict[str, int]:
        """Remove or anonymise the contact's rows (art. 17) while the contact row still exists.

        Returns how many rows were removed or anonymised, by kind: counts only, for the audit entry.
        """


class Merger(Protocol):
    async def __call__(self, *, session: AsyncSession, target: Contact, duplicate: Contact) -> dict[str, Any]:
        """Move the duplicate's rows to ``target`` before the duplicate is deleted.

        Returns what could not be moved (a second answer to the same survey, ...) so the merge event keeps it.
        """


@dataclass(frozen=True)
class PersonalDataOwner:
    domain: str
    # Every table of the domain that holds personal data, directly or through a parent row (messages).
    tables: frozenset[str]
    export: Exporter
    erase: Eraser
    merge: Merger


_owners: dict[str, PersonalDataOwner] = {}


def register(owner: PersonalDataOwner) -> PersonalDataOwner:
    """Register a domain's hooks (once per domain; importing the module twice is harmless)."""
    known = _owners.get(owner.domain)
    if known is not None and known.tables != owner.tables:
        raise RuntimeError(f"personal-data owner {owner.domain!r} registered twice with different tables")
    claimed = {table for other in _owners.values() if other.domain != owner.domain for table in other.tables}
    taken = owner.tables & (claimed | CORE_TABLES)
    if taken:
        raise RuntimeError(f"{owner.domain!r} claims tables another domain owns: {sorted(taken)}")
    _owners[owner.domain] = owner
    return owner


def owners() -> list[PersonalDataOwner]:
    """Every registered owner, in a stable order (by domain name)."""
    return [_owners[name] for name in sorted(_owners)]


def tables_referencing_contacts(metadata: MetaData) -> set[str]:
    """Tables with a column that points at a contact: a foreign key to contacts, or a ``contact_id`` column
    kept without one (derived figures)."""
    found = set()
    for table in metadata.tables.values():
        for column in table.columns:
            if column.name == "contact_id" or any(fk.column.table.name == "contacts" for fk in column.foreign_keys):
                found.add(table.name)
    return found


def unowned_tables(metadata: MetaData, registered: Iterable[PersonalDataOwner] | None = None) -> set[str]:
    owned = set(CORE_TABLES)
    for owner in owners() if registered is None else registered:
        owned |= owner.tables
    return tables_referencing_contacts(metadata) - owned


def require_complete(metadata: MetaData) -> None:
    missing = unowned_tables(metadata)
    if missing:
        raise RuntimeError(
            "no domain answers for the personal data in "
            + ", ".join(sorted(missing))
            + ": register a PersonalDataOwner in the domain's personal_data module and import it in "
            "frontdesk/models_registry.py"
        )


def erased_values(model: Any, kept: frozenset[str], replaced: dict[str, Any]) -> dict[str, Any]:
    """The new value of every column of ``model`` that is not kept: ``replaced``'s, else nothing (NULL).

    Hooks that anonymise rather than delete name what they keep for the figures, so a column added later is
    erased by default; one that cannot be emptied (NOT NULL) stops erasure until the hook says how to treat it.
    """
    values: dict[str, Any] = {}
    for column in model.__table__.columns:
        if column.name in kept:
            continue
        if column.name in replaced:
            values[column.name] = replaced[column.name]
        elif column.nullable:
            values[column.name] = None
        else:
            raise RuntimeError(f"{model.__tablename__}.{column.name} is required: say how erasure treats it")
    return values


def rowcount(result: Any) -> int:
    """Rows a bulk UPDATE or DELETE touched (typed ``Result`` hides the cursor's count)."""
    return int(getattr(result, "rowcount", 0) or 0)
