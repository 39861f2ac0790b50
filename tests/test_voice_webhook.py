"""Voice webhooks: signatures, TwiML parsed as XML, full walks, retries, bad keys, silence, hang-up.

Runs on SQLite and PostgreSQL, with the real Redis test database as the Celery broker.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from typing import Any, cast

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.infra.db import get_db
from hotline.infra.queues import broker_keys
from models import (
    Call,
    CallStatus,
    Case,
    CaseEvent,
    CaseStatus,
    Contact,
    FlowSession,
    FlowStatus,
    FlowStep,
    Urgency,
    Volunteer,
)
from tests.conftest import AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL

CALLER = "+8613800138000"
VOLUNTEER = "+8613900000001"
OFFICE_HOURS = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai
NIGHT = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # Tuesday 00:00 in Shanghai


def call_form(sid: str = "CA" + "a" * 32, **extra: str) -> dict[str, str]:
    """A voice webhook form as Twilio sends it."""
    return {"CallSid": sid, "AccountSid": "AC" + "1" * 32, "From": CALLER,
            "To": HOTLINE_NUMBER, "CallStatus": "in-progress", "Direction": "inbound", **extra}


class Caller:
    """Drives one call through the signed webhooks, following the step URLs in the TwiML."""

    def __init__(self, post_signed: Any, sid: str = "CA" + "a" * 32) -> None:
        self.post = post_signed
        self.sid = sid
        self.twiml = self.send("/twilio/voice", CallStatus="ringing")

    def send(self, path: str, **extra: str) -> ET.Element:
        resp = self.post(path, call_form(self.sid, **extra))
        assert resp.status_code == 200, resp.data
        assert resp.mimetype == "text/xml"
        root = ET.fromstring(resp.data)
        assert root.tag == "Response"
        return root

    def action(self) -> str:
        """Where the waiting <Gather>/<Record>/<Dial> posts its answer."""
        for tag in ("Gather", "Record", "Dial"):
            verb = self.twiml.find(tag)
            if verb is not None:
                return verb.get("action", "")
        raise AssertionError(f"nothing waits for an answer: {ET.tostring(self.twiml)!r}")

    def answer(self, **fields: str) -> ET.Element:
        self.twiml = self.send(self.action(), **fields)
        return self.twiml

    def keys(self, digits: str) -> ET.Element:
        return self.answer(Digits=digits)

    def silence(self) -> ET.Element:
        redirect = self.twiml.find("Redirect")
        assert redirect is not None, "every question is paired with what happens on silence"
        self.twiml = self.send(redirect.text or "")
        return self.twiml

    def hang_up(self, status: str = "completed") -> int:
        return int(self.post("/twilio/voice/status",
                             call_form(self.sid, CallStatus=status, CallDuration="42")).status_code)


def says(root: ET.Element) -> list[str]:
    """Every <Say> text, nested ones included, in order."""
    return [s.text or "" for s in root.iter("Say")]


def the_case() -> Case:
    with get_db().begin() as s:
        return s.scalars(select(Case)).one()


def home_of(case: Case) -> str | None:
    """The home province on file for the case's worker."""
    with get_db().begin() as s:
        return s.get(Contact, case.contact_id).home_province  # type: ignore[union-attr]


def routed(redis_client: redis_lib.Redis) -> list[tuple[str, str, str]]:
    """(queue, task, args) of every task waiting in the real Redis broker."""
    found = []
    for queue in ("urgent", "intake"):
        waiting = [cast(list[bytes], redis_client.lrange(key, 0, -1))
                   for key in broker_keys(queue)]
        for raw in (r for batch in waiting for r in batch):
            headers = json.loads(raw)["headers"]
            found.append((queue, headers["task"], headers["argsrepr"]))
    return found


def count(model: Any) -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


ENDPOINTS = ["/twilio/voice", "/twilio/voice/step?n=0", "/twilio/voice/status",
             "/twilio/voice/recording?node=voicemail"]
SIGNATURES = [("valid", "good", True), ("wrong token", "bad-token", False),
              ("missing", "none", False), ("other url", "other-url", False)]


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("name,how,ok", SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_signature_table(app: Flask, path: str, name: str, how: str, ok: bool) -> None:
    form = call_form(CallStatus="ringing")
    url = PUBLIC_URL + path if how != "other-url" else "https://evil.example" + path
    token = AUTH_TOKEN if how != "bad-token" else "nope"
    headers = {} if how == "none" else {
        "X-Twilio-Signature": RequestValidator(token).compute_signature(url, form)}
    resp = app.test_client().post(path, data=form, headers=headers)
    if ok:
        assert resp.status_code in (200, 204)
    else:
        assert resp.status_code == 403
        assert count(Call) == 0 and count(FlowSession) == 0


BAD_REQUESTS = [
    ("start without CallSid", "/twilio/voice", {"CallSid": ""}, 400),
    ("step without n", "/twilio/voice/step", {}, 400),
    ("step with junk n", "/twilio/voice/step?n=abc", {}, 400),
    ("status for an unknown call", "/twilio/voice/status", {"CallStatus": "completed"}, 204),
    ("status with junk status", "/twilio/voice/status", {"CallStatus": "exploded"}, 204),
    ("recording without URL", "/twilio/voice/recording?node=voicemail", {}, 204),
]


@pytest.mark.parametrize("name,path,fields,status", BAD_REQUESTS, ids=[b[0] for b in BAD_REQUESTS])
def test_bad_requests_table(app: Flask, post_signed: Any, name: str, path: str,
                            fields: dict[str, str], status: int) -> None:
    resp = post_signed(path, call_form(**fields))
    assert resp.status_code == status, resp.data
    assert count(Case) == 0


def test_first_step_asks_language_in_both_voices(app: Flask, post_signed: Any) -> None:
    caller = Caller(post_signed)
    gather = caller.twiml.find("Gather")
    assert gather is not None
    assert (gather.get("input"), gather.get("language"), gather.get("numDigits")) == (
        "dtmf speech", "cmn-Hans-CN", "1")
    assert gather.get("action") == "/twilio/voice/step?n=1"
    assert [s.get("language") for s in gather.iter("Say")] == ["cmn-CN", "en-US"]
    hints = (gather.get("hints") or "").split(", ")
    assert {"English", "英语", "中文", "普通话"} <= set(hints)  # either language may be spoken
    redirect = caller.twiml.find("Redirect")
    assert redirect is not None and redirect.text == "/twilio/voice/step?n=1&silence=1"
    case = the_case()
    assert (case.number, case.channel, case.status) == (1001, "voice", CaseStatus.NEW)
    with get_db().begin() as s:
        call = s.scalars(select(Call)).one()
        assert (call.status, call.case_id) == (CallStatus.IN_PROGRESS, case.id)


def walk_to_confirm(caller: Caller) -> None:
    """Mandarin, many-of-us-unpaid, Guangdong Shenzhen, from Henan, employer, ¥12000, 3 months,
    40 people, still working there."""
    caller.keys("1")
    caller.keys("6")
    caller.answer(SpeechResult="广东省深圳市", Confidence="0.9")
    caller.keys("1")  # home province: 河南
    caller.answer(SpeechResult="深圳某某电子厂", Confidence="0.8")
    caller.keys("12000")
    caller.keys("3")
    caller.keys("40")
    caller.keys("1")


def test_full_walk_office_hours_live_transfer(app: Flask, post_signed: Any,
                                              redis_client: redis_lib.Redis) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    with get_db().begin() as s:
        s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    assert "深圳某某电子厂" in says(caller.twiml)[0] and "12000元" in says(caller.twiml)[0]
    twiml = caller.keys("1")
    assert any("一、零、零、一" in text for text in says(twiml))  # read back digit by digit
    assert twiml.find("Dial") is None  # offered, not dialled straight away
    assert "马上和志愿者通话请按1。留言请按2。" in "".join(says(twiml))
    twiml = caller.keys("1")
    dial = twiml.find("Dial")
    assert dial is not None and dial.get("callerId") == HOTLINE_NUMBER
    assert dial.findtext("Number") == VOLUNTEER
    twiml = caller.answer(DialCallStatus="completed", DialCallDuration="120")
    assert twiml.find("Hangup") is not None
    case = the_case()
    assert (case.category, case.urgency, case.work_province, case.work_city) == (
        "collective", Urgency.URGENT, "广东", "深圳")
    assert (case.employer, case.amount_owed, case.months_unpaid, case.people_affected) == (
        "深圳某某电子厂", 12000, 3, 40)
    assert case.status == CaseStatus.ASSIGNED  # the volunteer who picked up has it
    assert case.dialect == "henan" and home_of(case) == "河南"
    assert case.assigned_volunteer_id is not None
    assert caller.hang_up() == 204
    assert routed(redis_client) == []  # already assigned: nothing to route


def test_full_walk_after_hours_voicemail_then_routed_once(app: Flask, post_signed: Any,
                                                          redis_client: redis_lib.Redis) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    twiml = caller.keys("1")
    assert any("下班时间" in text for text in says(twiml))
    record = twiml.find("Record")
    assert record is not None and record.get("recordingStatusCallback", "").endswith(
        "node=voicemail")
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"
    twiml = caller.answer(RecordingUrl=url, RecordingDuration="30")
    assert twiml.find("Hangup") is not None and "回电" in says(twiml)[-1]
    assert routed(redis_client) == [("urgent", "hotline.routing.route_case",
                                     f"({the_case().id},)")]
    post_signed("/twilio/voice/recording?node=voicemail",
                call_form(RecordingUrl=url, RecordingStatus="completed", RecordingDuration="30"))
    assert caller.hang_up() == 204
    assert len(routed(redis_client)) == 1  # routed once, not again at hang-up
    case = the_case()
    assert case.voicemail_url == url and case.last_enqueued_at is not None
    with get_db().begin() as s:
        assert s.scalars(select(Call)).one().recording_url == url
        assert s.scalars(select(FlowSession)).one().status == FlowStatus.DONE
        assert not any(url in e.text for e in s.scalars(select(CaseEvent)))


def test_twilio_retry_of_a_step_neither_duplicates_nor_skips(app: Flask,
                                                             post_signed: Any) -> None:
    caller = Caller(post_signed)
    again = caller.send("/twilio/voice", CallStatus="ringing")
    assert ET.tostring(again) == ET.tostring(caller.twiml)
    first = caller.send("/twilio/voice/step?n=1", Digits="1")
    retry = caller.send("/twilio/voice/step?n=1", Digits="1")
    assert ET.tostring(first) == ET.tostring(retry)
    caller.twiml = first
    caller.keys("2")  # work injury
    stale = caller.send("/twilio/voice/step?n=1", Digits="2")  # a very late retry of step 1
    assert ET.tostring(stale) == ET.tostring(first)
    assert count(Case) == 1 and count(Call) == 1 and count(FlowStep) == 3
    case = the_case()
    assert (case.language, case.category, case.urgency) == ("zh", "injury", Urgency.URGENT)


def test_bad_keys_reprompt_twice_then_voicemail(app: Flask, post_signed: Any) -> None:
    caller = Caller(post_signed)
    caller.keys("1")
    for _ in range(2):
        twiml = caller.keys("9")
        assert says(twiml)[0] == "对不起，没有听清。"
        assert twiml.find("Gather") is not None
    twiml = caller.keys("#")
    assert twiml.find("Record") is not None and twiml.find("Hangup") is None


def test_silence_reprompts_then_voicemail_then_goodbye_never_a_loop(app: Flask,
                                                                     post_signed: Any) -> None:
    caller = Caller(post_signed)
    tags = []
    for _ in range(8):
        twiml = caller.silence()
        tags.append(next(v.tag for v in twiml if v.tag in ("Gather", "Record", "Hangup")))
        if tags[-1] == "Hangup":
            break
    # language asked 3 times, then voicemail offered 3 times, then a goodbye.
    assert tags == ["Gather", "Gather", "Record", "Record", "Record", "Hangup"]
    with get_db().begin() as s:
        assert s.scalars(select(FlowSession)).one().status == FlowStatus.DONE


def test_unclear_employer_speech_becomes_a_recording(app: Flask, post_signed: Any) -> None:
    caller = Caller(post_signed)
    caller.keys("1")
    caller.keys("1")
    caller.answer(SpeechResult="广东深圳")
    caller.keys("9")  # home province: not on the menu
    twiml = caller.silence()  # nothing recognised for the employer
    record = twiml.find("Record")
    assert record is not None
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE2"
    twiml = caller.answer(RecordingUrl=url, RecordingDuration="4")
    assert "多少钱" in says(twiml)[0]
    with get_db().begin() as s:
        assert s.scalars(select(FlowSession)).one().answers["employer_recording"] == url
        texts = [e.text for e in s.scalars(select(CaseEvent))]
        # Logged once, where it can be played (not also as an answer note).
        assert len([t for t in texts if t.startswith("employer: said on a recording")]) == 1
        assert not any("employer_recording" in t for t in texts)
        # Its address is never timeline text: a listen goes through the audited player.
        assert not any(url in t for t in texts)


def test_hang_up_half_way_keeps_the_case_and_routes_it_once(app: Flask, post_signed: Any,
                                                            redis_client: redis_lib.Redis
                                                            ) -> None:
    caller = Caller(post_signed)
    caller.keys("1")
    caller.keys("1")
    caller.answer(SpeechResult="浙江杭州")
    assert caller.hang_up() == 204
    assert caller.hang_up() == 204  # Twilio may deliver the callback twice
    case = the_case()
    assert (case.category, case.work_province, case.work_city) == ("wages", "浙江", "杭州")
    assert case.status == CaseStatus.NEW
    assert routed(redis_client) == [("intake", "hotline.routing.route_case", f"({case.id},)")]
    with get_db().begin() as s:
        assert s.scalars(select(FlowSession)).one().status == FlowStatus.ABANDONED
        assert s.scalars(select(Call)).one().status == CallStatus.COMPLETED
    late = caller.send("/twilio/voice/step?n=4", Digits="5")  # a step after the hang-up
    assert late.find("Hangup") is not None


def test_english_caller_hears_english(app: Flask, post_signed: Any) -> None:
    caller = Caller(post_signed)
    twiml = caller.answer(SpeechResult="English")
    gather = twiml.find("Gather")
    assert gather is not None and gather.get("language") == "en-US"
    assert says(twiml)[0].startswith("What is your problem? For unpaid wages, press 1. ")
    hints = (gather.get("hints") or "").split(", ")
    assert {"unpaid wages", "work injury", "wages"} <= set(hints) and "欠薪" not in hints
    twiml = caller.answer(SpeechResult="I lost my job")  # a speech hint is understood too
    assert "Which province and city" in says(twiml)[0]


def test_english_caller_hears_the_sum_in_yuan(app: Flask, post_signed: Any) -> None:
    """An English voice reads "¥12000" as "12000 yen": spoken, the sum names the yuan (the
    SMS keeps the sign; Mandarin callers hear 欠12000元, test_full_walk_…)."""
    caller = Caller(post_signed)
    caller.answer(SpeechResult="English")
    caller.keys("1")  # unpaid wages
    caller.answer(SpeechResult="Shenzhen, Guangdong")
    caller.keys("1")  # home province
    caller.answer(SpeechResult="ACME Shoes")
    caller.keys("12000")
    heard = " ".join(" ".join(says(caller.keys(key))) for key in ("3", "40", "1"))
    assert "12000 yuan" in heard and "¥" not in heard, heard


def test_menus_hint_the_words_of_their_choices(app: Flask, post_signed: Any) -> None:
    caller = Caller(post_signed)
    gather = caller.keys("1").find("Gather")
    assert gather is not None and gather.get("language") == "cmn-Hans-CN"
    hints = (gather.get("hints") or "").split(", ")
    assert {"欠薪", "没发工资", "工伤", "受了伤", "很多工友"} <= set(hints)
    assert "English" not in hints and len(hints) == len(set(hints))
    caller.keys("1")
    home = caller.answer(SpeechResult="广东深圳").find("Gather")  # the home-province menu
    assert home is not None and {"河南", "河南人", "四川"} <= set(
        (home.get("hints") or "").split(", "))


def test_repeat_caller_within_30_days_continues_the_case(app: Flask, post_signed: Any) -> None:
    first = Caller(post_signed, sid="CA" + "1" * 32)
    first.keys("1")
    first.hang_up()
    Caller(post_signed, sid="CA" + "2" * 32)
    assert count(Case) == 1 and count(Call) == 2 and count(FlowSession) == 2


def test_withheld_caller_id_still_gets_a_case(app: Flask, post_signed: Any) -> None:
    resp = post_signed("/twilio/voice", call_form(From="anonymous"))
    assert resp.status_code == 200
    assert the_case().number == 1001


def first_call_done(post_signed: Any) -> None:
    """A worker's first call: the whole intake, then a voicemail at night."""
    caller = Caller(post_signed, sid="CA" + "1" * 32)
    walk_to_confirm(caller)
    caller.keys("1")
    caller.answer(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1",
                  RecordingDuration="20")
    assert caller.hang_up() == 204


def test_a_worker_calling_back_is_asked_not_interviewed_again(app: Flask,
                                                              post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    first_call_done(post_signed)
    before = the_case()
    again = Caller(post_signed, sid="CA" + "2" * 32)
    twiml = again.keys("1")  # Mandarin
    assert "您的案件一、零、零、一已经登记" in says(twiml)[0]  # its number, digit by digit
    assert "找志愿者或留言请按1" in "".join(says(twiml))
    twiml = again.keys("1")  # reach a volunteer or leave a message: at night, voicemail
    assert any("下班时间" in text for text in says(twiml)) and twiml.find("Record") is not None
    again.answer(RecordingUrl="https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE2",
                 RecordingDuration="15")
    assert again.hang_up() == 204
    after = the_case()  # the same case, its answers untouched by the second call
    assert (after.id, after.category, after.people_affected, after.amount_owed) == (
        before.id, before.category, before.people_affected, before.amount_owed)
    assert after.voicemail_url.endswith("RE2")  # type: ignore[union-attr]


def test_a_worker_calling_back_may_go_through_the_questions_again(app: Flask,
                                                                  post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    first_call_done(post_signed)
    again = Caller(post_signed, sid="CA" + "3" * 32)
    again.keys("1")
    twiml = again.keys("2")
    assert "您遇到什么问题" in says(twiml)[0]


def test_voicemail_on_an_assigned_case_tells_its_volunteer_once(app: Flask,
                                                                post_signed: Any) -> None:
    from models import Message, Purpose

    app.config["FLOW_CLOCK"] = lambda: NIGHT
    first_call_done(post_signed)
    with get_db().begin() as s:
        volunteer = Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True)
        s.add(volunteer)
        s.flush()
        case = s.scalars(select(Case)).one()
        case.assigned_volunteer_id = volunteer.id
        case.status = CaseStatus.ASSIGNED
    again = Caller(post_signed, sid="CA" + "4" * 32)
    again.keys("1")
    again.keys("1")
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE3"
    again.answer(RecordingUrl=url, RecordingDuration="15")
    for _ in range(2):  # Twilio's recording callback, and a duplicate of it
        post_signed("/twilio/voice/recording?node=voicemail",
                    call_form(again.sid, RecordingUrl=url, RecordingStatus="completed"))
    with get_db().begin() as s:
        [notice] = s.scalars(select(Message).where(Message.purpose == Purpose.RELAY)).all()
        assert notice.to_number == VOLUNTEER and "#1001工友来电留言" in notice.body
        assert s.scalars(select(Call).where(Call.sid == again.sid)).one().recording_url == url


def test_a_worker_calling_back_with_a_new_problem_gets_a_second_case(
        app: Flask, post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    first_call_done(post_signed)
    again = Caller(post_signed, sid="CA" + "5" * 32)
    again.keys("1")
    assert "您遇到什么问题" in says(again.keys("3"))[0]  # a new problem
    again.keys("2")  # work injury
    again.answer(SpeechResult="广东东莞", Confidence="0.9")
    twiml = again.answer(SpeechResult="宏达鞋厂", Confidence="0.9")
    assert "哪天受伤" in says(twiml)[0]  # the injury's own questions, no wage ones
    again.answer(SpeechResult="昨天", Confidence="0.8")
    again.answer(SpeechResult="工地", Confidence="0.9")
    again.keys("1")  # in hospital
    again.keys("2")  # the employer does not pay
    again.keys("3000")  # what treatment has cost them so far
    again.keys("2")  # no injury claim yet
    twiml = again.keys("1")  # confirm
    assert any("一、零、零、二" in text for text in says(twiml))  # the new case's number
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE5"
    again.answer(RecordingUrl=url, RecordingDuration="9")
    post_signed("/twilio/voice/recording?node=voicemail",
                call_form(again.sid, RecordingUrl=url, RecordingStatus="completed"))
    with get_db().begin() as s:
        first, second = s.scalars(select(Case).order_by(Case.number)).all()
        assert (first.number, first.category.value, first.people_affected) == (
            1001, "collective", 40)  # the first case as the first call left it
        assert (second.number, second.category.value, second.work_city) == (1002, "injury", "东莞")
        assert second.contact_id == first.contact_id and second.voicemail_url == url
        assert s.scalars(select(Call).where(Call.sid == again.sid)).one().case_id == second.id
        notes = [e.text for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == first.id))]
        assert any("new problem: case #1002" in n for n in notes)


def test_recorded_employer_name_is_kept_on_the_case_and_staff_can_play_it(
        app: Flask, post_signed: Any, web_world: Any, fake_twilio: Any) -> None:
    from models import AuditLog
    from tests.conftest import csrf_from, web_login

    caller = Caller(post_signed)
    caller.keys("1")
    caller.keys("1")
    caller.answer(SpeechResult="广东深圳")
    caller.keys("1")
    record = caller.silence().find("Record")  # the employer's name was not recognised
    assert record is not None
    url = fake_twilio.add_recording(0.3)
    caller.answer(RecordingUrl=url, RecordingDuration="4")
    for _ in range(2):  # Twilio's recording callback, and a duplicate of it
        post_signed(record.get("recordingStatusCallback", ""),
                    call_form(RecordingUrl=url, RecordingStatus="completed"))
    with get_db().begin() as s:
        case = s.scalars(select(Case).join(Contact).where(Contact.phone == CALLER)).one()
        number, call_id = case.number, s.scalars(select(Call)).one().id
        assert case.employer is None  # nobody typed it: the recording is the answer
        [event] = [e for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
                   if (e.data or {}).get("recording_url") == url]
        assert event.call_id == call_id and event.data["field"] == "employer"
        assert url not in event.text
    client = app.test_client()
    web_login(client, "admin")
    page = client.get(f"/staff/cases/{number}").get_data(as_text=True)
    player = f"/staff/calls/{call_id}/recording?event={event.id}"
    assert page.count(player) == 1 and "/Recordings/" not in page
    resp = client.post(player, data={"csrf_token": csrf_from(page)})
    assert resp.status_code == 200 and resp.data[:4] == b"RIFF"
    assert [r["status"] for r in fake_twilio.requests if "/Recordings/" in r["path"]] == [200]
    with get_db().begin() as s:
        assert s.scalars(select(AuditLog)).one().call_id == call_id
    # An event that is not this call's recording is not a back door to another one.
    assert client.post(f"/staff/calls/{call_id}/recording?event={event.id + 1000}",
                       data={"csrf_token": csrf_from(page)}).status_code == 404


def test_office_hours_but_nobody_free_goes_to_voicemail(app: Flask, post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    twiml = caller.keys("1")
    said = "".join(says(twiml))
    assert "志愿者都在忙" in said and "下班时间" not in said and "请按1" not in said
    assert twiml.find("Dial") is None and twiml.find("Record") is not None


def test_transfer_not_answered_leaves_a_voicemail_and_an_unassigned_case(
        app: Flask, post_signed: Any, redis_client: redis_lib.Redis) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    with get_db().begin() as s:
        s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    caller.keys("1")  # confirm
    dial = caller.keys("1").find("Dial")  # talk to a volunteer now
    assert dial is not None and dial.findtext("Number") == VOLUNTEER
    twiml = caller.answer(DialCallStatus="no-answer", DialCallDuration="0")
    assert "志愿者都在忙" in says(twiml)[0] and twiml.find("Record") is not None
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE7"
    assert caller.answer(RecordingUrl=url, RecordingDuration="20").find("Hangup") is not None
    case = the_case()
    assert (case.status, case.assigned_volunteer_id, case.voicemail_url) == (
        CaseStatus.NEW, None, url)
    assert routed(redis_client) == [("urgent", "hotline.routing.route_case", f"({case.id},)")]


@pytest.mark.parametrize("answers", [[{}, {}, {}], [{"Digits": "7"}, {"Digits": "8"}, {}]],
                         ids=["silence", "wrong keys"])
def test_transfer_offer_without_an_answer_falls_back_to_voicemail(
        app: Flask, post_signed: Any, answers: list[dict[str, str]]) -> None:
    app.config["FLOW_CLOCK"] = lambda: OFFICE_HOURS
    with get_db().begin() as s:
        s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    caller.keys("1")
    tags = []
    for fields in answers:
        twiml = caller.answer(**fields) if fields else caller.silence()
        tags.append(next(v.tag for v in twiml if v.tag in ("Gather", "Record", "Dial")))
    assert tags == ["Gather", "Gather", "Record"]  # asked twice more, then the voicemail


def test_two_identical_retries_of_a_step_have_one_effect(app: Flask, post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    caller = Caller(post_signed)
    walk_to_confirm(caller)
    twiml = caller.keys("1")
    step = caller.action()
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE8"
    answers = {ET.tostring(caller.send(step, RecordingUrl=url, RecordingDuration="9"))
               for _ in range(3)}  # the first delivery and two identical retries
    assert len(answers) == 1 and twiml.find("Record") is not None
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        notes = [e for e in s.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))
                 if "voicemail=" in e.text]
        assert len(notes) == 1 and case.voicemail_url == url
        row = s.scalars(select(FlowSession)).one()
        assert row.status == FlowStatus.DONE
        assert s.scalar(select(func.count()).select_from(FlowStep)) == row.seq
