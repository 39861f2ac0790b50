"""Web accounts (staff, admins, volunteers), the audit trail of reveals, and login attempts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from models.base import Base, DbNow, str_enum
from models.volunteer import Volunteer

if TYPE_CHECKING:
    from models.case import Case

MIN_PASSWORD_LENGTH = 10


class Role(enum.StrEnum):
    """What an account may do: admin ⊃ staff (own organisation); volunteer sees only its cases."""

    ADMIN = "admin"
    STAFF = "staff"
    VOLUNTEER = "volunteer"


class WeakPassword(ValueError):
    """A password too short to protect workers' data."""


class User(Base):
    """One person who logs in to the web console or the volunteer inbox."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(str_enum(Role))
    display_name: Mapped[str | None] = mapped_column(String(100))
    # A volunteer account acts as this volunteer (offers, cases); unique: one login per volunteer.
    volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"), unique=True)
    # Staff see the cases of their organisation; admins see every organisation's.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Staff on duty with a phone are texted when a case of their organisation escalates.
    phone: Mapped[str | None] = mapped_column(String(20))
    on_duty: Mapped[bool] = mapped_column(default=False, server_default=false())
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    last_login_at: Mapped[datetime | None]
    # Bumped by logout and by a new password: sessions made under an older version are dead.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")

    volunteer: Mapped[Volunteer | None] = relationship()

    def set_password(self, password: str) -> None:
        """Store a salted scrypt hash of `password` (never the password itself)."""
        if len(password) < MIN_PASSWORD_LENGTH:
            raise WeakPassword(f"password must have at least {MIN_PASSWORD_LENGTH} characters")
        self.password_hash = generate_password_hash(password)
        self.revoke_sessions()

    def revoke_sessions(self) -> None:
        """End every session of this account, wherever its cookie is (or was copied to)."""
        self.session_version = (self.session_version or 0) + 1

    def check_password(self, password: str) -> bool:
        """True when `password` matches the stored hash."""
        return check_password_hash(self.password_hash, password)

    @property
    def actor(self) -> str:
        """How this user is named on case timelines."""
        return f"user:{self.username}"

    @property
    def is_staff(self) -> bool:
        """Admins and staff run the console."""
        return self.role in (Role.ADMIN, Role.STAFF)

    # Flask-Login's protocol.
    @property
    def is_authenticated(self) -> bool:
        """Any loaded user is logged in."""
        return True

    @property
    def is_active(self) -> bool:
        """Disabled accounts cannot log in."""
        return self.active

    @property
    def is_anonymous(self) -> bool:
        """A real account is never anonymous."""
        return False

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session version, 'id:version'."""
        return f"{self.id}:{self.session_version or 0}"


class AuditAction(enum.StrEnum):
    """What a person saw or did that must be accountable later."""

    REVEAL_PHONE = "reveal_phone"
    PLAY_RECORDING = "play_recording"
    EXPORT_REPORT = "export_report"
    LOGIN = "login"
    # Staff's changes (a VARCHAR column without a CHECK: new values need no migration).
    EDIT_CASE = "edit_case"
    TRIAGE = "triage"
    MANAGE_USER = "manage_user"
    CHANGE_PASSWORD = "change_password"
    IMPORT_CONTACTS = "import_contacts"
    ERASE_CONTACT = "erase_contact"  # a worker's personal data erased on request
    EXPORT_CONTACT = "export_contact"  # everything held about a worker exported for them
    EXPORT_CONSENT = "export_consent"  # the consent log or opt-out list, for an auditor
    EXPORT_TEMPLATES = "export_templates"  # the SMS template drafts to submit to the carrier
    REGISTER_TEMPLATE = "register_template"  # an SMS template registered on the web page
    IMPORT_TEMPLATES = "import_templates"  # the carrier's review results imported on the web


class AuditLog(Base):
    """Who saw a worker's full number or recording (or exported data), and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=DbNow())
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    action: Mapped[AuditAction] = mapped_column(str_enum(AuditAction))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))
    ip: Mapped[str | None] = mapped_column(String(64))
    detail: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(lazy="joined")
    # Staff know a case by its number, never by its row id.
    case: Mapped[Case | None] = relationship(lazy="selectin")


class LoginAttempt(Base):
    """One try to log in; failures per account and address are counted to throttle guessing."""

    __tablename__ = "login_attempts"
    __table_args__ = (Index("ix_login_attempts_username_at", "username", "at"),
                      Index("ix_login_attempts_ip_at", "ip", "at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=DbNow())
    username: Mapped[str] = mapped_column(String(80))
    ip: Mapped[str] = mapped_column(String(64))
    success: Mapped[bool] = mapped_column(default=False)
