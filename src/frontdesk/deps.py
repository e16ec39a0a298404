"""Request dependencies: the database session and who is asking."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, get_origin

from fastapi import Depends, HTTPException, Query, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import HTTPConnection

from frontdesk.errors import InvalidInput
from frontdesk.inputs import PathId as PathId  # an id in a URL; routes import it from here
from frontdesk.settings import Settings
from frontdesk.workspaces import scopes
from frontdesk.workspaces.models import Role
from frontdesk.workspaces.service import Principal, authenticate_api_key

bearer_scheme = HTTPBearer(auto_error=False, description="An API key of the workspace: `Authorization: Bearer KEY`")


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session per request. Routes commit what they change; anything left uncommitted is rolled back."""
    async with request.app.state.session_factory() as session:
        yield session


def get_app_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


DbSession = Annotated[AsyncSession, Depends(get_session)]
AppSettings = Annotated[Settings, Depends(get_app_settings)]


async def get_api_principal(
    request: Request,
    session: DbSession,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    unauthorized = {"WWW-Authenticate": 'Bearer realm="frontdesk"'}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(401, "send an API key as `Authorization: Bearer KEY`", headers=unauthorized)
    principal = await authenticate_api_key(session=session, key=credentials.credentials)
    if principal is None:
        raise HTTPException(401, "the API key is unknown or revoked", headers=unauthorized)
    await session.commit()  # keeps last_used_at (a refused key was still used); nothing else is pending yet
    principal.require_scope(operation_scope(request))
    return principal


def operation_scope(request: Request) -> str:
    """The scope the matched operation needs, from its tags and the request's method (workspaces.scopes)."""
    route = request.scope.get("route")
    tags = [str(tag) for tag in route.tags] if isinstance(route, APIRoute) else []
    return scopes.needed_scope(tags, request.method)


def require_role(role: Role) -> object:
    async def _check(principal: Annotated[Principal, Depends(get_api_principal)]) -> Principal:
        principal.require(role)
        return principal

    return Depends(_check)


Viewer = Annotated[Principal, require_role(Role.viewer)]
Agent = Annotated[Principal, require_role(Role.agent)]
Admin = Annotated[Principal, require_role(Role.admin)]
# Writes the help center: the editor role (an agent who also edits articles) or an admin.
HelpEditor = Annotated[Principal, require_role(Role.editor)]


# A referrer's code arriving with a new contact or order; the outcome is in the `Referral` response header.
ReferralCodeParam = Annotated[
    str | None,
    Query(
        min_length=4,
        max_length=20,
        description="The referral code the contact came with: attributes them to its owner once "
        "(an unknown code or a self-referral is a 422 and nothing is stored)",
    ),
]


def _query_names(dependant: Dependant) -> dict[str, bool]:
    """The query parameters an operation reads, each with whether it may repeat (a list)."""
    names: dict[str, bool] = {}
    pending = [dependant]
    while pending:
        current = pending.pop()
        for param in current.query_params:
            names[param.alias] = get_origin(param.field_info.annotation) in (list, tuple, set)
        pending.extend(current.dependencies)
    return names


_QUERY_NAMES: dict[int, dict[str, bool]] = {}


async def refuse_unknown_query(request: HTTPConnection) -> None:
    """API operations refuse query parameters they do not read, as bodies refuse unknown fields: a misspelt
    filter must be an error, not a list of everything. (An HTTPConnection: it runs for sockets too.)"""
    route = request.scope.get("route")
    if not request.url.path.startswith("/api/") or not isinstance(route, APIRoute):
        return
    allowed = _QUERY_NAMES.get(id(route))
    if allowed is None:
        allowed = _QUERY_NAMES[id(route)] = _query_names(route.dependant)
    for name in request.query_params:
        if name not in allowed:
            raise InvalidInput(f"{name!r} is not a parameter of this operation", field=name or "query")
        if not allowed[name] and len(request.query_params.getlist(name)) > 1:
            raise InvalidInput("give it once", field=name)


def require_time_zones(**values: datetime | None) -> None:
    """Times in query parameters must say their zone: a bare one would be read in the server's zone."""
    for name, value in values.items():
        if value is not None and value.tzinfo is None:
            raise InvalidInput("needs a time zone, e.g. 2026-01-01T00:00:00Z", field=name)
