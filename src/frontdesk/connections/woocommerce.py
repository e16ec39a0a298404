"""WooCommerce's webhook payloads (the REST API v3 order and customer JSON).

Topics used: order.created, order.updated, order.restored, order.deleted, customer.created, customer.updated.
WooCommerce sends refunds as order.updated with the status ``refunded``.
"""

from __future__ import annotations

import re
from typing import Any

from frontdesk.commerce.models import OrderStatus
from frontdesk.connections.records import (
    PayloadProblem,
    ShopCustomer,
    ShopLine,
    ShopOrder,
    amount,
    full_name,
    mapping_of,
    quantity,
    text,
)

ORDER_TOPICS = frozenset({"order.created", "order.updated", "order.restored"})
DELETED_TOPICS = frozenset({"order.deleted"})
CUSTOMER_TOPICS = frozenset({"customer.created", "customer.updated"})
TOPICS = ORDER_TOPICS | DELETED_TOPICS | CUSTOMER_TOPICS

# When a webhook is saved, WooCommerce posts ``webhook_id=N`` (a form, unsigned topic) to check the address.
PING = re.compile(rb"^webhook_id=\d+$")


def order_status(payload: dict[str, Any]) -> OrderStatus:
    status = text(payload.get("status"))
    if status in ("cancelled", "failed"):
        return OrderStatus.cancelled
    if status == "refunded":
        return OrderStatus.refunded
    return OrderStatus.completed


def order(payload: dict[str, Any], *, sku_prefix: str) -> ShopOrder:
    shop_order_id = text(payload.get("id"))
    if shop_order_id is None:
        raise PayloadProblem("id", "the order has no id")
    billing = mapping_of(payload.get("billing"))
    currency = text(payload.get("currency"))
    if currency is None:
        raise PayloadProblem("currency", "the order names no currency")
    # date_created_gmt has no offset: it is UTC by its name.
    created_gmt = text(payload.get("date_created_gmt"))
    ordered_at = f"{created_gmt}Z" if created_gmt and "+" not in created_gmt else text(payload.get("date_created"))
    if ordered_at is None:
        raise PayloadProblem("date_created", "the order has no date")
    lines = []
    items = payload.get("line_items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        item = mapping_of(item)
        count = quantity(item.get("quantity", 0), f"line_items.{index}.quantity")
        if count <= 0:
            continue
        # "price" is the unit price before tax (a number); "subtotal" the line's, as text.
        price = item.get("price")
        unit = (
            amount(price, f"line_items.{index}.price")
            if price is not None
            else amount(item.get("subtotal", "0"), f"line_items.{index}.subtotal") / count
        )
        lines.append(
            ShopLine(
                sku=line_sku(item, sku_prefix=sku_prefix, index=index),
                name=text(item.get("name")) or f"WooCommerce product {index + 1}",
                quantity=count,
                unit_price=unit,
            )
        )
    return ShopOrder(
        shop_order_id,
        text(billing.get("email")),
        full_name(billing.get("first_name"), billing.get("last_name")),
        currency,
        ordered_at,
        order_status(payload),
        lines,
    )


def line_sku(item: dict[str, Any], *, sku_prefix: str, index: int) -> str:
    if sku := text(item.get("sku")):
        return sku[:100]
    product, variation = text(item.get("product_id")), text(item.get("variation_id"))
    if product is None or product == "0":
        raise PayloadProblem(f"line_items.{index}.sku", "the line has neither a SKU nor a product id")
    return f"{sku_prefix}{product}" + (f"-{variation}" if variation and variation != "0" else "")


def customer(payload: dict[str, Any]) -> ShopCustomer:
    email = text(payload.get("email"))
    if email is None:
        raise PayloadProblem("email", "the customer has no e-mail address")
    billing = mapping_of(payload.get("billing"))
    return ShopCustomer(
        email, text(payload.get("first_name")), text(payload.get("last_name")), text(billing.get("phone"))
    )
