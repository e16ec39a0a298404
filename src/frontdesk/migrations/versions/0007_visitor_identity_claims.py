"""visitors keep the e-mail address and name they typed as an unverified claim

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visitors") as batch:
        batch.add_column(sa.Column("claimed_email", sa.String(length=320), nullable=True))
        batch.add_column(sa.Column("claimed_name", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("claimed_at", frontdesk.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim_verified_at", frontdesk.db.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claim_verified_by", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visitors") as batch:
        for column in ("claim_verified_by", "claim_verified_at", "claimed_at", "claimed_name", "claimed_email"):
            batch.drop_column(column)
