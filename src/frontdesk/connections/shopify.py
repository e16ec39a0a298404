"""Shopify's webhook payloads (the REST resource JSON Shopify posts): orders, refunds, customers.

Topics used: orders/create, orders/updated, orders/paid, orders/cancelled, orders/fulfilled, refunds/create,
customers/create, customers/update. Other topics are kept as ``ignored``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from frontdesk.commerce.models import OrderStatus
from frontdesk.connections.records import (
    PayloadProblem,
    ShopCustomer,
    ShopLine,
    ShopOrder,
    ShopRefund,
    amount,
    full_name,
    mapping_of,
    quantity,
    text,
)

ORDER_TOPICS = frozenset({"orders/create", "orders/updated", "orders/paid", "orders/cancelled", "orders/fulfilled"})
REFUND_TOPICS = frozenset({"refunds/create"})
CUSTOMER_TOPICS = frozenset({"customers/create", "customers/update"})
TOPICS = ORDER_TOPICS | REFUND_TOPICS | CUSTOMER_TOPICS


def order_status(payload: dict[str, Any]) -> OrderStatus:
    """Cancelled or voided: cancelled; refunded in full: refunded; anything else (partially refunded too) counts."""
    financial = text(payload.get("financial_status"))
    if payload.get("cancelled_at") or financial == "voided":
        return OrderStatus.cancelled
    if financial == "refunded":
        return OrderStatus.refunded
    return OrderStatus.completed


def order(payload: dict[str, Any], *, sku_prefix: str) -> ShopOrder:
    shop_order_id = text(payload.get("id"))
    if shop_order_id is None:
        raise PayloadProblem("id", "the order has no id")
    customer = mapping_of(payload.get("customer"))
    billing = mapping_of(payload.get("billing_address"))
    email = text(payload.get("email")) or text(payload.get("contact_email")) or text(customer.get("email"))
    name = full_name(customer.get("first_name"), customer.get("last_name")) or text(billing.get("name"))
    currency = text(payload.get("currency"))
    if currency is None:
        raise PayloadProblem("currency", "the order names no currency")
    ordered_at = text(payload.get("processed_at")) or text(payload.get("created_at"))
    if ordered_at is None:
        raise PayloadProblem("created_at", "the order has no date")
    lines = []
    items = payload.get("line_items")
    for index, item in enumerate(items if isinstance(items, list) else []):
        item = mapping_of(item)
        count = quantity(item.get("quantity", 0), f"line_items.{index}.quantity")
        if count <= 0:
            continue  # removed by an order edit
        lines.append(
            ShopLine(
                sku=line_sku(item, sku_prefix=sku_prefix, index=index),
                name=text(item.get("title")) or text(item.get("name")) or f"Shopify product {index + 1}",
                quantity=count,
                unit_price=amount(item.get("price", "0"), f"line_items.{index}.price"),
            )
        )
    return ShopOrder(shop_order_id, email, name, currency, ordered_at, order_status(payload), lines)


def line_sku(item: dict[str, Any], *, sku_prefix: str, index: int) -> str:
    """The line's SKU; without one, the shop's product (and variant) id under ``sku_prefix``."""
    if sku := text(item.get("sku")):
        return sku[:100]
    product, variant = text(item.get("product_id")), text(item.get("variant_id"))
    if product is None:
        raise PayloadProblem(f"line_items.{index}.sku", "the line has neither a SKU nor a product id")
    return f"{sku_prefix}{product}" + (f"-{variant}" if variant else "")


def refund(payload: dict[str, Any]) -> ShopRefund:
    shop_order_id = text(payload.get("order_id"))
    if shop_order_id is None:
        raise PayloadProblem("order_id", "the refund names no order")
    paid_back = Decimal(0)
    transactions = payload.get("transactions")
    for index, transaction in enumerate(transactions if isinstance(transactions, list) else []):
        transaction = mapping_of(transaction)
        if text(transaction.get("kind")) in (None, "refund") and text(transaction.get("status")) in (None, "success"):
            paid_back += amount(transaction.get("amount", "0"), f"transactions.{index}.amount")
    if not paid_back:
        # Refunds of restocked items only state their lines; their subtotals are what was paid back.
        lines = payload.get("refund_line_items")
        for index, line in enumerate(lines if isinstance(lines, list) else []):
            line = mapping_of(line)
            paid_back += amount(line.get("subtotal", "0"), f"refund_line_items.{index}.subtotal")
    return ShopRefund(shop_order_id, paid_back, text(payload.get("note")))


def customer(payload: dict[str, Any]) -> ShopCustomer:
    email = text(payload.get("email"))
    if email is None:
        raise PayloadProblem("email", "the customer has no e-mail address")
    return ShopCustomer(
        email, text(payload.get("first_name")), text(payload.get("last_name")), text(payload.get("phone"))
    )
