"""Two worker "hosts" and a beat, as separate processes with their own instance folders, on one
PostgreSQL and one Redis. One worker's clock runs 150 s ahead (its time.time and datetime are
shifted before Celery loads, as on a host whose clock drifted): a campaign of 500 still sends
each recipient exactly once at about its throttled rate. Then the other worker is killed with
SIGKILL mid-campaign: the skewed one carries on, the dead worker's chains are restarted within
seconds by beat's watch, and again nobody gets a text twice or none."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, cast

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import func, select

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from models import Campaign, CampaignStatus, Contact, ContactTag, Recipient, RecipientStatus
from notifications.campaigns import control as control
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignSpec, create_campaign
from notifications.campaigns.lease import SLOT_TTL, slot_key
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, HOTLINE_NUMBER, REDIS_URL, ROOT, wait_until
from tests.test_campaign_worker import kill_tree

pytestmark = pytest.mark.e2e
SKEW_SECONDS = 150.0
RATE = 50.0  # segments per second, shared by every worker through Redis
SETTINGS = {"CAMPAIGN_CHUNK_SIZE": "25", "CAMPAIGN_SEND_THREADS": "4",
            "CAMPAIGN_PARALLELISM": "2", "CAMPAIGN_RATE_PER_SECOND": str(RATE),
            "CAMPAIGN_BURST_SECONDS": "1",
            # A short lease, so a reconciler that trusted a skewed clock would resend
            # in-flight texts within the test; the lease is renewed every second while sending.
            "CAMPAIGN_RECONCILE_AFTER_SECONDS": "3"}

# Runs `celery ...` with this process's wall clock shifted by argv[1] seconds. Everything that
# reads the wall clock through Python (Celery's ETAs, kombu's timers, utcnow, log times) is
# shifted; the monotonic clock, PostgreSQL's and Redis's are not, as on a drifted host.
SKEWED_CELERY = r"""
import datetime, sys, time
skew = float(sys.argv.pop(1))
real_time, real_time_ns, Real = time.time, time.time_ns, datetime.datetime
time.time = lambda: real_time() + skew
time.time_ns = lambda: real_time_ns() + int(skew * 1e9)

class _AnyDateTime(type):
    def __instancecheck__(cls, obj): return isinstance(obj, Real)
    def __subclasscheck__(cls, sub): return issubclass(sub, Real)

class SkewedDateTime(Real, metaclass=_AnyDateTime):
    __slots__ = ()
    @classmethod
    def now(cls, tz=None): return Real.now(tz) + datetime.timedelta(seconds=skew)
    @classmethod
    def utcnow(cls): return Real.utcnow() + datetime.timedelta(seconds=skew)
    @classmethod
    def today(cls): return cls.now()

datetime.datetime = SkewedDateTime
from celery.__main__ import main
sys.argv = ["celery", *sys.argv[1:]]
main()
"""


class Host:
    """One celery process (worker or beat) with its own instance folder and log file."""

    def __init__(self, tmp: Path, name: str, env: dict[str, str], args: list[str],
                 skew: float = 0.0) -> None:
        self.folder = tmp / name
        self.folder.mkdir()
        self.log_path = self.folder / "celery.log"
        self.log_file: IO[bytes] = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        launcher = [sys.executable, "-c", SKEWED_CELERY, str(skew)] if skew else [
            sys.executable, "-m", "celery"]
        self.process = subprocess.Popen(
            [*launcher, "-A", "worker", *args], cwd=ROOT, stdout=self.log_file,
            stderr=subprocess.STDOUT, env={**env, "HOTLINE_INSTANCE": str(self.folder)})

    def stop(self) -> str:
        """Stop it (warm shutdown, then kill) and return its log."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log_file.close()
        return self.log_path.read_text(errors="replace")


def worker_args(name: str) -> list[str]:
    """A worker consuming every queue, as production runs it."""
    return ["worker", "-Q", "urgent,intake,send,campaigns", "-c", "2", "-n", f"{name}@%h",
            "--without-mingle", "--without-gossip", "--loglevel", "INFO"]


@pytest.fixture
def hosts(app: Flask, fake_twilio: FakeTwilio, tmp_path: Path) -> Iterator[dict[str, Host]]:
    """Worker a (true clock, talks to 127.0.0.1), worker b (150 s ahead, talks to localhost:
    the fake tells their requests apart by Host header) and beat (true clock)."""
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": REDIS_URL,
           "HOTLINE_PROVIDER": "twilio", "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
           "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_URL": "https://hotline.example.org",
           "HOTLINE_NUMBER": HOTLINE_NUMBER, "TWILIO_API_URL": fake_twilio.base_url,
           **SETTINGS}
    other_name = fake_twilio.base_url.replace("127.0.0.1", "localhost")
    started = {
        "a": Host(tmp_path, "a", env, worker_args("a")),
        "b": Host(tmp_path, "b", {**env, "TWILIO_API_URL": other_name}, worker_args("b"),
                  skew=SKEW_SECONDS),
        "beat": Host(tmp_path, "beat", env, ["beat", "-s", str(tmp_path / "beat-schedule")]),
    }
    yield started
    logs = {name: host.stop() for name, host in started.items()}
    for name, log in logs.items():  # shown by pytest when the test fails
        print(f"--- {name} ---\n{log[-3000:]}")


def add_audience(tag: str, first: int, n: int) -> None:
    """n contacts with their own numbers, tagged `tag`."""
    with get_db().begin() as s:
        contacts = [Contact(phone=f"+86137{i:08d}", name=f"工友{i}")
                    for i in range(first, first + n)]
        s.add_all(contacts)
        s.flush()
        s.add_all(ContactTag(contact_id=c.id, tag=tag) for c in contacts)


def new_campaign(tag: str) -> int:
    """A one-segment campaign to everyone tagged `tag`, at the shared rate."""
    with get_db().begin() as s:
        return create_campaign(s, CampaignSpec(
            name="讲座通知", variants={"zh": "{name}，周六劳动法讲座，回复1报名"},
            audience=Audience(tags=[tag]), quiet_hours="00:00-00:00")).id


def sends(fake: FakeTwilio, since: float = 0.0) -> list[tuple[float, str, str]]:
    """(time, Host header, To) of every message the fake accepted, in order."""
    return sorted((r["time"], r["headers"].get("Host", "?"), str(r["form"].get("To")))
                  for r in list(fake.requests)
                  if r["method"] == "POST" and r["path"].endswith("/Messages.json")
                  and r["status"] == 201 and r["time"] >= since)


def pending(campaign_id: int) -> int:
    """Recipients of the campaign still waiting for their turn."""
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).where(
            Recipient.campaign_id == campaign_id, Recipient.status == RecipientStatus.PENDING))
            or 0)


def status(campaign_id: int) -> CampaignStatus:
    """The campaign's status now."""
    with get_db().begin() as s:
        return s.get_one(Campaign, campaign_id).status


def log_times(host: Host, text: str) -> list[float]:
    """When (true time) the host logged lines containing `text`."""
    skew = SKEW_SECONDS if host.folder.name == "b" else 0.0
    return [datetime.fromisoformat(line.split(" ", 1)[0]).timestamp() - skew
            for line in host.log_path.read_text(errors="replace").splitlines()
            if text in line and line[:2] == "20"]


def first_log_time(log: str) -> float:
    """The timestamp the first log line carries (UTC with its offset)."""
    stamp = next(line.split(" ", 1)[0] for line in log.splitlines() if line[:2] == "20")
    return datetime.fromisoformat(stamp).timestamp()


@pytest.mark.timeout(240)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # one database, many hosts
def test_a_skewed_host_neither_duplicates_nor_stalls_and_a_killed_one_is_taken_over(
        app: Flask, fake_twilio: FakeTwilio, hosts: dict[str, Host],
        redis_client: redis_lib.Redis) -> None:
    fake_twilio.callbacks_enabled = False  # PUBLIC_URL is not this test's server
    app.config.update({k: float(v) for k, v in SETTINGS.items() if "CHUNK" not in k})
    add_audience("first", 0, 500)
    add_audience("second", 500, 600)
    first, second = new_campaign("first"), new_campaign("second")
    celery = app.extensions["celery"]
    t0 = time.monotonic()
    wait_until(lambda: len(celery.control.ping(timeout=0.5) or []) >= 2, timeout=90,
               interval=0.2, message="both workers to answer")

    print(f"workers up in {time.monotonic() - t0:.1f} s")
    # 1. Both workers share the campaign; b's clock is 150 s ahead of everyone else's.
    control.request_start(first)
    wait_until(lambda: status(first) == CampaignStatus.DONE, timeout=90, interval=0.25,
               message="the first campaign to finish")
    done = sends(fake_twilio)
    per_phone = Counter(to for _, _, to in done)
    assert len(per_phone) == 500 and set(per_phone.values()) == {1}, per_phone.most_common(3)
    elapsed = done[-1][0] - done[0][0]
    rate = (len(done) - RATE) / elapsed  # the first second's burst comes at once
    by_host = Counter(host.split(":")[0] for _, host, _ in done)
    print(f"skewed pair: {len(done)} sends in {elapsed:.1f} s = {rate:.1f}/s "
          f"(throttle {RATE}/s), by host {dict(by_host)}")
    assert rate <= RATE * 1.15, "the shared throttle held"
    assert elapsed < 500 / RATE * 2.5, f"not slowed by the skewed clock: {elapsed:.1f} s"

    # 2. Mid-way through the second campaign, worker a dies without a word.
    control.request_start(second)
    began = time.time()

    def a_is_sending() -> bool:  # a holds a chain right now: it is mid-way through a chunk
        recent = sends(fake_twilio, time.time() - 0.05)
        return len(sends(fake_twilio, began)) >= 60 and any(
            host.startswith("127.0.0.1") for _, host, _ in recent)

    wait_until(a_is_sending, timeout=60, interval=0.01, message="worker a mid-chunk")
    kill_tree(hosts["a"].process)
    killed = time.time()
    # The dead worker's slot keys ran out SLOT_TTL after its last renewal; beat's watch runs
    # every 2 s: by then every slot must be held by a live chain again.
    wait_until(lambda: time.time() > killed + SLOT_TTL + 2.5, timeout=15, interval=0.1,
               message="the takeover window")
    assert pending(second) > 0, "the campaign was still sending (else nothing to take over)"
    alive = [cast(int, redis_client.pttl(slot_key(second, slot))) for slot in range(2)]
    assert all(ttl > 0 for ttl in alive), f"a slot was left to a dead chain: {alive}"
    window = sends(fake_twilio, killed)
    taken_over = len([t for t, _, _ in window if t <= killed + SLOT_TTL + 2.5])
    print(f"after the kill: {taken_over / (SLOT_TTL + 2.5):.1f} sends/s over the takeover "
          "window")

    def finished() -> bool:
        control.tick_now()  # what beat's tick does every 15 s: reconcile the dead worker's
        return status(second) == CampaignStatus.DONE  # rows once their lease ran out

    wait_until(finished, timeout=90, interval=0.5, message="the second campaign to finish")
    after = sends(fake_twilio, began)
    per_phone = Counter(to for _, _, to in after)
    assert len(per_phone) == 600 and set(per_phone.values()) == {1}, per_phone.most_common(3)
    times = [t for t, _, _ in after]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False) if b > killed]
    print(f"after the kill: {len(gaps)} sends, longest pause {max(gaps):.1f} s; "
          f"{len([t for t in times if t > killed])} by the survivor")
    restarted = [t for t in log_times(hosts["b"], "chain(s) restarted") if t > killed]
    if restarted:  # else the dead worker's last step was queued and b carried its chain on
        print(f"the dead worker's chain restarted {restarted[0] - killed:.1f} s after the kill")
    assert max(gaps) < SLOT_TTL + 2.5, "taken over within seconds, not at the visibility timeout"
    assert {host.split(":")[0] for t, host, _ in after if t > killed + 1} == {"localhost"}

    with get_db().begin() as s:
        assert set(s.scalars(select(Campaign.status))) == {CampaignStatus.DONE}
    skewed_log = hosts["b"].log_path.read_text(errors="replace")
    assert first_log_time(skewed_log) > time.time() + 60, "worker b's clock really ran ahead"
    assert "Traceback" not in skewed_log, skewed_log[-3000:]
