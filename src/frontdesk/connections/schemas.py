"""Shop connections and their deliveries as the API reads and writes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from frontdesk.commerce.schemas import OrderCreate
from frontdesk.connections.models import InboundStatus, ShopKind
from frontdesk.inputs import RequestModel


class ShopConnectionCreate(RequestModel):
    kind: ShopKind
    name: str = Field(min_length=1, max_length=200)
    shop_domain: str | None = Field(default=None, max_length=255, description="e.g. example.myshopify.com")
    product_range: str = Field(default="Online shop", min_length=1, max_length=200)
    payload_retention_days: int = Field(default=30, ge=1, le=365, description="Raw payloads are kept this long")
    mapping: dict[str, Any] | None = Field(default=None, description="Generic shops: where each order field is")


class ShopConnectionUpdate(RequestModel):
    """A partial change: only the fields sent are changed."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    shop_domain: str | None = Field(default=None, max_length=255)
    secret: str | None = Field(
        default=None, min_length=8, max_length=200, description="The shop's own signing secret, if it gives one"
    )
    product_range: str | None = Field(default=None, min_length=1, max_length=200)
    payload_retention_days: int | None = Field(default=None, ge=1, le=365)
    mapping: dict[str, Any] | None = None
    enabled: bool | None = None


class ShopConnectionRead(BaseModel):
    id: int
    kind: ShopKind
    name: str
    shop_domain: str | None
    webhook_url: str
    product_range: str
    payload_retention_days: int
    mapping: dict[str, Any] | None
    enabled: bool
    last_received_at: datetime | None
    created_at: datetime


class ShopConnectionWithSecret(ShopConnectionRead):
    secret: str = Field(description="Paste into the shop (or set the shop's own with PATCH)")


class InboundDeliveryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    connection_id: int
    delivery_id: str
    topic: str
    received_at: datetime
    status: InboundStatus
    message: str | None
    order_external_id: str | None
    contact_id: int | None


class InboundDeliveryDetail(InboundDeliveryRead):
    payload: str | None = Field(description="The body as received; null after the retention period or erasure")


class InboundDeliveryPage(BaseModel):
    items: list[InboundDeliveryRead]
    next_cursor: str | None


class MappingPreviewRequest(RequestModel):
    mapping: dict[str, Any]
    sample: Any = Field(description="A payload as the shop sends it")


class MappingProblem(BaseModel):
    field: str
    message: str


class MappingPreview(BaseModel):
    order: OrderCreate | None = Field(description="The order the sample would become; null when it would fail")
    errors: list[MappingProblem]
