"""routing and organisations (filled by the routing work)

Revision ID: 0007_routing_organisations
Revises: 0006_campaign_organisation
Create Date: 2026-11-28 23:59:00
"""
from collections.abc import Sequence

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision: str = "0007_routing_organisations"
down_revision: str | None = "0006_campaign_organisation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
