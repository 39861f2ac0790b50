"""Carrier templates: the pre-approved texts a domestic Chinese SMS provider will carry.

On Alibaba Cloud SMS (and Tencent Cloud SMS) every message is a template the carrier approved,
sent under a registered 【签名】 with named parameters; free text is refused. One row is one
template as registered at the carrier, with the text the hotline renders it as, so that a
rendered body can be matched back to its template and parameters.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, DbNow, str_enum


class TemplateKind(enum.StrEnum):
    """The carrier's class of template: service notices, or promotional (opt-out wording)."""

    NOTIFICATION = "notification"
    PROMOTIONAL = "promotional"


class TemplateApproval(enum.StrEnum):
    """Where the carrier's review of a template stands; only approved ones are sent."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class SmsTemplate(Base):
    """One template registered at a carrier: its code, kind, text with ${name} parameters,
    signature and approval; organisation_id None means every office may use it."""

    __tablename__ = "sms_templates"
    __table_args__ = (UniqueConstraint("provider", "code", name="uq_sms_templates_provider_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))  # "alibaba"
    code: Mapped[str] = mapped_column(String(40))  # the carrier's TemplateCode, SMS_123456789
    # What the hotline uses it for: a reply key ("offer", "relay_notice"...) or "campaign".
    purpose: Mapped[str] = mapped_column(String(40), index=True)
    kind: Mapped[TemplateKind] = mapped_column(str_enum(TemplateKind),
                                               default=TemplateKind.NOTIFICATION)
    text: Mapped[str] = mapped_column(Text)  # e.g. "新案件 #${number} ${category} 回复 Y${number}"
    signature: Mapped[str] = mapped_column(String(20))  # SignName, without 【】
    approval: Mapped[TemplateApproval] = mapped_column(str_enum(TemplateApproval),
                                                       default=TemplateApproval.PENDING)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
