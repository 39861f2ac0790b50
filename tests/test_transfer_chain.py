"""Every office that held a transferred case keeps sight of it (A → B → C: A, B and C)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from hotline.infra.migrate import alembic_config, upgrade
from models import (
    Case,
    CaseEvent,
    CaseOrganisation,
    EventKind,
    Organisation,
    Role,
    User,
    utcnow,
)
from tests.conftest import WebWorld, database_at
from tests.test_web_forms import case_of, logged_in


def add_office(name: str, username: str) -> int:
    """A third (fourth…) organisation with one staff login (the web world's password)."""
    with get_db().begin() as s:
        org = Organisation(name=name)
        s.add(org)
        s.flush()
        pw = s.scalar(select(User.password_hash).where(User.username == "staff_a"))
        s.add(User(username=username, role=Role.STAFF, organisation_id=org.id,
                   password_hash=pw))
        return org.id


def transfer(app: Flask, username: str, number: int, to: int, note: str) -> None:
    """Staff `username` transfer the case through the console."""
    client, token = logged_in(app, username)
    resp = client.post(f"/staff/cases/{number}/transfer",
                       data={"organisation_id": str(to), "note": note, "csrf_token": token})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:500]


def test_every_office_that_held_the_case_keeps_sight_of_it(app: Flask,
                                                            web_world: WebWorld) -> None:
    org_c = add_office("深圳法律援助站", "staff_c")
    add_office("东莞服务站", "staff_d")
    number = web_world.declined_by_a
    transfer(app, "staff_a", number, web_world.org_b, "工友去了珠海")
    transfer(app, "staff_b", number, org_c, "需要律师")
    case = case_of(number)
    assert (case.organisation_id, case.origin_organisation_id) == (org_c, web_world.org_b)
    page = f"/staff/cases/{number}?lang=zh"
    for username in ("staff_a", "staff_b", "staff_c", "admin"):
        client, _ = logged_in(app, username)
        html = client.get(page).get_data(as_text=True)
        assert "工友去了珠海" in html and "需要律师" in html, username  # the whole history
        listing = client.get("/staff/cases?status=all").get_data(as_text=True)
        assert f"#{number}<" in listing, username
    # The page names both former offices, oldest first.
    html = logged_in(app, "staff_c")[0].get(page).get_data(as_text=True)
    assert re.search(r'<p class="queue">[^<]*深圳法律援助站[^<]*固始县服务站, 珠海市中心', html)
    staff_d, token = logged_in(app, "staff_d")
    assert staff_d.get(page).status_code == 404
    assert f"#{number}<" not in staff_d.get("/staff/cases?status=all").get_data(as_text=True)
    assert staff_d.post(f"/staff/cases/{number}/note",
                        data={"text": "mine", "csrf_token": token}).status_code == 404
    # Back to A: no duplicate link (unique), and B and C still follow it.
    transfer(app, "staff_c", number, web_world.org_a, "回老家处理")
    with get_db().begin() as s:
        case_id = s.scalar(select(Case.id).where(Case.number == number))
        held = sorted(s.scalars(select(CaseOrganisation.organisation_id)
                                .where(CaseOrganisation.case_id == case_id)))
    assert held == sorted([web_world.org_a, web_world.org_b, org_c])
    for username in ("staff_a", "staff_b", "staff_c"):
        assert logged_in(app, username)[0].get(page).status_code == 200
    assert staff_d.get(page).status_code == 404


def test_former_offices_may_still_text_the_worker(app: Flask, web_world: WebWorld) -> None:
    from sqlalchemy import func

    from notifications.campaigns.audience import Audience
    from tests.test_routing_support import add_case

    org_c = add_office("深圳法律援助站", "staff_c")
    # A worker of their own, known to nobody but through this one case.
    _case_id, number = add_case("+8613812349999", organisation_id=web_world.org_a)
    transfer(app, "staff_a", number, web_world.org_b, "工友去了珠海")
    transfer(app, "staff_b", number, org_c, "需要律师")
    worker = case_of(number).contact_id
    other = add_office("东莞服务站", "staff_d")
    with get_db().begin() as s:
        for org in (web_world.org_a, web_world.org_b, org_c):
            scoped = Audience(organisation_id=org).contacts().subquery()
            assert worker in set(s.scalars(select(scoped.c.id))), org
        scoped = Audience(organisation_id=other).contacts().subquery()
        assert s.scalar(select(func.count()).select_from(scoped)) == 0


def test_an_untransferred_case_stays_with_its_office(app: Flask, web_world: WebWorld) -> None:
    client, _ = logged_in(app, "staff_b")
    assert client.get(f"/staff/cases/{web_world.assigned_to_a}").status_code == 404
    assert client.get(f"/staff/cases/{web_world.org_b_case}").status_code == 200


# --- the migration fills the link table from what was known before -------------------------

@pytest.fixture(params=["sqlite", "postgresql"])
def old_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at 0009 (before case_organisations), on SQLite and PostgreSQL."""
    with database_at(request.param, "0009_web_sessions", tmp_path, "links") as url:
        yield url


def test_migration_links_every_office_a_case_came_from(old_db: str) -> None:
    engine = create_engine(old_db)
    with Session(engine) as s, s.begin():
        # Plain SQL with the columns an 0009 database has (the models have grown since).
        now = utcnow()
        a, b, c = (SimpleNamespace(id=s.execute(text(
            "INSERT INTO organisations (name, staff_numbers, created_at) VALUES (:name, '[]', "
            ":now) RETURNING id"), {"name": n, "now": now}).scalar_one()) for n in "ABC")
        worker = SimpleNamespace(id=s.execute(text(
            "INSERT INTO contacts (phone, language, created_at) VALUES ('+8613800138000', 'zh', "
            ":now) RETURNING id"), {"now": now}).scalar_one())
        add_case = text(
            "INSERT INTO cases (contact_id, status, category, urgency, channel, language, "
            "people_affected, offer_round_base, created_at, updated_at, organisation_id, "
            "origin_organisation_id) VALUES (:contact, 'new', 'unknown', 'normal', 'sms', 'zh', "
            "1, 0, :now, :now, :org, :origin) RETURNING id")
        moved = SimpleNamespace(id=s.execute(add_case, {
            "contact": worker.id, "now": now, "org": c.id, "origin": b.id}).scalar_one())
        stayed = SimpleNamespace(id=s.execute(add_case, {
            "contact": worker.id, "now": now, "org": a.id, "origin": None}).scalar_one())
        for source, target in ((a, b), (b, c)):
            s.add(CaseEvent(case_id=moved.id, kind=EventKind.TRANSFER, text="t",
                            data={"from": source.id, "to": target.id, "note": "x"}))
        ids = (moved.id, stayed.id, a.id, b.id)
    upgrade(old_db, "0010_case_organisations")
    with Session(engine) as s:
        links = sorted((link.case_id, link.organisation_id)
                       for link in s.scalars(select(CaseOrganisation)))
    moved_id, _stayed_id, a_id, b_id = ids
    assert links == [(moved_id, a_id), (moved_id, b_id)]
    command.downgrade(alembic_config(old_db), "0009_web_sessions")
    with engine.connect() as conn:
        assert conn.execute(select(Case.id)).all()  # the cases survive the way back
    engine.dispose()
