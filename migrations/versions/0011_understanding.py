"""understanding workers: what they said about the place, approximate head counts, the answers
of each problem's own intake (details), legal-deadline reminders, staff triage, and an inbox of
messages that carry no problem

Revision ID: 0011_understanding
Revises: 0010_case_organisations
Create Date: 2026-12-03 10:45:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_understanding"
down_revision: str | None = "0010_case_organisations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("place_said", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("people_approximate", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False,
                                      server_default="{}"))
        batch_op.add_column(sa.Column("legal_reminders", sa.JSON(), nullable=False,
                                      server_default="{}"))
        batch_op.add_column(sa.Column("triage_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_triage_at"), ["triage_at"])
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("inbox_state", sa.String(length=16), nullable=True))
        batch_op.create_index(batch_op.f("ix_messages_inbox_state"), ["inbox_state"])
    # Twilio's I-Twilio-Idempotency-Token of every webhook already handled: a replay is
    # answered without being processed twice, whatever its other fields say.
    op.create_table(
        "webhook_receipts",
        sa.Column("token", sa.String(length=128), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_webhook_receipts")),
    )
    op.create_index(op.f("ix_webhook_receipts_received_at"), "webhook_receipts",
                    ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_receipts_received_at"), table_name="webhook_receipts")
    op.drop_table("webhook_receipts")
    with op.batch_alter_table("messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_messages_inbox_state"))
        batch_op.drop_column("inbox_state")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cases_triage_at"))
        for name in ("reopened_at", "triage_at", "legal_reminders", "details",
                     "people_approximate", "place_said"):
            batch_op.drop_column(name)
