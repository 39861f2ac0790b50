"""campaigns: campaigns, variants, recipients, contact tags; contact timezone and re-check dates

Revision ID: 0004_campaigns
Revises: 0003_routing
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_campaigns"
down_revision: str | None = "0003_routing"  # linearised by the lead
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _status(*values: str, name: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade() -> None:
    with op.batch_alter_table("contacts") as batch:
        batch.add_column(sa.Column("timezone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("verified_at", TS, nullable=True))
        batch.add_column(sa.Column("stale_at", TS, nullable=True))
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", _status("broadcast", "recheck", name="campaignkind"), nullable=False),
        sa.Column("status", _status("draft", "scheduled", "sending", "paused", "done",
                                    "cancelled", name="campaignstatus"), nullable=False),
        sa.Column("sender", sa.String(length=40), nullable=False),
        sa.Column("signature", sa.String(length=20), nullable=True),
        sa.Column("footer", sa.Boolean(), nullable=False),
        sa.Column("default_language", sa.String(length=8), nullable=False),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("rsvp_keywords", sa.JSON(), nullable=False),
        sa.Column("rate_per_second", sa.Double(), nullable=True),
        sa.Column("price_per_segment", sa.Numeric(10, 4), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=False),
        sa.Column("quiet_end", sa.String(length=5), nullable=False),
        sa.Column("reply_window_hours", sa.Integer(), nullable=False),
        sa.Column("timezones", sa.JSON(), nullable=False),
        sa.Column("scheduled_at", TS, nullable=True),
        sa.Column("materialized_at", TS, nullable=True),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("hold_until", TS, nullable=True),
        sa.Column("last_progress_at", TS, nullable=True),
        sa.Column("stale_marked_at", TS, nullable=True),
        sa.Column("created_by", sa.String(length=60), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_variants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_variants_campaign_id_campaigns")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_variants")),
        sa.UniqueConstraint("campaign_id", "language",
                            name=op.f("uq_campaign_variants_campaign_id_language")),
    )
    op.create_index(op.f("ix_campaign_variants_campaign_id"), "campaign_variants",
                    ["campaign_id"])
    op.create_table(
        "campaign_recipients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("timezone", sa.String(length=40), nullable=False),
        sa.Column("status", _status("pending", "sending", "unknown", "accepted", "sent",
                                    "delivered", "undelivered", "failed", "opted_out",
                                    "cancelled", name="recipientstatus"), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("segments", sa.Integer(), nullable=True),
        sa.Column("provider_sid", sa.String(length=64), nullable=True),
        sa.Column("error_code", sa.Integer(), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("claimed_at", TS, nullable=True),
        sa.Column("sent_at", TS, nullable=True),
        sa.Column("reply", sa.String(length=20), nullable=True),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(["campaign_id"], ["campaigns.id"], ondelete="CASCADE",
                                name=op.f("fk_campaign_recipients_campaign_id_campaigns")),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"],
                                name=op.f("fk_campaign_recipients_contact_id_contacts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_recipients")),
        sa.UniqueConstraint("campaign_id", "contact_id",
                            name=op.f("uq_campaign_recipients_campaign_id_contact_id")),
        sa.UniqueConstraint("provider_sid", name=op.f("uq_campaign_recipients_provider_sid")),
    )
    op.create_index("ix_campaign_recipients_claim", "campaign_recipients",
                    ["campaign_id", "status", "id"])
    op.create_index("ix_campaign_recipients_contact", "campaign_recipients",
                    ["contact_id", "sent_at"])
    op.create_table(
        "contact_tags",
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("tag", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contacts.id"], ondelete="CASCADE",
                                name=op.f("fk_contact_tags_contact_id_contacts")),
        sa.PrimaryKeyConstraint("contact_id", "tag", name=op.f("pk_contact_tags")),
    )
    op.create_index(op.f("ix_contact_tags_tag"), "contact_tags", ["tag"])


def downgrade() -> None:
    op.drop_index(op.f("ix_contact_tags_tag"), table_name="contact_tags")
    op.drop_table("contact_tags")
    op.drop_index("ix_campaign_recipients_contact", table_name="campaign_recipients")
    op.drop_index("ix_campaign_recipients_claim", table_name="campaign_recipients")
    op.drop_table("campaign_recipients")
    op.drop_index(op.f("ix_campaign_variants_campaign_id"), table_name="campaign_variants")
    op.drop_table("campaign_variants")
    op.drop_table("campaigns")
    with op.batch_alter_table("contacts") as batch:
        batch.drop_column("stale_at")
        batch.drop_column("verified_at")
        batch.drop_column("timezone")
