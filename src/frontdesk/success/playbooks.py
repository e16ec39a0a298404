"""Playbooks: a segment rule leading to a success task, once per customer and episode.

An episode is a customer matching a playbook's rule, from the refresh that first sees it to the first one that
no longer does (a ``playbook_episodes`` row). Each refresh, per active playbook, with set-based statements:

1. episodes whose customer no longer matches end (their rows are deleted; the task stays as it is);
2. customers who match and have no episode start one, and each gets a task, owned per the playbook's
   ``owner_rule``.

So a customer who stays at risk gets one task however many refreshes see them, and one who recovers and falls
again gets a new task. The episode's primary key (playbook, contact) makes the "once" hold even when two
refreshes race: the second one's insert fails and its transaction rolls back, tasks included.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from frontdesk.contacts.models import Contact
from frontdesk.conversations.models import Team, TeamMember
from frontdesk.db import utcnow
from frontdesk.errors import Conflict, InvalidInput, NotFound
from frontdesk.segments import service as segments
from frontdesk.segments.compiler import Context
from frontdesk.segments.rule_text import parse, to_text
from frontdesk.segments.rules import Rule, RuleError
from frontdesk.success.models import (
    SUCCESS_TEAM,
    Playbook,
    PlaybookEpisode,
    TaskOwnerRule,
)
from frontdesk.success.schemas import PlaybookCreate, PlaybookRead, PlaybookUpdate
from frontdesk.success.settings import get_success_settings
from frontdesk.success.tasks import add_playbook_tasks
from frontdesk.workspaces.models import Agent, Role

log = logging.getLogger(__name__)


# --- the refresh step ----------------------------------------------------------------------------------------


async def run_playbooks(*, session: AsyncSession, workspace_id: int, now: datetime | None = None) -> int:
    """Start an episode (and create its task) for each customer newly matching an active playbook; end the
    episodes of those who no longer match. Returns the number of tasks created.

    A playbook whose stored rule no longer parses or compiles (a field was removed) is logged and skipped: the
    rest of the refresh goes on."""
    now = now or utcnow()
    playbooks = list(
        await session.scalars(
            select(Playbook).where(Playbook.workspace_id == workspace_id, Playbook.is_active).order_by(Playbook.id)
        )
    )
    if not playbooks:
        return 0
    ctx = await segments.context(session=session, workspace_id=workspace_id, now=now)
    created = 0
    for playbook in playbooks:
        try:
            rule = parse(playbook.rule)
        except RuleError as exc:
            log.warning("workspace %d: playbook %d %r skipped, its rule is invalid: %s",
                        workspace_id, playbook.id, playbook.name, exc)  # fmt: skip
            continue
        created += await _run_one(session, playbook, rule, ctx, now)
    return created


async def _run_one(session: AsyncSession, playbook: Playbook, rule: Rule, ctx: Context, now: datetime) -> int:
    try:
        matching = segments.members(rule, ctx)
    except Exception as exc:  # a rule that parses but no longer compiles (a field changed kind): skip it too
        log.warning("workspace %d: playbook %d %r skipped: %s", ctx.workspace_id, playbook.id, playbook.name, exc)
        return 0
    # The recovered: one DELETE of the episodes whose contact is not among the matches.
    await session.execute(
        delete(PlaybookEpisode).where(
            PlaybookEpisode.playbook_id == playbook.id, PlaybookEpisode.contact_id.not_in(matching)
        )
    )
    # The newly matching, each with their owner if that agent can still work tasks: one SELECT.
    has_episode = (
        select(PlaybookEpisode.contact_id)
        .where(PlaybookEpisode.playbook_id == playbook.id, PlaybookEpisode.contact_id == Contact.id)
        .exists()
    )
    statement = (
        matching.add_columns(Agent.id)
        .outerjoin(
            Agent,
            and_(
                Agent.id == Contact.owner_id,
                Agent.workspace_id == Contact.workspace_id,
                Agent.is_active,
                Agent.role != Role.viewer.value,
            ),
        )
        .where(~has_episode)
        .order_by(Contact.id)
    )
    found = (await session.execute(statement)).all()
    if not found:
        return 0
    owners = await _owners(session, playbook, [(contact_id, owner_id) for contact_id, owner_id in found])
    task_ids = await add_playbook_tasks(
        session=session,
        workspace_id=playbook.workspace_id,
        playbook=playbook,
        owners=owners,
        now=now,
        due_at=now + timedelta(days=playbook.due_in_days),
    )
    await session.execute(
        insert(PlaybookEpisode),
        [
            {
                "playbook_id": playbook.id,
                "contact_id": contact_id,
                "workspace_id": playbook.workspace_id,
                "task_id": task_id,
                "started_at": now,
            }
            for contact_id, task_id in task_ids.items()
        ],
    )
    return len(task_ids)


async def _owners(
    session: AsyncSession, playbook: Playbook, found: list[tuple[int, int | None]]
) -> list[tuple[int, int | None]]:
    """Each new task's owner: the customer's (active) owner under customer_owner, else the next member of the
    success team in turn; nobody when the team has no active member who can work tasks."""
    if playbook.owner_rule == TaskOwnerRule.customer_owner.value:
        need_turn = [contact_id for contact_id, owner_id in found if owner_id is None]
    else:
        need_turn = [contact_id for contact_id, _ in found]
    if not need_turn:
        return found
    members = await success_team_members(session=session, workspace_id=playbook.workspace_id)
    if not members:
        turns: dict[int, int | None] = dict.fromkeys(need_turn)
    else:
        settings = await get_success_settings(session=session, workspace_id=playbook.workspace_id)
        start = next((i for i, agent_id in enumerate(members) if agent_id > settings.round_robin_cursor), 0)
        turns = {contact_id: members[(start + n) % len(members)] for n, contact_id in enumerate(need_turn)}
        settings.round_robin_cursor = members[(start + len(need_turn) - 1) % len(members)]
        settings.updated_at = utcnow()
    if playbook.owner_rule == TaskOwnerRule.customer_owner.value:
        return [(contact_id, owner_id if owner_id is not None else turns[contact_id]) for contact_id, owner_id in found]
    return [(contact_id, turns[contact_id]) for contact_id, _ in found]


async def success_team_members(*, session: AsyncSession, workspace_id: int) -> list[int]:
    """The active agents and admins of the workspace's success team, by id (the order turns go in)."""
    rows = await session.scalars(
        select(TeamMember.agent_id)
        .join(Team, Team.id == TeamMember.team_id)
        .join(Agent, Agent.id == TeamMember.agent_id)
        .where(
            Team.workspace_id == workspace_id,
            Team.key == SUCCESS_TEAM,
            Agent.is_active,
            Agent.role != Role.viewer.value,
        )
        .order_by(TeamMember.agent_id)
    )
    return list(rows.all())


# --- playbooks themselves ------------------------------------------------------------------------------------


def checked_rule(text: str) -> str:
    """The rule in its canonical text, or InvalidInput naming ``rule`` with where and why it is wrong."""
    try:
        return to_text(parse(text))
    except RuleError as exc:
        raise InvalidInput(str(exc), field="rule") from None


async def list_playbooks(*, session: AsyncSession, workspace_id: int) -> list[Playbook]:
    rows = await session.scalars(select(Playbook).where(Playbook.workspace_id == workspace_id).order_by(Playbook.id))
    return list(rows.all())


async def get_playbook(*, session: AsyncSession, workspace_id: int, playbook_id: int) -> Playbook:
    playbook = await session.scalar(
        select(Playbook).where(Playbook.id == playbook_id, Playbook.workspace_id == workspace_id)
    )
    if playbook is None:
        raise NotFound(f"playbook {playbook_id} not found")
    return playbook


async def to_reads(*, session: AsyncSession, playbooks: list[Playbook]) -> list[PlaybookRead]:
    counts = dict(
        (
            await session.execute(
                select(PlaybookEpisode.playbook_id, func.count())
                .where(PlaybookEpisode.playbook_id.in_([p.id for p in playbooks]))
                .group_by(PlaybookEpisode.playbook_id)
            )
        ).all()
    )
    return [
        PlaybookRead(
            id=p.id,
            name=p.name,
            rule=p.rule,
            task_title=p.task_title,
            owner_rule=TaskOwnerRule(p.owner_rule),
            due_in_days=p.due_in_days,
            is_active=p.is_active,
            open_episodes=counts.get(p.id, 0),
            created_at=p.created_at,
            updated_at=p.updated_at,
        )
        for p in playbooks
    ]


async def _name_free(session: AsyncSession, workspace_id: int, name: str, except_id: int | None = None) -> None:
    statement = select(Playbook.id).where(Playbook.workspace_id == workspace_id, Playbook.name == name)
    if except_id is not None:
        statement = statement.where(Playbook.id != except_id)
    if await session.scalar(statement) is not None:
        raise Conflict(f"a playbook named {name!r} exists already", field="name")


async def do_create_playbook(*, session: AsyncSession, workspace_id: int, data: PlaybookCreate) -> Playbook:
    rule = checked_rule(data.rule)
    await _name_free(session, workspace_id, data.name)
    now = utcnow()
    playbook = Playbook(
        workspace_id=workspace_id,
        name=data.name,
        rule=rule,
        task_title=data.task_title,
        owner_rule=data.owner_rule.value,
        due_in_days=data.due_in_days,
        is_active=data.is_active,
        created_at=now,
        updated_at=now,
    )
    session.add(playbook)
    await session.flush()
    return playbook


async def do_update_playbook(
    *, session: AsyncSession, workspace_id: int, playbook_id: int, data: PlaybookUpdate
) -> Playbook:
    playbook = await get_playbook(session=session, workspace_id=workspace_id, playbook_id=playbook_id)
    given = data.model_fields_set
    for field in ("name", "rule", "task_title", "owner_rule", "due_in_days", "is_active"):
        if field in given and getattr(data, field) is None:
            raise InvalidInput("cannot be null", field=field)
    if data.rule is not None:
        new_rule = checked_rule(data.rule)
        if new_rule != playbook.rule:
            # Episodes were judged by the old rule: the next refresh judges everyone afresh by the new one.
            await session.execute(delete(PlaybookEpisode).where(PlaybookEpisode.playbook_id == playbook.id))
        playbook.rule = new_rule
    if data.name is not None:
        await _name_free(session, workspace_id, data.name, except_id=playbook.id)
        playbook.name = data.name
    if data.task_title is not None:
        playbook.task_title = data.task_title
    if data.owner_rule is not None:
        playbook.owner_rule = data.owner_rule.value
    if data.due_in_days is not None:
        playbook.due_in_days = data.due_in_days
    if data.is_active is not None:
        if not data.is_active and playbook.is_active:
            # A paused playbook watches nobody; when it runs again, whoever matches then starts an episode.
            await session.execute(delete(PlaybookEpisode).where(PlaybookEpisode.playbook_id == playbook.id))
        playbook.is_active = data.is_active
    playbook.updated_at = utcnow()
    await session.flush()
    return playbook


async def do_delete_playbook(*, session: AsyncSession, workspace_id: int, playbook_id: int) -> None:
    """The playbook and its episodes go; its tasks stay (their ``playbook_id`` becomes null)."""
    playbook = await get_playbook(session=session, workspace_id=workspace_id, playbook_id=playbook_id)
    await session.execute(delete(PlaybookEpisode).where(PlaybookEpisode.playbook_id == playbook.id))
    await session.delete(playbook)
    await session.flush()


async def do_run_playbook(*, session: AsyncSession, workspace_id: int, playbook_id: int) -> int:
    """Run one playbook now, as the refresh would (an inactive one too: an admin trying it out)."""
    playbook = await get_playbook(session=session, workspace_id=workspace_id, playbook_id=playbook_id)
    ctx = await segments.context(session=session, workspace_id=workspace_id)
    try:
        rule = parse(playbook.rule)
    except RuleError as exc:
        raise InvalidInput(str(exc), field="rule") from None
    return await _run_one(session, playbook, rule, ctx, ctx.now)
