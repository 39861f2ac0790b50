"""Staff correct a case on the web: every field, the problem's details, the timeline in words,
the audit log, routing and collective detection looking again, and who may do it."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import hotline.outbox
from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE, URGENT
from models import (
    AuditLog,
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Contact,
    EventKind,
    Urgency,
    utcnow,
)
from tests.conftest import WebWorld
from tests.test_web_forms import case_of, logged_in


def form_of(number: int, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it for this case, with some fields changed."""
    case = case_of(number)
    amount = "" if case.amount_owed is None else f"{Decimal(case.amount_owed):f}"
    form = {"category": str(case.category), "urgency": str(case.urgency),
            "work_province": case.work_province or "", "work_city": case.work_city or "",
            "employer": case.employer or "", "summary": case.summary or "",
            "amount_owed": amount, "months_unpaid": str(case.months_unpaid or ""),
            "people_affected": str(case.people_affected)}
    form.update(changes)
    return form


def post_edit(client: Any, token: str, number: int, lang: str = "en", **changes: str) -> Any:
    """POST the edit form with the session's CSRF token."""
    return client.post(f"/staff/cases/{number}/edit?lang={lang}",
                       data={"csrf_token": token, **form_of(number, **changes)})


def notes(number: int) -> list[CaseEvent]:
    """The timeline lines a correction wrote."""
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        return [e for e in session.scalars(case.events.select().where(
            CaseEvent.kind == EventKind.NOTE)) if (e.data or {}).get("edit")]


def set_case(number: int, **values: Any) -> None:
    """Put the case in a given state before the test edits it."""
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        for key, value in values.items():
            setattr(case, key, value)


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, tuple[Any, ...], str | None]]:
    """(task name, args, queue) of every task published after a commit."""
    return record_published(monkeypatch)


def record_published(monkeypatch: pytest.MonkeyPatch
                     ) -> list[tuple[str, tuple[Any, ...], str | None]]:
    """Record what after-commit hooks publish (Redis is shared by parallel test runs, so its
    lists are not read here)."""
    sent: list[tuple[str, tuple[Any, ...], str | None]] = []

    def record(task: Any, *args: Any, queue: str | None = None, **_: Any) -> bool:
        sent.append((task if isinstance(task, str) else task.name, args, queue))
        return True

    monkeypatch.setattr(hotline.outbox, "enqueue", record)
    return sent


def visible_text(html: str) -> str:
    """The words a person reads on a page: no tags, styles or attribute values."""
    html = re.sub(r"<style.*?</style>", " ", html, flags=re.S)
    return re.sub(r"<[^>]+>", " ", html)


def test_an_employer_recorded_as_a_duration_is_fixed_and_written_on_the_timeline(
        app: Flask, web_world: WebWorld) -> None:
    number = web_world.declined_by_a
    set_case(number, employer="三个月")
    client, token = logged_in(app, "staff_a")
    resp = post_edit(client, token, number, employer="东莞某电子厂", amount_owed="1.2万",
                     months_unpaid="３")
    assert resp.status_code == 303 and resp.location.endswith(f"/staff/cases/{number}#timeline")
    case = case_of(number)
    assert (case.employer, case.amount_owed, case.months_unpaid) == \
        ("东莞某电子厂", Decimal("12000.00"), 3)
    lines = {e.text for e in notes(number)}
    assert "changed employer from “三个月” to “东莞某电子厂”" in lines  # the actor says who
    assert "changed wages owed from “¥12,000” to “¥12,000”" not in lines  # unchanged
    assert "changed months unpaid from “—” to “3”" in lines
    assert all(e.actor == "user:staff_a" for e in notes(number))
    with get_db().begin() as session:
        entry = session.scalars(select(AuditLog).where(AuditLog.action == "edit_case")).one()
        assert entry.case_id == case.id and "employer" in (entry.detail or "")
    page = " ".join(visible_text(client.get(f"/staff/cases/{number}?lang=zh")
                                 .get_data(as_text=True)).split())
    assert "工作人员 staff_a 把用人单位从“三个月”改为“东莞某电子厂”" in page
    assert "工作人员 staff_a 把欠薪月数从“—”改为“3”" in page


def test_category_leaving_unknown_is_sorted_and_routed(app: Flask, web_world: WebWorld,
                                                       published: list[Any]) -> None:
    number = web_world.declined_by_a
    set_case(number, category=CaseCategory.UNKNOWN, triage_at=utcnow())
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number, category="wages").status_code == 303
    case = case_of(number)
    assert case.category == CaseCategory.WAGES and case.triage_at is None
    assert "changed category from “unsorted” to “unpaid wages”" in \
        {e.text for e in notes(number)}
    assert ("hotline.routing.route_case", (case.id,), INTAKE) in published
    page = " ".join(visible_text(client.get(f"/staff/cases/{number}?lang=zh")
                                 .get_data(as_text=True)).split())
    assert "工作人员 staff_a 把类别从“待分类”改为“欠薪”" in page


def test_raising_urgency_reroutes_on_the_urgent_queue(app: Flask, web_world: WebWorld,
                                                       published: list[Any]) -> None:
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number, urgency="urgent").status_code == 303
    case = case_of(number)
    assert case.urgency == Urgency.URGENT
    assert ("hotline.routing.route_case", (case.id,), URGENT) in published
    # An offered case gets more offers at once instead (the urgent fan-out).
    offered = web_world.offered_to_b
    assert post_edit(client, token, offered, urgency="urgent").status_code == 303
    assert case_of(offered).urgency == Urgency.URGENT


def test_injury_details_are_saved_and_the_case_becomes_urgent(app: Flask,
                                                              web_world: WebWorld) -> None:
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    injured = (utcnow() - timedelta(days=3)).date().isoformat()
    resp = post_edit(client, token, number, category="injury", d_injured_on=injured,
                     d_in_hospital="yes", d_employer_pays_treatment="no",
                     d_injury_place="  车间二楼 ", d_left_on="not even a date")  # wages only
    assert resp.status_code == 303
    case = case_of(number)
    assert case.category == CaseCategory.INJURY and case.urgency == Urgency.URGENT
    assert case.details == {"injured_on": injured, "in_hospital": True,
                            "employer_pays_treatment": False, "injury_place": "车间二楼"}
    page = " ".join(visible_text(client.get(f"/staff/cases/{number}?lang=zh")
                                 .get_data(as_text=True)).split())
    assert "工作人员 staff_a 把是否住院从“—”改为“是”" in page
    assert "工作人员 staff_a 把类别从“欠薪”改为“工伤”" in page
    # Clearing an answer removes it; the form shows what is stored.
    assert post_edit(client, token, number, category="injury", d_injured_on=injured,
                     d_in_hospital="", d_employer_pays_treatment="no",
                     d_injury_place="车间二楼").status_code == 303
    assert "in_hospital" not in case_of(number).details
    form = client.get(f"/staff/cases/{number}/edit").get_data(as_text=True)
    assert f'value="{injured}"' in form and 'value="车间二楼"' in form


@pytest.mark.parametrize("typed,stored,shown", [
    ("12000", 12000, "¥12,000"), ("１.２万", 12000, "¥12,000"), ("3001元", 3001, "¥3,001"),
    ("2500.00", 2500, "¥2,500"), ("8,000", 8000, "¥8,000")])
def test_what_a_hurt_worker_paid_for_treatment_is_saved_in_yuan_and_shown(
        app: Flask, web_world: WebWorld, typed: str, stored: int, shown: str) -> None:
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number, category="injury",
                     d_medical_costs=typed).status_code == 303
    assert case_of(number).details == {"medical_costs": stored}
    page = " ".join(visible_text(client.get(f"/staff/cases/{number}?lang=zh")
                                 .get_data(as_text=True)).split())
    assert f"工友已垫付的医药费 {shown}" in page or f"工友已垫付的医药费：{shown}" in page, page
    assert f"把工友已垫付的医药费从“—”改为“{shown}”" in page
    form = client.get(f"/staff/cases/{number}/edit").get_data(as_text=True)
    assert f'name="d_medical_costs" value="{stored}"' in form


def test_a_month_the_worker_gave_without_a_day_is_shown_as_the_month(
        app: Flask, web_world: WebWorld) -> None:
    """"上个月被辞退" is kept as '2026-11': the case page says 2026年11月 (not the 1st), and the
    edit form offers its first day, so the form saved unchanged keeps a date."""
    number = web_world.declined_by_a
    set_case(number, category=CaseCategory.CONTRACT, details={"dismissed_on": "2026-11"})
    client, token = logged_in(app, "staff_a")
    page = " ".join(visible_text(client.get(f"/staff/cases/{number}?lang=zh")
                                 .get_data(as_text=True)).split())
    assert "2026年11月" in page and "2026年11月1日" not in page, page
    form = client.get(f"/staff/cases/{number}/edit").get_data(as_text=True)
    assert 'name="d_dismissed_on" value="2026-11-01"' in form
    assert post_edit(client, token, number, category="contract",
                     d_dismissed_on="2026-11-01").status_code == 303
    assert case_of(number).details["dismissed_on"] == "2026-11-01"


@pytest.mark.parametrize("typed,error", [("-300", "金额不能为负数"),
                                         ("很多钱", "请填写金额（元）")])
def test_a_treatment_cost_that_is_no_sum_is_refused(app: Flask, web_world: WebWorld,
                                                    typed: str, error: str) -> None:
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    resp = post_edit(client, token, number, lang="zh", category="injury",
                     d_medical_costs=typed)
    assert resp.status_code == 400 and error in resp.get_data(as_text=True)
    assert 'id="err-d_medical_costs"' in resp.get_data(as_text=True)
    assert "medical_costs" not in (case_of(number).details or {})


def test_people_and_place_are_corrected_keeping_what_the_worker_said(
        app: Flask, web_world: WebWorld) -> None:
    number = web_world.assigned_to_a
    set_case(number, place_said="河楠郑州")
    client, token = logged_in(app, "staff_a")
    form = client.get(f"/staff/cases/{number}/edit?lang=zh").get_data(as_text=True)
    assert "工友原话：河楠郑州" in form
    assert post_edit(client, token, number, work_province="河南", work_city="郑州",
                     people_affected="12", people_approximate="1").status_code == 303
    case = case_of(number)
    assert (case.work_province, case.work_city, case.place_said) == ("河南", "郑州", "河楠郑州")
    assert (case.people_affected, case.people_approximate) == (12, True)
    assert case.urgency == Urgency.URGENT  # 12 workers: urgent, as routing decides


@pytest.mark.parametrize(("province", "city", "saved"), [
    ("广东省", "东莞市", ("广东", "东莞")),
    ("", "东莞", ("广东", "东莞")),
    ("", "Shenzhen", ("广东", "深圳")),
    ("河楠", "郑州", ("河南", "郑州")),  # a same-sound typo of the province
    ("【广东】", "深圳宝安", ("广东", "深圳")),
    ("广东", "", ("广东", None)),
    ("广东", "某某镇", ("广东", "某某镇")),  # a place the gazetteer does not know: kept
    ("", "", (None, None)),
])
def test_the_place_is_read_as_routing_matches_it(app: Flask, web_world: WebWorld,
                                                 province: str, city: str,
                                                 saved: tuple[str | None, str | None]) -> None:
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number, work_province=province,
                     work_city=city).status_code == 303
    case = case_of(number)
    assert (case.work_province, case.work_city) == saved


BAD_VALUES = [
    ({"work_province": "广东", "work_city": "郑州"}, "work_city", "郑州 is in 河南",
     "郑州在河南"),
    ({"amount_owed": "-500"}, "amount_owed", "cannot be negative", "金额不能为负数"),
    ({"amount_owed": "－５００"}, "amount_owed", "cannot be negative", "金额不能为负数"),
    ({"amount_owed": "好多钱"}, "amount_owed", "Write the amount in yuan", "请填写金额"),
    ({"amount_owed": "12000000000"}, "amount_owed", "Write the amount in yuan", "请填写金额"),
    ({"months_unpaid": "三个月"}, "months_unpaid", "Write a whole number", "请填写整数"),
    ({"months_unpaid": "-2"}, "months_unpaid", "cannot be negative", "数字不能为负数"),
    ({"months_unpaid": "999"}, "months_unpaid", "from 0 to 240", "0到240"),
    ({"people_affected": "0"}, "people_affected", "from 1 to 100000", "1到100000"),
    ({"category": "injury", "d_injured_on": "2999-01-01"}, "d_injured_on",
     "cannot be in the future", "日期不能晚于今天"),
    ({"category": "contract", "d_dismissed_on": "31/05/2024"}, "d_dismissed_on",
     "2024-05-31", "日期格式应为"),
    ({"category": "contract", "d_written_contract": "maybe"}, "d_written_contract",
     "Choose yes or no", "请选择“是”或“否”"),
    ({"category": "social_insurance", "d_insurance_kind": "<script>"}, "d_insurance_kind",
     "listed insurances", "保险种类"),
    ({"category": "social_insurance", "d_insurance_months": "十"}, "d_insurance_months",
     "Write a whole number", "请填写整数"),
    ({"category": "nonsense"}, "category", "listed values", "请从列表中选择"),
    ({"urgency": "panic"}, "urgency", "listed values", "请从列表中选择"),
]


@pytest.mark.parametrize(("changes", "field", "english", "chinese"), BAD_VALUES)
def test_bad_values_are_refused_with_clear_errors_and_nothing_saved(
        app: Flask, web_world: WebWorld, changes: dict[str, str], field: str, english: str,
        chinese: str) -> None:
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    before = case_of(number)
    for lang, words in (("en", english), ("zh", chinese)):
        resp = post_edit(client, token, number, lang=lang, employer="改过的名字", **changes)
        page = resp.get_data(as_text=True)
        assert resp.status_code == 400 and words in page
        assert f'id="err-{field}"' in page
        assert 'value="改过的名字"' in page  # what was typed is kept
    after = case_of(number)
    assert (after.employer, after.amount_owed, after.category, after.details) == \
        (before.employer, before.amount_owed, before.category, before.details)
    assert notes(number) == []
    assert "<script>" not in resp.get_data(as_text=True)


def test_employer_change_lets_collective_detection_look_again(app: Flask,
                                                              web_world: WebWorld) -> None:
    with get_db().begin() as session:
        for phone in ("+8613700000011", "+8613700000012"):
            worker = Contact(phone=phone)
            session.add(worker)
            session.flush()
            other = Case(contact_id=worker.id, organisation_id=web_world.org_a,
                         category=CaseCategory.WAGES, employer="东莞某电子厂",
                         status=CaseStatus.ESCALATED)
            session.add(other)
            session.flush()
            other.assign_number()
    number = web_world.declined_by_a
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number, employer="东莞 某电子厂").status_code == 303
    with get_db().begin() as session:
        cases = session.scalars(select(Case).where(Case.employer_key.is_not(None),
                                                   Case.employer.like("%电子厂"))).all()
        leads = [c for c in cases if c.category == CaseCategory.COLLECTIVE]
        assert len(leads) == 1 and leads[0].urgency == Urgency.URGENT
        assert all(c.collective_case_id == leads[0].id for c in cases if c is not leads[0])


def test_nothing_changed_writes_nothing(app: Flask, web_world: WebWorld) -> None:
    number = web_world.assigned_to_a
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number).status_code == 303
    assert notes(number) == []
    with get_db().begin() as session:
        assert session.scalars(select(AuditLog)).all() == []


def test_who_may_edit(app: Flask, web_world: WebWorld) -> None:
    number = web_world.assigned_to_a  # org A, assigned to volunteer A
    volunteer, vtoken = logged_in(app, "vol_a")
    assert volunteer.get(f"/staff/cases/{number}/edit").status_code == 403
    assert post_edit(volunteer, vtoken, number, employer="志愿者改的").status_code == 403
    other_office, btoken = logged_in(app, "staff_b")
    assert other_office.get(f"/staff/cases/{number}/edit").status_code == 404
    assert post_edit(other_office, btoken, number, employer="乙站改的").status_code == 404
    staff, token = logged_in(app, "staff_a")
    no_csrf = staff.post(f"/staff/cases/{number}/edit", data=form_of(number, employer="无令牌"))
    assert no_csrf.status_code == 400
    anonymous = app.test_client().get(f"/staff/cases/{number}/edit")
    assert anonymous.status_code == 302 and "/login" in anonymous.location
    assert case_of(number).employer == "深圳某建筑公司" and notes(number) == []
    admin, atoken = logged_in(app, "admin")
    assert post_edit(admin, atoken, number, employer="管理员改的").status_code == 303
    assert case_of(number).employer == "管理员改的"


def test_the_form_in_chinese_has_no_english_and_links_from_the_case_page(
        app: Flask, web_world: WebWorld) -> None:
    number = web_world.declined_by_a
    client, _ = logged_in(app, "staff_a")
    assert f'href="/staff/cases/{number}/edit"' in client.get(
        f"/staff/cases/{number}").get_data(as_text=True)
    page = client.get(f"/staff/cases/{number}/edit?lang=zh").get_data(as_text=True)
    for label in ("紧急程度", "被欠工资（元）", "受伤日期", "是否已申请工伤认定", "离职日期"):
        assert label in page
    words = set(re.findall(r"[A-Za-z]{3,}", visible_text(page))) - {"staff", "English"}
    assert not words, words
    english = client.get(f"/staff/cases/{number}/edit?lang=en").get_data(as_text=True)
    assert "Wages owed (yuan)" in english and 'type="date"' in english
    # One details block per problem with details, each tied to its category.
    assert set(re.findall(r'data-for="(\w+)"', page)) == {
        "wages", "collective", "injury", "contract", "social_insurance"}
