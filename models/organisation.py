"""Organisations: the home-county office, the city centre, a legal-aid partner.

Volunteers and staff belong to one; a case sits in one organisation's queue and can be
handed over to a partner's queue (origin and destination manage together).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DbNow


class Organisation(Base):
    """One office that runs a queue of cases with its own volunteers and on-duty staff."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[str | None] = mapped_column(String(60))  # e.g. 河南省固始县, 广东省珠海市
    # E.164 numbers of the staff on duty, texted when one of this queue's cases escalates.
    staff_numbers: Mapped[list[str]] = mapped_column(default=list)
    # Alibaba Cloud SMS: the extend code (SmsUpExtendCode, digits appended to the signature's
    # 106 port) this office's texts go out with, so a worker's reply names the office it
    # answers even when the worker is known to two offices. None: replies match by number only.
    sms_extend_code: Mapped[str | None] = mapped_column(String(12), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
