"""What the registry accepts and returns. Field order matters: later validators read earlier fields."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from frontdesk.contacts import validation
from frontdesk.contacts.models import (
    AttributeType,
    Audience,
    ContactKind,
    ContactRole,
    Market,
    RelationshipKind,
    Stage,
)
from frontdesk.inputs import IdRef, RequestModel

TAG_PATTERN = re.compile(r"^[\w][\w .:/&+-]{0,49}$")
ATTRIBUTE_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,59}$")

ShortText = Annotated[str, Field(max_length=150)]
RecordId = IdRef  # the name other domains import


# The stage follows completed orders (commerce keeps it with the lifecycle stage): requests may repeat it but
# not set it (docs/registry.md, "Stage").
STAGE_IS_DERIVED = (
    "stage follows completed orders and cannot be set: a contact is a prospect until one of its orders is "
    "completed, and a customer from then on; leave stage out"
)
STAGE_FIELD_DESCRIPTION = (
    "Read-only, kept for clients that send back what they read: follows completed orders (prospect without "
    "any, customer with at least one). A value other than the contact's current stage is refused (422)."
)


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class ContactWrite(RequestModel):
    """A complete, valid contact: what a create must supply and what a patch must leave behind."""

    model_config = ConfigDict(str_strip_whitespace=True)

    kind: ContactKind = ContactKind.person
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    name: Annotated[str | None, Field(max_length=300, validate_default=True)] = None
    emails: list[str] = Field(default_factory=list, max_length=20)
    country: str | None = None
    region: str | None = None
    phones: list[str] = Field(default_factory=list, max_length=20)
    audience: Audience = Audience.external
    department: Annotated[str | None, Field(max_length=200, validate_default=True)] = None
    market: Market | None = None
    stage: Stage | None = Field(None, description=STAGE_FIELD_DESCRIPTION)
    roles: list[ContactRole] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list, max_length=50)
    attributes: dict[str, Any] = Field(default_factory=dict)
    vat_number: str | None = None
    eori_number: str | None = None
    is_reseller: bool = False
    owner_id: RecordId | None = Field(
        None, description="The agent who looks after this customer: an active agent of the workspace, or null"
    )

    @field_validator("first_name", "last_name", "country", "region", "vat_number", "eori_number", mode="before")
    @classmethod
    def _blank_is_missing(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("name", mode="before")
    @classmethod
    def _name_blank_is_missing(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("name")
    @classmethod
    def _name_present(cls, value: str | None, info: ValidationInfo) -> str:
        if value:
            return value
        if info.data.get("kind") == ContactKind.person:
            parts = [info.data.get("first_name"), info.data.get("last_name")]
            joined = " ".join(part for part in parts if part)
            if joined:
                return joined
            raise ValueError("a person needs a name, or a first or last name")
        raise ValueError("an organisation needs a name")

    @field_validator("emails")
    @classmethod
    def _emails_valid_and_distinct(cls, values: list[str]) -> list[str]:
        normalized: list[str] = []
        seen: set[str] = set()
        for value in values:
            if not value.strip():
                continue
            email = validation.normalize_email(value)
            key = validation.email_key(email)
            if key in seen:
                raise ValueError(f"{email} is listed twice")
            seen.add(key)
            normalized.append(email)
        return normalized

    @field_validator("country")
    @classmethod
    def _country_code(cls, value: str | None) -> str | None:
        return None if value is None else validation.normalize_country(value)

    @field_validator("region")
    @classmethod
    def _region_code(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return validation.normalize_region(value, info.data.get("country"))

    @field_validator("phones")
    @classmethod
    def _phones_e164(cls, values: list[str], info: ValidationInfo) -> list[str]:
        country = info.data.get("country")
        numbers: list[str] = []
        for value in values:
            if value.strip():
                number = validation.normalize_phone(value, country)
                if number not in numbers:
                    numbers.append(number)
        return numbers

    @field_validator("department", mode="before")
    @classmethod
    def _department_blank_is_missing(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("department")
    @classmethod
    def _internal_names_department(cls, value: str | None, info: ValidationInfo) -> str | None:
        if info.data.get("audience") == Audience.internal and not value:
            raise ValueError("internal contacts name their department or branch")
        return value

    @field_validator("roles")
    @classmethod
    def _roles_distinct(cls, values: list[ContactRole]) -> list[ContactRole]:
        return list(dict.fromkeys(values))

    @field_validator("tags")
    @classmethod
    def _tags_clean(cls, values: list[str]) -> list[str]:
        tags: list[str] = []
        for value in values:
            tag = value.strip().lower()
            if not tag:
                continue
            if not TAG_PATTERN.match(tag):
                raise ValueError(f"{value!r} is not a valid tag (letters, digits, spaces and .:/&+- up to 50)")
            if tag not in tags:
                tags.append(tag)
        return sorted(tags)

    @field_validator("vat_number")
    @classmethod
    def _vat(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("kind") != ContactKind.organisation:
            raise ValueError("only organisations carry a VAT number")
        return validation.normalize_vat_number(value)

    @field_validator("eori_number")
    @classmethod
    def _eori(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        if info.data.get("kind") != ContactKind.organisation:
            raise ValueError("only organisations carry an EORI number")
        return validation.normalize_eori_number(value)

    @field_validator("is_reseller")
    @classmethod
    def _reseller_is_organisation(cls, value: bool, info: ValidationInfo) -> bool:
        if value and info.data.get("kind") != ContactKind.organisation:
            raise ValueError("only organisations can be resellers")
        return value


class ContactCreate(ContactWrite):
    @field_validator("stage")
    @classmethod
    def _new_contacts_are_prospects(cls, value: Stage | None) -> Stage | None:
        # A new contact has no orders yet: "prospect" is what it is, anything else a contradiction.
        if value not in (None, Stage.prospect):
            raise ValueError(STAGE_IS_DERIVED)
        return value


class ContactUpdate(RequestModel):
    """A partial change: only the fields sent are changed. ``null`` clears an optional field."""

    kind: ContactKind | None = None
    first_name: str | None = None
    last_name: str | None = None
    name: str | None = None
    emails: list[str] | None = None
    country: str | None = None
    region: str | None = None
    phones: list[str] | None = None
    audience: Audience | None = None
    department: str | None = None
    market: Market | None = None
    stage: Stage | None = Field(None, description=STAGE_FIELD_DESCRIPTION)
    roles: list[ContactRole] | None = None
    tags: list[str] | None = None
    attributes: dict[str, Any] | None = None
    vat_number: str | None = None
    eori_number: str | None = None
    is_reseller: bool | None = None
    owner_id: RecordId | None = Field(None, description="An active agent of the workspace; null: no owner")


class OwnerRead(BaseModel):
    id: int
    display_name: str


class RelationshipRead(BaseModel):
    id: int
    kind: RelationshipKind
    direction: str = Field(description="'outgoing' when this contact is the user/customer, else 'incoming'")
    other_contact_id: int
    other_contact_name: str


class RelationshipCreate(RequestModel):
    kind: RelationshipKind
    to_contact_id: RecordId = Field(
        description="acts_for: the organisation this user acts for; buys_for: the consumer this customer buys for"
    )


class ContactRead(BaseModel):
    id: int
    kind: ContactKind
    name: str
    first_name: str | None
    last_name: str | None
    emails: list[str]
    phones: list[str]
    country: str | None
    region: str | None
    audience: Audience
    department: str | None
    market: Market | None
    stage: Stage = Field(description="prospect without a completed order, customer with one (follows orders)")
    roles: list[ContactRole]
    tags: list[str]
    attributes: dict[str, Any]
    vat_number: str | None
    eori_number: str | None
    is_reseller: bool
    owner_id: int | None = Field(None, description="The agent who looks after this customer")
    owner: OwnerRead | None = None
    relationships: list[RelationshipRead] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class ContactPage(BaseModel):
    items: list[ContactRead]
    next_cursor: str | None


class MergeRequest(RequestModel):
    duplicate_id: RecordId = Field(description="The contact merged into this one and then removed")


class NoteCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    body: str = Field(min_length=1, max_length=20000)


class TimelineEntry(BaseModel):
    id: str
    kind: str
    actor: str
    summary: str
    body: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime


class TimelinePage(BaseModel):
    items: list[TimelineEntry]


class AttributeDefinitionCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    key: str = Field(description="lower_snake_case, used in the API and CSV (column attributes.KEY)")
    label: str = Field(min_length=1, max_length=200)
    type: AttributeType
    choices: list[str] = Field(default_factory=list)

    @field_validator("key")
    @classmethod
    def _key_shape(cls, value: str) -> str:
        if not ATTRIBUTE_KEY_PATTERN.match(value):
            raise ValueError("use lower_snake_case: a letter, then letters, digits or _ (up to 60)")
        return value

    @field_validator("choices")
    @classmethod
    def _choices_for_choice_type(cls, values: list[str], info: ValidationInfo) -> list[str]:
        if info.data.get("type") == AttributeType.choice and not values:
            raise ValueError("a choice attribute lists its choices")
        return list(dict.fromkeys(value.strip() for value in values if value.strip()))


class AttributeDefinitionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    key: str
    label: str
    type: AttributeType
    choices: list[str]


class ImportRowError(BaseModel):
    row: int = Field(description="Line number in the file; the header is line 1")
    field: str
    message: str


class ImportReport(BaseModel):
    total_rows: int
    created: int
    failed: int
    atomic: bool
    errors: list[ImportRowError]
    complete: bool = Field(True, description="False when the import stopped before the end of the file")
    stored_through_row: int = Field(
        0, description="Rows up to this line were stored, except those in errors; none after it (0: none)"
    )
