"""Inbound-SMS webhook and status-callback throughput against a bare Flask baseline.

Both apps run under the same gunicorn (2 sync workers) and take the same load from the same
generator, wrk (1 thread, 8 connections, pre-signed requests, each MessageSid once; see
benchmarks/wrk.py). The webhook stores each text (receipt and message, one commit) and
enqueues its reading (counted: one task per text); a real Celery worker then reads what each
path stored, with the web server idle, and its rate is reported beside the webhook's. Two
paths are measured, as their reading differs in work:
- a worker's FIRST text naming a problem: contact, implied consent, the text read for its
  meaning, a case opened, the first intake question texted back;
- a text from a worker whose case a volunteer already has: message, timeline and forward to
  the volunteer.
The baseline parses the form and returns constant TwiML (204 for a status callback).
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis
from sqlalchemy import func, insert, select
from twilio.request_validator import RequestValidator

from benchmarks.loadgen import FORM, PreparedRequest, run_load
from benchmarks.servers import gunicorn, start_worker
from benchmarks.wrk import run_wrk
from hotline.consent import TEXTED_HOTLINE
from hotline.infra.db import Database
from hotline.infra.migrate import upgrade
from hotline.infra.queues import broker_keys
from models import (
    Case,
    CaseCategory,
    CaseStatus,
    Contact,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    Volunteer,
)
from models.base import utcnow

AUTH_TOKEN = "bench-auth-token-0123456789"
PUBLIC_URL = "https://bench.hotline.example"
HOTLINE_NUMBER = "+8610086000000"
# Every text differs (a sum of money, a count), as real texts do: the hotline remembers the
# last few readings of a text, and five repeated bodies would be read once and then recalled.
BODIES = ["老板拖欠我{months}个月工资，一共{amount}块",
          "工地上摔伤了，老板不给看病，垫了{amount}元",
          "My boss has not paid us {amount} yuan", "我们{people}个工友都没拿到工资，每人{amount}元",
          "合同到期被辞退，没有补偿，月薪{amount}"]


def body(i: int) -> str:
    """The i-th text's words: one of BODIES with its own figures."""
    return BODIES[i % len(BODIES)].format(months=1 + i % 11, amount=3000 + i, people=3 + i % 30)


@dataclass(frozen=True)
class Sizes:
    """How much load one benchmark run sends."""

    sms: int  # fresh signed texts prepared per webhook path (each sent at most once)
    status_messages: int  # each gets two callbacks: sent, then delivered
    warmup: int
    seconds: float  # each wrk run stops after this long, or when its requests run out
    baseline_cycles: bool  # the stateless baseline replays its requests for the whole time
    concurrency: int = 4  # the warm-up's clients


# The smoke sends every prepared request (exact counts are checked); a full run is bounded by
# time, with more requests prepared than the hotline can take in it.
SMALL = Sizes(sms=300, status_messages=200, warmup=20, seconds=120, baseline_cycles=False)
FULL = Sizes(sms=12_000, status_messages=8_000, warmup=200, seconds=15, baseline_cycles=True)


def signed(path: str, form: dict[str, str], extra: dict[str, str] | None = None
           ) -> PreparedRequest:
    """A POST signed like Twilio for PUBLIC_URL + path."""
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return PreparedRequest(path, urlencode(form).encode(),
                           {"Content-Type": FORM, "X-Twilio-Signature": sig, **(extra or {})})


NEW_WORKERS = "+86136"  # the measured first texts come from these numbers
WARM_NEW_WORKERS = "+86133"  # the warm-up's first texts: not counted with the measured ones
SENDERS = 1000  # workers with an assigned case; their texts are forwarded to the volunteer
ENQUEUE_QUEUES = ("urgent", "intake", "send")


def sms_requests(n: int, prefix: str, senders: int | None = SENDERS, first: int = 0,
                 new_numbers: str = NEW_WORKERS) -> list[PreparedRequest]:
    """`n` inbound texts: from `senders` workers with an assigned case (each text continues
    it), or with `senders=None` each from a new worker (a first text that opens a case; the
    new workers' numbers are `new_numbers` followed by eight digits counting from `first`)."""
    out = []
    for i in range(n):
        sid = f"SM{prefix}{i:0{32 - len(prefix)}d}"
        sender = f"+86135{i % senders:08d}" if senders else f"{new_numbers}{first + i:08d}"
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "b" * 32,
                "From": sender, "To": HOTLINE_NUMBER,
                "Body": body(i), "NumMedia": "0", "ApiVersion": "2010-04-01"}
        out.append(signed("/twilio/sms", form, {"I-Twilio-Idempotency-Token": sid}))
    return out


def status_requests(messages: list[tuple[int, str]]) -> list[PreparedRequest]:
    """A 'sent' then a 'delivered' callback for each (id, SID), as Twilio posts them (with the
    idempotency token it puts on every webhook, so the receipt is written as in production)."""
    out = []
    for status in ("sent", "delivered"):
        for msg_id, sid in messages:
            form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                    "AccountSid": "AC" + "b" * 32, "To": "+8613900000001",
                    "From": HOTLINE_NUMBER, "ApiVersion": "2010-04-01"}
            out.append(signed(f"/twilio/status?m={msg_id}", form,
                              {"I-Twilio-Idempotency-Token": f"{sid}-{status}"}))
    return out


def seed_outbound(db_url: str, n: int) -> list[tuple[int, str]]:
    """Insert `n` accepted outbound messages with SIDs; return their (id, SID)."""
    db = Database(db_url)
    rows = [{"direction": Direction.OUTBOUND, "purpose": Purpose.OFFER,
             "status": MessageStatus.ACCEPTED, "provider_sid": f"SMst{i:030d}",
             "from_number": HOTLINE_NUMBER, "to_number": "+8613900000001", "body": "新案件",
             "media_urls": []} for i in range(n)]
    with db.begin() as session:
        session.execute(insert(Message), rows)
        found = session.execute(select(Message.id, Message.provider_sid)
                                .where(Message.provider_sid.like("SMst%"))).all()
    db.engine.dispose()
    return [(mid, str(sid)) for mid, sid in found]


def seed_assigned_cases(db_url: str, senders: int = SENDERS) -> None:
    """Each sender has a case a volunteer works on: their texts are forwarded (and enqueued).

    They texted the hotline before (that opened the case), so their implied consent is on
    record already, as it would be: a follow-up writes no consent row."""
    db = Database(db_url)
    with db.begin() as session:
        volunteers = [Volunteer(name=f"v{i}", phone=f"+86139{i:08d}", languages=["zh"],
                                capacity=10_000, on_duty=True) for i in range(10)]
        session.add_all(volunteers)
        contacts = [Contact(phone=f"+86135{i:08d}", language="zh", consent_at=utcnow(),
                            consent_source=TEXTED_HOTLINE) for i in range(senders)]
        session.add_all(contacts)
        session.flush()
        for i, contact in enumerate(contacts):
            case = Case(contact_id=contact.id, status=CaseStatus.ASSIGNED,
                        category=CaseCategory.WAGES, summary="欠薪",
                        assigned_volunteer_id=volunteers[i % len(volunteers)].id)
            session.add(case)
            session.flush()
            case.assign_number()
    db.engine.dispose()


def count_rows(db_url: str) -> dict[str, int]:
    """Rows the runs wrote: measured inbound texts, forwards, cases, messages delivered."""
    db = Database(db_url)
    with db.begin() as s:
        inbound = s.scalar(select(func.count()).select_from(Message).where(
            Message.provider_sid.like("SMrun%") | Message.provider_sid.like("SMnew%"))) or 0
        delivered = s.scalar(select(func.count()).select_from(Message).where(
            Message.provider_sid.like("SMst%"), Message.status == MessageStatus.DELIVERED)) or 0
        cases = s.scalar(select(func.count()).select_from(Case)) or 0
        forwarded = s.scalar(select(func.count()).select_from(Message).where(
            Message.purpose == Purpose.RELAY)) or 0
        opened = s.scalar(select(func.count()).select_from(Case).join(Contact).where(
            Contact.phone.like("+86136%"))) or 0
    db.engine.dispose()
    return {"inbound_messages": inbound, "cases": cases, "forwarded_to_volunteers": forwarded,
            "delivered_messages": delivered, "cases_opened_by_first_texts": opened}


def queued_tasks(redis_url: str) -> int:
    """Tasks waiting in the broker (nothing consumes them here: proof that webhooks enqueued)."""
    client = redis.Redis.from_url(redis_url)
    lengths: list[int] = [client.llen(key) for q in ENQUEUE_QUEUES  # type: ignore[misc]
                          for key in broker_keys(q)]
    return sum(lengths)


def hotline_env(db_url: str, redis_url: str, instance: str) -> dict[str, str]:
    """The environment the hotline app reads, as in production."""
    return {"DATABASE_URL": db_url, "REDIS_URL": redis_url, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": PUBLIC_URL, "HOTLINE_PROVIDER": "console",
            "HOTLINE_NUMBER": HOTLINE_NUMBER, "HOTLINE_INSTANCE": instance,
            "SECRET_KEY": "bench"}


PATHS = ("first_text", "assigned_case", "status_callbacks")


def requests_for(sizes: Sizes, messages: list[tuple[int, str]]) -> dict[str, list[PreparedRequest]]:
    """The prepared requests of each measured path (the same for baseline and hotline)."""
    return {"first_text": sms_requests(sizes.sms, "new", senders=None),
            "assigned_case": sms_requests(sizes.sms, "run"),
            "status_callbacks": status_requests(messages)}


def unread(db_url: str) -> int:
    """Texts the webhook stored that no worker has read yet."""
    db = Database(db_url)
    with db.begin() as s:
        n = s.scalar(select(func.count()).select_from(Message).where(
            Message.status == MessageStatus.ARRIVED)) or 0
    db.engine.dispose()
    return n


@dataclass
class Reader:
    """How the stored texts get read: a real Celery worker on the intake queue."""

    db_url: str
    env: dict[str, str]
    workdir: Path
    concurrency: int = 2

    def read_all(self, timeout: float = 900.0) -> dict[str, Any]:
        """Start a worker, wait until every stored text is read, stop it: texts read per
        second from its first read to its last (its start-up not counted)."""
        waiting = unread(self.db_url)
        with open(self.workdir / "reader.log", "ab") as log:
            worker = start_worker("intake", self.concurrency, "reader", self.env, log)
            try:
                first: float | None = None
                deadline = time.monotonic() + timeout
                left = waiting
                while left and time.monotonic() < deadline:
                    time.sleep(0.05)
                    left = unread(self.db_url)
                    if first is None and left < waiting:
                        first = time.monotonic()
                done = time.monotonic()
            finally:
                worker.terminate()
                worker.wait(timeout=60)
        done_reading = waiting - left
        span = done - first if first is not None else 0.0
        return {"texts": waiting, "texts_read": done_reading, "seconds": round(span, 2),
                "texts_per_s": (round((done_reading - 1) / span, 1)
                                if span > 0 and done_reading > 1 else None),
                "worker_concurrency": self.concurrency}


def measure(url: str, sizes: Sizes, prepared: dict[str, list[PreparedRequest]], *,
            stateless: bool, redis_url: str | None = None, warm_run: int = 0,
            reader: Reader | None = None) -> dict[str, Any]:
    """Warm up, then one wrk run per prepared path against one server (the baseline may
    cycle). `warm_run` numbers the warm-up, so that servers sharing a database each warm up
    with texts of their own. With a `reader`, the texts each SMS path stored are then read
    by a real worker (the web server idle meanwhile), and its rate reported."""
    # Both kinds of text, so that each gunicorn worker has loaded what a first text needs
    # (the flows, the catalogues, the place names) before the clock starts.
    warm = [*sms_requests(sizes.warmup, f"warm{warm_run}"),
            *sms_requests(sizes.warmup, f"warmnew{warm_run}", senders=None,
                          new_numbers=WARM_NEW_WORKERS, first=warm_run * 100_000)]
    run_load(url, warm, concurrency=sizes.concurrency, time_limit=60)
    if reader is not None:
        reader.read_all()  # the warm-up's texts, not counted
    out: dict[str, Any] = {}
    for path in prepared:
        before = queued_tasks(redis_url) if redis_url else 0
        out[path] = run_wrk(url, prepared[path], seconds=sizes.seconds,
                            cycle=stateless and sizes.baseline_cycles)
        if redis_url:
            out[path]["tasks_enqueued"] = queued_tasks(redis_url) - before
        if reader is not None and path in SMS_PATHS:
            out[path]["reading"] = reader.read_all()
    return out


def ratio(app: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    """Hotline throughput as a fraction of the baseline's, and its latency as a multiple."""
    def div(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {"throughput": div(app["req_per_s"], base["req_per_s"]),
            "p50": div(app["p50_ms"], base["p50_ms"]), "p99": div(app["p99_ms"], base["p99_ms"])}


def bench_database(db_url: str, redis_url: str, sizes: Sizes) -> dict[str, Any]:
    """Every path on one database: baseline first, then the hotline, same requests."""
    messages = seed_outbound(db_url, sizes.status_messages)
    seed_assigned_cases(db_url)
    prepared = requests_for(sizes, messages)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        with gunicorn("benchmarks.bare_app:create_bare_app()", {}, work) as bare:
            baseline = measure(bare.url, sizes, prepared, stateless=True)
        env = hotline_env(db_url, redis_url, str(work / "instance"))
        with gunicorn("hotline:create_app()", env, work) as app:
            hotline = measure(app.url, sizes, prepared, stateless=False, redis_url=redis_url,
                              reader=Reader(db_url, env, work))
    out: dict[str, Any] = {
        path: {"hotline": hotline[path], "baseline": baseline[path],
               "ratio": ratio(hotline[path], baseline[path])} for path in PATHS}
    out["checks"] = {**count_rows(db_url), "status_messages": sizes.status_messages}
    if db_url.startswith("sqlite"):
        with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
            out["sqlite_workers"] = sqlite_workers(redis_url, sizes, Path(tmp))
    return out


def pg_server_url() -> str:
    """The PostgreSQL server the benchmark may create a schema on."""
    return os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


SMS_PATHS = ("first_text", "assigned_case")


def sqlite_workers(redis_url: str, sizes: Sizes, workdir: Path) -> dict[str, Any]:
    """SQLite lets one writer in at a time: the SMS webhook under `gunicorn -w 1`, then `-w 2`,
    on one fresh database with the same load (each run its own new workers and SIDs). The
    goal: p99 with two workers no worse than with one."""
    db_url = f"sqlite:///{workdir / 'workers.db'}"
    upgrade(db_url)
    seed_assigned_cases(db_url)
    runs: dict[str, Any] = {}
    for workers in (1, 2):
        prepared = {"first_text": sms_requests(sizes.sms, f"w{workers}new", senders=None,
                                               first=workers * 1_000_000),
                    "assigned_case": sms_requests(sizes.sms, f"w{workers}run")}
        env = hotline_env(db_url, redis_url, str(workdir / f"instance-{workers}"))
        with gunicorn("hotline:create_app()", env, workdir, workers=workers) as app:
            runs[f"workers_{workers}"] = measure(app.url, sizes, prepared, stateless=False,
                                                 warm_run=workers)
    one, two = runs["workers_1"], runs["workers_2"]
    runs["p99_two_over_one"] = {
        path: round(two[path]["p99_ms"] / one[path]["p99_ms"], 2) if one[path]["p99_ms"]
        else None for path in SMS_PATHS}
    return runs
