"""Opening, attaching, reopening and sorting cases: the one place a case comes into being.

A case is a person's problem. A worker's "谢谢" or "新年快乐" opens none (it waits in the
staff inbox); a worker writing shortly after their case was finished lands on that case and
its volunteer is told; a case nobody has said the problem of is never offered to volunteers:
it waits in the staff triage queue until staff (or the worker's own answers) sort it.
Nothing here commits; routing is enqueued after commit (hotline.routing.after_commit).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, bindparam, false, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, joinedload

from hotline.escalation import alert_staff
from hotline.infra.clock import db_now
from hotline.offers import reset_rounds
from hotline.organisations import settle_organisation
from hotline.outbox import queue_sms, route_after_commit, send_after_commit
from hotline.replies import detect_language, say
from ivr_flows.fields import apply_answer, province_dialect
from models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseStatus,
    Channel,
    Contact,
    EventKind,
    FlowSession,
    FlowStatus,
    Message,
    Organisation,
    Purpose,
    Urgency,
    User,
    Volunteer,
)

# Bodies longer than this are kept whole in the message, but only this much goes in the summary.
SUMMARY_CHARS = 500
# A worker texting or calling again within this time continues their open case.
CONTINUE_WINDOW = timedelta(days=30)
FINISHED_STATUSES = frozenset({CaseStatus.RESOLVED, CaseStatus.REFERRED, CaseStatus.CLOSED})
QUEUE_LIMIT = 200  # rows of a staff queue page
INBOX_OPEN, INBOX_DISMISSED, INBOX_CASE = "open", "dismissed", "case"


# --- opening and finding ----------------------------------------------------------------

def open_case_for(session: Session, contact: Contact, within: timedelta | None = CONTINUE_WINDOW
                  ) -> Case | None:
    """The worker's most recent open case active `within` the window, if they have one (with
    its volunteer, whom a text on it is forwarded to)."""
    if within is None:
        return session.scalar(_open_case_of(False), {"contact_id": contact.id})
    return session.scalar(_open_case_of(True), {"contact_id": contact.id,
                                                "since": db_now(session) - within})


@lru_cache(maxsize=2)
def _open_case_of(windowed: bool) -> Select[Case]:
    # Built once (every text runs it): the newest open case of :contact_id, updated since
    # :since when windowed, with its volunteer.
    query = (select(Case).where(Case.contact_id == bindparam("contact_id"),
                                Case.status.in_(OPEN_STATUSES))
             .options(joinedload(Case.assigned_volunteer)))
    if windowed:
        query = query.where(Case.updated_at >= bindparam("since"))
    return query.order_by(Case.id.desc()).limit(1)


def open_case_with_flow(session: Session, contact: Contact
                        ) -> tuple[Case, FlowSession | None] | None:
    """`open_case_for` with, in the same query, the worker's ACTIVE SMS flow session (expired
    or not, on this case or another): the two lookups every text on a case needs. The session
    row is not locked on its own: the caller holds the worker's contact row, which every
    writer of their SMS sessions takes first."""
    row = session.execute(_open_case_with_flow(), {"contact_id": contact.id,
                                                   "since": db_now(session) - CONTINUE_WINDOW}
                          ).first()
    return (row[0], row[1]) if row is not None else None


@lru_cache(maxsize=1)
def _open_case_with_flow() -> Select[Case, FlowSession]:
    # Built once, like _open_case_of: its newest case, then its newest active SMS session.
    flow = and_(FlowSession.contact_id == Case.contact_id, FlowSession.channel == Channel.SMS,
                FlowSession.status == FlowStatus.ACTIVE)
    return (select(Case, FlowSession).outerjoin(FlowSession, flow)
            .where(Case.contact_id == bindparam("contact_id"), Case.status.in_(OPEN_STATUSES),
                   Case.updated_at >= bindparam("since"))
            .options(joinedload(Case.assigned_volunteer))
            .order_by(Case.id.desc(), FlowSession.id.desc()).limit(1))


def open_case(session: Session, contact: Contact, channel: Channel, language: str, *,
              summary: str | None = None, like: Case | None = None) -> Case:
    """Open a new NEW case for the worker (SMS, phone or staff); `like`: the worker's case
    this one was split from on a call, whose place, dialect and office it shares."""
    case = Case(contact_id=contact.id, channel=channel, language=language,
                summary=(summary or "")[:SUMMARY_CHARS] or None, status=CaseStatus.NEW,
                work_city=like.work_city if like else contact.work_city,
                work_province=like.work_province if like else contact.work_province,
                dialect=like.dialect if like else province_dialect(contact.home_province))
    session.add(case)
    session.flush()
    case.assign_number()
    if like is not None:
        case.log(EventKind.STATUS, f"case opened by phone call (a new problem; the worker's "
                 f"case #{like.number} stays as it is)", data={"to": str(CaseStatus.NEW)})
        case.organisation_id = like.organisation_id  # same worker, same office
        return case
    case.log(EventKind.STATUS, "case opened by SMS" if channel == Channel.SMS
             else "case opened by phone call" if channel == Channel.VOICE
             else "case opened by staff", data={"to": str(CaseStatus.NEW)})

    # Its queue, by where the worker works; a case opened just now was never handed over
    # nor offered, so those facts need no query.
    settle_organisation(session, case, facts=(False, 0))
    return case


def recent_closed_days() -> int:
    """RECENT_CLOSED_DAYS: how long after a case is finished the worker's texts land on it."""
    return int(current_app.config.get("RECENT_CLOSED_DAYS", 30))


def recently_finished_case(session: Session, contact: Contact) -> Case | None:
    """The worker's case finished (resolved, referred or closed) within RECENT_CLOSED_DAYS."""
    since = db_now(session) - timedelta(days=recent_closed_days())
    finished_at = func.coalesce(Case.closed_at, Case.updated_at)
    return session.scalar(select(Case).where(
        Case.contact_id == contact.id, Case.status.in_(FINISHED_STATUSES), finished_at >= since)
        .order_by(finished_at.desc(), Case.id.desc()).limit(1).with_for_update())


def attach_to_finished_case(session: Session, case: Case, message: Message) -> list[int]:
    """Put a worker's later text on their finished case and tell its volunteer by SMS (the case
    number, never the worker's number); with no volunteer, the text waits in the staff inbox.
    The case is not reopened: its volunteer or staff decide that. Returns the SMS ids."""
    message.case_id = case.id
    preview = message.body if len(message.body) <= 200 else message.body[:200] + "…"
    case.log(EventKind.MESSAGE_IN, preview, actor="worker", message_id=message.id,
             data={"media_urls": list(message.media_urls or [])})
    case.log(EventKind.NOTE, f"the worker wrote after the case was {case.status}; "
             "it stays as it is until someone reopens it", data={"status": str(case.status)})
    volunteer = (session.get(Volunteer, case.assigned_volunteer_id)
                 if case.assigned_volunteer_id else None)
    if volunteer is None:
        message.inbox_state = INBOX_OPEN
        return []
    lang = volunteer.reply_language
    sms = queue_sms(session, to=volunteer.phone, purpose=Purpose.ALERT, case=case,
                    volunteer_id=volunteer.id,
                    body=say("worker_wrote_after_close", lang, number=case.number))
    send_after_commit(session, [sms.id])
    return [sms.id]


# --- reopening ------------------------------------------------------------------------------

def reopen_case(session: Session, case: Case, actor: str) -> None:
    """Reopen a finished case: back to its volunteer (IN_PROGRESS) if they reopen it or are on
    duty, else NEW and routed again after commit; sets reopened_at. Raises ValueError if open."""
    if case.status not in FINISHED_STATUSES:
        raise ValueError(f"case {case.number} is {case.status}; only a finished case reopens")
    volunteer = (session.get(Volunteer, case.assigned_volunteer_id)
                 if case.assigned_volunteer_id else None)
    keeps = volunteer is not None and still_active(session, volunteer) and (
        actor == f"volunteer:{volunteer.id}" or volunteer.on_duty)
    case.closed_at = None
    case.reopened_at = case.last_activity_at = db_now(session)
    case.reminded_at = None
    if keeps:
        case.move_to(CaseStatus.IN_PROGRESS, actor=actor, note="reopened", reopen=True)
        return
    case.assigned_volunteer_id = None
    reset_rounds(session, case)
    case.move_to(CaseStatus.NEW, actor=actor, note="reopened; its volunteer is not on duty",
                 reopen=True)
    case.last_enqueued_at = db_now(session)
    route_after_commit(session, case)


def still_active(session: Session, volunteer: Volunteer) -> bool:
    """False once the volunteer's web account was disabled (they left the hotline)."""
    return session.scalar(select(User.id).where(User.volunteer_id == volunteer.id,
                                                User.active.is_(False)).limit(1)) is None


# --- triage: cases nobody has said the problem of ----------------------------------------------

def needs_triage(case: Case) -> bool:
    """True when nobody has said what the problem is: such a case is never offered."""
    return case.category == CaseCategory.UNKNOWN


def send_to_triage(session: Session, case: Case) -> bool:
    """Put the case in the staff triage queue (once); staff are texted only if it is urgent.
    Returns True the first time."""
    if case.triage_at is not None:
        return False
    case.triage_at = db_now(session)
    case.log(EventKind.ROUTING, "waiting for staff to sort: the worker has not said what the "
             "problem is, so no volunteer is asked yet", data={"triage": True})
    if case.urgency == Urgency.URGENT:
        alert_staff(session, case, "staff_triage")
    return True


def categorise(session: Session, case: Case, category: CaseCategory | str, actor: str) -> None:
    """Staff name the problem: category and urgency as the intake flow sets them, out of the
    triage queue, and routed after commit when the case is waiting (NEW)."""
    category = CaseCategory(category)
    if category == CaseCategory.UNKNOWN:
        raise ValueError("a case is sorted into a known problem, not 'unknown'")
    previous = case.category
    apply_answer(case, "category", str(category))
    was_waiting = case.triage_at is not None
    case.triage_at = None
    case.log(EventKind.NOTE, f"sorted as {category}" + (f" (was {previous})"
                                                       if previous != CaseCategory.UNKNOWN
                                                       else ""),
             actor=actor, data={"category": str(category), "from": str(previous),
                                "from_triage": was_waiting})
    if case.status == CaseStatus.NEW:
        case.last_enqueued_at = db_now(session)
        route_after_commit(session, case)


# --- the staff inbox: texts that opened no case -------------------------------------------------

def open_case_from_message(session: Session, message: Message, actor: str,
                           category: CaseCategory | str | None = None) -> Case:
    """Staff turn an inbox text into a case (sorted if `category` is given, else triaged)."""
    contact = session.get(Contact, message.contact_id) if message.contact_id else None
    if contact is None:
        raise ValueError("a message with no known sender cannot open a case")
    case = open_case(session, contact, Channel.SMS,
                     detect_language(message.body, default=contact.language),
                     summary=message.body)
    case.log(EventKind.NOTE, "case opened by staff from a text in the inbox", actor=actor,
             data={"message_id": message.id})
    _take_into(case, message, actor)
    if category is not None:
        categorise(session, case, category, actor)
    else:
        case.last_enqueued_at = db_now(session)
        route_after_commit(session, case)
    return case


def merge_message_into_case(session: Session, message: Message, case: Case, actor: str) -> None:
    """Staff add an inbox text to a case (normally one of the same worker's)."""
    _take_into(case, message, actor)
    case.log(EventKind.NOTE, "a text from the inbox was added to this case", actor=actor,
             data={"message_id": message.id})


def _take_into(case: Case, message: Message, actor: str) -> None:
    message.case_id = case.id
    message.inbox_state = INBOX_CASE
    case.log(EventKind.MESSAGE_IN, message.body[:200], actor="worker", message_id=message.id,
             data={"from_inbox": True, "by": actor})


def dismiss_message(session: Session, message: Message, actor: str) -> None:
    """Staff mark an inbox text as needing nothing (it stays stored, out of the inbox)."""
    message.inbox_state = INBOX_DISMISSED


def triage_queue(session: Session, organisation_ids: Collection[int | None] | None,
                 limit: int = QUEUE_LIMIT) -> list[Case]:
    """Open cases waiting for staff to sort them, urgent first, then oldest; None = every
    organisation, a None inside the collection = cases of no organisation."""
    query = select(Case).where(Case.triage_at.is_not(None), Case.status.in_(OPEN_STATUSES))
    if organisation_ids is not None:
        query = query.where(_in_organisations(Case.organisation_id, organisation_ids))
    urgent_first = (Case.urgency == Urgency.URGENT).desc()
    return list(session.scalars(query.order_by(urgent_first, Case.triage_at, Case.id)
                                .limit(limit)))


def inbox_messages(session: Session, organisation_ids: Collection[int | None] | None,
                   limit: int = QUEUE_LIMIT) -> list[Message]:
    """Workers' texts waiting in the staff inbox, newest first, scoped like triage_queue by
    `message_organisation` (the worker's last case's office, else DEFAULT_ORGANISATION)."""
    query: Select[Message] = select(Message).where(Message.inbox_state == INBOX_OPEN)
    if organisation_ids is not None:
        query = query.where(_in_organisations(_message_org_expr(session), organisation_ids))
    return list(session.scalars(query.order_by(Message.created_at.desc(), Message.id.desc())
                                .limit(limit)))


def message_organisation(session: Session, message: Message) -> int | None:
    """The organisation an inbox text belongs to: its worker's last case's, else the default."""
    return session.scalar(select(_message_org_expr(session)).where(Message.id == message.id))


def default_organisation_id(session: Session) -> int | None:
    """The id of DEFAULT_ORGANISATION, if it names an organisation."""
    name = current_app.config.get("DEFAULT_ORGANISATION") or ""
    if not name:
        return None
    return session.scalar(select(Organisation.id).where(Organisation.name == name))


def _message_org_expr(session: Session) -> ColumnElement[int | None]:
    last_case_org = (select(Case.organisation_id).where(Case.contact_id == Message.contact_id)
                     .order_by(Case.id.desc()).limit(1).correlate(Message).scalar_subquery())
    return func.coalesce(last_case_org, default_organisation_id(session))


def _in_organisations(column: ColumnElement[int | None] | InstrumentedAttribute[int | None],
                      organisation_ids: Collection[int | None]) -> ColumnElement[bool]:
    ids = [i for i in organisation_ids if i is not None]
    clauses = [column.in_(ids)] if ids else []
    if None in organisation_ids:
        clauses.append(column.is_(None))
    return or_(*clauses) if clauses else false()
