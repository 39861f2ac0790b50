"""The one opt-out rule: every way a worker writes "stop texting me" opts them out, on the
inbound webhook and in the send-time check; a sentence that merely holds the word does not;
a carrier opt-out (21610) reported in a status callback opts the contact out too.

The inbound phrasings run on Twilio and on Alibaba Cloud SMS (tests/provider_support.py); the
21610 tests stay on Twilio: 21610 is Twilio's own error code for a number that replied STOP to
the carrier, reported in Twilio's status callback (Alibaba reports no such code)."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.optout import is_opt_out, texted_since_opt_out
from hotline.sms_commands import WorkerKeyword, parse_keyword
from models import (
    Campaign,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RecipientStatus,
    utcnow,
)
from tests.conftest import ACCOUNT_SID, HOTLINE_NUMBER
from tests.provider_support import World, fake_alibaba, on_provider  # noqa: F401

OPT_OUT = [
    "TD", "td", "ｔｄ", "ＴＤ", " TD ", "TD.", "退订", "退订。", "退订！", "【退订】", "“退订”",
    "「退订」", "退订，", "退订~", "请退订", "请帮我退订", "麻烦退订", "我要退订", "退订谢谢",
    "退订，谢谢！", "退订了", "TD退订", "td退订", "回复TD退订", "回复 TD 退订", "【回复TD退订】",
    "退订TD", "STOP", "stop", "Stop please", "Stop?", "STOP.", "STOP!!!", "please stop",
    "Stop, thanks", "ＳＴＯＰ", "Unsubscribe", "unsubscribe please", "cancel", "END", "quit",
    "stopall", "Stop all", "opt out", "取消订阅", "停止", "停止发送", "不要再发了", "不要再发了！",
    "别再发了", "请不要再发了", "不要再发短信了", "别发了谢谢", "TD 🙏", "🙏退订🙏", "退订 ",
    "退订\n", "\u3000退订\u3000", "(退订)", "[TD]",
    "别再给我发短信了", "不想收到短信", "不想收到短信了，谢谢", "不要再发信息了", "stop sending",
    "Stop texting me please", "no more messages", "DON'T TEXT ME", "Do not text me.",
    "T", "t", "T D", "退定", "推订", "请勿打扰", "勿扰", "拉黑", "不想再收到", "删除我的号码",
    "以后不要发短信给我", "烦死了别发了", "你们别再打扰我了",
]
NOT_OPT_OUT = [
    "老板不退订金", "退订单怎么办", "退订金什么时候给", "我不想退订", "不要退订", "别退订",
    "stop paying me", "Stop paying me please", "my boss stopped paying", "when will it end",
    "end of the month", "the job ended", "cancel my contract?", "I quit my job",
    "老板拖欠我三个月工资", "停止施工了工资怎么办", "工厂停止发工资", "退订了吗",
    "怎么退订", "TD公司欠薪", "不要再发工资了老板说", "老板说不要再发了工资", "START",
    "订阅", "HELP", "查询 1001", "1", "Y 1001", "stopped", "stopwatch", "TDK", "谢谢",
    "收到，谢谢", "好的", "退", "订", "",
    "我不想收到短信，但是工资还没拿到", "stop sending me my wages", "老板不想收到短信",
    "不要", "不需要", "T恤", "TT", "老板拉黑了我", "老板把我拉黑了",
]


@pytest.mark.parametrize("text", OPT_OUT)
def test_these_opt_out(text: str) -> None:
    assert is_opt_out(text), repr(text)
    parsed = parse_keyword(text)
    assert parsed is not None and parsed.keyword == WorkerKeyword.STOP, repr(text)


@pytest.mark.parametrize("text", NOT_OPT_OUT)
def test_these_do_not(text: str) -> None:
    assert not is_opt_out(text), repr(text)
    parsed = parse_keyword(text)
    assert parsed is None or parsed.keyword != WorkerKeyword.STOP, repr(text)


def opted_out(phone: str) -> bool:
    """Whether the contact with this number is opted out now."""
    with get_db().begin() as s:
        contact = s.scalar(select(Contact).where(Contact.phone == phone))
        return contact is not None and contact.opted_out_at is not None


INBOUND = ["【退订】", "“退订”", "退订，", "请退订", "退订谢谢", "TD退订", "回复TD退订",
           "Stop please", "Stop?", "STOP.", "ｔｄ", "退订。", "不要再发了"]


def test_inbound_phrasings_opt_out_and_sentences_do_not(on_provider: World) -> None:
    for i, text in enumerate(INBOUND):
        phone = f"+86138000{i:05d}"
        on_provider.text(phone, text)
        assert opted_out(phone), text
    for i, text in enumerate(["老板不退订金", "退订单怎么办", "stop paying me"]):
        phone = f"+86139000{i:05d}"
        on_provider.text(phone, text)
        assert not opted_out(phone), text


def test_send_time_check_reads_texts_with_the_same_rule(app: Flask) -> None:
    """A worker who only sent opt-outs since (in any phrasing) gets no case messages."""
    with get_db().begin() as s:
        contact = Contact(phone="+8613700000001", opted_out_at=utcnow())
        s.add(contact)
        s.flush()
        for body in ("【退订】", "请退订", "Stop please"):
            s.add(Message(direction=Direction.INBOUND, purpose=Purpose.INTAKE,
                          status=MessageStatus.RECEIVED, from_number=contact.phone,
                          to_number=HOTLINE_NUMBER, body=body, contact_id=contact.id))
        s.flush()
        assert not texted_since_opt_out(s, contact)
        s.add(Message(direction=Direction.INBOUND, purpose=Purpose.INTAKE,
                      status=MessageStatus.RECEIVED, from_number=contact.phone,
                      to_number=HOTLINE_NUMBER, body="老板不退订金", contact_id=contact.id))
        s.flush()
        assert texted_since_opt_out(s, contact)


def test_status_callback_21610_opts_the_contact_out(
        app: Flask, post_signed: Callable[..., Any]) -> None:
    sid = "SM" + "7" * 32
    with get_db().begin() as s:
        contact = Contact(phone="+8613600000001")
        s.add(contact)
        s.flush()
        s.add(Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.ACCEPTED, from_number=HOTLINE_NUMBER,
                      to_number=contact.phone, body="您好", contact_id=contact.id,
                      provider_sid=sid))
    response = post_signed("/twilio/status", {
        "MessageSid": sid, "MessageStatus": "failed", "ErrorCode": "21610",
        "AccountSid": ACCOUNT_SID})
    assert response.status_code == 204
    assert opted_out("+8613600000001")


def test_campaign_status_callback_21610_opts_the_contact_out(
        app: Flask, post_signed: Callable[..., Any]) -> None:
    sid = "SM" + "8" * 32
    with get_db().begin() as s:
        contact, other = Contact(phone="+8613600000002"), Contact(phone="+8613600000003")
        campaign = Campaign(name="c", sender=HOTLINE_NUMBER)
        s.add_all([contact, other, campaign])
        s.flush()
        row = Recipient(campaign_id=campaign.id, contact_id=contact.id, phone=contact.phone,
                        language="zh", timezone="Asia/Shanghai",
                        status=RecipientStatus.ACCEPTED, provider_sid=sid)
        s.add(row)
        s.flush()
        rid = row.id
    form = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "21610",
            "AccountSid": ACCOUNT_SID}
    assert post_signed(f"/twilio/status/campaign?r={rid}", form).status_code == 204
    assert opted_out("+8613600000002")
    assert not opted_out("+8613600000003")
    # Another error code opts nobody out.
    with get_db().begin() as s:
        s.scalars(select(Contact).where(Contact.phone == "+8613600000002")).one(
        ).opted_out_at = None
    form["ErrorCode"] = "30003"
    post_signed(f"/twilio/status/campaign?r={rid}", form)
    assert not opted_out("+8613600000002")
