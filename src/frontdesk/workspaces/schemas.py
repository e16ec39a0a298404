from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema, field_validator

from frontdesk.contacts.validation import normalize_email
from frontdesk.inputs import RequestModel
from frontdesk.workspaces import scopes as scope_catalogue
from frontdesk.workspaces.models import Role

# A scope's name; the catalogue is documented in the OpenAPI schema, and checked by ApiKeyCreate's validator
# (so an unknown one is refused naming ``scopes`` and the name, not a list index).
ScopeName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(scope_catalogue.SCOPES), "maxLength": 40})]
SCOPES_HELP = "; ".join(f"`{name}`: {text}" for name, text in scope_catalogue.SCOPES.items())


class WorkspaceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    time_zone: str = Field(description="IANA zone where the business's days, weeks and months begin in reports")
    created_at: datetime


class WorkspaceUpdate(RequestModel):
    """A partial change: only the fields sent are changed."""

    model_config = ConfigDict(str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    time_zone: str | None = Field(
        default=None,
        max_length=64,
        description="An IANA zone name such as Europe/Berlin (or UTC); reports bucket days in it",
        examples=["Europe/Berlin"],
    )


class AgentCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: str
    display_name: str = Field(min_length=1, max_length=200)
    password: str = Field(min_length=10, max_length=200, description="At least 10 characters")
    role: Role = Role.agent

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        return normalize_email(value)


class AgentUpdate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    display_name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=10, max_length=200)
    role: Role | None = None
    is_active: bool | None = None


class AgentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    email: str
    display_name: str
    role: Role
    is_active: bool
    created_at: datetime


class ApiKeyCreate(RequestModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    role: Role = Role.admin
    scopes: list[ScopeName] | None = Field(
        default=None,
        min_length=1,
        max_length=len(scope_catalogue.SCOPES),
        description="What the key may touch; leave it out (or null) for everything its role allows. "
        "A write scope includes its read scope; admin includes all. " + SCOPES_HELP,
        examples=[["orders:write", "contacts:read"]],
    )

    @field_validator("scopes")
    @classmethod
    def _known_scopes(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else scope_catalogue.normalise(value)


class ApiKeyRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    prefix: str
    role: Role
    scopes: list[str] | None = Field(description="The key's scopes; null: every scope (what its role allows)")
    created_at: datetime
    last_used_at: datetime | None = Field(description="When the key was last used (kept to the minute)")
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret. Shown this once; only its hash is stored.")
