"""Lost send outcomes (UNKNOWN, no status callback) are settled with the provider by the sweeper."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from hotline.sweeper import sweep_now
from models import Case, CaseEvent, Contact, Message, MessageStatus, Purpose, utcnow
from notifications.reconcile import reconcile_messages, refresh_messages
from notifications.send import deliver
from tests.test_send import TO, load, queued_message

LATER = timedelta(minutes=6)  # past MESSAGE_RECONCILE_AFTER_SECONDS (300 s)


def unknown_message(fake: FakeTwilio, *, reached_provider: bool, purpose: Purpose = Purpose.RELAY,
                    body: str = "志愿者：请把工资条拍照发给我们", case: bool = True) -> int:
    """An outbound message whose send timed out; it reached the provider or not."""
    if not reached_provider:
        fake.fail_next(1, status=500)  # Twilio answered 500: it may or may not have acted
    mid = queued_message(body=body)
    assert deliver(mid) is None
    with get_db().begin() as s:
        msg = s.get(Message, mid)
        assert msg is not None
        msg.purpose = purpose
        if reached_provider:  # the answer was lost on the way back: no SID, outcome unknown
            msg.status, msg.provider_sid = MessageStatus.UNKNOWN, None
        if case:
            worker = s.scalar(select(Contact).where(Contact.phone == TO)) or Contact(phone=TO)
            s.add(worker)
            s.flush()
            c = Case(contact_id=worker.id)
            s.add(c)
            s.flush()
            msg.case_id = c.id
    assert load(mid).status == MessageStatus.UNKNOWN
    return mid


def test_a_message_the_provider_has_is_adopted_not_resent(app: Flask,
                                                          fake_twilio: FakeTwilio) -> None:
    mid = unknown_message(fake_twilio, reached_provider=True)
    [sent] = fake_twilio.messages
    fake_twilio.wait_for_callbacks()
    assert reconcile_messages(utcnow())["adopted"] == 0  # too fresh: the callback may come
    counts = reconcile_messages(utcnow() + LATER)
    assert counts == {"adopted": 1, "resent": 0, "dropped": 0, "unresolved": 0,
                      "settled_meanwhile": 0}
    msg = load(mid)
    assert msg.provider_sid == sent["sid"] and msg.status == MessageStatus.DELIVERED
    assert len(fake_twilio.messages) == 1
    with get_db().begin() as s:
        notes = s.scalars(select(CaseEvent.text).where(CaseEvent.case_id == msg.case_id)).all()
        assert any("confirmed by the provider" in n for n in notes)


def test_a_message_the_provider_never_got_is_sent_exactly_once_more(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    mid = unknown_message(fake_twilio, reached_provider=False)
    assert fake_twilio.messages == []
    assert reconcile_messages(utcnow() + LATER)["resent"] == 1
    assert load(mid).status == MessageStatus.QUEUED
    assert reconcile_messages(utcnow() + LATER)["resent"] == 0  # no longer UNKNOWN
    assert deliver(mid) is None and deliver(mid) is None  # the enqueued task, twice
    assert [m["body"] for m in fake_twilio.messages_to(TO)] == ["志愿者：请把工资条拍照发给我们"]
    assert load(mid).status == MessageStatus.ACCEPTED


def test_a_lost_offer_lapses_instead_of_arriving_late(app: Flask,
                                                      fake_twilio: FakeTwilio) -> None:
    mid = unknown_message(fake_twilio, reached_provider=False, purpose=Purpose.OFFER)
    assert reconcile_messages(utcnow() + LATER)["dropped"] == 1
    msg = load(mid)
    assert msg.status == MessageStatus.FAILED and msg.error_message == "never reached the provider"
    assert deliver(mid) is None and fake_twilio.messages == []


def test_identical_texts_each_claim_their_own_send(app: Flask, fake_twilio: FakeTwilio) -> None:
    # Two identical relays to one worker, both outcomes lost, only one reached Twilio.
    first = unknown_message(fake_twilio, reached_provider=True, body="明天上午10点来中心")
    second = unknown_message(fake_twilio, reached_provider=False, body="明天上午10点来中心")
    counts = reconcile_messages(utcnow() + LATER)
    assert (counts["adopted"], counts["resent"]) == (1, 1)
    assert load(first).provider_sid == fake_twilio.messages[0]["sid"]
    deliver(second)
    assert len(fake_twilio.messages_to(TO)) == 2
    assert load(first).provider_sid != load(second).provider_sid


def test_a_failed_lookup_leaves_it_unknown_and_asks_later(app: Flask,
                                                          fake_twilio: FakeTwilio) -> None:
    mid = unknown_message(fake_twilio, reached_provider=False, case=False)
    fake_twilio.fail_next(1, status=503)  # the lookup itself fails
    now = utcnow() + LATER
    assert reconcile_messages(now)["unresolved"] == 1
    assert load(mid).status == MessageStatus.UNKNOWN
    assert reconcile_messages(now)["unresolved"] == 0  # not asked again on the next sweep
    assert reconcile_messages(now + LATER)["resent"] == 1


def test_the_sweeper_runs_the_reconciliation(app: Flask, fake_twilio: FakeTwilio) -> None:
    mid = unknown_message(fake_twilio, reached_provider=True)
    app.config["MESSAGE_RECONCILE_AFTER_SECONDS"] = 0.0
    assert sweep_now()["reconcile_adopted"] == 1
    assert load(mid).provider_sid == fake_twilio.messages[0]["sid"]


def test_lost_callbacks_of_an_offer_are_fetched_later(app: Flask,
                                                      fake_twilio: FakeTwilio) -> None:
    fake_twilio.callbacks_enabled = False  # our webhook was down while Twilio reported
    fake_twilio.fail_number("+8613900000009", 30003)
    ok, lost = queued_message(), queued_message(to="+8613900000009")
    assert deliver(ok) is None and deliver(lost) is None
    assert fake_twilio.wait_for_callbacks()
    assert refresh_messages(utcnow()) == 0  # too early: callbacks may still come
    assert (load(ok).status, load(lost).status) == (MessageStatus.ACCEPTED,) * 2
    app.config["OUTCOME_REFRESH_SECONDS"] = 0.0
    assert refresh_messages(utcnow()) == 2
    assert load(ok).status == MessageStatus.DELIVERED
    assert (load(lost).status, load(lost).error_code) == (MessageStatus.UNDELIVERED, 30003)
    assert refresh_messages(utcnow()) == 0  # settled: never asked again
    assert len([r for r in fake_twilio.requests if r["method"] == "GET"]) == 2
