"""The send task against the fake Twilio server through the real twilio client; status callbacks."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Contact, Direction, Message, MessageStatus, Purpose
from notifications.send import deliver
from tests.conftest import HOTLINE_NUMBER, LiveServer, wait_until

TO = "+8613900000001"


def queued_message(to: str = TO, body: str = "新案件 #1001 欠薪", contact: bool = False) -> int:
    """Insert one QUEUED outbound message (optionally for a contact) and return its id."""
    with get_db().begin() as s:
        contact_id = None
        if contact:
            c = Contact(phone=to)
            s.add(c)
            s.flush()
            contact_id = c.id
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.OFFER,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=to,
                      body=body, contact_id=contact_id)
        s.add(msg)
        s.flush()
        return msg.id


def load(message_id: int) -> Message:
    """Re-read a message."""
    with get_db().begin() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        return msg


def test_deliver_sends_once_with_callback_url(app: Flask, fake_twilio: FakeTwilio) -> None:
    mid = queued_message()
    assert deliver(mid) is None
    assert deliver(mid) is None  # a redelivered task finds it already sent
    [sent] = fake_twilio.messages
    assert (sent["to"], sent["from"], sent["body"]) == (TO, HOTLINE_NUMBER, "新案件 #1001 欠薪")
    [req] = [r for r in fake_twilio.requests if r["method"] == "POST"]
    assert req["form"]["StatusCallback"] == f"https://hotline.example.org/twilio/status?m={mid}"
    msg = load(mid)
    assert msg.status == MessageStatus.ACCEPTED and msg.provider_sid == sent["sid"]


ERROR_TABLE = [
    # (injected code, final status, contact opted out?, retried?)
    (21610, MessageStatus.FAILED, True, False),
    (21211, MessageStatus.FAILED, False, False),
    (21614, MessageStatus.FAILED, False, False),
]


@pytest.mark.parametrize("code,status,opted_out,retry", ERROR_TABLE,
                         ids=[str(c[0]) for c in ERROR_TABLE])
def test_provider_errors_map_to_states(app: Flask, fake_twilio: FakeTwilio, code: int,
                                       status: MessageStatus, opted_out: bool, retry: bool
                                       ) -> None:
    fake_twilio.fail_number(TO, code)
    mid = queued_message(contact=True)
    assert (deliver(mid) is not None) == retry
    msg = load(mid)
    assert (msg.status, msg.error_code) == (status, code)
    with get_db().begin() as s:
        assert s.scalars(select(Contact)).one().opted_out == opted_out


def test_throttled_goes_back_to_queue_with_a_delay(app: Flask, fake_twilio: FakeTwilio) -> None:
    fake_twilio.set_rate_limit(HOTLINE_NUMBER, per_second=0.01)
    first, second = queued_message(), queued_message(body="second")
    assert deliver(first) is None
    delay = deliver(second)
    assert delay is not None and 1 <= delay <= 5
    assert load(second).status == MessageStatus.QUEUED
    assert len(fake_twilio.messages) == 1


def test_server_error_is_unknown_not_resent(app: Flask, fake_twilio: FakeTwilio) -> None:
    fake_twilio.fail_next(1, status=500)
    mid = queued_message()
    assert deliver(mid) is None
    assert load(mid).status == MessageStatus.UNKNOWN
    assert deliver(mid) is None  # never blindly resent
    assert fake_twilio.messages == []


def test_connection_refused_is_retried(app: Flask) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]  # nothing listens after the socket closes
    app.extensions.pop("provider", None)
    app.config["TWILIO_API_URL"] = f"http://127.0.0.1:{dead}"
    mid = queued_message()
    assert deliver(mid) is not None
    assert load(mid).status == MessageStatus.QUEUED


def test_callbacks_advance_status_over_real_http(app: Flask, fake_twilio: FakeTwilio) -> None:
    live = LiveServer(app)
    try:
        app.config["PUBLIC_URL"] = live.url
        mid = queued_message()
        deliver(mid)
        wait_until(lambda: load(mid).status == MessageStatus.DELIVERED, timeout=10,
                   message="delivered callback")
        assert all(cb["status_code"] == 204 for cb in fake_twilio.callbacks)
    finally:
        live.stop()


CALLBACK_ORDER = [
    (["sent", "delivered"], MessageStatus.DELIVERED),
    (["delivered", "sent", "queued"], MessageStatus.DELIVERED),
    (["undelivered", "sent"], MessageStatus.UNDELIVERED),
    (["sent", "sent", "sent"], MessageStatus.SENT),
    (["failed", "delivered"], MessageStatus.FAILED),
]


@pytest.mark.parametrize("sequence,final", CALLBACK_ORDER)
def test_status_never_goes_backwards(app: Flask, post_signed: Any, sequence: list[str],
                                     final: MessageStatus) -> None:
    mid = queued_message()
    deliver(mid)
    sid = load(mid).provider_sid
    assert sid
    for status in sequence:
        form = {"MessageSid": sid, "MessageStatus": status, "AccountSid": "AC1",
                "ErrorCode": "30003" if status == "undelivered" else ""}
        assert post_signed("/twilio/status", form).status_code == 204
    assert load(mid).status == final


def test_unknown_sid_is_ignored(app: Flask, post_signed: Any) -> None:
    resp = post_signed("/twilio/status", {"MessageSid": "SMnope", "MessageStatus": "delivered"})
    assert resp.status_code == 204


def test_callback_reconciles_a_send_that_crashed_before_storing_its_sid(
        app: Flask, post_signed: Any) -> None:
    mid = queued_message()
    with get_db().begin() as s:
        msg = s.get(Message, mid)
        assert msg is not None
        msg.status = MessageStatus.SENDING  # the worker died right after calling Twilio
    resp = post_signed(f"/twilio/status?m={mid}", {"MessageSid": "SMabc", "MessageStatus": "sent"})
    assert resp.status_code == 204
    msg = load(mid)
    assert (msg.provider_sid, msg.status) == ("SMabc", MessageStatus.SENT)


def test_forged_status_callback_is_rejected(app: Flask) -> None:
    resp = app.test_client().post("/twilio/status", data={"MessageSid": "SM1",
                                                          "MessageStatus": "delivered"})
    assert resp.status_code == 403
