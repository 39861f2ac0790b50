"""routing: organisations, volunteer profile (dialects, shifts, time zone), offer rounds,
case routing columns (dialect, queue, employer key, collective link, deadlines, survey)

Revision ID: 0003_routing
Revises: 0002_flows
Create Date: 2026-11-22 01:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_routing"
down_revision: str | None = "0002_flows"  # linearised by the lead
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "organisations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("region", sa.String(length=60), nullable=True),
        sa.Column("staff_numbers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisations")),
        sa.UniqueConstraint("name", name=op.f("uq_organisations_name")),
    )
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dialects", sa.JSON(), nullable=False,
                                      server_default="[]"))
        batch_op.add_column(sa.Column("shifts", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("timezone", sa.String(length=40), nullable=False,
                                      server_default="Asia/Shanghai"))
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_volunteers_organisation_id"), ["organisation_id"])
        batch_op.create_foreign_key(batch_op.f("fk_volunteers_organisation_id_organisations"),
                                    "organisations", ["organisation_id"], ["id"])
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("round", sa.Integer(), nullable=False, server_default="1"))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("dialect", sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column("organisation_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("employer_key", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("collective_case_id", sa.Integer(), nullable=True))
        for name in ("last_activity_at", "worker_contacted_at", "reminded_at",
                     "survey_sent_at"):
            batch_op.add_column(sa.Column(name, sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("satisfaction", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_cases_organisation_id"), ["organisation_id"])
        batch_op.create_index(batch_op.f("ix_cases_employer_key"), ["employer_key"])
        batch_op.create_index(batch_op.f("ix_cases_collective_case_id"), ["collective_case_id"])
        batch_op.create_foreign_key(batch_op.f("fk_cases_organisation_id_organisations"),
                                    "organisations", ["organisation_id"], ["id"])
        batch_op.create_foreign_key(batch_op.f("fk_cases_collective_case_id_cases"),
                                    "cases", ["collective_case_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_cases_collective_case_id_cases"),
                                 type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_cases_organisation_id_organisations"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_cases_collective_case_id"))
        batch_op.drop_index(batch_op.f("ix_cases_employer_key"))
        batch_op.drop_index(batch_op.f("ix_cases_organisation_id"))
        for name in ("satisfaction", "survey_sent_at", "reminded_at", "worker_contacted_at",
                     "last_activity_at", "collective_case_id", "employer_key",
                     "organisation_id", "dialect"):
            batch_op.drop_column(name)
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("round")
    with op.batch_alter_table("volunteers", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_volunteers_organisation_id_organisations"),
                                 type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_volunteers_organisation_id"))
        for name in ("organisation_id", "timezone", "shifts", "dialects"):
            batch_op.drop_column(name)
    op.drop_table("organisations")
