"""campaigns belong to an organisation: its staff see and steer them, admins see all

Revision ID: 0006_campaign_organisation
Revises: 0005_web
Create Date: 2026-11-22 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_campaign_organisation"
down_revision: str | None = "0005_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_campaigns_organisation_id"), ["organisation_id"])
        batch_op.create_foreign_key(batch_op.f("fk_campaigns_organisation_id_organisations"),
                                    "organisations", ["organisation_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_campaigns_organisation_id_organisations"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_campaigns_organisation_id"))
        batch_op.drop_column("organisation_id")
