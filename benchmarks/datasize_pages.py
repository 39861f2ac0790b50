"""Time every console page as admin, staff and volunteer, counting statements per request.

Pages are requested in-process through Flask's test client (no gunicorn, no network): the
time is the application's own (routing, queries, templates), and a `before_cursor_execute`
listener on the app's engine counts exactly the statements each request sends.
"""

from __future__ import annotations

import re
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event, func, select
from werkzeug.security import generate_password_hash

from benchmarks.datasize_generate import Base, month_start
from hotline.infra.db import get_db
from models import Campaign, Case, Organisation, Recipient, Role, User, Volunteer

PASSWORD = "datasize-bench-2026"
VOLUNTEERS_PER_OFFICE = 15
OFFICES = ("深圳市服务站", "东莞市服务站", "郑州市服务站", "成都市服务站")
STAFF_PAGES = ["/staff/", "/staff/cases", "/staff/cases?q={number}", "/staff/cases?q={employer}",
               "/staff/cases/{number}", "/staff/cases/{long}", "/staff/opt-outs",
               "/staff/reports/monthly", "/staff/reports/monthly?month={last_year}",
               "/staff/reports/monthly.csv", "/staff/campaigns/", "/staff/campaigns/{campaign}",
               "/staff/campaigns/new", "/staff/triage/", "/staff/volunteers", "/account/"]
PAGES = {
    "admin": [*STAFF_PAGES, "/staff/audit", "/staff/users/"],
    "staff": STAFF_PAGES,
    "volunteer": ["/inbox/", "/inbox/cases/{mine}", "/inbox/cases/{long}", "/account/"],
}


class StatementCounter:
    """Counts the statements an engine sends (a SQLAlchemy before_cursor_execute listener)."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        self.engine = engine
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    def close(self) -> None:
        """Stop listening."""
        event.remove(self.engine, "before_cursor_execute", self._seen)


@dataclass
class Timing:
    """One page: HTTP status, median and max milliseconds, statements per request."""

    status: int
    median_ms: float
    max_ms: float
    statements: int


def seed_base(app: Flask) -> Base:
    """Four offices (the first the biggest), their volunteers, and one login per role."""
    pw_hash = generate_password_hash(PASSWORD)
    with app.app_context(), get_db().begin() as session:
        orgs = [Organisation(name=name) for name in OFFICES]
        session.add_all(orgs)
        session.flush()
        volunteers: dict[int, list[int]] = {}
        for org in orgs:
            people = [Volunteer(name=f"志愿者{org.id}-{i}", phone=f"+86137{org.id:02d}{i:06d}",
                                languages=["zh"], organisation_id=org.id, on_duty=i % 3 == 0,
                                capacity=5) for i in range(VOLUNTEERS_PER_OFFICE)]
            session.add_all(people)
            session.flush()
            volunteers[org.id] = [v.id for v in people]
        admin = User(username="bench_admin", password_hash=pw_hash, role=Role.ADMIN)
        session.add_all([admin, User(username="bench_staff", password_hash=pw_hash,
                                     role=Role.STAFF, organisation_id=orgs[0].id),
                         User(username="bench_volunteer", password_hash=pw_hash,
                              role=Role.VOLUNTEER, organisation_id=orgs[0].id,
                              volunteer_id=volunteers[orgs[0].id][0])])
        session.flush()
        return Base([o.id for o in orgs], volunteers, admin.id)


def existing_base(app: Flask) -> Base:
    """The offices, volunteers and admin that `seed_base` wrote into a database before."""
    with app.app_context(), get_db().begin() as session:
        orgs = list(session.scalars(select(Organisation.id).where(Organisation.name.in_(OFFICES))
                                    .order_by(Organisation.id)))
        volunteers: dict[int, list[int]] = {org: [] for org in orgs}
        for vid, org in session.execute(select(Volunteer.id, Volunteer.organisation_id)
                                        .where(Volunteer.organisation_id.in_(orgs))
                                        .order_by(Volunteer.id)):
            volunteers[int(org or 0)].append(vid)
        admin = session.scalar(select(User.id).where(User.username == "bench_admin"))
    if not orgs or admin is None:
        raise RuntimeError("this database was not filled by benchmarks.datasize")
    return Base(orgs, volunteers, admin)


def login(app: Flask, username: str) -> Any:
    """A test client logged in through the real form."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": token.group(1) if token else ""})
    if response.status_code not in (302, 303):
        raise RuntimeError(f"{username} could not log in ({response.status_code})")
    return client


def targets(app: Flask, base: Base) -> dict[str, Any]:
    """The case numbers, employer and campaign the page paths name."""
    org, mine = base.organisations[0], base.volunteers[base.organisations[0]][0]
    now = datetime.now(UTC)
    last_year = month_start(now, 12).strftime("%Y-%m")
    with app.app_context(), get_db().begin() as session:
        number = session.scalar(select(Case.number).where(Case.organisation_id == org)
                                .order_by(Case.id.desc()).offset(5).limit(1))
        employer = session.scalar(select(Case.employer).where(Case.organisation_id == org)
                                  .order_by(Case.id.desc()).limit(1))
        own = session.scalar(select(Case.number).where(Case.assigned_volunteer_id == mine)
                             .order_by(Case.id.desc()).offset(1).limit(1))
        long = session.scalar(select(Case.number).where(Case.summary == LONG_SUMMARY))
        campaign = session.scalar(select(Campaign.id).where(Campaign.organisation_id == org)
                                  .order_by(Campaign.id.desc()).limit(1))
    return {"number": number or 999_999, "employer": (employer or "宏达电子厂")[-5:],
            "mine": own or 999_999, "long": long or 999_999, "campaign": campaign or 999_999,
            "last_year": last_year}


LONG_SUMMARY = "全厂一百多人被欠薪三个月"


@contextmanager
def counted(app: Flask) -> Iterator[StatementCounter]:
    """A statement counter on the app's engine for the duration."""
    with app.app_context():
        counter = StatementCounter(get_db().engine)
    try:
        yield counter
    finally:
        counter.close()


def time_pages(app: Flask, base: Base, repeat: int, warm_up: bool = True
               ) -> dict[str, dict[str, Timing]]:
    """Every page of every role: one warm-up (unless not `warm_up`), then `repeat` timed
    requests each."""
    where = targets(app, base)
    out: dict[str, dict[str, Timing]] = {}
    with counted(app) as counter:
        for role, paths in PAGES.items():
            client = login(app, f"bench_{role}")
            out[role] = {}
            for template in paths:
                path = template.format(**where)
                if warm_up:
                    client.get(path)
                times, statements, status = [], 0, 0
                for _ in range(repeat):
                    counter.count = 0
                    started = time.perf_counter()
                    response = client.get(path)
                    times.append((time.perf_counter() - started) * 1000)
                    statements, status = counter.count, response.status_code
                out[role][template] = Timing(status, round(statistics.median(times), 1),
                                             round(max(times), 1), statements)
    return out


def time_audiences(app: Flask, base: Base) -> dict[str, float]:
    """Milliseconds to count a campaign audience (everyone; the big office's) and to
    materialise the office's into recipient rows (rolled back)."""
    from notifications.campaigns.audience import Audience, audience_size, materialize

    out: dict[str, float] = {}
    with app.app_context():
        office = Audience(organisation_id=base.organisations[0])
        for name, audience in (("count all", Audience()), ("count one office", office)):
            started = time.perf_counter()
            with get_db().begin() as session:
                size = audience_size(session, audience)
            out[f"{name} ({size:,})"] = round((time.perf_counter() - started) * 1000, 1)
        db = get_db()
        with db.sessions() as session:
            campaign = Campaign(name="bench", sender="+8610000000000", created_by="bench",
                                audience=Audience(organisation_id=base.organisations[0])
                                .as_dict(), organisation_id=base.organisations[0])
            session.add(campaign)
            session.flush()
            started = time.perf_counter()
            materialize(session, campaign, "Asia/Shanghai")
            rows = session.scalar(select(func.count()).where(
                Recipient.campaign_id == campaign.id)) or 0
            out[f"materialise one office ({rows:,})"] = round(
                (time.perf_counter() - started) * 1000, 1)
            session.rollback()
    return out
