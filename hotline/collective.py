"""Collective disputes: N workers naming one employer within T days become one urgent case.

The earliest open case among them leads: it becomes category COLLECTIVE, urgent, with the
number of workers as people affected; the others link to it (`collective_case_id`) and are
worked by the lead's volunteer. Staff are texted at once — a mass incident (群体性事件)
must not wait in a queue. Each case keeps its own worker's claim (`amount_owed`), so totals
over cases count every yuan once; what the dispute is owed in all is added up from its cases
where it is shown (hotline.disputes).

Across offices the link is made (both offices' staff see it on their own cases and are both
texted), but nothing is assigned across the boundary: a case of another office stays in that
office's queue, is offered to that office's volunteers, and the lead's volunteer cannot relay
to its worker (`crosses`).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, text
from sqlalchemy.orm import Session

from hotline.disputes import members_of
from hotline.employers import employer_key, matching_keys
from hotline.escalation import alert_staff, mark_urgent_if_needed
from hotline.matching import same_office
from hotline.offers import offer_case, withdraw_other_offers
from hotline.outbox import queue_sms, route_after_commit, send_after_commit
from hotline.replies import say
from models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseStatus,
    EventKind,
    Purpose,
    Urgency,
    Volunteer,
)

# One PostgreSQL advisory lock serialises detection, so two workers texting in the same
# second cannot both form a collective case (SQLite's BEGIN IMMEDIATE already serialises).
ADVISORY_LOCK_ID = 4_004_001
UNASSIGNED = (CaseStatus.NEW, CaseStatus.OFFERED, CaseStatus.ESCALATED)


def check_collective(session: Session, case: Case, now: datetime) -> Case | None:
    """Link `case` into a collective dispute if enough workers name its employer; the lead."""
    case.employer_key = employer_key(case.employer)
    if case.employer_key is None or case.collective_case_id is not None:
        return None
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": ADVISORY_LOCK_ID})
    matches = same_employer_cases(session, case, now)
    leads = [m for m in matches if is_lead(m)]
    if leads:
        lead = min(leads, key=lambda c: c.id)
        link(session, case, lead, now)
        return lead
    workers = {m.contact_id for m in matches} | {case.contact_id}
    if len(workers) < current_app.config["COLLECTIVE_MIN_WORKERS"]:
        return None
    members = [m for m in [*matches, case] if m.is_open and m.collective_case_id is None]
    lead = min(members, key=lambda c: c.id)
    form(session, lead, [m for m in members if m.id != lead.id], len(workers), now)
    return lead


def is_lead(case: Case) -> bool:
    """An open case that is itself a collective dispute (not linked to another)."""
    return (case.category == CaseCategory.COLLECTIVE and case.is_open
            and case.collective_case_id is None)


def same_employer_cases(session: Session, case: Case, now: datetime) -> list[Case]:
    """Other cases within the window (or open collective leads) naming the same employer."""
    since = now - timedelta(days=current_app.config["COLLECTIVE_WINDOW_DAYS"])
    rows = session.scalars(select(Case).where(
        Case.employer.is_not(None), Case.id != case.id,
        or_(Case.created_at >= since, and_(Case.category == CaseCategory.COLLECTIVE,
                                           Case.status.in_(OPEN_STATUSES))))).all()
    for row in rows:
        # Intake writes `employer` only; the key is (re)derived here so it is never stale.
        row.employer_key = employer_key(row.employer)
    assert case.employer_key is not None
    keys = matching_keys(case.employer_key, [r.employer_key for r in rows if r.employer_key],
                         current_app.config["EMPLOYER_MATCH_SCORE"])
    return [r for r in rows if r.employer_key in keys]


def form(session: Session, lead: Case, members: list[Case], workers: int, now: datetime
         ) -> None:
    """Make `lead` the collective case, link the members, alert staff, route it urgently."""
    names = Counter(c.employer for c in [lead, *members] if c.employer)
    lead.employer = names.most_common(1)[0][0]
    lead.category = CaseCategory.COLLECTIVE
    mark_urgent_if_needed(lead)
    # The workers who came to us, or more if one of them said how many are owed ("十几个").
    said = [c for c in [lead, *members] if c.people_affected and c.people_affected > workers]
    most = max(said, key=lambda c: c.people_affected or 0) if said else None
    lead.people_affected = most.people_affected if most is not None else workers
    lead.people_approximate = bool(most is not None and most.people_approximate)
    lead.log(EventKind.COLLECTIVE, f"collective dispute: {workers} workers name {lead.employer}",
             data={"members": [c.number for c in members], "employer_key": lead.employer_key,
                   "workers": workers})
    for member in members:
        link(session, member, lead, now, count=False)
    alert_staff(session, lead, "staff_collective", count=workers, employer=lead.employer)
    alerted = {lead.organisation_id}
    for member in members:  # each other office's staff, once, about a case of their own
        if crosses(lead, member) and member.organisation_id not in alerted:
            alerted.add(member.organisation_id)
            alert_staff(session, member, "staff_collective", count=workers,
                        employer=lead.employer)
    if lead.status == CaseStatus.NEW:
        route_after_commit(session, lead)
    elif lead.status == CaseStatus.OFFERED:
        offer_case(session, lead, now, top_up=True)


def crosses(lead: Case, member: Case) -> bool:
    """The member case is in another office's queue than the collective case: it is linked,
    but worked (offered, assigned, texted) only within its own office."""
    return member.organisation_id is not None and member.organisation_id != lead.organisation_id


def worked_with_lead(session: Session, case: Case) -> bool:
    """A linked case that the collective case's volunteer works (so routing leaves it be)."""
    lead = session.get(Case, case.collective_case_id) if case.collective_case_id else None
    return lead is not None and not crosses(lead, case)


def link(session: Session, member: Case, lead: Case, now: datetime, count: bool = True) -> None:
    """Attach a worker's case to the collective case; its volunteer works both (same office)."""
    member.collective_case_id = lead.id
    member.urgency = Urgency.URGENT
    other_office = crosses(lead, member)
    member.log(EventKind.COLLECTIVE, f"linked to collective case #{lead.number}",
               data={"lead": lead.number, "other_office": other_office})
    if member.status == CaseStatus.OFFERED and not other_office:
        withdraw_other_offers(session, member, keep=None, now=now)
        member.move_to(CaseStatus.NEW, note=f"worked with collective case #{lead.number}")
    if count:
        others = members_of(session, lead)
        workers = {c.contact_id for c in others} | {lead.contact_id}
        lead.people_affected = max(lead.people_affected, len(workers))
        lead.log(EventKind.COLLECTIVE, f"case #{member.number} joined", data={
            "member": member.number, "workers": lead.people_affected,
            "other_office": other_office})
        if other_office and not any(c.organisation_id == member.organisation_id
                                    for c in others if c.id != member.id):
            # The first case of this office in the dispute: its staff hear of it now.
            alert_staff(session, member, "staff_collective", count=lead.people_affected,
                        employer=lead.employer)
    owner = session.get(Volunteer, lead.assigned_volunteer_id) if (
        lead.assigned_volunteer_id) else None
    if owner is not None:
        assign_members(session, lead, owner, now)


def assign_members(session: Session, case: Case, volunteer: Volunteer, now: datetime) -> None:
    """Give the volunteer who took a collective case (or one of its cases) every linked case
    of their own office that nobody owns yet, and tell them; never one of another office."""
    lead = session.get(Case, case.collective_case_id) if case.collective_case_id else case
    if lead is None:
        return
    ids = []
    for member in members_of(session, lead):
        if (member.id == case.id or member.status not in UNASSIGNED
                or member.assigned_volunteer_id is not None
                or not same_office(volunteer, member)):
            continue
        withdraw_other_offers(session, member, keep=None, now=now)
        member.assigned_volunteer_id = volunteer.id
        member.last_activity_at = now
        member.move_to(CaseStatus.ASSIGNED, note=f"with collective case #{lead.number}")
        body = say("collective_joined", volunteer.reply_language, number=member.number,
                   lead=lead.number)
        ids.append(queue_sms(session, to=volunteer.phone, body=body, purpose=Purpose.ALERT,
                             case=member, volunteer_id=volunteer.id).id)
    send_after_commit(session, ids, urgent=True)
