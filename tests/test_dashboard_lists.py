"""The dashboard's open-case lists at a realistic size, on SQLite and PostgreSQL: deadline
breaches, collective alerts and volunteer load pick exactly the cases (and counts) the plain
rule picks when every open case is read and judged one by one, for an admin and for one
office; and the dashboard sends the same statements with three times the cases."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, event, select, true, update
from werkzeug.security import generate_password_hash

from benchmarks.datasize_generate import Base, generate
from benchmarks.datasize_pages import seed_base
from hotline.infra.db import get_db
from hotline.matching import current_load
from hotline.web.stats import (
    breach_of,
    collective_alerts,
    stale_cases,
    volunteer_load,
)
from models import (
    OPEN_STATUSES,
    Case,
    CaseCategory,
    CaseOrganisation,
    Role,
    Urgency,
    User,
    Volunteer,
    utcnow,
)
from models.case import VOLUNTEER_HOLDS
from tests.conftest import _web_password_hash, web_login


def office_scope(org: int) -> ColumnElement[bool]:
    """An office's cases as hotline.web.access scopes them: its queue, or held before a
    transfer."""
    held = select(CaseOrganisation.case_id).where(CaseOrganisation.organisation_id == org)
    return (Case.organisation_id == org) | Case.id.in_(held)


def vary_deadlines(seed: int) -> None:
    """What the generator leaves out: reminders (answered and not), cases never touched
    since they opened, members of a collective dispute, urgent ones among the rest."""
    rng = random.Random(seed)
    now = utcnow()
    with get_db().begin() as s:
        working = list(s.scalars(select(Case).where(Case.status.in_(VOLUNTEER_HOLDS))
                                 .order_by(Case.id)))
        open_cases = list(s.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES))
                                    .order_by(Case.id)))
        for case in working:
            roll = rng.random()
            if roll < 0.25:
                case.reminded_at = now - timedelta(days=rng.randint(0, 20), minutes=rng.randint(
                    0, 999))
            if 0.25 <= roll < 0.35:
                case.last_activity_at = None
            if 0.35 <= roll < 0.45:
                case.worker_contacted_at = None
        leads = [c for c in open_cases if c.category == CaseCategory.COLLECTIVE]
        for case in open_cases:
            if leads and case not in leads and rng.random() < 0.05:
                case.collective_case_id = rng.choice(leads).id
            if rng.random() < 0.1:
                case.urgency = Urgency.URGENT
            if rng.random() < 0.1:
                case.people_affected = rng.choice([3, 4, 30])


def judged_one_by_one(scope: ColumnElement[bool], app: Flask) -> dict[str, Any]:
    """The three lists as the plain rule gives them: every open case loaded and judged here."""
    cfg, now = app.config, utcnow()
    stale = now - timedelta(days=int(cfg.get("STALE_CASE_DAYS", 7)))
    monthly = now - timedelta(days=int(cfg.get("MONTHLY_CONTACT_DAYS", 30)))
    minimum = int(cfg.get("COLLECTIVE_MIN_WORKERS", 3))
    with get_db().begin() as s:
        cases = list(s.scalars(select(Case).where(scope, Case.status.in_(OPEN_STATUSES))))
        breaches = []
        for case in cases:
            if case.status not in VOLUNTEER_HOLDS or case.assigned_volunteer_id is None:
                continue
            b = breach_of(case, stale, monthly)
            activity = case.last_activity_at or case.created_at
            contacted = case.worker_contacted_at or case.created_at
            if b.reason == "monthly" and not contacted < monthly:
                continue  # no deadline broken
            assert b.reason != "idle" or activity < stale
            rank = {"reminder": 0, "idle": 1, "monthly": 2}[b.reason]
            breaches.append((rank, b.since, case.id, b.reason))
        collective = [c for c in cases if c.collective_case_id is None and (
            c.category == CaseCategory.COLLECTIVE or c.people_affected >= minimum)]
        collective.sort(key=lambda c: (c.urgency != Urgency.URGENT, -c.created_at.timestamp(),
                                       -c.id))
        load = current_load(s)
        on_duty = list(s.scalars(select(Volunteer).where(Volunteer.on_duty.is_(True))))
    return {"stale": [(i, why) for _, _, i, why in sorted(breaches)[:20]],
            "collective": [c.id for c in collective[:20]],
            "load": sorted(((load.get(v.id, 0), v.name, v.id) for v in on_duty),
                           key=lambda t: (-t[0], t[1], t[2]))}


def picked_in_sql(scope: ColumnElement[bool], volunteers: Any) -> dict[str, Any]:
    """The three lists as the dashboard reads them."""
    with get_db().begin() as s:
        return {"stale": [(b.case.id, b.reason) for b in stale_cases(s, scope)],
                "collective": [c.id for c in collective_alerts(s, scope)],
                "load": [(n, v.name, v.id) for v, n in volunteer_load(s, volunteers)]}


def test_lists_pick_the_cases_the_plain_rule_picks(app: Flask) -> None:
    base = seed_base(app)
    generate(get_db().engine, base, 0.01, seed=5)
    vary_deadlines(seed=6)
    office = base.organisations[1]
    mine = set(base.volunteers[office])
    for scope, volunteers, allowed in (
            (true(), Volunteer.id.is_not(None), None),
            (office_scope(office), Volunteer.organisation_id == office, mine)):
        expected = judged_one_by_one(scope, app)
        expected["load"] = [t for t in expected["load"] if allowed is None or t[2] in allowed]
        got = picked_in_sql(scope, volunteers)
        assert got == expected
        assert len(got["stale"]) == 20 or allowed  # an office may have fewer breaches
        assert {r for _, r in got["stale"]} >= {"reminder", "idle"}
        assert got["collective"] and got["load"]


def dashboard_statements(app: Flask) -> int:
    """Statements one dashboard request sends (after a first request)."""
    client = app.test_client()
    web_login(client, "lists_admin")
    client.get("/staff/")
    seen: list[str] = []

    def keep(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        seen.append(statement)

    engine = get_db().engine
    event.listen(engine, "before_cursor_execute", keep)
    try:
        assert client.get("/staff/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    return len(seen)


def test_dashboard_statements_do_not_grow_with_the_cases(app: Flask) -> None:
    base: Base = seed_base(app)
    with get_db().begin() as s:
        s.add(User(username="lists_admin", role=Role.ADMIN,
                   password_hash=_web_password_hash(generate_password_hash)))
        s.execute(update(Volunteer).values(on_duty=True))
    generate(get_db().engine, base, 0.002, seed=1)
    small = dashboard_statements(app)
    generate(get_db().engine, base, 0.004, seed=2)
    vary_deadlines(seed=3)
    assert dashboard_statements(app) == small


def test_cases_per_day_counts_each_case_on_its_local_day(app: Flask) -> None:
    """A case a second before the office's midnight is the day before; one at midnight is the
    new day; the first day starts at its own local midnight; older cases are not drawn."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from hotline.web.stats import cases_per_day
    from tests.test_routing_support import add_case

    zone = ZoneInfo("Asia/Shanghai")
    with app.app_context():
        today = utcnow().astimezone(zone).date()
        midnight = datetime.combine(today, datetime.min.time(), zone)
        first = datetime.combine(today - timedelta(days=29), datetime.min.time(), zone)
        placed = [(midnight - timedelta(seconds=1), CaseCategory.WAGES, 28),
                  (midnight, CaseCategory.WAGES, 29),
                  (midnight + timedelta(minutes=5), CaseCategory.INJURY, 29),
                  (first, CaseCategory.INJURY, 0),
                  (first + timedelta(hours=23, minutes=59), CaseCategory.WAGES, 0),
                  (first + timedelta(days=1), CaseCategory.WAGES, 1)]
        for at, category, _day in placed:
            add_case(created_at=at, category=category)
        add_case(created_at=first - timedelta(seconds=1))  # the day before the chart
        with get_db().begin() as session:
            labels, series = cases_per_day(session, true())
    assert labels[0] == first.date().isoformat() and labels[-1] == today.isoformat()
    expected: dict[CaseCategory, list[int]] = {}
    for _at, category, day in placed:
        expected.setdefault(category, [0] * 30)[day] += 1
    assert series == expected
