"""Campaign sending, chunk by chunk in the test process, through the real twilio client to the
fake Twilio server, on SQLite and PostgreSQL, with the real Redis token bucket."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import (
    Campaign,
    CampaignKind,
    CampaignStatus,
    Case,
    CaseStatus,
    Contact,
    ContactTag,
    Recipient,
    RecipientStatus,
    utcnow,
)
from notifications.campaigns import control as control
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignNotReady, CampaignSpec, create_campaign
from notifications.campaigns.replies import handle_campaign_reply, note_campaign_opt_out
from notifications.campaigns.report import progress, report
from notifications.campaigns.tasks import run_chunk, start
from tests.conftest import HOTLINE_NUMBER

R = RecipientStatus


@pytest.fixture(autouse=True)
def no_callbacks(fake_twilio: FakeTwilio) -> None:
    """PUBLIC_URL is not reachable from here; callbacks have their own tests."""
    fake_twilio.callbacks_enabled = False


def phone(i: int) -> str:
    """The i-th test mobile number."""
    return f"+86138{i:08d}"


def add_contacts(n: int, **fields: Any) -> list[int]:
    """n contacts tagged 'training', with names."""
    with get_db().begin() as s:
        contacts = [Contact(phone=phone(i), name=f"工友{i}", **fields) for i in range(n)]
        s.add_all(contacts)
        s.flush()
        s.add_all(ContactTag(contact_id=c.id, tag="training") for c in contacts)
        return [c.id for c in contacts]


def new_campaign(text: str = "{name}您好，周六有维权培训，回复1报名", **opts: Any) -> int:
    """A draft campaign to everyone tagged 'training', sent fast (no quiet hours)."""
    opts.setdefault("quiet_hours", "00:00-00:00")
    opts.setdefault("rate_per_second", 1000.0)
    spec = CampaignSpec(name="培训", variants={"zh": text, "en": "Hi {name|friend}, training"},
                        audience=Audience(tags=["training"]), signature="工友热线",
                        rsvp_keywords=["1"], **opts)
    with get_db().begin() as s:
        return create_campaign(s, spec).id


def run(campaign_id: int, limit: int = 100) -> None:
    """Start a campaign and run its chunk tasks inline until they stop."""
    control.request_start(campaign_id)
    start.run(campaign_id)
    for _ in range(limit):
        if run_chunk(campaign_id) is None:
            return
    pytest.fail("campaign did not settle")


def recipients(campaign_id: int) -> list[Recipient]:
    """All recipient rows of a campaign, by id."""
    with get_db().begin() as s:
        return list(s.scalars(select(Recipient).where(Recipient.campaign_id == campaign_id)
                              .order_by(Recipient.id)))


def campaign(campaign_id: int) -> Campaign:
    """Re-read a campaign."""
    with get_db().begin() as s:
        found = s.get(Campaign, campaign_id)
        assert found is not None
        return found


def test_each_recipient_gets_exactly_one_rendered_text(app: Flask,
                                                       fake_twilio: FakeTwilio) -> None:
    app.config["CAMPAIGN_CHUNK_SIZE"] = 7
    add_contacts(20)
    cid = new_campaign()
    run(cid)
    sent = fake_twilio.messages
    assert sorted(m["to"] for m in sent) == sorted(phone(i) for i in range(20))
    first = fake_twilio.messages_to(phone(3))[0]
    assert first["body"] == "【工友热线】工友3您好，周六有维权培训，回复1报名 回复TD退订"
    assert first["from"] == HOTLINE_NUMBER
    rows = recipients(cid)
    assert {r.status for r in rows} == {R.ACCEPTED}
    assert all(r.provider_sid and r.segments == 1 for r in rows)
    assert campaign(cid).status == CampaignStatus.DONE
    run_chunk(cid)  # a redelivered task after the end sends nothing
    assert len(fake_twilio.messages) == 20


def test_opted_out_never_sent_even_after_rows_exist(app: Flask, fake_twilio: FakeTwilio) -> None:
    ids = add_contacts(4)
    with get_db().begin() as s:
        s.get(Contact, ids[0]).opt_out()  # type: ignore[union-attr]
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    with get_db().begin() as s:  # opts out after the audience was written
        s.get(Contact, ids[1]).opt_out()  # type: ignore[union-attr]
    while run_chunk(cid) is not None:
        pass
    assert {m["to"] for m in fake_twilio.messages} == {phone(2), phone(3)}
    statuses = {r.contact_id: r.status for r in recipients(cid)}
    assert ids[0] not in statuses and statuses[ids[1]] == R.OPTED_OUT


def test_missing_field_is_an_error_before_sending(app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(2)
    with get_db().begin() as s:
        s.add(Contact(phone=phone(50), name=None))
        s.flush()
        s.add(ContactTag(contact_id=s.scalar(select(Contact.id).where(
            Contact.phone == phone(50))), tag="training"))
    cid = new_campaign()
    with pytest.raises(CampaignNotReady) as info:
        control.request_start(cid)
    assert "{name}" in str(info.value) and "1 recipient" in str(info.value)
    assert campaign(cid).status == CampaignStatus.DRAFT
    assert fake_twilio.messages == []
    fallback = new_campaign("{name|工友}您好，培训通知")
    run(fallback)
    assert {m["body"] for m in fake_twilio.messages_to(phone(50))} == {
        "【工友热线】工友您好，培训通知 回复TD退订"}


ERRORS = [
    # (Twilio code, recipient status, contact opted out?)
    (21610, R.OPTED_OUT, True),
    (21211, R.FAILED, False),
    (21614, R.FAILED, False),
]


@pytest.mark.parametrize(("code", "status", "opted"), ERRORS)
def test_provider_refusals(app: Flask, fake_twilio: FakeTwilio, code: int, status: R,
                           opted: bool) -> None:
    ids = add_contacts(3)
    fake_twilio.fail_number(phone(1), code)
    cid = new_campaign()
    run(cid)
    row = {r.contact_id: r for r in recipients(cid)}[ids[1]]
    assert (row.status, row.error_code) == (status, code)
    assert row.error_message
    with get_db().begin() as s:
        assert s.get(Contact, ids[1]).opted_out is opted  # type: ignore[union-attr]
    assert len(fake_twilio.messages) == 2
    with get_db().begin() as s:
        failures = report(s, campaign(cid))["failures"]
    assert failures == [{"error_code": code, "status": str(status), "count": 1}]


def test_provider_429_backs_off_then_sends_once(app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(3)
    fake_twilio.set_rate_limit(HOTLINE_NUMBER, per_second=0.001, burst=1)
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    wait = run_chunk(cid)
    assert wait is not None and wait >= 2.0  # backed off, did not sleep
    assert [r.status for r in recipients(cid)].count(R.PENDING) == 2
    fake_twilio.set_rate_limit(HOTLINE_NUMBER, 0)
    while run_chunk(cid) is not None:
        pass
    assert sorted(m["to"] for m in fake_twilio.messages) == [phone(0), phone(1), phone(2)]


def test_timeout_becomes_unknown_and_is_reconciled_not_resent(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(3)
    cid = new_campaign()
    fake_twilio.fail_next(1, status=500)  # first POST: 5xx, Twilio may or may not have sent
    run(cid)
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 0  # as if the grace period had passed
    rows = recipients(cid)
    assert [r.status for r in rows].count(R.UNKNOWN) == 1
    assert campaign(cid).status == CampaignStatus.SENDING  # waits for reconciliation
    control.tick_now()  # not found at the provider: safe to send, once
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 120
    while run_chunk(cid) is not None:
        pass
    control.tick_now()
    assert sorted(m["to"] for m in fake_twilio.messages) == [phone(0), phone(1), phone(2)]
    assert campaign(cid).status == CampaignStatus.DONE


def test_stale_sending_found_at_provider_is_adopted(app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(2)
    cid = new_campaign()
    run(cid)
    sids = {r.id: r.provider_sid for r in recipients(cid)}
    # Pretend the worker died after the provider accepted, before recording the outcome.
    with get_db().begin() as s:
        s.execute(update(Recipient).values(status=R.SENDING, provider_sid=None,
                                           claimed_at=utcnow() - timedelta(hours=1)))
        s.execute(update(Campaign).values(status=CampaignStatus.SENDING, finished_at=None))
    control.tick_now()
    assert {r.id: r.provider_sid for r in recipients(cid)} == sids
    assert len(fake_twilio.messages) == 2
    assert campaign(cid).status == CampaignStatus.DONE


def test_lost_status_callbacks_are_fetched_from_the_provider_later(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    # Our webhook was down while Twilio reported (autouse fixture: no callbacks arrive).
    add_contacts(3)
    fake_twilio.fail_number(phone(2), 30003)  # accepted, then undelivered at the carrier
    cid = new_campaign()
    run(cid)
    assert fake_twilio.wait_for_callbacks()
    control.tick_now()
    assert [r.status for r in recipients(cid)] == [R.ACCEPTED] * 3  # too early to ask
    app.config["OUTCOME_REFRESH_SECONDS"] = 0.0
    fake_twilio.fail_next(1, status=503)  # the first lookup fails: nothing changes, no crash
    assert control.tick_now()["refreshed"] == 0
    assert control.tick_now()["refreshed"] == 3
    rows = recipients(cid)
    assert [r.status for r in rows] == [R.DELIVERED, R.DELIVERED, R.UNDELIVERED]
    assert rows[2].error_code == 30003
    with get_db().begin() as s:
        summary = report(s, campaign(cid))
    assert summary["delivered"] == 2 and summary["delivery_rate"] == round(2 / 3, 4)
    assert control.tick_now()["refreshed"] == 0  # settled rows are never asked again
    lookups = [r for r in fake_twilio.requests if r["method"] == "GET"]
    assert len(lookups) == 4 and len(fake_twilio.messages) == 3


def test_pause_resume_cancel(app: Flask, fake_twilio: FakeTwilio) -> None:
    app.config["CAMPAIGN_CHUNK_SIZE"] = 2
    add_contacts(6)
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    assert run_chunk(cid) is not None
    control.pause(cid)
    assert run_chunk(cid) is None
    assert len(fake_twilio.messages) == 2
    control.resume(cid)
    assert run_chunk(cid) is not None
    control.cancel(cid)
    assert run_chunk(cid) is None
    with get_db().begin() as s:
        counts = progress(s, campaign(cid))["counts"]
    assert (counts["accepted"], counts["cancelled"]) == (4, 2)
    assert len(fake_twilio.messages) == 4


def test_quiet_hours_hold_then_resume(app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(2)
    cid = new_campaign(quiet_hours="00:00-23:59")  # always quiet in Asia/Shanghai
    run(cid)
    held = campaign(cid)
    assert held.status == CampaignStatus.SENDING and held.hold_until is not None
    assert fake_twilio.messages == []
    with get_db().begin() as s:  # the night is over
        s.execute(update(Campaign).values(quiet_start="00:00", quiet_end="00:00",
                                          hold_until=utcnow() - timedelta(seconds=1)))
    assert control.tick_now()["woken"] == 1
    while run_chunk(cid) is not None:
        pass
    assert len(fake_twilio.messages) == 2


def test_schedule_for_later(app: Flask, fake_twilio: FakeTwilio) -> None:
    add_contacts(1)
    cid = new_campaign()
    control.request_start(cid, utcnow() + timedelta(hours=2))
    assert campaign(cid).status == CampaignStatus.SCHEDULED
    assert control.tick_now()["started"] == 0
    with get_db().begin() as s:
        s.execute(update(Campaign).values(scheduled_at=utcnow() - timedelta(seconds=1)))
    assert control.tick_now()["started"] == 1
    start.run(cid)
    while run_chunk(cid) is not None:
        pass
    assert len(fake_twilio.messages) == 1


def test_rsvp_signups_and_report(app: Flask, fake_twilio: FakeTwilio) -> None:
    ids = add_contacts(3)
    cid = new_campaign()
    run(cid)
    with get_db().begin() as s:
        c0, c1, c2 = (s.get_one(Contact, i) for i in ids)
        assert handle_campaign_reply(s, c0, " １ ") == "已报名，谢谢！"  # full-width digit
        assert handle_campaign_reply(s, c0, "1") == "您已报名过了。"
        assert handle_campaign_reply(s, c1, "我老板欠我工资") is None  # goes to intake
        c2.opt_out()  # as a TD reply to this campaign does (see sms_commands)
        note_campaign_opt_out(s, c2)
    with get_db().begin() as s:
        data = report(s, campaign(cid))
    assert data["signups"] == 1 and data["opted_out_after_send"] == 1
    assert data["segments"] == 3 and data["cost"] == "0.1500"


def test_recheck_marks_verified_and_stale(app: Flask, fake_twilio: FakeTwilio) -> None:
    ids = add_contacts(2)
    spec = CampaignSpec(name="号码核实", kind=CampaignKind.RECHECK,
                        variants={"zh": "工友热线核实号码：如仍是您的号码请回复1"},
                        audience=Audience(tags=["training"]), quiet_hours="00:00-00:00",
                        rate_per_second=1000.0)
    with get_db().begin() as s:
        cid = create_campaign(s, spec).id
    run(cid)
    with get_db().begin() as s:
        assert handle_campaign_reply(s, s.get_one(Contact, ids[0]), "1") == "谢谢，已确认您的号码。"
        s.execute(update(Campaign).values(finished_at=utcnow() - timedelta(days=4)))
    assert control.tick_now()["stale"] == 1
    with get_db().begin() as s:
        verified, stale = (s.get(Contact, i) for i in ids)
        assert verified.verified_at is not None and verified.stale_at is None  # type: ignore
        assert stale.stale_at is not None and stale.verified_at is None  # type: ignore


def test_case_number_placeholder(app: Flask, fake_twilio: FakeTwilio) -> None:
    ids = add_contacts(1)
    with get_db().begin() as s:
        case = Case(contact_id=ids[0], status=CaseStatus.IN_PROGRESS)
        s.add(case)
        s.flush()
        case.assign_number()
        number = case.number
    cid = new_campaign("您的案件{case_number}有新进展")
    run(cid)
    [msg] = fake_twilio.messages
    assert f"案件{number}有新进展" in msg["body"]

