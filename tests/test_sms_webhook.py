"""Inbound SMS webhook: signatures, one transaction, replays, bad input. Runs on SQLite and PG.

What the hotline does with a text (a case in one transaction, the answer in the worker's
language, replays, a second text, a text after the case closed) runs on Twilio and on Alibaba
Cloud SMS (tests/provider_support.py). The rest is Twilio's webhook itself and stays on Twilio:
its X-Twilio-Signature, TwiML as the answer, its form fields (MessageSid, NumMedia, MMS media
URLs) and their malformed values; Alibaba's push has its own tests (test_alibaba_push.py)."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.infra.db import get_db
from models import Case, CaseEvent, CaseStatus, Contact, Direction, EventKind, Message
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, sms_form
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401


def counts() -> dict[str, int]:
    """Rows per table that a webhook can write."""
    with get_db().begin() as s:
        return {name: s.scalar(select(func.count()).select_from(model)) or 0
                for name, model in [("contacts", Contact), ("cases", Case),
                                    ("messages", Message), ("events", CaseEvent)]}


def replies(resp: Any) -> list[str]:
    """The <Message> texts in a TwiML response, parsed as XML."""
    root = ET.fromstring(resp.data)
    assert root.tag == "Response"
    return [m.text or "" for m in root.findall("Message")]


SIGNATURE_CASES: list[tuple[str, str, dict[str, str], str, int]] = [
    # (name, how to sign, extra headers, path, expected status)
    ("valid", "public", {}, "/twilio/sms", 200),
    ("wrong token", "wrong-token", {}, "/twilio/sms", 403),
    ("missing header", "none", {}, "/twilio/sms", 403),
    ("signed for another URL", "other-url", {}, "/twilio/sms", 403),
    ("query string signed", "public", {}, "/twilio/sms?lang=zh&x=%E5%B7%A5", 200),
    ("query string dropped from signature", "public-no-query", {}, "/twilio/sms?lang=zh", 403),
    ("body tampered after signing", "tampered", {}, "/twilio/sms", 403),
]


@pytest.mark.parametrize("name,how,headers,path,status", SIGNATURE_CASES,
                         ids=[c[0] for c in SIGNATURE_CASES])
def test_signature_table(app: Flask, name: str, how: str, headers: dict[str, str], path: str,
                         status: int) -> None:
    form = sms_form("+8613800138000", "老板拖欠工资")
    url = PUBLIC_URL + path
    signed_form = dict(form)
    if how == "wrong-token":
        sig = RequestValidator("not-the-token").compute_signature(url, form)
    elif how == "other-url":
        sig = RequestValidator(AUTH_TOKEN).compute_signature("https://evil.example/twilio/sms",
                                                             form)
    elif how == "public-no-query":
        sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms", form)
    elif how == "tampered":
        sig = RequestValidator(AUTH_TOKEN).compute_signature(url, form)
        form["Body"] = "changed"
    else:
        sig = RequestValidator(AUTH_TOKEN).compute_signature(url, signed_form)
    hdrs = dict(headers)
    if how != "none":
        hdrs["X-Twilio-Signature"] = sig
    before = counts()
    resp = app.test_client().post(path, data=form, headers=hdrs)
    assert resp.status_code == status, name
    if status == 403:
        assert counts() == before, "a rejected webhook must write nothing"
    else:
        assert counts()["messages"] == before["messages"] + 1


def test_signature_behind_proxy_uses_public_url(app: Flask) -> None:
    """Behind a proxy the app sees http://internal:8000 but Twilio signed the public https URL."""
    form = sms_form("+8613800138000", "hello")
    good = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + "/twilio/sms", form)
    internal = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://internal:8000/twilio/sms", form)
    client = app.test_client()
    kw: dict[str, Any] = {"base_url": "http://internal:8000"}
    assert client.post("/twilio/sms", data=form, headers={"X-Twilio-Signature": good},
                       **kw).status_code == 200
    form2 = sms_form("+8613800138000", "hello again")
    internal = RequestValidator(AUTH_TOKEN).compute_signature(
        "http://internal:8000/twilio/sms", form2)
    assert client.post("/twilio/sms", data=form2, headers={"X-Twilio-Signature": internal},
                       **kw).status_code == 403


def test_without_public_url_the_request_url_is_signed(db_url: str, fake_twilio: Any,
                                                      tmp_path: Any) -> None:
    from hotline import create_app
    from tests.conftest import app_config

    app = create_app(app_config(db_url, fake_twilio.base_url, PUBLIC_URL=None),
                     instance_path=str(tmp_path))
    form = sms_form("+8613800138000", "hi")
    sig = RequestValidator(AUTH_TOKEN).compute_signature("http://localhost/twilio/sms", form)
    assert app.test_client().post("/twilio/sms", data=form,
                                  headers={"X-Twilio-Signature": sig}).status_code == 200
    app.extensions["db"].engine.dispose()


def inbound_count() -> int:
    """Texts the hotline received (on Alibaba its answers are outbound rows of their own)."""
    with get_db().begin() as s:
        return s.scalar(select(func.count()).select_from(Message).where(
            Message.direction == Direction.INBOUND)) or 0


def test_new_case_in_one_transaction_with_reply_in_chinese(on_provider: World) -> None:
    [reply] = on_provider.text("13800138000", "老板拖欠我三个月工资")
    assert "案件编号1001" in reply
    with get_db().begin() as s:
        contact = s.scalars(select(Contact)).one()
        assert contact.phone == "+8613800138000"  # normalised to E.164
        case = s.scalars(select(Case)).one()
        assert (case.number, case.status, case.contact_id) == (1001, CaseStatus.NEW, contact.id)
        assert case.summary == "老板拖欠我三个月工资"
        msg = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one()
        assert (msg.case_id, msg.contact_id, msg.segments, msg.encoding) == (
            case.id, contact.id, 1, "UCS-2")
        kinds = [e.kind for e in s.scalars(case.events.select())]
    # the NOTE: what the first text already said (category, months), kept as intake answers
    answered = [EventKind.STATUS, EventKind.MESSAGE_IN, EventKind.NOTE, EventKind.REPLY]
    # The answer goes as a text of its own on both carriers (read by a worker after the
    # Twilio webhook; Alibaba cannot answer inline), its send noted on the timeline.
    assert kinds == [*answered, EventKind.MESSAGE_OUT]


def test_new_case_reply_is_twiml(app: Flask, post_signed: Any) -> None:
    """Twilio: the answer is the webhook's own TwiML response."""
    resp = post_signed("/twilio/sms", sms_form("13800138000", "老板拖欠我三个月工资"))
    assert resp.status_code == 200 and resp.mimetype == "text/xml"
    [reply] = replies(resp)
    assert "案件编号1001" in reply
    # A number as Twilio may write it is the same worker (Alibaba always pushes 11 digits).
    [again] = replies(post_signed("/twilio/sms", sms_form("+86 138-0013-8000", "1")))
    assert "省市" in again
    assert counts()["messages"] == 2 and counts()["contacts"] == counts()["cases"] == 1


def test_english_text_gets_english_reply(on_provider: World) -> None:
    [reply] = on_provider.text("+8613800138001", "My boss owes me")
    assert reply.startswith("Hotline:") and "1001" in reply


def test_replay_three_times_one_message_one_case_same_answer(on_provider: World) -> None:
    answers = [on_provider.text("+8613800138000", "工资没发", key=99) for _ in range(3)]
    # Twilio answers each replay with the same TwiML; Alibaba queues its answer once.
    assert len({a for got in answers for a in got}) == 1 and answers[0], answers
    assert inbound_count() == 1 and counts()["cases"] == 1


def test_second_text_continues_open_case(on_provider: World) -> None:
    on_provider.text("+8613800138000", "工资没发")
    # While the intake conversation runs, a text answers its waiting question
    # (category: "1" = 欠薪) and the next question follows; still one case, two messages.
    [reply] = on_provider.text("+8613800138000", "1")
    assert "省市" in reply
    assert counts()["cases"] == 1 and inbound_count() == 2
    with get_db().begin() as s:
        assert s.scalars(select(Case)).one().category == "wages"


def test_closed_case_then_new_text_opens_new_case(on_provider: World) -> None:
    on_provider.text("+8613800138000", "工资没发")
    with get_db().begin() as s:
        s.scalars(select(Case)).one().move_to(CaseStatus.CLOSED)
    [reply] = on_provider.text("+8613800138000", "又欠薪了")
    assert "1002" in reply


BAD_INPUT = [
    ("malformed From is stored, no case, no reply", {"From": "not-a-number"}, 200, 0, 1),
    ("alphanumeric sender", {"From": "TWILIO"}, 200, 0, 1),
    ("missing MessageSid", {"MessageSid": "", "SmsSid": ""}, 400, 0, 0),
    ("missing From", {"From": ""}, 400, 0, 0),
    ("empty body opens no case (staff inbox)", {"Body": ""}, 200, 0, 1),
    ("5,000-character body kept whole", {"Body": "欠" * 5000}, 200, 1, 1),
    ("control characters and NUL", {"Body": "a\x00b\x01c\x1b[31m"}, 200, 1, 1),
    ("HTML and SQL", {"Body": "<script>alert(1)</script>'; DROP TABLE cases;--"}, 200, 1, 1),
    ("MMS with media only", {"Body": "", "NumMedia": "2",
                             "MediaUrl0": "https://api.twilio.com/m/1.jpg",
                             "MediaUrl1": "https://api.twilio.com/m/2.jpg"}, 200, 1, 1),
    ("bad NumMedia", {"NumMedia": "lots"}, 200, 1, 1),
]


@pytest.mark.parametrize("name,fields,status,cases,messages", BAD_INPUT,
                         ids=[c[0] for c in BAD_INPUT])
def test_bad_input_table(app: Flask, post_signed: Any, name: str, fields: dict[str, str],
                         status: int, cases: int, messages: int) -> None:
    form = sms_form("+8613800138000", "工资", **fields)
    form = {k: v for k, v in form.items() if v != "" or k == "Body"}
    resp = post_signed("/twilio/sms", form)
    assert resp.status_code == status, resp.data
    assert counts()["cases"] == cases and counts()["messages"] == messages
    if status == 200:
        ET.fromstring(resp.data)  # always well-formed TwiML
    if messages:
        with get_db().begin() as s:
            msg = s.scalars(select(Message)).one()
            body = fields.get("Body", "工资")
            assert msg.body == body.replace("\x00", "")
            if "MediaUrl0" in fields:
                assert msg.media_urls == [fields["MediaUrl0"], fields["MediaUrl1"]]


def test_oversized_request_is_refused_not_crashed(app: Flask, post_signed: Any) -> None:
    resp = post_signed("/twilio/sms", sms_form("+8613800138000", "x" * 2_000_000))
    assert resp.status_code == 413
    assert counts()["messages"] == 0
