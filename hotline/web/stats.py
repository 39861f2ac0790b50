"""Figures for the dashboard and the funders' monthly report, always within the user's scope."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from hotline.routing import current_load
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
    Urgency,
    Volunteer,
    utcnow,
)

DEFAULT_TZ = "Asia/Shanghai"
WORKING = (CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS)  # a volunteer holds the case


def local_zone() -> ZoneInfo:
    """The office's time zone: days and months are counted in it."""
    return ZoneInfo(current_app.config.get("HOTLINE_TIMEZONE") or DEFAULT_TZ)


def cases_per_day(session: Session, scope: ColumnElement[bool], days: int = 30
                  ) -> tuple[list[str], dict[CaseCategory, list[int]]]:
    """New cases per local day for the last `days` days, one series per category."""
    zone = local_zone()
    today = utcnow().astimezone(zone).date()
    first = today - timedelta(days=days - 1)
    start = datetime.combine(first, datetime.min.time(), zone)
    rows = session.execute(select(Case.created_at, Case.category).where(
        scope, Case.created_at >= start)).all()
    labels = [(first + timedelta(days=i)).isoformat() for i in range(days)]
    series: dict[CaseCategory, list[int]] = defaultdict(lambda: [0] * days)
    for created, category in rows:
        index = (created.astimezone(zone).date() - first).days
        if 0 <= index < days:
            series[category][index] += 1
    return labels, dict(series)


def open_closed(session: Session, scope: ColumnElement[bool]) -> tuple[int, int]:
    """(open, finished) case counts; resolved/referred/closed count as finished."""
    rows = session.execute(select(Case.status, func.count()).where(scope)
                           .group_by(Case.status)).all()
    opened = sum(n for status, n in rows if status in OPEN_STATUSES)
    return opened, sum(n for _, n in rows) - opened


def by_place(session: Session, scope: ColumnElement[bool], limit: int = 10
             ) -> list[tuple[str, int]]:
    """Cases per work province/city, most first."""
    rows = session.execute(
        select(Case.work_province, Case.work_city, func.count()).where(scope)
        .group_by(Case.work_province, Case.work_city)
        .order_by(func.count().desc()).limit(limit)).all()
    return [(" ".join(p for p in (prov, city) if p) or "?", n) for prov, city, n in rows]


def wages(session: Session, scope: ColumnElement[bool]) -> tuple[Decimal, Decimal]:
    """(claimed, recovered) yuan over the cases in scope."""
    claimed, recovered = session.execute(select(
        func.coalesce(func.sum(Case.amount_owed), 0),
        func.coalesce(func.sum(Case.amount_recovered), 0)).where(scope)).one()
    return Decimal(claimed or 0), Decimal(recovered or 0)


def volunteer_load(session: Session, volunteer_scope: ColumnElement[bool]
                   ) -> list[tuple[Volunteer, int]]:
    """On-duty volunteers with their open-case count, busiest first."""
    load = current_load(session)
    volunteers = session.scalars(select(Volunteer).where(
        Volunteer.on_duty.is_(True), volunteer_scope).order_by(Volunteer.name)).all()
    return sorted(((v, load.get(v.id, 0)) for v in volunteers), key=lambda p: -p[1])


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
    cases = session.scalars(select(Case).where(
        scope, Case.status.in_(WORKING), Case.assigned_volunteer_id.is_not(None),
        unanswered | (activity < stale) | (contacted < monthly))
        .order_by(activity).limit(500)).all()
    breaches = [breach_of(case, stale, monthly) for case in cases]
    order = {"reminder": 0, "idle": 1, "monthly": 2}
    return sorted(breaches, key=lambda b: (order[b.reason], b.since))[:limit]


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
    return list(session.scalars(select(Case).where(
        scope, Case.status.in_(OPEN_STATUSES), Case.collective_case_id.is_(None),
        (Case.category == CaseCategory.COLLECTIVE) | (Case.people_affected >= minimum))
        .order_by(Case.urgency == Urgency.URGENT, Case.created_at.desc()).limit(limit)))


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
    """Contacts, consultations, cases by category, wages and satisfaction for one month."""
    start, end = month_bounds(month)
    report = MonthlyReport(month=month)
    in_month = Case.created_at.between(start, end - timedelta(microseconds=1))
    scoped_ids = select(Case.id).where(scope)
    opened = session.execute(select(Case.category, func.count(),
                                    func.coalesce(func.sum(Case.people_affected), 0))
                             .where(scope, in_month).group_by(Case.category)).all()
    report.by_category = {str(cat): n for cat, n, _ in opened}
    report.cases_opened = sum(n for _, n, _ in opened)
    report.people_affected = int(sum(p for _, _, p in opened))
    report.wages_claimed = Decimal(session.scalar(select(
        func.coalesce(func.sum(Case.amount_owed), 0)).where(scope, in_month)) or 0)
    _count_contacts(session, report, scoped_ids, start, end)
    _count_finished(session, report, scoped_ids, start, end)
    report.satisfaction = satisfaction_scores(session, scoped_ids, start, end)
    return report


def _count_contacts(session: Session, report: MonthlyReport, scoped_ids: object,
                    start: datetime, end: datetime) -> None:
    """Workers served, first-time workers, and inbound SMS/calls on the office's cases."""
    msgs = select(Message.contact_id).where(
        Message.direction == Direction.INBOUND, Message.case_id.in_(scoped_ids),  # type: ignore[arg-type]
        Message.created_at >= start, Message.created_at < end)
    calls = select(Call.contact_id).where(
        Call.direction == Direction.INBOUND, Call.case_id.in_(scoped_ids),  # type: ignore[arg-type]
        Call.created_at >= start, Call.created_at < end)
    contact_ids = {c for c in session.scalars(msgs.union_all(calls)) if c is not None}
    report.sms_in = session.scalar(select(func.count()).select_from(msgs.subquery())) or 0
    report.calls_in = session.scalar(select(func.count()).select_from(calls.subquery())) or 0
    report.contacts_served = len(contact_ids)
    report.new_contacts = session.scalar(select(func.count()).select_from(Contact).where(
        Contact.id.in_(contact_ids), Contact.created_at >= start, Contact.created_at < end)) or 0
    report.consultations = report.sms_in + report.calls_in


def _count_finished(session: Session, report: MonthlyReport, scoped_ids: object,
                    start: datetime, end: datetime) -> None:
    """Cases resolved/referred/closed in the month, and the wages they recovered."""
    finished = {str(CaseStatus.RESOLVED), str(CaseStatus.REFERRED), str(CaseStatus.CLOSED)}
    events = session.execute(select(CaseEvent.case_id, CaseEvent.data).where(
        CaseEvent.kind == EventKind.STATUS, CaseEvent.case_id.in_(scoped_ids),  # type: ignore[arg-type]
        CaseEvent.at >= start, CaseEvent.at < end)).all()
    case_ids = {cid for cid, data in events if (data or {}).get("to") in finished}
    report.cases_finished = len(case_ids)
    report.wages_recovered = Decimal(session.scalar(select(
        func.coalesce(func.sum(Case.amount_recovered), 0)).where(Case.id.in_(case_ids))) or 0)


def satisfaction_scores(session: Session, scoped_ids: object, start: datetime, end: datetime
                        ) -> dict[int, int]:
    """Closing-survey answers (1-5) given in the month, counted by score."""
    events = session.scalars(select(CaseEvent.data).where(
        CaseEvent.kind == EventKind.SURVEY, CaseEvent.case_id.in_(scoped_ids),  # type: ignore[arg-type]
        CaseEvent.at >= start, CaseEvent.at < end)).all()
    return dict(Counter(int(d["satisfaction"]) for d in events
                        if isinstance(d, dict) and str(d.get("satisfaction", "")).isdigit()))
