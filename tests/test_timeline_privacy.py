"""No full phone number reaches the case timeline, which volunteers read."""

from __future__ import annotations

from flask import Flask

from hotline.db import get_db
from hotline.phones import mask_numbers_in
from models import Direction, EventKind, Message, MessageStatus, Purpose
from notifications.fake_twilio import FakeTwilio
from notifications.send import deliver
from tests.conftest import HOTLINE_NUMBER
from tests.test_routing_support import add_case, events

WORKER = "+8613800138000"


def test_mask_numbers_in_text() -> None:
    assert mask_numbers_in("sent to +8613800138000 (1 segment(s), SMx)") == (
        "sent to +86 138****8000 (1 segment(s), SMx)")
    assert mask_numbers_in("Invalid 'To' Phone Number: +8613900000002") == (
        "Invalid 'To' Phone Number: +86 139****0002")
    assert mask_numbers_in("case #1024, ¥12000") == "case #1024, ¥12000"


def relay(case_id: int, to: str) -> int:
    """Queue a relay SMS on the case; return its id."""
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=to,
                      body="明天上午十点给您打电话", case_id=case_id)
        s.add(msg)
        s.flush()
        return msg.id


def test_sent_and_failed_notes_mask_the_number(app: Flask, fake_twilio: FakeTwilio) -> None:
    case_id, _ = add_case(WORKER)
    deliver(relay(case_id, WORKER))
    fake_twilio.fail_number("+8613900000002", 21211)
    deliver(relay(case_id, "+8613900000002"))
    texts = [e.text for e in events(case_id, EventKind.MESSAGE_OUT)]
    assert any(t.startswith("sent to +86 138****8000") for t in texts), texts
    assert any("send failed" in t for t in texts), texts
    assert not any(n in t for t in texts for n in (WORKER, "+8613900000002")), texts
