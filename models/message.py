"""SMS messages and phone calls, inbound and outbound, keyed by the provider's SID."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DbNow, str_enum


class Direction(enum.StrEnum):
    """Which way a message or call went."""

    INBOUND = "in"
    OUTBOUND = "out"


class MessageStatus(enum.StrEnum):
    """Delivery state of a message. `Message.advance` is the only place that changes it.

    Outbound (the send task writes each step before and after the provider call):

        QUEUED ──► SENDING ──► ACCEPTED ──► SENT ──► DELIVERED
                     │  │          │          └────► UNDELIVERED
                     │  │          └──────────────► FAILED
                     │  └──► FAILED (provider refused: opted out, invalid number)
                     └─────► UNKNOWN (timed out: it may have gone; never blindly resent)
                                ├──► ACCEPTED / SENT / DELIVERED / ... (a status callback, or
                                │    found at the provider by notifications.reconcile)
                                └──► QUEUED (the provider has no such message: `Message.resend`)

    A status only moves to a higher rank, so late or duplicated callbacks never downgrade it.
    SENDING may fall back to QUEUED only when the provider surely did not act (throttled,
    connection refused): `Message.requeue`.
    Inbound:

        ARRIVED ──► RECEIVED (read: who wrote, their case, the answer; hotline.arrivals)

    The SMS webhook stores a text ARRIVED and a worker reads it; a text read inside its
    webhook (Alibaba's pushes, or with SMS_READ_IN_WEBHOOK) is RECEIVED from the start.
    """

    QUEUED = "queued"
    SENDING = "sending"
    UNKNOWN = "unknown"
    ACCEPTED = "accepted"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    RECEIVED = "received"
    ARRIVED = "arrived"


STATUS_RANK = {
    MessageStatus.QUEUED: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 2,
    MessageStatus.ACCEPTED: 3,
    MessageStatus.SENT: 4,
    MessageStatus.DELIVERED: 5,
    MessageStatus.UNDELIVERED: 5,
    MessageStatus.FAILED: 5,
    MessageStatus.RECEIVED: 5,
    MessageStatus.ARRIVED: 5,  # read by hotline.arrivals, never by a status callback
}

class Purpose(enum.StrEnum):
    """Why an outbound message exists (inbound ones are INTAKE)."""

    INTAKE = "intake"
    REPLY = "reply"
    OFFER = "offer"
    RELAY = "relay"
    ALERT = "alert"
    CAMPAIGN = "campaign"


class Message(Base):
    """One SMS; outbound rows are written before the provider is called."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_status_created", "status", "created_at"),
        # The monthly report's month of texts, read from the index alone (who, which case).
        Index("ix_messages_month", "created_at", "direction", "case_id", "contact_id"),
        # The staff inbox reads only the open texts, newest first; a partial index keeps that
        # read the size of the inbox, not of every text ever received (a planner that has
        # statistics otherwise walks created_at backwards over years of texts).
        Index("ix_messages_inbox_open", "created_at",
              postgresql_where=text("inbox_state = 'open'"),
              sqlite_where=text("inbox_state = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    purpose: Mapped[Purpose] = mapped_column(str_enum(Purpose), default=Purpose.INTAKE)
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus))
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    from_number: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text, default="")
    media_urls: Mapped[list[str]] = mapped_column(default=list)
    segments: Mapped[int] = mapped_column(default=1)
    encoding: Mapped[str] = mapped_column(String(8), default="GSM-7")
    error_code: Mapped[int | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    # For inbound messages: what we answered, so a replayed webhook answers exactly the same.
    reply_body: Mapped[str | None] = mapped_column(Text)
    # A worker's text that named no problem (thanks, greetings) and opened no case: "open" in
    # the staff inbox until staff "dismissed" it or turned it into a "case"; None otherwise.
    inbox_state: Mapped[str | None] = mapped_column(String(16), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # The office an inbound text answers, where the carrier says so (Alibaba's extend code),
    # kept from its push until the text is read (hotline.arrivals); None: by number alone.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    # ix_messages_month leads with it: the monthly report reads one month of texts.
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    updated_at: Mapped[datetime] = mapped_column(default=DbNow(), onupdate=DbNow())

    def advance(self, new: MessageStatus, *, error_code: int | None = None,
                error_message: str | None = None) -> bool:
        """Move to `new` if it ranks higher than the current status; return whether it moved."""
        if STATUS_RANK[new] <= STATUS_RANK[self.status]:
            return False
        self.status = new
        if error_code is not None:
            self.error_code = error_code
        if error_message is not None:
            self.error_message = error_message
        return True

    def mark_read(self) -> None:
        """ARRIVED → RECEIVED: the text stored by the webhook has been read and answered."""
        if self.status == MessageStatus.ARRIVED:
            self.status = MessageStatus.RECEIVED

    def requeue(self) -> None:
        """Put a SENDING message back in the queue: only when the provider surely did not act."""
        if self.status != MessageStatus.SENDING:
            raise ValueError(f"message {self.id}: cannot requeue from {self.status}")
        self.status = MessageStatus.QUEUED

    def resend(self) -> None:
        """Queue an UNKNOWN message again: only once the provider said it never got it."""
        if self.status != MessageStatus.UNKNOWN:
            raise ValueError(f"message {self.id}: cannot resend from {self.status}")
        self.status = MessageStatus.QUEUED


class CallStatus(enum.StrEnum):
    """Twilio's call states, stored as they arrive (only forward, see CALL_RANK).

        QUEUED ──► RINGING ──► IN_PROGRESS ──► COMPLETED
                      └──► BUSY / NO_ANSWER / FAILED / CANCELED
    """

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"


CALL_RANK = {CallStatus.QUEUED: 0, CallStatus.RINGING: 1, CallStatus.IN_PROGRESS: 2}


class Call(Base):
    """One phone call through the hotline number."""

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction))
    status: Mapped[CallStatus] = mapped_column(str_enum(CallStatus), default=CallStatus.QUEUED)
    from_number: Mapped[str] = mapped_column(String(40))
    to_number: Mapped[str] = mapped_column(String(40))
    duration_s: Mapped[int | None]
    recording_url: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # Indexed for the monthly report, which reads one month of texts / calls.
    created_at: Mapped[datetime] = mapped_column(default=DbNow(), index=True)
    updated_at: Mapped[datetime] = mapped_column(default=DbNow(), onupdate=DbNow())

    def advance(self, new: CallStatus) -> bool:
        """Move forward only: a late 'ringing' never overwrites 'completed'."""
        terminal = self.status not in CALL_RANK
        if terminal or (new in CALL_RANK and CALL_RANK[new] <= CALL_RANK[self.status]):
            return False
        self.status = new
        return True


class WebhookReceipt(Base):
    """A webhook delivery already handled, by Twilio's I-Twilio-Idempotency-Token."""

    __tablename__ = "webhook_receipts"

    token: Mapped[str] = mapped_column(String(128), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "sms", "status", "voice", ...
    received_at: Mapped[datetime] = mapped_column(default=DbNow(), index=True)
