"""Inbound-SMS webhook and status-callback throughput against a bare Flask baseline.

Both apps run under the same gunicorn (2 sync workers) and take the same load from the same
generator. Every measured text comes from a worker whose case a volunteer already has, so the
hotline verifies the Twilio signature, writes message/timeline/forward in one transaction and
enqueues the forward's send task to a real Redis (counted: one per text); the baseline returns
constant TwiML.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import redis
from sqlalchemy import func, insert, select
from twilio.request_validator import RequestValidator

from benchmarks.loadgen import FORM, PreparedRequest, run_load
from benchmarks.servers import gunicorn
from hotline.db import Database
from hotline.queues import broker_keys
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

AUTH_TOKEN = "bench-auth-token-0123456789"
PUBLIC_URL = "https://bench.hotline.example"
HOTLINE_NUMBER = "+8610086000000"
BODIES = ["老板拖欠我三个月工资，一共八千块", "工地上摔伤了，老板不给看病",
          "My boss has not paid us", "我们二十个工友都没拿到工资", "合同到期被辞退，没有补偿"]


@dataclass(frozen=True)
class Sizes:
    """How much load one benchmark run sends."""

    sms: int
    status_messages: int  # each gets two callbacks: sent, then delivered
    warmup: int
    time_limit: float
    concurrency: int = 4


SMALL = Sizes(sms=200, status_messages=100, warmup=20, time_limit=60)
FULL = Sizes(sms=4000, status_messages=2000, warmup=100, time_limit=120)


def signed(path: str, form: dict[str, str], extra: dict[str, str] | None = None
           ) -> PreparedRequest:
    """A POST signed like Twilio for PUBLIC_URL + path."""
    sig = RequestValidator(AUTH_TOKEN).compute_signature(PUBLIC_URL + path, form)
    return PreparedRequest(path, urlencode(form).encode(),
                           {"Content-Type": FORM, "X-Twilio-Signature": sig, **(extra or {})})


SENDERS = 1000  # workers with an assigned case; their texts are forwarded to the volunteer
ENQUEUE_QUEUES = ("urgent", "intake", "send")


def sms_requests(n: int, prefix: str, senders: int = SENDERS) -> list[PreparedRequest]:
    """`n` inbound texts from `senders` workers (each continues their assigned case)."""
    out = []
    for i in range(n):
        sid = f"SM{prefix}{i:0{32 - len(prefix)}d}"
        form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": "AC" + "b" * 32,
                "From": f"+86135{i % senders:08d}", "To": HOTLINE_NUMBER,
                "Body": BODIES[i % len(BODIES)], "NumMedia": "0", "ApiVersion": "2010-04-01"}
        out.append(signed("/twilio/sms", form, {"I-Twilio-Idempotency-Token": sid}))
    return out


def status_requests(messages: list[tuple[int, str]]) -> list[PreparedRequest]:
    """A 'sent' then a 'delivered' callback for each (id, SID), as Twilio posts them."""
    out = []
    for status in ("sent", "delivered"):
        for msg_id, sid in messages:
            form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status,
                    "AccountSid": "AC" + "b" * 32, "To": "+8613900000001",
                    "From": HOTLINE_NUMBER, "ApiVersion": "2010-04-01"}
            out.append(signed(f"/twilio/status?m={msg_id}", form))
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
    """Each sender has a case a volunteer works on: their texts are forwarded (and enqueued)."""
    db = Database(db_url)
    with db.begin() as session:
        volunteers = [Volunteer(name=f"v{i}", phone=f"+86139{i:08d}", languages=["zh"],
                                capacity=10_000, on_duty=True) for i in range(10)]
        session.add_all(volunteers)
        contacts = [Contact(phone=f"+86135{i:08d}", language="zh") for i in range(senders)]
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
            Message.provider_sid.like("SMrun%"))) or 0
        delivered = s.scalar(select(func.count()).select_from(Message).where(
            Message.provider_sid.like("SMst%"), Message.status == MessageStatus.DELIVERED)) or 0
        cases = s.scalar(select(func.count()).select_from(Case)) or 0
        forwarded = s.scalar(select(func.count()).select_from(Message).where(
            Message.purpose == Purpose.RELAY)) or 0
    db.engine.dispose()
    return {"inbound_messages": inbound, "cases": cases, "forwarded_to_volunteers": forwarded,
            "delivered_messages": delivered}


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


def measure(url: str, sizes: Sizes, sms: list[PreparedRequest],
            status: list[PreparedRequest], redis_url: str | None = None) -> dict[str, Any]:
    """Warm up, then the SMS run and the status-callback run against one server."""
    run_load(url, sms_requests(sizes.warmup, "warm"), concurrency=sizes.concurrency,
             time_limit=sizes.time_limit)
    before = queued_tasks(redis_url) if redis_url else 0
    sms_run = run_load(url, sms, concurrency=sizes.concurrency, time_limit=sizes.time_limit)
    enqueued = queued_tasks(redis_url) - before if redis_url else 0
    status_run = run_load(url, status, concurrency=sizes.concurrency,
                          time_limit=sizes.time_limit)
    return {"sms": sms_run.summary(), "status": status_run.summary(), "enqueued": enqueued}


def ratio(app: dict[str, Any], base: dict[str, Any]) -> dict[str, float | None]:
    """Hotline throughput as a fraction of the baseline's, and its latency as a multiple."""
    def div(a: float, b: float) -> float | None:
        return round(a / b, 3) if b else None

    return {"throughput": div(app["req_per_s"], base["req_per_s"]),
            "p50": div(app["p50_ms"], base["p50_ms"]), "p99": div(app["p99_ms"], base["p99_ms"])}


def bench_database(db_url: str, redis_url: str, sizes: Sizes) -> dict[str, Any]:
    """Both benchmarks on one database: baseline first, then the hotline."""
    messages = seed_outbound(db_url, sizes.status_messages)
    seed_assigned_cases(db_url)
    sms, status = sms_requests(sizes.sms, "run"), status_requests(messages)
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        work = Path(tmp)
        with gunicorn("benchmarks.bare_app:create_bare_app()", {}, work) as bare:
            baseline = measure(bare.url, sizes, sms, status)
        env = hotline_env(db_url, redis_url, str(work / "instance"))
        with gunicorn("hotline:create_app()", env, work) as app:
            hotline = measure(app.url, sizes, sms, status, redis_url)
    return {
        "webhook": {"hotline": hotline["sms"], "baseline": baseline["sms"],
                    "ratio": ratio(hotline["sms"], baseline["sms"])},
        "status_callbacks": {"hotline": hotline["status"], "baseline": baseline["status"],
                             "ratio": ratio(hotline["status"], baseline["status"])},
        "checks": {**count_rows(db_url), "tasks_enqueued_by_measured_sms": hotline["enqueued"],
                   "sms_sent": sizes.sms, "status_messages": sizes.status_messages},
    }


def pg_server_url() -> str:
    """The PostgreSQL server the benchmark may create a schema on."""
    return os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
