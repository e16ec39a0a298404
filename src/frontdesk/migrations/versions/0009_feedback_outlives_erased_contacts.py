"""reviews, survey answers, complaints and referrals outlive an erased contact, anonymised

Their contact references become optional with ON DELETE SET NULL, so erasure can keep the rating, the score,
the complaint and the referral that the business's figures count, with every identifying text emptied.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 00:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# table -> columns pointing at contacts (constraint names follow frontdesk.db's naming convention)
REFERENCES = {
    "reviews": ["contact_id"],
    "survey_recipients": ["contact_id"],
    "complaints": ["contact_id"],
    "referrals": ["referrer_id", "referred_id"],
}
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _reference(nullable: bool, on_delete: str) -> None:
    for table, columns in REFERENCES.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                name = f"fk_{table}_{column}_contacts"
                batch.drop_constraint(name, type_="foreignkey")
                batch.alter_column(column, existing_type=ID, nullable=nullable)
                batch.create_foreign_key(name, "contacts", [column], ["id"], ondelete=on_delete)


def upgrade() -> None:
    _reference(nullable=True, on_delete="SET NULL")


def downgrade() -> None:
    # Anonymised rows have no contact to return to: they go, as erasure did before this revision. Migrations run
    # with SQLite's foreign-key actions off (frontdesk.db), so what points at them is cleared here, as the
    # actions would: a complaint's events go with it, a complaint forgets the review or answer it came from.
    anonymised = {table: " OR ".join(f"{c} IS NULL" for c in columns) for table, columns in REFERENCES.items()}
    for statement in (
        "DELETE FROM complaint_events WHERE complaint_id IN (SELECT id FROM complaints WHERE {complaints})",
        "UPDATE complaints SET review_id = NULL WHERE review_id IN (SELECT id FROM reviews WHERE {reviews})",
        "UPDATE complaints SET survey_recipient_id = NULL"
        " WHERE survey_recipient_id IN (SELECT id FROM survey_recipients WHERE {survey_recipients})",
    ):
        op.execute(sa.text(statement.format(**anonymised)))
    for table, condition in anonymised.items():
        op.execute(sa.text(f"DELETE FROM {table} WHERE {condition}"))
    _reference(nullable=False, on_delete="CASCADE")
