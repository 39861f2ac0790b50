"""Figures for the dashboard and the funders' monthly report, always within the user's scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    ColumnElement,
    and_,
    case,
    exists,
    func,
    literal,
    literal_column,
    select,
    union_all,
)
from sqlalchemy.orm import Session, aliased, joinedload

from hotline.web.i18n import gettext as _
from hotline.web.scope_sql import branches, in_scope, probed
from models import (
    OPEN_STATUSES,
    Call,
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Contact,
    Direction,
    EventKind,
    Message,
    Offer,
    OfferStatus,
    Urgency,
    Volunteer,
    utcnow,
)
from models.case import OPEN_VALUES, VOLUNTEER_HOLDS

DEFAULT_TZ = "Asia/Shanghai"


def local_zone() -> ZoneInfo:
    """The office's time zone: days and months are counted in it."""
    return ZoneInfo(current_app.config.get("HOTLINE_TIMEZONE") or DEFAULT_TZ)


def cases_per_day(session: Session, scope: ColumnElement[bool], days: int = 30
                  ) -> tuple[list[str], dict[CaseCategory, list[int]]]:
    """New cases per local day for the last `days` days, one series per category.

    Counted in SQL per (local day, category): the day is the first local midnight after the
    case's creation, a CASE over the stored UTC stamps (the same on both databases), so a
    month of cases is never loaded to be converted to the office's zone one by one."""
    zone = local_zone()
    today = utcnow().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    midnights = [datetime.combine(first + timedelta(days=i), datetime.min.time(), zone)
                 for i in range(days + 1)]
    day = case(*((Case.created_at < end, index) for index, end in enumerate(midnights[1:])),
               else_=days).label("day")
    rows = session.execute(select(day, Case.category, func.count()).where(
        scope, Case.created_at >= midnights[0]).group_by(day, Case.category)).all()
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    series: dict[CaseCategory, list[int]] = defaultdict(lambda: [0] * days)
    for index, category, n in rows:
        if 0 <= index < days:
            series[category][index] += n
    return labels, dict(series)


@dataclass
class CaseFigures:
    """The dashboard's totals over every case in scope."""

    open: int = 0
    finished: int = 0  # resolved, referred or closed
    claimed: Decimal = Decimal(0)  # yuan owed, as the workers told it
    recovered: Decimal = Decimal(0)
    places: list[tuple[str, int]] = field(default_factory=list)  # most cases first


def case_figures(session: Session, scope: ColumnElement[bool], places: int = 10
                 ) -> CaseFigures:
    """Open and finished cases, yuan claimed and recovered, and the busiest work places, in
    one statement: per part of the scope (scope_sql.branches), cases grouped by status and
    place from `ix_cases_office_figures` alone, added up here (a few dozen groups)."""
    parts = [select(Case.status, Case.work_province, Case.work_city, func.count(),
                    func.coalesce(func.sum(Case.amount_owed), 0),
                    func.coalesce(func.sum(Case.amount_recovered), 0))
             .where(part).group_by(Case.status, Case.work_province, Case.work_city)
             for part in branches(session, scope)]
    rows = session.execute(parts[0] if len(parts) == 1 else union_all(*parts)).all()
    out, per_place = CaseFigures(), Counter[tuple[str | None, str | None]]()
    for status, province, city, n, claimed, recovered in rows:
        if status in OPEN_STATUSES:
            out.open += n
        else:
            out.finished += n
        out.claimed += Decimal(claimed or 0)
        out.recovered += Decimal(recovered or 0)
        per_place[(province, city)] += n
    # Most first; a tie in the order of the place's name, so the chart does not reshuffle.
    busiest = sorted(per_place.items(), key=lambda kv: (-kv[1], kv[0][0] or "", kv[0][1] or ""))
    out.places = [(" ".join(p for p in place if p) or _("place not given"), n)
                  for place, n in busiest[:places]]
    return out


def open_case() -> ColumnElement[bool]:
    """The case is open, written exactly as the partial indexes' condition (models.case
    OPEN_ONLY: the literal statuses in its order): SQLite's planner uses a partial index only
    for a condition it finds word for word in the query; PostgreSQL proves it either way."""
    return Case.status.in_([literal_column(f"'{value}'") for value in OPEN_VALUES])


def volunteer_load(session: Session, volunteer_scope: ColumnElement[bool]
                   ) -> list[tuple[Volunteer, int]]:
    """On-duty volunteers with their load (hotline.matching.current_load's rule: open cases
    they hold plus offers waiting for their answer), busiest first, then by name.

    One statement: each shown volunteer's cases are counted from `ix_cases_open_by_volunteer`
    (their open cases only), never every office's open cases grouped."""
    held = select(func.count()).where(Case.assigned_volunteer_id == Volunteer.id,
                                      open_case()).scalar_subquery()
    offered = select(func.count()).where(Offer.volunteer_id == Volunteer.id,
                                         Offer.status == OfferStatus.PENDING).scalar_subquery()
    load = (held + offered).label("load")
    rows = session.execute(select(Volunteer, load).where(
        Volunteer.on_duty.is_(True), volunteer_scope)
        .order_by(load.desc(), Volunteer.name, Volunteer.id)).all()
    return [(v, int(n)) for v, n in rows]


@dataclass
class Breach:
    """An open case past one of the ledger's deadlines, with the time the deadline judged."""

    case: Case
    reason: str  # "reminder" (unanswered), "idle" (no update), "monthly" (worker not contacted)
    since: datetime  # the reminder, the last activity, or the last contact with the worker


def stale_cases(session: Session, scope: ColumnElement[bool], limit: int = 20) -> list[Breach]:
    """Open cases a volunteer holds that broke a deadline the sweeper (hotline.deadlines)
    enforces: a reminder with no update since, no update for STALE_CASE_DAYS, or the worker
    not contacted for MONTHLY_CONTACT_DAYS. Cases nobody holds yet are not the ledger's:
    they are offered, escalated or in the staff queue. Worst first, once per case."""
    cfg, now = current_app.config, utcnow()
    stale = now - timedelta(days=int(cfg.get("STALE_CASE_DAYS", 7)))
    monthly = now - timedelta(days=int(cfg.get("MONTHLY_CONTACT_DAYS", 30)))
    activity = func.coalesce(Case.last_activity_at, Case.created_at)
    contacted = func.coalesce(Case.worker_contacted_at, Case.created_at)
    unanswered = Case.reminded_at.is_not(None) & (activity <= Case.reminded_at)
    # The worst first, ordered in SQL (breach_of's rule): only `limit` cases are loaded.
    rank = case((unanswered, 0), (activity < stale, 1), else_=2)
    since = case((unanswered, Case.reminded_at), (activity < stale, activity), else_=contacted)
    order = (rank, since, Case.id)
    # Picked from the open cases' index alone (ix_cases_open_lists), part by part of the scope
    # (an office's queue is a range of it), then the few rows read.
    parts = [select(rank.label("rank"), since.label("since"), Case.id.label("id")).where(
        part, open_case(), Case.status.in_(VOLUNTEER_HOLDS),
        Case.assigned_volunteer_id.is_not(None),
        unanswered | (activity < stale) | (contacted < monthly)).order_by(*order).limit(limit)
        .subquery() for part in branches(session, scope)]
    merged = union_all(*(select(p.c.rank, p.c.since, p.c.id) for p in parts)).subquery() \
        if len(parts) > 1 else parts[0]
    worst = select(merged.c.id).order_by(merged.c.rank, merged.c.since, merged.c.id).limit(limit)
    cases = session.scalars(select(Case).where(Case.id.in_(worst))
                            .options(joinedload(Case.assigned_volunteer)).order_by(*order)).all()
    return [breach_of(c, stale, monthly) for c in cases]


def breach_of(case: Case, stale: datetime, monthly: datetime) -> Breach:
    """Which deadline `case` broke (the worst), and the time that deadline looked at."""
    last = case.last_activity_at or case.created_at
    if case.reminded_at is not None and last <= case.reminded_at:
        return Breach(case, "reminder", case.reminded_at)
    if last < stale:
        return Breach(case, "idle", last)
    return Breach(case, "monthly", case.worker_contacted_at or case.created_at)


def collective_alerts(session: Session, scope: ColumnElement[bool], limit: int = 20
                      ) -> list[Case]:
    """Open collective disputes (many workers, one employer): the most urgent cases there are."""
    minimum = int(current_app.config.get("COLLECTIVE_MIN_WORKERS", 3))
    urgent = Case.urgency == Urgency.URGENT
    order = (urgent.desc(), Case.created_at.desc(), Case.id.desc())  # urgent ones first
    # As stale_cases: from the open cases' index, part by part of the scope, then 20 rows.
    parts = [select(urgent.label("urgent"), Case.created_at.label("at"), Case.id.label("id"))
             .where(part, open_case(), Case.collective_case_id.is_(None),
                    (Case.category == CaseCategory.COLLECTIVE)
                    | (Case.people_affected >= minimum))
             .order_by(*order).limit(limit).subquery() for part in branches(session, scope)]
    merged = union_all(*(select(p.c.urgent, p.c.at, p.c.id) for p in parts)).subquery() \
        if len(parts) > 1 else parts[0]
    picked = select(merged.c.id).order_by(merged.c.urgent.desc(), merged.c.at.desc(),
                                          merged.c.id.desc()).limit(limit)
    return list(session.scalars(select(Case).where(Case.id.in_(picked)).order_by(*order)))


@dataclass
class MonthlyReport:
    """The figures funders ask for, for one calendar month of one office."""

    month: str
    new_contacts: int = 0
    contacts_served: int = 0
    consultations: int = 0
    sms_in: int = 0
    calls_in: int = 0
    cases_opened: int = 0
    cases_finished: int = 0
    people_affected: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    wages_claimed: Decimal = Decimal(0)
    wages_recovered: Decimal = Decimal(0)
    satisfaction: dict[int, int] = field(default_factory=dict)

    @property
    def satisfied_share(self) -> float | None:
        """Share of survey answers of 4 or 5 (of 5), or None without answers."""
        total = sum(self.satisfaction.values())
        happy = sum(n for score, n in self.satisfaction.items() if score >= 4)
        return happy / total if total else None


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """Start and end (exclusive) of 'YYYY-MM' in the office's time zone; ValueError if bad."""
    first = datetime.strptime(month + "-01", "%Y-%m-%d").date()
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    zone = local_zone()
    return (datetime.combine(first, datetime.min.time(), zone),
            datetime.combine(following, datetime.min.time(), zone))


def monthly_report(session: Session, scope: ColumnElement[bool], month: str) -> MonthlyReport:
    """Contacts, consultations, cases by category, wages and satisfaction for one month.

    Every figure is counted in SQL over the month's rows only (the date indexes find them),
    so the cost follows the month's activity, not the years of history before it.
    """
    start, end = month_bounds(month)
    report = MonthlyReport(month=month)
    scope = probed(session, scope)  # each part of the scope probes its own index
    # A worker whose case joined a collective dispute of the same office is counted in the
    # dispute's head count (its lead's people affected), not a second time on their own.
    lead = aliased(Case)
    counted_in_lead = and_(Case.collective_case_id.is_not(None), exists().where(
        lead.id == Case.collective_case_id,
        lead.organisation_id.is_not_distinct_from(Case.organisation_id)))
    people = case((counted_in_lead, 0), else_=Case.people_affected)
    opened = session.execute(
        select(Case.category, func.count(), func.coalesce(func.sum(people), 0),
               func.coalesce(func.sum(Case.amount_owed), 0))
        .where(scope, Case.created_at >= start, Case.created_at < end)
        .group_by(Case.category)).all()
    report.by_category = {str(cat): n for cat, n, _, _ in opened}
    report.cases_opened = sum(n for _, n, _, _ in opened)
    report.people_affected = int(sum(p for _, _, p, _ in opened))
    report.wages_claimed = Decimal(sum((Decimal(w or 0) for _, _, _, w in opened), Decimal(0)))
    _count_contacts(session, report, scope, start, end)
    _count_finished(session, report, scope, start, end)
    report.satisfaction = satisfaction_scores(session, scope, start, end)
    return report


def _count_contacts(session: Session, report: MonthlyReport, scope: ColumnElement[bool],
                    start: datetime, end: datetime) -> None:
    """Workers served, first-time workers, and inbound SMS/calls on the office's cases."""
    sms = select(Message.contact_id.label("contact_id"), literal(1).label("sms"),
                 literal(0).label("call")).where(
        Message.created_at >= start, Message.created_at < end,
        Message.direction == Direction.INBOUND, in_scope(session, Message.case_id, scope))
    calls = select(Call.contact_id, literal(0), literal(1)).where(
        Call.created_at >= start, Call.created_at < end,
        Call.direction == Direction.INBOUND, in_scope(session, Call.case_id, scope))
    inbound = union_all(sms, calls).subquery()
    # One row per worker first (a few thousand), then each worker's own row is looked up
    # by its key: joining the month to every contact would read all 400,000 of them.
    per_worker = select(inbound.c.contact_id, func.sum(inbound.c.sms).label("sms"),
                        func.sum(inbound.c.call).label("call")
                        ).group_by(inbound.c.contact_id).subquery()
    first_time = exists().where(Contact.id == per_worker.c.contact_id,
                                Contact.created_at >= start, Contact.created_at < end)
    row = session.execute(select(
        func.coalesce(func.sum(per_worker.c.sms), 0),
        func.coalesce(func.sum(per_worker.c.call), 0), func.count(per_worker.c.contact_id),
        func.count(case((first_time, per_worker.c.contact_id))))).one()
    report.sms_in, report.calls_in = int(row[0]), int(row[1])
    report.contacts_served, report.new_contacts = int(row[2]), int(row[3])
    report.consultations = report.sms_in + report.calls_in


def _count_finished(session: Session, report: MonthlyReport, scope: ColumnElement[bool],
                    start: datetime, end: datetime) -> None:
    """Cases resolved/referred/closed in the month, and the wages they recovered."""
    finished = [str(CaseStatus.RESOLVED), str(CaseStatus.REFERRED), str(CaseStatus.CLOSED)]
    closed_in_month = select(CaseEvent.case_id).where(
        CaseEvent.kind == EventKind.STATUS, CaseEvent.at >= start, CaseEvent.at < end,
        CaseEvent.data["to"].as_string().in_(finished))
    count, recovered = session.execute(select(
        func.count(), func.coalesce(func.sum(Case.amount_recovered), 0))
        .where(Case.id.in_(closed_in_month), scope)).one()
    report.cases_finished = int(count)
    report.wages_recovered = Decimal(recovered or 0)


def satisfaction_scores(session: Session, scope: ColumnElement[bool], start: datetime,
                        end: datetime) -> dict[int, int]:
    """Closing-survey answers (1-5) given in the month, counted by score."""
    score = CaseEvent.data["satisfaction"].as_string()
    rows = session.execute(select(score, func.count()).where(
        CaseEvent.kind == EventKind.SURVEY, CaseEvent.at >= start, CaseEvent.at < end,
        in_scope(session, CaseEvent.case_id, scope)).group_by(score)).all()
    # A handful of groups; the answer may be stored as 5 or "5" (SQLite keeps the JSON type).
    counts: Counter[int] = Counter()
    for value, n in rows:
        if value is not None and str(value).isdigit():
            counts[int(value)] += n
    return dict(counts)
