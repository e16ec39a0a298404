"""order lines without redundant foreign keys (workspace, product): bulk imports check one key per line

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


def upgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.drop_constraint("fk_order_lines_product_id_products", type_="foreignkey")
        batch.drop_constraint("fk_order_lines_workspace_id_workspaces", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("order_lines") as batch:
        batch.create_foreign_key(
            "fk_order_lines_workspace_id_workspaces", "workspaces", ["workspace_id"], ["id"], ondelete="CASCADE"
        )
        batch.create_foreign_key(
            "fk_order_lines_product_id_products", "products", ["product_id"], ["id"], ondelete="RESTRICT"
        )
