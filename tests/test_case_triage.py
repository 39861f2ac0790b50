"""A case nobody has said the problem of is never offered: it waits in staff triage until
staff sort it (hotline.cases). Runs on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hotline.cases import (
    INBOX_CASE,
    INBOX_DISMISSED,
    INBOX_OPEN,
    categorise,
    dismiss_message,
    inbox_messages,
    merge_message_into_case,
    message_organisation,
    open_case_from_message,
    triage_queue,
)
from hotline.infra.db import get_db
from hotline.matching import current_load
from hotline.outbox import pending_tasks
from hotline.routing import route_case
from hotline.sweeper import claim_unrouted_cases, sweep_now
from hotline.web.event_text import zh_event
from models import (
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    Contact,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    Offer,
    Organisation,
    Purpose,
    Urgency,
    utcnow,
)
from tests.test_routing_support import add_case, add_volunteer, texts

STAFF = "+8613700000077"


def offers() -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(Offer)) or 0)


def loads() -> dict[int, int]:
    with get_db().begin() as s:
        return current_load(s)


def case_by_number(number: int) -> Case:
    with get_db().begin() as s:
        return s.scalars(select(Case).where(Case.number == number)).one()


def events(case_id: int) -> list[CaseEvent]:
    with get_db().begin() as s:
        return list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)
                              .order_by(CaseEvent.id)))


def alerts_to(number: str) -> list[str]:
    with get_db().begin() as s:
        return list(s.scalars(select(Message.body).where(
            Message.to_number == number, Message.purpose == Purpose.ALERT)))


def make_quiet(case_id: int) -> None:
    """The worker stopped answering an hour ago: the routing hold is long over."""
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.last_enqueued_at = utcnow() - timedelta(hours=1)


def sweep_and_route() -> list[str]:
    """What the sweeper and the Celery worker do: claim lost NEW cases, route each."""
    return [route_case(case_id) for case_id, _ in claim_unrouted_cases()]


@pytest.mark.parametrize("body", ["我需要帮助", "你好，有事想问一下", "please help me",
                                  "【求助】请问怎么办？"])
def test_unsorted_case_after_the_quiet_period_goes_to_triage_never_offered(
        app: Flask, post_signed: Any, body: str) -> None:
    add_volunteer(skills=["wages"], regions=["深圳"])
    add_volunteer()
    reply = texts(post_signed, "+8613800138001", body)
    assert "1001" in reply
    case = case_by_number(1001)
    assert case.category == CaseCategory.UNKNOWN and case.triage_at is None
    before = loads()
    make_quiet(case.id)
    assert sweep_and_route() == ["waiting for staff triage"]
    case = case_by_number(1001)
    assert case.status == CaseStatus.NEW and case.triage_at is not None
    assert offers() == 0 and loads() == before  # no volunteer's capacity spent
    [line] = [e for e in events(case.id) if e.data.get("triage")]
    assert line.kind == EventKind.ROUTING and "no volunteer is asked" in line.text
    assert zh_event(line.text) == "等待工作人员分类：工友还没说明是什么问题，暂不派给志愿者"
    first_triage = case.triage_at
    # Later sweeps leave it alone: not re-claimed, triage_at set once, no staff text.
    make_quiet(case.id)
    assert sweep_and_route() == []
    assert sweep_now()["cases"] == 0
    assert case_by_number(1001).triage_at == first_triage
    assert alerts_to(STAFF) == []


def test_route_case_never_offers_an_unknown_case_even_with_volunteers_free(app: Flask) -> None:
    vol = add_volunteer(capacity=1)
    case_id, number = add_case(category=CaseCategory.UNKNOWN)
    assert route_case(case_id) == "waiting for staff triage"
    assert route_case(case_id) == "waiting for staff triage"  # a retried task: still nothing
    assert offers() == 0 and loads().get(vol, 0) == 0
    with get_db().begin() as s:
        rows = triage_queue(s, None)
        assert [c.number for c in rows] == [number]
    assert sum(1 for e in events(case_id) if e.data.get("triage")) == 1


def test_urgent_unknown_case_alerts_staff_once(app: Flask) -> None:
    app.config["STAFF_NUMBERS"] = [STAFF]
    add_volunteer()
    case_id, number = add_case(category=CaseCategory.UNKNOWN, urgency=Urgency.URGENT)
    route_case(case_id)
    route_case(case_id)
    [alert] = alerts_to(STAFF)
    assert f"#{number}" in alert and "分类" in alert
    assert offers() == 0


def test_categorise_clears_triage_and_routes(app: Flask) -> None:
    vol = add_volunteer(skills=["injury"])
    case_id, number = add_case(category=CaseCategory.UNKNOWN)
    route_case(case_id)
    with get_db().begin() as s:
        case = s.get(Case, case_id, with_for_update=True)
        assert case is not None
        categorise(s, case, "injury", actor="staff:1")
        assert (case.category, case.urgency, case.triage_at) == (
            CaseCategory.INJURY, Urgency.URGENT, None)
    # after commit, routing was enqueued; the worker runs it
    assert "queued" in route_case(case_id)
    with get_db().begin() as s:
        assert s.scalar(select(Offer.volunteer_id).where(Offer.case_id == case_id)) == vol
        assert triage_queue(s, None) == []
    sorted_line = [e for e in events(case_id) if e.text.startswith("sorted as")]
    assert [e.text for e in sorted_line] == ["sorted as injury"]
    assert zh_event(sorted_line[0].text) == "分类为工伤"
    with get_db().begin() as s, pytest.raises(ValueError):
        case = s.get(Case, case_id)
        assert case is not None
        categorise(s, case, "unknown", actor="staff:1")


def test_categorise_routes_only_once_committed(app: Flask) -> None:
    case_id, _ = add_case(category=CaseCategory.UNKNOWN)
    route_case(case_id)
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        categorise(s, case, CaseCategory.WAGES, actor="staff:1")
        # waiting for the commit (hotline.outbox), never sent before it
        assert pending_tasks(s) == [("hotline.routing.route_case", (case_id,))]
    with get_db().begin() as s:  # a rolled-back sort routes nothing and stays in triage
        case = s.get(Case, case_id)
        assert case is not None
        case.category, case.triage_at = CaseCategory.UNKNOWN, utcnow()
    session = get_db().sessions()
    number = case.number
    try:
        case = session.get(Case, case_id)
        assert case is not None
        categorise(session, case, CaseCategory.WAGES, actor="staff:1")
        session.rollback()
        assert pending_tasks(session) == []
    finally:
        session.close()
    assert number is not None and case_by_number(number).triage_at is not None


def add_org(name: str, region: str | None = None) -> int:
    with get_db().begin() as s:
        org = Organisation(name=name, region=region)
        s.add(org)
        s.flush()
        return org.id


def inbox_text(phone: str, body: str, minutes_ago: int = 0) -> int:
    """An inbox message (a text that opened no case) from this worker."""
    with get_db().begin() as s:
        contact = s.scalar(select(Contact).where(Contact.phone == phone))
        if contact is None:
            contact = Contact(phone=phone)
            s.add(contact)
            s.flush()
        msg = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED, body=body,
                      from_number=phone, to_number="+8610000000000", contact_id=contact.id,
                      inbox_state=INBOX_OPEN,
                      created_at=utcnow() - timedelta(minutes=minutes_ago))
        s.add(msg)
        s.flush()
        return msg.id


def test_queues_are_scoped_by_organisation(app: Flask) -> None:
    sz = add_org("深圳中心", "广东省深圳市")
    gs = add_org("固始工作站", "河南省固始县")
    app.config["DEFAULT_ORGANISATION"] = "固始工作站"
    sz_case, sz_number = add_case("+8613800000001", category=CaseCategory.UNKNOWN)
    urgent_case, urgent_number = add_case("+8613800000002", category=CaseCategory.UNKNOWN,
                                          urgency=Urgency.URGENT)
    for cid in (sz_case, urgent_case):
        route_case(cid)  # settles the queue by work place (深圳) and triages
    worker_of_sz = inbox_text("+8613800000001", "谢谢", minutes_ago=5)
    stranger = inbox_text("+8613800000099", "新年快乐", minutes_ago=1)
    with get_db().begin() as s:
        assert [c.number for c in triage_queue(s, None)] == [urgent_number, sz_number]
        assert [c.number for c in triage_queue(s, [sz])] == [urgent_number, sz_number]
        assert triage_queue(s, [gs]) == [] and triage_queue(s, [None]) == []
        assert [m.id for m in inbox_messages(s, None)] == [stranger, worker_of_sz]
        assert [m.id for m in inbox_messages(s, [sz])] == [worker_of_sz]
        assert [m.id for m in inbox_messages(s, [gs])] == [stranger]  # the default office
        assert inbox_messages(s, []) == []
        msg = s.get(Message, stranger)
        assert msg is not None and message_organisation(s, msg) == gs
    app.config["DEFAULT_ORGANISATION"] = ""
    with get_db().begin() as s:
        assert [m.id for m in inbox_messages(s, [None])] == [stranger]


def test_inbox_open_merge_dismiss(app: Flask) -> None:
    add_volunteer(skills=["wages"])
    case_id, number = add_case("+8613800000005")
    thanks = inbox_text("+8613800000005", "谢谢志愿者")
    wishes = inbox_text("+8613800000006", "🧧新年快乐")
    problem = inbox_text("+8613800000007", "老板不给钱")
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        msg = s.get(Message, thanks)
        assert case is not None and msg is not None
        merge_message_into_case(s, msg, case, actor="staff:3")
        dismiss_message(s, s.get(Message, wishes), actor="staff:3")  # type: ignore[arg-type]
        opened = open_case_from_message(s, s.get(Message, problem),  # type: ignore[arg-type]
                                        actor="staff:3", category="wages")
        new_number = opened.number
    with get_db().begin() as s:
        states = {m.id: (m.inbox_state, m.case_id) for m in s.scalars(select(Message))}
        assert states[thanks] == (INBOX_CASE, case_id)
        assert states[wishes] == (INBOX_DISMISSED, None)
        new_case = s.scalars(select(Case).where(Case.number == new_number)).one()
        assert states[problem] == (INBOX_CASE, new_case.id)
        assert (new_case.category, new_case.summary, new_case.triage_at) == (
            CaseCategory.WAGES, "老板不给钱", None)
        assert inbox_messages(s, None) == []
    merged = [e for e in events(case_id) if e.message_id == thanks]
    assert merged and merged[0].kind == EventKind.MESSAGE_IN and merged[0].text == "谢谢志愿者"
    notes = [e.text for e in events(new_case.id)]
    assert "case opened by SMS" in notes
    assert "case opened by staff from a text in the inbox" in notes
    assert "queued" in route_case(new_case.id)


def test_inbox_message_opened_without_category_is_triaged(app: Flask) -> None:
    add_volunteer()
    msg_id = inbox_text("+8613800000008", "你好")
    with get_db().begin() as s:
        case = open_case_from_message(s, s.get(Message, msg_id),  # type: ignore[arg-type]
                                      actor="staff:3")
        case_id = case.id
    assert route_case(case_id) == "waiting for staff triage"
    assert offers() == 0
