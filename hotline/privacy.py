"""A worker's rights over their data: export everything held, erase it on request, and the
retention period after which finished cases are anonymised on their own.

Erasure keeps every row that a funder's figure counts (the contact, its cases with category,
amounts and satisfaction, the count of messages and calls) and removes what identifies the
person or repeats their words: number, name, texts in both directions, recordings (deleted at
the provider first, so a failure there leaves nothing half done here), employer, the place as
they said it, the intake's detail answers, and notes on the timeline.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import shared_task
from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from hotline.consent import withdraw
from hotline.infra.db import get_db
from models import (
    Call,
    Case,
    CaseEvent,
    ConsentEvent,
    Contact,
    EventKind,
    FlowSession,
    FlowStep,
    Message,
    utcnow,
)
from models.campaign import ContactTag, Recipient
from models.user import AuditLog
from notifications.providers import ProviderError, RecordingStore, get_provider

ERASED = "（已删除）"
# Timeline entries whose text is only the system's own words; the rest carry people's words.
SYSTEM_KINDS = frozenset({EventKind.STATUS, EventKind.OFFER, EventKind.OFFER_ANSWER,
                          EventKind.ROUTING, EventKind.TRANSFER, EventKind.COLLECTIVE,
                          EventKind.SURVEY})
# Keys of a system entry's data that figures read (status moves, outcomes, survey scores).
KEPT_DATA = frozenset({"from", "to", "outcome", "score", "round", "organisation_id",
                       "from_organisation_id", "to_organisation_id", "urgent", "category",
                       "satisfaction"})


# How far back past the recording period the daily run looks for recorded answers.
RECORDING_WINDOW = timedelta(days=30)


class RecordingNotDeleted(RuntimeError):
    """The provider refused or failed to delete a recording: nothing was erased here."""


@dataclass
class ErasureReport:
    """What an erasure or anonymisation removed, in counts (nothing personal)."""

    contacts: int = 0
    cases: int = 0
    messages: int = 0
    calls: int = 0
    events: int = 0
    recordings_deleted: int = 0
    recordings_kept_by_provider: int = 0  # a provider without a recording API: cleared here only
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        """The counts, for the CLI and the audit log."""
        return {k: v for k, v in self.__dict__.items() if isinstance(v, int)}


def phone_variants(phone: str) -> list[str]:
    """The forms a stored number may take in free text: +8613800138000, 13800138000."""
    digits = re.sub(r"\D", "", phone)
    national = digits[2:] if digits.startswith("86") else digits
    return [v for v in {phone, digits, national} if len(v) >= 5]


def scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    """`text` with every secret (number, name, employer) replaced by the erased marker."""
    if not text:
        return text
    for secret in sorted({s for s in secrets if s and len(s) >= 2}, key=len, reverse=True):
        text = text.replace(secret, ERASED)
    return text


def find_contact(session: Session, phone: str) -> Contact | None:
    """The contact with this E.164 number, locked for the erasure."""
    return session.scalar(select(Contact).where(Contact.phone == phone).with_for_update())


def recording_urls(session: Session, case_ids: list[int], call_ids: list[int]) -> set[str]:
    """Every recording URL held for these cases and calls (voicemails, recorded answers)."""
    urls: set[str] = set()
    if call_ids:
        urls |= {u for u in session.scalars(select(Call.recording_url).where(
            Call.id.in_(call_ids))) if u}
    if case_ids:
        urls |= {u for u in session.scalars(select(Case.voicemail_url).where(
            Case.id.in_(case_ids))) if u}
        for data in session.scalars(select(CaseEvent.data).where(
                CaseEvent.case_id.in_(case_ids), CaseEvent.kind == EventKind.CALL)):
            if isinstance(data, dict) and data.get("recording_url"):
                urls.add(str(data["recording_url"]))
    return urls


def delete_recordings(urls: set[str], report: ErasureReport) -> None:
    """Delete recordings at the provider; RecordingNotDeleted stops the erasure before it writes."""
    if not urls:
        return
    provider = get_provider()
    if not isinstance(provider, RecordingStore):
        report.recordings_kept_by_provider += len(urls)
        report.notes.append("this provider keeps no recordings we can delete; links cleared")
        return
    for url in sorted(urls):
        try:
            provider.delete_recording(url)
        except ProviderError as exc:
            raise RecordingNotDeleted(f"the provider did not delete a recording: {exc}") from exc
        report.recordings_deleted += 1


def anonymise_cases(session: Session, cases: list[Case], secrets: list[str],
                    report: ErasureReport) -> None:
    """Remove the personal content of these cases, keeping what the figures count."""
    now = utcnow()
    case_ids = [c.id for c in cases]
    for case in cases:
        secrets_here = [*secrets, case.employer or "", case.place_said or ""]
        case.summary = case.employer = case.employer_key = case.place_said = None
        case.voicemail_url = None
        case.details, case.legal_reminders = {}, {}
        case.anonymised_at = now
        report.cases += 1
        for event in session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)):
            anonymise_event(event, secrets_here)
            report.events += 1
    if not case_ids:
        return
    report.messages += erase_messages(session, Message.case_id.in_(case_ids))
    calls = list(session.scalars(select(Call).where(Call.case_id.in_(case_ids))))
    erase_calls(session, calls)
    report.calls += len(calls)
    session.execute(update(FlowSession).where(FlowSession.case_id.in_(case_ids))
                    .values(answers={}))


def anonymise_event(event: CaseEvent, secrets: list[str]) -> None:
    """A timeline entry without people's words: system lines keep their facts, others go."""
    if event.kind in SYSTEM_KINDS:
        if event.kind == EventKind.STATUS and "from" in event.data and "to" in event.data:
            event.text = f"{event.data['from']} → {event.data['to']}"
        else:
            event.text = scrub(event.text, secrets) or ""
        event.data = {k: v for k, v in (event.data or {}).items() if k in KEPT_DATA}
    else:
        event.text = ERASED
        event.data = {}


def erase_messages(session: Session, where: Any) -> int:
    """Blank the words and numbers of the messages matching `where`; return how many."""
    result = session.execute(update(Message).where(where).values(
        body="", reply_body=None, media_urls=[], error_message=None,
        from_number="erased", to_number="erased"))
    return int(getattr(result, "rowcount", 0) or 0)


def erase_calls(session: Session, calls: list[Call]) -> None:
    """Blank the numbers and recording links of these calls and their stored voice steps."""
    sids = [c.sid for c in calls]
    for call in calls:
        call.from_number = call.to_number = "erased"
        call.recording_url = None
    if sids:
        session.execute(update(FlowStep).where(FlowStep.call_sid.in_(sids)).values(response=""))


def erase_contact(session: Session, contact: Contact) -> ErasureReport:
    """Erase one worker's personal data (see the module docstring); the caller commits."""
    report = ErasureReport()
    phone = contact.phone
    secrets = [*phone_variants(phone), contact.name or ""]
    cases = list(session.scalars(select(Case).where(Case.contact_id == contact.id)
                                 .with_for_update()))
    case_ids = [c.id for c in cases]
    calls = list(session.scalars(select(Call).where(or_(
        Call.contact_id == contact.id, Call.from_number == phone, Call.to_number == phone))))
    delete_recordings(recording_urls(session, case_ids, [c.id for c in calls]), report)
    anonymise_cases(session, cases, secrets, report)
    report.messages += erase_messages(session, or_(
        Message.contact_id == contact.id, Message.from_number == phone,
        Message.to_number == phone))
    erase_calls(session, calls)
    report.calls += len(calls)
    session.execute(update(FlowSession).where(FlowSession.contact_id == contact.id)
                    .values(answers={}))
    session.execute(update(Recipient).where(or_(
        Recipient.contact_id == contact.id, Recipient.phone == phone)).values(
        phone=f"erased-{contact.id}", body=None, error_message=None))
    session.execute(delete(ContactTag).where(ContactTag.contact_id == contact.id))
    session.execute(update(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
                    .values(evidence=None))
    # The consent log keeps, without evidence, that this contact's consent ended here.
    withdraw(session, contact, "erased on request", None)
    for entry in session.scalars(select(AuditLog).where(AuditLog.detail.is_not(None))):
        if any(v in (entry.detail or "") for v in phone_variants(phone)):
            entry.detail = scrub(entry.detail, secrets)
    contact.phone = f"erased-{contact.id}"
    contact.name = None
    contact.opt_out()  # the number is gone; never in an audience again (withdraw did it too)
    contact.erased_at = utcnow()
    report.contacts = 1
    return report


def export_contact(session: Session, contact: Contact) -> dict[str, Any]:
    """Everything held about one worker, readable (their right of access)."""
    cases = list(session.scalars(select(Case).where(Case.contact_id == contact.id)
                                 .order_by(Case.id)))
    case_ids = [c.id for c in cases]
    messages = session.scalars(select(Message).where(or_(
        Message.contact_id == contact.id, Message.from_number == contact.phone,
        Message.to_number == contact.phone, Message.case_id.in_(case_ids)))
        .order_by(Message.id))
    calls = session.scalars(select(Call).where(or_(
        Call.contact_id == contact.id, Call.from_number == contact.phone,
        Call.case_id.in_(case_ids))).order_by(Call.id))
    consent = session.scalars(select(ConsentEvent).where(ConsentEvent.contact_id == contact.id)
                              .order_by(ConsentEvent.id))
    sends = session.scalars(select(Recipient).where(Recipient.phone == contact.phone)
                            .order_by(Recipient.id))
    return {
        "exported_at": _iso(utcnow()),
        "contact": {
            "phone": contact.phone, "name": contact.name, "language": contact.language,
            "home_province": contact.home_province, "work_province": contact.work_province,
            "work_city": contact.work_city, "first_contact": _iso(contact.created_at),
            "last_contact": _iso(contact.last_contact_at),
            "opted_out_of_bulk_sms": _iso(contact.opted_out_at),
            "consent_to_bulk_sms": _iso(contact.consent_at),
            "consent_source": contact.consent_source,
        },
        "consent_history": [{"at": _iso(e.at), "action": e.action, "source": e.source}
                            for e in consent],
        "cases": [_case_export(session, case) for case in cases],
        "messages": [{"at": _iso(m.created_at), "direction": str(m.direction),
                      "purpose": str(m.purpose), "case_number": _number(cases, m.case_id),
                      "text": m.body, "status": str(m.status)} for m in messages],
        "calls": [{"at": _iso(c.created_at), "direction": str(c.direction),
                   "duration_seconds": c.duration_s, "case_number": _number(cases, c.case_id),
                   "recording": c.recording_url} for c in calls],
        "bulk_sms_received": [{"campaign_id": r.campaign_id, "text": r.body,
                               "status": str(r.status), "reply": r.reply} for r in sends],
    }


def _case_export(session: Session, case: Case) -> dict[str, Any]:
    events = session.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id)
                             .order_by(CaseEvent.id))
    return {
        "number": case.number, "opened": _iso(case.created_at), "closed": _iso(case.closed_at),
        "status": str(case.status), "category": str(case.category),
        "employer": case.employer, "place_as_said": case.place_said,
        "work_province": case.work_province, "work_city": case.work_city,
        "amount_owed": str(case.amount_owed) if case.amount_owed is not None else None,
        "months_unpaid": case.months_unpaid, "people_affected": case.people_affected,
        "amount_recovered": (str(case.amount_recovered)
                             if case.amount_recovered is not None else None),
        "details": case.details, "summary": case.summary, "voicemail": case.voicemail_url,
        "satisfaction": case.satisfaction,
        "timeline": [{"at": _iso(e.at), "kind": str(e.kind), "text": e.text} for e in events],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _number(cases: list[Case], case_id: int | None) -> int | None:
    return next((c.number for c in cases if c.id == case_id), None)


def retention_cutoffs(now: datetime, case_months: int, recording_days: int
                      ) -> tuple[datetime, datetime]:
    """(cases closed before this are anonymised, recordings made before this are deleted)."""
    return now - timedelta(days=round(case_months * 30.44)), now - timedelta(days=recording_days)


def apply_retention(session: Session, now: datetime, case_months: int, recording_days: int,
                    batch: int = 200) -> ErasureReport:
    """Anonymise cases closed longer ago than the retention period and delete recordings past
    theirs (a batch per run; the beat runs it daily, so a backlog drains over a few runs)."""
    case_cut, rec_cut = retention_cutoffs(now, case_months, recording_days)
    report = ErasureReport()
    old_calls = list(session.scalars(select(Call).where(
        Call.recording_url.is_not(None), Call.created_at < rec_cut).limit(batch)))
    old_voicemail = list(session.scalars(select(Case).where(
        Case.voicemail_url.is_not(None), Case.created_at < rec_cut).limit(batch)))
    urls = {c.recording_url for c in old_calls if c.recording_url}
    urls |= {c.voicemail_url for c in old_voicemail if c.voicemail_url}
    # Recorded intake answers live in the data of CALL entries; those that just passed the
    # period are looked at (a window, so the daily run never rescans years of entries).
    answered = list(session.scalars(select(CaseEvent).where(
        CaseEvent.kind == EventKind.CALL, CaseEvent.at < rec_cut,
        CaseEvent.at >= rec_cut - RECORDING_WINDOW)))
    answered = [e for e in answered if isinstance(e.data, dict) and e.data.get("recording_url")]
    urls |= {str(e.data["recording_url"]) for e in answered}
    delete_recordings(urls, report)
    for event in answered:
        event.data = {k: v for k, v in event.data.items() if k != "recording_url"}
    for call in old_calls:
        call.recording_url = None
    for case in old_voicemail:
        case.voicemail_url = None
    expired = list(session.scalars(select(Case).where(
        Case.closed_at.is_not(None), Case.closed_at < case_cut, Case.anonymised_at.is_(None))
        .order_by(Case.id).limit(batch).with_for_update(skip_locked=True)))
    for case in expired:
        secrets = [*phone_variants(case.contact.phone), case.contact.name or ""]
        delete_recordings(recording_urls(session, [case.id], []), report)
        anonymise_cases(session, [case], secrets, report)
    return report


def run_retention() -> dict[str, int]:
    """One retention pass with the configured periods, committed."""
    cfg = current_app.config
    with get_db().begin() as session:
        report = apply_retention(session, utcnow(), int(cfg["RETENTION_MONTHS"]),
                                 int(cfg["RECORDING_RETENTION_DAYS"]))
    return report.as_dict()


@shared_task(name="hotline.privacy.retention")
def retention() -> dict[str, int]:
    """Celery beat task (daily): anonymise expired cases and delete old recordings."""
    return run_retention()
