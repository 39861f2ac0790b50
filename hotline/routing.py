"""Routing: the offer SMS to the best volunteers, first accept wins, expiry, escalation.

Who may take a case and who should (the matching rule, shared with a call's live transfer)
is `hotline.matching`; the score parts of every offer are stored on the case timeline.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from celery import Task, shared_task
from flask import current_app
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from hotline.clock import database_now, db_now
from hotline.db import get_db
from hotline.matching import WEIGHTS, Score, rank_candidates
from hotline.matching import current_load as current_load  # re-exported: one load count
from hotline.matching import place_key as place_key  # re-exported: one rule for place names
from hotline.matching import score_volunteer as score_volunteer
from hotline.queues import INTAKE, SEND, URGENT, enqueue
from hotline.replies import offer_text, say
from models import (
    Case,
    CaseCategory,
    CaseStatus,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    Offer,
    OfferStatus,
    Organisation,
    Purpose,
    Role,
    Urgency,
    User,
    Volunteer,
    utcnow,
)
from notifications.segments import count_segments

log = logging.getLogger(__name__)

URGENT_CATEGORIES = frozenset({CaseCategory.INJURY, CaseCategory.COLLECTIVE})


# --- after-commit hooks ---------------------------------------------------------------

def after_commit(session: Session, task: Task, *args: Any, queue: str | None = None,
                 countdown: float | None = None) -> None:
    """Enqueue `task` once this session commits (never if it rolls back)."""
    pending: list[tuple[Task, tuple[Any, ...], str | None, float | None]] = (
        session.info.setdefault("after_commit", []))
    if not session.info.get("after_commit_hooked"):
        session.info["after_commit_hooked"] = True
        event.listen(session, "after_commit", _run_after_commit)
        event.listen(session, "after_rollback", _drop_after_commit)
    pending.append((task, args, queue, countdown))


def _run_after_commit(session: Session) -> None:
    pending = session.info.pop("after_commit", [])
    for task, args, queue, countdown in pending:
        enqueue(task, *args, queue=queue, countdown=countdown)


def _drop_after_commit(session: Session) -> None:
    session.info.pop("after_commit", None)


def send_after_commit(session: Session, message_ids: Sequence[int], urgent: bool = False,
                      queue: str = SEND) -> None:
    """Deliver these queued messages once the transaction that wrote them commits."""
    from notifications.send import send_message

    for mid in message_ids:
        after_commit(session, send_message, mid, queue=URGENT if urgent else queue)


def route_queue(case: Case) -> str:
    """Urgent cases (injury, collective) go through the priority queue."""
    return URGENT if case.urgency == Urgency.URGENT else INTAKE


def queue_sms(session: Session, *, to: str, body: str, purpose: Purpose, case: Case | None = None,
              volunteer_id: int | None = None, contact_id: int | None = None) -> Message:
    """Add an outbound message row in QUEUED state; the send task delivers it after commit."""
    seg = count_segments(body)
    msg = Message(direction=Direction.OUTBOUND, purpose=purpose, status=MessageStatus.QUEUED,
                  from_number=current_app.config["HOTLINE_NUMBER"], to_number=to, body=body,
                  segments=seg.segments, encoding=seg.encoding,
                  case_id=case.id if case else None, volunteer_id=volunteer_id,
                  contact_id=contact_id)
    session.add(msg)
    session.flush()
    return msg


# --- offers -------------------------------------------------------------------------------

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


def last_round(session: Session, case: Case) -> int:
    """The highest offer round number the case has ever had (round numbers never repeat)."""
    return session.scalar(select(func.coalesce(func.max(Offer.round), 0))
                          .where(Offer.case_id == case.id)) or 0


def current_round(session: Session, case: Case) -> int:
    """Offer rounds since the last reset point (a transfer or a staff re-queue)."""
    return max(0, last_round(session, case) - (case.offer_round_base or 0))


def reset_rounds(session: Session, case: Case) -> None:
    """Start counting OFFER_MAX_TRIES afresh (the case has a new queue or a new chance)."""
    case.offer_round_base = last_round(session, case)


def offer_case(session: Session, case: Case, now: datetime, *, top_up: bool = False
               ) -> list[int]:
    """Offer the case to the best volunteer (urgent: several), or escalate; return message ids.

    `top_up` adds offers to the current round of an OFFERED case (it just became urgent).
    """
    mark_urgent_if_needed(case)
    urgent = case.urgency == Urgency.URGENT
    round_no = last_round(session, case) + (0 if top_up else 1)
    max_tries = current_app.config["OFFER_MAX_TRIES"]
    if not top_up and current_round(session, case) >= max_tries:
        return escalate(session, case, f"no volunteer accepted after {max_tries} tries")
    ranked = rank_candidates(session, case, now)
    wanted = current_app.config["URGENT_FANOUT"] if urgent else 1
    if top_up:
        wanted -= session.scalar(select(func.count()).select_from(Offer).where(
            Offer.case_id == case.id, Offer.status == OfferStatus.PENDING)) or 0
    if not ranked:
        return [] if top_up else escalate(session, case, "no eligible volunteer")
    chosen = ranked[:max(wanted, 0)]
    message_ids = [make_offer(session, case, score, round_no, now) for score in chosen]
    if chosen:
        case.move_to(CaseStatus.OFFERED)
        case.log(EventKind.ROUTING, f"round {round_no}: offered to {len(chosen)} of "
                 f"{len(ranked)} eligible", data={
                     "round": round_no, "urgent": urgent, "candidates": len(ranked),
                     "chosen": [s.as_data() for s in chosen],
                     "next_best": [s.as_data() for s in ranked[len(chosen):len(chosen) + 2]],
                     "weights": WEIGHTS})
    # Offers ride the intake queue: behind the send queue they would wait for every campaign
    # and relay (the workers drain queues in priority order).
    send_after_commit(session, message_ids, urgent=urgent, queue=INTAKE)
    return message_ids


def make_offer(session: Session, case: Case, score: Score, round_no: int, now: datetime) -> int:
    """Write one offer and its SMS; return the message id."""
    volunteer = session.get(Volunteer, score.volunteer_id)
    assert volunteer is not None
    minutes = current_app.config["OFFER_TIMEOUT_MINUTES"]
    offer = Offer(case_id=case.id, volunteer_id=volunteer.id, round=round_no, created_at=now,
                  expires_at=now + timedelta(minutes=minutes))
    session.add(offer)
    msg = queue_sms(session, to=volunteer.phone, body=offer_text(case, volunteer.reply_language),
                    purpose=Purpose.OFFER, case=case, volunteer_id=volunteer.id)
    offer.message_id = msg.id
    session.flush()
    volunteer.last_offered_at = now
    case.log(EventKind.OFFER, f"offered to {volunteer.name} (#{volunteer.id}), "
             f"score {score.total}", offer_id=offer.id, message_id=msg.id,
             data={**score.as_data(), "round": round_no, "expires_in_min": minutes})
    # The countdown is a shortcut; the sweeper expires offers from the database anyway.
    after_commit(session, expire_case_offers, case.id, queue=INTAKE, countdown=minutes * 60 + 1)
    return msg.id


@shared_task(name="hotline.routing.route_case")
def route_case(case_id: int) -> str:
    """Celery task: offer a NEW case to volunteers; does nothing for a case already routed."""
    with get_db().begin() as session:
        case = session.get(Case, case_id, with_for_update=True)
        if case is None or case.status != CaseStatus.NEW:
            return "skipped"
        from hotline.collective import check_collective, worked_with_lead

        if worked_with_lead(session, case):  # another office's linked cases are routed here
            return "part of a collective case"
        from hotline.organisations import settle_organisation

        settle_organisation(session, case)
        check_collective(session, case, utcnow())
        if worked_with_lead(session, case):
            return "joined a collective case"
        from hotline.cases import needs_triage, send_to_triage

        if needs_triage(case):  # no known problem: staff sort it; no volunteer is asked
            send_to_triage(session, case)
            return "waiting for staff triage"
        # The offer's expiry is set by the database's clock: the sweeper comparing it with
        # the database's now may run on a host whose own clock disagrees with this one's.
        return f"queued {len(offer_case(session, case, db_now(session)))} message(s)"


# --- answers and expiry -------------------------------------------------------------------

class Answer(enum.StrEnum):
    """Outcome of a volunteer's reply to an offer (the value is its reply text key)."""

    ACCEPTED = "offer_accepted"
    DECLINED = "offer_declined"
    TAKEN = "offer_taken"
    NOT_YOURS = "offer_not_yours"


def answer_offer(session: Session, volunteer: Volunteer, number: int, accept: bool,
                 now: datetime | None = None) -> tuple[Answer, Case | None]:
    """Accept or decline the volunteer's pending offer of case `number`; race-safe."""
    now = now or utcnow()
    # Lock the case row first: two volunteers accepting at once are serialised here, and
    # every other writer of offers (expiry, withdrawal) takes the case lock first too.
    case = session.scalar(select(Case).where(Case.number == number).with_for_update())
    if case is None:
        return Answer.NOT_YOURS, None
    offer = session.scalar(select(Offer).where(Offer.case_id == case.id,
                                               Offer.volunteer_id == volunteer.id))
    if offer is None or offer.status != OfferStatus.PENDING:
        taken = offer is not None and offer.status == OfferStatus.WITHDRAWN
        return (Answer.TAKEN if taken else Answer.NOT_YOURS), None
    actor = f"volunteer:{volunteer.id}"
    if not accept:
        offer.answer(OfferStatus.DECLINED, now)
        case.log(EventKind.OFFER_ANSWER, f"declined by {volunteer.name}", actor=actor,
                 offer_id=offer.id)
        if release_if_unoffered(session, case):
            after_commit(session, route_case, case.id, queue=route_queue(case))
        return Answer.DECLINED, case
    offer.answer(OfferStatus.ACCEPTED, now)
    withdraw_other_offers(session, case, keep=offer.id, now=now)
    assign(session, case, volunteer, now, actor=actor)
    case.log(EventKind.OFFER_ANSWER, f"accepted by {volunteer.name}", actor=actor,
             offer_id=offer.id)
    return Answer.ACCEPTED, case


def assign(session: Session, case: Case, volunteer: Volunteer, now: datetime, actor: str
           ) -> None:
    """Make the volunteer the case's owner (and of its collective members' unowned cases)."""
    case.assigned_volunteer_id = volunteer.id
    case.last_activity_at, case.reminded_at = now, None
    case.move_to(CaseStatus.ASSIGNED, actor=actor, note=f"assigned to {volunteer.name}")
    from hotline.collective import assign_members

    assign_members(session, case, volunteer, now)


def withdraw_other_offers(session: Session, case: Case, keep: int | None, now: datetime,
                          key: str = "offer_taken") -> list[int]:
    """Withdraw the case's other pending offers and tell those volunteers (text `key`)."""
    ids = []
    for other in session.scalars(select(Offer).where(
            Offer.case_id == case.id, Offer.status == OfferStatus.PENDING, Offer.id != keep)):
        other.answer(OfferStatus.WITHDRAWN, now)
        vol = session.get(Volunteer, other.volunteer_id)
        assert vol is not None
        ids.append(queue_sms(session, to=vol.phone, body=say(key, vol.reply_language,
                                                              number=case.number),
                             purpose=Purpose.ALERT, case=case, volunteer_id=vol.id).id)
    send_after_commit(session, ids, urgent=case.urgency == Urgency.URGENT)
    return ids


def release_if_unoffered(session: Session, case: Case) -> bool:
    """Put an OFFERED case with no pending offers back to NEW so it is routed again."""
    pending = session.scalar(select(func.count()).select_from(Offer).where(
        Offer.case_id == case.id, Offer.status == OfferStatus.PENDING))
    if case.status == CaseStatus.OFFERED and not pending:
        case.move_to(CaseStatus.NEW, note="no pending offers left")
        return True
    return False


def expire_due_offers(now: datetime, case_id: int | None = None) -> list[int]:
    """Expire unanswered offers past their time; re-route their cases; return those case ids."""
    with get_db().begin() as session:
        due = select(Offer.case_id).where(Offer.status == OfferStatus.PENDING,
                                          Offer.expires_at <= now)
        if case_id is not None:
            due = due.where(Offer.case_id == case_id)
        cases = session.scalars(select(Case).where(Case.id.in_(due.limit(500)))
                                .with_for_update(skip_locked=True)).all()
        rerouted = []
        for case in cases:
            for offer in session.scalars(select(Offer).where(
                    Offer.case_id == case.id, Offer.status == OfferStatus.PENDING,
                    Offer.expires_at <= now)):
                offer.answer(OfferStatus.EXPIRED, now)
                case.log(EventKind.OFFER_ANSWER, "offer expired unanswered", offer_id=offer.id,
                         data={"volunteer_id": offer.volunteer_id})
            if release_if_unoffered(session, case):
                after_commit(session, route_case, case.id, queue=route_queue(case))
                rerouted.append(case.id)
        return rerouted


@shared_task(name="hotline.routing.expire_case_offers")
def expire_case_offers(case_id: int) -> int:
    """Celery task (countdown = offer timeout): expire this case's offers if still unanswered.

    The countdown is only a shortcut, run on whichever host's clock: what is due is decided
    by the database's clock, and the sweeper expires anything this task missed."""
    return len(expire_due_offers(database_now(), case_id))


def offer_reply(answer: Answer, number: int, lang: str) -> str:
    """The SMS a volunteer gets back after answering an offer."""
    return say(str(answer), lang, number=number)


def after_worker_message(session: Session, case: Case, message: Message) -> None:
    """Intake hook: forward the worker's text to their volunteer; detect collective disputes."""
    from hotline.bridge import forward_worker_message
    from hotline.collective import check_collective

    forward_worker_message(session, case, message)
    check_collective(session, case, utcnow())
