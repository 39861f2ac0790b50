"""Replies to a campaign arrive as ordinary inbound SMS: sign-ups are counted, not opened as cases;
a worker in the middle of the intake who answers "1" is answering the intake."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from hotline.db import get_db
from models import Campaign, Case, Contact
from notifications.campaign_report import report
from notifications.fake_twilio import FakeTwilio
from tests.conftest import sms_form
from tests.test_campaign_send import add_contacts, new_campaign, phone, run


def reply_of(resp: Any) -> str:
    """The single <Message> text of a TwiML answer."""
    return ET.fromstring(resp.data).findtext("Message") or ""


def cases() -> int:
    """How many cases exist."""
    with get_db().begin() as s:
        return s.scalar(select(func.count()).select_from(Case)) or 0


def test_signup_reply_is_counted_not_opened_as_a_case(app: Flask, post_signed: Any,
                                                     fake_twilio: FakeTwilio) -> None:
    fake_twilio.callbacks_enabled = False
    add_contacts(2)
    cid = new_campaign()
    run(cid)
    assert reply_of(post_signed("/twilio/sms", sms_form(phone(0), "1"))) == "已报名，谢谢！"
    assert cases() == 0
    with get_db().begin() as s:
        campaign = s.get(Campaign, cid)
        assert campaign is not None and report(s, campaign)["signups"] == 1
    # Anything else from a recipient is intake as usual.
    assert "案件编号" in reply_of(post_signed("/twilio/sms", sms_form(phone(1), "老板欠我工资")))
    assert cases() == 1


def test_worker_mid_intake_answering_1_is_answering_the_intake(
        app: Flask, post_signed: Any, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callbacks_enabled = False
    add_contacts(1)
    run(new_campaign())
    post_signed("/twilio/sms", sms_form(phone(0), "老板拖欠工资"))  # starts the intake
    answer = reply_of(post_signed("/twilio/sms", sms_form(phone(0), "1")))  # category: wages
    assert "已报名" not in answer
    with get_db().begin() as s:
        case = s.scalars(select(Case)).one()
        assert case.category == "wages"
        assert s.scalars(select(Contact)).one().phone == phone(0)
