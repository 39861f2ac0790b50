"""After a case is finished: the worker's later texts land on it (its volunteer is told, it is
not reopened by itself); the volunteer or staff reopen it on purpose; a new problem opens a
new case. Through each carrier's front door (a signed Twilio webhook, an Alibaba SmsUp push:
tests/provider_support.py), on SQLite and PostgreSQL."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hotline.cases import reopen_case
from hotline.infra.db import get_db
from hotline.routing import route_case
from hotline.web.event_text import zh_event
from models import (
    Case,
    CaseEvent,
    CaseStatus,
    EventKind,
    Message,
    Purpose,
    Role,
    User,
    Volunteer,
    utcnow,
)
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401
from tests.test_routing_support import add_case, add_volunteer, volunteer_phone

WORKER = "+8613800138111"


def texts(world: World, phone: str, body: str) -> str:
    """What `phone` got back for one text, its parts joined by " / "."""
    return " / ".join(world.text(phone, body))


def finished_case(world: World, volunteer_id: int, how: str = "DONE {n} 12000",
                  worker: str = WORKER) -> int:
    """A wages case of `worker`, worked by the volunteer and finished by their SMS."""
    case_id, number = add_case(worker)
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.status, case.assigned_volunteer_id = CaseStatus.IN_PROGRESS, volunteer_id
    reply = texts(world, volunteer_phone(volunteer_id), how.format(n=number))
    assert str(number) in reply
    return case_id


def state(case_id: int) -> Case:
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        return case


def cases() -> list[int]:
    with get_db().begin() as s:
        return list(s.scalars(select(Case.number).order_by(Case.id)))


def sms_to(phone: str) -> list[str]:
    with get_db().begin() as s:
        return list(s.scalars(select(Message.body).where(Message.to_number == phone)
                              .order_by(Message.id)))


def last_inbound(phone: str) -> Message:
    with get_db().begin() as s:
        return s.scalars(select(Message).where(Message.from_number == phone)
                         .order_by(Message.id.desc()).limit(1)).one()


THANKS_AFTER_CLOSE = ["谢谢", "谢谢你们！", "太感谢了🙏🙏", "收到，谢谢志愿者",
                      "Thank you so much!", "ok thanks", "👍", "好的，谢谢。", "ＴＨＡＮＫＳ",
                      "【感谢】钱已经拿到了，谢谢"]


def test_thanks_after_close_lands_on_the_case_and_its_volunteer_is_told(
        on_provider: World) -> None:
    # Each phrasing from its own worker, whose case the volunteer finished.
    vol = add_volunteer()
    for i, body in enumerate(THANKS_AFTER_CLOSE):
        worker = f"+86138001382{i:02d}"
        case_id = finished_case(on_provider, vol, worker=worker)
        number = state(case_id).number
        assert state(case_id).status == CaseStatus.RESOLVED
        before = sms_to(volunteer_phone(vol))
        reply = texts(on_provider, worker, body)
        assert str(number) in reply and cases()[-1] == number, body  # no new case
        case = state(case_id)
        assert case.status == CaseStatus.RESOLVED and case.reopened_at is None
        msg = last_inbound(worker)
        assert msg.case_id == case_id and msg.inbox_state is None
        [told] = sms_to(volunteer_phone(vol))[len(before):]
        assert f"#{number}" in told and worker not in told and worker[3:] not in told
        with get_db().begin() as s:
            lines = list(s.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id)))
        assert any(e.kind == EventKind.MESSAGE_IN and e.message_id == msg.id for e in lines)
        note = [e.text for e in lines if e.text.startswith("the worker wrote after")]
        assert note and zh_event(note[0]) is not None and "已解决" in (zh_event(note[0]) or "")
    assert len(cases()) == len(THANKS_AFTER_CLOSE)


def test_thanks_to_a_closed_case_nobody_works_waits_in_the_inbox(on_provider: World) -> None:
    case_id, _ = add_case(WORKER, status=CaseStatus.CLOSED, closed_at=utcnow())
    reply = texts(on_provider, WORKER, "谢谢你们")
    assert "1001" in reply and cases() == [1001]
    msg = last_inbound(WORKER)
    assert (msg.case_id, msg.inbox_state) == (case_id, "open")


def test_thanks_long_after_close_opens_nothing(on_provider: World) -> None:
    vol = add_volunteer()
    case_id = finished_case(on_provider, vol, how="CLOSE {n} 已解决")
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        case.closed_at = case.updated_at = utcnow() - timedelta(days=31)
    before = sms_to(volunteer_phone(vol))
    reply = texts(on_provider, WORKER, "谢谢")
    assert cases() == [1001] and sms_to(volunteer_phone(vol)) == before
    msg = last_inbound(WORKER)
    assert (msg.case_id, msg.inbox_state) == (None, "open")
    assert "谢谢" in reply and "发短信" in reply  # a known worker: a short kind answer


@pytest.mark.parametrize("body", ["老板又欠了我两个月工资，一万二", "我在工地摔伤了腿，老板不管",
                                  "My boss fired me without paying, 3 months wages owed"])
def test_a_new_problem_after_close_opens_a_new_case(on_provider: World, body: str) -> None:
    vol = add_volunteer()
    case_id = finished_case(on_provider, vol)
    before = sms_to(volunteer_phone(vol))
    reply = texts(on_provider, WORKER, body)
    assert "1002" in reply and cases() == [1001, 1002]
    assert state(case_id).status == CaseStatus.RESOLVED
    assert sms_to(volunteer_phone(vol)) == before  # the old volunteer is not bothered
    assert last_inbound(WORKER).case_id != case_id


REOPEN = ["REOPEN 1001", "reopen1001", "重开1001", "重开 #1001", "ＲＥＯＰＥＮ １００１"]


def test_volunteer_reopens_their_finished_case_by_sms(on_provider: World) -> None:
    vol = add_volunteer()
    case_id = finished_case(on_provider, vol)
    for i, command in enumerate(REOPEN):  # each spelling reopens the case finished again
        if i:
            assert "1001" in texts(on_provider, volunteer_phone(vol), "DONE 1001 12000")
        reply = texts(on_provider, volunteer_phone(vol), command)
        assert "1001" in reply and "重新打开" in reply, command
        case = state(case_id)
        assert case.status == CaseStatus.IN_PROGRESS and case.reopened_at is not None
        assert case.assigned_volunteer_id == vol and case.closed_at is None
    with get_db().begin() as s:
        texts_ = list(s.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case_id)))
    assert texts_.count("resolved → in_progress: reopened") == len(REOPEN)
    assert zh_event("resolved → in_progress: reopened") == "已解决 → 处理中：重新打开"
    # and they can work it again (on Alibaba the worker gets the templated notice)
    relayed = texts(on_provider, volunteer_phone(vol), "R1001 我再帮您问问")
    assert ("已转告" if on_provider.provider == "twilio" else "#1001") in relayed


def test_reopen_refused_for_another_volunteers_case_and_an_open_one(on_provider: World) -> None:
    vol, other = add_volunteer(), add_volunteer()
    case_id = finished_case(on_provider, vol)
    assert "不由您负责" in texts(on_provider, volunteer_phone(other), "重开1001")
    assert "不由您负责" in texts(on_provider, volunteer_phone(other), "REOPEN 9999")
    assert "案件号" in texts(on_provider, volunteer_phone(vol), "重开")
    assert state(case_id).status == CaseStatus.RESOLVED
    assert "重新打开" in texts(on_provider, volunteer_phone(vol), "REOPEN 1001")
    assert "还在办理中" in texts(on_provider, volunteer_phone(vol), "REOPEN 1001")


def test_staff_reopen_goes_back_to_an_on_duty_volunteer(on_provider: World) -> None:
    vol = add_volunteer()
    case_id = finished_case(on_provider, vol, how="CLOSE {n} 工友不再需要")
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None and case.status == CaseStatus.CLOSED
        reopen_case(s, case, "staff:1")
    case = state(case_id)
    assert (case.status, case.assigned_volunteer_id) == (CaseStatus.IN_PROGRESS, vol)


@pytest.mark.parametrize("gone", ["off duty", "disabled"])
def test_staff_reopen_without_its_volunteer_routes_it_again(on_provider: World, gone: str) -> None:
    vol = add_volunteer(skills=["wages"])
    fresh = add_volunteer(skills=["wages"])
    case_id = finished_case(on_provider, vol)
    with get_db().begin() as s:
        volunteer = s.get(Volunteer, vol)
        assert volunteer is not None
        if gone == "off duty":
            volunteer.on_duty = False
        else:
            s.add(User(username="left", password_hash="x", role=Role.VOLUNTEER,
                       volunteer_id=vol, active=False))
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        reopen_case(s, case, "staff:1")
        with pytest.raises(ValueError):
            reopen_case(s, case, "staff:1")  # already open
    case = state(case_id)
    assert (case.status, case.assigned_volunteer_id) == (CaseStatus.NEW, None)
    assert case.reopened_at is not None
    assert "queued" in route_case(case_id)
    with get_db().begin() as s:
        offered = s.scalar(select(Message.volunteer_id).where(
            Message.case_id == case_id, Message.purpose == Purpose.OFFER))
    assert offered == fresh
