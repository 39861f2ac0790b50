"""The token bucket inside the send path: partial grants reschedule the chunk, long texts take
more tokens, ordinary sends (replies, offers) debit the same bucket without waiting, and a
Messaging Service sender has its own. Through the real twilio client and the fake Twilio."""

from __future__ import annotations

import pytest
from flask import Flask

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Campaign, Direction, Message, MessageStatus, Purpose
from notifications.campaigns import control as control
from notifications.campaigns.tasks import bucket_for, run_chunk, start
from notifications.send import deliver
from notifications.throttle import app_redis, sender_bucket
from tests.conftest import HOTLINE_NUMBER
from tests.test_campaign_send import R, add_contacts, new_campaign, phone, recipients

SLOW = 0.01  # tokens per second: nothing refills while a test runs
MG_SENDER = "MG" + "0" * 31 + "1"
LONG_ZH = "工友您好：" + "本周六上午九点在社区中心举办劳动合同与工伤维权培训，欢迎参加。" * 3


@pytest.fixture(autouse=True)
def no_callbacks(fake_twilio: FakeTwilio) -> None:
    """PUBLIC_URL is not reachable from here; callbacks have their own tests."""
    fake_twilio.callbacks_enabled = False


def slow_sender(app: Flask, burst_tokens: float) -> None:
    """Every sender: SLOW tokens/s with a bucket of `burst_tokens` segments."""
    app.config["CAMPAIGN_RATE_PER_SECOND"] = SLOW
    app.config["CAMPAIGN_BURST_SECONDS"] = burst_tokens / SLOW


def started(text: str = "{name}您好，周六培训", **opts: object) -> int:
    """A campaign at the configured rate, started (recipients written), no chunk run yet."""
    cid = new_campaign(text, rate_per_second=None, **opts)
    control.request_start(cid)
    start.run(cid)
    return cid


def reply(body: str, to: str = "+8613900000001") -> int:
    """Queue and deliver one ordinary (non-campaign) text from the hotline number."""
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.REPLY,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=to,
                      body=body)
        s.add(msg)
        s.flush()
        message_id = msg.id
    assert deliver(message_id) is None  # sent at once: never waits for the bucket
    with get_db().begin() as s:
        sent = s.get_one(Message, message_id)
        assert sent.status == MessageStatus.ACCEPTED
        return int(sent.segments or 0)


def statuses(campaign_id: int) -> list[R]:
    """Recipient statuses by id."""
    return [r.status for r in recipients(campaign_id)]


def test_partial_grant_sends_what_fits_and_reschedules(app: Flask,
                                                       fake_twilio: FakeTwilio) -> None:
    slow_sender(app, burst_tokens=3)
    add_contacts(5)
    cid = started()
    again = run_chunk(cid)
    # 3 tokens: 3 of 5 go; the chunk asks to run again when the next token is due (1/SLOW s).
    assert again is not None and 90 < again <= 1 / SLOW
    assert statuses(cid).count(R.ACCEPTED) == 3 and statuses(cid).count(R.PENDING) == 2
    assert len(fake_twilio.messages) == 3
    assert run_chunk(cid) == pytest.approx(again, abs=5)  # still nothing: waits, sends none
    assert len(fake_twilio.messages) == 3
    with get_db().begin() as s:  # time passes: the bucket has refilled
        bucket_for(s.get_one(Campaign, cid)).reset(app_redis())
    while run_chunk(cid) is not None:
        pass
    assert statuses(cid) == [R.ACCEPTED] * 5
    assert sorted(m["to"] for m in fake_twilio.messages) == sorted(phone(i) for i in range(5))


def test_long_texts_take_a_token_per_segment(app: Flask, fake_twilio: FakeTwilio) -> None:
    slow_sender(app, burst_tokens=5)
    add_contacts(3)
    cid = started(LONG_ZH)
    assert run_chunk(cid) is not None
    rows = recipients(cid)
    # Each text is 2 segments (UCS-2, over 70 characters): 5 tokens pay for two of them.
    assert [r.status for r in rows] == [R.ACCEPTED, R.ACCEPTED, R.PENDING]
    assert [r.segments for r in rows[:2]] == [2, 2]
    assert {m["num_segments"] for m in fake_twilio.messages} == {"2"}


def test_a_reply_takes_its_segments_from_the_campaigns_bucket(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    slow_sender(app, burst_tokens=10)
    add_contacts(10)
    cid = started()
    assert reply(LONG_ZH) == 2  # a worker's two-segment answer goes first, at once
    run_chunk(cid)
    assert statuses(cid).count(R.ACCEPTED) == 8  # 10 tokens - 2 for the reply
    # The bucket is empty now, yet a reply still goes at once; the campaign waits longer.
    assert reply("收到，我们会尽快联系您。") == 1
    assert sender_bucket(HOTLINE_NUMBER).take([1]).count == 0
    assert statuses(cid).count(R.ACCEPTED) == 8
    assert len(fake_twilio.messages) == 10


def test_messaging_service_sender_has_its_own_bucket(app: Flask, fake_twilio: FakeTwilio
                                                     ) -> None:
    slow_sender(app, burst_tokens=4)
    add_contacts(6)
    cid = started(sender=MG_SENDER)
    reply("回复不占用消息服务的额度")  # the hotline number's bucket, not the pool's
    assert run_chunk(cid) is not None
    assert statuses(cid).count(R.ACCEPTED) == 4
    posts = [r["form"] for r in fake_twilio.requests if r["method"] == "POST"
             and r["form"].get("To", "").startswith("+86138")]
    assert len(posts) == 4
    assert all(f["MessagingServiceSid"] == MG_SENDER and "From" not in f for f in posts)
    assert {m["messaging_service_sid"] for m in fake_twilio.messages
            if m["to"].startswith("+86138")} == {MG_SENDER}
    with get_db().begin() as s:
        bucket_for(s.get_one(Campaign, cid)).reset(app_redis())
    while run_chunk(cid) is not None:
        pass
    assert statuses(cid) == [R.ACCEPTED] * 6
