"""customer success: contact owners, purchase model and predictions, health scores and history, playbooks, tasks

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 05:20:19.433212
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import frontdesk.db

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "customer_health",
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("computed_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_customer_health")),
    )
    op.create_index("ix_customer_health_workspace_score", "customer_health", ["workspace_id", "score"], unique=False)
    op.create_table(
        "customer_predictions",
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("frequency", sa.Integer(), nullable=False),
        sa.Column("recency_days", sa.Float(), nullable=False),
        sa.Column("age_days", sa.Float(), nullable=False),
        sa.Column("monetary_minor", sa.Float(), nullable=True),
        sa.Column("p_alive", sa.Float(), nullable=False),
        sa.Column("expected_purchases_90d", sa.Float(), nullable=False),
        sa.Column("expected_purchases_365d", sa.Float(), nullable=False),
        sa.Column("expected_order_value_minor", sa.Float(), nullable=False),
        sa.Column("clv_12m_minor", sa.Float(), nullable=False),
        sa.Column("computed_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("contact_id", name=op.f("pk_customer_predictions")),
    )
    op.create_index(
        "ix_customer_predictions_workspace_clv", "customer_predictions", ["workspace_id", "clv_12m_minor"], unique=False
    )
    op.create_index(
        "ix_customer_predictions_workspace_p_alive", "customer_predictions", ["workspace_id", "p_alive"], unique=False
    )
    op.create_table(
        "health_history",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("recorded_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_health_history")),
    )
    op.create_index("ix_health_history_contact_recorded", "health_history", ["contact_id", "recorded_at"], unique=False)
    op.create_index(op.f("ix_health_history_workspace_id"), "health_history", ["workspace_id"], unique=False)
    op.create_table(
        "clv_models",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("as_of", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fitted_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("repeat_customers", sa.Integer(), nullable=False),
        sa.Column("r", sa.Float(), nullable=False),
        sa.Column("alpha", sa.Float(), nullable=False),
        sa.Column("a", sa.Float(), nullable=False),
        sa.Column("b", sa.Float(), nullable=False),
        sa.Column("p", sa.Float(), nullable=False),
        sa.Column("q", sa.Float(), nullable=False),
        sa.Column("gamma", sa.Float(), nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=False),
        sa.Column("gamma_gamma_log_likelihood", sa.Float(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_clv_models_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_clv_models")),
    )
    op.create_table(
        "playbooks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.Column("task_title", sa.String(length=300), nullable=False),
        sa.Column("owner_rule", sa.String(length=20), nullable=False),
        sa.Column("due_in_days", sa.Integer(), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("created_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"], ["workspaces.id"], name=op.f("fk_playbooks_workspace_id_workspaces"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbooks")),
    )
    op.create_index(op.f("ix_playbooks_workspace_id"), "playbooks", ["workspace_id"], unique=False)
    op.create_table(
        "success_settings",
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("discount_rate", sa.Float(), nullable=False),
        sa.Column("health_weights", sa.JSON(), nullable=False),
        sa.Column("round_robin_cursor", sa.Integer(), nullable=False),
        sa.Column("updated_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_success_settings_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("workspace_id", name=op.f("pk_success_settings")),
    )
    op.create_table(
        "success_tasks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("playbook_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("due_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("completed_at", frontdesk.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_success_tasks_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["agents.id"], name=op.f("fk_success_tasks_owner_id_agents"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"], ["playbooks.id"], name=op.f("fk_success_tasks_playbook_id_playbooks"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["workspace_id"],
            ["workspaces.id"],
            name=op.f("fk_success_tasks_workspace_id_workspaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_success_tasks")),
    )
    op.create_index(op.f("ix_success_tasks_contact_id"), "success_tasks", ["contact_id"], unique=False)
    op.create_index(
        "ix_success_tasks_workspace_owner_status", "success_tasks", ["workspace_id", "owner_id", "status"], unique=False
    )
    op.create_index(
        "ix_success_tasks_workspace_status_due", "success_tasks", ["workspace_id", "status", "due_at"], unique=False
    )
    op.create_table(
        "playbook_episodes",
        sa.Column("playbook_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("workspace_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("task_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("started_at", frontdesk.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contacts.id"], name=op.f("fk_playbook_episodes_contact_id_contacts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["playbook_id"],
            ["playbooks.id"],
            name=op.f("fk_playbook_episodes_playbook_id_playbooks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["success_tasks.id"],
            name=op.f("fk_playbook_episodes_task_id_success_tasks"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("playbook_id", "contact_id", name=op.f("pk_playbook_episodes")),
    )
    op.create_index(op.f("ix_playbook_episodes_workspace_id"), "playbook_episodes", ["workspace_id"], unique=False)
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True))
        batch.create_index("ix_contacts_workspace_owner", ["workspace_id", "owner_id"], unique=False)
        batch.create_foreign_key(
            op.f("fk_contacts_owner_id_agents"), "agents", ["owner_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.drop_constraint(op.f("fk_contacts_owner_id_agents"), type_="foreignkey")
        batch.drop_index("ix_contacts_workspace_owner")
        batch.drop_column("owner_id")
    op.drop_index(op.f("ix_playbook_episodes_workspace_id"), table_name="playbook_episodes")
    op.drop_table("playbook_episodes")
    op.drop_index("ix_success_tasks_workspace_status_due", table_name="success_tasks")
    op.drop_index("ix_success_tasks_workspace_owner_status", table_name="success_tasks")
    op.drop_index(op.f("ix_success_tasks_contact_id"), table_name="success_tasks")
    op.drop_table("success_tasks")
    op.drop_table("success_settings")
    op.drop_index(op.f("ix_playbooks_workspace_id"), table_name="playbooks")
    op.drop_table("playbooks")
    op.drop_table("clv_models")
    op.drop_index(op.f("ix_health_history_workspace_id"), table_name="health_history")
    op.drop_index("ix_health_history_contact_recorded", table_name="health_history")
    op.drop_table("health_history")
    op.drop_index("ix_customer_predictions_workspace_p_alive", table_name="customer_predictions")
    op.drop_index("ix_customer_predictions_workspace_clv", table_name="customer_predictions")
    op.drop_table("customer_predictions")
    op.drop_index("ix_customer_health_workspace_score", table_name="customer_health")
    op.drop_table("customer_health")
