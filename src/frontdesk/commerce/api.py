"""/api/v1 products, orders, customer figures and revenue reporting."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, UploadFile
from sqlalchemy.exc import IntegrityError

from frontdesk.commerce import figures, importer, orders, service
from frontdesk.commerce.models import OrderStatus
from frontdesk.commerce.schemas import (
    CommerceSettingsRead,
    CommerceSettingsUpdate,
    CustomerFiguresRead,
    LifecycleChangeRead,
    OrderCreate,
    OrderImportReport,
    OrderPage,
    OrderRead,
    OrderStatusChange,
    ProductCreate,
    ProductRead,
    RangeRead,
    RevenueSplit,
)
from frontdesk.contacts.service import get_contact
from frontdesk.deps import Admin, Agent, AppSettings, DbSession, PathId, ReferralCodeParam, Viewer, require_time_zones
from frontdesk.errors import InvalidInput
from frontdesk.inputs import BoundedDateTime, IdRef
from frontdesk.referrals import service as referrals
from frontdesk.success.refresh import refresh_success
from frontdesk.uploads import import_interrupted, read_csv_upload

router = APIRouter(prefix="/api/v1", tags=["commerce"])
Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


@router.post("/products", response_model=ProductRead, status_code=201, summary="Create or update a product by SKU")
async def upsert_product(data: ProductCreate, session: DbSession, principal: Agent) -> ProductRead:
    product = await service.do_upsert_product(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return product


@router.get("/products", summary="List products")
async def list_products(session: DbSession, principal: Viewer, limit: Limit = 50, cursor: Cursor = None) -> Any:
    items, next_cursor = await service.list_products(
        session=session, workspace_id=principal.workspace_id, limit=limit, cursor=cursor
    )
    return {"items": items, "next_cursor": next_cursor}


@router.get("/product-ranges", response_model=list[RangeRead], summary="List product ranges")
async def list_ranges(session: DbSession, principal: Viewer) -> list[RangeRead]:
    return await service.list_ranges(session=session, workspace_id=principal.workspace_id)


@router.post(
    "/orders",
    response_model=OrderRead,
    status_code=201,
    summary="Record an order (idempotent by external_id)",
    responses={200: {"description": "The order was stored already; its status is updated if it changed"}},
)
async def create_order(
    data: OrderCreate,
    session: DbSession,
    principal: Agent,
    response: Response,
    referral_code: ReferralCodeParam = None,
) -> OrderRead:
    for attempt in range(2):
        try:
            outcome = await orders.write_orders(
                session=session, workspace_id=principal.workspace_id, orders=[data], actor=principal.label
            )
            if outcome.errors:
                error = outcome.errors[0]
                raise InvalidInput(error["message"], field=error["field"])
            order_id = outcome.order_ids[data.external_id]
            if referral_code is not None:
                response.headers["Referral"] = await _attribute_order(
                    session, principal.workspace_id, order_id, referral_code
                )
            await session.commit()
            break
        except IntegrityError:
            # The same order (or a new buyer's e-mail) was stored by a concurrent request: the retry finds it.
            await session.rollback()
            if attempt:
                raise
    if not outcome.result.created:
        response.status_code = 200
    order = await service.get_order(session=session, workspace_id=principal.workspace_id, order_id=order_id)
    return (await service.to_reads(session=session, orders=[order]))[0]


async def _attribute_order(session: DbSession, workspace_id: int, order_id: int, code: str) -> str:
    """Attribute the order's buyer to the code (a self-referral raises, so the order is not stored)."""
    order = await service.get_order(session=session, workspace_id=workspace_id, order_id=order_id)
    if order.buyer_id is None:
        raise InvalidInput("a referred order needs a buyer", field="referral_code")
    outcome = await referrals.do_attribute(
        session=session, workspace_id=workspace_id, code=code, referred_id=order.buyer_id, order_id=order.id
    )
    return referrals.attribution_header(outcome)


@router.post("/orders/import", response_model=OrderImportReport, summary="Import orders from a CSV file")
async def import_orders(file: UploadFile, session: DbSession, principal: Agent, settings: AppSettings) -> Any:
    header, rows = await read_csv_upload(file, settings)
    report = OrderImportReport(total_rows=0, orders=0, failed=0, errors=[])
    try:
        return await importer.import_orders(
            session=session,
            workspace_id=principal.workspace_id,
            header=header,
            rows=rows,
            actor=principal.label,
            report=report,
        )
    except Exception as exc:
        if report.stored_through_row == 0:
            raise
        return import_interrupted(exc, report.model_dump())


@router.get("/orders", response_model=OrderPage, summary="List orders, newest first")
async def list_orders(
    session: DbSession,
    principal: Viewer,
    limit: Limit = 50,
    cursor: Cursor = None,
    contact_id: Annotated[IdRef | None, Query(description="Orders this contact placed or received")] = None,
    status: OrderStatus | None = None,
) -> OrderPage:
    rows, next_cursor = await service.list_orders(
        session=session,
        workspace_id=principal.workspace_id,
        limit=limit,
        cursor=cursor,
        contact_id=contact_id,
        status=status,
    )
    return OrderPage(items=await service.to_reads(session=session, orders=rows), next_cursor=next_cursor)


@router.get("/orders/{order_id}", response_model=OrderRead, summary="Read an order")
async def read_order(order_id: PathId, session: DbSession, principal: Viewer) -> OrderRead:
    order = await service.get_order(session=session, workspace_id=principal.workspace_id, order_id=order_id)
    return (await service.to_reads(session=session, orders=[order]))[0]


@router.patch("/orders/{order_id}", response_model=OrderRead, summary="Refund, cancel or restore an order")
async def change_order(order_id: PathId, data: OrderStatusChange, session: DbSession, principal: Agent) -> OrderRead:
    order = await service.do_change_order_status(
        session=session, workspace_id=principal.workspace_id, order_id=order_id, status=data.status
    )
    await session.commit()
    return (await service.to_reads(session=session, orders=[order]))[0]


@router.get("/contacts/{contact_id}/figures", response_model=CustomerFiguresRead, summary="A customer's figures")
async def contact_figures(contact_id: PathId, session: DbSession, principal: Viewer) -> CustomerFiguresRead:
    await get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    return await service.get_figures(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)


@router.get(
    "/contacts/{contact_id}/lifecycle", response_model=list[LifecycleChangeRead], summary="Lifecycle stage history"
)
async def contact_lifecycle(contact_id: PathId, session: DbSession, principal: Viewer) -> Any:
    await get_contact(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)
    return await service.lifecycle_history(session=session, workspace_id=principal.workspace_id, contact_id=contact_id)


@router.get("/reports/revenue-split", response_model=RevenueSplit, summary="Revenue from consumers and resellers")
async def revenue_split(
    session: DbSession,
    principal: Viewer,
    since: Annotated[BoundedDateTime | None, Query(description="Orders at or after this time")] = None,
    until: Annotated[BoundedDateTime | None, Query(description="Orders before this time")] = None,
) -> RevenueSplit:
    require_time_zones(since=since, until=until)
    return await service.revenue_split(session=session, workspace_id=principal.workspace_id, since=since, until=until)


@router.get("/commerce/settings", response_model=CommerceSettingsRead, summary="Currency and lifecycle thresholds")
async def read_settings(session: DbSession, principal: Viewer) -> Any:
    found = await figures.get_commerce_settings(session=session, workspace_id=principal.workspace_id)
    await session.commit()
    return found


@router.patch("/commerce/settings", response_model=CommerceSettingsRead, summary="Change currency or thresholds")
async def update_settings(data: CommerceSettingsUpdate, session: DbSession, principal: Admin) -> Any:
    updated = await service.do_update_settings(session=session, workspace_id=principal.workspace_id, data=data)
    await session.commit()
    return updated


@router.post(
    "/analytics/refresh",
    summary="Recompute figures, stages and RFM scores; refit the purchase model; score health; run playbooks",
)
async def refresh(session: DbSession, principal: Admin) -> dict[str, int | str | None]:
    changes = await figures.refresh_workspace(session=session, workspace_id=principal.workspace_id)
    success = await refresh_success(session=session, workspace_id=principal.workspace_id)
    await session.commit()
    return {
        "stage_changes": changes,
        "predictions_scored": success.clv.scored,
        "model_problem": success.clv.problem,
        "health_scored": success.health_scored,
        "tasks_created": success.tasks_created,
    }
