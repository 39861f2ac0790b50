"""One clock across hosts, in process: a recipient claimed on one host is never sent again by
another host's reconciler while its lease (claimed_at, database clock, renewed while sending)
holds, whatever the two hosts' own clocks say; a campaign's chains are restarted only in free
slots; a worker or beat lacking a shared setting refuses to start; no password is printed and
log times are UTC with their offset."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import cast

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import select, update

import models.base
from devtools.fake_twilio import FakeTwilio
from hotline import UTCFormatter
from hotline.infra.clock import database_now, db_now
from hotline.infra.db import get_db
from hotline.infra.migrate import masked_url
from models import Recipient
from notifications.campaigns import control as control
from notifications.campaigns.lease import SendingLease, resume_chain, slot_key, take_free_slots
from notifications.campaigns.tasks import (
    claim_chunk,
    kick,
    record_outcomes,
    run_chunk,
    send_items,
    start,
)
from notifications.providers import get_provider
from tests.conftest import REDIS_URL, ROOT
from tests.test_campaign_send import R, add_contacts, new_campaign, phone, recipients

SKEW = timedelta(seconds=150)


@pytest.fixture(autouse=True)
def no_callbacks(fake_twilio: FakeTwilio) -> None:
    """PUBLIC_URL is not reachable from here: outcomes come from the reconciler's lookups."""
    fake_twilio.callbacks_enabled = False


@pytest.fixture
def host_clock(monkeypatch: pytest.MonkeyPatch) -> Callable[[timedelta], None]:
    """Set this process's own clock (every module's utcnow) to run `skew` off real time, as
    on a host whose clock drifted; the database's clock is untouched."""
    real = models.base.utcnow

    def skew_by(skew: timedelta) -> None:
        for module in list(sys.modules.values()):
            if getattr(module, "utcnow", None) in (real, *_skewed):
                monkeypatch.setattr(module, "utcnow", fake := lambda: real() + skew)
                _skewed.append(fake)

    _skewed: list[Callable[[], datetime]] = []
    return skew_by


def started_campaign(n: int) -> int:
    """A campaign to n contacts, started and materialised (no worker runs its chains)."""
    add_contacts(n)
    cid = new_campaign()
    control.request_start(cid)
    start.run(cid)
    return cid


def test_the_database_clock_is_the_stored_form_on_both_databases(app: Flask) -> None:
    now = database_now()
    assert now.tzinfo is not None and abs(now - models.base.utcnow()) < timedelta(seconds=5)
    cid = started_campaign(1)
    with get_db().begin() as s:
        s.execute(update(Recipient).values(claimed_at=db_now(s)))
    with get_db().begin() as s:  # a stored database time compares with a later one
        later = db_now(s)
        claimed = s.scalars(select(Recipient.claimed_at)).one()
        assert claimed is not None and claimed <= later
        assert s.scalars(select(Recipient.id).where(
            Recipient.campaign_id == cid, Recipient.claimed_at <= later)).all()


@pytest.mark.parametrize(("claimer", "reconciler"), [
    (-SKEW, SKEW),  # the case: the reconciling host runs minutes ahead
    (SKEW, -SKEW),  # and the other way round
    (timedelta(0), SKEW * 4),  # ten minutes ahead: far past any lease
])
def test_a_claim_is_never_resent_by_a_skewed_reconciler_while_its_lease_holds(
        app: Flask, fake_twilio: FakeTwilio, host_clock: Callable[[timedelta], None],
        claimer: timedelta, reconciler: timedelta) -> None:
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 60.0
    cid = started_campaign(3)
    host_clock(claimer)  # host A claims the chunk and is about to call the provider
    _, items, _, _ = claim_chunk(cid)
    assert len(items) == 3
    host_clock(reconciler)  # host B's beat tick reconciles meanwhile: nothing is stale
    assert control.reconcile(cid)["requeued"] == 0
    assert [r.status for r in recipients(cid)] == [R.SENDING] * 3
    host_clock(claimer)  # host A's sends arrive and are recorded
    record_outcomes(send_items(get_provider(), new_sender(cid), items, 2, 30.0))
    host_clock(reconciler)
    control.tick_now()
    assert [len(fake_twilio.messages_to(phone(i))) for i in range(3)] == [1, 1, 1]
    assert [r.status for r in recipients(cid)] == [R.ACCEPTED] * 3


def new_sender(campaign_id: int) -> str:
    """The campaign's sender number."""
    from models import Campaign

    with get_db().begin() as s:
        return s.get_one(Campaign, campaign_id).sender


def test_a_lease_renewed_while_sending_is_kept_and_an_expired_one_is_sent_once(
        app: Flask, fake_twilio: FakeTwilio) -> None:
    app.config["CAMPAIGN_RECONCILE_AFTER_SECONDS"] = 30.0
    cid = started_campaign(2)
    _, items, _, _ = claim_chunk(cid)
    ids = [item.id for item in items]
    long_ago = database_now() - timedelta(minutes=5)
    with get_db().begin() as s:  # both senders went quiet five minutes ago (database time)
        s.execute(update(Recipient).values(claimed_at=long_ago))
    # The reconciler picked both rows as stale; before it applied its answer, the sender
    # of the first renewed its lease: it is alive and may be sending that text right now.
    SendingLease([ids[0]], None).renew()
    provider = get_provider()
    outcomes = [control._reconcile_one(provider, new_sender(cid), item.id, item.phone,
                                       item.body, False, long_ago + timedelta(seconds=1))
                for item in items]
    assert outcomes == ["still_sending", "requeued"]
    assert [r.status for r in recipients(cid)] == [R.SENDING, R.PENDING]
    assert control.reconcile(cid)["requeued"] == 0  # the renewed lease holds for 30 s
    assert run_chunk(cid) is not None  # the expired one is sent again, once
    assert [len(fake_twilio.messages_to(phone(i))) for i in range(2)] == [0, 1]


def slot_token(client: redis_lib.Redis, campaign_id: int, slot: int) -> str | None:
    """The token of the chain holding a slot, if any."""
    raw = client.get(slot_key(campaign_id, slot))
    return raw.decode() if isinstance(raw, bytes) else None


def test_kick_starts_chains_only_in_free_slots_and_a_superseded_chain_ends(
        app: Flask, redis_client: redis_lib.Redis) -> None:
    app.config["CAMPAIGN_PARALLELISM"] = 2
    cid = started_campaign(3)  # start() kicked both slots
    assert kick(cid) == 0 and control.watch_now() == 0  # live chains are never doubled
    held = [slot_token(redis_client, cid, slot) for slot in range(2)]
    assert held[0] and held[1]
    redis_client.delete(slot_key(cid, 1))  # slot 1's worker died: its key ran out
    assert control.watch_now() == 1
    newer = slot_token(redis_client, cid, 1)
    assert newer and newer != held[1] and slot_token(redis_client, cid, 0) == held[0]
    # The dead chain's task, redelivered an hour later, finds its slot taken and ends.
    assert resume_chain(cid, 1, held[1]) is None
    assert resume_chain(cid, 0, held[0]) is not None
    # A task from before chains had slots ends too when every slot is held.
    assert resume_chain(cid, None, None) is None
    assert take_free_slots(cid, 2) == []


def test_a_chunk_is_re_enqueued_without_a_countdown(
        app: Flask, redis_client: redis_lib.Redis) -> None:
    import json

    from hotline.infra.queues import broker_keys
    from notifications.campaigns.tasks import send_chunk

    cid = started_campaign(3)  # start() took slots 0 and 1 and queued their chains
    redis_client.delete(*broker_keys("campaigns"))
    [chain] = take_free_slots(cid, 3)
    send_chunk.run(cid, chain.slot, chain.token)  # sends all three, then queues its next step
    queued = [json.loads(raw) for key in broker_keys("campaigns")
              for raw in cast(list[bytes], redis_client.lrange(key, 0, -1))]
    assert [(m["headers"]["task"], m["headers"]["eta"]) for m in queued] == [
        ("notifications.campaigns.send_chunk", None)]


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://hotline:s3cret-pw@db.example.org/hotline",
     "postgresql://hotline:***@db.example.org/hotline"),
    ("postgresql+psycopg://ops:p%40ss@10.0.0.5:5432/hl?sslmode=require",
     "postgresql+psycopg://ops:***@10.0.0.5:5432/hl?sslmode=require"),
    ("sqlite:////srv/hotline/instance/hotline.db", "sqlite:////srv/hotline/instance/hotline.db"),
    ("not a url at all", "(unreadable DATABASE_URL)"),
])
def test_database_urls_are_printed_without_their_password(url: str, shown: str) -> None:
    assert masked_url(url) == shown


def test_db_upgrade_prints_no_password(pg_url: str, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from hotline.cli.main import main

    server = pg_url.replace("postgres@", "postgres:very-secret-pw@")
    out = CliRunner().invoke(main, ["db", "upgrade"], env={
        "DATABASE_URL": server, "REDIS_URL": REDIS_URL, "HOTLINE_INSTANCE": str(tmp_path)})
    assert out.exit_code == 0, out.output
    assert "very-secret-pw" not in out.output and "postgres:***@" in out.output


def test_log_times_are_utc_with_the_offset() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "sent", None, None)
    record.created = datetime(2026, 12, 3, 22, 49, 17, 123000, tzinfo=UTC).timestamp()
    line = UTCFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s").format(record)
    assert line == "2026-12-03T22:49:17.123+00:00 INFO x: sent"


# --- start-up refusals ------------------------------------------------------------------------

SHARED = {"DATABASE_URL": "postgresql://hotline@db-host/hotline",
          "REDIS_URL": "redis://redis-host:6379/0"}
REAL_TWILIO = {"HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": None}


@pytest.mark.parametrize(("environ", "config", "named"), [
    ({}, {}, ["DATABASE_URL", "REDIS_URL"]),
    ({"REDIS_URL": SHARED["REDIS_URL"]}, {}, ["DATABASE_URL"]),
    ({"DATABASE_URL": SHARED["DATABASE_URL"]}, {}, ["REDIS_URL"]),
    (SHARED, {}, []),
    (SHARED, {**REAL_TWILIO, "PUBLIC_URL": None}, ["PUBLIC_URL"]),
    (SHARED, {**REAL_TWILIO, "PUBLIC_URL": "http://127.0.0.1:8000"}, ["PUBLIC_URL"]),
    (SHARED, {**REAL_TWILIO, "PUBLIC_URL": "https://hotline.example.org"}, []),
    # A local fake Twilio without callbacks is a developer's choice: a warning, not a refusal.
    (SHARED, {"HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": "http://127.0.0.1:8765"}, []),
    (SHARED, {"HOTLINE_PROVIDER": "console", "PUBLIC_URL": None}, []),
    (SHARED, {"HOTLINE_PROVIDER": "alibaba", "PUBLIC_URL": None}, []),
    ({"HOTLINE_SINGLE_MACHINE": "1"}, {}, []),  # one machine, said on purpose
    ({"HOTLINE_SINGLE_MACHINE": "0"}, {}, ["DATABASE_URL", "REDIS_URL"]),
])
def test_what_a_worker_or_beat_lacks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                     environ: dict[str, str], config: dict[str, str | None],
                                     named: list[str]) -> None:
    # `import worker` builds an app from the environment (it connects to nothing).
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("HOTLINE_INSTANCE", str(tmp_path))
    import worker

    monkeypatch.delenv("HOTLINE_SINGLE_MACHINE", raising=False)
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    settings = {"HOTLINE_PROVIDER": "console", "PUBLIC_URL": None, **config}
    problems = worker.missing_settings(settings, environ)
    assert [p.split(" ", 1)[0] for p in problems] == named


@pytest.fixture
def refusals(tmp_path: Path) -> Iterator[list[tuple[str, Path, subprocess.Popen[str]]]]:
    """A worker and a beat on a host given nothing, started side by side (each spends
    seconds importing the app)."""
    started = []
    celery = [sys.executable, "-m", "celery", "-A", "worker"]
    for role, args in (("worker", ["worker", "-P", "solo", "--without-mingle",
                                   "--without-gossip"]),
                       ("beat", ["beat", "-s", str(tmp_path / "beat-schedule")])):
        instance = tmp_path / role
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOTLINE_INSTANCE": str(instance)}
        started.append((role, instance, subprocess.Popen(
            [*celery, *args], env=env, cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)))
    yield started
    for _, _, proc in started:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_worker_and_beat_refuse_to_start_without_the_shared_settings(
        refusals: list[tuple[str, Path, subprocess.Popen[str]]]) -> None:
    for role, instance, proc in refusals:
        out, _ = proc.communicate(timeout=90)
        assert proc.returncode == 2, out
        assert f"celery {role} refuses to start" in out, out
        assert "DATABASE_URL is not set" in out and "REDIS_URL is not set" in out, out
        # Nothing of a single machine was made on the way: no SQLite file, no Redis socket.
        assert not (instance / "hotline.db").exists() and not (instance / "redis.sock").exists()
