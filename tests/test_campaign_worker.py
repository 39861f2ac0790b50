"""Exactly once, proven on real parts: a real Celery worker sends a campaign to the fake Twilio
server, is killed with SIGKILL mid-campaign, a new worker finishes it, and every recipient has
exactly one message at the provider."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Campaign, CampaignStatus, Contact, ContactTag, Recipient, RecipientStatus
from notifications.campaigns import control as control
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignSpec, create_campaign
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    REDIS_URL,
    start_worker,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.e2e
N = 400
INTS = ("CAMPAIGN_CHUNK_SIZE", "CAMPAIGN_SEND_THREADS", "CAMPAIGN_PARALLELISM")
SETTINGS = {"CAMPAIGN_CHUNK_SIZE": "40", "CAMPAIGN_SEND_THREADS": "1",
            "CAMPAIGN_PARALLELISM": "2", "CAMPAIGN_RECONCILE_AFTER_SECONDS": "2",
            "CAMPAIGN_STALL_SECONDS": "1", "CAMPAIGN_RATE_PER_SECOND": "10000"}


def worker_env(app: Flask, fake: FakeTwilio) -> dict[str, str]:
    """A worker configured like the app under test."""
    return {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": REDIS_URL,
            "HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": fake.base_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": "https://hotline.example.org", "HOTLINE_NUMBER": HOTLINE_NUMBER,
            "HOTLINE_INSTANCE": app.instance_path, **SETTINGS}


def kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children at once: no shutdown, no acks, no cleanup."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    for pid in [proc.pid, *map(int, children)]:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    proc.wait(timeout=10)


def count(status: RecipientStatus) -> int:
    """Recipients in one status."""
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).where(Recipient.status == status)) or 0)


def test_worker_killed_mid_campaign_sends_each_recipient_exactly_once(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    fake_twilio.callbacks_enabled = False  # outcomes must come from reconciliation, not luck
    app.config.update({k: (int(v) if k in INTS else float(v)) for k, v in SETTINGS.items()})
    with get_db().begin() as s:
        contacts = [Contact(phone=f"+86139{i:08d}", name=f"工友{i}") for i in range(N)]
        s.add_all(contacts)
        s.flush()
        s.add_all(ContactTag(contact_id=c.id, tag="all") for c in contacts)
        cid = create_campaign(s, CampaignSpec(
            name="节日问候", variants={"zh": "{name}，工友热线祝您中秋快乐"},
            audience=Audience(tags=["all"]), quiet_hours="00:00-00:00")).id
    first = start_worker(worker_env(app, fake_twilio), "--pool", "prefork")
    second = None
    try:
        # Twilio accepts the last three quarters but answers them late: once one of them is
        # in, the worker is surely between Twilio taking a text and recording it.
        late = {f"+86139{i:08d}" for i in range(N // 4, N)}
        for phone in late:
            fake_twilio.delay_number(phone, 30)
        control.request_start(cid)
        wait_until(lambda: any(m["to"] in late for m in fake_twilio.messages), timeout=60,
                   interval=0.01, message="a text accepted and its answer held")
        left_sending = count(RecipientStatus.SENDING)
        kill_tree(first)
        for phone in late:
            fake_twilio.delay_number(phone, 0)
        sent_before = len(fake_twilio.messages)
        assert sent_before < N and left_sending > 0
        second = start_worker(worker_env(app, fake_twilio))

        def finished() -> bool:
            control.tick_now()  # what celery beat runs every 15 s: reconcile, restart
            with get_db().begin() as s:
                return s.get(Campaign, cid).status == CampaignStatus.DONE  # type: ignore

        wait_until(finished, timeout=90, interval=0.5, message="the campaign to finish")
    finally:
        if first.poll() is None:
            kill_tree(first)
        log = stop_process(second) if second else ""
    per_phone = Counter(m["to"] for m in fake_twilio.messages)
    assert len(per_phone) == N and set(per_phone.values()) == {1}, per_phone.most_common(3)
    with get_db().begin() as s:
        sids = set(s.scalars(select(Recipient.provider_sid)))
        statuses = Counter(s.scalars(select(Recipient.status)))
        adopted = s.scalar(select(func.count()).where(
            Recipient.error_message == "reconciled from the provider"))
    # Rows the killed worker had sent but not recorded were adopted from the provider (with
    # its later status); the rest were sent by the second worker.
    assert set(statuses) <= {RecipientStatus.ACCEPTED, RecipientStatus.SENT,
                             RecipientStatus.DELIVERED}, statuses
    assert adopted
    assert sids == {m["sid"] for m in fake_twilio.messages}
    assert "Traceback" not in log, log
