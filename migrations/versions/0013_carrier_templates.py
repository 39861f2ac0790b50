"""carrier templates: the pre-approved texts (code, kind, ${name} parameters, signature,
approval) a domestic Chinese SMS provider such as Alibaba Cloud SMS will carry

Revision ID: 0013_carrier_templates
Revises: 0012_privacy
Create Date: 2026-12-03 14:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013_carrier_templates"
down_revision: str | None = "0012_privacy"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("purpose", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.Enum("notification", "promotional", name="templatekind",
                                  native_enum=False, length=20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("signature", sa.String(length=20), nullable=False),
        sa.Column("approval", sa.Enum("pending", "approved", "rejected", name="templateapproval",
                                      native_enum=False, length=20), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisations.id"],
                                name=op.f("fk_sms_templates_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_templates")),
        sa.UniqueConstraint("provider", "code", name="uq_sms_templates_provider_code"),
    )
    op.create_index(op.f("ix_sms_templates_purpose"), "sms_templates", ["purpose"])
    op.create_index(op.f("ix_sms_templates_organisation_id"), "sms_templates",
                    ["organisation_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sms_templates_organisation_id"), table_name="sms_templates")
    op.drop_index(op.f("ix_sms_templates_purpose"), table_name="sms_templates")
    op.drop_table("sms_templates")
