"""indexes for reports: conversations by start, new customers by first order, stage history by time

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30 03:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
# The lead sets this to "0011" at merge (0011 is written in parallel); "0010" keeps this branch testable.
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = (
    ("ix_conversations_workspace_created", "conversations", ["workspace_id", "created_at"]),
    ("ix_customer_figures_workspace_first_order", "customer_figures", ["workspace_id", "first_order_at"]),
    ("ix_lifecycle_changes_workspace_changed", "lifecycle_changes", ["workspace_id", "changed_at"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)


def downgrade() -> None:
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
