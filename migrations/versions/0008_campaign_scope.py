"""campaign audiences scoped to an organisation: which organisations imported each contact;
the draft estimate cached on the campaign; opt-outs that answered a campaign

Revision ID: 0008_campaign_scope
Revises: 0007_routing_organisations
Create Date: 2026-11-28 23:59:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_campaign_scope"
down_revision: str | None = "0007_routing_organisations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contact_organisations",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE",
                                name=op.f("fk_contact_organisations_contact_id_contacts")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], ondelete="CASCADE",
            name=op.f("fk_contact_organisations_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("contact_id", "organisation_id",
                                name=op.f("pk_contact_organisations")),
    )
    op.create_index(op.f("ix_contact_organisations_organisation_id"), "contact_organisations",
                    ["organisation_id"])
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(sa.Column("estimate_cache", sa.JSON(), nullable=True))
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opted_out_at", sa.DateTime(timezone=True),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("campaign_recipients", schema=None) as batch_op:
        batch_op.drop_column("opted_out_at")
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("estimate_cache")
    op.drop_index(op.f("ix_contact_organisations_organisation_id"),
                  table_name="contact_organisations")
    op.drop_table("contact_organisations")
