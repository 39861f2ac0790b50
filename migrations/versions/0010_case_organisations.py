"""every office that held a transferred case keeps sight of it: case_organisations

Before, only the last office that transferred a case away (cases.origin_organisation_id) kept
seeing it; after A → B → C, A lost it. The link table is filled from that column and from
the "from" of every transfer on the case timelines. origin_organisation_id stays, for display.

Revision ID: 0010_case_organisations
Revises: 0009_web_sessions
Create Date: 2026-11-29 00:45:00
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0010_case_organisations"
down_revision: str | None = "0009_web_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    links = op.create_table(
        "case_organisations",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE",
                                name=op.f("fk_case_organisations_case_id_cases")),
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisations.id"], ondelete="CASCADE",
            name=op.f("fk_case_organisations_organisation_id_organisations")),
        sa.PrimaryKeyConstraint("case_id", "organisation_id",
                                name=op.f("pk_case_organisations")),
    )
    op.create_index(op.f("ix_case_organisations_organisation_id"), "case_organisations",
                    ["organisation_id"])
    backfill(links)


def backfill(links: sa.Table) -> None:
    """Every (case, office it was transferred from) already known, once."""
    conn = op.get_bind()
    cases = sa.table("cases", sa.column("id", sa.Integer()),
                     sa.column("origin_organisation_id", sa.Integer()))
    events = sa.table("case_events", sa.column("case_id", sa.Integer()),
                      sa.column("kind", sa.String()), sa.column("data", sa.JSON()),
                      sa.column("at", sa.DateTime(timezone=True)))
    orgs = set(conn.scalars(sa.select(sa.table("organisations", sa.column("id")).c.id)))
    case_ids = set(conn.scalars(sa.select(cases.c.id)))
    found: dict[tuple[int, int], object] = {}
    for case_id, data, at in conn.execute(sa.select(events.c.case_id, events.c.data, events.c.at)
                                          .where(events.c.kind == "transfer")
                                          .order_by(events.c.at)):
        source = data.get("from") if isinstance(data, dict) else None
        if isinstance(source, int) and source in orgs and case_id in case_ids:
            found.setdefault((case_id, source), at)
    for case_id, origin in conn.execute(sa.select(cases.c.id, cases.c.origin_organisation_id)
                                        .where(cases.c.origin_organisation_id.is_not(None))):
        found.setdefault((case_id, origin), None)
    now = datetime.now(UTC)  # when the transfer time is unknown (origin column only)
    rows = [{"case_id": c, "organisation_id": o, "added_at": at or now}
            for (c, o), at in found.items()]
    if rows:
        op.bulk_insert(links, rows)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_organisations_organisation_id"),
                  table_name="case_organisations")
    op.drop_table("case_organisations")
