"""Routing: pick a volunteer for a case, offer it by SMS, and take their answer.

This is the foundation's simple fair rule (on duty, under capacity, same language first,
longest since their last offer); the routing issue replaces `pick_volunteer` with scoring.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.db import get_db
from hotline.queues import SEND, URGENT, enqueue
from hotline.replies import offer_text, say
from models import (
    OPEN_STATUSES,
    Case,
    CaseStatus,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
    Purpose,
    Urgency,
    Volunteer,
    utcnow,
)
from notifications.segments import count_segments

RULE = "on duty, under capacity, speaks the case language first, longest since last offer"


def open_load(session: Session) -> dict[int, int]:
    """Open cases per assigned volunteer."""
    rows = session.execute(
        select(Case.assigned_volunteer_id, func.count())
        .where(Case.assigned_volunteer_id.is_not(None), Case.status.in_(OPEN_STATUSES))
        .group_by(Case.assigned_volunteer_id)).all()
    return {vid: n for vid, n in rows if vid is not None}


def pick_volunteer(session: Session, case: Case) -> Volunteer | None:
    """The on-duty volunteer with room who was offered work least recently, same language first."""
    already = select(Offer.volunteer_id).where(Offer.case_id == case.id)
    candidates = session.scalars(
        select(Volunteer).where(Volunteer.on_duty.is_(True), Volunteer.id.not_in(already))
        .order_by(Volunteer.last_offered_at.asc().nulls_first(), Volunteer.id)).all()
    load = open_load(session)
    free = [v for v in candidates if load.get(v.id, 0) < v.capacity]
    same_language = [v for v in free if case.language in (v.languages or [])]
    best = same_language or free
    return best[0] if best else None


def queue_sms(session: Session, *, to: str, body: str, purpose: Purpose, case: Case | None = None,
              volunteer_id: int | None = None) -> Message:
    """Add an outbound message row in QUEUED state; the send task delivers it after commit."""
    seg = count_segments(body)
    msg = Message(direction=Direction.OUTBOUND, purpose=purpose, status=MessageStatus.QUEUED,
                  from_number=current_app.config["HOTLINE_NUMBER"], to_number=to, body=body,
                  segments=seg.segments, encoding=seg.encoding,
                  case_id=case.id if case else None, volunteer_id=volunteer_id)
    session.add(msg)
    session.flush()
    return msg


def escalate(session: Session, case: Case, reason: str) -> list[int]:
    """Hand the case to staff and text the on-duty staff numbers; return message ids to send."""
    case.move_to(CaseStatus.ESCALATED, note=reason)
    body = f"工友热线：案件#{case.number}需人工处理（{reason}）"
    return [queue_sms(session, to=n, body=body, purpose=Purpose.ALERT, case=case).id
            for n in current_app.config["STAFF_NUMBERS"]]


def offer_case(session: Session, case: Case) -> list[int]:
    """Offer a NEW case to the next volunteer (or escalate); return message ids to send."""
    volunteer = pick_volunteer(session, case)
    if volunteer is None:
        return escalate(session, case, "no volunteer on duty with room")
    now = utcnow()
    minutes = current_app.config["OFFER_TIMEOUT_MINUTES"]
    offer = Offer(case_id=case.id, volunteer_id=volunteer.id,
                  expires_at=now + timedelta(minutes=minutes))
    session.add(offer)
    lang = "en" if (volunteer.languages or ["zh"])[0] == "en" else "zh"
    msg = queue_sms(session, to=volunteer.phone, body=offer_text(case, lang),
                    purpose=Purpose.OFFER, case=case, volunteer_id=volunteer.id)
    offer.message_id = msg.id
    session.flush()
    volunteer.last_offered_at = now
    case.move_to(CaseStatus.OFFERED)
    case.log(EventKind.OFFER, f"offered to volunteer {volunteer.name} (#{volunteer.id})",
             offer_id=offer.id, message_id=msg.id,
             data={"volunteer_id": volunteer.id, "rule": RULE, "expires_in_min": minutes})
    return [msg.id]


def send_queue(case: Case) -> str:
    """Urgent cases' messages jump ahead of everything else."""
    return URGENT if case.urgency == Urgency.URGENT else SEND


@shared_task(name="hotline.routing.route_case")
def route_case(case_id: int) -> str:
    """Celery task: offer a NEW case to a volunteer; does nothing for a case already routed."""
    from notifications.send import send_message

    with get_db().begin() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None or case.status != CaseStatus.NEW:
            return "skipped"
        message_ids = offer_case(session, case)
        queue = send_queue(case)
    for mid in message_ids:
        enqueue(send_message, mid, queue=queue)
    return f"queued {len(message_ids)} message(s)"


class Answer(enum.StrEnum):
    """Outcome of a volunteer's reply to an offer."""

    ACCEPTED = "offer_accepted"
    DECLINED = "offer_declined"
    NOT_YOURS = "offer_not_yours"


def answer_offer(session: Session, volunteer: Volunteer, number: int, accept: bool
                 ) -> tuple[Answer, Case | None]:
    """Accept or decline the volunteer's pending offer of case `number`; race-safe."""
    # Lock the case row first: two volunteers accepting at once are serialised here.
    case = session.scalar(select(Case).where(Case.number == number).with_for_update())
    if case is None:
        return Answer.NOT_YOURS, None
    offer = session.scalar(select(Offer).where(
        Offer.case_id == case.id, Offer.volunteer_id == volunteer.id,
        Offer.status == OfferStatus.PENDING))
    if offer is None:
        return Answer.NOT_YOURS, None
    actor = f"volunteer:{volunteer.id}"
    if accept:
        offer.answer(OfferStatus.ACCEPTED)
        withdraw_other_offers(session, case, keep=offer.id)
        case.assigned_volunteer_id = volunteer.id
        case.move_to(CaseStatus.ASSIGNED, actor=actor, note=f"accepted by {volunteer.name}")
        case.log(EventKind.OFFER_ANSWER, "accepted", actor=actor, offer_id=offer.id)
        return Answer.ACCEPTED, case
    offer.answer(OfferStatus.DECLINED)
    case.log(EventKind.OFFER_ANSWER, "declined", actor=actor, offer_id=offer.id)
    release_if_unoffered(session, case)
    return Answer.DECLINED, case


def withdraw_other_offers(session: Session, case: Case, keep: int) -> None:
    """Close every other pending offer of the case (someone accepted first)."""
    for other in session.scalars(select(Offer).where(
            Offer.case_id == case.id, Offer.status == OfferStatus.PENDING, Offer.id != keep)):
        other.answer(OfferStatus.WITHDRAWN)


def release_if_unoffered(session: Session, case: Case) -> bool:
    """Put an OFFERED case with no pending offers back to NEW so it is routed again."""
    pending = session.scalar(select(func.count()).select_from(Offer).where(
        Offer.case_id == case.id, Offer.status == OfferStatus.PENDING))
    if case.status == CaseStatus.OFFERED and not pending:
        case.move_to(CaseStatus.NEW, note="no pending offers left")
        return True
    return False


def offer_reply(answer: Answer, number: int, lang: str) -> str:
    """The SMS a volunteer gets back after answering an offer."""
    return say(str(answer), lang, number=number)
