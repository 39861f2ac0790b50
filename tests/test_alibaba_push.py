"""Alibaba's pushes to the hotline: /alibaba/<secret>/report (SmsReport) and /up (SmsUp).

A wrong secret is refused with nothing written; a push that is not Alibaba's JSON array is
refused whole; a repeated push changes nothing; a reply enters the same front door as a Twilio
text and what the hotline answers goes out as a message of its own; R opts out only as the
answer to a promotional text, TD and 退订 always."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from devtools.fake_alibaba.server import FakeAlibaba
from hotline.infra.db import get_db
from models import (
    Campaign,
    CampaignStatus,
    Case,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RecipientStatus,
    WebhookReceipt,
    utcnow,
)
from notifications.send import deliver
from tests.alibaba_support import fake_alibaba  # noqa: F401
from tests.test_alibaba_provider import (  # noqa: F401
    PUSH_SECRET,
    WORKER,
    ali_app,
    message,
    queued,
)

SEQUENCE = iter(range(500000000, 600000000))


def up_item(content: str, phone: str = "13800138000", **extra: Any) -> dict[str, Any]:
    """One SmsUp item as Alibaba pushes it."""
    return {"phone_number": phone, "send_time": "2026-12-03 21:15:07", "content": content,
            "sign_name": "工友热线", "dest_code": "1234", "sequence_id": next(SEQUENCE),
            **extra}


def report_item(biz_id: str, out_id: str = "", success: bool = True,
                err_code: str = "DELIVERED") -> dict[str, Any]:
    """One SmsReport item as Alibaba pushes it."""
    return {"phone_number": "13800138000", "send_time": "2026-12-03 21:15:07",
            "report_time": "2026-12-03 21:15:09", "success": success, "err_code": err_code,
            "err_msg": "用户接收成功" if success else "失败", "sms_size": "1", "biz_id": biz_id,
            "out_id": out_id}


def post(client: FlaskClient, kind: str, payload: Any, secret: str = PUSH_SECRET) -> Any:
    """POST a push the way Alibaba does (JSON body, UTF-8)."""
    data = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False
                                                                 ).encode()
    return client.post(f"/alibaba/{secret}/{kind}", data=data,
                       content_type="application/json;charset=utf-8")


def counts() -> dict[str, int]:
    """Rows the pushes could have written."""
    with get_db().begin() as s:
        return {name: int(s.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in (("messages", Message), ("receipts", WebhookReceipt),
                                    ("cases", Case), ("contacts", Contact))}


def outbound_replies() -> list[Message]:
    """The answers queued to be texted back."""
    with get_db().begin() as s:
        return list(s.scalars(select(Message).where(
            Message.direction == Direction.OUTBOUND, Message.purpose == Purpose.REPLY)))


@pytest.mark.parametrize("secret", ["wrong-secret", PUSH_SECRET[:-1], PUSH_SECRET + "x", "-"])
def test_forged_push_is_refused_and_writes_nothing(ali_app: Flask, secret: str) -> None:
    client = ali_app.test_client()
    before = counts()
    assert post(client, "up", [up_item("我需要帮助")], secret).status_code == 403
    assert post(client, "report", [report_item("1234^0")], secret).status_code == 403
    assert counts() == before


def test_no_configured_secret_refuses_every_push(ali_app: Flask) -> None:
    ali_app.config["ALIBABA_PUSH_SECRET"] = None
    client = ali_app.test_client()
    assert post(client, "up", [up_item("我需要帮助")], "None").status_code == 403
    assert post(client, "up", [up_item("我需要帮助")], "").status_code in (403, 404, 405)
    assert counts()["messages"] == 0


@pytest.mark.parametrize(("kind", "payload"), [
    ("up", b"not json"),
    ("up", b"\xff\xfe"),
    ("up", {"phone_number": "13800138000", "content": "hi"}),  # an object, not an array
    ("up", [1, 2]),
    ("up", [{"phone_number": "13800138000"}]),  # no content
    ("up", [up_item("好的"), {"content": "no number"}]),  # one bad item spoils the push
    ("up", [up_item("hi", phone="13800138000; DROP TABLE")]),
    ("report", [{"biz_id": "1^0"}]),  # no success
    ("report", [{"success": True}]),  # no biz_id
    ("report", [report_item("1^0") | {"success": "maybe"}]),
])
def test_malformed_push_is_refused_whole(ali_app: Flask, kind: str, payload: Any) -> None:
    before = counts()
    assert post(ali_app.test_client(), kind, payload).status_code == 400
    assert counts() == before


def test_reply_enters_the_front_door_and_the_answer_is_texted_back(ali_app: Flask) -> None:
    resp = post(ali_app.test_client(), "up", [up_item("老板拖欠我三个月工资，不给钱")])
    assert resp.status_code == 200 and resp.get_json() == {"code": 0, "msg": "成功"}
    with get_db().begin() as s:
        inbound = s.scalars(select(Message).where(Message.direction == Direction.INBOUND)).one()
        assert inbound.from_number == WORKER and inbound.body == "老板拖欠我三个月工资，不给钱"
        case = s.scalars(select(Case)).one()
        assert inbound.case_id == case.id
        contact = s.get(Contact, case.contact_id)
        assert contact is not None and contact.phone == WORKER
    [answer] = outbound_replies()
    assert answer.to_number == WORKER and answer.status == MessageStatus.QUEUED
    assert answer.body == inbound.reply_body and answer.case_id == case.id
    assert answer.contact_id == case.contact_id


def test_repeated_pushes_change_nothing(ali_app: Flask, fake_alibaba: FakeAlibaba
                                        ) -> None:
    client = ali_app.test_client()
    push = [up_item("老板拖欠我三个月工资，不给钱"), up_item("我在深圳", phone="13900001111")]
    assert post(client, "up", push).status_code == 200
    after_first = counts()
    assert post(client, "up", push).status_code == 200  # Alibaba pushes again
    assert counts() == after_first
    assert len(outbound_replies()) == 2

    mid = queued("您的案件#1024已受理，志愿者会尽快联系您。")
    deliver(mid)
    [sent] = fake_alibaba.sent
    report = [report_item(sent["biz_id"], sent["out_id"])]
    assert post(client, "report", report).status_code == 200
    receipts = counts()["receipts"]
    assert post(client, "report", report).status_code == 200
    assert counts()["receipts"] == receipts and message(mid).status == MessageStatus.DELIVERED


def test_failed_report_says_the_carrier_code(ali_app: Flask, fake_alibaba: FakeAlibaba
                                             ) -> None:
    mid = queued("您的案件#1024已受理，志愿者会尽快联系您。")
    deliver(mid)
    [sent] = fake_alibaba.sent
    resp = post(ali_app.test_client(), "report",
                [report_item(sent["biz_id"], sent["out_id"], success=False, err_code="MK:0001")])
    assert resp.status_code == 200
    row = message(mid)
    assert row.status == MessageStatus.FAILED
    assert row.error_message == "not delivered (Alibaba MK:0001)"
    # A late "delivered" for the same text never moves it back (the one state machine).
    post(ali_app.test_client(), "report", [report_item(sent["biz_id"], sent["out_id"])])
    assert message(mid).status == MessageStatus.FAILED


def test_report_finds_a_send_whose_answer_was_lost_by_its_out_id(ali_app: Flask) -> None:
    mid = queued("您的案件#1024已受理，志愿者会尽快联系您。")
    with get_db().begin() as s:
        row = s.get(Message, mid)
        assert row is not None
        row.advance(MessageStatus.SENDING)
        row.advance(MessageStatus.UNKNOWN, error_message="timed out")
    client = ali_app.test_client()
    # A report naming another row's id with an unknown BizId must not take over a settled row.
    assert post(client, "report", [report_item("77^0", f"m{mid}")]).status_code == 200
    row = message(mid)
    assert row.status == MessageStatus.DELIVERED and row.provider_sid == "77^0"
    other = queued("您的案件#1025已受理，志愿者会尽快联系您。")
    with get_db().begin() as s:
        s.get(Message, other).provider_sid = "88^0"  # type: ignore[union-attr]
    post(client, "report", [report_item("99^0", f"m{other}", success=False)])
    assert message(other).provider_sid == "88^0"
    assert message(other).status == MessageStatus.QUEUED


def opted_out(phone: str = WORKER) -> bool:
    """Whether the contact with this number is opted out."""
    with get_db().begin() as s:
        contact = s.scalar(select(Contact).where(Contact.phone == phone))
        return contact is not None and contact.opted_out_at is not None


def sent_before(body: str) -> None:
    """A text the hotline sent this worker earlier."""
    with get_db().begin() as s:
        contact = Contact(phone=WORKER, name="工友")
        s.add(contact)
        s.flush()
        s.add(Message(direction=Direction.OUTBOUND, purpose=Purpose.CAMPAIGN,
                      status=MessageStatus.DELIVERED, from_number="+8610086000000",
                      to_number=WORKER, body=body, contact_id=contact.id))


@pytest.mark.parametrize(("earlier", "reply", "opts_out"), [
    ("【工友热线】欠薪维权讲座本周六下午在服务站举行 拒收请回复R", "R", True),
    ("【工友热线】欠薪维权讲座本周六下午在服务站举行 拒收请回复R", "r", True),
    ("【工友热线】欠薪维权讲座本周六下午在服务站举行 拒收请回复R", "回复R", True),
    ("您的案件#1024已受理，志愿者会尽快联系您。", "R", False),  # a notification offers no R
    ("您的案件#1024已受理，志愿者会尽快联系您。", "TD", True),
    ("您的案件#1024已受理，志愿者会尽快联系您。", "退订", True),
    ("【工友热线】欠薪维权讲座本周六下午在服务站举行 拒收请回复R", "R是什么意思", False),
])
def test_opt_out_words_follow_the_text_answered(ali_app: Flask, earlier: str, reply: str,
                                                opts_out: bool) -> None:
    sent_before(earlier)
    assert post(ali_app.test_client(), "up", [up_item(reply)]).status_code == 200
    assert opted_out() == opts_out


def test_r_answering_a_promotional_campaign_opts_out_and_counts_for_it(ali_app: Flask) -> None:
    with get_db().begin() as s:
        contact = Contact(phone=WORKER, name="工友")
        s.add(contact)
        s.flush()
        # An older case text, then the campaign: the campaign is what R answers.
        s.add(Message(direction=Direction.OUTBOUND, purpose=Purpose.REPLY,
                      status=MessageStatus.DELIVERED, from_number="+8610086000000",
                      to_number=WORKER, body="您的案件#1024已受理，志愿者会尽快联系您。",
                      contact_id=contact.id, created_at=utcnow() - timedelta(days=2)))
        campaign = Campaign(name="法律咨询日", sender="+8610086000000", status=CampaignStatus.DONE,
                            signature="工友热线", footer=False)
        s.add(campaign)
        s.flush()
        s.add(Recipient(campaign_id=campaign.id, contact_id=contact.id, phone=WORKER,
                        language="zh", timezone="Asia/Shanghai",
                        status=RecipientStatus.DELIVERED, sent_at=utcnow(),
                        body="【工友热线】工友，本周六下午服务站有免费劳动法咨询。拒收请回复R"))
    assert post(ali_app.test_client(), "up", [up_item("R")]).status_code == 200
    assert opted_out()
    with get_db().begin() as s:  # the campaign's report counts it as an opt-out it caused
        assert s.scalar(select(Recipient.opted_out_at)) is not None


def test_a_push_repeated_after_a_crash_queues_the_lost_answer_once(ali_app: Flask) -> None:
    client = ali_app.test_client()
    push = [up_item("老板拖欠我三个月工资，不给钱")]
    assert post(client, "up", push).status_code == 200
    # The process died after recording the text and before queueing its answer: Alibaba,
    # unanswered, pushes the same item again.
    with get_db().begin() as s:
        for row in s.scalars(select(Message).where(Message.direction == Direction.OUTBOUND)):
            s.delete(row)
    assert post(client, "up", push).status_code == 200
    assert post(client, "up", push).status_code == 200
    [answer] = outbound_replies()
    assert answer.to_number == WORKER
    assert counts()["cases"] == 1
