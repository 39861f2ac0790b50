"""Legal-deadline reminders, the sweeper's part: texts the case's volunteer (or, when no
volunteer holds it, the on-duty staff) once per (rule, lead time), writes the timeline, records
it in case.legal_reminders as {rule id: {"due": ISO date, "sent": [lead days], "passed_alert":
bool}} (a corrected start date starts afresh), and alerts staff once when a deadline passes
while the case is open (noticed within PASSED_WINDOW_DAYS). The rules and what they compute are
`hotline.legal_clocks`.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select

from hotline.escalation import alert_staff
from hotline.infra.clock import database_now
from hotline.infra.db import get_db
from hotline.legal_clocks import (
    LegalDeadline,
    Rule,
    add_period,
    deadlines_for,
    load_rules,
    local_today,
)
from hotline.outbox import queue_sms, send_after_commit
from hotline.replies import say
from models import OPEN_STATUSES, Case, EventKind, Purpose, Volunteer

PASSED_WINDOW_DAYS = 30  # a deadline that passed this long ago is no longer alerted by the sweep
BATCH = 200


def _window(rule: Rule, today: date) -> Any:
    """SQL: the case's start date could put this rule's deadline between PASSED_WINDOW_DAYS ago
    and its longest reminder lead ahead (ISO strings compare as dates; Python decides exactly)."""
    back = (-rule.years, -rule.months, -rule.days)
    lead = max(rule.remind_days, default=0)
    low = add_period(today - timedelta(days=PASSED_WINDOW_DAYS + 3), *back)
    high = add_period(today + timedelta(days=lead + 3), *back)
    start = Case.details[rule.date_field].as_string()
    return and_(Case.category.in_(sorted(rule.categories)), start >= low.isoformat(),
                start <= high.isoformat())


def remind_legal_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Text reminders for open cases whose legal deadline reaches a lead time; alert staff
    once for a deadline that passed while the case was open. Returns counts."""
    # Which day it is in China decides what is due: every host's beat agrees on the database's.
    now = now or database_now()
    today = local_today(now)
    rules = [r for r in load_rules() if not r.informational]
    counts = {"legal_reminded": 0, "legal_staff_reminded": 0, "legal_passed": 0}
    last_id = 0
    while rules:
        with get_db().begin() as session:
            # Read without locks (most cases in the window have nothing due today); lock only
            # the few that do, skipping any another worker holds (the next sweep takes them).
            cases = session.scalars(select(Case).where(
                Case.id > last_id, Case.status.in_(OPEN_STATUSES),
                or_(*(_window(r, today) for r in rules))).order_by(Case.id).limit(BATCH)).all()
            due = [c.id for c in cases if pending(c, today)]
            if due:
                locked = session.scalars(select(Case).where(
                    Case.id.in_(due), Case.status.in_(OPEN_STATUSES)).order_by(Case.id)
                    .with_for_update(skip_locked=True)
                    .execution_options(populate_existing=True)).all()
                for case in locked:
                    for key, n in remind_case(session, case, today).items():
                        counts[key] += n
        if len(cases) < BATCH:
            break
        last_id = cases[-1].id
    return counts


def pending(case: Case, today: date) -> list[tuple[LegalDeadline, str, dict[str, Any]]]:
    """What the case's deadlines need today: (deadline, "remind" | "passed", its new record)."""
    reminders = case.legal_reminders or {}
    opened = local_today(case.created_at) if case.created_at else today
    out: list[tuple[LegalDeadline, str, dict[str, Any]]] = []
    for deadline in deadlines_for(case, today):
        if deadline.informational or deadline.due is None or deadline.days_left is None:
            continue
        due = deadline.due.isoformat()
        record = dict(reminders.get(deadline.rule_id) or {})
        if record.get("due") != due:  # a new or corrected start date: its own reminders
            record = {"due": due, "sent": [], "passed_alert": False}
        if deadline.state == "running":
            leads = {n for n in deadline.rule.remind_days if deadline.days_left <= n}
            if leads - set(record["sent"]):
                record["sent"] = sorted(leads | set(record["sent"]), reverse=True)
                out.append((deadline, "remind", record))
        elif not record.get("passed_alert") and deadline.due >= opened:
            out.append((deadline, "passed", {**record, "passed_alert": True}))
    return out


def remind_case(session: Any, case: Case, today: date) -> dict[str, int]:
    """Send what one case's deadlines need today; record it in case.legal_reminders."""
    counts = {"legal_reminded": 0, "legal_staff_reminded": 0, "legal_passed": 0}
    reminders = dict(case.legal_reminders or {})
    for deadline, action, record in pending(case, today):
        if action == "remind":
            counts[_send_reminder(session, case, deadline)] += 1
        else:
            _alert_passed(session, case, deadline)
            counts["legal_passed"] += 1
        reminders[deadline.rule_id] = record
    if reminders != (case.legal_reminders or {}):
        case.legal_reminders = reminders  # a new dict: SQLAlchemy does not track JSON mutation
    return counts


def _send_reminder(session: Any, case: Case, deadline: LegalDeadline) -> str:
    """Text the volunteer holding the case, or the on-duty staff; return the counter bumped."""
    assert deadline.due is not None and deadline.days_left is not None
    due, days = deadline.due.isoformat(), deadline.days_left
    data = {"legal_deadline": deadline.rule_id, "due": due, "days_left": days}
    volunteer = (session.get(Volunteer, case.assigned_volunteer_id)
                 if case.assigned_volunteer_id else None)
    if volunteer is None:
        ids = alert_staff(session, case, "staff_legal_deadline", title=deadline.title("zh"),
                          due=due, days=days)
        case.log(EventKind.NOTE, f"legal deadline reminder sent to staff (nobody holds the "
                 f"case): {deadline.title('en')} ends {due} ({days} days left)",
                 data={**data, "texted": len(ids)})
        return "legal_staff_reminded"
    lang = volunteer.reply_language
    key = "legal_deadline_today" if days == 0 else "legal_deadline_reminder"
    msg = queue_sms(session, to=volunteer.phone, body=say(key, lang, number=case.number,
                                                          title=deadline.title(lang), due=due,
                                                          days=days),
                    purpose=Purpose.ALERT, case=case, volunteer_id=volunteer.id)
    case.log(EventKind.NOTE, f"legal deadline reminder sent to {volunteer.name}: "
             f"{deadline.title('en')} ends {due} ({days} days left)", message_id=msg.id,
             data=data)
    send_after_commit(session, [msg.id], urgent=days <= 7)
    return "legal_reminded"


def _alert_passed(session: Any, case: Case, deadline: LegalDeadline) -> None:
    """Tell staff a deadline passed while the case was open (once; the sweep records it)."""
    assert deadline.due is not None
    due = deadline.due.isoformat()
    ids = alert_staff(session, case, "staff_legal_deadline_passed", title=deadline.title("zh"),
                      due=due)
    case.log(EventKind.NOTE, f"legal deadline passed while the case was open: "
             f"{deadline.title('en')} ended {due}; staff alerted",
             data={"legal_deadline": deadline.rule_id, "due": due, "texted": len(ids)})
