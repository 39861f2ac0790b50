"""Urgency and escalation: which cases need a person now, and texting the office's on-duty staff."""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.outbox import queue_sms, send_after_commit
from hotline.replies import say
from models import (
    Case,
    CaseCategory,
    CaseStatus,
    EventKind,
    Organisation,
    Purpose,
    Role,
    Urgency,
    User,
)

log = logging.getLogger(__name__)

URGENT_CATEGORIES = frozenset({CaseCategory.INJURY, CaseCategory.COLLECTIVE})


def staff_numbers(session: Session, case: Case) -> list[str]:
    """Who is texted about the case: on-duty staff accounts of its organisation that have a
    phone, plus the organisation's staff_numbers; with neither, the hotline-wide STAFF_NUMBERS."""
    org = session.get(Organisation, case.organisation_id) if case.organisation_id else None
    on_duty = session.scalars(select(User.phone).where(
        User.on_duty.is_(True), User.active.is_(True), User.phone.is_not(None),
        User.role.in_((Role.STAFF, Role.ADMIN)),
        User.organisation_id == case.organisation_id if case.organisation_id is not None
        else User.organisation_id.is_(None)).order_by(User.id)).all()
    numbers = [n for n in [*on_duty, *(org.staff_numbers if org else [])] if n]
    if not numbers:
        numbers = list(current_app.config["STAFF_NUMBERS"])
    return list(dict.fromkeys(numbers))


def alert_staff(session: Session, case: Case, key: str, **fields: object) -> list[int]:
    """Text the case's on-duty staff (sent after commit, on the urgent queue).

    Nobody to text is never silent: a warning is logged and the timeline says so, so the
    case page (and the staff queue) shows that no person was reached."""
    body = say(key, "zh", number=case.number, **fields)
    numbers = staff_numbers(session, case)
    if not numbers:
        log.warning("case %s: %s alert reached nobody (no on-duty staff phone, no "
                    "STAFF_NUMBERS)", case.number, key)
        case.log(EventKind.ROUTING, f"no staff could be texted ({key}): nobody is on duty with "
                 "a phone and STAFF_NUMBERS is empty", data={"alert": key, "texted": []})
        return []
    ids = [queue_sms(session, to=n, body=body, purpose=Purpose.ALERT, case=case).id
           for n in numbers]
    send_after_commit(session, ids, urgent=True)
    return ids


def escalate(session: Session, case: Case, reason: str, actor: str = "system") -> list[int]:
    """Hand the case to the staff queue and text the on-duty staff; return message ids."""
    case.move_to(CaseStatus.ESCALATED, actor=actor, note=reason)
    return alert_staff(session, case, "staff_escalation", reason=reason)


def urgent_reason(case: Case) -> str | None:
    """Why the case is urgent: a work injury, a collective dispute, or many workers at once
    (people affected >= COLLECTIVE_MIN_WORKERS, even in a single report); None if it is not."""
    if case.category in URGENT_CATEGORIES:
        return str(case.category)
    if (case.people_affected or 1) >= current_app.config["COLLECTIVE_MIN_WORKERS"]:
        return f"{case.people_affected} workers affected"
    return None


def mark_urgent_if_needed(case: Case) -> bool:
    """Make the case urgent when `urgent_reason` says so; return True if it changed."""
    reason = urgent_reason(case)
    if reason is not None and case.urgency != Urgency.URGENT:
        case.urgency = Urgency.URGENT
        case.log(EventKind.ROUTING, f"urgent: {reason}", data={"urgent": True,
                                                               "reason": reason})
        return True
    return False
