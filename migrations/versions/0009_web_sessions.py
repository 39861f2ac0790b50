"""web sessions that can be revoked (filled by the web work)

Revision ID: 0009_web_sessions
Revises: 0008_campaign_scope
Create Date: 2026-11-28 23:59:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0009_web_sessions"
down_revision: str | None = "0008_campaign_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
