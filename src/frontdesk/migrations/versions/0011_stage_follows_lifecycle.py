"""contacts.stage follows the lifecycle stage: customer with a completed order, prospect without

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 03:00:00

Until now the registry stage was set by hand, by imports and by merges, and could contradict the lifecycle
stage computed from orders. From this revision commerce derives it whenever it refreshes a customer's
figures (commerce/figures.py). This migration sets every existing stage from the figures once; the schema
does not change. Downgrading keeps the derived stages (they are valid values of the old column too).
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BOUGHT = "EXISTS (SELECT 1 FROM customer_figures AS f WHERE f.contact_id = contacts.id AND f.lifecycle <> 'prospect')"


def upgrade() -> None:
    # Two statements that write only the rows whose stage is wrong, on SQLite and PostgreSQL alike.
    op.execute(f"UPDATE contacts SET stage = 'customer' WHERE stage <> 'customer' AND {BOUGHT}")
    op.execute(f"UPDATE contacts SET stage = 'prospect' WHERE stage <> 'prospect' AND NOT {BOUGHT}")


def downgrade() -> None:
    pass
