"""Cases and their timeline: the ledger of every problem a worker brings to the hotline."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    event,
    false,
    insert,
    inspect,
    text,
)
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    SessionTransaction,
    WriteOnlyMapped,
    mapped_column,
    relationship,
)

from models.base import Base, DbNow, object_now, str_enum

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from models.contact import Contact
    from models.message import Message
    from models.volunteer import Volunteer

# Case numbers are read out digit by digit on the phone; starting at 1001 keeps them 4 digits
# for the first ~9,000 cases (a real centre keeps 8,800 worker records) and never starts with 0.
CASE_NUMBER_OFFSET = 1000


class CaseStatus(enum.StrEnum):
    """Where a case is in its life. `Case.move_to` is the only place that changes it.

        NEW ──► OFFERED ──► ASSIGNED ──► IN_PROGRESS ──► RESOLVED ──► CLOSED
         │  ▲     │  │        │   │           │    └───► REFERRED ──► CLOSED
         │  └─────┘  │        │   └──► NEW    │
         ▼           ▼        ▼  (given back) ▼
      ESCALATED ◄────┴────────┘            CLOSED
         │
         └──► NEW (staff re-queue) / OFFERED / ASSIGNED / RESOLVED / REFERRED / CLOSED

      Reopening, only on purpose (`move_to(..., reopen=True)`, hotline.cases.reopen_case):
      RESOLVED / REFERRED / CLOSED ──► IN_PROGRESS (its volunteer carries on)
                                   └─► NEW (routed again: its volunteer is gone or off duty)

    NEW: waiting to be routed.  OFFERED: offers out, nobody has accepted.  ESCALATED: nobody
    eligible or nobody answered, or its volunteer let it go stale; staff must act, and a
    volunteer still assigned may still finish it (RESOLVED / REFERRED, e.g. "DONE 1024 12000").
    Any open case may also be CLOSED by staff.
    """

    NEW = "new"
    OFFERED = "offered"
    ESCALATED = "escalated"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    REFERRED = "referred"
    CLOSED = "closed"


CASE_TRANSITIONS: dict[CaseStatus, set[CaseStatus]] = {
    CaseStatus.NEW: {CaseStatus.OFFERED, CaseStatus.ESCALATED, CaseStatus.ASSIGNED,
                     CaseStatus.CLOSED},
    CaseStatus.OFFERED: {CaseStatus.ASSIGNED, CaseStatus.NEW, CaseStatus.ESCALATED,
                         CaseStatus.CLOSED},
    CaseStatus.ESCALATED: {CaseStatus.OFFERED, CaseStatus.ASSIGNED, CaseStatus.NEW,
                           CaseStatus.RESOLVED, CaseStatus.REFERRED, CaseStatus.CLOSED},
    CaseStatus.ASSIGNED: {CaseStatus.IN_PROGRESS, CaseStatus.RESOLVED, CaseStatus.REFERRED,
                          CaseStatus.CLOSED, CaseStatus.NEW, CaseStatus.ESCALATED},
    CaseStatus.IN_PROGRESS: {CaseStatus.RESOLVED, CaseStatus.REFERRED, CaseStatus.CLOSED,
                             CaseStatus.ESCALATED},
    CaseStatus.RESOLVED: {CaseStatus.CLOSED, CaseStatus.IN_PROGRESS},
    CaseStatus.REFERRED: {CaseStatus.CLOSED, CaseStatus.IN_PROGRESS},
    CaseStatus.CLOSED: set(),
}

# Only `move_to(..., reopen=True)` (hotline.cases.reopen_case) takes these: a finished case
# never reopens by itself, and a staff re-queue or a hand-over cannot revive a closed one.
REOPEN_TRANSITIONS: dict[CaseStatus, set[CaseStatus]] = {
    status: {CaseStatus.IN_PROGRESS, CaseStatus.NEW}
    for status in (CaseStatus.RESOLVED, CaseStatus.REFERRED, CaseStatus.CLOSED)}

OPEN_STATUSES = frozenset({CaseStatus.NEW, CaseStatus.OFFERED, CaseStatus.ESCALATED,
                           CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS})
# A volunteer holds the case and staff have not been called in: the deadlines for the
# volunteer's replies run (hotline.deadlines, the dashboard's overdue list).
VOLUNTEER_HOLDS = frozenset({CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS})
# A volunteer holds the case (escalated: staff help, the volunteer still has it).
VOLUNTEER_WORKING = VOLUNTEER_HOLDS | {CaseStatus.ESCALATED}
# The partial indexes over open cases (migration 0017): their condition, and the columns the
# dashboard's open-case lists read.
OPEN_VALUES = tuple(sorted(s.value for s in OPEN_STATUSES))
OPEN_ONLY = text("status IN (" + ", ".join(f"'{v}'" for v in OPEN_VALUES) + ")")
OPEN_LIST_COLUMNS = ("organisation_id", "status", "assigned_volunteer_id", "urgency", "category",
                     "people_affected", "collective_case_id", "created_at", "last_activity_at",
                     "worker_contacted_at", "reminded_at", "id")


class CaseCategory(enum.StrEnum):
    """What the worker needs help with (the intake menu)."""

    UNKNOWN = "unknown"
    WAGES = "wages"  # 欠薪
    INJURY = "injury"  # 工伤
    CONTRACT = "contract"  # 合同/辞退
    SOCIAL_INSURANCE = "social_insurance"  # 社保
    OTHER_LEGAL = "other_legal"  # 其他法律援助
    COLLECTIVE = "collective"  # many workers of one employer unpaid: the most urgent


class Urgency(enum.StrEnum):
    """How fast a case must reach a person; URGENT cases use the priority queue."""

    NORMAL = "normal"
    URGENT = "urgent"


class Channel(enum.StrEnum):
    """How the case first reached us."""

    SMS = "sms"
    VOICE = "voice"
    WEB = "web"


class InvalidTransition(ValueError):
    """A status change the lifecycle does not allow."""


class Case(Base):
    """One problem of one worker, with its whole history on the timeline."""

    __tablename__ = "cases"
    # AUTOINCREMENT on SQLite: a case id (and so its number) is never reused.
    # created_at alone: the monthly report and the dashboard read one month / 30 days of cases.
    __table_args__ = (Index("ix_cases_status_created", "status", "created_at"),
                      Index("ix_cases_created_at", "created_at"),
                      # Everything the office figures read, the office first (dashboard
                      # totals, the monthly report's scope): read from the index alone.
                      Index("ix_cases_office_figures", "organisation_id", "status",
                            "work_province", "work_city", "amount_owed", "amount_recovered",
                            "id"),
                      # The open cases only (a few thousand of 55,000 after three years):
                      # the dashboard's deadline and collective lists read every column they
                      # judge and order by from here, then load the 20 rows they show.
                      Index("ix_cases_open_lists", *OPEN_LIST_COLUMNS,
                            postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY),
                      # Each volunteer's open cases, counted from the index (dashboard load).
                      Index("ix_cases_open_by_volunteer", "assigned_volunteer_id",
                            postgresql_where=OPEN_ONLY, sqlite_where=OPEN_ONLY),
                      # A worker's cases, and whether they have one in an office (opt-out
                      # list, audiences): one probe each. On contact_id alone, SQLite walked
                      # the office's every case per worker instead.
                      Index("ix_cases_contact_org", "contact_id", "organisation_id"),
                      {"sqlite_autoincrement": True})

    # --- who and how: the case itself ---
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int | None] = mapped_column(unique=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))  # ix_cases_contact_org
    channel: Mapped[Channel] = mapped_column(str_enum(Channel), default=Channel.SMS)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    dialect: Mapped[str | None] = mapped_column(String(40))  # canonical, e.g. "henan"
    created_at: Mapped[datetime] = mapped_column(default=DbNow())
    updated_at: Mapped[datetime] = mapped_column(default=DbNow(), onupdate=DbNow())

    # --- the problem, as the worker said it and as understood ---
    category: Mapped[CaseCategory] = mapped_column(str_enum(CaseCategory),
                                                   default=CaseCategory.UNKNOWN)
    summary: Mapped[str | None] = mapped_column(Text)
    employer: Mapped[str | None] = mapped_column(String(200))
    # Normalised employer name (hotline.employers) for collective-dispute matching.
    employer_key: Mapped[str | None] = mapped_column(String(200), index=True)
    work_province: Mapped[str | None] = mapped_column(String(40))
    work_city: Mapped[str | None] = mapped_column(String(60))
    place_said: Mapped[str | None] = mapped_column(String(100))  # "河楠郑州", kept verbatim
    amount_owed: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    months_unpaid: Mapped[int | None]
    people_affected: Mapped[int] = mapped_column(default=1)
    # "十几个人": people_affected holds the estimate (12), this says it is one.
    people_approximate: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Answers of the problem's own intake (injury date, in hospital, contract end, ...):
    # names and kinds are declared in ivr_flows.fields.DETAILS.
    details: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    voicemail_url: Mapped[str | None] = mapped_column(Text)  # the worker's recorded message

    # --- where it stands and whose it is ---
    status: Mapped[CaseStatus] = mapped_column(str_enum(CaseStatus), default=CaseStatus.NEW)
    urgency: Mapped[Urgency] = mapped_column(str_enum(Urgency), default=Urgency.NORMAL)
    # Put in the staff triage queue (nobody described the problem): never offered until sorted.
    triage_at: Mapped[datetime | None] = mapped_column(index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                        index=True)  # whose queue it is in
    # The organisation that last handed the case over, shown on the case page; every office
    # that ever held the case keeps sight of it through `CaseOrganisation` (the home county
    # and the work city manage a case together).
    origin_organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"),
                                                               index=True)
    assigned_volunteer_id: Mapped[int | None] = mapped_column(ForeignKey("volunteers.id"),
                                                              index=True)
    # Set on each worker's case once N workers name one employer: the linked collective case.
    collective_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    # When routing was last handed to the queue; the sweeper re-enqueues NEW cases left behind.
    last_enqueued_at: Mapped[datetime | None]
    # Offer rounds before the last hand-over or staff re-queue: OFFER_MAX_TRIES counts from here.
    offer_round_base: Mapped[int] = mapped_column(default=0, server_default="0")

    # --- keeping it moving: what the volunteer did, and the reminders ---
    last_activity_at: Mapped[datetime | None]  # last thing its volunteer did (deadlines)
    worker_contacted_at: Mapped[datetime | None]  # last relay/call to the worker (monthly)
    reminded_at: Mapped[datetime | None]  # deadline reminder sent; escalates if still idle
    # Legal-deadline reminders already sent, per rule: {"due", "sent": [lead days], ...}.
    legal_reminders: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")

    # --- how it ended ---
    amount_recovered: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    closed_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]  # last reopened after it was finished
    survey_sent_at: Mapped[datetime | None]
    satisfaction: Mapped[int | None]  # the worker's 1-5 answer to the closing survey
    anonymised_at: Mapped[datetime | None]  # personal content removed (erasure or retention)

    # Plain lazy loading: a joined eager load would break SELECT ... FOR UPDATE on PostgreSQL.
    contact: Mapped[Contact] = relationship()
    assigned_volunteer: Mapped[Volunteer | None] = relationship()
    events: WriteOnlyMapped[CaseEvent] = relationship(
        back_populates="case", order_by="CaseEvent.id", passive_deletes=True
    )

    @property
    def is_open(self) -> bool:
        """True while someone still has to act on the case."""
        return self.status in OPEN_STATUSES

    @property
    def volunteer_reads(self) -> bool:
        """True while a volunteer works the case: the worker's words are passed on to them."""
        return self.assigned_volunteer_id is not None and self.status in VOLUNTEER_WORKING

    def assign_number(self) -> None:
        """Give a flushed case its short human number (unique because ids are)."""
        if self.number is None:
            self.number = self.id + CASE_NUMBER_OFFSET

    def move_to(self, new: CaseStatus, *, actor: str = "system", note: str | None = None,
                reopen: bool = False) -> None:
        """Change status if the lifecycle allows it (`reopen`: also out of a finished state),
        and write the change on the timeline."""
        old = self.status
        if new == old:
            return
        allowed = CASE_TRANSITIONS[old] | (REOPEN_TRANSITIONS.get(old, set()) if reopen else set())
        if new not in allowed:
            raise InvalidTransition(f"case {self.number}: {old} -> {new} is not allowed")
        self.status = new
        if new == CaseStatus.CLOSED:
            self.closed_at = object_now(self)
        self.log(EventKind.STATUS, f"{old} → {new}" + (f": {note}" if note else ""),
                 actor=actor, data={"from": str(old), "to": str(new)})

    def log(self, kind: EventKind, text: str, *, actor: str = "system",
            data: dict[str, Any] | None = None, message_id: int | None = None,
            offer_id: int | None = None, call_id: int | None = None) -> CaseEvent:
        """Append one entry to the case timeline."""
        event = CaseEvent(kind=kind, text=text, actor=actor, data=data or {},
                          message_id=message_id, offer_id=offer_id, call_id=call_id)
        state = inspect(self)
        if state.persistent and state.session is not None and state.identity:
            # A saved case's entries are written together, in one statement with no RETURNING
            # (see _write_timeline), not one ORM INSERT each: a text or a routed case writes
            # several. The entry is not in the session; setting its `message` still works.
            event.case_id = state.identity[0]
            state.session.info.setdefault(_UNWRITTEN, []).append(event)
        else:
            self.events.add(event)
        return event


class CaseOrganisation(Base):
    """An organisation that held the case before it was handed over: its staff keep seeing it.

    A link table, not a column: after A → B → C, both A and B still follow the case.
    """

    __tablename__ = "case_organisations"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(default=DbNow())


class EventKind(enum.StrEnum):
    """Kinds of timeline entries."""

    MESSAGE_IN = "message_in"
    MESSAGE_OUT = "message_out"
    REPLY = "reply"
    CALL = "call"
    OFFER = "offer"
    OFFER_ANSWER = "offer_answer"
    STATUS = "status"
    ROUTING = "routing"
    NOTE = "note"
    TRANSFER = "transfer"  # handed over to a partner organisation's queue (stored word: "transfer")
    COLLECTIVE = "collective"  # linked into (or became) a collective dispute
    SURVEY = "survey"  # closing satisfaction survey sent / answered


class CaseEvent(Base):
    """One line of a case's timeline: a message, call, offer, status change or note."""

    __tablename__ = "case_events"
    # The monthly report counts one kind of event (status changes, surveys) in one month.
    __table_args__ = (Index("ix_case_events_kind_at", "kind", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=DbNow())
    kind: Mapped[EventKind] = mapped_column(str_enum(EventKind))
    actor: Mapped[str] = mapped_column(String(40), default="system")
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id"))

    case: Mapped[Case] = relationship(back_populates="events")
    # Lets an event name a message not written yet: the flush writes the message first and
    # fills message_id (the inbound webhook writes its message once, reply included).
    message: Mapped[Message | None] = relationship()


# Session.info key: timeline entries of saved cases logged in this transaction, not yet written.
_UNWRITTEN = "hotline.unwritten_timeline"


def _write_timeline(session: Session, connection: Connection | None = None) -> None:
    """Write the timeline entries waiting in this session whose message (if any) has its id.

    Called before any ORM statement runs and after each flush, so anything that reads the
    timeline finds them and their order follows the order they were logged in."""
    waiting: list[CaseEvent] | None = session.info.get(_UNWRITTEN)
    if not waiting:
        return
    ready = [e for e in waiting if e.message is None or e.message.id is not None]
    if not ready:
        return
    if len(ready) == len(waiting):
        session.info[_UNWRITTEN] = []
    else:  # an entry naming a message the next flush writes waits for it, and those after it
        first_blocked = next(i for i, e in enumerate(waiting)
                             if e.message is not None and e.message.id is None)
        ready, session.info[_UNWRITTEN] = waiting[:first_blocked], waiting[first_blocked:]
        if not ready:
            return
    rows = [{"case_id": e.case_id, "kind": e.kind, "actor": e.actor, "text": e.text,
             "data": e.data, "message_id": e.message.id if e.message is not None
             else e.message_id, "offer_id": e.offer_id, "call_id": e.call_id} for e in ready]
    (connection or session.connection()).execute(_TIMELINE_INSERT, rows)


_TIMELINE_INSERT = insert(CaseEvent)


@event.listens_for(Session, "do_orm_execute")
def _before_orm_statement(state: ORMExecuteState) -> None:
    _write_timeline(state.session)


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context: object) -> None:
    _write_timeline(session)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    if session.info.get(_UNWRITTEN):
        session.flush()  # writes the messages entries name, then (after_flush) the entries
        _write_timeline(session)
        if session.info.get(_UNWRITTEN):
            raise RuntimeError("a timeline entry names a message that is in no session")


@event.listens_for(Session, "after_transaction_create")
def _before_savepoint(session: Session, transaction: SessionTransaction) -> None:
    # What was logged before a savepoint is written before it (on the enclosing transaction's
    # connection: the SAVEPOINT is not issued yet), so rolling the savepoint back forgets only
    # what was logged inside it.
    if transaction.nested and transaction.parent is not None and session.info.get(_UNWRITTEN):
        _write_timeline(session, transaction.parent.connection(None))


@event.listens_for(Session, "after_soft_rollback")
def _forget_timeline(session: Session, _previous: SessionTransaction) -> None:
    session.info.pop(_UNWRITTEN, None)
