"""cases by worker and office: one index on (contact_id, organisation_id) replaces the one on
contact_id alone. Testing "has this worker a case in this office" for each opted-out worker
(the staff opt-out list, an office's audiences) made SQLite walk every case of the office
through the organisation index per worker (tens of seconds at a centre's size, 12,000
opted-out workers × 20,000 cases); with both columns in one index each test is one probe.
Everything that looked cases up by worker alone reads the same index by its first column.

Revision ID: 0018_cases_by_worker_office
Revises: 0017_campaign_counters
Create Date: 2026-12-04 15:30:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = "0018_cases_by_worker_office"
down_revision: str | None = "0017_campaign_counters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_cases_contact_org", "cases", ["contact_id", "organisation_id"])
    op.drop_index("ix_cases_contact_id", table_name="cases")


def downgrade() -> None:
    op.create_index("ix_cases_contact_id", "cases", ["contact_id"])
    op.drop_index("ix_cases_contact_org", table_name="cases")
