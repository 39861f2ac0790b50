"""Routing: who may take a case, who should, the offer SMS, first accept wins, escalation.

Matching follows the source reports' rule 行业相近、地域相邻、时间匹配 (trade, place, time):
eligibility (on duty, in a shift, same organisation's queue, speaks the language, has room,
not offered this case before), then a score whose parts are stored on the case timeline.
"""

from __future__ import annotations

import enum
import logging
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import Task, shared_task
from flask import current_app
from sqlalchemy import Select, event, func, select
from sqlalchemy.orm import Session

from hotline.db import get_db
from hotline.queues import INTAKE, SEND, URGENT, enqueue
from hotline.replies import offer_text, say
from models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseStatus,
    Contact,
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
from models.volunteer import canonical_dialect
from notifications.segments import count_segments

log = logging.getLogger(__name__)

# Points per reason; the breakdown of each offer is written to the timeline with these.
WEIGHTS = {"skill": 30.0, "dialect": 25.0, "language": 10.0, "home_province": 20.0,
           "city": 20.0, "province": 10.0, "load": -30.0, "fairness": 15.0}
FAIRNESS_WINDOW_MINUTES = 240  # a volunteer not offered anything for 4 h gets the full bonus
URGENT_CATEGORIES = frozenset({CaseCategory.INJURY, CaseCategory.COLLECTIVE})
PLACE_SUFFIXES = ("特别行政区", "自治区", "省", "市", "地区", "州", "县", "区")


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


# --- scoring ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Score:
    """One eligible volunteer's score for one case, with the points of each reason."""

    volunteer_id: int
    total: float
    parts: dict[str, float] = field(default_factory=dict)
    last_offered_at: datetime | None = None

    def as_data(self) -> dict[str, Any]:
        """JSON for the timeline."""
        return {"volunteer_id": self.volunteer_id, "total": self.total, "parts": self.parts}


def place_key(name: str | None) -> str:
    """'河南省' and '河南', '深圳市' and '深圳' compare equal."""
    text = unicodedata.normalize("NFKC", name or "").strip().casefold()
    for suffix in PLACE_SUFFIXES:
        if text.endswith(suffix) and len(text) > len(suffix) + 1:
            return text[: -len(suffix)]
    return text


def score_volunteer(volunteer: Volunteer, case: Case, worker_home: str | None, load: int,
                    now: datetime) -> Score:
    """Score one eligible volunteer: skill, dialect/language, hometown, region, load, fairness."""
    parts: dict[str, float] = {}
    if case.category in (volunteer.skills or []):
        parts["skill"] = WEIGHTS["skill"]
    dialects = {canonical_dialect(d) for d in volunteer.dialects or []}
    if case.dialect and canonical_dialect(case.dialect) in dialects:
        parts["dialect"] = WEIGHTS["dialect"]
    elif case.language in (volunteer.languages or []):
        parts["language"] = WEIGHTS["language"]
    if worker_home and place_key(worker_home) == place_key(volunteer.home_province):
        parts["home_province"] = WEIGHTS["home_province"]
    regions = {place_key(r) for r in volunteer.regions or []}
    if case.work_city and place_key(case.work_city) in regions:
        parts["city"] = WEIGHTS["city"]
    elif case.work_province and place_key(case.work_province) in regions:
        parts["province"] = WEIGHTS["province"]
    parts["load"] = round(WEIGHTS["load"] * load / max(volunteer.capacity, 1), 2)
    parts["fairness"] = round(WEIGHTS["fairness"] * _idle_share(volunteer.last_offered_at, now), 2)
    return Score(volunteer.id, round(sum(parts.values()), 2), parts, volunteer.last_offered_at)


def _idle_share(last_offered_at: datetime | None, now: datetime) -> float:
    if last_offered_at is None:
        return 1.0
    minutes = (now - last_offered_at).total_seconds() / 60
    return max(0.0, min(1.0, minutes / FAIRNESS_WINDOW_MINUTES))


def current_load(session: Session) -> dict[int, int]:
    """Open assigned cases plus pending offers, per volunteer."""
    load: dict[int, int] = {}
    assigned = session.execute(
        select(Case.assigned_volunteer_id, func.count())
        .where(Case.assigned_volunteer_id.is_not(None), Case.status.in_(OPEN_STATUSES))
        .group_by(Case.assigned_volunteer_id)).all()
    pending = session.execute(
        select(Offer.volunteer_id, func.count()).where(Offer.status == OfferStatus.PENDING)
        .group_by(Offer.volunteer_id)).all()
    for vid, n in [*assigned, *pending]:
        if vid is not None:
            load[vid] = load.get(vid, 0) + n
    return load


def speaks(volunteer: Volunteer, case: Case, language: str | None = None) -> bool:
    """The volunteer speaks the case's language (or exactly its dialect); `language`, when
    given, stands in for the case's (a caller who just chose one on the phone)."""
    if (language or case.language) in (volunteer.languages or []):
        return True
    dialects = {canonical_dialect(d) for d in volunteer.dialects or []}
    return bool(case.dialect) and canonical_dialect(case.dialect or "") in dialects


def same_office(volunteer: Volunteer, case: Case) -> bool:
    """A case in an organisation's queue is worked only by that organisation's volunteers;
    a case in no queue by anyone."""
    return case.organisation_id is None or volunteer.organisation_id == case.organisation_id


def disabled_volunteers() -> Select[int | None]:
    """Volunteers whose web account was disabled (they left; keep their history)."""
    return select(User.volunteer_id).where(User.volunteer_id.is_not(None),
                                           User.active.is_(False))


def eligible(volunteer: Volunteer, case: Case, load: int, now: datetime,
             language: str | None = None) -> bool:
    """The one rule of who may take a case (offer or live call): on duty and in a shift,
    of the case's organisation, speaks its language, below capacity. Whoever passes is then
    ranked by `score_volunteer` (skill, dialect, hometown, place, load, fairness)."""
    return (volunteer.on_duty and volunteer.in_shift(now) and same_office(volunteer, case)
            and speaks(volunteer, case, language) and load < volunteer.capacity)


def rank_candidates(session: Session, case: Case, now: datetime, *,
                    language: str | None = None) -> list[Score]:
    """Eligible volunteers for the case, best first (ties: longest since last offer).

    Used by routing's offers and by a phone call's live transfer alike; a volunteer who was
    already offered this case (and declined or let it lapse) is not asked again."""
    already = select(Offer.volunteer_id).where(Offer.case_id == case.id)
    query = select(Volunteer).where(Volunteer.on_duty.is_(True), Volunteer.id.not_in(already),
                                    Volunteer.id.not_in(disabled_volunteers()))
    if case.organisation_id is not None:
        query = query.where(Volunteer.organisation_id == case.organisation_id)
    load = current_load(session)
    contact = session.get(Contact, case.contact_id)
    home = contact.home_province if contact else None
    scores = [score_volunteer(v, case, home, load.get(v.id, 0), now)
              for v in session.scalars(query)
              if eligible(v, case, load.get(v.id, 0), now, language)]
    epoch = datetime.min.replace(tzinfo=now.tzinfo)
    scores.sort(key=lambda s: (-s.total, s.last_offered_at or epoch, s.volunteer_id))
    return scores


def may_keep(session: Session, volunteer: Volunteer, case: Case, now: datetime) -> bool:
    """The case's own volunteer may still be rung about it: the same rule as `eligible`,
    except that the case itself does not count against their capacity."""
    if session.scalar(disabled_volunteers().where(User.volunteer_id == volunteer.id)):
        return False
    load = current_load(session).get(volunteer.id, 0)
    if case.assigned_volunteer_id == volunteer.id and case.status in OPEN_STATUSES:
        load -= 1
    return eligible(volunteer, case, max(load, 0), now)


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
        return f"queued {len(offer_case(session, case, utcnow()))} message(s)"


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
    """Celery task (countdown = offer timeout): expire this case's offers if still unanswered."""
    return len(expire_due_offers(utcnow(), case_id))


def offer_reply(answer: Answer, number: int, lang: str) -> str:
    """The SMS a volunteer gets back after answering an offer."""
    return say(str(answer), lang, number=number)


def after_worker_message(session: Session, case: Case, message: Message) -> None:
    """Intake hook: forward the worker's text to their volunteer; detect collective disputes."""
    from hotline.bridge import forward_worker_message
    from hotline.collective import check_collective

    forward_worker_message(session, case, message)
    check_collective(session, case, utcnow())
