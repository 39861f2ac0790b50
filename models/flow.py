"""Intake-flow conversations in progress (voice calls and SMS threads) and voice-step replays."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DbNow, str_enum
from models.case import Channel


class FlowStatus(enum.StrEnum):
    """Where one run of an intake flow is. `FlowSession.finish` is the only place that changes it.

        ACTIVE ──► DONE        (reached an end node)
           └─────► ABANDONED   (caller hung up, or the SMS thread went quiet past expires_at)
    """

    ACTIVE = "active"
    DONE = "done"
    ABANDONED = "abandoned"


class FlowSession(Base):
    """One worker walking one intake flow on one channel: current node and answers so far."""

    __tablename__ = "flow_sessions"
    __table_args__ = (Index("ix_flow_sessions_contact_status", "contact_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[Channel] = mapped_column(str_enum(Channel))
    flow: Mapped[str] = mapped_column(String(40))
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # Voice only: Twilio's CallSid; one session per call.
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    status: Mapped[FlowStatus] = mapped_column(str_enum(FlowStatus), default=FlowStatus.ACTIVE)
    node: Mapped[str] = mapped_column(String(60))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    answers: Mapped[dict[str, Any]] = mapped_column(default=dict)
    retries: Mapped[int] = mapped_column(default=0)
    # Voice only: number of the next step Twilio is expected to request (see FlowStep).
    seq: Mapped[int] = mapped_column(default=0)
    expires_at: Mapped[datetime]
    routed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    updated_at: Mapped[datetime] = mapped_column(default=DbNow(), onupdate=DbNow())

    @property
    def active(self) -> bool:
        """True while the flow still waits for the worker."""
        return self.status == FlowStatus.ACTIVE

    def finish(self, status: FlowStatus) -> bool:
        """Leave ACTIVE for DONE or ABANDONED; return False when it had already ended."""
        if status == FlowStatus.ACTIVE:
            raise ValueError("a flow session cannot be reactivated")
        if self.status != FlowStatus.ACTIVE:
            return False
        self.status = status
        return True


class FlowStep(Base):
    """The TwiML answered for step `step` of a call, so a Twilio retry gets the same answer."""

    __tablename__ = "flow_steps"
    __table_args__ = (UniqueConstraint("call_sid", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64))
    step: Mapped[int]
    node: Mapped[str] = mapped_column(String(60))
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
