"""Confirming who a visitor is: the page the e-mailed link opens, and an agent's merge from the inbox."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.conversations import identity, queries
from frontdesk.conversations.models import Conversation, Visitor
from frontdesk.conversations.outbox import Outbox, inbox_channel
from frontdesk.deps import DbSession, PathId
from frontdesk.errors import DomainError
from frontdesk.feedback.links import InvalidLink
from frontdesk.feedback.public import link_error, workspace_name
from frontdesk.web.console import FormAgent, render
from frontdesk.workspaces.models import Role

router = APIRouter(include_in_schema=False)


async def _changed_conversations(session: AsyncSession, visitor: Visitor) -> Outbox:
    """The visitor's conversations, for the inboxes: their contact may have changed."""
    outbox = Outbox()
    rows = await session.scalars(select(Conversation).where(Conversation.visitor_id == visitor.id))
    for conversation in rows.all():
        outbox.add(
            inbox_channel(conversation.workspace_id),
            await queries.conversation_event(session=session, conversation=conversation),
        )
    return outbox


async def _verify_page(request: Request, session: AsyncSession, visitor: Visitor, **extra: Any) -> Response:
    return render(
        request,
        "public/verify_email.html",
        workspace_name=await workspace_name(session, visitor.workspace_id),
        email=visitor.claimed_email,
        verified=visitor.claim_verified_at is not None,
        **extra,
    )


@router.get("/verify/{token}")
async def verify_page(request: Request, token: str, session: DbSession) -> Any:
    """Asks before confirming: mail scanners open links by themselves, a button they do not press."""
    try:
        visitor = await identity.visitor_for_link(session=session, token=token)
    except InvalidLink as exc:
        return link_error(request, exc)
    return await _verify_page(request, session, visitor)


@router.post("/verify/{token}")
async def confirm_address(request: Request, token: str, session: DbSession) -> Any:
    try:
        visitor = await identity.visitor_for_link(session=session, token=token)
    except InvalidLink as exc:
        return link_error(request, exc)
    confirmation = await identity.do_confirm_claim(
        session=session, visitor=visitor, how="link", actor="visitor (e-mailed link)"
    )
    outbox = Outbox() if confirmation.already_verified else await _changed_conversations(session, visitor)
    response = await _verify_page(request, session, visitor, just_confirmed=not confirmation.already_verified)
    await session.commit()
    await outbox.publish(request.app.state.broker)
    return response


@router.post("/inbox/{conversation_id}/identity")
async def merge_claimed_identity(
    request: Request,
    conversation_id: PathId,
    session: DbSession,
    user: FormAgent,
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    """An agent vouches for the address the visitor gave: merge into its contact, or add it to theirs."""
    user.principal.require(Role.agent)
    conversation = await queries.get_conversation(
        session=session, workspace_id=user.principal.workspace_id, conversation_id=conversation_id
    )
    try:
        await identity.do_agent_confirm(
            session=session, conversation=conversation, expected_email=email, actor=user.display_name
        )
    except DomainError as exc:
        await session.rollback()
        return Response(exc.detail, status_code=exc.status_code)
    assert conversation.visitor_id is not None
    visitor = await session.get(Visitor, conversation.visitor_id)
    assert visitor is not None
    outbox = await _changed_conversations(session, visitor)
    await session.commit()
    await outbox.publish(request.app.state.broker)
    return RedirectResponse(f"/inbox/{conversation_id}", status_code=303)
