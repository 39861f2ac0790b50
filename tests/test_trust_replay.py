"""A captured webhook cannot be processed twice: re-cut forms (keys glued onto neighbouring
values, which Twilio's signature cannot tell apart) are refused, and a delivery seen before
under its I-Twilio-Idempotency-Token is answered as the first was, writing nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from hotline.infra.db import get_db
from models import (
    Campaign,
    Case,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RecipientStatus,
    WebhookReceipt,
)
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, PUBLIC_URL, sms_form

WORKER = "+8613800138000"


def counts() -> tuple[int, int, int]:
    """(messages, cases, receipts)."""
    with get_db().begin() as s:
        return (s.scalar(select(func.count()).select_from(Message)) or 0,
                s.scalar(select(func.count()).select_from(Case)) or 0,
                s.scalar(select(func.count()).select_from(WebhookReceipt)) or 0)


def signature(path: str, form: dict[str, str]) -> str:
    """What Twilio signs for this form."""
    return str(RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form))


def recuts(form: dict[str, str]) -> list[dict[str, str]]:
    """Forms that sign exactly like `form` (sorted keys and values run together)."""
    sid = form["MessageSid"]
    rest = {k: v for k, v in form.items() if k not in ("MessageSid", "SmsSid", "To", "From",
                                                       "NumMedia")}
    return [
        # MessageSid glued onto From; SmsSid swallows To: the old fallback saw a new SmsSid.
        {**rest, "From": form["From"] + "MessageSid" + sid, "NumMedia": form["NumMedia"],
         "SmsSid": sid + "To" + form["To"]},
        # NumMedia glued into MessageSid.
        {**rest, "From": form["From"], "MessageSid": sid + "NumMedia" + form["NumMedia"],
         "SmsSid": sid, "To": form["To"]},
        # Everything from MessageSid to To in one value.
        {**rest, "From": form["From"], "MessageSid": sid + "NumMedia" + form["NumMedia"]
         + "SmsSid" + sid + "To" + form["To"]},
        # MessageSid kept, SmsSid swallows To.
        {**rest, "From": form["From"], "MessageSid": sid, "NumMedia": form["NumMedia"],
         "SmsSid": sid + "To" + form["To"]},
    ]


def test_recut_forms_still_verify_but_are_refused(
        app: Flask, post_signed: Callable[..., Any]) -> None:
    form = sms_form(WORKER, "老板拖欠我三个月工资")
    original = signature("/twilio/sms", form)
    assert post_signed("/twilio/sms", form).status_code == 200
    before = counts()
    client = app.test_client()
    for cut in recuts(form):
        assert signature("/twilio/sms", cut) == original, cut  # the signature cannot tell
        response = client.post("/twilio/sms", data=cut,
                               headers={"X-Twilio-Signature": original})
        assert response.status_code in (200, 400), cut
        assert counts() == before, cut


def test_a_retry_with_the_same_token_answers_as_the_first_and_writes_nothing(
        app: Flask, post_signed: Callable[..., Any]) -> None:
    form = sms_form(WORKER, "老板拖欠我三个月工资")
    headers = {"I-Twilio-Idempotency-Token": "tok-" + form["MessageSid"]}
    first = post_signed("/twilio/sms", form, headers=headers)
    assert first.status_code == 200
    after_first = counts()
    assert after_first[2] == 1
    again = post_signed("/twilio/sms", form, headers=headers)
    assert again.get_data() == first.get_data()
    assert counts() == after_first
    # The same delivery token on a form naming another MessageSid: nothing written.
    other = sms_form(WORKER, "老板拖欠我三个月工资")
    replay = post_signed("/twilio/sms", other, headers=headers)
    assert replay.status_code == 200
    assert counts() == after_first
    # A new delivery (new token) is processed.
    fresh = post_signed("/twilio/sms", other, headers={"I-Twilio-Idempotency-Token": "tok-2"})
    assert fresh.status_code == 200
    assert counts()[0] > after_first[0]


def test_a_stored_text_under_a_new_token_answers_as_the_first_and_writes_nothing(
        app: Flask, post_signed: Callable[..., Any]) -> None:
    """A fresh token is not looked up by MessageSid first: the unique SID refuses the copy
    and the answer comes from the text already stored (on both databases)."""
    form = sms_form(WORKER, "工地上摔伤了，老板不给看病")
    first = post_signed("/twilio/sms", form, headers={"I-Twilio-Idempotency-Token": "tok-a"})
    assert first.status_code == 200
    after_first = counts()
    for token in ("tok-b", None):
        headers = {"I-Twilio-Idempotency-Token": token} if token else {}
        again = post_signed("/twilio/sms", form, headers=headers)
        assert again.status_code == 200
        assert again.get_data() == first.get_data()
        assert counts() == after_first


@pytest.mark.parametrize("header", ["", " ", "x" * 200, "tok\x7f"])
def test_odd_tokens_are_ignored_not_trusted(app: Flask, post_signed: Callable[..., Any],
                                            header: str) -> None:
    form = sms_form(WORKER, "工资没发")
    assert post_signed("/twilio/sms", form,
                       headers={"I-Twilio-Idempotency-Token": header}).status_code == 200
    assert counts()[2] == 0


def test_status_callbacks_by_message_sid_alone_and_token(
        app: Flask, post_signed: Callable[..., Any]) -> None:
    sid = "SM" + "4" * 32
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.OFFER,
                      status=MessageStatus.ACCEPTED, from_number=HOTLINE_NUMBER,
                      to_number="+8613900000001", body="offer", provider_sid=sid)
        s.add(msg)
        s.flush()
        msg_id = msg.id

    def status() -> MessageStatus:
        with get_db().begin() as s:
            return s.get_one(Message, msg_id).status

    # No MessageSid: the legacy SmsSid names nothing.
    post_signed("/twilio/status", {"SmsSid": sid, "MessageStatus": "delivered",
                                   "AccountSid": ACCOUNT_SID})
    assert status() == MessageStatus.ACCEPTED
    token = {"I-Twilio-Idempotency-Token": "status-tok-1"}
    form = {"MessageSid": sid, "MessageStatus": "sent", "AccountSid": ACCOUNT_SID}
    assert post_signed("/twilio/status", form, headers=token).status_code == 204
    assert status() == MessageStatus.SENT
    replay = {**form, "MessageStatus": "delivered"}
    assert post_signed("/twilio/status", replay, headers=token).status_code == 204
    assert status() == MessageStatus.SENT  # the token was spent on the first delivery


def test_campaign_callbacks_by_token(app: Flask, post_signed: Callable[..., Any]) -> None:
    sid = "SM" + "5" * 32
    with get_db().begin() as s:
        contact, campaign = Contact(phone="+8613600000009"), Campaign(name="c", sender="+86")
        s.add_all([contact, campaign])
        s.flush()
        row = Recipient(campaign_id=campaign.id, contact_id=contact.id, phone=contact.phone,
                        language="zh", timezone="Asia/Shanghai",
                        status=RecipientStatus.ACCEPTED, provider_sid=sid)
        s.add(row)
        s.flush()
        rid = row.id
    path = f"/twilio/status/campaign?r={rid}"
    token = {"I-Twilio-Idempotency-Token": "camp-tok-1"}
    post_signed(path, {"SmsSid": sid, "MessageStatus": "delivered"})
    post_signed(path, {"MessageSid": sid, "MessageStatus": "sent"}, headers=token)
    post_signed(path, {"MessageSid": sid, "MessageStatus": "delivered"}, headers=token)
    with get_db().begin() as s:
        assert s.get_one(Recipient, rid).status == RecipientStatus.SENT
