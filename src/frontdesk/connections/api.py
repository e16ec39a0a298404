"""/api/v1 shop connections and their deliveries (admins only: the secrets open the door to orders)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frontdesk.connections import service
from frontdesk.connections.models import InboundStatus
from frontdesk.connections.schemas import (
    InboundDeliveryDetail,
    InboundDeliveryPage,
    MappingPreview,
    MappingPreviewRequest,
    ShopConnectionCreate,
    ShopConnectionRead,
    ShopConnectionUpdate,
    ShopConnectionWithSecret,
)
from frontdesk.deps import Admin, AppSettings, DbSession, PathId

router = APIRouter(prefix="/api/v1", tags=["connections"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


@router.get("/shop-connections", response_model=list[ShopConnectionRead], summary="List shop connections")
async def list_connections(session: DbSession, principal: Admin, settings: AppSettings) -> list[ShopConnectionRead]:
    connections = await service.list_connections(session=session, workspace_id=principal.workspace_id)
    return [service.to_read(connection, settings.public_url) for connection in connections]


@router.post(
    "/shop-connections",
    response_model=ShopConnectionWithSecret,
    status_code=201,
    summary="Connect a shop: returns the webhook address and the secret to paste into the shop",
)
async def create_connection(
    data: ShopConnectionCreate, session: DbSession, principal: Admin, settings: AppSettings
) -> ShopConnectionWithSecret:
    connection = await service.do_create_connection(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return service.with_secret(connection, settings.public_url)


@router.post(
    "/shop-connections/mapping-preview",
    response_model=MappingPreview,
    summary="Test a generic shop's field mapping on a sample payload (nothing is stored)",
)
async def preview_mapping(data: MappingPreviewRequest, session: DbSession, principal: Admin) -> MappingPreview:
    return await service.preview_mapping(
        session=session, workspace_id=principal.workspace_id, mapping=data.mapping, sample=data.sample
    )


@router.get("/shop-connections/{connection_id}", response_model=ShopConnectionRead, summary="Get a shop connection")
async def get_connection(
    connection_id: PathId, session: DbSession, principal: Admin, settings: AppSettings
) -> ShopConnectionRead:
    connection = await service.get_connection(
        session=session, workspace_id=principal.workspace_id, connection_id=connection_id
    )
    return service.to_read(connection, settings.public_url)


@router.patch(
    "/shop-connections/{connection_id}", response_model=ShopConnectionRead, summary="Change a shop connection"
)
async def update_connection(
    connection_id: PathId, data: ShopConnectionUpdate, session: DbSession, principal: Admin, settings: AppSettings
) -> ShopConnectionRead:
    connection = await service.do_update_connection(
        session=session, workspace_id=principal.workspace_id, connection_id=connection_id, data=data
    )
    await session.commit()
    return service.to_read(connection, settings.public_url)


@router.delete("/shop-connections/{connection_id}", status_code=204, summary="Remove a shop connection")
async def delete_connection(connection_id: PathId, session: DbSession, principal: Admin) -> Response:
    await service.do_delete_connection(
        session=session, workspace_id=principal.workspace_id, connection_id=connection_id
    )
    await session.commit()
    return Response(status_code=204)


@router.post(
    "/shop-connections/{connection_id}/rotate-secret",
    response_model=ShopConnectionWithSecret,
    summary="Replace the signing secret (give the new one to the shop)",
)
async def rotate_secret(
    connection_id: PathId, session: DbSession, principal: Admin, settings: AppSettings
) -> ShopConnectionWithSecret:
    connection = await service.do_rotate_secret(
        session=session, workspace_id=principal.workspace_id, connection_id=connection_id
    )
    await session.commit()
    return service.with_secret(connection, settings.public_url)


@router.get(
    "/shop-connections/{connection_id}/deliveries",
    response_model=InboundDeliveryPage,
    summary="What the shop delivered, newest first",
)
async def list_deliveries(
    connection_id: PathId,
    session: DbSession,
    principal: Admin,
    status: InboundStatus | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> InboundDeliveryPage:
    items, next_cursor = await service.list_deliveries(
        session=session,
        workspace_id=principal.workspace_id,
        connection_id=connection_id,
        status=status,
        limit=limit,
        cursor=cursor,
    )
    return InboundDeliveryPage(items=items, next_cursor=next_cursor)


@router.get(
    "/shop-deliveries/{delivery_id}", response_model=InboundDeliveryDetail, summary="One delivery, with its payload"
)
async def get_delivery(delivery_id: PathId, session: DbSession, principal: Admin) -> InboundDeliveryDetail:
    delivery = await service.get_delivery(session=session, workspace_id=principal.workspace_id, delivery_id=delivery_id)
    return InboundDeliveryDetail.model_validate(delivery, from_attributes=True)


@router.post(
    "/shop-deliveries/{delivery_id}/retry",
    response_model=InboundDeliveryDetail,
    summary="Apply a failed delivery's stored payload again",
)
async def retry_delivery(delivery_id: PathId, session: DbSession, principal: Admin) -> InboundDeliveryDetail:
    delivery = await service.do_retry_delivery(
        session=session, workspace_id=principal.workspace_id, delivery_id=delivery_id
    )
    await session.commit()
    return InboundDeliveryDetail.model_validate(delivery, from_attributes=True)
