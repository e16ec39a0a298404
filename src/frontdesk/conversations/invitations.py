"""Proactive chat: invitation rules, and the invitation a visitor is shown (once per visitor and rule).

A rule's conditions are all optional; every one that is set must hold: the page (a glob on path and query),
time on the page, a returning visitor (more than one visit), and a segment rule, which only an identified
visitor (one with a contact) can match. The first enabled rule by priority that matches and was not shown to
this visitor yet is recorded as shown and offered; the unique (rule, visitor) key makes that race-safe.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, field_validator
from sqlalchemy import exists, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.contacts.service import decode_cursor, encode_cursor
from frontdesk.conversations import routing
from frontdesk.conversations.models import ChatSettings, Conversation, Invitation, InvitationRule, Team, Visitor
from frontdesk.conversations.office_hours import is_open, team_zone, workspace_zone_name
from frontdesk.db import utcnow
from frontdesk.errors import InvalidInput, NotFound
from frontdesk.inputs import RequestModel
from frontdesk.segments import service as segments
from frontdesk.segments.rule_text import parse
from frontdesk.segments.rules import Rule, RuleError


@dataclass(frozen=True)
class InvitationOffer:
    invitation_id: int
    rule_id: int
    team: str | None
    message: str
    author_name: str | None


def check_url_pattern(value: str) -> str:
    pattern = value.strip()
    if not pattern.startswith(("/", "*")):
        raise ValueError('a glob on the page\'s path and query, starting with / or *, e.g. "/pricing*"')
    if any(ch.isspace() for ch in pattern):
        raise ValueError("no spaces: the pattern is matched against the URL's path and query")
    return pattern


def check_segment_rule(value: str) -> str:
    try:
        parse(value)
    except RuleError as exc:
        raise ValueError(str(exc)) from None
    return value.strip()


class _RuleFields(RequestModel):
    @field_validator("url_pattern", check_fields=False)
    @classmethod
    def _url_pattern(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else check_url_pattern(value)

    @field_validator("segment_rule", check_fields=False)
    @classmethod
    def _segment_rule(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else check_segment_rule(value)

    @field_validator("message", check_fields=False)
    @classmethod
    def _message(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("write what the team says to the visitor")
        return None if value is None else value.strip()


class InvitationRuleCreate(_RuleFields):
    name: str = Field(min_length=1, max_length=120)
    enabled: bool = True
    url_pattern: str | None = Field(None, max_length=500, description='Glob on path and query, e.g. "/pricing*"')
    min_seconds_on_page: int | None = Field(None, ge=0, le=3600)
    returning_only: bool = Field(False, description="Only visitors on their second visit or later")
    segment_rule: str | None = Field(
        None, max_length=2000, description='Segment rule, e.g. lifecycle = "lapsed"; identified visitors only'
    )
    team: str | None = Field(None, max_length=40, description="The team that speaks (and takes the answer)")
    message: str = Field(min_length=1, max_length=1000)
    priority: int = Field(100, ge=0, le=10_000, description="Lower first when several rules match")


class InvitationRuleUpdate(_RuleFields):
    name: str | None = Field(None, min_length=1, max_length=120)
    enabled: bool | None = None
    url_pattern: str | None = Field(None, max_length=500)
    min_seconds_on_page: int | None = Field(None, ge=0, le=3600)
    returning_only: bool | None = None
    segment_rule: str | None = Field(None, max_length=2000)
    team: str | None = Field(None, max_length=40)
    message: str | None = Field(None, min_length=1, max_length=1000)
    priority: int | None = Field(None, ge=0, le=10_000)


class InvitationRuleRead(BaseModel):
    id: int
    name: str
    enabled: bool
    url_pattern: str | None
    min_seconds_on_page: int | None
    returning_only: bool
    segment_rule: str | None
    team: str | None
    message: str
    priority: int
    created_at: datetime
    updated_at: datetime


class InvitationRulePage(BaseModel):
    items: list[InvitationRuleRead]
    next_cursor: str | None


async def _team_keys(session: AsyncSession, workspace_id: int) -> dict[int, Team]:
    return {team.id: team for team in (await routing.list_teams(session=session, workspace_id=workspace_id)).values()}


async def to_read(
    *, session: AsyncSession, rule: InvitationRule, teams: dict[int, Team] | None = None
) -> InvitationRuleRead:
    if teams is None:
        teams = await _team_keys(session, rule.workspace_id)
    team = teams.get(rule.team_id) if rule.team_id else None
    return InvitationRuleRead(
        id=rule.id,
        name=rule.name,
        enabled=rule.enabled,
        url_pattern=rule.url_pattern,
        min_seconds_on_page=rule.min_seconds_on_page,
        returning_only=rule.returning_only,
        segment_rule=rule.segment_rule,
        team=team.key if team else None,
        message=rule.message,
        priority=rule.priority,
        created_at=rule.created_at,
        updated_at=rule.updated_at,
    )


async def list_rules(
    *, session: AsyncSession, workspace_id: int, limit: int = 50, cursor: str | None = None
) -> tuple[list[InvitationRule], str | None]:
    statement = select(InvitationRule).where(InvitationRule.workspace_id == workspace_id)
    if cursor:
        statement = statement.where(InvitationRule.id > decode_cursor(cursor))
    rows = list((await session.scalars(statement.order_by(InvitationRule.id).limit(limit + 1))).all())
    next_cursor = encode_cursor(rows[limit - 1].id) if len(rows) > limit else None
    return rows[:limit], next_cursor


async def get_rule(*, session: AsyncSession, workspace_id: int, rule_id: int) -> InvitationRule:
    rule = await session.scalar(
        select(InvitationRule).where(InvitationRule.id == rule_id, InvitationRule.workspace_id == workspace_id)
    )
    if rule is None:
        raise NotFound(f"invitation rule {rule_id} not found")
    return rule


async def _team_id(session: AsyncSession, workspace_id: int, key: str | None) -> int | None:
    if key is None or not key.strip():
        return None
    teams = await routing.ensure_default_teams(session=session, workspace_id=workspace_id)
    team = teams.get(key.strip().lower())
    if team is None:
        raise InvalidInput(f"no team {key!r}; teams are {', '.join(sorted(teams))}", field="team")
    return team.id


async def do_create_rule(*, session: AsyncSession, workspace_id: int, data: InvitationRuleCreate) -> InvitationRule:
    values = data.model_dump(exclude={"team"})
    rule = InvitationRule(workspace_id=workspace_id, team_id=await _team_id(session, workspace_id, data.team), **values)
    session.add(rule)
    await session.flush()
    return rule


async def do_update_rule(
    *, session: AsyncSession, workspace_id: int, rule_id: int, data: InvitationRuleUpdate
) -> InvitationRule:
    rule = await get_rule(session=session, workspace_id=workspace_id, rule_id=rule_id)
    changes = data.model_dump(exclude_unset=True)
    for field in ("name", "message", "enabled", "returning_only", "priority"):
        if field in changes and changes[field] is None:
            raise InvalidInput(f"{field} cannot be null", field=field)
    if "team" in changes:
        rule.team_id = await _team_id(session, workspace_id, changes.pop("team"))
    for field, value in changes.items():
        setattr(rule, field, value)
    await session.flush()
    return rule


async def do_delete_rule(*, session: AsyncSession, workspace_id: int, rule_id: int) -> None:
    rule = await get_rule(session=session, workspace_id=workspace_id, rule_id=rule_id)
    await session.delete(rule)
    await session.flush()


def page_target(page_url: str) -> str:
    """What a rule's glob is matched against: the path and query of the page ("/pricing?plan=pro")."""
    parts = urlsplit(page_url.strip())
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


def page_conditions_hold(rule: InvitationRule, *, visitor: Visitor, target: str, seconds_on_page: int) -> bool:
    """The conditions that need no database: page, time on page, returning visitor."""
    if rule.url_pattern and not fnmatch.fnmatchcase(target, rule.url_pattern):
        return False
    if rule.min_seconds_on_page is not None and seconds_on_page < rule.min_seconds_on_page:
        return False
    return not (rule.returning_only and (visitor.sessions or 1) <= 1)


class _SegmentCheck:
    """Whether one contact is in a segment rule, using the segments engine; its context is built once."""

    def __init__(self, session: AsyncSession, workspace_id: int) -> None:
        self.session = session
        self.workspace_id = workspace_id
        self.ctx: Any = None

    async def contains(self, rule_text: str, contact_id: int) -> bool:
        try:
            rule: Rule = parse(rule_text)
        except RuleError:
            return False  # checked on save; a rule the language later stopped accepting matches no one
        if self.ctx is None:
            self.ctx = await segments.context(session=self.session, workspace_id=self.workspace_id)
        statement = segments.members(rule, self.ctx).where(Contact.id == contact_id).limit(1)
        return (await self.session.scalar(statement)) is not None


async def _record_shown(session: AsyncSession, rule: InvitationRule, visitor: Visitor, page_url: str) -> int | None:
    """Insert the invitation; None when it exists already (shown before, or by a concurrent call just now)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(Invitation)
        .values(
            workspace_id=visitor.workspace_id,
            rule_id=rule.id,
            visitor_id=visitor.id,
            contact_id=visitor.contact_id,
            page_url=page_url[:2000],
            shown_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["rule_id", "visitor_id"])
        .returning(Invitation.id)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def match_invitation(
    *, session: AsyncSession, settings: ChatSettings, visitor: Visitor, page_url: str, seconds_on_page: int
) -> InvitationOffer | None:
    """The invitation to show this visitor now, recorded as shown; None when no rule matches (or all were shown)."""
    workspace_id = settings.workspace_id
    shown = exists().where(Invitation.rule_id == InvitationRule.id, Invitation.visitor_id == visitor.id)
    rules = (
        await session.scalars(
            select(InvitationRule)
            .where(InvitationRule.workspace_id == workspace_id, InvitationRule.enabled.is_(True), ~shown)
            .order_by(InvitationRule.priority, InvitationRule.id)
        )
    ).all()
    if not rules:
        return None
    target = page_target(page_url)
    segment_check = _SegmentCheck(session, workspace_id)
    workspace_zone: str | None = None
    for rule in rules:
        if not page_conditions_hold(rule, visitor=visitor, target=target, seconds_on_page=seconds_on_page):
            continue
        # A segment rule is about a contact: an anonymous visitor cannot match it.
        if rule.segment_rule and (
            visitor.contact_id is None or not await segment_check.contains(rule.segment_rule, visitor.contact_id)
        ):
            continue
        team = await session.get(Team, rule.team_id) if rule.team_id else None
        # A team outside its office hours cannot answer: its invitation waits for the visitor's next page.
        if team is not None and team.office_hours:
            if workspace_zone is None:
                workspace_zone = await workspace_zone_name(session, workspace_id)
            if not is_open(team.office_hours, team_zone(team, workspace_zone), utcnow()):
                continue
        invitation_id = await _record_shown(session, rule, visitor, page_url)
        if invitation_id is None:
            continue  # another request showed it a moment ago: it counts as shown, once
        return InvitationOffer(
            invitation_id=invitation_id,
            rule_id=rule.id,
            team=team.key if team else None,
            message=rule.message,
            author_name=team.name if team else None,
        )
    return None


async def mark_answered(*, session: AsyncSession, visitor: Visitor, invitation_id: int, conversation_id: int) -> None:
    """The visitor wrote back to the invitation: it counts as answered, and its conversation is remembered.

    Only the visitor's own invitation, and only with the visitor's own conversation; the first answer stays.
    """
    own_conversation = exists().where(Conversation.id == conversation_id, Conversation.visitor_id == visitor.id)
    await session.execute(
        update(Invitation)
        .where(
            Invitation.id == invitation_id,
            Invitation.visitor_id == visitor.id,
            Invitation.workspace_id == visitor.workspace_id,
            Invitation.answered_at.is_(None),
            own_conversation,
        )
        .values(answered_at=utcnow(), conversation_id=conversation_id)
        .execution_options(synchronize_session=False)
    )
