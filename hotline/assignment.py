"""A volunteer takes a case: answering an offer (first accept wins, race-safe) and assignment,
which brings the collective dispute's unowned cases of the same office along."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.collective import assign_members
from hotline.infra.clock import db_now
from hotline.offers import release_if_unoffered, withdraw_other_offers
from hotline.outbox import route_after_commit
from hotline.replies import say
from models import Case, CaseStatus, EventKind, Offer, OfferStatus, Volunteer


class Answer(enum.StrEnum):
    """Outcome of a volunteer's reply to an offer (the value is its reply text key)."""

    ACCEPTED = "offer_accepted"
    DECLINED = "offer_declined"
    TAKEN = "offer_taken"
    NOT_YOURS = "offer_not_yours"


def only_pending_offer(session: Session, volunteer: Volunteer) -> int | None:
    """The case number of the volunteer's one pending offer; None for none or several (a bare
    "Y" then needs its number)."""
    numbers = session.scalars(select(Case.number).join(Offer, Offer.case_id == Case.id).where(
        Offer.volunteer_id == volunteer.id, Offer.status == OfferStatus.PENDING).limit(2)).all()
    return numbers[0] if len(numbers) == 1 else None


def answer_offer(session: Session, volunteer: Volunteer, number: int, accept: bool,
                 now: datetime | None = None) -> tuple[Answer, Case | None]:
    """Accept or decline the volunteer's pending offer of case `number`; race-safe."""
    now = now or db_now(session)
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
            route_after_commit(session, case)
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
    assign_members(session, case, volunteer, now)


def offer_reply(answer: Answer, number: int, lang: str) -> str:
    """The SMS a volunteer gets back after answering an offer."""
    return say(str(answer), lang, number=number)
