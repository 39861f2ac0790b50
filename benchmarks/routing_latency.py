"""Case-to-offer latency at 20 cases/s through a real Celery worker (p50/p95/p99).

A case is committed and `route_case` enqueued, as the intake does; the latency runs until the
offer SMS was accepted by the (fake) Twilio server and recorded. The baseline, measured in
the same run at the same rate, is the bare send path: a committed message and its send task.

    .venv/bin/python benchmarks/routing_latency.py [--seconds 10] [--rate 20] [--db sqlite]

Needs PostgreSQL (TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test) or
--db sqlite, and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/11, flushed).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import redis
from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hotline import create_app  # noqa: E402
from hotline.db import get_db  # noqa: E402
from hotline.migrate import upgrade  # noqa: E402
from hotline.queues import SEND, enqueue  # noqa: E402
from hotline.routing import queue_sms, route_case  # noqa: E402
from models import (  # noqa: E402
    Case,
    CaseCategory,
    Contact,
    Message,
    MessageStatus,
    Purpose,
    Volunteer,
)
from notifications.fake_twilio import FakeTwilio  # noqa: E402
from notifications.send import send_message  # noqa: E402

ACCOUNT, TOKEN = "AC" + "b" * 32, "bench-token"


def database(kind: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """A fresh migrated database URL and its cleanup."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        return url, lambda: None
    server = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"bench{os.getpid()}"
    engine = create_engine(server)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"))
    url = f"{server}?options=-csearch_path%3D{schema}"
    upgrade(url)

    def drop() -> None:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))

    return url, drop


def paced(n: int, rate: float, step: Callable[[int], None]) -> None:
    """Call step(i) n times at `rate` per second (absolute schedule, no drift)."""
    start = time.perf_counter()
    for i in range(n):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        step(i)


def new_case(i: int) -> None:
    """Commit one wages case and enqueue its routing, as the intake does."""
    with get_db().begin() as s:
        contact = Contact(phone=f"+86137{i:08d}", home_province="河南")
        s.add(contact)
        s.flush()
        case = Case(contact_id=contact.id, category=CaseCategory.WAGES, work_city="深圳",
                    work_province="广东", people_affected=1 + i % 5)
        s.add(case)
        s.flush()
        case.assign_number()
        case_id = case.id
    enqueue(route_case, case_id)


def new_message(i: int) -> None:
    """Baseline: commit one queued SMS and enqueue its send task."""
    with get_db().begin() as s:
        mid = queue_sms(s, to=f"+86136{i:08d}", body="基线", purpose=Purpose.ALERT).id
    enqueue(send_message, mid, queue=SEND)


def latencies(purpose: Purpose, n: int, start_of: Callable[[Message], float],
              timeout: float = 120) -> list[float]:
    """Seconds from start_of(message) to its provider acceptance, once all n are accepted."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with get_db().begin() as s:
            rows = s.scalars(select(Message).where(
                Message.purpose == purpose, Message.status != MessageStatus.QUEUED,
                Message.status != MessageStatus.SENDING)).all()
            if len(rows) >= n:
                return sorted(m.updated_at.timestamp() - start_of(m) for m in rows)
        time.sleep(0.5)
    raise SystemExit(f"only {len(rows)}/{n} {purpose} messages went out in {timeout}s")


def pct(values: list[float], q: float) -> float:
    """The q-th percentile in milliseconds."""
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def report(name: str, values: list[float]) -> float:
    """Print p50/p95/p99 and return p50 (ms)."""
    p50, p95, p99 = pct(values, 50), pct(values, 95), pct(values, 99)
    print(f"{name:<34} n={len(values):>4}  p50 {p50:7.1f} ms  p95 {p95:7.1f} ms  "
          f"p99 {p99:7.1f} ms")
    return p50


def main() -> None:
    """Run baseline then routing at the same rate; print both and their ratio."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    args = ap.parse_args()
    n = int(args.seconds * args.rate)
    redis_url = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
    redis.Redis.from_url(redis_url).flushdb()
    with tempfile.TemporaryDirectory() as tmp, FakeTwilio(account_sid=ACCOUNT,
                                                          auth_token=TOKEN) as fake:
        url, cleanup = database(args.db, Path(tmp))
        cfg = {"DATABASE_URL": url, "REDIS_URL": redis_url, "HOTLINE_PROVIDER": "twilio",
               "TWILIO_API_URL": fake.base_url, "TWILIO_ACCOUNT_SID": ACCOUNT,
               "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_INSTANCE": str(Path(tmp) / "inst")}
        app = create_app(dict(cfg), instance_path=cfg["HOTLINE_INSTANCE"])
        worker = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q",
             "urgent,intake,send", "-c", "2", "--without-mingle", "--without-gossip",
             "--loglevel", "WARNING"], env={**os.environ, **cfg}, cwd=ROOT)
        try:
            with app.app_context():
                run(n, args.rate)
        finally:
            worker.terminate()
            worker.wait(timeout=20)
            app.extensions["db"].engine.dispose()
            cleanup()


def run(n: int, rate: float) -> None:
    """Warm up, measure the baseline, then case-to-offer latency."""
    with get_db().begin() as s:
        for i in range(40):
            s.add(Volunteer(name=f"v{i}", phone=f"+86139{i:08d}", languages=["zh"],
                            skills=["wages"], regions=["深圳"], capacity=50, on_duty=True))
    paced(20, rate, lambda i: new_message(10_000_000 + i))  # warm the worker and pools
    latencies(Purpose.ALERT, 20, lambda m: m.created_at.timestamp())
    with get_db().begin() as s:
        s.query(Message).delete()
    paced(n, rate, new_message)
    base = latencies(Purpose.ALERT, n, lambda m: m.created_at.timestamp())
    paced(n, rate, new_case)
    with get_db().begin() as s:
        created = {c.id: c.created_at.timestamp() for c in s.scalars(select(Case))}
    offers = latencies(Purpose.OFFER, n, lambda m: created[m.case_id or 0])
    print(f"\n{n} at {rate:g}/s, real Celery worker (2 processes), fake Twilio server")
    b50 = report("baseline: committed SMS → provider", base)
    r50 = report("case committed → offer SMS sent", offers)
    print(f"ratio (p50 routing / p50 baseline): {r50 / b50:.2f}")


if __name__ == "__main__":
    main()
