"""Recording what workers send: contact, case, message and timeline, in the caller's transaction."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import Executable, Select, bindparam, exists, select, update
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from hotline.cases import (
    CONTINUE_WINDOW,
    INBOX_OPEN,
    attach_to_finished_case,
    open_case,
    open_case_for,
    open_case_with_flow,
    recently_finished_case,
)
from hotline.consent import first_text
from hotline.conversation import UNREAD, Unread, active_session, converse
from hotline.hours import hours_words, in_language, office_hours
from hotline.infra.clock import db_now
from hotline.phones import InvalidPhone
from hotline.replies import detect_language, say
from hotline.routing import after_worker_message
from hotline.sms_commands import ParsedKeyword, WorkerKeyword, parse_keyword, run_keyword
from ivr_flows.understand import read_message
from models import (
    OPEN_STATUSES,
    Case,
    Channel,
    Contact,
    Direction,
    EventKind,
    FlowSession,
    Message,
    MessageStatus,
    Purpose,
    Urgency,
    Volunteer,
    utcnow,
)
from notifications.campaigns.replies import (
    handle_campaign_reply,
    reach_since,
    recently_reached,
)
from notifications.segments import count_segments


class BadWebhook(ValueError):
    """A webhook missing a field Twilio always sends."""


# A Twilio SID: two capital letters, then letters and digits (32 hex digits in practice).
SID_SHAPE = re.compile(r"[A-Z]{2}[0-9A-Za-z]{1,62}")
TWILIO_FIELD_NAMES = ("Sid", "NumMedia", "NumSegments", "To", "From", "Body", "ApiVersion",
                      "MediaUrl", "MediaContentType", "Status", "OptOutType", "Account")


@dataclass(frozen=True)
class InboundSms:
    """The fields of Twilio's inbound-SMS webhook that the hotline uses."""

    sid: str
    from_raw: str
    to: str
    body: str
    media_urls: list[str] = field(default_factory=list)
    # The office whose text this answers, where the carrier says so (Alibaba's extend code):
    # a worker with a case in two offices lands on that office's case. None: by number only.
    office_id: int | None = None
    # The row the webhook stored this text in (ARRIVED), filled in as it is read; None: the
    # text is read in its webhook and its row written then.
    message_id: int | None = None

    @classmethod
    def from_form(cls, form: MultiDict[str, str]) -> InboundSms:
        """Read the webhook form; raise BadWebhook when MessageSid or From is missing.

        The message is named by MessageSid alone. Twilio's signature runs keys and values
        together, so a captured form can be re-cut (a key glued onto a neighbour's value) and
        still verify: a fallback to SmsSid, or a SID holding another field's name, would let
        such a replay pass for a new message."""
        sid = (form.get("MessageSid") or "").strip()
        if not SID_SHAPE.fullmatch(sid) or any(name in sid for name in TWILIO_FIELD_NAMES):
            raise BadWebhook("MessageSid missing or malformed")
        if form.get("SmsSid") not in (None, sid):  # Twilio sends both, always equal
            raise BadWebhook("SmsSid differs from MessageSid")
        if not form.get("From"):
            raise BadWebhook("From missing")
        try:
            num_media = min(int(form.get("NumMedia", "0") or 0), 10)
        except ValueError:
            num_media = 0
        media = [form[f"MediaUrl{i}"] for i in range(num_media) if form.get(f"MediaUrl{i}")]
        # NUL bytes are rejected by PostgreSQL text columns; nothing else is altered.
        body = (form.get("Body") or "").replace("\x00", "")
        return cls(sid=sid, from_raw=form["From"].replace("\x00", ""),
                   to=form.get("To", "").replace("\x00", ""), body=body, media_urls=media)


@dataclass
class IntakeResult:
    """What recording one inbound SMS did, and what must happen after commit."""

    message_id: int
    reply: str | None
    case_id: int | None = None
    case_number: int | None = None
    opened_case: bool = False
    urgent: bool = False
    duplicate: bool = False


def find_duplicate(session: Session, sid: str) -> IntakeResult | None:
    """The result of an already-recorded webhook with this MessageSid, if any."""
    msg = session.scalar(select(Message).where(Message.provider_sid == sid))
    if msg is None:
        return None
    return IntakeResult(message_id=msg.id, reply=msg.reply_body, case_id=msg.case_id,
                        duplicate=True)


def store_inbound(session: Session, sms: InboundSms, *, phone: str | None,
                  contact: Contact | None = None, case: Case | None = None,
                  volunteer_id: int | None = None, reply_body: str | None = None,
                  inbox_state: str | None = None, flush: bool = True) -> Message:
    """Add the inbound Message row (kept even when the sender cannot be parsed), or fill in
    the one the webhook stored; a reply known already is written in the same statement."""
    if sms.message_id is not None:
        return _fill_in(session, sms.message_id, phone=phone, contact=contact, case=case,
                        volunteer_id=volunteer_id, reply_body=reply_body,
                        inbox_state=inbox_state, flush=flush)
    seg = count_segments(sms.body)
    msg = Message(direction=Direction.INBOUND, purpose=Purpose.INTAKE,
                  status=MessageStatus.RECEIVED, provider_sid=sms.sid,
                  from_number=(phone or sms.from_raw)[:40], to_number=sms.to[:40],
                  body=sms.body, media_urls=sms.media_urls, segments=seg.segments,
                  encoding=seg.encoding, contact_id=contact.id if contact else None,
                  case_id=case.id if case else None,
                  volunteer_id=volunteer_id, reply_body=reply_body, inbox_state=inbox_state)
    session.add(msg)
    if flush:
        session.flush()
    return msg


def _fill_in(session: Session, message_id: int, *, phone: str | None, contact: Contact | None,
             case: Case | None, volunteer_id: int | None, reply_body: str | None,
             inbox_state: str | None, flush: bool) -> Message:
    msg = session.get(Message, message_id)  # loaded and locked by the reader already
    assert msg is not None
    if phone is not None:
        msg.from_number = phone[:40]
    msg.contact_id = contact.id if contact else None
    msg.case_id = case.id if case else None
    msg.volunteer_id = volunteer_id
    msg.reply_body = reply_body
    msg.inbox_state = inbox_state
    msg.mark_read()
    if flush:
        session.flush()
    return msg


class Worker(NamedTuple):
    """Who wrote: their contact, whether a campaign text reached them lately, and whether
    this text made them a contact (someone new has no case, flow or history to look up)."""

    contact: Contact
    reached: bool
    new: bool


def find_or_create_contact(session: Session, phone: str, language: str) -> Contact:
    """The contact with this E.164 number, created (and written) if new, locked for this
    transaction."""
    contact = find_or_create_worker(session, phone, language).contact
    if contact.id is None:
        session.flush()
    return contact


def find_or_create_worker(session: Session, phone: str, language: str) -> Worker:
    """The worker with this E.164 number, created if new and locked for this transaction: one
    statement, so the campaign-reply lookup runs only for the few who may be answering a
    campaign. A new worker is added but not written yet: the caller sets what their first
    text says of them (consent, last contact) and the next flush writes it in one INSERT."""
    row = session.execute(_worker_by_phone(),
                          {"phone": phone, "reach_since": reach_since()}).first()
    if row is not None:
        return Worker(row[0], bool(row[1]), new=False)
    return new_worker(session, phone, language)


def new_worker(session: Session, phone: str, language: str) -> Worker:
    """Someone texting for the first time: added, written with the caller's next flush."""
    contact = Contact(phone=phone, language=language)
    session.add(contact)
    return Worker(contact, reached=False, new=True)


def heard_from(session: Session, phone: str) -> Worker | None:
    """The known worker texting from this number, their last contact set to now and their
    row locked for this transaction, in one statement (an UPDATE returning the row); None
    for a number we do not know as a worker's, or a volunteer's (whose texts are commands)."""
    row = session.execute(_touch_worker(), {"number": phone, "reach_since": reach_since(),
                                            "now": utcnow()}).first()
    return Worker(row[0], bool(row[1]), new=False) if row is not None else None


@lru_cache(maxsize=1)
def _worker_by_phone() -> Select[Contact, bool]:
    # Built once: every text runs it, and building a statement costs more than running it.
    reached = recently_reached(Contact.id, bindparam("reach_since")).label("reached")
    return (select(Contact, reached).where(Contact.phone == bindparam("phone"))
            .with_for_update(of=Contact))


@lru_cache(maxsize=1)
def _touch_worker() -> Executable:
    # Built once. The UPDATE locks the row as SELECT ... FOR UPDATE would, and writes the
    # last contact the text makes: one round trip for what took two (and a third, the
    # volunteer lookup, for every worker: a volunteer's number matches no row here).
    reached = recently_reached(Contact.id, bindparam("reach_since")).label("reached")
    # (An UPDATE reserves its columns' names for parameters: the number is :number here.)
    volunteer = exists().where(Volunteer.phone == bindparam("number"))
    return (update(Contact).where(Contact.phone == bindparam("number"), ~volunteer)
            .values(last_contact_at=bindparam("now")).returning(Contact, reached)
            .execution_options(synchronize_session=False))


def record_unreadable_sender(session: Session, sms: InboundSms, error: InvalidPhone
                             ) -> IntakeResult:
    """A text whose sender is no phone number: kept as evidence, nobody to answer."""
    msg = store_inbound(session, sms, phone=None)
    msg.error_message = str(error)
    return IntakeResult(message_id=msg.id, reply=None)


def record_inbound_sms(session: Session, sms: InboundSms, phone: str, worker: Worker | None
                       ) -> IntakeResult:
    """Store a worker's SMS where it belongs and answer it; nothing is committed here.

    `worker`: who wrote, as `heard_from` found them (None: someone new). A command is
    answered; a text joins the worker's open case; thanks, a greeting or a question about the
    hotline itself with no open case opens none (staff inbox); a text soon after their case
    was finished lands on it (its volunteer is told); a problem or a request for help opens a
    case.
    """
    if worker is None:
        worker = new_worker(session, phone, detect_language(sms.body))
        worker.contact.last_contact_at = utcnow()
    contact, reached, new = worker
    language = detect_language(sms.body, default=contact.language)
    command = parse_keyword(sms.body)  # HELP, STOP/TD, START, STATUS 1024
    if command is None or command.keyword not in (WorkerKeyword.STOP, WorkerKeyword.START):
        first_text(session, contact)  # they agreed to be answered: implied consent on record
    if contact.id is None:  # someone new whose first word is STOP or START
        session.flush()
    if command is not None and command.keyword != WorkerKeyword.LANGUAGE:
        # Reply in the language the worker has been using with us, not that of "STOP".
        return record_command(session, sms, phone, contact, command, contact.language)
    running: FlowSession | None | Unread = None if new else UNREAD
    if reached:  # a campaign text reached them lately: this may answer it
        running = active_session(session, contact)
        campaign_reply = reply_to_campaign(session, contact, sms.body, running)
        if campaign_reply is not None:
            msg = store_inbound(session, sms, phone=phone, contact=contact,
                                reply_body=campaign_reply)
            return IntakeResult(message_id=msg.id, reply=campaign_reply)
    case: Case | None = None
    if not new:
        case, running = worker_case(session, contact, sms.office_id, running)
    if case is not None:
        return continue_case(session, sms, phone, contact, case, language, command,
                             running=running)
    if command is not None and command.argument:  # "EN" / "中文" with nothing open: no case
        contact.language = command.argument
        return keep_in_inbox(session, sms, phone, contact, command.argument, inbox=False)
    reading = read_message(sms.body) if command is None else None
    if reading is not None and reading.kind != "problem" and not new:
        finished = recently_finished_case(session, contact)
        if finished is not None:
            return write_on_finished(session, sms, phone, contact, finished, language,
                                     thanks=reading.kind == "pleasantry")
    if reading is not None and not reading.opens_case and not sms.media_urls:
        # "你们是骗子吧", "收费吗": the hotline answers who it is itself, no volunteer needed.
        about = "about_hours" if reading.asks_when else "about_us"
        return keep_in_inbox(session, sms, phone, contact, language,
                             reply=about if reading.kind == "about_us" else None)
    case = open_case(session, contact, Channel.SMS, language, summary=sms.body)
    return continue_case(session, sms, phone, contact, case, language, command, opened=True,
                         known=reading.answers if reading is not None else {},
                         running=running)


def worker_case(session: Session, contact: Contact, office_id: int | None,
                running: FlowSession | None | Unread
                ) -> tuple[Case | None, FlowSession | None | Unread]:
    """The open case a known worker's text continues (their case in the office the text
    answers, else their newest) and their SMS flow session, read with it where not read yet."""
    case = office_case(session, contact, office_id)
    if case is not None or running is not UNREAD:
        return case or open_case_for(session, contact), running
    found = open_case_with_flow(session, contact)
    return found if found is not None else (None, UNREAD)


def office_case(session: Session, contact: Contact, office_id: int | None) -> Case | None:
    """The worker's open case in the office their text answers, if they have one there."""
    if office_id is None:
        return None
    return session.scalar(select(Case).where(
        Case.contact_id == contact.id, Case.organisation_id == office_id,
        Case.status.in_(OPEN_STATUSES), Case.updated_at >= utcnow() - CONTINUE_WINDOW)
        .order_by(Case.id.desc()).limit(1))


def continue_case(session: Session, sms: InboundSms, phone: str, contact: Contact, case: Case,
                  language: str, command: ParsedKeyword | None, *, opened: bool = False,
                  known: dict[str, Any] | None = None,
                  running: FlowSession | None | Unread = UNREAD) -> IntakeResult:
    """Put the text on the (open or just opened) case and let the intake flow answer it."""
    # The 30-day window runs from the worker's last text (the database's clock, read once
    # per request: finding the open case read it already).
    case.updated_at = db_now(session)
    # The message is written once, with its reply: nothing is flushed until the flow has
    # answered (its reads need nothing of this text), and the timeline's events name the
    # message through the ORM, which writes it before them.
    msg = store_inbound(session, sms, phone=phone, contact=contact, case=case, flush=False)
    preview = sms.body if len(sms.body) <= 200 else sms.body[:200] + "…"
    case.log(EventKind.MESSAGE_IN, preview + (f" [+{len(sms.media_urls)} media]"
                                              if sms.media_urls else ""),
             actor="worker", data={"media_urls": sms.media_urls}).message = msg
    # Intake flow: the text answers the waiting question, or starts the flow.
    with session.no_autoflush:
        conv = converse(session, contact, case, "" if command else sms.body, language,
                        opened=opened, has_media=bool(sms.media_urls),
                        switch_to=command.argument if command else None, known=known,
                        running=running)
    msg.reply_body = conv.reply or say("case_opened" if opened else "case_followup", language,
                                       number=case.number)
    case.log(EventKind.REPLY, msg.reply_body).message = msg
    # Routing: forward to the assigned volunteer; detect collective disputes.
    after_worker_message(session, case, msg, answered=conv.answered, confirmed=conv.confirmed)
    if msg.id is None:
        session.flush()
    return IntakeResult(message_id=msg.id, reply=msg.reply_body, case_id=case.id,
                        case_number=case.number, opened_case=opened,
                        urgent=case.urgency == Urgency.URGENT)


def write_on_finished(session: Session, sms: InboundSms, phone: str, contact: Contact,
                      case: Case, language: str, *, thanks: bool) -> IntakeResult:
    """Thanks or more words soon after the case was finished: on that case, volunteer told."""
    msg = store_inbound(session, sms, phone=phone, contact=contact, case=case)
    attach_to_finished_case(session, case, msg)
    msg.reply_body = say("after_close_thanks" if thanks else "after_close_noted", language,
                         number=case.number)
    case.log(EventKind.REPLY, msg.reply_body, message_id=msg.id)
    return IntakeResult(message_id=msg.id, reply=msg.reply_body, case_id=case.id,
                        case_number=case.number)


def keep_in_inbox(session: Session, sms: InboundSms, phone: str, contact: Contact,
                  language: str, *, inbox: bool = True, reply: str | None = None) -> IntakeResult:
    """Thanks, a greeting, an emoji or a question about the hotline (answered with `reply`)
    from a worker with nothing open: no case, staff inbox (a bare language switch is answered
    like a greeting but needs no staff)."""
    if reply is None:  # a greeting: a worker we know is not told again what to text
        known = session.scalar(select(Case.id).where(Case.contact_id == contact.id).limit(1))
        reply = "pleasantry_known" if known is not None else "pleasantry_new"
    hours = hours_words(office_hours(), in_language(language)) if reply == "about_hours" else ""
    msg = store_inbound(session, sms, phone=phone, contact=contact,
                        inbox_state=INBOX_OPEN if inbox else None,
                        reply_body=say(reply, language, hours=hours))
    return IntakeResult(message_id=msg.id, reply=msg.reply_body)


def reply_to_campaign(session: Session, contact: Contact, body: str,
                      running: FlowSession | None) -> str | None:
    """A sign-up or re-check answer to a recent campaign, unless mid-intake (`running`: the
    worker's active SMS flow session).

    A worker answering an intake menu with "1" is answering the intake, not a training offer.
    """
    if running is not None and running.expires_at > utcnow():
        return None
    return handle_campaign_reply(session, contact, body)


def record_command(session: Session, sms: InboundSms, phone: str, contact: Contact,
                   command: ParsedKeyword, language: str) -> IntakeResult:
    """Store a worker's command (not case content) and answer it; opens no case."""
    done = run_keyword(session, contact, command, language)
    msg = store_inbound(session, sms, phone=phone, contact=contact, case=done.case,
                        reply_body=done.reply)
    return IntakeResult(message_id=msg.id, reply=done.reply,
                        case_id=done.case.id if done.case else None)
