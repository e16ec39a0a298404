"""Products, reading orders and figures, changing an order's status, reseller reporting."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.commerce.figures import get_commerce_settings, refresh_customers
from frontdesk.commerce.models import (
    BuyerClass,
    CommerceSettings,
    CustomerFigures,
    CustomerRange,
    Lifecycle,
    LifecycleChange,
    Order,
    OrderLine,
    OrderStatus,
    Product,
    ProductRange,
)
from frontdesk.commerce.schemas import (
    CommerceSettingsUpdate,
    CustomerFiguresRead,
    LifecycleChangeRead,
    OrderLineRead,
    OrderRead,
    ProductCreate,
    ProductRead,
    RangeRead,
    RevenueSplit,
    from_minor,
)
from frontdesk.contacts.models import Contact
from frontdesk.contacts.schemas import TimelineEntry
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.db import insert_missing, utcnow
from frontdesk.errors import Conflict, NotFound

MAX_PAGE_SIZE = 200


async def do_upsert_product(*, session: AsyncSession, workspace_id: int, data: ProductCreate) -> ProductRead:
    """Create the product, or rename it / move it to another range if the SKU exists; the range is made if new."""
    await insert_missing(session, ProductRange, [{"workspace_id": workspace_id, "name": data.range}])
    range_id = await session.scalar(
        select(ProductRange.id).where(ProductRange.workspace_id == workspace_id, ProductRange.name == data.range)
    )
    assert range_id is not None
    product = await session.scalar(select(Product).where(Product.workspace_id == workspace_id, Product.sku == data.sku))
    if product is None:
        product = Product(workspace_id=workspace_id, sku=data.sku, name=data.name, range_id=range_id)
        session.add(product)
    else:
        product.name, product.range_id = data.name, range_id
    await session.flush()
    return ProductRead(id=product.id, sku=product.sku, name=product.name, range=data.range)


async def list_products(
    *, session: AsyncSession, workspace_id: int, limit: int, cursor: str | None
) -> tuple[list[ProductRead], str | None]:
    statement = (
        select(Product, ProductRange.name)
        .join(ProductRange, ProductRange.id == Product.range_id)
        .where(Product.workspace_id == workspace_id)
    )
    if cursor:
        statement = statement.where(Product.id > decode_cursor(cursor))
    rows = (await session.execute(statement.order_by(Product.id).limit(limit + 1))).all()
    items = [ProductRead(id=p.id, sku=p.sku, name=p.name, range=name) for p, name in rows[:limit]]
    return items, encode_cursor(items[-1].id) if len(rows) > limit else None


async def list_ranges(*, session: AsyncSession, workspace_id: int) -> list[RangeRead]:
    rows = await session.execute(
        select(ProductRange.id, ProductRange.name, func.count(Product.id))
        .outerjoin(Product, Product.range_id == ProductRange.id)
        .where(ProductRange.workspace_id == workspace_id)
        .group_by(ProductRange.id, ProductRange.name)
        .order_by(ProductRange.name)
    )
    return [RangeRead(id=i, name=name, products=count) for i, name, count in rows.all()]


async def get_order(*, session: AsyncSession, workspace_id: int, order_id: int) -> Order:
    order = await session.scalar(select(Order).where(Order.workspace_id == workspace_id, Order.id == order_id))
    if order is None:
        raise NotFound(f"no order {order_id} in this workspace")
    return order


async def to_reads(*, session: AsyncSession, orders: list[Order]) -> list[OrderRead]:
    """Orders with their lines, in two queries however many orders there are."""
    lines: dict[int, list[OrderLineRead]] = {order.id: [] for order in orders}
    if orders:
        rows = await session.execute(
            select(OrderLine, Product.sku, ProductRange.name)
            .join(Product, Product.id == OrderLine.product_id)
            .join(ProductRange, ProductRange.id == OrderLine.range_id)
            .where(OrderLine.order_id.in_(list(lines)))
            .order_by(OrderLine.id)
        )
        currency_of = {order.id: order.currency for order in orders}
        for line, sku, range_name in rows.all():
            lines[line.order_id].append(
                OrderLineRead(
                    sku=sku,
                    product_id=line.product_id,
                    range=range_name,
                    quantity=line.quantity,
                    unit_price=from_minor(line.unit_price_minor, currency_of[line.order_id]),
                )
            )
    return [
        OrderRead(
            id=order.id,
            external_id=order.external_id,
            buyer_id=order.buyer_id,
            recipient_id=order.recipient_id,
            channel=order.channel,
            status=OrderStatus(order.status),
            currency=order.currency,
            total=from_minor(order.total_minor, order.currency),
            for_resale=order.for_resale,
            buyer_class=order.buyer_class,
            ordered_at=order.ordered_at,
            lines=lines[order.id],
        )
        for order in orders
    ]


async def list_orders(
    *,
    session: AsyncSession,
    workspace_id: int,
    limit: int,
    cursor: str | None,
    contact_id: int | None = None,
    status: OrderStatus | None = None,
) -> tuple[list[Order], str | None]:
    """Newest first; ``contact_id`` gives the orders a contact placed or received."""
    statement = select(Order).where(Order.workspace_id == workspace_id)
    if contact_id is not None:
        statement = statement.where((Order.buyer_id == contact_id) | (Order.recipient_id == contact_id))
    if status is not None:
        statement = statement.where(Order.status == status.value)
    if cursor:
        statement = statement.where(Order.id < decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Order.id.desc()).limit(limit + 1))).all())
    return rows[:limit], encode_cursor(rows[limit - 1].id) if len(rows) > limit else None


async def do_change_order_status(
    *, session: AsyncSession, workspace_id: int, order_id: int, status: OrderStatus
) -> Order:
    """Refund, cancel or restore an order; the buyer's figures and stage follow."""
    order = await get_order(session=session, workspace_id=workspace_id, order_id=order_id)
    if order.status != status.value:
        order.status, order.updated_at = status.value, utcnow()
        await session.flush()
        if order.buyer_id is not None:
            await refresh_customers(session=session, workspace_id=workspace_id, contact_ids=[order.buyer_id])
    return order


async def get_figures(*, session: AsyncSession, workspace_id: int, contact_id: int) -> CustomerFiguresRead:
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    figures = await session.scalar(
        select(CustomerFigures).where(
            CustomerFigures.workspace_id == workspace_id, CustomerFigures.contact_id == contact_id
        )
    )
    ranges = (
        await session.scalars(
            select(ProductRange.name)
            .join(CustomerRange, CustomerRange.range_id == ProductRange.id)
            .where(CustomerRange.contact_id == contact_id, CustomerRange.workspace_id == workspace_id)
            .order_by(ProductRange.name)
        )
    ).all()
    if figures is None:
        figures = CustomerFigures(contact_id=contact_id, orders=0, total_spent_minor=0, recent_orders=0)
        figures.lifecycle, figures.reseller = Lifecycle.prospect.value, False
    currency = settings.currency
    return CustomerFiguresRead(
        contact_id=contact_id,
        orders=figures.orders,
        total_spent=from_minor(figures.total_spent_minor, currency),
        average_order_value=(
            from_minor(figures.total_spent_minor, currency) / figures.orders if figures.orders else None
        ),
        currency=currency,
        first_order_at=figures.first_order_at,
        last_order_at=figures.last_order_at,
        ranges=list(ranges),
        recent_orders=figures.recent_orders,
        lifecycle=figures.lifecycle,
        reseller=figures.reseller,
        rfm_r=figures.rfm_r,
        rfm_f=figures.rfm_f,
        rfm_m=figures.rfm_m,
        rfm_group=figures.rfm_group,
    )


async def lifecycle_history(*, session: AsyncSession, workspace_id: int, contact_id: int) -> list[LifecycleChange]:
    return list(
        (
            await session.scalars(
                select(LifecycleChange)
                .where(LifecycleChange.workspace_id == workspace_id, LifecycleChange.contact_id == contact_id)
                .order_by(LifecycleChange.id.desc())
            )
        ).all()
    )


async def do_update_settings(
    *, session: AsyncSession, workspace_id: int, data: CommerceSettingsUpdate
) -> CommerceSettings:
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    if data.currency is not None and data.currency != settings.currency:
        has_orders = await session.scalar(select(Order.id).where(Order.workspace_id == workspace_id).limit(1))
        if has_orders is not None:
            raise Conflict("the currency cannot change once orders are recorded in it", field="currency")
    for key, value in data.model_dump(exclude_unset=True, exclude_none=True).items():
        setattr(settings, key, value)
    await session.flush()
    return settings


async def revenue_split(
    *, session: AsyncSession, workspace_id: int, since: datetime | None = None, until: datetime | None = None
) -> RevenueSplit:
    """Completed orders' revenue and count, sold to consumers and to resellers."""
    settings = await get_commerce_settings(session=session, workspace_id=workspace_id)
    statement = select(Order.buyer_class, func.coalesce(func.sum(Order.total_minor), 0), func.count()).where(
        Order.workspace_id == workspace_id, Order.status == OrderStatus.completed.value
    )
    if since is not None:
        statement = statement.where(Order.ordered_at >= since)
    if until is not None:
        statement = statement.where(Order.ordered_at < until)
    totals = {cls: (int(total), int(count)) for cls, total, count in (await session.execute(
        statement.group_by(Order.buyer_class))).all()}  # fmt: skip
    consumer = totals.get(BuyerClass.consumer.value, (0, 0))
    reseller = totals.get(BuyerClass.reseller.value, (0, 0))
    return RevenueSplit(
        currency=settings.currency,
        consumer=from_minor(consumer[0], settings.currency),
        reseller=from_minor(reseller[0], settings.currency),
        consumer_orders=consumer[1],
        reseller_orders=reseller[1],
    )


async def timeline_entries(
    *, session: AsyncSession, workspace_id: int, contact_id: int, limit: int = 100
) -> list[TimelineEntry]:
    """The contact's orders and lifecycle stage changes, as entries of the contact's timeline."""
    orders = await session.scalars(
        select(Order)
        .where(Order.workspace_id == workspace_id, (Order.buyer_id == contact_id) | (Order.recipient_id == contact_id))
        .order_by(Order.ordered_at.desc())
        .limit(limit)
    )
    entries = [
        TimelineEntry(
            id=f"order-{order.id}",
            kind="order",
            actor=order.channel,
            summary=(
                f"Order {order.external_id}: {from_minor(order.total_minor, order.currency)} {order.currency}"
                + ("" if order.status == OrderStatus.completed.value else f" ({order.status})")
                + (" received" if order.buyer_id != contact_id else "")
            ),
            data={"order_id": order.id, "status": order.status, "buyer_class": order.buyer_class},
            created_at=order.ordered_at,
        )
        for order in orders
    ]
    changes = await lifecycle_history(session=session, workspace_id=workspace_id, contact_id=contact_id)
    entries += [
        TimelineEntry(
            id=f"stage-{change.id}",
            kind="stage",
            actor="frontdesk",
            summary=f"Lifecycle stage: {change.from_stage} → {change.to_stage}",
            data={"from": change.from_stage, "to": change.to_stage},
            created_at=change.changed_at,
        )
        for change in changes[:limit]
    ]
    return entries


async def export_purchases(*, session: AsyncSession, contact: Contact) -> dict[str, Any]:
    """The contact's orders, figures and stage history, for the GDPR export (art. 15)."""
    orders = await session.scalars(
        select(Order)
        .where(
            Order.workspace_id == contact.workspace_id,
            (Order.buyer_id == contact.id) | (Order.recipient_id == contact.id),
        )
        .order_by(Order.id)
    )
    figures = await get_figures(session=session, workspace_id=contact.workspace_id, contact_id=contact.id)
    history = await lifecycle_history(session=session, workspace_id=contact.workspace_id, contact_id=contact.id)
    return {
        "orders": [o.model_dump(mode="json") for o in await to_reads(session=session, orders=list(orders))],
        "figures": figures.model_dump(mode="json"),
        "lifecycle_history": [LifecycleChangeRead.model_validate(c).model_dump(mode="json") for c in history],
    }
