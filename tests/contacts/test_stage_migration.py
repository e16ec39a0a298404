"""Migration 0011 sets every existing stage from the purchase figures, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import MetaData, Table, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from frontdesk.commerce.models import CustomerFigures
from frontdesk.contacts.models import Contact
from frontdesk.db import Base, migrate
from frontdesk.workspaces.models import Workspace

FIGURES = Base.metadata.tables[CustomerFigures.__tablename__]


def _as_before(model: type[Base], later: set[str]) -> Table:
    """A table as it was before migrations added the ``later`` columns."""
    table = Base.metadata.tables[model.__tablename__]
    return Table(table.name, MetaData(), *(column._copy() for column in table.columns if column.name not in later))


# The rows are written at 0010: 0014 added contacts.search_name, 0015 workspaces.allow_private_webhook_targets,
# 0016 workspaces.slug.
WORKSPACES = _as_before(Workspace, {"allow_private_webhook_targets", "slug"})
CONTACTS = _as_before(Contact, {"search_name"})


async def test_migration_0011_derives_every_stage_from_the_lifecycle(scratch_engine: AsyncEngine) -> None:
    engine = scratch_engine
    # (stage set by hand before 0011, lifecycle from the orders or None without a figures row) -> stage after
    cases = [
        ("customer", None, "prospect"),  # marked a customer by hand, never bought
        ("customer", "prospect", "prospect"),  # every order refunded
        ("prospect", "new", "customer"),  # bought, never marked
        ("prospect", "churned", "customer"),  # a churned buyer is still a customer
        ("customer", "regular", "customer"),
        ("prospect", None, "prospect"),
    ]
    await migrate(engine, "0010")
    async with engine.begin() as connection:
        await connection.execute(insert(WORKSPACES).values(id=1, name="Before"))
        for index, (stage, lifecycle, _) in enumerate(cases, start=1):
            await connection.execute(insert(CONTACTS).values(id=index, workspace_id=1, name=f"C{index}", stage=stage))
            if lifecycle is not None:
                orders = 0 if lifecycle == "prospect" else 1
                await connection.execute(
                    insert(FIGURES).values(contact_id=index, workspace_id=1, orders=orders, lifecycle=lifecycle)
                )
    await migrate(engine)
    async with engine.connect() as connection:
        stages = dict((await connection.execute(select(CONTACTS.c.id, CONTACTS.c.stage))).all())
    assert stages == {index: after for index, (_, _, after) in enumerate(cases, start=1)}
