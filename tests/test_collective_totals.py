"""A collective dispute's money and people, counted once: each case keeps its own worker's
claim, the dispute's total is added up where it is shown (the offer SMS, the case pages), and
the dashboard and the monthly report count every yuan and every worker once. On SQLite and
PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from flask import Flask
from sqlalchemy import create_engine, text

from hotline.disputes import dispute_of
from hotline.infra.db import get_db
from hotline.infra.migrate import alembic_config, upgrade
from hotline.routing import route_case
from hotline.web.stats import case_figures, monthly_report
from models import Case, CaseStatus, Purpose, utcnow
from tests.conftest import WebWorld, database_at, web_login
from tests.test_collective import detect
from tests.test_routing_support import add_case, add_volunteer, case_state, outbound

EMPLOYER = ["深圳市宏达电子有限公司", "深圳宏达电子厂", "【深圳宏达电子】", "深圳宏達電子廠"]
EVERY_CASE = Case.id.is_not(None)


def form_dispute(organisation_id: int | None = None) -> list[int]:
    """Three workers of one employer, owed 5,000, nothing said and 7,000: (lead, b, c)."""
    a, _ = add_case(employer=EMPLOYER[0], amount_owed=5000, organisation_id=organisation_id)
    b, _ = add_case(employer=EMPLOYER[1], organisation_id=organisation_id)
    assert detect(b) is None  # two workers are not yet a dispute
    c, _ = add_case(employer=EMPLOYER[2], amount_owed=7000, organisation_id=organisation_id)
    lead = detect(c)
    assert lead is not None and lead.id == a
    return [a, b, c]


def test_each_case_keeps_its_workers_claim_and_the_dispute_adds_them_up(app: Flask) -> None:
    lead, b, c = form_dispute()
    assert [case_state(i).amount_owed for i in (lead, b, c)] == [5000, None, 7000]
    with get_db().begin() as s:
        lead_case, member = s.get(Case, lead), s.get(Case, c)
        assert lead_case is not None and member is not None
        for seen_from in (lead_case, member):  # the same dispute from either end
            dispute = dispute_of(s, seen_from)
            assert dispute is not None and dispute.lead is lead_case
            assert dispute.owed == 12000 and [m.id for m in dispute.members] == [b, c]
    # A fourth worker joins later and says a sum; a member answers theirs after joining.
    d, _ = add_case(employer=EMPLOYER[3], amount_owed=Decimal("3500.50"))
    assert detect(d) is not None
    with get_db().begin() as s:
        member_b = s.get(Case, b)
        assert member_b is not None
        member_b.amount_owed = Decimal(2000)
    with get_db().begin() as s:
        lead_case = s.get(Case, lead)
        assert lead_case is not None
        dispute = dispute_of(s, lead_case)
        assert dispute is not None and dispute.owed == Decimal("17500.50")
    assert case_state(lead).amount_owed == 5000


def test_a_case_of_one_worker_is_no_dispute(app: Flask) -> None:
    """Nor is a collective case nobody joined ("我们30个人被欠了60万" is one worker's report)."""
    alone, _ = add_case(employer="某某建筑", amount_owed=600000, people_affected=30,
                        category="collective")
    wages, _ = add_case(employer="某某电子厂", amount_owed=8000)
    with get_db().begin() as s:
        for case_id in (alone, wages):
            case = s.get(Case, case_id)
            assert case is not None and dispute_of(s, case) is None


def test_the_offer_sms_tells_the_whole_disputes_sum(app: Flask) -> None:
    app.config.update(STAFF_NUMBERS=["+8613700000099"], URGENT_FANOUT=1)
    volunteer = add_volunteer(skills=["collective"])
    lead, _b, _c = form_dispute()
    route_case(lead)
    [offer] = [m for m in outbound(Purpose.OFFER) if m.volunteer_id == volunteer]
    assert "3人" in offer.body and "12000" in offer.body, offer.body
    assert "5000" not in offer.body


def test_dashboard_and_monthly_report_count_each_yuan_and_worker_once(app: Flask) -> None:
    form_dispute()
    add_case(employer="另一家公司", amount_owed=1000)  # a worker of no dispute
    with get_db().begin() as s:
        figures = case_figures(s, EVERY_CASE)
        report = monthly_report(s, EVERY_CASE, utcnow().strftime("%Y-%m"))
    assert figures.claimed == 13000  # 5,000 + 7,000 + 1,000: the lead's sum is not added again
    assert report.wages_claimed == 13000
    # The dispute's three workers are its lead's head count, plus the other worker.
    assert report.people_affected == 4 and report.cases_opened == 4


def test_a_worker_of_another_office_is_counted_by_their_own_office(app: Flask) -> None:
    """The lead's head count is office A's; office B's member is counted in B's report."""
    from tests.test_collective_offices import add_office

    a = add_office("深圳工友中心", "+8613700000011")
    b = add_office("固始县服务站", "+8613700000022")
    add_case(employer=EMPLOYER[0], amount_owed=5000, organisation_id=a)
    second, _ = add_case(employer=EMPLOYER[1], organisation_id=a)
    assert detect(second) is None
    third, _ = add_case(employer=EMPLOYER[2], amount_owed=7000, organisation_id=b)
    assert detect(third) is not None
    month = utcnow().strftime("%Y-%m")
    with get_db().begin() as s:
        office_a = monthly_report(s, Case.organisation_id == a, month)
        office_b = monthly_report(s, Case.organisation_id == b, month)
    assert (office_a.people_affected, office_a.wages_claimed) == (3, 5000)
    assert (office_b.people_affected, office_b.wages_claimed) == (1, 7000)


def summary_text(app: Flask, username: str, url: str) -> str:
    """The words of a case page's summary card, as a reader sees them."""
    client = app.test_client()
    web_login(client, username)
    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    card = html.split('class="card summary-card"', 1)[1].split("</section>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", card))


def test_the_case_pages_show_the_dispute_its_cases_and_their_total(
        app: Flask, web_world: WebWorld) -> None:
    lead, b, c = form_dispute(organisation_id=web_world.org_a)
    numbers = [case_state(i).number for i in (lead, b, c)]
    lead_page = f"/staff/cases/{numbers[0]}?lang=zh"
    summary = summary_text(app, "staff_a", lead_page)
    assert "集体纠纷 本案牵头，共3件" in summary, summary
    assert f"#{numbers[0]}（牵头）" in summary and f"#{numbers[1]}" in summary
    assert "本人被欠工资 ¥5,000" in summary and "工友们合计被欠 ¥12,000" in summary
    assert "3位工友中有2位说了金额" in summary
    html = web_login_and_get(app, "staff_a", lead_page)
    # The other cases are links; the page's own case is not.
    assert f'href="/staff/cases/{numbers[2]}"' in html
    assert f'href="/staff/cases/{numbers[0]}"' not in html
    member = summary_text(app, "staff_a", f"/staff/cases/{numbers[2]}?lang=zh")
    assert f"由案件 #{numbers[0]} 牵头" in member and "工友们合计被欠 ¥12,000" in member
    assert "本人被欠工资 ¥7,000" in member
    english = summary_text(app, "staff_a", f"/staff/cases/{numbers[0]}?lang=en")
    assert "this case leads it, 3 cases in all" in english and "Owed to them all" in english


def test_a_volunteer_sees_links_only_to_the_cases_they_hold(app: Flask,
                                                            web_world: WebWorld) -> None:
    lead, b, c = form_dispute(organisation_id=web_world.org_a)
    with get_db().begin() as s:
        for case_id in (lead, c):
            case = s.get(Case, case_id)
            assert case is not None
            case.assigned_volunteer_id, case.status = web_world.vol_a, CaseStatus.ASSIGNED
    numbers = [case_state(i).number for i in (lead, b, c)]
    html = web_login_and_get(app, "vol_a", f"/inbox/cases/{numbers[0]}?lang=zh")
    assert f'href="/inbox/cases/{numbers[2]}"' in html
    assert f"/inbox/cases/{numbers[1]}\"" not in html and f"#{numbers[1]}" in html


def test_another_offices_cases_are_counted_not_named(app: Flask, web_world: WebWorld) -> None:
    lead, _ = add_case(employer=EMPLOYER[0], amount_owed=5000, organisation_id=web_world.org_a)
    second, _ = add_case(employer=EMPLOYER[1], organisation_id=web_world.org_a)
    assert detect(second) is None
    other, _ = add_case(employer=EMPLOYER[2], amount_owed=7000,
                        organisation_id=web_world.org_b)
    assert detect(other) is not None
    summary = summary_text(app, "staff_a", f"/staff/cases/{case_state(lead).number}?lang=zh")
    assert "另有1件在其他机构" in summary and f"#{case_state(other).number}" not in summary
    assert "工友们合计被欠 ¥12,000" in summary


def web_login_and_get(app: Flask, username: str, url: str) -> str:
    """A page's HTML for a signed-in user."""
    client = app.test_client()
    web_login(client, username)
    page = client.get(url)
    assert page.status_code == 200
    return page.get_data(as_text=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_at_0018(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database at 0018 (leads holding their members' sums), SQLite and PostgreSQL."""
    with database_at(request.param, "0018_cases_by_worker_office", tmp_path, "claims") as url:
        yield url


def test_migration_gives_each_lead_back_its_own_claim(db_at_0018: str) -> None:
    engine = create_engine(db_at_0018)
    with engine.begin() as conn:  # plain SQL: the columns an 0018 database has
        now = utcnow()

        def add(number: int, owed: int | None, lead: int | None = None) -> int:
            contact = conn.execute(text(
                "INSERT INTO contacts (phone, language, created_at) VALUES (:p, 'zh', :now) "
                "RETURNING id"), {"p": f"+8613800{number:06d}", "now": now}).scalar_one()
            return int(conn.execute(text(
                "INSERT INTO cases (number, contact_id, channel, language, category, status, "
                "urgency, people_affected, people_approximate, amount_owed, "
                "collective_case_id, created_at, updated_at) VALUES (:n, :c, 'sms', 'zh', "
                "'collective', 'new', 'urgent', 1, false, :owed, :lead, :now, :now) "
                "RETURNING id"),
                {"n": number, "c": contact, "owed": owed, "lead": lead, "now": now}
            ).scalar_one())

        def formed(lead: int, members: list[int]) -> None:
            conn.execute(text(
                "INSERT INTO case_events (case_id, at, kind, actor, text, data) VALUES "
                "(:id, :now, 'collective', 'system', 'collective dispute', :data)"),
                {"id": lead, "now": now, "data": json.dumps({"members": members, "workers": 3})})

        # 5,000 + (nothing) + 7,000 written as 12,000 on the lead; a later joiner's 900 never was.
        first = add(1001, 12000)
        add(1002, None, first), add(1003, 7000, first), add(1004, 900, first)
        formed(first, [1002, 1003])
        # A lead that had said no sum: its members' 4,000 is all it held.
        second = add(2001, 4000)
        add(2002, 4000, second)
        formed(second, [2002])
        # A member's sum raised since: less than nothing would be left, so it stays.
        third = add(3001, 6000)
        add(3002, 9000, third)
        formed(third, [3002])
    upgrade(db_at_0018)
    with engine.begin() as conn:
        owed = {int(n): v for n, v in conn.execute(
            text("SELECT number, amount_owed FROM cases")).all()}
    assert {n: (None if v is None else Decimal(str(v))) for n, v in owed.items()} == {
        1001: 5000, 1002: None, 1003: 7000, 1004: 900, 2001: None, 2002: 4000,
        3001: 6000, 3002: 9000}
    command.downgrade(alembic_config(db_at_0018), "0018_cases_by_worker_office")
    with engine.begin() as conn:
        assert conn.execute(text("SELECT amount_owed FROM cases WHERE number = 1001")
                            ).scalar_one() == 12900
    engine.dispose()


def test_the_volunteers_inbox_offers_a_dispute_with_its_total(app: Flask,
                                                              web_world: WebWorld) -> None:
    from models import Offer, OfferStatus

    lead, _b, _c = form_dispute(organisation_id=web_world.org_a)
    with get_db().begin() as s:
        s.add(Offer(case_id=lead, volunteer_id=web_world.vol_a, status=OfferStatus.PENDING))
    html = web_login_and_get(app, "vol_a", "/inbox/?lang=zh")
    offer = html.split(f'id="offer-{case_state(lead).number}"', 1)[1].split("</article>", 1)[0]
    assert "3人" in offer and "¥12,000" in offer and "¥5,000" not in offer
