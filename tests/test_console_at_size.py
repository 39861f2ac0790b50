"""The console at size: statements per page do not grow with the data, and the figures the
optimised pages show are the ones worked out by hand from a known month."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from benchmarks.datasize_generate import generate
from benchmarks.datasize_pages import PAGES, seed_base, time_pages
from hotline.infra.db import get_db
from hotline.web.stats import monthly_report
from models import (
    Call,
    Case,
    CaseEvent,
    CaseOrganisation,
    Contact,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    Organisation,
    Role,
    User,
)
from tests.conftest import _web_password_hash, web_login

SHANGHAI = ZoneInfo("Asia/Shanghai")


def statements_per_page(app: Flask, base: Any) -> dict[tuple[str, str], int]:
    """(role, page) → statements one request sends (after a warm-up request)."""
    # No warm-up: a first request's extra statements would only make the small size's larger.
    timings = time_pages(app, base, repeat=1, warm_up=False)
    return {(role, path): t.statements for role, pages in timings.items()
            for path, t in pages.items()}


def test_statements_per_page_do_not_grow_with_the_data(app: Flask) -> None:
    """Every page of every role, at one size and at three times it: the same statements."""
    base = seed_base(app)
    generate(get_db().engine, base, 0.001, seed=1)
    small = statements_per_page(app, base)
    generate(get_db().engine, base, 0.002, seed=2)
    large = statements_per_page(app, base)
    grown = {page: (small[page], large[page]) for page in small if large[page] > small[page]}
    assert grown == {}, f"statements grew with the data (small, large): {grown}"
    assert len(small) == sum(len(p) for p in PAGES.values())


def at(day: str, clock: str = "12:00") -> datetime:
    """A moment given in the office's (Shanghai) time."""
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI).astimezone(UTC)


def message(contact: Contact, case: Case, when: datetime, inbound: bool = True) -> Message:
    """A text on a case."""
    return Message(direction=Direction.INBOUND if inbound else Direction.OUTBOUND,
                   status=MessageStatus.RECEIVED if inbound else MessageStatus.DELIVERED,
                   from_number=contact.phone, to_number="+8610086000000", body="工资还没发",
                   contact_id=contact.id, case_id=case.id, created_at=when, updated_at=when)


def event(case: Case, kind: EventKind, when: datetime, data: dict[str, Any]) -> CaseEvent:
    """A timeline line at a given time."""
    return CaseEvent(case_id=case.id, kind=kind, at=when, text="", data=data)


@pytest.fixture
def may(app: Flask) -> dict[str, int]:
    """Two offices' May 2026, written row by row (the expected figures are worked out below)."""
    with get_db().begin() as s:
        org_a, org_b = Organisation(name="固始县服务站"), Organisation(name="珠海市中心")
        s.add_all([org_a, org_b])
        s.flush()
        pw = _web_password_hash(generate_password_hash)
        s.add_all([User(username="admin", password_hash=pw, role=Role.ADMIN),
                   User(username="staff_a", password_hash=pw, role=Role.STAFF,
                        organisation_id=org_a.id)])
        w1 = Contact(phone="+8613800000001", created_at=at("2026-05-03"))  # first came in May
        w2 = Contact(phone="+8613800000002", created_at=at("2026-04-20"))
        w3 = Contact(phone="+8613800000003", created_at=at("2026-05-10"))  # office B's worker
        s.add_all([w1, w2, w3])
        s.flush()

        def new_case(contact: Contact, org: int, category: str, created: datetime,
                     people: int = 1, owed: int | None = None,
                     recovered: int | None = None) -> Case:
            case = Case(contact_id=contact.id, organisation_id=org, category=category,
                        created_at=created, people_affected=people, amount_owed=owed,
                        amount_recovered=recovered, employer="某某电子厂")
            s.add(case)
            s.flush()
            case.assign_number()
            return case

        c1 = new_case(w1, org_a.id, "wages", at("2026-05-02"), 3, 12000, 6000)
        c2 = new_case(w2, org_a.id, "injury", at("2026-05-15"))
        c3 = new_case(w2, org_a.id, "wages", at("2026-04-10"), 1, 5000, 5000)  # opened in April
        c4 = new_case(w3, org_b.id, "wages", at("2026-05-11"), 1, 3000)
        c5 = new_case(w3, org_b.id, "contract", at("2026-05-12"))  # office A held it first
        s.add(CaseOrganisation(case_id=c5.id, organisation_id=org_a.id))
        s.add_all([
            message(w1, c1, at("2026-05-03")), message(w1, c1, at("2026-05-31", "23:30")),
            message(w1, c1, at("2026-06-01", "00:10")),  # June in Shanghai: not May's
            message(w1, c1, at("2026-05-03", "12:01"), inbound=False),  # our reply: not counted
            message(w2, c3, at("2026-05-04")), message(w3, c4, at("2026-05-11")),
            Call(sid="CA1", direction=Direction.INBOUND, from_number=w2.phone,
                 to_number="+8610086000000", contact_id=w2.id, case_id=c2.id,
                 created_at=at("2026-05-15"), updated_at=at("2026-05-15")),
            event(c1, EventKind.STATUS, at("2026-05-20"), {"from": "in_progress",
                                                           "to": "resolved"}),
            event(c3, EventKind.STATUS, at("2026-05-05"), {"from": "resolved", "to": "closed"}),
            event(c2, EventKind.STATUS, at("2026-05-16"), {"from": "assigned",
                                                           "to": "in_progress"}),
            event(c3, EventKind.STATUS, at("2026-04-30"), {"from": "in_progress",
                                                           "to": "resolved"}),  # April
            event(c1, EventKind.SURVEY, at("2026-05-21"), {"satisfaction": 5}),
            event(c3, EventKind.SURVEY, at("2026-05-06"), {"satisfaction": "4"}),
            event(c1, EventKind.SURVEY, at("2026-05-03"), {}),  # "survey sent": no answer
            event(c4, EventKind.SURVEY, at("2026-05-12"), {"satisfaction": 2}),
        ])
        return {"org_a": org_a.id}


# Worked out by hand from the fixture: office A sees cases 1, 2, 3 and 5 (5 through the
# transfer); the admin sees case 4 too.
EXPECTED = {
    "staff_a": {"cases_opened": 3, "by_category": {"wages": 1, "injury": 1, "contract": 1},
                "people_affected": 5, "wages_claimed": Decimal(12000), "sms_in": 3,
                "calls_in": 1, "consultations": 4, "contacts_served": 2, "new_contacts": 1,
                "cases_finished": 2, "wages_recovered": Decimal(11000),
                "satisfaction": {5: 1, 4: 1}},
    "admin": {"cases_opened": 4, "by_category": {"wages": 2, "injury": 1, "contract": 1},
              "people_affected": 6, "wages_claimed": Decimal(15000), "sms_in": 4,
              "calls_in": 1, "consultations": 5, "contacts_served": 3, "new_contacts": 2,
              "cases_finished": 2, "wages_recovered": Decimal(11000),
              "satisfaction": {5: 1, 4: 1, 2: 1}},
}


@pytest.mark.parametrize("who", ["staff_a", "admin"])
def test_monthly_report_counts_the_month_by_hand(app: Flask, may: dict[str, int],
                                                 who: str) -> None:
    from hotline.web.access import case_scope

    with get_db().begin() as s:
        user = s.query(User).filter_by(username=who).one()
        figures = monthly_report(s, case_scope(user), "2026-05")
    assert {k: getattr(figures, k) for k in EXPECTED[who]} == EXPECTED[who]
    with get_db().begin() as s:  # April holds only case 3's opening and a status change
        april = monthly_report(s, case_scope(user), "2026-04")
    assert (april.cases_opened, april.cases_finished, april.sms_in) == (1, 1, 0)


def test_monthly_report_csv_shows_the_same_figures(app: Flask, may: dict[str, int]) -> None:
    client = app.test_client()
    web_login(client, "staff_a")
    response = client.get("/staff/reports/monthly.csv?month=2026-05&lang=zh")
    assert response.status_code == 200
    rows = dict(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {k: rows[k] for k in ("新立案件", "其中：来信（短信）", "其中：来电", "服务工友人数",
                                 "首次来电/来信人数", "办结案件", "主张工资（新案件）（元）",
                                 "追回工资（办结案件）（元）", "合同/辞退",
                                 "满意率（5分制4–5分）", "满意度回复数")} == {
        "新立案件": "3", "其中：来信（短信）": "3", "其中：来电": "1", "服务工友人数": "2",
        "首次来电/来信人数": "1", "办结案件": "2", "主张工资（新案件）（元）": "12000",
        "追回工资（办结案件）（元）": "11000", "合同/辞退": "1",
        "满意率（5分制4–5分）": "100.0%", "满意度回复数": "2"}


def full_width(number: int) -> str:
    """A number as typed on a Chinese keyboard (１０２４)."""
    return "".join(chr(ord(d) - ord("0") + ord("０")) for d in str(number))


@pytest.mark.parametrize(("query", "found"), [
    (lambda n: str(n["c1"]), ["c1"]),  # a case number: that case only
    (lambda n: full_width(n["c2"]), ["c2"]),  # typed with full-width digits
    (lambda n: "99999999999999", []),  # too long to be a case number: nothing, not an error
    (lambda n: "某某电子", ["c1", "c2", "c3", "c5"]),  # part of the employer's name
    (lambda n: "电子厂", ["c1", "c2", "c3", "c5"]),
    (lambda n: "广东", []),  # words nobody wrote
])
def test_case_search_by_number_and_by_words(app: Flask, may: dict[str, int],
                                            query: Callable[[dict[str, int]], str],
                                            found: list[str]) -> None:
    with get_db().begin() as s:
        numbers = {f"c{i + 1}": int(n or 0) for i, n in enumerate(
            s.scalars(select(Case.number).order_by(Case.id)))}
    client = app.test_client()
    web_login(client, "staff_a")
    page = client.get("/staff/cases", query_string={"q": query(numbers), "status": "all"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert sorted(name for name, n in numbers.items() if f">#{n}</a>" in html) == found


@pytest.fixture
def transfers(app: Flask) -> dict[str, int]:
    """Office A's cases every way a case reaches an office's scope, and cases that do not.

    a_queue: in A's queue; a_away: A transferred it to B; a_back: A → B → A (held before and
    in its queue again: counted once); nobody_now: A held it, now in no office's queue;
    b_only and nobody: never A's.
    """
    with get_db().begin() as s:
        a, b = Organisation(name="固始县服务站"), Organisation(name="珠海市中心")
        s.add_all([a, b])
        s.flush()
        worker = Contact(phone="+8613800000009")
        s.add(worker)
        s.flush()
        spec = {  # name: (queue, offices that held it before, status, owed, recovered, city)
            "a_queue": (a.id, [], "in_progress", 8000, None, "深圳市"),
            "a_away": (b.id, [a.id], "resolved", 3000, 3000, "东莞市"),
            "a_back": (a.id, [a.id, b.id], "closed", 5000, 2500, "深圳市"),
            "nobody_now": (None, [a.id], "new", None, None, None),
            "b_only": (b.id, [], "in_progress", 9999, None, "东莞市"),
            "nobody": (None, [], "new", 7777, None, "深圳市"),
        }
        ids = {}
        for name, (queue, held, status, owed, recovered, city) in spec.items():
            case = Case(contact_id=worker.id, organisation_id=queue, status=status,
                        amount_owed=owed, amount_recovered=recovered, work_city=city,
                        work_province="广东省" if city else None)
            s.add(case)
            s.flush()
            s.add_all([CaseOrganisation(case_id=case.id, organisation_id=o) for o in held])
            ids[name] = case.id
        s.add(User(username="staff_a", password_hash="x", role=Role.STAFF,
                   organisation_id=a.id))
        s.add(User(username="staff_b", password_hash="x", role=Role.STAFF,
                   organisation_id=b.id))
        return ids


def test_scope_parts_read_separately_hold_the_same_cases(app: Flask,
                                                         transfers: dict[str, int]) -> None:
    """The scope rewritten for its indexes (probed, disjoint branches, EXISTS per part)
    selects exactly the cases the scope as written does, each once."""
    from hotline.web.access import case_scope
    from hotline.web.scope_sql import branches, in_scope, probed

    mine = {transfers[n] for n in ("a_queue", "a_away", "a_back", "nobody_now")}
    with get_db().begin() as s:
        scope = case_scope(s.query(User).filter_by(username="staff_a").one())
        assert set(s.scalars(select(Case.id).where(scope))) == mine
        assert set(s.scalars(select(Case.id).where(probed(s, scope)))) == mine
        # The rewritten statement has a cache key, so it is compiled once, not per request;
        # two offices' scopes get different keys.
        other = case_scope(s.query(User).filter_by(username="staff_b").one())
        key = select(Case.id).where(probed(s, scope))._generate_cache_key()
        assert key is not None
        assert key == select(Case.id).where(probed(s, scope))._generate_cache_key()
        assert key != select(Case.id).where(probed(s, other))._generate_cache_key()
        each = [list(s.scalars(select(Case.id).where(part))) for part in branches(s, scope)]
        assert len(each) == 2 and sorted(sum(each, [])) == sorted(mine)  # disjoint
        via_exists = select(CaseEvent.case_id).where(in_scope(s, CaseEvent.case_id, scope))
        s.add_all([CaseEvent(case_id=cid, kind=EventKind.NOTE, text="", data={})
                   for cid in transfers.values()])
        s.flush()
        assert set(s.scalars(via_exists)) == mine


def test_dashboard_figures_add_up_the_scope_once(app: Flask, transfers: dict[str, int]
                                                 ) -> None:
    """Open/finished counts, yuan and places over office A's cases, worked out by hand: the
    case that came back to A counts once; B's and nobody's cases not at all."""
    from hotline.web.access import case_scope
    from hotline.web.stats import case_figures

    with get_db().begin() as s:
        staff = case_figures(s, case_scope(s.query(User).filter_by(username="staff_a").one()))
        admin = case_figures(s, case_scope(User(role=Role.ADMIN)))
    assert (staff.open, staff.finished) == (2, 2)  # a_queue, nobody_now / a_away, a_back
    assert (staff.claimed, staff.recovered) == (Decimal(16000), Decimal(5500))
    assert staff.places == [("广东省 深圳市", 2), ("place not given", 1), ("广东省 东莞市", 1)]
    assert (admin.open, admin.finished) == (4, 2)
    assert (admin.claimed, admin.recovered) == (Decimal(33776), Decimal(5500))
    assert admin.places == [("广东省 深圳市", 3), ("广东省 东莞市", 2), ("place not given", 1)]


def test_staff_inbox_reads_its_partial_index(app: Flask) -> None:
    """The inbox's open texts come from an index on the inbox state on both databases,
    analysed (an analysed planner otherwise walked years of texts backwards by created_at)."""
    from sqlalchemy import event, text

    from hotline.cases import inbox_messages

    with get_db().begin() as s:
        office = Organisation(name="固始县服务站")
        worker = Contact(phone="+8613800000011")
        s.add_all([office, worker])
        s.flush()
        case = Case(contact_id=worker.id, organisation_id=office.id)
        s.add(case)
        s.flush()
        texts = [message(worker, case, at("2026-05-01") + (at("2026-05-02") - at("2026-05-01")) * i
                         / 400) for i in range(400)]
        for i, m in enumerate(texts):
            m.inbox_state = "open" if i % 40 == 0 else None
        s.add_all(texts)
    engine, sent = get_db().engine, []

    def keep(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        sent.append((statement, params))

    sqlite = engine.dialect.name == "sqlite"
    with get_db().begin() as s:
        s.execute(text("ANALYZE" if sqlite else "ANALYZE messages"))
        event.listen(engine, "before_cursor_execute", keep)
        try:
            shown = inbox_messages(s, [office.id], limit=100)
        finally:
            event.remove(engine, "before_cursor_execute", keep)
        assert len(shown) == 10 and all(m.inbox_state == "open" for m in shown)
        statement, params = sent[-1]
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        plan = " ".join(str(row[-1]) for row in s.connection().exec_driver_sql(
            explain + statement, params))
    # Either index on the inbox state reads only the open texts (at three years' size
    # PostgreSQL and an analysed SQLite both pick the partial one); never all texts by date.
    assert "ix_messages_inbox_open" in plan or "ix_messages_inbox_state" in plan, plan
    assert "ix_messages_month" not in plan and "Seq Scan on messages" not in plan, plan


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_opt_out_list_probes_each_workers_cases_in_the_office(app: Flask) -> None:
    """SQLite, unanalysed as the hotline runs it: whether an opted-out worker has a case in
    the office is one probe of (worker, office); through the office's index it walked every
    case of the office per worker (a minute at a centre's size)."""
    from sqlalchemy import and_, func, text

    from notifications.campaigns.audience import organisation_condition

    with get_db().begin() as s:
        office = Organisation(name="固始县服务站")
        s.add(office)
        s.flush()
        office_id = office.id
    condition = and_(Contact.opted_out_at.is_not(None),
                     organisation_condition(office_id, few=True))
    statement = select(func.count()).select_from(Contact).where(condition)
    with get_db().begin() as s:
        compiled = statement.compile(s.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " ".join(str(row[-1]) for row in s.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    assert "ix_cases_contact_org (contact_id=? AND organisation_id=?)" in plan, plan
    assert "ix_cases_organisation_id" not in plan, plan
