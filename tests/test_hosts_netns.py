"""The hotline as four hosts, each in a network namespace the test makes (tests.netns_support):
the web (gunicorn) and the fake Twilio on one, worker a and beat on another, worker b on a third,
PostgreSQL and Redis reached only over veths through a forwarder in the root namespace. Each
process has its own working directory and instance folder. Without root or `ip` the same hosts
run as plain processes (said loudly, never skipped).

Three campaigns of 2,000 recipients each, started from the web console over the network, at a
throttled 50 segments/s shared through Redis; worker b's clock runs 150 s ahead throughout:
  (a) both workers share the campaign: each recipient gets exactly one text, at the rate;
  (c) worker b is killed with SIGKILL while it has a text in flight: the rate dips for a few
      seconds at most, nobody gets a text twice or none; b is then started again;
  (b) worker b's link goes down for 30 s while it has a text in flight: the same, and once b
      is back, nothing it had in flight reaches the provider as a second text.
Then each shared setting missing makes a worker or beat on a host refuse to start.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_lib
import requests
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from hotline.infra.db import get_db
from models import CampaignStatus, Recipient, Role, User
from notifications.campaigns.lease import SLOT_TTL
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    PG_URL,
    REDIS_URL,
    WEB_PASSWORD,
    csrf_from,
    wait_until,
)
from tests.netns_support import HostProcess, Network, namespaces_possible
from tests.test_one_clock_hosts import (
    SKEW_SECONDS,
    SKEWED_CELERY,
    add_audience,
    first_log_time,
    new_campaign,
    pending,
    status,
    worker_args,
)

pytestmark = pytest.mark.e2e
RECIPIENTS = 2000
RATE = 50.0  # segments per second for the sender, shared by every worker through Redis
LINK_DOWN_SECONDS = 30.0
# "A few seconds": a dead chain's slot falls free after SLOT_TTL, beat's watch (every 2 s)
# restarts it; anything near the 30 s outage or the 60 s stall check is a failure.
LONGEST_PAUSE = SLOT_TTL + 5.0
SETTINGS = {"CAMPAIGN_CHUNK_SIZE": "25", "CAMPAIGN_SEND_THREADS": "4",
            "CAMPAIGN_PARALLELISM": "2", "CAMPAIGN_RATE_PER_SECOND": str(RATE),
            "CAMPAIGN_BURST_SECONDS": "1", "CAMPAIGN_RECONCILE_AFTER_SECONDS": "3"}
FAKE_PORT, WEB_PORT = 8765, 8000  # inside their own namespace: nothing else listens there
# The fake Twilio as its own process; status callbacks off (6,000 of them, posted one at a
# time, would take longer than the campaign and tell nothing about who sent what). Armed, it
# holds worker b's next send for HOLD seconds before accepting it, and says so: the test cuts
# b off (or kills it) while b surely has a text in flight, whose reply b then never gets.
HOLD = 3.0
FAKE = r"""
import sys, threading, time
from flask import request
from devtools.fake_twilio import FakeTwilio
sid, token, host, port, b_name, hold = sys.argv[1:7]
fake = FakeTwilio(sid, token, callbacks_enabled=False)
armed, held = threading.Event(), threading.Event()

@fake.app.before_request
def hold_b():
    if (armed.is_set() and request.method == "POST" and request.path.endswith("Messages.json")
            and request.host.startswith(b_name + ":")):
        armed.clear()
        held.set()
        time.sleep(float(hold))

@fake.app.post("/_hosts/arm")
def arm():
    held.clear()
    armed.set()
    return {"armed": True}

@fake.app.get("/_hosts/held")
def is_held():
    return {"held": held.is_set()}

print("fake twilio at", fake.start(host, int(port)), flush=True)
while True:
    time.sleep(3600)
"""
# What a host's environment must not inherit from the test's.
PRIVATE = re.compile(r"^(HOTLINE_|DATABASE_URL|REDIS_URL|TWILIO_|PUBLIC_URL|SECRET_KEY|"
                     r"CAMPAIGN_|PYTEST_|TEST_)")


def free_port() -> int:
    """A port free on 127.0.0.1 now (processes mode: every host shares the loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """The running hosts and how to reach the fake Twilio from the test."""

    network: Network
    procs: dict[str, HostProcess]
    fake_url: str  # as the test (root namespace) reaches it
    web_url: str
    b_env: dict[str, str]
    base: Path

    def start_b(self, name: str) -> None:
        """(Re)start worker b on its host, its clock SKEW_SECONDS ahead, in a new folder."""
        self.procs[name] = self.procs["b"] = HostProcess(
            self.network, "b", f"worker-{name}",
            [sys.executable, "-c", SKEWED_CELERY, str(SKEW_SECONDS), "-A", "worker",
             *worker_args(name)], self.b_env, self.base)

    def sends(self, phones: set[str], since: float = 0.0) -> list[tuple[float, str, str]]:
        """(time, worker, To) of every text to `phones` the fake accepted, in time order."""
        records = requests.get(f"{self.fake_url}/_fake/requests", timeout=30).json()
        return sorted(
            (r["time"], "b" if r["headers"].get("Host", "").startswith(self.b_name) else "a",
             str(r["form"].get("To"))) for r in records
            if r["method"] == "POST" and r["path"].endswith("/Messages.json")
            and r["status"] == 201 and r["time"] >= since and r["form"].get("To") in phones)

    def console(self) -> requests.Session:
        """An admin signed in to the web host's console over the network, as staff would."""
        with get_db().begin() as s:
            admin = User(username="hosts-admin", role=Role.ADMIN)
            admin.set_password(WEB_PASSWORD)
            s.add(admin)
        browser = requests.Session()
        token = csrf_from(browser.get(f"{self.web_url}/login", timeout=30).text)
        signed_in = browser.post(f"{self.web_url}/login", timeout=30, data={
            "username": "hosts-admin", "password": WEB_PASSWORD, "csrf_token": token})
        assert signed_in.ok and "/login" not in signed_in.url, signed_in.url
        return browser

    def start(self, browser: requests.Session, campaign_id: int) -> None:
        """Press the campaign's start button in the console."""
        page = f"{self.web_url}/staff/campaigns/{campaign_id}"
        token = csrf_from(browser.get(page, timeout=30).text)
        done = browser.post(f"{page}/start", data={"csrf_token": token}, timeout=30)
        assert done.ok, done.status_code
        wait_until(lambda: status(campaign_id) != CampaignStatus.DRAFT, timeout=30,
                   message="the console to start the campaign")

    @property
    def b_name(self) -> str:
        """Worker b's name for the fake Twilio's host (a uses another one)."""
        return self.network.address["web-alias"] if self.network.mode == "netns" else "localhost"


def host_env(network: Network, database_url: str, extra: dict[str, str]) -> dict[str, str]:
    """A host's environment: the machine's own plus the shared settings, over the network."""
    data, fwd = network.data_address, network.forwarded
    db = make_url(database_url)
    db = db.set(host=data, port=fwd[db.port or 5432])
    redis_url = re.sub(r"//[^/]+/", f"//{data}:{fwd[6379]}/", REDIS_URL)
    env = {k: v for k, v in os.environ.items() if not PRIVATE.match(k)}
    return {**env, "DATABASE_URL": db.render_as_string(hide_password=False),
            "REDIS_URL": redis_url, "HOTLINE_PROVIDER": "twilio",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "HOTLINE_NUMBER": HOTLINE_NUMBER, "SECRET_KEY": "hosts-test-secret",
            **SETTINGS, **extra}


@pytest.fixture
def network() -> Iterator[Network]:
    """The test's own namespaces and veths (deleted at the end, even on failure), or the
    processes fallback, said loudly."""
    # HOTLINE_TEST_PROCESSES=1 runs the fallback on a machine that has namespaces.
    why_not = namespaces_possible() or (
        "HOTLINE_TEST_PROCESSES is set" if os.environ.get("HOTLINE_TEST_PROCESSES") else None)
    if why_not:
        print(f"\n*** NETWORK NAMESPACES UNAVAILABLE ({why_not}): hosts run as separate "
              "processes in the root namespace; a link down is a SIGSTOP ***")
    net = Network(use_namespaces=why_not is None)
    try:
        yield net
    finally:
        net.close()
        assert net.leftovers() == [], "namespaces left behind"


@pytest.fixture
def cluster(app: Flask, network: Network, tmp_path: Path) -> Iterator[Cluster]:
    """Fake Twilio + web on the web host, worker a + beat on host a, worker b (150 s ahead)
    on host b; each process in its own working directory with its own instance folder."""
    network.forward([("127.0.0.1", make_url(app.config["DATABASE_URL"]).port or 5432),
                     ("127.0.0.1", 6379)])
    netns = network.mode == "netns"
    procs: dict[str, HostProcess] = {}
    try:
        fake_port = FAKE_PORT if netns else 0
        b_name = network.address["web-alias"] if netns else "localhost"
        procs["fake"] = HostProcess(
            network, "web", "fake-twilio",
            [sys.executable, "-c", FAKE, ACCOUNT_SID, AUTH_TOKEN,
             "0.0.0.0" if netns else "127.0.0.1", str(fake_port), b_name, str(HOLD)],
            dict(os.environ), tmp_path)
        port = int(procs["fake"].wait_for_line(r"fake twilio at http://[^:]+:(\d+)", 60)[1])
        web_port = WEB_PORT if netns else free_port()
        web = network.address["web"]
        public = f"http://{web}:{web_port}"
        env = host_env(network, app.config["DATABASE_URL"], {
            "PUBLIC_URL": public, "TWILIO_API_URL": f"http://{web}:{port}"})
        b_env = {**env, "TWILIO_API_URL": f"http://{b_name}:{port}"}
        procs["web"] = HostProcess(network, "web", "web", [
            sys.executable, "-m", "gunicorn", "-b", f"{web}:{web_port}", "-w", "1",
            "--threads", "4", "--no-control-socket", "hotline:create_app()"], env, tmp_path)
        procs["a"] = HostProcess(network, "a", "worker-a",
                                 [sys.executable, "-m", "celery", "-A", "worker",
                                  *worker_args("a")], env, tmp_path)
        procs["beat"] = HostProcess(network, "a", "beat", [
            sys.executable, "-m", "celery", "-A", "worker", "beat", "--loglevel", "INFO",
            "-s", "beat-schedule"], env, tmp_path)
        cluster = Cluster(network, procs, f"http://{web}:{port}", public, b_env, tmp_path)
        cluster.start_b("b")
        yield cluster
    finally:
        for name, proc in procs.items():
            if name == "b":
                continue  # the same process as the last b1, b2...
            log = proc.stop()
            print(f"--- {name} ({proc.folder}) ---\n{log[-2500:]}")


@dataclass
class Measured:
    """What one campaign's sends show."""

    texts: int
    recipients: int
    duplicates: int
    missing: int
    rate: float  # texts per second while the bulk was sending, first second's burst excluded
    longest_pause: float  # between consecutive texts (from the fault, if any) in the bulk
    pause_at: float  # when it began, seconds after the fault (or the first text)
    by_worker: dict[str, int]
    tail: int  # texts after the last recipient left PENDING (reconciled stragglers)
    before: float = 0.0  # texts per second before the fault
    after: float = 0.0  # texts per second from the fault to the end of the bulk
    worst: float = 0.0  # the slowest 3 s window after the fault, texts per second
    around: str = ""  # texts in each second from 5 s before the fault to 15 s after

    def line(self, label: str) -> str:
        """One printable line."""
        fault = (f"; {self.before:.1f}/s before the fault, {self.after:.1f}/s after, slowest "
                 f"3 s after it {self.worst:.1f}/s; per second around it [{self.around}]"
                 if self.around else "")
        return (f"{label}: {self.texts} texts to {self.recipients} recipients, "
                f"{self.duplicates} duplicates, {self.missing} missing; {self.rate:.1f}/s "
                f"(throttle {RATE:.0f}/s), longest pause {self.longest_pause:.2f} s "
                f"from +{self.pause_at:.1f} s; "
                f"by worker {self.by_worker}; {self.tail} sent after the bulk{fault}")


def measure(sent: list[tuple[float, str, str]], phones: set[str], bulk_end: float,
            fault: float | None = None) -> Measured:
    """Count and time the texts; the pause and the dip are measured from the fault."""
    per_phone = Counter(to for _, _, to in sent)
    times = [t for t, _, _ in sent]
    bulk = [t for t in times if t <= bulk_end]
    watched = bulk if fault is None else [fault, *(t for t in bulk if t >= fault)]
    span = bulk[-1] - bulk[0]
    gaps = [(b - a, a - watched[0]) for a, b in zip(watched, watched[1:], strict=False)]
    pause, pause_at = max(gaps, default=(0.0, 0.0))
    measured = Measured(
        texts=len(sent), recipients=len(per_phone),
        duplicates=sum(n - 1 for n in per_phone.values()),
        missing=len(phones - set(per_phone)),
        rate=(len(bulk) - RATE) / span if span > 0 else 0.0,
        longest_pause=pause, pause_at=pause_at,
        by_worker=dict(Counter(w for _, w, _ in sent)), tail=len(times) - len(bulk))
    if fault is not None and bulk[-1] > fault + 3:
        early = [t for t in bulk if t < fault]
        measured.before = (len(early) - RATE) / max(fault - bulk[0], 1.0)
        measured.after = (len(watched) - 1) / (bulk[-1] - fault)
        measured.worst = min(sum(1 for t in watched[1:] if s <= t < s + 3) / 3 for s in (
            fault + i * 0.5 for i in range(int((bulk[-1] - fault - 3) * 2) + 1)))
        per_second = Counter(int(t - fault + 5) for t in bulk if fault - 5 <= t < fault + 15)
        measured.around = " ".join(str(per_second.get(i, 0)) for i in range(20))
    return measured


def phones_of(first: int) -> set[str]:
    """The numbers add_audience gives recipients first..first+RECIPIENTS."""
    return {f"+86137{i:08d}" for i in range(first, first + RECIPIENTS)}


def run_until_done(campaign_id: int, timeout: float) -> float:
    """Wait for the campaign to finish (beat's own tick reconciles stragglers); return when
    its last recipient left PENDING."""
    bulk_end: list[float] = []

    def done() -> bool:
        if not bulk_end and pending(campaign_id) == 0 and recipient_counts(campaign_id):
            bulk_end.append(time.time())
        return status(campaign_id) == CampaignStatus.DONE

    wait_until(done, timeout=timeout, interval=0.25, message=f"campaign {campaign_id} to finish")
    return bulk_end[0] if bulk_end else time.time()


def recipient_counts(campaign_id: int) -> dict[str, int]:
    """Recipients of the campaign by status."""
    with get_db().begin() as s:
        return {str(k.value if hasattr(k, "value") else k): int(v) for k, v in s.execute(
            select(Recipient.status, func.count()).where(Recipient.campaign_id == campaign_id)
            .group_by(Recipient.status)).all()}


def sessions_stuck() -> list[str]:
    """Sessions on campaigns now waiting for a lock or idle inside a transaction, with what
    they last ran (the statement text only; other tests' sessions may show too)."""
    with get_db().begin() as s:
        rows = s.execute(text(
            "SELECT state, wait_event_type, now() - state_change, left(query, 90) "
            "FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = "
            "current_database() AND (state = 'idle in transaction' OR "
            "wait_event_type = 'Lock') AND (query ILIKE '%recipients%' OR query ILIKE "
            "'%campaigns%')")).all()
    return [f"{state}/{wait or '-'} {age.total_seconds():.0f}s: {query}"
            for state, wait, age, query in rows]


def catch_b_sending(cluster: Cluster, phones: set[str], began: float) -> None:
    """After 300 texts, until worker b has a text in flight (the fake holds it)."""
    wait_until(lambda: len(cluster.sends(phones, began)) >= 300, timeout=90, interval=0.2,
               message="300 texts sent")
    requests.post(f"{cluster.fake_url}/_hosts/arm", timeout=10).raise_for_status()
    wait_until(lambda: requests.get(f"{cluster.fake_url}/_hosts/held", timeout=10).json()[
        "held"], timeout=60, interval=0.02, message="worker b's next send")


@pytest.mark.timeout(600)
@pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)  # one database, many hosts
def test_hosts_skewed_cut_off_and_killed_send_each_text_once_at_the_rate(
        app: Flask, cluster: Cluster, redis_client: redis_lib.Redis) -> None:
    started, started_at = time.monotonic(), time.time()
    net = cluster.network
    app.config.update({k: float(v) for k, v in SETTINGS.items() if "CHUNK" not in k})
    first = {"skew": 0, "link": 100_000, "kill": 200_000}
    campaigns = {}
    for name, start in first.items():
        add_audience(name, start, RECIPIENTS)
        campaigns[name] = new_campaign(name)
    celery = app.extensions["celery"]
    wait_until(lambda: len(celery.control.ping(timeout=0.5) or []) >= 2, timeout=120,
               interval=0.2, message="both workers to answer")
    wait_until(lambda: requests.get(f"{cluster.web_url}/login", timeout=5).ok, timeout=60,
               interval=0.5, message="the web host to answer")
    console = cluster.console()
    print(f"\n[{net.mode}] hosts up in {time.monotonic() - started:.1f} s; "
          f"namespaces {sorted(net.namespaces.values()) or 'none'}")
    if net.mode == "netns":  # the hosts really are cut off from the machine's loopback
        assert not net.reachable("b", "127.0.0.1", 6379), "host b reached the root's Redis"
        assert net.reachable("b", net.data_address, net.forwarded[6379])

    # (a) Worker b's clock runs minutes ahead; both workers share the campaign.
    phones = phones_of(first["skew"])
    t0 = time.monotonic()
    cluster.start(console, campaigns["skew"])
    bulk_end = run_until_done(campaigns["skew"], timeout=RECIPIENTS / RATE * 3 + 30)
    skew = measure(cluster.sends(phones), phones, bulk_end)
    print(skew.line(f"(a) b {SKEW_SECONDS:.0f} s ahead") +
          f"; {time.monotonic() - t0:.0f} s wall")
    assert (skew.duplicates, skew.missing) == (0, 0), recipient_counts(campaigns["skew"])
    assert skew.by_worker.get("b", 0) > RECIPIENTS / 10, "the skewed worker took its share"
    assert skew.rate <= RATE * 1.15, "the shared throttle held"
    # Countdown ETAs on the skewed clock made it crawl at ~3 % of the rate; a busy machine
    # may not reach the full rate, so only a crawl fails.
    assert skew.rate >= RATE * 0.3, "not slowed by the skewed clock"

    # (c) Mid-campaign, worker b is killed without a word.
    phones = phones_of(first["kill"])
    t0 = time.monotonic()
    began = time.time()
    cluster.start(console, campaigns["kill"])
    catch_b_sending(cluster, phones, began)
    cluster.procs["b"].kill()
    killed = time.time()
    bulk_end = run_until_done(campaigns["kill"], timeout=RECIPIENTS / RATE * 3 + 60)
    kill = measure(cluster.sends(phones), phones, bulk_end, fault=killed)
    print(kill.line("(c) b killed -9") + f"; {time.monotonic() - t0:.0f} s wall")
    assert (kill.duplicates, kill.missing) == (0, 0), recipient_counts(campaigns["kill"])
    assert kill.longest_pause < LONGEST_PAUSE, "the killed host's work was taken over at once"
    # The text the fake held was accepted (its request had arrived) as b died; none after.
    assert not [t for t, w, _ in cluster.sends(phones, killed + HOLD + 1) if w == "b"]
    skewed_log = cluster.procs["b"].log()

    # Worker b comes back (a new process on the same host) for the next fault.
    cluster.start_b("b2")
    wait_until(lambda: len(celery.control.ping(timeout=0.5) or []) >= 2, timeout=120,
               interval=0.2, message="worker b to come back")

    # (b) Mid-campaign, worker b's host loses its network for 30 s.
    phones = phones_of(first["link"])
    t0 = time.monotonic()
    began = time.time()
    cluster.start(console, campaigns["link"])
    catch_b_sending(cluster, phones, began)
    how = net.link("b", up=False, process=cluster.procs["b"].process)
    cut = time.time()
    time.sleep(LINK_DOWN_SECONDS / 2)
    print(f"(b) sessions waiting or idle in a transaction, mid-outage: {sessions_stuck()}")
    time.sleep(max(0.0, cut + LINK_DOWN_SECONDS - time.time()))
    asked = time.time()
    net.link("b", up=True, process=cluster.procs["b"].process)
    back = time.time()
    print(f"(b) {how} while the fake held its send, up again after {back - cut:.1f} s "
          f"(bringing it up took {back - asked:.1f} s)")
    bulk_end = run_until_done(campaigns["link"], timeout=RECIPIENTS / RATE * 3 + 60)
    link = measure(cluster.sends(phones), phones, bulk_end, fault=cut)
    rejoined = [t for t, w, _ in cluster.sends(phones, back) if w == "b"]
    print(link.line(f"(b) b's link down {LINK_DOWN_SECONDS:.0f} s") +
          f"; {time.monotonic() - t0:.0f} s wall; b sent {len(rejoined)} after its link came "
          "back" + (f", the first {rejoined[0] - back:.1f} s after" if rejoined else ""))
    assert (link.duplicates, link.missing) == (0, 0), recipient_counts(campaigns["link"])
    assert link.longest_pause < LONGEST_PAUSE, "the cut-off host's work was taken over at once"

    # Worker b, back on the network, finishes what it was doing when cut off (its TCP
    # retransmissions back off for up to two minutes): nothing it still had in flight may
    # reach the provider as a second text.
    b_node = [f"b2@{socket.gethostname()}"]
    wait_until(lambda: celery.control.ping(destination=b_node, timeout=1.0), timeout=240,
               interval=1.0, message="worker b to answer after its link came back")
    answered = time.time()
    fake_port = int(cluster.fake_url.rsplit(":", 1)[1])
    wait_until(lambda: net.unsent_to("b", fake_port) == 0, timeout=240, interval=1.0,
               message="b's kernel to deliver (or drop) what it still held for the fake")
    drained = time.time()
    everyone = phones_of(first["skew"]) | phones_of(first["link"]) | phones_of(first["kill"])
    late = Counter(to for _, _, to in cluster.sends(everyone))
    print(f"(b) b answered again {answered - back:.0f} s after its link came back, nothing "
          f"left in flight after {drained - back:.0f} s; texts after the campaign ended: "
          f"{len(cluster.sends(everyone, bulk_end))}")
    assert [n for n in late.values() if n > 1] == [], "a late send from b went out twice"

    assert first_log_time(skewed_log) > started_at + 60, "b's clock ran ahead"
    assert "Traceback" not in cluster.procs["a"].log(), cluster.procs["a"].log()[-3000:]
    print(f"[{net.mode}] whole test {time.monotonic() - started:.0f} s")


# A worker lacking each shared setting, and a beat lacking Redis (it would start its own and
# send every sweep and tick there); beat checks with the same code as the worker.
REFUSALS = [("worker", "DATABASE_URL"), ("worker", "REDIS_URL"), ("worker", "PUBLIC_URL"),
            ("beat", "REDIS_URL")]


@pytest.mark.timeout(300)
def test_a_worker_or_beat_host_missing_a_shared_setting_refuses_to_start(
        network: Network, tmp_path: Path) -> None:
    network.forward([("127.0.0.1", make_url(PG_URL).port or 5432), ("127.0.0.1", 6379)])
    # Real Twilio (no TWILIO_API_URL): its delivery reports need a public PUBLIC_URL.
    env = host_env(network, PG_URL, {"PUBLIC_URL": "https://hotline.example.org"})
    started = time.monotonic()
    procs = {(role, missing): HostProcess(
        network, "a" if role == "beat" else "b", f"{role}-without-{missing.lower()}",
        [sys.executable, "-m", "celery", "-A", "worker",
         *(worker_args(f"refusing{n}") if role == "worker" else ["beat", "-s", "schedule"])],
        {k: v for k, v in env.items() if k != missing}, tmp_path)
        for n, (role, missing) in enumerate(REFUSALS)}
    try:
        for (role, missing), proc in procs.items():
            code = proc.process.wait(timeout=240)
            out = proc.log()
            said = [line for line in out.splitlines() if "is not set" in line]
            print(f"[{network.mode}] {role} without {missing}: exit {code}, {said}")
            assert code == 2, out[-2000:]
            assert f"celery {role} refuses to start" in out and f"{missing} is not set" in out
            assert not any((proc.folder / "instance").iterdir()), "no database file of its own"
    finally:
        for proc in procs.values():
            proc.stop()
    print(f"[{network.mode}] {len(procs)} refusals in {time.monotonic() - started:.0f} s")
