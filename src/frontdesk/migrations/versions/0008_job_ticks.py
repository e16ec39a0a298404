"""job ticks: scheduled work runs once per tick across processes

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-29 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_ticks",
        sa.Column("job", sa.String(length=50), nullable=False),
        sa.Column("tick", sa.BigInteger(), nullable=False),
        sa.Column("claimed_at", frontdesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("job", name=op.f("pk_job_ticks")),
    )


def downgrade() -> None:
    op.drop_table("job_ticks")
