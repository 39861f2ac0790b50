"""Which organisation's queue a case is in: by where the worker works, handed over, re-queued.

The home county office and the city centre manage workers together, so a case
moves between them with its whole history and every office that held it keeps sight of it.
"""

from __future__ import annotations

import logging
import unicodedata
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.escalation import alert_staff
from hotline.offers import reset_rounds, withdraw_other_offers
from hotline.outbox import route_after_commit
from hotline.places import place_key
from models import (
    Case,
    CaseEvent,
    CaseOrganisation,
    CaseStatus,
    EventKind,
    Offer,
    Organisation,
    utcnow,
)

log = logging.getLogger(__name__)


def hand_over_case(session: Session, case: Case, to: Organisation, note: str, actor: str,
                   now: datetime | None = None) -> None:
    """Hand the case over to a partner organisation's queue with a note, keeping its history
    (a case handed over; a live transfer is a call put through to a volunteer)."""
    now = now or utcnow()
    if not case.is_open:
        raise ValueError(f"case {case.number} is {case.status}; only open cases move")
    source = session.get(Organisation, case.organisation_id) if case.organisation_id else None
    withdraw_other_offers(session, case, keep=None, now=now)
    if case.status == CaseStatus.IN_PROGRESS:
        case.move_to(CaseStatus.ESCALATED, actor=actor, note="transfer")
    case.assigned_volunteer_id = None
    # The office that hands the case over keeps seeing it (home county and work city manage
    # it together), and so does every office that held it before (A → B → C: A and B both
    # follow it).
    case.origin_organisation_id = source.id if source else None
    if source is not None and session.get(CaseOrganisation, (case.id, source.id)) is None:
        session.add(CaseOrganisation(case_id=case.id, organisation_id=source.id))
    case.organisation_id = to.id
    reset_rounds(session, case)  # the partner's volunteers get their own OFFER_MAX_TRIES
    case.move_to(CaseStatus.NEW, actor=actor, note=f"transferred to {to.name}")
    case.log(EventKind.TRANSFER, f"transferred from {source.name if source else '(none)'} to "
             f"{to.name}: {note}", actor=actor,
             data={"from": source.id if source else None, "to": to.id, "note": note})
    alert_staff(session, case, "staff_transfer", source=source.name if source else "热线",
                note=note[:40])
    route_after_commit(session, case)


def requeue_case(session: Session, case: Case, actor: str, note: str | None = None,
                 now: datetime | None = None) -> None:
    """Staff put a case back in the queue: offers withdrawn, owner cleared, rounds restart,
    routed again after commit."""
    now = now or utcnow()
    withdraw_other_offers(session, case, keep=None, now=now)
    case.assigned_volunteer_id = None
    reset_rounds(session, case)
    case.move_to(CaseStatus.NEW, actor=actor, note=note or "re-queued by staff")
    route_after_commit(session, case)


def organisation_for(session: Session, case: Case) -> tuple[Organisation | None, str]:
    """The queue a new case belongs in, and why.

    The organisation whose `region` names the worker's work city wins, then one naming the
    work province (ties: the oldest organisation); otherwise DEFAULT_ORGANISATION (a name);
    otherwise none (staff without an organisation and admins see it)."""
    places = [(field_name, place, key) for field_name, place in
              (("city", case.work_city), ("province", case.work_province))
              if (key := place_key(place))]
    # Most first texts name no place yet: then no region is read (one query fewer per case).
    orgs = list(session.scalars(select(Organisation).where(Organisation.region.is_not(None))
                                .order_by(Organisation.id))) if places else []
    for field_name, place, key in places:
        for org in orgs:
            if key in unicodedata.normalize("NFKC", org.region or "").casefold():
                return org, f"work {field_name} {place} is in its region {org.region}"
    default = current_app.config.get("DEFAULT_ORGANISATION") or ""
    if default:
        fallback = session.scalar(select(Organisation).where(Organisation.name == default))
        if fallback is not None:
            return fallback, "DEFAULT_ORGANISATION"
        log.warning("DEFAULT_ORGANISATION %r does not exist", default)
    return None, "no organisation's region matches and no DEFAULT_ORGANISATION"


def queue_facts(session: Session, case: Case) -> tuple[bool, int]:
    """(was the case ever handed over, its `last_round`), read in one statement."""
    transferred = select(CaseEvent.id).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == EventKind.TRANSFER).limit(1)
    rounds = select(func.coalesce(func.max(Offer.round), 0)).where(Offer.case_id == case.id)
    row = session.execute(select(transferred.exists(), rounds.scalar_subquery())).one()
    return bool(row[0]), int(row[1] or 0)


def settle_organisation(session: Session, case: Case,
                        facts: tuple[bool, int] | None = None) -> None:
    """Put a case in its organisation's queue by where the worker works (see organisation_for).

    Intake calls this when the case opens, and routing again before the first offer, once
    the intake answers (province, city) are in; a case that was handed over or already
    offered keeps its queue. `facts`: `queue_facts` when the caller has just read them."""
    transferred, rounds = facts if facts is not None else queue_facts(session, case)
    if transferred or rounds > 0:
        return
    org, why = organisation_for(session, case)
    if org is None or org.id == case.organisation_id:
        return
    case.organisation_id = org.id
    case.log(EventKind.ROUTING, f"queue: {org.name} ({why})",
             data={"organisation_id": org.id, "why": why})
