"""The customer registry: people and organisations, and everything attached to them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Insert, Integer, String, Text, UniqueConstraint, Update, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.default import DefaultExecutionContext
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates
from sqlalchemy.sql.elements import BindParameter

from frontdesk.contacts.search import search_name_of
from frontdesk.db import Base, BigIntId, UTCDateTime, utcnow


class ContactKind(enum.StrEnum):
    person = "person"
    organisation = "organisation"


class Audience(enum.StrEnum):
    external = "external"
    internal = "internal"


class Market(enum.StrEnum):
    b2c = "b2c"
    b2b = "b2b"


class Stage(enum.StrEnum):
    prospect = "prospect"
    customer = "customer"


class ContactRole(enum.StrEnum):
    customer = "customer"
    consumer = "consumer"
    client = "client"
    user = "user"


class RelationshipKind(enum.StrEnum):
    # A user (person) acting on behalf of a customer organisation.
    acts_for = "acts_for"
    # A customer buying for a consumer (the parent buying candy the child eats).
    buys_for = "buys_for"


class AttributeType(enum.StrEnum):
    text = "text"
    number = "number"
    boolean = "boolean"
    date = "date"
    choice = "choice"


def _fold_names_of_statements(
    connection: Any, statement: Any, multiparams: Any, params: Any, execution_options: Any
) -> tuple[Any, Any, Any]:
    """An UPDATE or INSERT written as a statement (``update(Contact).values(name=...)``: no ORM object, so no
    ``_fold_name``) gets the matching ``search_name`` too. Left stale, a name a visitor asked to forget would
    still be found by search (conversations/identity.py replaces a forgotten name this way)."""
    if not isinstance(statement, Update | Insert):
        return statement, multiparams, params
    table = statement.table
    if getattr(table, "name", None) != Contact.__tablename__ or "search_name" not in table.c:
        return statement, multiparams, params  # other tables (and an old shape of contacts, in migration tests)
    values = {getattr(key, "key", key): value for key, value in (statement._values or {}).items()}
    if "name" not in values or "search_name" in values:
        return statement, multiparams, params  # the ORM's own writes and core inserts are folded elsewhere
    name = values["name"]
    if not isinstance(name, BindParameter) or name.callable is not None or not isinstance(name.value, str):
        raise ValueError("a statement that sets contacts.name from an expression must set search_name too")
    return statement.values(search_name=search_name_of(name.value)), multiparams, params


event.listen(Engine, "before_execute", _fold_names_of_statements, retval=True)


def _search_name_default(context: DefaultExecutionContext) -> str:
    """Core inserts (the CSV importer's batches) name no search_name: fold the row's name."""
    parameters: dict[str, Any] = context.get_current_parameters()  # type: ignore[no-untyped-call]
    return search_name_of(parameters.get("name"))


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_workspace_id_id", "workspace_id", "id"),
        Index("ix_contacts_workspace_stage", "workspace_id", "stage"),
        Index("ix_contacts_workspace_country", "workspace_id", "country"),
        Index("ix_contacts_workspace_owner", "workspace_id", "owner_id"),
    )

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20), default=ContactKind.person.value)
    name: Mapped[str] = mapped_column(String(300))
    # The name folded for search: lower case, accents removed ("Müller" -> "muller"), the same on every database.
    # Kept by ``_fold_name`` below on every ORM write, and by the column default for core (bulk) inserts.
    search_name: Mapped[str] = mapped_column(String(300), default=_search_name_default, server_default="")
    first_name: Mapped[str | None] = mapped_column(String(150), default=None)
    last_name: Mapped[str | None] = mapped_column(String(150), default=None)
    country: Mapped[str | None] = mapped_column(String(2), default=None)
    region: Mapped[str | None] = mapped_column(String(10), default=None)
    audience: Mapped[str] = mapped_column(String(20), default=Audience.external.value)
    department: Mapped[str | None] = mapped_column(String(200), default=None)
    market: Mapped[str | None] = mapped_column(String(10), default=None)
    stage: Mapped[str] = mapped_column(String(20), default=Stage.prospect.value)
    roles: Mapped[list[str]] = mapped_column(JSON, default=list)
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    vat_number: Mapped[str | None] = mapped_column(String(40), default=None)
    eori_number: Mapped[str | None] = mapped_column(String(40), default=None)
    is_reseller: Mapped[bool] = mapped_column(Boolean, default=False)
    # The agent who looks after this customer (success): who gets its tasks, whom the contacts list filters by.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("agents.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    emails: Mapped[list[ContactEmail]] = relationship(
        order_by="ContactEmail.position", cascade="all, delete-orphan", lazy="selectin"
    )
    phones: Mapped[list[ContactPhone]] = relationship(
        order_by="ContactPhone.position", cascade="all, delete-orphan", lazy="selectin"
    )
    tag_rows: Mapped[list[ContactTag]] = relationship(
        order_by="ContactTag.tag", cascade="all, delete-orphan", lazy="selectin"
    )

    @validates("name")
    def _fold_name(self, _key: str, name: str) -> str:
        # Every ORM write of the name (create, edit, merge, the demo, a visitor naming themselves) passes here.
        self.search_name = search_name_of(name)
        return name

    @property
    def email_addresses(self) -> list[str]:
        return [row.email for row in self.emails]

    @property
    def phone_numbers(self) -> list[str]:
        return [row.number for row in self.phones]

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]

    @property
    def primary_email(self) -> str | None:
        return self.emails[0].email if self.emails else None


class ContactEmail(Base):
    __tablename__ = "contact_emails"
    __table_args__ = (UniqueConstraint("workspace_id", "email_normalized"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(320))
    # Lower-cased: "unique per workspace ignoring case" is enforced by the database, not by hope.
    email_normalized: Mapped[str] = mapped_column(String(320))
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactPhone(Base):
    __tablename__ = "contact_phones"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))  # E.164
    position: Mapped[int] = mapped_column(Integer, default=0)


class ContactTag(Base):
    __tablename__ = "contact_tags"
    __table_args__ = (Index("ix_contact_tags_workspace_tag", "workspace_id", "tag"),)

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    tag: Mapped[str] = mapped_column(String(50), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))


class ContactRelationship(Base):
    __tablename__ = "contact_relationships"
    __table_args__ = (UniqueConstraint("kind", "from_contact_id", "to_contact_id"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    to_contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactNote(Base):
    __tablename__ = "contact_notes"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ContactEvent(Base):
    """One entry of a contact's timeline: created, changed, merged, imported, related."""

    __tablename__ = "contact_events"

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AttributeDefinition(Base):
    """A custom field a workspace adds to its contacts, with the type its values must have."""

    __tablename__ = "attribute_definitions"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(BigIntId, primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    choices: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
