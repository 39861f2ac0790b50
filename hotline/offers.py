"""Offers: the case offered by SMS to the best volunteers in rounds; withdrawal and expiry.

Who may take a case and who should (the matching rule, shared with a call's live transfer)
is `hotline.matching`; the score parts of every offer are stored on the case timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from celery import shared_task
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from hotline.disputes import owed_as_offered
from hotline.escalation import escalate, mark_urgent_if_needed
from hotline.infra.clock import database_now
from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE
from hotline.matching import WEIGHTS, Score, rank_candidates
from hotline.outbox import (
    EXPIRE_CASE_OFFERS,
    SEND_INLINE,
    after_commit,
    queue_sms,
    route_after_commit,
    send_after_commit,
)
from hotline.replies import offer_text, say
from models import (
    Case,
    CaseStatus,
    EventKind,
    Offer,
    OfferStatus,
    Purpose,
    Urgency,
    Volunteer,
)


def last_round(session: Session, case: Case) -> int:
    """The highest offer round number the case has ever had (round numbers never repeat)."""
    return session.scalar(select(func.coalesce(func.max(Offer.round), 0))
                          .where(Offer.case_id == case.id)) or 0


def current_round(session: Session, case: Case) -> int:
    """Offer rounds since the last reset point (a hand-over or a staff re-queue)."""
    return max(0, last_round(session, case) - (case.offer_round_base or 0))


def reset_rounds(session: Session, case: Case) -> None:
    """Start counting OFFER_MAX_TRIES afresh (the case has a new queue or a new chance)."""
    case.offer_round_base = last_round(session, case)


def offer_case(session: Session, case: Case, now: datetime, *, top_up: bool = False,
               last: int | None = None) -> list[int]:
    """Offer the case to the best volunteer (urgent: several), or escalate; return message ids.

    `top_up` adds offers to the current round of an OFFERED case (it just became urgent);
    `last` is the case's `last_round` when the caller has just read it.
    """
    mark_urgent_if_needed(case)
    urgent = case.urgency == Urgency.URGENT
    last = last_round(session, case) if last is None else last
    round_no = last + (0 if top_up else 1)
    max_tries = current_app.config["OFFER_MAX_TRIES"]
    if not top_up and max(0, last - (case.offer_round_base or 0)) >= max_tries:
        return escalate(session, case, f"no volunteer accepted after {max_tries} tries")
    ranked = rank_candidates(session, case, now)
    wanted = current_app.config["URGENT_FANOUT"] if urgent else 1
    if top_up:
        wanted -= session.scalar(select(func.count()).select_from(Offer).where(
            Offer.case_id == case.id, Offer.status == OfferStatus.PENDING)) or 0
    if not ranked:
        return [] if top_up else escalate(session, case, "no eligible volunteer")
    chosen = ranked[:max(wanted, 0)]
    message_ids = make_offers(session, case, chosen, round_no, now)
    if chosen:
        case.move_to(CaseStatus.OFFERED)
        case.log(EventKind.ROUTING, f"round {round_no}: offered to {len(chosen)} of "
                 f"{len(ranked)} eligible", data={
                     "round": round_no, "urgent": urgent, "candidates": len(ranked),
                     "chosen": [s.as_data() for s in chosen],
                     "next_best": [s.as_data() for s in ranked[len(chosen):len(chosen) + 2]],
                     "weights": WEIGHTS})
    inline = session.info.get(SEND_INLINE)
    if inline is not None and message_ids:
        # The route task sends the first offer itself once it has committed (no second hop);
        # the others go out on other worker processes meanwhile.
        inline.append(message_ids[0])
        message_ids_to_queue = message_ids[1:]
    else:
        message_ids_to_queue = message_ids
    # Offers ride the intake queue: behind the send queue they would wait for every campaign
    # and relay (the workers drain queues in priority order).
    send_after_commit(session, message_ids_to_queue, urgent=urgent, queue=INTAKE)
    return message_ids


def make_offers(session: Session, case: Case, scores: Sequence[Score], round_no: int,
                now: datetime) -> list[int]:
    """Write the offers and their SMS (one INSERT for the texts, one for the offers, however
    many volunteers); return the message ids in the order of `scores`."""
    if not scores:
        return []
    minutes = current_app.config["OFFER_TIMEOUT_MINUTES"]
    volunteers = [score.volunteer or session.get(Volunteer, score.volunteer_id)
                  for score in scores]
    owed = owed_as_offered(session, case)
    msgs = [queue_sms(session, to=volunteer.phone,
                      body=offer_text(case, volunteer.reply_language, owed),
                      purpose=Purpose.OFFER,
                      case=case, volunteer_id=volunteer.id, flush=False)
            for volunteer in volunteers if volunteer is not None]
    assert len(msgs) == len(scores)
    # One UPDATE for all of them; a volunteer loaded in this session is kept in step.
    session.execute(update(Volunteer).where(Volunteer.id.in_([m.volunteer_id for m in msgs]))
                    .values(last_offered_at=now))
    session.flush()
    offers = [Offer(case_id=case.id, volunteer_id=msg.volunteer_id, round=round_no,
                    created_at=now, expires_at=now + timedelta(minutes=minutes),
                    message_id=msg.id) for msg in msgs]
    session.add_all(offers)
    session.flush()
    for score, volunteer, offer, msg in zip(scores, volunteers, offers, msgs, strict=True):
        assert volunteer is not None
        case.log(EventKind.OFFER, f"offered to {volunteer.name} (#{volunteer.id}), "
                 f"score {score.total}", offer_id=offer.id, message_id=msg.id,
                 data={**score.as_data(), "round": round_no, "expires_in_min": minutes})
    # The countdown is a shortcut; the sweeper expires offers from the database anyway. One
    # task per case: it expires every offer of the case that is due.
    after_commit(session, expire_case_offers, case.id, queue=INTAKE, countdown=minutes * 60 + 1)
    return [msg.id for msg in msgs]


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
                route_after_commit(session, case)
                rerouted.append(case.id)
        return rerouted


@shared_task(name=EXPIRE_CASE_OFFERS)
def expire_case_offers(case_id: int) -> int:
    """Celery task (countdown = offer timeout): expire this case's offers if still unanswered.

    The countdown is only a shortcut, run on whichever host's clock: what is due is decided
    by the database's clock, and the sweeper expires anything this task missed."""
    return len(expire_due_offers(database_now(), case_id))
