"""campaign counters and open-case indexes: recipients per status kept beside each campaign,
so a list of campaigns reads one row per campaign instead of grouping every recipient (400,000
at a centre's size); the dashboard's open-case lists and volunteer load read partial indexes
over the open cases only

Revision ID: 0017_campaign_counters
Revises: 0016_console_at_size
Create Date: 2026-12-03 20:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_campaign_counters"
down_revision: str | None = "0016_console_at_size"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SHARDS = 16  # models.campaign.COUNT_SHARDS when this was written
# Every RecipientStatus value; each is a column of the same name.
OPEN_ONLY = sa.text("status IN ('assigned', 'escalated', 'in_progress', 'new', 'offered')")
OPEN_LIST_COLUMNS = ["organisation_id", "status", "assigned_volunteer_id", "urgency", "category",
                     "people_affected", "collective_case_id", "created_at", "last_activity_at",
                     "worker_contacted_at", "reminded_at", "id"]
STATUSES = ["pending", "sending", "unknown", "accepted", "sent", "delivered", "undelivered",
            "failed", "opted_out", "cancelled"]


def upgrade() -> None:
    op.create_table(
        "campaign_counts",
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        *(sa.Column(status, sa.Integer(), nullable=False, server_default="0")
          for status in STATUSES),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_counts_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("campaign_id", "shard", name=op.f("pk_campaign_counts")),
    )
    # Backfill: every campaign whose recipients were written (or that has any), counted from
    # its rows once into its first counter row, the others at zero; the senders keep the
    # counts from here on.
    sums = ", ".join(f"COALESCE(SUM(CASE WHEN r.status = '{s}' THEN 1 ELSE 0 END), 0)"
                     for s in STATUSES)
    op.execute(
        f"INSERT INTO campaign_counts (campaign_id, shard, {', '.join(STATUSES)}) "
        f"SELECT c.id, 0, {sums} FROM campaigns c "
        "LEFT JOIN campaign_recipients r ON r.campaign_id = c.id "
        "WHERE c.materialized_at IS NOT NULL "
        "OR EXISTS (SELECT 1 FROM campaign_recipients x WHERE x.campaign_id = c.id) "
        "GROUP BY c.id")
    for shard in range(1, SHARDS):
        op.execute("INSERT INTO campaign_counts (campaign_id, shard) "
                   f"SELECT campaign_id, {shard} FROM campaign_counts WHERE shard = 0")
    op.create_index("ix_cases_open_lists", "cases", OPEN_LIST_COLUMNS,
                    postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY)
    op.create_index("ix_cases_open_by_volunteer", "cases", ["assigned_volunteer_id"],
                    postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY)


def downgrade() -> None:
    op.drop_index("ix_cases_open_by_volunteer", table_name="cases")
    op.drop_index("ix_cases_open_lists", table_name="cases")
    op.drop_table("campaign_counts")
