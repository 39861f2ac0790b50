"""Texts stored by the webhook and read by a worker (hotline.arrivals), the production default.

The webhook writes the receipt and the text (ARRIVED) in one commit, enqueues its reading into
real Redis and answers Twilio with an empty TwiML response; reading it (here in-process, as the
intake worker runs it; tests/test_e2e.py with a real Celery worker) opens or continues the
case and texts the answer back through the fake Twilio server. A sender's texts are read in
the order they came whichever task runs first; a retry stores nothing twice; a lost task is
found by the sweeper; with Redis down the webhook reads the text itself and answers in TwiML.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import func, select, update

from devtools.embedded_redis import EmbeddedRedis
from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.arrivals import claim_unread, read_arrived_now
from hotline.infra.db import get_db
from hotline.infra.queues import INTAKE, broker_keys
from hotline.sweeper import sweep_now
from models import (
    Case,
    Direction,
    FlowSession,
    Message,
    MessageStatus,
    Purpose,
    WebhookReceipt,
)
from notifications.send import deliver
from tests.conftest import AUTH_TOKEN, PUBLIC_URL, app_config, sms_form, statements
from tests.test_e2e import free_port
from tests.test_relay_bridge import WORKER as CASE_WORKER
from tests.test_relay_bridge import assigned_case

WORKER = "+8613800138000"


@pytest.fixture
def queued(db_url: str, fake_twilio: FakeTwilio, redis_client: redis_lib.Redis,
           tmp_path: Path) -> Iterator[Flask]:
    """The hotline as deployed: texts read by a worker, not inside the webhook."""
    redis_client.flushdb()
    application = create_app(app_config(db_url, fake_twilio.base_url, SMS_READ_IN_WEBHOOK=""),
                             instance_path=str(tmp_path / "instance"))
    assert application.config["SMS_READ_IN_WEBHOOK"] is False
    with application.app_context():
        yield application
    application.extensions["db"].engine.dispose()


def post(app: Flask, body: str, sender: str = WORKER, **form: str) -> Any:
    """One signed inbound-SMS webhook."""
    from twilio.request_validator import RequestValidator

    data = sms_form(sender, body, **form)
    headers = {"X-Twilio-Signature": RequestValidator(AUTH_TOKEN).compute_signature(
        PUBLIC_URL + "/twilio/sms", data)}
    if token := form.get("token"):
        headers["I-Twilio-Idempotency-Token"] = token
    return app.test_client().post("/twilio/sms", data=data, headers=headers)


def said(resp: Any) -> list[str]:
    """The texts of a TwiML answer."""
    assert resp.status_code == 200, resp.data
    return [m.text or "" for m in ET.fromstring(resp.data).findall("Message")]


def stored(sid: str | None = None) -> list[Message]:
    """Inbound messages (the one with `sid`), oldest first."""
    with get_db().begin() as s:
        query = select(Message).where(Message.direction == Direction.INBOUND)
        if sid is not None:
            query = query.where(Message.provider_sid == sid)
        rows = list(s.scalars(query.order_by(Message.id)))
        s.expunge_all()
        return rows


def answers_sent(fake: FakeTwilio, to: str = WORKER) -> list[str]:
    """Send every queued answer through the fake Twilio; the texts `to` got, in order."""
    with get_db().begin() as s:
        ids = list(s.scalars(select(Message.id).where(
            Message.purpose == Purpose.REPLY, Message.status == MessageStatus.QUEUED)
            .order_by(Message.id)))
    for mid in ids:
        deliver(mid)
    return [m["body"] for m in fake.messages_to(to)]


def waiting(client: redis_lib.Redis) -> int:
    """Tasks waiting on the intake queue in Redis."""
    lengths: list[int] = [client.llen(key) for key in broker_keys(INTAKE)]  # type: ignore[misc]
    return sum(lengths)


def count(model: Any) -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_first_text_is_kept_then_read_and_answered_by_sms(queued: Flask,
                                                          fake_twilio: FakeTwilio,
                                                          redis_client: redis_lib.Redis) -> None:
    resp = post(queued, "【求助】老板拖欠我三个月工资，一万二😭")
    assert said(resp) == []  # nothing in the response: the answer comes as a text
    [msg] = stored()
    assert (msg.status, msg.case_id, msg.contact_id, msg.reply_body) == (
        MessageStatus.ARRIVED, None, None, None)
    assert msg.body == "【求助】老板拖欠我三个月工资，一万二😭" and msg.from_number == WORKER
    assert count(Case) == 0
    # Its reading waits in Redis, on the intake queue.
    assert waiting(redis_client) == 1

    result = read_arrived_now(msg.id)
    assert result is not None and result.opened_case
    [msg] = stored()
    assert msg.status == MessageStatus.RECEIVED and msg.case_id == result.case_id
    assert msg.contact_id is not None and msg.reply_body
    [answer] = answers_sent(fake_twilio)
    assert answer == msg.reply_body and f"案件编号{result.case_number}" in answer
    assert read_arrived_now(msg.id) is None  # read once: a second task does nothing
    assert answers_sent(fake_twilio) == [answer] and count(Case) == 1


def test_a_senders_texts_are_read_in_the_order_they_came(queued: Flask,
                                                        fake_twilio: FakeTwilio) -> None:
    for body in ("我需要帮助", "1", "广东深圳"):
        assert said(post(queued, body)) == []
    first, second, third = stored()
    # The third text's task ran first: the two before it are read before it.
    read_arrived_now(third.id)
    assert all(m.status == MessageStatus.RECEIVED for m in stored())
    assert read_arrived_now(first.id) is None and read_arrived_now(second.id) is None
    got = answers_sent(fake_twilio)
    assert len(got) == 3
    assert "案件编号" in got[0] and "哪个省市" in got[1]  # asked the category, then the place
    with get_db().begin() as s:
        flow = s.scalars(select(FlowSession)).one()
        assert flow.answers["category"] == "wages" and "深圳" in str(flow.answers)


def test_texts_of_two_senders_do_not_wait_on_each_other(queued: Flask,
                                                       fake_twilio: FakeTwilio) -> None:
    other = "+8613900000077"
    post(queued, "工地上摔伤了，老板不管")
    post(queued, "老板欠我工资", sender=other)
    mine, theirs = stored()
    result = read_arrived_now(theirs.id)
    assert result is not None and result.opened_case
    assert stored()[0].status == MessageStatus.ARRIVED  # not read for someone else's task
    assert answers_sent(fake_twilio, to=other)


def test_a_retry_or_a_second_copy_is_stored_once(queued: Flask, fake_twilio: FakeTwilio) -> None:
    first = post(queued, "老板欠我工资", sid="SM" + "1" * 32, token="retry-token-1")
    again = post(queued, "老板欠我工资", sid="SM" + "1" * 32, token="retry-token-1")
    copy = post(queued, "老板欠我工资", sid="SM" + "1" * 32, token="another-token")
    recut = post(queued, "老板欠我工资", sid="SM" + "2" * 32, token="retry-token-1")
    assert said(first) == said(again) == said(copy) == said(recut) == []
    [msg] = stored()
    assert count(WebhookReceipt) == 1
    read_arrived_now(msg.id)
    assert len(answers_sent(fake_twilio)) == 1 and count(Case) == 1


def test_a_text_on_an_assigned_case_reaches_its_volunteer(queued: Flask,
                                                          fake_twilio: FakeTwilio) -> None:
    case_id, number, _vid, vphone = assigned_case()
    post(queued, "老板今天又来找我了", sender=CASE_WORKER)
    [msg] = stored()
    read_arrived_now(msg.id)
    with get_db().begin() as s:
        forward = s.scalars(select(Message).where(Message.purpose == Purpose.RELAY,
                                                  Message.to_number == vphone)).one()
        assert forward.body == f"#{number}工友：老板今天又来找我了"
        assert s.get(Message, msg.id).case_id == case_id  # type: ignore[union-attr]


def test_a_volunteers_answer_is_read_and_answered_by_sms(queued: Flask,
                                                         fake_twilio: FakeTwilio) -> None:
    _case_id, number, _vid, vphone = assigned_case()
    post(queued, f"R{number} 明天上午给您打电话", sender=vphone)
    [msg] = stored()
    read_arrived_now(msg.id)
    assert any("已转告" in text for text in answers_sent(fake_twilio, to=vphone))
    with get_db().begin() as s:
        row = s.get(Message, msg.id)
        assert row is not None and row.volunteer_id is not None and row.contact_id is None


def test_a_sender_that_is_no_number_is_kept_and_not_answered(queued: Flask,
                                                            fake_twilio: FakeTwilio) -> None:
    post(queued, "hello", sender="not-a-number")
    [msg] = stored()
    read_arrived_now(msg.id)
    [msg] = stored()
    assert msg.status == MessageStatus.RECEIVED and msg.error_message
    assert answers_sent(fake_twilio, to="not-a-number") == [] and count(Case) == 0


def test_a_lost_task_is_found_by_the_sweeper(queued: Flask, fake_twilio: FakeTwilio,
                                             redis_client: redis_lib.Redis) -> None:
    post(queued, "老板拖欠工资两个月了")
    redis_client.flushdb()  # the task is lost (a worker died with it, Redis restarted)
    [msg] = stored()
    assert claim_unread() == []  # within the grace period: its task may still come
    with get_db().begin() as s:  # its task is an hour late
        s.execute(update(Message).where(Message.id == msg.id).values(
            updated_at=msg.updated_at - timedelta(hours=1)))
    assert sweep_now()["texts_unread"] == 1
    assert waiting(redis_client) >= 1
    assert sweep_now()["texts_unread"] == 0  # claimed: not enqueued again at once
    read_arrived_now(msg.id)
    assert stored()[0].status == MessageStatus.RECEIVED and len(answers_sent(fake_twilio)) == 1


def test_a_reading_that_fails_loses_nothing(queued: Flask, fake_twilio: FakeTwilio,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    post(queued, "老板欠我一万二")
    [msg] = stored()

    def broken(*_args: Any) -> Any:
        raise RuntimeError("a bug in reading")

    monkeypatch.setattr("hotline.arrivals.read_sms", broken)
    with pytest.raises(RuntimeError):
        read_arrived_now(msg.id)
    assert stored()[0].status == MessageStatus.ARRIVED and count(Case) == 0  # still there
    monkeypatch.undo()
    read_arrived_now(msg.id)  # the sweeper's next try
    assert stored()[0].status == MessageStatus.RECEIVED and count(Case) == 1


def test_with_redis_down_the_webhook_reads_the_text_and_answers_in_twiml(
        db_url: str, fake_twilio: FakeTwilio, redis_client: redis_lib.Redis,
        tmp_path: Path) -> None:
    broker = EmbeddedRedis(tmp_path / "redis", port=free_port())  # never started
    app = create_app(app_config(db_url, fake_twilio.base_url, REDIS_URL=broker.url),
                     instance_path=str(tmp_path / "inst"))
    with app.app_context():
        [reply] = said(post(app, "老板拖欠我三个月工资"))
        assert "案件编号" in reply
        [msg] = stored()
        assert msg.status == MessageStatus.RECEIVED and msg.reply_body == reply
        assert count(Case) == 1
        # Nothing is texted besides the answer in the response.
        with get_db().begin() as s:
            assert s.scalar(select(func.count()).where(Message.purpose == Purpose.REPLY)) == 0
    app.extensions["db"].engine.dispose()


def test_the_webhook_is_one_write(queued: Flask) -> None:
    database = get_db().engine.dialect.name
    post(queued, "warm-up")  # statement caches and the first connection
    with statements(queued) as seen:
        resp = post(queued, "老板拖欠我三个月工资", token="statements-token")
    assert said(resp) == []
    # PostgreSQL: the receipt and the text in one autocommit statement; SQLite: BEGIN
    # IMMEDIATE, the receipt, the text.
    assert len(seen) == (1 if database == "postgresql" else 3), seen


def test_staff_see_texts_left_unread(app: Flask, web_world: Any, post_signed: Any) -> None:
    """Readers stopped: the dashboard says how many texts wait and for how long, naming
    nobody (who wrote is not known before a text is read)."""
    from tests.conftest import web_login

    app.config["SMS_READ_IN_WEBHOOK"] = False  # as deployed, with no worker running
    client = app.test_client()
    web_login(client, "staff_b")
    post_signed("/twilio/sms", sms_form(WORKER, "老板欠我三个月工资"))
    page = client.get("/staff/").get_data(as_text=True)
    assert "还没人读" not in page  # just arrived: its task may still come
    [msg] = stored()
    with get_db().begin() as s:  # twenty minutes later
        s.execute(update(Message).where(Message.id == msg.id).values(
            created_at=msg.created_at - timedelta(minutes=20, seconds=30)))
    page = client.get("/staff/").get_data(as_text=True)
    assert "有1条短信还没人读" in page and "已经等了20分钟" in page
    assert "老板欠我" not in page and WORKER[3:] not in page
    read_arrived_now(msg.id)
    assert "还没人读" not in client.get("/staff/").get_data(as_text=True)


def test_a_text_the_database_refuses_is_an_error_not_a_copy(queued: Flask) -> None:
    """Only the same MessageSid stored already is a copy to answer quietly: a write refused
    for anything else fails the webhook (Twilio sees 500), never looks like success."""
    from sqlalchemy import text
    from sqlalchemy.exc import IntegrityError

    with get_db().engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE messages ADD CONSTRAINT arrivals_fault CHECK "
                              "(body NOT LIKE '%故障%') NOT VALID"))
        else:
            conn.execute(text("CREATE TRIGGER arrivals_fault BEFORE INSERT ON messages "
                              "WHEN NEW.body LIKE '%故障%' BEGIN "
                              "SELECT RAISE(ABORT, 'arrivals_fault'); END"))
    try:
        with pytest.raises(IntegrityError):
            post(queued, "车间故障，手指断了")
        assert stored() == []
    finally:
        with get_db().engine.begin() as conn:
            conn.execute(text("ALTER TABLE messages DROP CONSTRAINT arrivals_fault"
                              if conn.dialect.name == "postgresql"
                              else "DROP TRIGGER arrivals_fault"))


def test_reading_costs_what_reading_in_the_webhook_did_plus_the_lookup(queued: Flask) -> None:
    """The worker's transaction: the sender's oldest unread text found and locked (one SELECT),
    then the same statements as a text read in its webhook (tests/test_sms_statements.py),
    the answer's INSERT going in with the rest at commit."""
    database = get_db().engine.dialect.name
    post(queued, "warm-up")
    read_arrived_now(stored()[-1].id)
    post(queued, "老板拖欠我三个月工资", sender="+8613700000099")
    text_id = stored()[-1].id
    with statements(queued) as seen:
        result = read_arrived_now(text_id)
    assert result is not None and result.opened_case
    assert len(seen) <= BOUNDS[database], seen


# A first text read by the worker, per database (SQLite counts its BEGIN). Read in the webhook
# it is 10 / 11 (tests/test_sms_statements.py): the receipt's INSERT, which gave the clock there,
# is the locked SELECT here (it brings the clock), and the text is written by an UPDATE of the
# stored row plus the answer's INSERT where the webhook wrote one INSERT.
BOUNDS = {"postgresql": 11, "sqlite": 12}
