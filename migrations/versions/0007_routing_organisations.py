"""routing and organisations: offer rounds restart after a transfer or re-queue; the origin
organisation of a transferred case keeps sight of it; staff accounts get a phone and an
on-duty flag so escalations reach people

Revision ID: 0007_routing_organisations
Revises: 0006_campaign_organisation
Create Date: 2026-11-28 23:59:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_routing_organisations"
down_revision: str | None = "0006_campaign_organisation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("offer_round_base", sa.Integer(), nullable=False,
                                      server_default="0"))
        batch_op.add_column(sa.Column("origin_organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_origin_organisation_id"),
                              ["origin_organisation_id"])
        batch_op.create_foreign_key(batch_op.f("fk_cases_origin_organisation_id_organisations"),
                                    "organisations", ["origin_organisation_id"], ["id"])
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("on_duty", sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("on_duty")
        batch_op.drop_column("phone")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_origin_organisation_id_organisations"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_origin_organisation_id"))
        batch_op.drop_column("origin_organisation_id")
        batch_op.drop_column("offer_round_base")
