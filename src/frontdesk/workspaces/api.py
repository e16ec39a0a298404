"""/api/v1 routes for the workspace itself: its name and time zone, its agents and API keys (admins only)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from frontdesk.deps import Admin, DbSession, PathId, Viewer
from frontdesk.reports.controls import zone_of
from frontdesk.workspaces import service
from frontdesk.workspaces.schemas import (
    AgentCreate,
    AgentRead,
    AgentUpdate,
    ApiKeyCreate,
    ApiKeyCreated,
    ApiKeyRead,
    WorkspaceRead,
    WorkspaceUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["workspace"])


@router.get("/workspace", response_model=WorkspaceRead, summary="The workspace of this API key")
async def read_workspace(session: DbSession, principal: Viewer) -> Any:
    return await service.get_workspace(session=session, workspace_id=principal.workspace_id)


@router.patch("/workspace", response_model=WorkspaceRead, summary="Rename the workspace or change its time zone")
async def update_workspace(data: WorkspaceUpdate, session: DbSession, principal: Admin) -> Any:
    workspace = await service.do_update_workspace(
        session=session,
        workspace_id=principal.workspace_id,
        name=data.name,
        time_zone=zone_of(data.time_zone, field="time_zone") if data.time_zone is not None else None,
        actor=principal.label,
    )
    await session.commit()
    return workspace


@router.get("/agents", response_model=list[AgentRead])
async def list_agents(session: DbSession, principal: Admin) -> Any:
    return await service.list_agents(session=session, workspace_id=principal.workspace_id)


@router.post("/agents", response_model=AgentRead, status_code=201)
async def create_agent(data: AgentCreate, session: DbSession, principal: Admin) -> Any:
    agent = await service.do_create_agent(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return agent


@router.get("/agents/{agent_id}", response_model=AgentRead)
async def read_agent(agent_id: PathId, session: DbSession, principal: Admin) -> Any:
    return await service.get_agent(session=session, workspace_id=principal.workspace_id, agent_id=agent_id)


@router.patch("/agents/{agent_id}", response_model=AgentRead)
async def update_agent(agent_id: PathId, data: AgentUpdate, session: DbSession, principal: Admin) -> Any:
    agent = await service.do_update_agent(
        session=session, workspace_id=principal.workspace_id, agent_id=agent_id, data=data
    )
    await session.commit()
    return agent


@router.get("/api-keys", response_model=list[ApiKeyRead])
async def list_api_keys(session: DbSession, principal: Admin) -> Any:
    return await service.list_api_keys(session=session, workspace_id=principal.workspace_id)


@router.post(
    "/api-keys",
    response_model=ApiKeyCreated,
    status_code=201,
    description="The response holds the key in clear. It is not stored and cannot be shown again.",
)
async def create_api_key(data: ApiKeyCreate, session: DbSession, principal: Admin) -> Any:
    api_key, secret = await service.do_create_api_key(
        session=session, workspace_id=principal.workspace_id, data=data, actor=principal.label
    )
    await session.commit()
    return ApiKeyCreated.model_validate({**ApiKeyRead.model_validate(api_key).model_dump(), "key": secret})


@router.delete("/api-keys/{api_key_id}", response_model=ApiKeyRead, summary="Revoke an API key")
async def revoke_api_key(api_key_id: PathId, session: DbSession, principal: Admin) -> Any:
    api_key = await service.do_revoke_api_key(
        session=session, workspace_id=principal.workspace_id, api_key_id=api_key_id, actor=principal.label
    )
    await session.commit()
    return api_key
