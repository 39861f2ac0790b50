"""extend codes and the open inbox: an office's Alibaba SMS extend code (replies name the office
they answer) and a partial index over the staff inbox's open texts

Revision ID: 0015_extend_codes_inbox
Revises: 0014_console_indexes
Create Date: 2026-12-03 17:10:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_extend_codes_inbox"
down_revision: str | None = "0014_console_indexes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("sms_extend_code", sa.String(length=12), nullable=True))
        batch.create_unique_constraint("uq_organisations_sms_extend_code", ["sms_extend_code"])
    op.create_index("ix_messages_inbox_open", "messages", ["created_at"],
                    postgresql_where=sa.text("inbox_state = 'open'"),
                    sqlite_where=sa.text("inbox_state = 'open'"))


def downgrade() -> None:
    op.drop_index("ix_messages_inbox_open", table_name="messages")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_constraint("uq_organisations_sms_extend_code", type_="unique")
        batch.drop_column("sms_extend_code")
