"""Campaign sends whose outcome was lost, and recipients held by quiet hours: a real read timeout
becomes UNKNOWN and is settled by asking the provider; rows a crash left behind are settled even
after the campaign was paused or cancelled; a recipient in another time zone waits for morning
while the others are sent (with a controlled clock)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select, update

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Campaign, CampaignStatus, Contact, Recipient, utcnow
from notifications.campaigns import control as control
from notifications.campaigns import tasks as campaign_tasks
from notifications.campaigns.tasks import run_chunk, start
from notifications.providers.twilio import TwilioProvider
from tests.test_campaign_send import R, add_contacts, campaign, new_campaign, phone, recipients


@pytest.fixture(autouse=True)
def no_callbacks(fake_twilio: FakeTwilio) -> None:
    """PUBLIC_URL is not reachable from here; lost outcomes are fetched by lookup."""
    fake_twilio.callbacks_enabled = False


def drain(campaign_id: int) -> None:
    """Run chunk tasks inline until they stop."""
    for _ in range(100):
        if run_chunk(campaign_id) is None:
            return
    pytest.fail("campaign did not settle")


def sends_to(fake_twilio: FakeTwilio, number: str) -> int:
    """How many messages the provider holds for `number`."""
    return len(fake_twilio.messages_to(number))


def test_read_timeout_is_unknown_then_adopted_by_lookup_never_resent(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    # The real twilio client with a short read timeout; the fake answers phone(1) late, after
    # it has accepted the message (as Twilio does when it is slow).
    cfg = app.config
    app.extensions["provider"] = TwilioProvider(cfg["TWILIO_ACCOUNT_SID"],
                                                cfg["TWILIO_AUTH_TOKEN"],
                                                api_url=cfg["TWILIO_API_URL"], timeout=0.5)
    fake_twilio.delay_number(phone(1), 1.5)
    add_contacts(3)
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    drain(cid)
    rows = recipients(cid)
    assert [r.status for r in rows] == [R.ACCEPTED, R.UNKNOWN, R.ACCEPTED]
    assert rows[1].provider_sid is None and "timed out" in (rows[1].error_message or "").lower()
    assert campaign(cid).status == CampaignStatus.SENDING  # not done while one is unknown
    assert control.tick_now()["reconciled"] == 0  # within the grace period: not asked yet
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 0
    control.tick_now()
    [held] = fake_twilio.messages_to(phone(1))
    row = recipients(cid)[1]
    assert row.provider_sid == held["sid"]  # adopted, with the provider's status
    assert row.status in (R.ACCEPTED, R.SENT, R.DELIVERED)
    drain(cid)
    control.tick_now()
    assert sends_to(fake_twilio, phone(1)) == 1 and len(fake_twilio.messages) == 3
    assert campaign(cid).status == CampaignStatus.DONE


def crash_mid_chunk(app: Flask) -> tuple[int, list[int]]:
    """A campaign whose worker died: one row sent but not recorded, one claimed but unsent."""
    add_contacts(4)
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    app.config["CAMPAIGN_CHUNK_SIZE"] = 2
    assert run_chunk(cid) is not None  # phone(0), phone(1) sent
    ids = [r.id for r in recipients(cid)]
    long_ago = utcnow() - timedelta(hours=1)
    with get_db().begin() as s:
        # Sent, but the worker was killed before it wrote the outcome down.
        s.execute(update(Recipient).where(Recipient.id == ids[1]).values(
            status=R.SENDING, provider_sid=None, claimed_at=long_ago))
        # Claimed (text committed), killed before the provider call.
        s.execute(update(Recipient).where(Recipient.id == ids[2]).values(
            status=R.SENDING, body="【工友热线】工友2您好，周六有维权培训，回复1报名 回复TD退订",
            claimed_at=long_ago, attempts=1))
    return cid, ids


@pytest.mark.parametrize("stop", ["pause", "cancel"])
def test_crashed_rows_are_reconciled_after_pause_or_cancel(
        app: Flask, fake_twilio: FakeTwilio, stop: str) -> None:
    cid, ids = crash_mid_chunk(app)
    getattr(control, stop)(cid)
    assert control.tick_now()["reconciled"] == 2
    rows = {r.id: r for r in recipients(cid)}
    [sent] = fake_twilio.messages_to(phone(1))
    assert rows[ids[1]].provider_sid == sent["sid"]
    assert rows[ids[1]].status in (R.ACCEPTED, R.SENT, R.DELIVERED)
    # Never reached the provider: sent later if only paused; dropped if cancelled.
    expected = R.PENDING if stop == "pause" else R.CANCELLED
    assert rows[ids[2]].status == expected and sends_to(fake_twilio, phone(2)) == 0
    assert rows[ids[3]].status == expected
    assert control.tick_now()["reconciled"] == 0  # nothing left unresolved
    # Lost delivery reports of a stopped campaign are still fetched.
    assert fake_twilio.wait_for_callbacks()
    app.config["OUTCOME_REFRESH_SECONDS"] = 0.0
    assert control.tick_now()["refreshed"] >= 1  # phone(0)'s, at least (phone(1) adopted)
    assert recipients(cid)[0].status == R.DELIVERED
    if stop == "pause":
        control.resume(cid)
        start.run(cid)
        drain(cid)
        assert campaign(cid).status == CampaignStatus.DONE
    assert [sends_to(fake_twilio, phone(i)) for i in range(4)] == (
        [1, 1, 1, 1] if stop == "pause" else [1, 1, 0, 0])


class Clock:
    """A settable utcnow for the campaign engine."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    """Freeze the engine's clock (sending, holds, wake-ups) at a winter morning in Shanghai."""
    fixed = Clock(datetime(2027, 1, 15, 2, 0, tzinfo=UTC))  # 10:00 Shanghai, 21:00 New York
    for module in (campaign_tasks, control):  # the engine reads the database's clock
        monkeypatch.setattr(module, "db_now", lambda _session: fixed())
    monkeypatch.setattr(control, "database_now", fixed)
    yield fixed


def test_recipient_in_another_zone_waits_for_their_morning(
        app: Flask, fake_twilio: FakeTwilio, clock: Clock) -> None:
    ids = add_contacts(3)
    with get_db().begin() as s:
        s.get_one(Contact, ids[2]).timezone = "America/New_York"
    cid = new_campaign(quiet_hours="21:00-08:00")
    control.request_start(cid)
    start.run(cid)
    drain(cid)
    assert sorted(m["to"] for m in fake_twilio.messages) == [phone(0), phone(1)]
    held = campaign(cid)
    # 08:00 in New York on the 15th is 13:00 UTC.
    assert held.status == CampaignStatus.SENDING
    assert held.hold_until == datetime(2027, 1, 15, 13, 0, tzinfo=UTC)
    clock.now = datetime(2027, 1, 15, 12, 59, tzinfo=UTC)
    assert control.tick_now()["woken"] == 0
    assert run_chunk(cid) is None and len(fake_twilio.messages) == 2
    clock.now = datetime(2027, 1, 15, 13, 0, 30, tzinfo=UTC)
    assert control.tick_now()["woken"] == 1
    drain(cid)
    assert sorted(m["to"] for m in fake_twilio.messages) == [phone(0), phone(1), phone(2)]
    with get_db().begin() as s:
        late: Any = s.scalar(select(Recipient).where(Recipient.contact_id == ids[2]))
        assert late.sent_at == clock.now
        assert s.get_one(Campaign, cid).status == CampaignStatus.DONE
