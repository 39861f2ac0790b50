"""A migrant worker who has called or texted the hotline (or been imported for service SMS)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DbNow, object_now


class Contact(Base):
    """A worker, keyed by E.164 phone number; their number is never shown to volunteers."""

    __tablename__ = "contacts"
    # Few of 400,000 contacts opt out: a partial index finds them (the opt-out list, newest
    # first) without the imported ones who never did.
    __table_args__ = (Index("ix_contacts_opted_out_at", "opted_out_at",
                            postgresql_where=text("opted_out_at IS NOT NULL"),
                            sqlite_where=text("opted_out_at IS NOT NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(100))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    home_province: Mapped[str | None] = mapped_column(String(40))
    work_province: Mapped[str | None] = mapped_column(String(40))
    work_city: Mapped[str | None] = mapped_column(String(60))
    opted_out_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    last_contact_at: Mapped[datetime | None]
    # Campaigns (notifications.campaigns.compose): IANA zone for quiet hours (None = the configured
    # default, Asia/Shanghai); the six-monthly re-check marks a number verified or stale.
    timezone: Mapped[str | None] = mapped_column(String(40))
    verified_at: Mapped[datetime | None]
    stale_at: Mapped[datetime | None]
    # Consent to bulk SMS on record (the latest given; ConsentEvent keeps every step as evidence)
    consent_at: Mapped[datetime | None]
    consent_source: Mapped[str | None] = mapped_column(String(120))
    erased_at: Mapped[datetime | None]  # personal data erased on request (hotline.privacy)

    @property
    def opted_out(self) -> bool:
        """True once the worker has asked for no bulk messages."""
        return self.opted_out_at is not None

    def opt_out(self) -> None:
        """Record that the worker asked for no more bulk SMS (keeps the first time)."""
        if self.opted_out_at is None:
            self.opted_out_at = object_now(self)

    def opt_in(self) -> None:
        """Record that the worker asked to receive bulk SMS again."""
        self.opted_out_at = None


class ConsentEvent(Base):
    """One step of a worker's consent to bulk SMS, kept as evidence for an auditor.

    action: "given" (texted the hotline, imported with a stated source, START/订阅) or
    "withdrawn" (STOP/退订, a carrier's opted-out report).
    """

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            index=True)
    at: Mapped[datetime] = mapped_column(default=DbNow(), index=True)
    action: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(120))
    evidence: Mapped[str | None] = mapped_column(Text)


class ContactOrganisation(Base):
    """An organisation that imported a contact: its staff may put them in a campaign audience.

    A link table, not a column: two offices may both have the same worker on their lists.
    """

    __tablename__ = "contact_organisations"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"),
                                            primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True)
