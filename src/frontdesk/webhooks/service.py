"""Webhook endpoints: adding, changing, rotating their secrets, and reading their delivery log.

Every function works inside the caller's transaction (the route commits) and only on the given workspace's
rows: an id of another workspace is "not found", never a hint that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.db import utcnow
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.webhooks import events
from frontdesk.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from frontdesk.webhooks.signing import new_signing_secret
from frontdesk.webhooks.targets import resolve_target
from frontdesk.workspaces.models import AuditEntry, Workspace

MAX_PAGE_SIZE = 200
MAX_DESCRIPTION = 200
MAX_OVERLAP_HOURS = 168  # a week: long enough for a receiver deployed weekly to pick up the new secret
DEFAULT_OVERLAP_HOURS = 24


@dataclass(frozen=True)
class DeliveryRow:
    """A delivery with what the log shows of its event."""

    delivery: WebhookDelivery
    event_type: str
    message_id: str


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: WebhookDelivery
    event: WebhookEvent
    attempts: list[WebhookAttempt]


def _audit(
    session: AsyncSession, workspace_id: int, action: str, subject_id: int | None, actor: str, **details: Any
) -> None:
    subject_type = "webhook_delivery" if action.startswith("webhook_delivery") else "webhook_endpoint"
    if action == "webhook_settings.updated":
        subject_type = "workspace"
    session.add(
        AuditEntry(
            workspace_id=workspace_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            actor=actor,
            details=details,
        )
    )


async def private_targets_allowed(*, session: AsyncSession, workspace_id: int) -> bool:
    allowed = await session.scalar(select(Workspace.allow_private_webhook_targets).where(Workspace.id == workspace_id))
    return bool(allowed)


async def set_private_targets(*, session: AsyncSession, workspace_id: int, allowed: bool, actor: str) -> bool:
    """Allow (or refuse again) webhook URLs on loopback, link-local and private addresses. Endpoints saved
    while allowed stay; the dispatcher checks every attempt's address against the setting of that moment."""
    workspace = await session.get(Workspace, workspace_id)
    if workspace is None:
        raise NotFound(f"workspace {workspace_id} not found", field="workspace")
    if workspace.allow_private_webhook_targets != allowed:
        workspace.allow_private_webhook_targets = allowed
        _audit(session, workspace_id, "webhook_settings.updated", workspace_id, actor, allow_private_targets=allowed)
    await session.flush()
    return allowed


async def _checked_url(session: AsyncSession, workspace_id: int, url: str) -> str:
    if len(url) > 2000:
        raise InvalidInput("at most 2000 characters", field="url")
    allowed = await private_targets_allowed(session=session, workspace_id=workspace_id)
    return (await resolve_target(url, allow_private=allowed, field="url")).url


def _checked_event_types(event_types: list[str]) -> list[str]:
    if not event_types:
        raise InvalidInput("choose at least one event type", field="event_types")
    unknown = [name for name in event_types if name not in events.EVENT_TYPES]
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}; see GET /api/v1/webhook-event-types", field="event_types"
        )
    # In the order the catalogue lists them, once each: what the console and the API show back.
    return [name for name in events.EVENT_TYPES if name in set(event_types)]


def _checked_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(f"at most {MAX_DESCRIPTION} characters", field="description")
    return description


def endpoint_state(endpoint: WebhookEndpoint) -> str:
    """ "disabled" (by Frontdesk: it kept failing) wins over "paused" (by an admin); otherwise "active"."""
    if endpoint.disabled_at is not None:
        return "disabled"
    return "active" if endpoint.enabled else "paused"


async def list_endpoints(*, session: AsyncSession, workspace_id: int) -> list[WebhookEndpoint]:
    statement = select(WebhookEndpoint).where(WebhookEndpoint.workspace_id == workspace_id).order_by(WebhookEndpoint.id)
    return list((await session.scalars(statement)).all())


async def get_endpoint(*, session: AsyncSession, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id, WebhookEndpoint.workspace_id == workspace_id)
    )
    if endpoint is None:
        raise NotFound(f"webhook endpoint {endpoint_id} not found", field="endpoint_id")
    return endpoint


async def create_endpoint(
    *,
    session: AsyncSession,
    workspace_id: int,
    url: str,
    event_types: list[str],
    description: str = "",
    enabled: bool = True,
    actor: str,
) -> WebhookEndpoint:
    """A new endpoint with a fresh secret; events of its types are queued for it from the next commit on."""
    checked_types = _checked_event_types(event_types)
    checked_description = _checked_description(description)
    checked_url = await _checked_url(session, workspace_id, url)
    now = utcnow()
    endpoint = WebhookEndpoint(
        workspace_id=workspace_id,
        url=checked_url,
        description=checked_description,
        event_types=checked_types,
        secret=new_signing_secret(),
        enabled=enabled,
        created_at=now,
        updated_at=now,
    )
    session.add(endpoint)
    await session.flush()
    _audit(
        session,
        workspace_id,
        "webhook_endpoint.created",
        endpoint.id,
        actor,
        url=checked_url,
        event_types=checked_types,
    )
    events.forget_subscriptions(session)
    return endpoint


async def update_endpoint(
    *,
    session: AsyncSession,
    workspace_id: int,
    endpoint_id: int,
    actor: str,
    url: str | None = None,
    description: str | None = None,
    event_types: list[str] | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change what is given; ``enabled`` False pauses the endpoint (nothing queued, nothing sent) and True
    resumes it. Resuming does not lift an automatic disabling: that is ``reenable_endpoint``."""
    endpoint = await get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    changes: dict[str, Any] = {}
    if event_types is not None:
        checked_types = _checked_event_types(event_types)
        if checked_types != endpoint.event_types:
            changes["event_types"] = checked_types
    if description is not None:
        checked_description = _checked_description(description)
        if checked_description != endpoint.description:
            changes["description"] = checked_description
    if url is not None:
        checked_url = await _checked_url(session, workspace_id, url)
        if checked_url != endpoint.url:
            changes["url"] = checked_url
    if enabled is not None and enabled != endpoint.enabled:
        changes["enabled"] = enabled
    if changes:
        for name, value in changes.items():
            setattr(endpoint, name, value)
        endpoint.updated_at = utcnow()
        _audit(session, workspace_id, "webhook_endpoint.updated", endpoint.id, actor, changed=sorted(changes))
        events.forget_subscriptions(session)
    await session.flush()
    return endpoint


async def delete_endpoint(*, session: AsyncSession, workspace_id: int, endpoint_id: int, actor: str) -> None:
    """Remove the endpoint with its queue and log (the events stay: other endpoints may share them)."""
    endpoint = await get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    _audit(session, workspace_id, "webhook_endpoint.deleted", endpoint.id, actor, url=endpoint.url)
    await session.delete(endpoint)
    await session.flush()
    events.forget_subscriptions(session)


async def get_secret(*, session: AsyncSession, workspace_id: int, endpoint_id: int) -> WebhookEndpoint:
    """The endpoint, whose ``secret`` (and ``previous_secret`` while it overlaps) the caller may show."""
    return await get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)


async def rotate_secret(
    *,
    session: AsyncSession,
    workspace_id: int,
    endpoint_id: int,
    actor: str,
    overlap_hours: int = DEFAULT_OVERLAP_HOURS,
) -> str:
    """A new secret signs from now on; the old one also signs for ``overlap_hours`` (0: not at all), so a
    receiver can switch over without refusing a delivery. Returns the new secret."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise InvalidInput(f"between 0 and {MAX_OVERLAP_HOURS} hours", field="overlap_hours")
    endpoint = await get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    now = utcnow()
    if overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + timedelta(hours=overlap_hours)
    else:
        endpoint.previous_secret = None
        endpoint.previous_secret_expires_at = None
    endpoint.secret = new_signing_secret()
    endpoint.updated_at = now
    _audit(session, workspace_id, "webhook_endpoint.secret_rotated", endpoint.id, actor, overlap_hours=overlap_hours)
    await session.flush()
    return endpoint.secret


async def reenable_endpoint(
    *, session: AsyncSession, workspace_id: int, endpoint_id: int, actor: str
) -> WebhookEndpoint:
    """Turn an endpoint that Frontdesk disabled (it kept failing) back on, with a clean failure count."""
    endpoint = await get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    was = endpoint.disabled_reason
    endpoint.disabled_at = None
    endpoint.disabled_reason = None
    endpoint.failing_since = None
    endpoint.consecutive_failures = 0
    endpoint.enabled = True
    endpoint.updated_at = utcnow()
    _audit(session, workspace_id, "webhook_endpoint.reenabled", endpoint.id, actor, disabled_reason=was)
    events.forget_subscriptions(session)
    await session.flush()
    return endpoint


async def list_deliveries(
    *,
    session: AsyncSession,
    workspace_id: int,
    endpoint_id: int,
    limit: int = 50,
    cursor: str | None = None,
    status: DeliveryStatus | None = None,
) -> tuple[list[DeliveryRow], str | None]:
    """The endpoint's delivery log, newest first (by id: cursors page on it), with the next page's cursor."""
    await get_endpoint(session=session, workspace_id=workspace_id, endpoint_id=endpoint_id)
    statement = (
        select(WebhookDelivery, WebhookEvent.event_type, WebhookEvent.message_id)
        .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint_id, WebhookDelivery.workspace_id == workspace_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit + 1)
    )
    if status is not None:
        statement = statement.where(WebhookDelivery.status == status.value)
    if cursor:
        statement = statement.where(WebhookDelivery.id < decode_cursor(cursor))
    rows = [
        DeliveryRow(delivery, event_type, message_id)
        for delivery, event_type, message_id in await session.execute(statement)
    ]
    next_cursor = encode_cursor(rows[limit - 1].delivery.id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def _delivery(session: AsyncSession, workspace_id: int, delivery_id: int) -> WebhookDelivery:
    delivery = await session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.id == delivery_id, WebhookDelivery.workspace_id == workspace_id)
    )
    if delivery is None:
        raise NotFound(f"webhook delivery {delivery_id} not found", field="delivery_id")
    return delivery


async def get_delivery(*, session: AsyncSession, workspace_id: int, delivery_id: int) -> DeliveryDetail:
    """A delivery with its event (the payload is the request body) and every attempt, oldest first."""
    delivery = await _delivery(session, workspace_id, delivery_id)
    event = await session.get(WebhookEvent, delivery.event_id)
    assert event is not None  # the foreign key cascades: a delivery never outlives its event
    attempts = await session.scalars(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id).order_by(WebhookAttempt.id)
    )
    return DeliveryDetail(delivery=delivery, event=event, attempts=list(attempts))


async def resend_delivery(*, session: AsyncSession, workspace_id: int, delivery_id: int, actor: str) -> WebhookDelivery:
    """Queue the delivery again at once (whatever its outcome); the dispatcher sends it with the same
    ``webhook-id``, so a receiver that already has it can tell. The attempts so far stay counted."""
    delivery = await _delivery(session, workspace_id, delivery_id)
    endpoint = await session.get(WebhookEndpoint, delivery.endpoint_id)
    if endpoint is not None and (not endpoint.enabled or endpoint.disabled_at is not None):
        state = "paused" if not endpoint.enabled else "disabled"
        raise Conflict(f"the endpoint is {state}: resume it first", field="delivery_id")
    if delivery.lease_until is not None and delivery.lease_until > utcnow():
        raise Conflict("this delivery is being sent right now; try again in a moment", field="delivery_id")
    delivery.status = DeliveryStatus.pending.value
    delivery.next_attempt_at = utcnow()
    delivery.finished_at = None
    delivery.lease_until = None
    delivery.lease_owner = None
    _audit(session, workspace_id, "webhook_delivery.resent", delivery.id, actor, endpoint_id=delivery.endpoint_id)
    await session.flush()
    # Wake this process's dispatcher after the commit, as a newly queued event does (no wait for its poll).
    events.mark_queued(session)
    return delivery
