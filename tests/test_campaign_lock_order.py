"""One lock order for a campaign on PostgreSQL: the campaign row, then its recipients, on every
path. A sending worker's claim used to lock recipients first and the campaign row second, the
reverse of cancel, and PostgreSQL broke the resulting deadlock by failing one of them; now the
claim waits on the campaign row before it locks any recipient, and cancelling while workers
send neither deadlocks nor needs a retry."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import create_engine, select, text

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Recipient, RecipientStatus
from notifications.campaigns import control as control
from notifications.campaigns.tasks import claim_chunk, run_chunk, start
from tests.conftest import wait_until
from tests.test_campaign_send import add_contacts, new_campaign

pytestmark = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)


def started() -> int:
    """A campaign to every contact, started and its recipients written."""
    cid = new_campaign(rate_per_second=1_000_000.0)
    control.request_start(cid)
    start(cid)
    return cid


def test_a_claim_takes_the_campaign_row_before_any_recipient(app: Flask) -> None:
    app.config["CAMPAIGN_CHUNK_SIZE"] = 5
    add_contacts(8)
    cid = started()
    engine = create_engine(app.config["DATABASE_URL"])
    claimed: list[Any] = []
    try:
        with engine.connect() as holder:
            # What cancel holds while it writes: the campaign row, exclusively.
            holder.execute(text("SELECT id FROM campaigns WHERE id = :c FOR UPDATE"),
                           {"c": cid})

            def claim() -> None:
                with app.app_context():
                    claimed.append(claim_chunk(cid))

            worker = threading.Thread(target=claim)
            worker.start()

            def waiting() -> bool:
                with engine.connect() as probe:
                    return bool(probe.scalar(text(
                        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                        "AND query ILIKE '%FROM campaigns%' AND query ILIKE '%FOR SHARE%' "
                        "AND datname = current_database()")))

            wait_until(waiting, timeout=60, message="the claim waiting on the campaign row")
            # While it waits, it holds no recipient: cancel could take every one of them.
            with engine.connect() as other:
                locked = other.execute(text(
                    "SELECT id FROM campaign_recipients WHERE campaign_id = :c "
                    "FOR UPDATE NOWAIT"), {"c": cid}).all()
                other.rollback()
            assert len(locked) == 8
            assert worker.is_alive()
            holder.rollback()
        worker.join(timeout=60)
    finally:
        engine.dispose()
    assert not worker.is_alive()
    campaign, items, _, _ = claimed[0]
    assert campaign is not None and len(items) == 5


def test_cancelling_while_workers_send_never_deadlocks(app: Flask,
                                                       fake_twilio: FakeTwilio) -> None:
    app.config.update(CAMPAIGN_CHUNK_SIZE=3, CAMPAIGN_SEND_THREADS=1)
    failures: list[BaseException] = []
    add_contacts(40)
    accepted = 0
    for _ in range(4):
        cid = started()
        stop = threading.Event()
        before = len(fake_twilio.messages)

        def send(cid: int = cid, stop: threading.Event = stop) -> None:
            try:
                with app.app_context():
                    while not stop.is_set() and run_chunk(cid) is not None:
                        pass
            except BaseException as exc:  # noqa: BLE001 - reported by the test below
                failures.append(exc)

        workers = [threading.Thread(target=send) for _ in range(3)]
        for worker in workers:
            worker.start()
        def sending(n: int = before) -> bool:
            return len(fake_twilio.messages) >= n + 3

        wait_until(sending, timeout=60, interval=0.01, message="the workers sending")
        control.cancel(cid)  # no retry: it waits for the claims in flight, never deadlocks
        stop.set()
        for worker in workers:
            worker.join(timeout=120)
        assert not any(w.is_alive() for w in workers)
        with get_db().begin() as s:
            rows = Counter(s.scalars(select(Recipient.status).where(
                Recipient.campaign_id == cid)))
        assert set(rows) <= {RecipientStatus.ACCEPTED, RecipientStatus.CANCELLED}, rows
        assert rows[RecipientStatus.CANCELLED] > 0
        accepted += rows[RecipientStatus.ACCEPTED]
    assert failures == []
    assert len(fake_twilio.messages) == accepted  # each sent text recorded, none twice
