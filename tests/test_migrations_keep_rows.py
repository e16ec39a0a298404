"""Migrations never lose rows: down and up again over a filled workspace, every surviving table keeps its count.

SQLite rebuilds a table to change a column (copy, drop, rename); with foreign-key actions on, the drop deleted
every row of every table pointing at it through ON DELETE CASCADE. Counting rows of every table across every
migration, down and up, catches that class for each migration, present and future.
"""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.complaints.models import Complaint
from frontdesk.contacts.models import Contact
from frontdesk.contacts.privacy import do_erase_contact
from frontdesk.db import alembic_config, create_session_factory, downgrade, migrate
from frontdesk.demo import do_create_demo
from frontdesk.reviews.models import Review
from tests.conftest import Database
from tests.contacts.personal_world import row_counts

# Rows a downgrade removes by design, by the revision it goes down to: before 0009 feedback could not outlive
# its contact, so the anonymised reviews, answers, complaints (with their events) and referrals go.
LOST_GOING_DOWN_TO = {"0008": {"reviews", "survey_recipients", "complaints", "complaint_events", "referrals"}}


def _revisions_newest_first() -> list[str]:
    return [script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()]


async def _filled_at_head(engine: AsyncEngine) -> None:
    """The demo, and customers erased after they complained and reviewed: their anonymised rows are the ones
    a downgrade past 0009 removes (with what points at them)."""
    await migrate(engine)
    async with create_session_factory(engine)() as session:
        await do_create_demo(session=session, contacts=60)
        await session.commit()
    async with create_session_factory(engine)() as session:
        wanted = (
            select(Contact)
            .where(
                Contact.id.in_(select(Complaint.contact_id)),
                Contact.id.in_(select(Review.contact_id)),
            )
            .limit(2)
        )
        erased = list(await session.scalars(wanted))
        assert erased, "the demo has a customer who complained and reviewed"
        for contact in erased:
            await do_erase_contact(session=session, contact=contact, actor="test", reason=None)
        await session.commit()


async def test_every_migration_down_and_up_keeps_every_row(database: Database, scratch_engine: AsyncEngine) -> None:
    engine = scratch_engine
    await _filled_at_head(engine)
    at_head = await row_counts(engine)
    assert sum(1 for count in at_head.values() if count) >= 40, "the demo fills most tables"
    revisions = _revisions_newest_first()
    before = at_head
    for revision in revisions[1:]:
        await downgrade(engine, revision)
        counts = await row_counts(engine)
        changed = {name: (before[name], count) for name, count in counts.items() if count != before.get(name, count)}
        lost_on_purpose = LOST_GOING_DOWN_TO.get(revision, set())
        assert set(changed) <= lost_on_purpose, f"downgrading to {revision} changed these tables' rows: {changed}"
        before = counts
    at_oldest = await row_counts(engine)
    await migrate(engine)
    after = await row_counts(engine)
    if database.backend == "sqlite":  # the pooled connection enforces references again
        async with engine.connect() as connection:
            assert (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar() == 1
    lost = {name: (count, after.get(name)) for name, count in at_oldest.items() if after.get(name) != count}
    assert lost == {}, f"upgrading from {revisions[-1]} to head changed these tables' rows (before, after)"
