"""Finishing cases and keeping them moving: outcomes, the closing survey, reminders.

Field offices keep "a ledger of open problems with deadlines and a monthly review", ask
volunteers to contact each person at least once a month, and measure satisfaction.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.escalation import escalate
from hotline.infra.clock import db_now
from hotline.infra.db import get_db
from hotline.offers import withdraw_other_offers
from hotline.optout import refusal
from hotline.outbox import queue_sms, send_after_commit
from hotline.replies import say
from ivr_flows.sums import parse_amount as read_sum
from models import Case, CaseStatus, Contact, EventKind, Purpose, Volunteer
from models.case import VOLUNTEER_HOLDS

OUTCOMES = {"resolved": CaseStatus.RESOLVED, "referred": CaseStatus.REFERRED,
            "closed": CaseStatus.CLOSED}
OUTCOME_NAMES = {"zh": {"resolved": "已办结", "referred": "已转介", "closed": "已关闭"},
                 "en": {"resolved": "resolved", "referred": "referred", "closed": "closed"}}
AMOUNT = re.compile(r"^[¥$]?\s*(\d+(?:\.\d{1,2})?)\s*(万|w|k|千)?\s*(元|块|rmb|yuan)?$",
                    re.IGNORECASE)
SCALE = {"万": 10_000, "w": 10_000, "k": 1_000, "千": 1_000}
SURVEY_ANSWER = re.compile(r"^\s*([1-5])\s*(分|星)?\s*$")
SURVEY_VALID_DAYS = 14  # a bare digit this long after the survey is taken as its answer


class BadAmount(ValueError):
    """An amount recovered that cannot be read."""


def parse_amount(text: str) -> Decimal | None:
    """'12000', '12,000元', '¥1.2万', '１２０００', '一万二' → Decimal; '' → None; else
    BadAmount."""
    clean = unicodedata.normalize("NFKC", text or "").replace(",", "").replace("，", "").strip()
    if not clean:
        return None
    match = AMOUNT.match(clean)
    if match is None:
        # Chinese numerals, as volunteers text them ("一万二"); digits in any other shape
        # ("12x00") are a slip, not a sum to guess at.
        said = None if any(ch.isdigit() for ch in clean) else read_sum(clean)
        if said is None:
            raise BadAmount(text)
        return said.quantize(Decimal("0.01"))
    try:
        value = Decimal(match.group(1)) * SCALE.get((match.group(2) or "").lower(), 1)
    except InvalidOperation as exc:
        raise BadAmount(text) from exc
    if value > Decimal("9999999999"):
        raise BadAmount(text)
    return value.quantize(Decimal("0.01"))


def finish_for_volunteer(session: Session, case: Case, volunteer: Volunteer, outcome: str,
                         amount: Decimal | None, note: str, now: datetime) -> None:
    """The volunteer finishes the case (resolved/referred/closed): see `finish_case`."""
    finish_case(session, case, outcome, amount, note, now, actor=f"volunteer:{volunteer.id}")


def finish_case(session: Session, case: Case, outcome: str, amount: Decimal | None, note: str,
                now: datetime, actor: str) -> None:
    """The one close path (volunteer SMS, volunteer web, staff console): move the case to
    resolved/referred/closed, store the money recovered, withdraw offers still out (their
    volunteers are told) and send the worker the 1-5 survey."""
    case.move_to(OUTCOMES[outcome], actor=actor, note=note or None)  # refuses first
    if amount is not None:
        case.amount_recovered = amount
    case.last_activity_at, case.reminded_at = now, None
    withdraw_other_offers(session, case, keep=None, now=now, key="offer_withdrawn")
    case.log(EventKind.NOTE, f"outcome: {outcome}" + (f", recovered ¥{amount}" if amount else "")
             + (f": {note}" if note else ""), actor=actor,
             data={"outcome": outcome, "amount_recovered": str(amount) if amount else None})
    send_survey(session, case, now)


def outcome_name(outcome: str, lang: str) -> str:
    """How the outcome is named in the volunteer's confirmation."""
    return OUTCOME_NAMES.get(lang, OUTCOME_NAMES["zh"])[outcome]


def send_survey(session: Session, case: Case, now: datetime) -> int | None:
    """Text the worker the 1-5 satisfaction question, once per case."""
    contact = session.get(Contact, case.contact_id)
    if case.survey_sent_at is not None or contact is None:
        return None
    refused = refusal(session, contact, Purpose.REPLY)
    if refused is not None:
        case.log(EventKind.SURVEY, f"satisfaction survey not sent: {refused}")
        return None
    case.survey_sent_at = now
    msg = queue_sms(session, to=contact.phone, body=say("survey", case.language,
                                                        number=case.number),
                    purpose=Purpose.REPLY, case=case, contact_id=contact.id)
    case.log(EventKind.SURVEY, "satisfaction survey sent", message_id=msg.id)
    send_after_commit(session, [msg.id])
    return msg.id


def parse_survey_answer(body: str) -> int | None:
    """1-5 from '5', '５', '4分'; None for anything else."""
    match = SURVEY_ANSWER.match(unicodedata.normalize("NFKC", body or ""))
    return int(match.group(1)) if match else None


def case_awaiting_survey(session: Session, contact: Contact, now: datetime) -> Case | None:
    """The worker's latest case, if its survey is out, unanswered and recent."""
    case = session.scalar(select(Case).where(Case.contact_id == contact.id)
                          .order_by(Case.id.desc()).limit(1))
    if case is None or case.survey_sent_at is None or case.satisfaction is not None:
        return None
    return case if now - case.survey_sent_at <= timedelta(days=SURVEY_VALID_DAYS) else None


def record_survey_answer(session: Session, case: Case, score: int, message_id: int) -> str:
    """Store the worker's 1-5 rating on the case; return the thank-you text."""
    case.satisfaction = score
    case.log(EventKind.SURVEY, f"satisfaction {score}/5", actor="worker",
             message_id=message_id, data={"satisfaction": score})
    return say("survey_thanks", case.language)


# --- deadline sweep -------------------------------------------------------------------------

def remind(session: Session, case: Case, key: str, days: int, now: datetime) -> None:
    """Text the case's volunteer a reminder and note it (escalates if it goes unheeded)."""
    volunteer = session.get(Volunteer, case.assigned_volunteer_id)
    if volunteer is None:
        return
    msg = queue_sms(session, to=volunteer.phone, body=say(key, volunteer.reply_language,
                                                          number=case.number, days=days),
                    purpose=Purpose.ALERT, case=case, volunteer_id=volunteer.id)
    case.reminded_at = now
    case.log(EventKind.NOTE, f"reminder sent to {volunteer.name}: {key}", message_id=msg.id,
             data={"reminder": key, "days": days})
    send_after_commit(session, [msg.id])


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Remind idle cases' volunteers, escalate unheeded reminders, ask for monthly contact."""
    cfg = current_app.config
    stale, grace = timedelta(days=cfg["STALE_CASE_DAYS"]), timedelta(
        days=cfg["STALE_ESCALATE_DAYS"])
    monthly = timedelta(days=cfg["MONTHLY_CONTACT_DAYS"])
    counts = {"reminded": 0, "escalated": 0, "monthly": 0, "none": 0}
    with get_db().begin() as session:
        # Idle times were written by whichever host touched the case: compare on its clock.
        now = now or db_now(session)
        activity = func.coalesce(Case.last_activity_at, Case.created_at)
        contacted = func.coalesce(Case.worker_contacted_at, Case.created_at)
        cases = session.scalars(select(Case).where(
            Case.status.in_(VOLUNTEER_HOLDS), Case.assigned_volunteer_id.is_not(None),
            (activity < now - stale) | (contacted < now - monthly)
            | (Case.reminded_at < now - grace))
            .order_by(Case.id).limit(500).with_for_update(skip_locked=True)).all()
        for case in cases:
            counts[deadline_action(session, case, now, stale, grace, monthly)] += 1
    counts.pop("none", None)
    return counts


def deadline_action(session: Session, case: Case, now: datetime, stale: timedelta,
                    grace: timedelta, monthly: timedelta) -> str:
    """Decide and do what one overdue case needs; return which counter it bumps."""
    last = case.last_activity_at or case.created_at
    if case.reminded_at is not None:
        if case.reminded_at <= now - grace and last <= case.reminded_at:
            escalate(session, case, f"no update {stale.days + grace.days} days after reminder")
            return "escalated"
        return "none"
    if last < now - stale:
        remind(session, case, "deadline_reminder", (now - last).days, now)
        return "reminded"
    contacted = case.worker_contacted_at or case.created_at
    if contacted < now - monthly:
        remind(session, case, "monthly_reminder", (now - contacted).days, now)
        return "monthly"
    return "none"
