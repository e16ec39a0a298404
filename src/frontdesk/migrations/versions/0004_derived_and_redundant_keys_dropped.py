"""foreign keys dropped where bulk writes paid for them and nothing needs them

Order lines: workspace and product keys (lines go with their order; products are never deleted).
Customer figures and ranges: every key (derived rows, rewritten by each refresh; contact deletion removes
them explicitly).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 17:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> (constraint, column, referenced table, on delete)
DROPPED = {
    "order_lines": [
        ("fk_order_lines_product_id_products", "product_id", "products", "RESTRICT"),
        ("fk_order_lines_workspace_id_workspaces", "workspace_id", "workspaces", "CASCADE"),
    ],
    "customer_figures": [
        ("fk_customer_figures_contact_id_contacts", "contact_id", "contacts", "CASCADE"),
        ("fk_customer_figures_workspace_id_workspaces", "workspace_id", "workspaces", "CASCADE"),
    ],
    "customer_ranges": [
        ("fk_customer_ranges_contact_id_contacts", "contact_id", "contacts", "CASCADE"),
        ("fk_customer_ranges_range_id_product_ranges", "range_id", "product_ranges", "CASCADE"),
        ("fk_customer_ranges_workspace_id_workspaces", "workspace_id", "workspaces", "CASCADE"),
    ],
}


def upgrade() -> None:
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table) as batch:
            for name, _, _, _ in keys:
                batch.drop_constraint(name, type_="foreignkey")


def downgrade() -> None:
    for table, keys in DROPPED.items():
        with op.batch_alter_table(table) as batch:
            for name, column, referenced, on_delete in keys:
                batch.create_foreign_key(name, referenced, [column], ["id"], ondelete=on_delete)
