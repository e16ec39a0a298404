"""/api/v1 webhook endpoints, their delivery log and resends (admins only: endpoints receive every change)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from frontdesk.deps import Admin, DbSession, PathId
from frontdesk.webhooks import events, service
from frontdesk.webhooks.models import DeliveryStatus, WebhookEndpoint
from frontdesk.webhooks.schemas import (
    RotateSecret,
    WebhookAttemptRead,
    WebhookDeliveryDetail,
    WebhookDeliveryPage,
    WebhookDeliveryRead,
    WebhookEndpointCreate,
    WebhookEndpointCreated,
    WebhookEndpointRead,
    WebhookEndpointUpdate,
    WebhookEventTypeRead,
    WebhookSecretRead,
    WebhookSettings,
    WebhookSettingsRead,
)

router = APIRouter(prefix="/api/v1", tags=["webhooks"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")]


def endpoint_read(endpoint: WebhookEndpoint) -> WebhookEndpointRead:
    return WebhookEndpointRead(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types or []),
        enabled=endpoint.enabled,
        state=service.endpoint_state(endpoint),
        disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        consecutive_failures=endpoint.consecutive_failures,
        last_success_at=endpoint.last_success_at,
        previous_secret_expires_at=endpoint.previous_secret_expires_at if endpoint.previous_secret else None,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def delivery_read(row: service.DeliveryRow) -> WebhookDeliveryRead:
    delivery = row.delivery
    return WebhookDeliveryRead(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=row.event_type,
        message_id=row.message_id,
        status=DeliveryStatus(delivery.status),
        attempts=delivery.attempts,
        last_status_code=delivery.last_status_code,
        last_latency_ms=delivery.last_latency_ms,
        last_error=delivery.last_error,
        next_attempt_at=delivery.next_attempt_at if delivery.status == DeliveryStatus.pending.value else None,
        created_at=delivery.created_at,
        finished_at=delivery.finished_at,
    )


def delivery_detail(detail: service.DeliveryDetail) -> WebhookDeliveryDetail:
    row = service.DeliveryRow(detail.delivery, detail.event.event_type, detail.event.message_id)
    return WebhookDeliveryDetail(
        **delivery_read(row).model_dump(),
        payload=detail.event.payload,
        attempts_log=[WebhookAttemptRead.model_validate(attempt, from_attributes=True) for attempt in detail.attempts],
    )


@router.get("/webhook-event-types", response_model=list[WebhookEventTypeRead], summary="Every event type")
async def list_event_types(principal: Admin) -> list[WebhookEventTypeRead]:
    return [WebhookEventTypeRead(name=name, description=text) for name, text in events.EVENT_TYPES.items()]


@router.get("/webhook-endpoints", response_model=list[WebhookEndpointRead], summary="List webhook endpoints")
async def list_endpoints(session: DbSession, principal: Admin) -> list[WebhookEndpointRead]:
    endpoints = await service.list_endpoints(session=session, workspace_id=principal.workspace_id)
    return [endpoint_read(endpoint) for endpoint in endpoints]


@router.post(
    "/webhook-endpoints",
    response_model=WebhookEndpointCreated,
    status_code=201,
    summary="Subscribe an endpoint to event types (the answer holds its signing secret)",
)
async def create_endpoint(data: WebhookEndpointCreate, session: DbSession, principal: Admin) -> WebhookEndpointCreated:
    endpoint = await service.create_endpoint(
        session=session,
        workspace_id=principal.workspace_id,
        url=data.url,
        event_types=data.event_types,
        description=data.description,
        enabled=data.enabled,
        actor=principal.label,
    )
    await session.commit()
    return WebhookEndpointCreated(**endpoint_read(endpoint).model_dump(), secret=endpoint.secret)


@router.get("/webhook-endpoints/{endpoint_id}", response_model=WebhookEndpointRead, summary="A webhook endpoint")
async def read_endpoint(endpoint_id: PathId, session: DbSession, principal: Admin) -> WebhookEndpointRead:
    endpoint = await service.get_endpoint(session=session, workspace_id=principal.workspace_id, endpoint_id=endpoint_id)
    return endpoint_read(endpoint)


@router.patch(
    "/webhook-endpoints/{endpoint_id}",
    response_model=WebhookEndpointRead,
    summary="Change an endpoint's URL, description or event types, or pause (enabled false) and resume it",
)
async def update_endpoint(
    endpoint_id: PathId, data: WebhookEndpointUpdate, session: DbSession, principal: Admin
) -> WebhookEndpointRead:
    endpoint = await service.update_endpoint(
        session=session,
        workspace_id=principal.workspace_id,
        endpoint_id=endpoint_id,
        actor=principal.label,
        url=data.url,
        description=data.description,
        event_types=data.event_types,
        enabled=data.enabled,
    )
    await session.commit()
    return endpoint_read(endpoint)


@router.delete("/webhook-endpoints/{endpoint_id}", status_code=204, summary="Delete an endpoint with its queue and log")
async def delete_endpoint(endpoint_id: PathId, session: DbSession, principal: Admin) -> Response:
    await service.delete_endpoint(
        session=session, workspace_id=principal.workspace_id, endpoint_id=endpoint_id, actor=principal.label
    )
    await session.commit()
    return Response(status_code=204)


@router.get(
    "/webhook-endpoints/{endpoint_id}/secret", response_model=WebhookSecretRead, summary="An endpoint's signing secret"
)
async def read_secret(endpoint_id: PathId, session: DbSession, principal: Admin) -> WebhookSecretRead:
    endpoint = await service.get_secret(session=session, workspace_id=principal.workspace_id, endpoint_id=endpoint_id)
    return _secret_read(endpoint)


def _secret_read(endpoint: WebhookEndpoint) -> WebhookSecretRead:
    return WebhookSecretRead(
        secret=endpoint.secret,
        previous_secret=endpoint.previous_secret,
        previous_secret_expires_at=endpoint.previous_secret_expires_at if endpoint.previous_secret else None,
    )


@router.post(
    "/webhook-endpoints/{endpoint_id}/rotate-secret",
    response_model=WebhookSecretRead,
    summary="A new signing secret; the old one keeps signing too for overlap_hours",
)
async def rotate_secret(
    endpoint_id: PathId, session: DbSession, principal: Admin, data: RotateSecret | None = None
) -> WebhookSecretRead:
    await service.rotate_secret(
        session=session,
        workspace_id=principal.workspace_id,
        endpoint_id=endpoint_id,
        actor=principal.label,
        overlap_hours=(data or RotateSecret()).overlap_hours,
    )
    await session.commit()
    endpoint = await service.get_secret(session=session, workspace_id=principal.workspace_id, endpoint_id=endpoint_id)
    return _secret_read(endpoint)


@router.post(
    "/webhook-endpoints/{endpoint_id}/enable",
    response_model=WebhookEndpointRead,
    summary="Turn on again an endpoint that was disabled for failing (or paused)",
)
async def enable_endpoint(endpoint_id: PathId, session: DbSession, principal: Admin) -> WebhookEndpointRead:
    endpoint = await service.reenable_endpoint(
        session=session, workspace_id=principal.workspace_id, endpoint_id=endpoint_id, actor=principal.label
    )
    await session.commit()
    return endpoint_read(endpoint)


@router.get(
    "/webhook-endpoints/{endpoint_id}/deliveries",
    response_model=WebhookDeliveryPage,
    summary="An endpoint's delivery log, newest first",
)
async def list_deliveries(
    endpoint_id: PathId,
    session: DbSession,
    principal: Admin,
    limit: Limit = 50,
    cursor: Cursor = None,
    status: DeliveryStatus | None = None,
) -> WebhookDeliveryPage:
    rows, next_cursor = await service.list_deliveries(
        session=session,
        workspace_id=principal.workspace_id,
        endpoint_id=endpoint_id,
        limit=limit,
        cursor=cursor,
        status=status,
    )
    return WebhookDeliveryPage(items=[delivery_read(row) for row in rows], next_cursor=next_cursor)


@router.get(
    "/webhook-deliveries/{delivery_id}",
    response_model=WebhookDeliveryDetail,
    summary="A delivery with its request body and every attempt",
)
async def read_delivery(delivery_id: PathId, session: DbSession, principal: Admin) -> WebhookDeliveryDetail:
    detail = await service.get_delivery(session=session, workspace_id=principal.workspace_id, delivery_id=delivery_id)
    return delivery_detail(detail)


@router.post(
    "/webhook-deliveries/{delivery_id}/resend",
    response_model=WebhookDeliveryDetail,
    status_code=202,
    summary="Send a delivery again now (same webhook-id)",
)
async def resend_delivery(delivery_id: PathId, session: DbSession, principal: Admin) -> WebhookDeliveryDetail:
    await service.resend_delivery(
        session=session, workspace_id=principal.workspace_id, delivery_id=delivery_id, actor=principal.label
    )
    await session.commit()
    detail = await service.get_delivery(session=session, workspace_id=principal.workspace_id, delivery_id=delivery_id)
    return delivery_detail(detail)


@router.get("/webhook-settings", response_model=WebhookSettingsRead, summary="The workspace's webhook settings")
async def read_settings(session: DbSession, principal: Admin) -> WebhookSettingsRead:
    allowed = await service.private_targets_allowed(session=session, workspace_id=principal.workspace_id)
    return WebhookSettingsRead(allow_private_targets=allowed)


@router.put("/webhook-settings", response_model=WebhookSettingsRead, summary="Allow or refuse private-network targets")
async def update_settings(data: WebhookSettings, session: DbSession, principal: Admin) -> WebhookSettingsRead:
    allowed = await service.set_private_targets(
        session=session, workspace_id=principal.workspace_id, allowed=data.allow_private_targets, actor=principal.label
    )
    await session.commit()
    return WebhookSettingsRead(allow_private_targets=allowed)
