"""Working a case without exposing numbers: relay, forwarded replies, bridged calls, outcome
by SMS, the closing survey; deadlines and transfers with controlled time.

On Twilio (bridged calls are voice, which only Twilio carries); the SMS loop here (relay both
ways, DONE, the survey and its answer) also runs on Alibaba in test_both_providers.py."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.assignment import answer_offer
from hotline.bridge import start_bridge_call
from hotline.deadlines import check_deadlines, parse_amount
from hotline.infra.db import get_db
from hotline.offers import offer_case
from hotline.organisations import hand_over_case
from models import Call, Case, CaseStatus, Contact, EventKind, Organisation, Purpose, Volunteer
from models.base import utcnow
from tests.conftest import HOTLINE_NUMBER
from tests.test_routing_support import (
    add_case,
    add_volunteer,
    case_state,
    events,
    outbound,
    texts,
    volunteer_phone,
)

WORKER = "+8613812345678"


def assigned_case(**fields: Any) -> tuple[int, int, int, str]:
    """A case offered to and accepted by a fresh volunteer: (case id, number, vid, phone)."""
    vid = add_volunteer(**fields)
    case_id, number = add_case(WORKER)
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        offer_case(s, case, utcnow())
        vol = s.get(Volunteer, vid)
        assert vol is not None
        answer_offer(s, vol, number, True)
    return case_id, number, vid, volunteer_phone(vid)


def test_relay_both_ways_without_numbers(app: Flask, post_signed: Any) -> None:
    case_id, number, _vid, vphone = assigned_case()
    assert "已转告" in texts(post_signed, vphone, f"R{number} 明天上午十点给您打电话")
    [relay] = outbound(Purpose.RELAY, to=WORKER)
    assert relay.from_number == HOTLINE_NUMBER and "明天上午十点" in relay.body
    assert vphone not in relay.body and vphone[3:] not in relay.body
    assert case_state(case_id).status == CaseStatus.IN_PROGRESS
    texts(post_signed, WORKER, "好的，谢谢")
    [fwd] = outbound(Purpose.RELAY, to=vphone)
    assert fwd.body == f"#{number}工友：好的，谢谢" and WORKER[3:] not in fwd.body
    stranger = volunteer_phone(add_volunteer())
    assert "不由您负责" in texts(post_signed, stranger, f"R{number} 你好")
    assert len(outbound(Purpose.RELAY, to=WORKER)) == 1


def test_words_after_the_cases_number_reach_its_worker(app: Flask, post_signed: Any) -> None:
    """"#1024 您好…", the number as the offer wrote it, is words for the case's worker; from a
    volunteer who does not hold the case it is refused like any relay."""
    case_id, number, _vid, vphone = assigned_case()
    told = texts(post_signed, vphone, f"#{number} 您好，我是李社工，请问您有劳动合同吗？")
    assert "已转告" in told, told
    [relay] = outbound(Purpose.RELAY, to=WORKER)
    assert "您好，我是李社工，请问您有劳动合同吗？" in relay.body and vphone[3:] not in relay.body
    stranger = volunteer_phone(add_volunteer())
    assert "不由您负责" in texts(post_signed, stranger, f"#{number} 你好")
    assert len(outbound(Purpose.RELAY, to=WORKER)) == 1


def test_who_wrote_volunteer_or_worker(app: Flask, post_signed: Any) -> None:
    """The sender is told apart whatever order the lookups run in: a worker's text that reads
    like a volunteer's command ("是", "no", "上线") is the worker's, forwarded; a volunteer who
    once texted as a worker (a contact row of their own) is still answered as a volunteer,
    command or not, and their contact row is not marked as heard from."""
    case_id, number, _vid, vphone = assigned_case()
    for said in ("是", "no", "上线", "老板说明天给"):
        texts(post_signed, WORKER, said)
    forwarded = [m.body for m in outbound(Purpose.RELAY, to=vphone)]
    assert forwarded == [f"#{number}工友：{said}" for said in ("是", "no", "上线", "老板说明天给")]
    with get_db().begin() as s:
        worker = s.scalar(select(Contact).where(Contact.phone == WORKER))
        assert worker is not None and worker.last_contact_at is not None
        s.add(Contact(phone=vphone, language="zh"))  # the volunteer texted for help once
    assert "已转告" in texts(post_signed, vphone, f"R{number} 明天上午十点给您打电话")
    assert texts(post_signed, vphone, "你好").startswith("指令：")  # no command: the list
    with get_db().begin() as s:
        own = s.scalar(select(Contact).where(Contact.phone == vphone))
        assert own is not None and own.last_contact_at is None
        assert s.scalar(select(Case.id).where(Case.contact_id == own.id)) is None
    assert case_state(case_id).status == CaseStatus.IN_PROGRESS


def test_call_bridges_with_the_hotline_as_caller_id(app: Flask, post_signed: Any,
                                                   fake_twilio: Any) -> None:
    case_id, number, _vid, vphone = assigned_case()
    assert "来电" in texts(post_signed, vphone, f"CALL {number}")
    with get_db().begin() as s:
        call_id = s.scalars(select(Call.id)).one()
    start_bridge_call(call_id)
    start_bridge_call(call_id)  # a redelivered task never dials twice
    [placed] = fake_twilio.calls
    assert (placed["to"], placed["from"]) == (vphone, HOTLINE_NUMBER)
    resp = post_signed(f"/twilio/bridge/{case_id}", {"CallSid": placed["sid"], "To": vphone,
                                                     "From": HOTLINE_NUMBER})
    root = ET.fromstring(resp.data)
    dial = root.find("Dial")
    assert dial is not None and dial.get("callerId") == HOTLINE_NUMBER
    assert dial.findtext("Number") == WORKER
    refused = ET.fromstring(post_signed(f"/twilio/bridge/{case_id}", {
        "CallSid": "CA1", "To": "+8613900000777", "From": HOTLINE_NUMBER}).data)
    assert refused.find("Dial") is None and refused.find("Hangup") is not None
    post_signed(f"/twilio/bridge/{case_id}/dialed", {"DialCallStatus": "completed",
                                                     "DialCallDuration": "95"})
    assert any("95s" in e.text for e in events(case_id, EventKind.CALL))


def test_done_with_amount_then_survey_answer(app: Flask, post_signed: Any) -> None:
    case_id, number, _vid, vphone = assigned_case()
    assert "金额看不懂" in texts(post_signed, vphone, f"DONE {number} 12x00")
    assert case_state(case_id).status == CaseStatus.ASSIGNED
    assert "已办结" in texts(post_signed, vphone, f"DONE {number} 1.2万 老板已付清")
    case = case_state(case_id)
    assert (case.status, case.amount_recovered) == (CaseStatus.RESOLVED, Decimal("12000.00"))
    [survey] = [m for m in outbound(Purpose.REPLY, to=WORKER) if "1-5" in m.body]
    assert "谢谢" in texts(post_signed, WORKER, "５分")
    assert case_state(case_id).satisfaction == 5


@pytest.mark.parametrize("said", ["{n}结案，追回一万二", "{n}已解决 12000", "结案{n} 追回12000"])
def test_a_case_finished_in_a_volunteers_own_words(app: Flask, post_signed: Any,
                                                   said: str) -> None:
    """The number first ("1001结案") or the verb first, the sum recovered after it."""
    case_id, number, _vid, vphone = assigned_case()
    assert "已办结" in texts(post_signed, vphone, said.format(n=number))
    case = case_state(case_id)
    assert (case.status, case.amount_recovered) == (CaseStatus.RESOLVED, Decimal("12000.00"))


def test_a_volunteer_asking_whether_a_case_is_finished_finishes_nothing(
        app: Flask, post_signed: Any) -> None:
    case_id, number, _vid, vphone = assigned_case()
    texts(post_signed, vphone, f"{number}结案了吗？")
    assert case_state(case_id).status == CaseStatus.ASSIGNED


def test_amounts() -> None:
    assert parse_amount("12,000元") == Decimal("12000.00")
    assert parse_amount("¥３５００") == Decimal("3500.00")
    assert parse_amount("") is None


def test_deadline_reminder_then_escalation(app: Flask) -> None:
    app.config.update(STALE_CASE_DAYS=7, STALE_ESCALATE_DAYS=3, STAFF_NUMBERS=["+8613700000099"])
    case_id, number, _vid, vphone = assigned_case()
    now = utcnow()
    assert check_deadlines(now + timedelta(days=6)) == {"reminded": 0, "escalated": 0,
                                                        "monthly": 0}
    assert check_deadlines(now + timedelta(days=8))["reminded"] == 1
    assert "无进展" in outbound(Purpose.ALERT, to=vphone)[-1].body
    assert check_deadlines(now + timedelta(days=9))["escalated"] == 0
    assert check_deadlines(now + timedelta(days=11, minutes=1))["escalated"] == 1
    assert case_state(case_id).status == CaseStatus.ESCALATED


def test_monthly_contact_reminder(app: Flask) -> None:
    app.config.update(STALE_CASE_DAYS=100, MONTHLY_CONTACT_DAYS=30)
    case_id, _number, _vid, vphone = assigned_case()
    assert check_deadlines(utcnow() + timedelta(days=31))["monthly"] == 1
    assert "每月" in outbound(Purpose.ALERT, to=vphone)[-1].body


def test_transfer_to_partner_keeps_history(app: Flask) -> None:
    with get_db().begin() as s:
        home = Organisation(name="固始县服务站", staff_numbers=["+8613700000001"])
        s.add(home)
        s.flush()
        home_id = home.id
    case_id, number, _vid, _vphone = assigned_case()
    partner_vol = add_volunteer(organisation_id=home_id)
    before = len(events(case_id))
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        org = s.get(Organisation, home_id)
        assert case is not None and org is not None
        hand_over_case(s, case, org, "工友已回老家，请家乡站跟进", actor="user:staff1")
    case = case_state(case_id)
    assert (case.status, case.organisation_id, case.assigned_volunteer_id) == (
        CaseStatus.NEW, home_id, None)
    assert len(events(case_id)) > before
    assert events(case_id, EventKind.TRANSFER)[0].data["to"] == home_id
    assert outbound(Purpose.ALERT, to="+8613700000001")
    from hotline.routing import route_case

    route_case(case_id)
    assert case_state(case_id).status == CaseStatus.OFFERED
    with get_db().begin() as s:
        from models import Offer

        assert s.scalars(select(Offer.volunteer_id).where(
            Offer.case_id == case_id, Offer.status == "pending")).all() == [partner_vol]


def take_the_only_case(volunteer_id: int) -> int:
    """The one case there is (opened by a text), offered to and accepted by this volunteer
    while its intake goes on; its number."""
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        offer_case(s, case, utcnow())
        vol, number = s.get(Volunteer, volunteer_id), case.number
        assert vol is not None and number is not None
        answer_offer(s, vol, number, True)
        return number


def test_a_volunteer_who_took_an_urgent_case_mid_intake_gets_the_answers_once(
        app: Flask, post_signed: Any) -> None:
    """An urgent case is offered while its questions go on. The volunteer who takes it is not
    texted each bare answer ("四川", "1", "没有"), only what the worker says beside the
    questions, and at the end everything the worker confirmed, in one text."""
    vid = add_volunteer()
    vphone = volunteer_phone(vid)
    texts(post_signed, WORKER, "【求助】在东莞工地上摔断了腿😭")
    number = take_the_only_case(vid)
    # (The first text said where it happened: 工地, not asked.)
    for body in ["四川", "宏达建筑公司", "前天", "在住院", "老板不管", "一万二"]:
        assert "没看懂" not in texts(post_signed, WORKER, body)
    assert [m.body for m in outbound(Purpose.RELAY, to=vphone)] == []
    # Asked whether a 工伤认定 was filed, the worker says something else: that is passed on,
    # they are told so (not "not understood"), and the question waits.
    told = texts(post_signed, WORKER, "腿很疼，能不能快点")
    assert told.startswith("已转告负责您案件的志愿者。") and "工伤认定" in told, told
    assert "没看懂" not in told
    texts(post_signed, WORKER, "没有")
    confirm = texts(post_signed, WORKER, "对")
    assert "1001" in confirm or str(number) in confirm
    forwarded = [m.body for m in outbound(Purpose.RELAY, to=vphone)]
    assert forwarded[0] == f"#{number}工友：腿很疼，能不能快点"
    assert len(forwarded) == 2, forwarded
    summary = forwarded[1]
    assert summary.startswith(f"#{number}工友：登记问题已答完：工伤，广东东莞，宏达建筑公司，")
    assert "，工地，在住院，老板不出医药费，已自付12000元" in summary
    assert WORKER[3:] not in summary


def test_an_english_volunteer_gets_the_confirmed_answers_in_english(
        app: Flask, post_signed: Any) -> None:
    vid = add_volunteer(languages=["en", "zh"])  # texted in English
    vphone = volunteer_phone(vid)
    texts(post_signed, WORKER, "在深圳工地上被砸伤了")
    number = take_the_only_case(vid)
    for body in ["河南", "某某五金厂", "昨天", "没住院", "老板出", "已经申请了", "1"]:
        assert "没看懂" not in texts(post_signed, WORKER, body), body
    [summary] = [m.body for m in outbound(Purpose.RELAY, to=vphone)]
    assert summary.startswith(f"#{number} worker: answered the questions: work injury"), summary
