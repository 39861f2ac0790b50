"""privacy: consent on record (when and how a worker agreed to bulk SMS, as evidence), and
when a worker's data was erased or a finished case anonymised after the retention period

Revision ID: 0012_privacy
Revises: 0011_understanding
Create Date: 2026-12-03 11:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_privacy"
down_revision: str | None = "0011_understanding"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("consent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("consent_source", sa.String(length=120), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True),
                                      nullable=True))
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE",
                                name=op.f("fk_consent_events_contact_id_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(op.f("ix_consent_events_contact_id"), "consent_events", ["contact_id"])
    op.create_index(op.f("ix_consent_events_at"), "consent_events", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_events_at"), table_name="consent_events")
    op.drop_index(op.f("ix_consent_events_contact_id"), table_name="consent_events")
    op.drop_table("consent_events")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
        batch_op.drop_column("consent_source")
        batch_op.drop_column("consent_at")
