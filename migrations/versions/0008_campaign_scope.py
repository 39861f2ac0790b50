"""campaign audiences scoped to an organisation (filled by the campaigns work)

Revision ID: 0008_campaign_scope
Revises: 0007_routing_organisations
Create Date: 2026-11-28 23:59:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0008_campaign_scope"
down_revision: str | None = "0007_routing_organisations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
