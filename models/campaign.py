"""Bulk SMS campaigns: the campaign, its per-language variants, one recipient row per person."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    Update,
    or_,
    update,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DbNow, object_now, str_enum
from models.case import InvalidTransition
from models.message import MessageStatus


class CampaignKind(enum.StrEnum):
    """A plain broadcast, or a re-check of the contact database ("reply 1 if still yours")."""

    BROADCAST = "broadcast"
    RECHECK = "recheck"


class CampaignStatus(enum.StrEnum):
    """Where a campaign is. `Campaign.move_to` is the only place that changes it.

        DRAFT ──► SCHEDULED ──► SENDING ──► DONE
          │         │  ▲         │   ▲
          │         ▼  │         ▼   │
          │         PAUSED ◄─────┘   │
          │            └─────────────┘
          └──────────────────────────────► CANCELLED   (from any state but DONE)

    SCHEDULED waits for `scheduled_at` (the tick starts it); a paused scheduled campaign
    resumes to SCHEDULED if its time has not come yet. A SENDING campaign whose remaining
    recipients are all in quiet hours stays SENDING with `hold_until` set.
    """

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    SENDING = "sending"
    PAUSED = "paused"
    DONE = "done"
    CANCELLED = "cancelled"


CAMPAIGN_TRANSITIONS: dict[CampaignStatus, set[CampaignStatus]] = {
    CampaignStatus.DRAFT: {CampaignStatus.SCHEDULED, CampaignStatus.SENDING,
                           CampaignStatus.CANCELLED},
    CampaignStatus.SCHEDULED: {CampaignStatus.SENDING, CampaignStatus.PAUSED,
                               CampaignStatus.CANCELLED},
    CampaignStatus.SENDING: {CampaignStatus.PAUSED, CampaignStatus.DONE,
                             CampaignStatus.CANCELLED},
    CampaignStatus.PAUSED: {CampaignStatus.SENDING, CampaignStatus.SCHEDULED,
                            CampaignStatus.CANCELLED},
    CampaignStatus.DONE: set(),
    CampaignStatus.CANCELLED: set(),
}


class RecipientStatus(enum.StrEnum):
    """One person's message in one campaign. `Recipient.transition` is the only way to change it.

        PENDING ──► SENDING ──► ACCEPTED ──► SENT ──► DELIVERED
         │  ▲  ▲     │ │ │         │          └────► UNDELIVERED
         │  │  └─────┘ │ │         └───────────────► FAILED / UNDELIVERED / DELIVERED
         │  │ throttled│ └──► FAILED (invalid number...) / OPTED_OUT (carrier STOP)
         │  │          ▼
         │  └─────── UNKNOWN ──► ACCEPTED / SENT / DELIVERED / ... (found at the provider)
         │  (not found at the provider: safe to send)
         ├──► OPTED_OUT (the contact opted out before their turn)
         ├──► FAILED (a placeholder has no value: never a blank in a text)
         └──► CANCELLED

    SENDING is committed before the provider call, so a crashed or redelivered task never sends
    twice: a stale SENDING/UNKNOWN row is reconciled by asking the provider. Every update lists
    the allowed previous statuses in its WHERE clause, so a late callback never moves a row back.
    """

    PENDING = "pending"
    SENDING = "sending"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    OPTED_OUT = "opted_out"
    CANCELLED = "cancelled"


_R = RecipientStatus
RECIPIENT_TRANSITIONS: dict[RecipientStatus, set[RecipientStatus]] = {
    _R.PENDING: {_R.SENDING, _R.OPTED_OUT, _R.FAILED, _R.CANCELLED},
    _R.SENDING: {_R.PENDING, _R.UNKNOWN, _R.ACCEPTED, _R.SENT, _R.DELIVERED, _R.UNDELIVERED,
                 _R.FAILED, _R.OPTED_OUT},
    _R.UNKNOWN: {_R.PENDING, _R.ACCEPTED, _R.SENT, _R.DELIVERED, _R.UNDELIVERED, _R.FAILED},
    _R.ACCEPTED: {_R.SENT, _R.DELIVERED, _R.UNDELIVERED, _R.FAILED},
    _R.SENT: {_R.DELIVERED, _R.UNDELIVERED, _R.FAILED},
    _R.DELIVERED: set(),
    _R.UNDELIVERED: set(),
    _R.FAILED: set(),
    _R.OPTED_OUT: set(),
    _R.CANCELLED: set(),
}
# The statuses a row may be in for a move to the key to be allowed.
RECIPIENT_SOURCES: dict[RecipientStatus, tuple[RecipientStatus, ...]] = {
    new: tuple(old for old, targets in RECIPIENT_TRANSITIONS.items() if new in targets)
    for new in RecipientStatus
}
# Reached the provider (or may have): these count for cost and delivery rate.
AT_PROVIDER = (_R.UNKNOWN, _R.ACCEPTED, _R.SENT, _R.DELIVERED, _R.UNDELIVERED)
FINAL = tuple(s for s, targets in RECIPIENT_TRANSITIONS.items() if not targets)

# What a provider's report of a message (in the hotline's own MessageStatus) means for a campaign
# recipient; each provider package maps its own words onto MessageStatus first.
RECIPIENT_STATUS_OF: dict[MessageStatus, RecipientStatus] = {
    MessageStatus.ACCEPTED: _R.ACCEPTED, MessageStatus.SENT: _R.SENT,
    MessageStatus.DELIVERED: _R.DELIVERED, MessageStatus.UNDELIVERED: _R.UNDELIVERED,
    MessageStatus.FAILED: _R.FAILED,
}


class Campaign(Base):
    """One bulk SMS send: who, what (per language), from which sender, when and how fast."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[CampaignKind] = mapped_column(str_enum(CampaignKind),
                                               default=CampaignKind.BROADCAST)
    status: Mapped[CampaignStatus] = mapped_column(str_enum(CampaignStatus),
                                                   default=CampaignStatus.DRAFT)
    # A phone number, or a Twilio Messaging Service SID (MG...) for a pool of senders.
    sender: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str | None] = mapped_column(String(20))  # shown as 【签名】
    footer: Mapped[bool] = mapped_column(default=True)  # 回复TD退订
    default_language: Mapped[str] = mapped_column(String(8), default="zh")
    audience: Mapped[dict[str, Any]] = mapped_column(default=dict)
    rsvp_keywords: Mapped[list[str]] = mapped_column(default=list)
    rate_per_second: Mapped[float | None]  # segments/s; None = the configured default
    price_per_segment: Mapped[Decimal] = mapped_column(Numeric(10, 4), default=Decimal("0"))
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    reply_window_hours: Mapped[int] = mapped_column(default=72)
    timezones: Mapped[list[str]] = mapped_column(default=list)  # of its recipients
    scheduled_at: Mapped[datetime | None]
    materialized_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    hold_until: Mapped[datetime | None]  # every remaining recipient is in quiet hours
    last_progress_at: Mapped[datetime | None]
    stale_marked_at: Mapped[datetime | None]  # re-check campaigns: non-repliers marked stale
    created_by: Mapped[str] = mapped_column(String(60), default="staff")
    # Whose campaign: that organisation's staff see and steer it (None: admins and staff
    # without an organisation, e.g. one made with the CLI).
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    # The draft's segment/cost estimate, computed once per change of texts or audience
    # (notifications.campaigns.compose.cached_estimate); None = compute again.
    estimate_cache: Mapped[dict[str, Any] | None]

    def move_to(self, new: CampaignStatus) -> None:
        """Change status if the lifecycle allows it."""
        if new == self.status:
            return
        if new not in CAMPAIGN_TRANSITIONS[self.status]:
            raise InvalidTransition(f"campaign {self.id}: {self.status} -> {new} is not allowed")
        self.status = new
        now = object_now(self)
        if new == CampaignStatus.SENDING and self.started_at is None:
            self.started_at = now
        if new in (CampaignStatus.DONE, CampaignStatus.CANCELLED):
            self.finished_at = now
            self.hold_until = None


class CampaignVariant(Base):
    """The text of a campaign in one language, with {placeholders}."""

    __tablename__ = "campaign_variants"
    __table_args__ = (UniqueConstraint("campaign_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"),
                                             index=True)
    language: Mapped[str] = mapped_column(String(8))
    body: Mapped[str] = mapped_column(Text)


class Recipient(Base):
    """One person in one campaign: the text they get, and what became of it."""

    __tablename__ = "campaign_recipients"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id"),
        Index("ix_campaign_recipients_claim", "campaign_id", "status", "id"),
        Index("ix_campaign_recipients_contact", "contact_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    phone: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(40))
    status: Mapped[RecipientStatus] = mapped_column(str_enum(RecipientStatus),
                                                    default=RecipientStatus.PENDING)
    body: Mapped[str | None] = mapped_column(Text)  # rendered when claimed: what was sent
    segments: Mapped[int | None]
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(String(20))  # RSVP keyword they answered
    replied_at: Mapped[datetime | None]
    # They answered this campaign with TD/退订/STOP (the report's "opted out after send").
    opted_out_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=DbNow())

    @classmethod
    def transition(cls, new: RecipientStatus, where: ColumnElement[bool],
                   **values: Any) -> Update:
        """An UPDATE moving the rows matched by `where` to `new`, only from allowed statuses."""
        sources = RECIPIENT_SOURCES[new]
        if not sources:
            raise InvalidTransition(f"no status may move to {new}")
        # OR of equalities, not IN: an expanding IN cannot be used with executemany.
        return (update(cls).where(where, or_(*(cls.status == s for s in sources)))
                .values(status=new, updated_at=DbNow(), **values))


COUNT_SHARDS = 16  # counter rows per campaign (notifications.campaigns.counts)


class CampaignCounts(Base):
    """How many of a campaign's recipients are in each status, kept by every move of a
    recipient (notifications.campaigns.counts) in the transaction that makes it, so lists
    of campaigns read a few rows each instead of grouping their recipients.

    Rows of their own, not columns of `campaigns`: a chunk's claim holds the campaign row
    shared while it moves recipients, and two claims could not both upgrade that lock to
    write a counter. A campaign has COUNT_SHARDS rows and its counts are their sums: each
    transaction adds its moves to one row picked at random, so callbacks of one campaign
    rarely wait for each other's commit (one row would make them all queue). A single row
    may hold negative numbers; only the sums mean anything. The rows are written with the
    recipients (materialising); a campaign without them has no counts."""

    __tablename__ = "campaign_counts"

    campaign_id: Mapped[int] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True)
    shard: Mapped[int] = mapped_column(primary_key=True, default=0)
    pending: Mapped[int] = mapped_column(default=0, server_default="0")
    sending: Mapped[int] = mapped_column(default=0, server_default="0")
    unknown: Mapped[int] = mapped_column(default=0, server_default="0")
    accepted: Mapped[int] = mapped_column(default=0, server_default="0")
    sent: Mapped[int] = mapped_column(default=0, server_default="0")
    delivered: Mapped[int] = mapped_column(default=0, server_default="0")
    undelivered: Mapped[int] = mapped_column(default=0, server_default="0")
    failed: Mapped[int] = mapped_column(default=0, server_default="0")
    opted_out: Mapped[int] = mapped_column(default=0, server_default="0")
    cancelled: Mapped[int] = mapped_column(default=0, server_default="0")


class ContactTag(Base):
    """A label on a contact ("henan", "construction", "training-2024"), for audiences."""

    __tablename__ = "contact_tags"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            primary_key=True)
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)
