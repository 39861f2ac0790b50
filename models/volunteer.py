"""Volunteer responders and the offers of cases made to them."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, str_enum, utcnow


class Volunteer(Base):
    """A lawyer, social worker or fellow townsperson who answers cases on their own phone."""

    __tablename__ = "volunteers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    languages: Mapped[list[str]] = mapped_column(default=list)  # e.g. ["zh", "en", "henan"]
    skills: Mapped[list[str]] = mapped_column(default=list)  # CaseCategory values
    regions: Mapped[list[str]] = mapped_column(default=list)  # provinces/cities served
    home_province: Mapped[str | None] = mapped_column(String(40))
    capacity: Mapped[int] = mapped_column(default=3)
    on_duty: Mapped[bool] = mapped_column(default=False)
    last_offered_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OfferStatus(enum.StrEnum):
    """State of one offer of a case to one volunteer. `Offer.answer` is the only writer.

        PENDING ──► ACCEPTED
           ├──────► DECLINED
           ├──────► EXPIRED    (not answered in time)
           └──────► WITHDRAWN  (someone else accepted first, or staff took it back)
    """

    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


class Offer(Base):
    """A case offered to a volunteer by SMS; at most one per (case, volunteer)."""

    __tablename__ = "offers"
    __table_args__ = (UniqueConstraint("case_id", "volunteer_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    volunteer_id: Mapped[int] = mapped_column(ForeignKey("volunteers.id"), index=True)
    status: Mapped[OfferStatus] = mapped_column(str_enum(OfferStatus),
                                                default=OfferStatus.PENDING)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]

    volunteer: Mapped[Volunteer] = relationship(lazy="joined")

    def answer(self, new: OfferStatus) -> None:
        """Close a pending offer; answering a closed offer is an error."""
        if self.status != OfferStatus.PENDING or new == OfferStatus.PENDING:
            raise ValueError(f"offer {self.id} is {self.status}, cannot become {new}")
        self.status = new
        self.answered_at = utcnow()
