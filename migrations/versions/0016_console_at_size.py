"""console at size: indexes the console's figures are read from without the tables (an
office's cases by status, place and money; a month of texts by direction, case and worker)

Revision ID: 0016_console_at_size
Revises: 0015_extend_codes_inbox
Create Date: 2026-12-03 17:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0016_console_at_size"
down_revision: str | None = "0015_extend_codes_inbox"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column the office figures read, the office first: one office's cases are a range of
# this index (a third of them at the biggest office), not a pass over every case's row.
OFFICE_FIGURES = ["organisation_id", "status", "work_province", "work_city", "amount_owed",
                  "amount_recovered", "id"]
# The monthly report's month of texts: who wrote, in or out, on which case. It leads with
# created_at, so it replaces 0014's index on created_at alone.
MONTH_OF_TEXTS = ["created_at", "direction", "case_id", "contact_id"]


def upgrade() -> None:
    op.create_index("ix_cases_office_figures", "cases", OFFICE_FIGURES)
    op.create_index("ix_messages_month", "messages", MONTH_OF_TEXTS)
    op.drop_index(op.f("ix_messages_created_at"), table_name="messages")


def downgrade() -> None:
    op.create_index(op.f("ix_messages_created_at"), "messages", ["created_at"])
    op.drop_index("ix_messages_month", table_name="messages")
    op.drop_index("ix_cases_office_figures", table_name="cases")
