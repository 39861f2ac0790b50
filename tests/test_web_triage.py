"""Staff triage: sorting cases nobody has described, and the inbox of texts that opened none,
each office seeing only its own, with every hostile request refused."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE
from models import (
    AuditLog,
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Contact,
    Direction,
    Message,
    MessageStatus,
    utcnow,
)
from tests.conftest import WebWorld
from tests.test_web_case_edit import record_published, visible_text
from tests.test_web_forms import case_of, logged_in


@dataclass
class Triage:
    """The triage world: a case to sort in each office and a text in each office's inbox."""

    case_a: int
    case_b: int
    text_a: int
    text_b: int


@pytest.fixture
def published(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Tasks published after a commit: (name, args, queue)."""
    return record_published(monkeypatch)


def inbox_text(session: Any, contact: Contact, body: str) -> int:
    """A worker's text waiting in the staff inbox."""
    message = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                      from_number=contact.phone, to_number="+8610000", body=body,
                      contact_id=contact.id, inbox_state="open")
    session.add(message)
    session.flush()
    return message.id


@pytest.fixture
def triage(web_world: WebWorld) -> Triage:
    """Office A: worker 张's unsorted case and his '谢谢'; office B: another worker's."""
    with get_db().begin() as session:
        worker_a = session.scalars(select(Contact).where(
            Contact.phone == web_world.worker_phone)).one()
        worker_b = Contact(phone="+8613900008888", name="乙工友")
        session.add(worker_b)
        session.flush()
        numbers = []
        for worker, org, summary in ((worker_a, web_world.org_a, "老板跑了怎么办"),
                                     (worker_b, web_world.org_b, "工地上的事")):
            case = Case(contact_id=worker.id, organisation_id=org, status=CaseStatus.NEW,
                        category=CaseCategory.UNKNOWN, triage_at=utcnow(), summary=summary)
            session.add(case)
            session.flush()
            case.assign_number()
            numbers.append(int(case.number or 0))
        text_a = inbox_text(session, worker_a, "谢谢你们🙏【新年快乐】")
        text_b = inbox_text(session, worker_b, "乙站的工友说的话")
    return Triage(numbers[0], numbers[1], text_a, text_b)


def message(message_id: int) -> Message:
    """Re-read a message."""
    with get_db().begin() as session:
        found = session.get(Message, message_id)
        assert found is not None
        return found


def test_each_office_sees_its_own_queue_with_numbers_masked(app: Flask, web_world: WebWorld,
                                                            triage: Triage) -> None:
    client, _ = logged_in(app, "staff_a")
    page = client.get("/staff/triage/?lang=zh").get_data(as_text=True)
    assert f"#{triage.case_a}" in page and "老板跑了怎么办" in page
    assert "谢谢你们🙏【新年快乐】" in page and "+86 138****8000" in page
    assert web_world.worker_phone not in page and "8612348000" not in page
    assert f"#{triage.case_b}" not in page and "乙站的工友说的话" not in page
    assert "工地上的事" not in page
    words = set(re.findall(r"[A-Za-z]{3,}", visible_text(page))) - {"staff", "English"}
    assert not words, words
    other, _ = logged_in(app, "staff_b")
    page_b = other.get("/staff/triage/").get_data(as_text=True)
    assert "乙站的工友说的话" in page_b and "谢谢你们" not in page_b
    assert "+86 139****8888" in page_b
    admin, _ = logged_in(app, "admin")
    every = admin.get("/staff/triage/").get_data(as_text=True)
    assert "乙站的工友说的话" in every and "谢谢你们" in every
    assert 'href="/staff/triage/"' in page


def test_the_dashboard_lists_what_the_triage_page_lists(app: Flask, web_world: WebWorld,
                                                         triage: Triage) -> None:
    """A case whose intake is still asking the worker what the problem is waits for the
    worker: neither the dashboard's "to sort" list nor the triage page shows it."""
    with get_db().begin() as session:
        asking = Case(contact_id=case_of(triage.case_a).contact_id,
                      organisation_id=web_world.org_a, status=CaseStatus.NEW,
                      category=CaseCategory.UNKNOWN, summary="帮帮我")
        session.add(asking)
        session.flush()
        asking.assign_number()
        still_asking = asking.number
    client, _ = logged_in(app, "staff_a")
    dashboard = client.get("/staff/?lang=zh").get_data(as_text=True)
    queue = client.get("/staff/triage/?lang=zh").get_data(as_text=True)
    for page in (dashboard, queue):
        assert f"#{triage.case_a}" in page
        assert f"#{still_asking}<" not in page and "帮帮我" not in page
    listed = re.search(r"<h3>[^<]*<small>\((\d+)\)</small></h3>\s*<ul class=\"plain\">"
                       r"(?:(?!</ul>).)*?#" + str(triage.case_a), dashboard, re.S)
    assert listed and listed[1] == "1", "the dashboard counts one case to sort"


def test_one_click_sorts_a_case_and_routes_it(app: Flask, web_world: WebWorld, triage: Triage,
                                              published: list[Any]) -> None:
    client, token = logged_in(app, "staff_a")
    resp = client.post(f"/staff/triage/cases/{triage.case_a}/category?lang=zh",
                       data={"csrf_token": token, "category": "wages"})
    assert resp.status_code == 303
    case = case_of(triage.case_a)
    assert case.category == CaseCategory.WAGES and case.triage_at is None
    assert ("hotline.routing.route_case", (case.id,), INTAKE) in published
    after = client.get("/staff/triage/?lang=zh").get_data(as_text=True)
    assert f"案件#{triage.case_a}已分类为欠薪" in after  # the flash says what happened
    assert f'id="case-{triage.case_a}"' not in after
    with get_db().begin() as session:
        assert session.scalars(select(AuditLog.action).where(
            AuditLog.case_id == case.id)).all() == ["triage"]


@pytest.mark.parametrize("category", ["", "unknown", "wage", "<b>x</b>"])
def test_a_forged_category_is_refused(app: Flask, web_world: WebWorld, triage: Triage,
                                      category: str) -> None:
    client, token = logged_in(app, "staff_a")
    assert client.post(f"/staff/triage/cases/{triage.case_a}/category",
                       data={"csrf_token": token, "category": category}).status_code == 400
    assert case_of(triage.case_a).category == CaseCategory.UNKNOWN


def test_hostile_requests_change_nothing(app: Flask, web_world: WebWorld,
                                         triage: Triage) -> None:
    other, btoken = logged_in(app, "staff_b")
    assert other.post(f"/staff/triage/cases/{triage.case_a}/category",
                      data={"csrf_token": btoken, "category": "wages"}).status_code == 404
    for action in ("open", "dismiss", "merge"):
        assert other.post(f"/staff/triage/messages/{triage.text_a}/{action}",
                          data={"csrf_token": btoken, "case_number": str(triage.case_b)}
                          ).status_code == 404
    volunteer, vtoken = logged_in(app, "vol_a")
    assert volunteer.get("/staff/triage/").status_code == 403
    assert volunteer.post(f"/staff/triage/messages/{triage.text_a}/dismiss",
                          data={"csrf_token": vtoken}).status_code == 403
    staff, _ = logged_in(app, "staff_a")
    assert staff.post(f"/staff/triage/messages/{triage.text_a}/dismiss").status_code == 400
    assert staff.post(f"/staff/triage/cases/{triage.case_a}/category",
                      data={"category": "wages"}).status_code == 400
    assert message(triage.text_a).inbox_state == "open"
    assert case_of(triage.case_a).category == CaseCategory.UNKNOWN


def test_a_case_is_opened_from_a_text(app: Flask, web_world: WebWorld, triage: Triage,
                                      published: list[Any]) -> None:
    client, token = logged_in(app, "staff_a")
    resp = client.post(f"/staff/triage/messages/{triage.text_a}/open",
                       data={"csrf_token": token, "category": "contract"})
    assert resp.status_code == 303
    moved = message(triage.text_a)
    assert moved.inbox_state == "case" and moved.case_id is not None
    with get_db().begin() as session:
        case = session.get(Case, moved.case_id)
        assert case is not None and case.category == CaseCategory.CONTRACT
        assert case.organisation_id == web_world.org_a and case.triage_at is None
        assert resp.location.endswith(f"/staff/cases/{case.number}")
    assert any(name == "hotline.routing.route_case" for name, _, _ in published)
    # The same text cannot be taken twice.
    assert client.post(f"/staff/triage/messages/{triage.text_a}/open",
                       data={"csrf_token": token}).status_code == 404


@pytest.mark.parametrize("typed", ["{n}", "#{n}", "＃{n}", " {n} "])
def test_a_text_is_merged_into_a_case_of_the_same_office(app: Flask, web_world: WebWorld,
                                                         triage: Triage, typed: str) -> None:
    client, token = logged_in(app, "staff_a")
    number = web_world.assigned_to_a
    resp = client.post(f"/staff/triage/messages/{triage.text_a}/merge",
                       data={"csrf_token": token, "case_number": typed.format(n=number)})
    assert resp.status_code == 303
    assert message(triage.text_a).case_id == case_of(number).id


def test_merging_across_offices_is_refused(app: Flask, web_world: WebWorld,
                                           triage: Triage) -> None:
    client, token = logged_in(app, "staff_a")
    for typed in (str(web_world.org_b_case), "99999", "abc", "1" * 30):
        resp = client.post(f"/staff/triage/messages/{triage.text_a}/merge?lang=en",
                           data={"csrf_token": token, "case_number": typed},
                           follow_redirects=True)
        assert "There is no case #" in resp.get_data(as_text=True)
    admin, atoken = logged_in(app, "admin")  # sees every office, still may not mix them
    resp = admin.post(f"/staff/triage/messages/{triage.text_a}/merge?lang=zh",
                      data={"csrf_token": atoken, "case_number": str(web_world.org_b_case)},
                      follow_redirects=True)
    assert "属于其他机构，短信仍留在收件箱" in resp.get_data(as_text=True)
    assert message(triage.text_a).inbox_state == "open"
    assert message(triage.text_a).case_id is None


def test_another_workers_text_is_not_added_to_a_case(app: Flask, web_world: WebWorld,
                                                    triage: Triage) -> None:
    """Replies on a case go to its own worker: a text from someone else (same office) stays in
    the inbox, and staff are told to open a case from it."""
    with get_db().begin() as session:
        other = Contact(phone="+8613900007777", name="丙工友")
        session.add(other)
        session.flush()
        case = Case(contact_id=other.id, organisation_id=web_world.org_a,
                    status=CaseStatus.CLOSED, category=CaseCategory.WAGES)
        session.add(case)
        session.flush()
        case.assign_number()
        text = inbox_text(session, other, "你好")
    client, token = logged_in(app, "staff_a")
    for lang, said in (("en", "from another worker than case #"), ("zh", "不是案件#")):
        resp = client.post(f"/staff/triage/messages/{text}/merge?lang={lang}",
                           data={"csrf_token": token,
                                 "case_number": str(web_world.assigned_to_a)},
                           follow_redirects=True)
        assert said in resp.get_data(as_text=True), lang
    assert message(text).inbox_state == "open" and message(text).case_id is None
    with get_db().begin() as session:
        texts = session.scalars(select(CaseEvent.text).where(
            CaseEvent.case_id == case_of(web_world.assigned_to_a).id)).all()
    assert "你好" not in texts


def test_dismiss_takes_a_text_out_of_the_inbox(app: Flask, web_world: WebWorld,
                                               triage: Triage) -> None:
    client, token = logged_in(app, "staff_a")
    assert client.post(f"/staff/triage/messages/{triage.text_a}/dismiss",
                       data={"csrf_token": token}).status_code == 303
    assert message(triage.text_a).inbox_state == "dismissed"
    assert "谢谢你们" not in client.get("/staff/triage/").get_data(as_text=True)
    assert client.post(f"/staff/triage/messages/{triage.text_a}/dismiss",
                       data={"csrf_token": token}).status_code == 404
