"""Macros: one click that does several things to a conversation, in order, all or nothing.

Actions: ``reply`` (body, placeholders allowed), ``note`` (body), ``tag`` (adds a tag to the conversation's
contact), ``status`` (open, pending, resolved, snoozed), ``team`` (a team key), ``assign`` (an agent id or
"me"). They are checked when the macro is saved, and again when it runs (an agent may have left since):
``apply_macro`` runs them in the caller's transaction, so one that fails leaves nothing of the others.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import ContactTag
from frontdesk.contacts.schemas import TAG_PATTERN
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations import routing
from frontdesk.conversations.canned import check_body, fill_placeholders, placeholder_values
from frontdesk.conversations.models import AuthorType, Conversation, ConversationStatus, Macro, MessageKind
from frontdesk.conversations.outbox import Outbox
from frontdesk.conversations.service import do_change_conversation, do_post_message
from frontdesk.db import insert_missing
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.inputs import MAX_TEXT, RequestModel, parse_id
from frontdesk.workspaces.models import Agent

ACTION_TYPES = ("reply", "note", "tag", "status", "team", "assign")
MAX_ACTIONS = 20
# The one field each action type carries besides "type".
ACTION_FIELD = {
    "reply": "body",
    "note": "body",
    "tag": "tag",
    "status": "status",
    "team": "team",
    "assign": "agent_id",
}


class MacroCreate(RequestModel):
    name: str = Field(min_length=1, max_length=120)
    actions: list[dict[str, Any]] = Field(
        min_length=1,
        max_length=MAX_ACTIONS,
        description='In order, e.g. [{"type": "reply", "body": "Hi {{contact.first_name}}"}, '
        '{"type": "tag", "tag": "refund"}, {"type": "status", "status": "resolved"}, '
        '{"type": "team", "team": "support"}, {"type": "assign", "agent_id": "me"}, {"type": "note", "body": "..."}]',
    )

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the macro a name")
        return value.strip()


class MacroUpdate(RequestModel):
    name: str | None = Field(None, min_length=1, max_length=120)
    actions: list[dict[str, Any]] | None = Field(None, min_length=1, max_length=MAX_ACTIONS)


class MacroRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    actions: list[dict[str, Any]]
    summary: str
    created_at: datetime
    updated_at: datetime


class MacroPage(BaseModel):
    items: list[MacroRead]
    next_cursor: str | None


def _bad(index: int, field: str, message: str) -> InvalidInput:
    return InvalidInput(message, field=f"actions.{index}.{field}")


def _check_action_shape(index: int, action: Any) -> dict[str, Any]:
    """The action as stored, with its own field checked; references (team, agent) are checked by ``check_actions``."""
    if not isinstance(action, dict):
        raise InvalidInput('each action is an object such as {"type": "tag", "tag": "vip"}', field=f"actions.{index}")
    kind = action.get("type")
    if kind not in ACTION_TYPES:
        raise _bad(index, "type", f"one of {', '.join(ACTION_TYPES)}")
    field = ACTION_FIELD[kind]
    extra = set(action) - {"type", field}
    if extra:
        raise _bad(index, sorted(extra)[0], f"a {kind} action takes only {field!r}")
    value = action.get(field)
    if kind in ("reply", "note"):
        if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
            raise _bad(index, field, "the text to write, 1 to 20000 characters")
        try:
            check_body(value)
        except ValueError as exc:
            raise _bad(index, field, str(exc)) from None
        return {"type": kind, field: value}
    if kind == "tag":
        tag = value.strip().lower() if isinstance(value, str) else ""
        if not TAG_PATTERN.match(tag):
            raise _bad(index, field, "a tag: letters, digits, spaces and .:/&+- up to 50")
        return {"type": kind, field: tag}
    if kind == "status":
        if value not in {status.value for status in ConversationStatus}:
            raise _bad(index, field, f"one of {', '.join(status.value for status in ConversationStatus)}")
        return {"type": kind, field: value}
    if kind == "team":
        if not isinstance(value, str) or not value.strip() or len(value) > 40:
            raise _bad(index, field, "a team's key, e.g. support")
        return {"type": kind, field: value.strip().lower()}
    # assign: an agent's id, or "me" (whoever applies the macro)
    if value == "me":
        return {"type": kind, field: "me"}
    agent_id = value if isinstance(value, int) and not isinstance(value, bool) else None
    if agent_id is None and isinstance(value, str):
        agent_id = parse_id(value)
    if agent_id is None or agent_id < 1:
        raise _bad(index, field, 'an agent\'s id, or "me"')
    return {"type": kind, field: agent_id}


async def check_actions(*, session: AsyncSession, workspace_id: int, actions: list[Any]) -> list[dict[str, Any]]:
    """The actions as stored, each checked: its type, its field, and that its team or agent exists."""
    checked = [_check_action_shape(index, action) for index, action in enumerate(actions)]
    if not checked:
        raise InvalidInput("add at least one action", field="actions")
    teams: dict[str, Any] | None = None
    for index, action in enumerate(checked):
        if action["type"] == "team":
            if teams is None:
                teams = await routing.ensure_default_teams(session=session, workspace_id=workspace_id)
            if action["team"] not in teams:
                raise _bad(index, "team", f"no team {action['team']!r}; teams are {', '.join(sorted(teams))}")
        elif action["type"] == "assign" and action["agent_id"] != "me":
            active = await session.scalar(
                select(Agent.is_active).where(Agent.id == action["agent_id"], Agent.workspace_id == workspace_id)
            )
            if not active:
                raise _bad(index, "agent_id", f"no active agent {action['agent_id']} in this workspace")
    return checked


def summary(actions: list[dict[str, Any]], agent_names: dict[int, str] | None = None) -> str:
    """One line an agent reads before clicking: "Reply, tag refund, resolve"; agents by name when known."""
    names = agent_names or {}
    parts: list[str] = []
    for action in actions:
        kind = action.get("type")
        if kind in ("reply", "note"):
            parts.append("reply" if kind == "reply" else "add a note")
        elif kind == "tag":
            parts.append(f"tag {action.get('tag')}")
        elif kind == "status":
            status = str(action.get("status"))
            parts.append({"resolved": "resolve", "open": "reopen"}.get(status, f"set {status}"))
        elif kind == "team":
            parts.append(f"move to {action.get('team')}")
        elif kind == "assign":
            agent_id = action.get("agent_id")
            who = names.get(agent_id, f"agent {agent_id}") if isinstance(agent_id, int) else str(agent_id)
            parts.append(f"assign to {who}")
    text = ", ".join(parts)
    return text[:1].upper() + text[1:]


async def agent_names(*, session: AsyncSession, workspace_id: int) -> dict[int, str]:
    """The workspace's agents by id, for summaries."""
    rows = await session.execute(select(Agent.id, Agent.display_name).where(Agent.workspace_id == workspace_id))
    return {agent_id: name for agent_id, name in rows.all()}


def to_read(macro: Macro) -> MacroRead:
    return MacroRead(
        id=macro.id,
        name=macro.name,
        actions=macro.actions,
        summary=summary(macro.actions),
        created_at=macro.created_at,
        updated_at=macro.updated_at,
    )


async def list_macros(
    *, session: AsyncSession, workspace_id: int, limit: int = 50, cursor: str | None = None
) -> tuple[list[Macro], str | None]:
    statement = select(Macro).where(Macro.workspace_id == workspace_id)
    if cursor:
        statement = statement.where(Macro.id > decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(Macro.id).limit(limit + 1))).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def get_macro(*, session: AsyncSession, workspace_id: int, macro_id: int) -> Macro:
    macro = await session.scalar(select(Macro).where(Macro.id == macro_id, Macro.workspace_id == workspace_id))
    if macro is None:
        raise NotFound(f"macro {macro_id} not found")
    return macro


async def _name_free(session: AsyncSession, workspace_id: int, name: str, except_id: int | None) -> None:
    taken = await session.scalar(select(Macro.id).where(Macro.workspace_id == workspace_id, Macro.name == name))
    if taken is not None and taken != except_id:
        raise Conflict(f"a macro named {name!r} exists already", field="name")


async def do_create_macro(*, session: AsyncSession, workspace_id: int, data: MacroCreate) -> Macro:
    actions = await check_actions(session=session, workspace_id=workspace_id, actions=data.actions)
    await _name_free(session, workspace_id, data.name, None)
    macro = Macro(workspace_id=workspace_id, name=data.name, actions=actions)
    session.add(macro)
    await session.flush()
    return macro


async def do_update_macro(*, session: AsyncSession, workspace_id: int, macro_id: int, data: MacroUpdate) -> Macro:
    macro = await get_macro(session=session, workspace_id=workspace_id, macro_id=macro_id)
    changes = data.model_dump(exclude_unset=True)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise InvalidInput("give the macro a name", field="name")
        await _name_free(session, workspace_id, name, macro.id)
        macro.name = name
    if "actions" in changes:
        if changes["actions"] is None:
            raise InvalidInput("add at least one action", field="actions")
        macro.actions = await check_actions(session=session, workspace_id=workspace_id, actions=changes["actions"])
    await session.flush()
    return macro


async def do_delete_macro(*, session: AsyncSession, workspace_id: int, macro_id: int) -> None:
    macro = await get_macro(session=session, workspace_id=workspace_id, macro_id=macro_id)
    await session.delete(macro)
    await session.flush()


async def apply_macro(
    *,
    session: AsyncSession,
    conversation: Conversation,
    macro: Macro,
    agent: Agent | None,
    actor_name: str,
    outbox: Outbox,
) -> Conversation:
    """Run the macro's actions in order in the caller's transaction; the caller commits, then publishes ``outbox``.

    Any failing action raises (``InvalidInput`` naming ``actions.N.field``) before the caller commits, so the
    caller's rollback leaves the conversation as it was: nothing of a macro is ever half applied.
    """
    workspace_id = conversation.workspace_id
    actions = await check_actions(session=session, workspace_id=workspace_id, actions=macro.actions)
    run_id = uuid.uuid4().hex[:12]
    for index, action in enumerate(actions):
        kind = action["type"]
        if kind in ("reply", "note"):
            body = action["body"]
            if kind == "reply":
                values = await placeholder_values(
                    session=session, conversation=conversation, agent_name=agent.display_name if agent else actor_name
                )
                body = fill_placeholders(body, values)
            await do_post_message(
                session=session,
                conversation=conversation,
                author_type=AuthorType.agent,
                client_id=f"macro-{macro.id}-{run_id}-{index}",
                body=body,
                kind=MessageKind.message if kind == "reply" else MessageKind.note,
                agent=agent,
                author_name=None if agent else actor_name,
                outbox=outbox,
            )
        elif kind == "tag":
            # A conversation with no contact yet has no one to tag: that step does nothing, the rest still run.
            if conversation.contact_id is not None:
                await insert_missing(
                    session,
                    ContactTag,
                    [{"contact_id": conversation.contact_id, "tag": action["tag"], "workspace_id": workspace_id}],
                )
        elif kind in ("status", "team"):
            await do_change_conversation(
                session=session,
                conversation=conversation,
                outbox=outbox,
                changes={kind: action[kind]},
                actor_name=actor_name,
            )
        else:
            agent_id = action["agent_id"]
            if agent_id == "me":
                if agent is None:
                    raise _bad(index, "agent_id", '"me" needs an agent: an API key is no one to assign to')
                agent_id = agent.id
            await do_change_conversation(
                session=session,
                conversation=conversation,
                outbox=outbox,
                changes={"assignee_id": agent_id},
                actor_name=actor_name,
            )
    await session.flush()
    return conversation
