"""Consent on record: every path that gives or withdraws consent writes a ConsentEvent and keeps
contacts.consent_at/consent_source current — a worker's first text, 订阅/START as people write
it, STOP/退订, the carrier's 21610 at send time and in status callbacks — on SQLite and
PostgreSQL. Evidence describes how, never the worker's words or number.

What a worker's texts give or withdraw runs on Twilio and on Alibaba Cloud SMS
(tests/provider_support.py); the 21610 tests stay on Twilio: 21610 is Twilio's error code for a
number that opted out at the carrier, in its send answer and its status callbacks."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from devtools.fake_twilio import FakeTwilio
from hotline.consent import (
    CARRIER_OPT_OUT,
    GIVEN,
    OPTED_OUT_BY_TEXT,
    SUBSCRIBED_BY_TEXT,
    TEXTED_HOTLINE,
    WITHDRAWN,
)
from hotline.infra.db import get_db
from hotline.optout import OPT_IN_CORES
from hotline.sms_commands import WorkerKeyword, parse_keyword
from models import (
    Campaign,
    ConsentEvent,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RecipientStatus,
)
from notifications.send import deliver
from tests.conftest import ACCOUNT_SID, HOTLINE_NUMBER
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401

START = [
    "订阅", "订阅。", "订阅！", "【订阅】", "“订阅”", "订阅 ", "我要订阅", "我想订阅", "请帮我订阅",
    "回复订阅", "订阅谢谢", "订阅，谢谢", "恢复订阅", "请恢复订阅", "重新订阅", "我要重新订阅",
    "重新订阅短信", "继续订阅", "恢复接收短信", "START", "start", "Start.", "Start please",
    "please start", "ＳＴＡＲＴ", "unstop", "Subscribe", "resubscribe",
]
NOT_START = [
    "我没有订阅", "怎么订阅", "订阅号", "订阅了吗", "不要订阅", "我订阅了你们的公众号怎么找工作",
    "start work at 8", "老板说要订阅工资", "开始", "START 1001", "订", "",
]


@pytest.mark.parametrize("text", START)
def test_these_ask_to_be_texted_again(text: str) -> None:
    parsed = parse_keyword(text)
    assert parsed is not None and parsed.keyword == WorkerKeyword.START, repr(text)
    assert parsed.word in OPT_IN_CORES  # the evidence is the command word, not the whole text


@pytest.mark.parametrize("text", NOT_START)
def test_these_do_not(text: str) -> None:
    parsed = parse_keyword(text)
    assert parsed is None or parsed.keyword != WorkerKeyword.START, repr(text)


def test_取消订阅_is_still_an_opt_out() -> None:
    parsed = parse_keyword("取消订阅")
    assert parsed is not None and parsed.keyword == WorkerKeyword.STOP


def state(phone: str) -> tuple[Contact, list[ConsentEvent]]:
    """The contact with this number and its consent events, oldest first."""
    with get_db().begin() as s:
        contact = s.scalars(select(Contact).where(Contact.phone == phone)).one()
        events = list(s.scalars(select(ConsentEvent).where(
            ConsentEvent.contact_id == contact.id).order_by(ConsentEvent.id)))
        return contact, events


def steps(events: list[ConsentEvent]) -> list[tuple[str, str, str | None]]:
    """(action, source, evidence) of each event."""
    return [(e.action, e.source, e.evidence) for e in events]


def test_first_text_is_implied_consent_once(on_provider: World) -> None:
    phone = "+8613800138123"
    words = "老板拖欠我三个月工资，一共一万二"
    on_provider.text(phone, words)
    contact, events = state(phone)
    assert contact.consent_at is not None and contact.consent_source == TEXTED_HOTLINE
    assert steps(events) == [(GIVEN, TEXTED_HOTLINE, "first text to the hotline")]
    for more in ("广东深圳", "谢谢", "HELP"):  # later texts add nothing
        on_provider.text(phone, more)
    contact, again = state(phone)
    assert [e.id for e in again] == [events[0].id] and contact.consent_source == TEXTED_HOTLINE
    for event in again:  # evidence never holds the worker's words or number
        assert "拖欠" not in (event.evidence or "") and "138" not in (event.evidence or "")


def test_stop_withdraws_and_only_the_worker_lifts_it(on_provider: World) -> None:
    phone = "+8613800138124"
    on_provider.text(phone, "我想咨询一下工伤")
    on_provider.text(phone, "回复TD退订")
    contact, events = state(phone)
    assert contact.opted_out and contact.consent_at is None and contact.consent_source is None
    assert steps(events)[1:] == [(WITHDRAWN, OPTED_OUT_BY_TEXT, "replied TD")]
    # Writing about their case again is not asking for bulk SMS again; a second STOP is no news.
    on_provider.text(phone, "老板还是不给钱怎么办")
    on_provider.text(phone, "退订")
    contact, events = state(phone)
    assert contact.opted_out and contact.consent_at is None and len(events) == 2
    on_provider.text(phone, "我要重新订阅")
    contact, events = state(phone)
    assert not contact.opted_out and contact.consent_source == SUBSCRIBED_BY_TEXT
    assert steps(events)[2:] == [(GIVEN, SUBSCRIBED_BY_TEXT, "replied 重新订阅")]


def test_a_first_text_of_stop_or_订阅_is_no_implied_consent(on_provider: World) -> None:
    on_provider.text("+8613800138125", "【退订】")
    contact, events = state("+8613800138125")
    assert contact.opted_out and steps(events) == [(WITHDRAWN, OPTED_OUT_BY_TEXT, "replied 退订")]
    on_provider.text("+8613800138126", "Start please")
    contact, events = state("+8613800138126")
    assert steps(events) == [(GIVEN, SUBSCRIBED_BY_TEXT, "replied START")]
    assert contact.consent_source == SUBSCRIBED_BY_TEXT


def consenting_contact(phone: str) -> int:
    """A contact who signed up with explicit consent (as an import records it)."""
    from hotline.consent import give

    with get_db().begin() as s:
        contact = Contact(phone=phone)
        s.add(contact)
        s.flush()
        give(s, contact, "2026年春节返乡登记表，本人勾选同意", "imported from a.csv, row 2")
        return contact.id


def test_status_callback_21610_withdraws_once(app: Flask,
                                              post_signed: Callable[..., Any]) -> None:
    phone, sid = "+8613600000011", "SM" + "5" * 32
    contact_id = consenting_contact(phone)
    with get_db().begin() as s:
        s.add(Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.ACCEPTED, from_number=HOTLINE_NUMBER, to_number=phone,
                      body="您好", contact_id=contact_id, provider_sid=sid))
    form = {"MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21610",
            "AccountSid": ACCOUNT_SID}
    for _ in range(2):  # Twilio may send it twice (a retry): one withdrawal on record
        assert post_signed("/twilio/status", form).status_code == 204
    contact, events = state(phone)
    assert contact.opted_out and contact.consent_at is None
    assert steps(events)[1:] == [(WITHDRAWN, CARRIER_OPT_OUT, "status callback")]


def test_campaign_status_callback_21610_withdraws(app: Flask,
                                                  post_signed: Callable[..., Any]) -> None:
    sid = "SM" + "6" * 32
    contact_id = consenting_contact("+8613600000012")
    other_id = consenting_contact("+8613600000013")
    with get_db().begin() as s:
        campaign = Campaign(name="培训", sender=HOTLINE_NUMBER)
        s.add(campaign)
        s.flush()
        row = Recipient(campaign_id=campaign.id, contact_id=contact_id, phone="+8613600000012",
                        language="zh", timezone="Asia/Shanghai",
                        status=RecipientStatus.ACCEPTED, provider_sid=sid)
        s.add(row)
        s.flush()
        rid = row.id
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "21610",
            "AccountSid": ACCOUNT_SID}
    for _ in range(2):
        assert post_signed(f"/twilio/status/campaign?r={rid}", form).status_code == 204
    contact, events = state("+8613600000012")
    assert contact.opted_out and contact.consent_at is None
    assert steps(events)[1:] == [(WITHDRAWN, CARRIER_OPT_OUT, "campaign status callback")]
    with get_db().begin() as s:
        other = s.get(Contact, other_id)
        assert other is not None and other.consent_at is not None and not other.opted_out


def test_send_time_21610_withdraws(app: Flask, fake_twilio: FakeTwilio) -> None:
    phone = "+8613900000021"
    contact_id = consenting_contact(phone)
    fake_twilio.fail_number(phone, 21610)
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=phone,
                      body="志愿者回复：明天去仲裁委", contact_id=contact_id)
        s.add(msg)
        s.flush()
        mid = msg.id
    deliver(mid)
    contact, events = state(phone)
    assert contact.opted_out and contact.consent_at is None
    assert steps(events)[1:] == [(WITHDRAWN, CARRIER_OPT_OUT, f"message {mid} refused")]


def test_campaign_send_time_21610_withdraws(app: Flask, fake_twilio: FakeTwilio) -> None:
    from notifications.campaigns import control as control
    from notifications.campaigns.audience import Audience
    from notifications.campaigns.compose import CampaignSpec, create_campaign
    from notifications.campaigns.tasks import run_chunk, start

    fake_twilio.callbacks_enabled = False
    refused, fine = "+8613900000031", "+8613900000032"
    consenting_contact(refused)
    consenting_contact(fine)
    fake_twilio.fail_number(refused, 21610)
    spec = CampaignSpec(name="通知", variants={"zh": "春节期间热线照常接听"},
                        audience=Audience(require_consent=True), quiet_hours="00:00-00:00",
                        rate_per_second=1000.0)
    with get_db().begin() as s:
        cid = create_campaign(s, spec).id
    control.request_start(cid)
    start.run(cid)
    for _ in range(20):
        if run_chunk(cid) is None:
            break
    contact, events = state(refused)
    assert contact.opted_out and contact.consent_at is None
    assert steps(events)[1:] == [(WITHDRAWN, CARRIER_OPT_OUT, "campaign send refused")]
    assert state(fine)[0].consent_at is not None
    assert [m["to"] for m in fake_twilio.messages] == [fine]
