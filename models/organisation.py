"""Organisations: the home-county office, the city centre, a legal-aid partner.

Volunteers and staff belong to one; a case sits in one organisation's queue and can be
transferred to a partner's queue (origin and destination manage together).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class Organisation(Base):
    """One office that runs a queue of cases with its own volunteers and on-duty staff."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    region: Mapped[str | None] = mapped_column(String(60))  # e.g. 河南省固始县, 广东省珠海市
    # E.164 numbers of the staff on duty, texted when one of this queue's cases escalates.
    staff_numbers: Mapped[list[str]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
