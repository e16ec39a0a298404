"""/api/v1/conversations: the inbox for programs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from frontdesk.conversations import queries, routing, service
from frontdesk.conversations.actions import post_agent_message
from frontdesk.conversations.attachments import agent_message_views
from frontdesk.conversations.models import ConversationStatus
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.schemas import (
    AgentMessageCreate,
    ConversationPage,
    ConversationRead,
    ConversationUpdate,
    MessagePage,
    MessageRead,
)
from frontdesk.deps import Admin, Agent, DbSession, PathId, Viewer
from frontdesk.errors import InvalidInput
from frontdesk.inputs import AfterSeq, IdRef

router = APIRouter(prefix="/api/v1", tags=["conversations"])
TeamKey = Annotated[str, Path(max_length=40, description="sales, support or success")]


class TeamRead(BaseModel):
    key: str
    name: str
    member_ids: list[int] = Field(description="Agent ids of the team's members")


@router.get("/conversations", response_model=ConversationPage, summary="List conversations, newest first")
async def list_conversations(
    session: DbSession,
    principal: Viewer,
    status: ConversationStatus | None = None,
    assignee_id: Annotated[IdRef | None, Query()] = None,
    unassigned: bool = False,
    team: Annotated[str | None, Query(max_length=40)] = None,
    contact_id: Annotated[IdRef | None, Query()] = None,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Search: words in the messages, or in the contact's name (accents and case ignored) "
            "or e-mail address, or in the name or address the visitor typed",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> ConversationPage:
    filters = queries.InboxFilters(
        status=status.value if status else None,
        assignee_id=assignee_id,
        unassigned=unassigned,
        team=team,
        contact_id=contact_id,
        q=q,
    )
    rows, next_cursor = await queries.list_conversations(
        session=session, workspace_id=principal.workspace_id, filters=filters, limit=limit, cursor=cursor
    )
    items = [await queries.to_read(session=session, conversation=row) for row in rows]
    return ConversationPage(items=items, next_cursor=next_cursor)


@router.get("/conversations/{conversation_id}", response_model=ConversationRead)
async def read_conversation(conversation_id: PathId, session: DbSession, principal: Viewer) -> ConversationRead:
    conversation = await queries.get_conversation(
        session=session, workspace_id=principal.workspace_id, conversation_id=conversation_id
    )
    return await queries.to_read(session=session, conversation=conversation)


@router.get("/conversations/{conversation_id}/messages", response_model=MessagePage)
async def read_messages(
    conversation_id: PathId,
    session: DbSession,
    principal: Viewer,
    after_seq: AfterSeq = 0,
    include_notes: bool = True,
) -> MessagePage:
    conversation = await queries.get_conversation(
        session=session, workspace_id=principal.workspace_id, conversation_id=conversation_id
    )
    messages = await queries.list_messages(
        session=session, conversation=conversation, after_seq=after_seq, include_notes=include_notes
    )
    items = await agent_message_views(session=session, messages=messages)
    return MessagePage(items=items, last_seq=conversation.last_seq)


@router.post(
    "/conversations/{conversation_id}/messages",
    response_model=MessageRead,
    status_code=201,
    description="Idempotent: sending the same client_id again returns the stored message with status 200.",
)
async def send_message(
    conversation_id: PathId, data: AgentMessageCreate, request: Request, session: DbSession, principal: Agent
) -> JSONResponse:
    message, created, outbox = await post_agent_message(
        session=session,
        workspace_id=principal.workspace_id,
        conversation_id=conversation_id,
        agent_id=principal.agent_id,
        data=data,
        author_name=principal.label.split(" ", 1)[-1],
    )
    await outbox.publish(request.app.state.broker)
    body = MessageRead.model_validate(message).model_dump(mode="json")
    return JSONResponse(body, status_code=201 if created else 200)


@router.patch("/conversations/{conversation_id}", response_model=ConversationRead)
async def update_conversation(
    conversation_id: PathId, data: ConversationUpdate, request: Request, session: DbSession, principal: Agent
) -> ConversationRead:
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        raise InvalidInput("send at least one of status, assignee_id, team", field="body")
    conversation = await queries.get_conversation(
        session=session, workspace_id=principal.workspace_id, conversation_id=conversation_id
    )
    outbox = Outbox()
    await service.do_change_conversation(
        session=session,
        conversation=conversation,
        outbox=outbox,
        changes=changes,
        actor_name=principal.label.split(" ", 1)[-1],
    )
    await session.commit()
    await outbox.publish(request.app.state.broker)
    return await queries.to_read(session=session, conversation=conversation)


async def _team_read(session: DbSession, workspace_id: int, key: str) -> TeamRead:
    teams = await routing.list_teams(session=session, workspace_id=workspace_id)
    members = await routing.team_member_ids(session=session, workspace_id=workspace_id, key=key)
    return TeamRead(key=key, name=teams[key].name, member_ids=members)


@router.get("/teams", response_model=list[TeamRead], summary="Teams (sales, support, success) and their members")
async def list_teams(session: DbSession, principal: Viewer) -> list[TeamRead]:
    members = await routing.members_by_team(session=session, workspace_id=principal.workspace_id)
    teams = await routing.list_teams(session=session, workspace_id=principal.workspace_id)
    await session.commit()  # the default teams, made on first use
    return [TeamRead(key=key, name=team.name, member_ids=members[key]) for key, team in sorted(teams.items())]


@router.put(
    "/teams/{key}/members/{agent_id}",
    response_model=TeamRead,
    summary="Put an agent in a team",
    description="Idempotent. Success membership is a choice: agents in no team join sales and support by "
    "themselves, never success.",
)
async def add_team_member(key: TeamKey, agent_id: PathId, session: DbSession, principal: Admin) -> TeamRead:
    team = await routing.do_add_team_member(
        session=session, workspace_id=principal.workspace_id, key=key, agent_id=agent_id
    )
    await session.commit()
    return await _team_read(session, principal.workspace_id, team.key)


@router.delete(
    "/teams/{key}/members/{agent_id}", response_model=TeamRead, summary="Take an agent out of a team (idempotent)"
)
async def remove_team_member(key: TeamKey, agent_id: PathId, session: DbSession, principal: Admin) -> TeamRead:
    team = await routing.do_remove_team_member(
        session=session, workspace_id=principal.workspace_id, key=key, agent_id=agent_id
    )
    await session.commit()
    return await _team_read(session, principal.workspace_id, team.key)
