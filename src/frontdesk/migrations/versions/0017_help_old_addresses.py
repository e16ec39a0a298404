"""help center: former slugs of articles, collections and workspaces, whose addresses redirect

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-30 20:22:44.809317

Nothing to fill in: slugs changed before this revision were not kept.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "help_old_workspace_slugs",
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_help_old_workspace_slugs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("slug", name=op.f("pk_help_old_workspace_slugs")),
    )
    op.create_index(
        op.f("ix_help_old_workspace_slugs_workspace_id"), "help_old_workspace_slugs", ["workspace_id"], unique=False
    )
    op.create_table(
        "help_old_collection_slugs",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("collection_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["collection_id"],
            ["help_collections.id"],
            name=op.f("fk_help_old_collection_slugs_collection_id_help_collections"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_help_old_collection_slugs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "slug", name=op.f("pk_help_old_collection_slugs")),
    )
    op.create_index(
        op.f("ix_help_old_collection_slugs_collection_id"), "help_old_collection_slugs", ["collection_id"], unique=False
    )
    op.create_table(
        "help_old_article_slugs",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("locale", sa.String(length=10), nullable=False),
        sa.Column("slug", sa.String(length=160), nullable=False),
        sa.Column("translation_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["translation_id"],
            ["help_translations.id"],
            name=op.f("fk_help_old_article_slugs_translation_id_help_translations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_help_old_article_slugs_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", "locale", "slug", name=op.f("pk_help_old_article_slugs")),
    )
    op.create_index(
        op.f("ix_help_old_article_slugs_translation_id"), "help_old_article_slugs", ["translation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_help_old_article_slugs_translation_id"), table_name="help_old_article_slugs")
    op.drop_table("help_old_article_slugs")
    op.drop_index(op.f("ix_help_old_collection_slugs_collection_id"), table_name="help_old_collection_slugs")
    op.drop_table("help_old_collection_slugs")
    op.drop_index(op.f("ix_help_old_workspace_slugs_workspace_id"), table_name="help_old_workspace_slugs")
    op.drop_table("help_old_workspace_slugs")
