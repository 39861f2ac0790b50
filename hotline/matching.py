"""Matching: who may take a case (one rule for routing's offers and a call's live transfer)
and who should, best first.

It follows the source reports' rule 行业相近、地域相邻、时间匹配 (trade, place, time):
eligibility (on duty, in a shift, same organisation's queue, speaks the language, has room,
account not disabled, not offered this case before), then a score of skill, dialect,
hometown, place, load and fairness whose parts routing stores on the case timeline.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session

from hotline.places import place_key
from models import OPEN_STATUSES, Case, Contact, Offer, OfferStatus, User, Volunteer
from models.case import OPEN_VALUES
from models.volunteer import canonical_dialect, reply_language_of, shifts_cover

# Points per reason; the breakdown of each offer is written to the timeline with these.
WEIGHTS = {"skill": 30.0, "dialect": 25.0, "language": 10.0, "home_province": 20.0,
           "city": 20.0, "province": 10.0, "load": -30.0, "fairness": 15.0}
FAIRNESS_WINDOW_MINUTES = 240  # a volunteer not offered anything for 4 h gets the full bonus


@dataclass(frozen=True)
class Candidate:
    """What ranking reads of a volunteer, loaded as plain columns: routing scores every
    on-duty volunteer for each case, and building an ORM object per row cost more than the
    ranking itself."""

    id: int
    name: str
    phone: str
    languages: list[str]
    dialects: list[str]
    skills: list[str]
    regions: list[str]
    home_province: str | None
    capacity: int
    shifts: list[dict[str, Any]]
    timezone: str
    on_duty: bool
    organisation_id: int | None
    last_offered_at: datetime | None

    def in_shift(self, now: datetime) -> bool:
        """As `Volunteer.in_shift`."""
        return shifts_cover(self.shifts, self.timezone, now)

    @property
    def reply_language(self) -> str:
        """As `Volunteer.reply_language`."""
        return reply_language_of(self.languages)


CANDIDATE_COLUMNS = tuple(getattr(Volunteer, name) for name in Candidate.__dataclass_fields__)
VolunteerFacts = Volunteer | Candidate  # what the rules below read: a row or its columns


@dataclass(frozen=True)
class Score:
    """One eligible volunteer's score for one case, with the points of each reason."""

    volunteer_id: int
    total: float
    parts: dict[str, float] = field(default_factory=dict)
    last_offered_at: datetime | None = None
    # Who was scored, so an offer needs not load the volunteer again.
    volunteer: VolunteerFacts | None = field(default=None, compare=False, repr=False)

    def as_data(self) -> dict[str, Any]:
        """JSON for the timeline."""
        return {"volunteer_id": self.volunteer_id, "total": self.total, "parts": self.parts}


def score_volunteer(volunteer: VolunteerFacts, case: Case, worker_home: str | None, load: int,
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
    return Score(volunteer.id, round(sum(parts.values()), 2), parts, volunteer.last_offered_at,
                 volunteer)


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


def speaks(volunteer: VolunteerFacts, case: Case, language: str | None = None) -> bool:
    """The volunteer speaks the case's language (or exactly its dialect); `language`, when
    given, stands in for the case's (a caller who just chose one on the phone)."""
    if (language or case.language) in (volunteer.languages or []):
        return True
    dialects = {canonical_dialect(d) for d in volunteer.dialects or []}
    return bool(case.dialect) and canonical_dialect(case.dialect or "") in dialects


def same_office(volunteer: VolunteerFacts, case: Case) -> bool:
    """A case in an organisation's queue is worked only by that organisation's volunteers;
    a case in no queue by anyone."""
    return case.organisation_id is None or volunteer.organisation_id == case.organisation_id


def disabled_volunteers() -> Select[int | None]:
    """Volunteers whose web account was disabled (they left; keep their history)."""
    return select(User.volunteer_id).where(User.volunteer_id.is_not(None),
                                           User.active.is_(False))


def eligible(volunteer: VolunteerFacts, case: Case, load: int, now: datetime,
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
    # One statement: the volunteers with their load (the rule of `current_load`, counted per
    # volunteer on the indexes) and the worker's home province, instead of four. The open
    # statuses are written as ix_cases_open_by_volunteer's condition, word for word: SQLite
    # uses a partial index only for a condition it finds as written.
    assigned = (select(func.count()).select_from(Case)
                .where(Case.assigned_volunteer_id == Volunteer.id,
                       Case.status.in_([literal_column(f"'{v}'") for v in OPEN_VALUES]))
                .correlate(Volunteer).scalar_subquery())
    pending = (select(func.count()).select_from(Offer)
               .where(Offer.volunteer_id == Volunteer.id, Offer.status == OfferStatus.PENDING)
               .correlate(Volunteer).scalar_subquery())
    home_of = select(Contact.home_province).where(Contact.id == case.contact_id).scalar_subquery()
    query = (select(*CANDIDATE_COLUMNS, assigned + pending, home_of)
             .where(Volunteer.on_duty.is_(True), Volunteer.id.not_in(already),
                    Volunteer.id.not_in(disabled_volunteers())))
    if case.organisation_id is not None:
        query = query.where(Volunteer.organisation_id == case.organisation_id)
    scores = []
    # Nothing this transaction has yet to write changes who may take the case: no flush here
    # (the case's pending changes go out with the offers).
    for *columns, load, home in session.execute(query, execution_options={"autoflush": False}):
        candidate = Candidate(*columns)
        if eligible(candidate, case, load or 0, now, language):
            scores.append(score_volunteer(candidate, case, home, load or 0, now))
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
