"""Case-to-offer latency at 20 cases/s through a real Celery worker (p50/p95/p99).

A case is committed and `route_case` enqueued, as the intake does; the latency runs until the
offer SMS was accepted by the (fake) Twilio server and recorded. The baseline, measured in
the same run at the same rate, is the bare send path: a committed message and its send task.

With `--campaign N` the routing run happens while an N-recipient campaign fans out on the same
machine (the realistic case: an urgent call during a policy notice), and
one case in five is a work injury (urgent: offered to several volunteers at once, on the
priority queue), reported apart. The campaign runs on its own worker (`-Q campaigns`), as the
README's commands run it; `--shared-worker` puts every queue on one worker instead, to show why
(a chunk task holds a worker process for seconds, and priorities only pick the NEXT task);
`--urgent-worker` adds a dedicated `-Q urgent` worker. The fake Twilio runs in its own process
at a lower CPU priority (`--carrier-nice`, see CARRIER_NICE).

    .venv/bin/python -m benchmarks.routing_latency [--seconds 10] [--rate 20] [--db sqlite]
                                                   [--campaign 100000] [--shared-worker]
                                                   [--urgent-worker] [--json PATH]

Needs PostgreSQL (BENCH_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test; a
scratch schema) or --db sqlite. Redis: BENCH_REDIS_URL names a scratch database (flushed), else
a private redis-server is started. The last line printed (and --json PATH) is the JSON result.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.servers import free_port, start_worker  # noqa: E402
from benchmarks.wrk import MachineSampler  # noqa: E402
from devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from hotline import create_app  # noqa: E402
from hotline.infra.db import get_db  # noqa: E402
from hotline.infra.migrate import upgrade  # noqa: E402
from hotline.infra.queues import INTAKE, SEND, URGENT, enqueue  # noqa: E402
from hotline.outbox import queue_sms  # noqa: E402
from hotline.routing import route_case  # noqa: E402
from models import (  # noqa: E402
    Case,
    CaseCategory,
    CaseStatus,
    Contact,
    Message,
    MessageStatus,
    Purpose,
    Recipient,
    RecipientStatus,
    Volunteer,
)
from notifications.campaigns.audience import Audience  # noqa: E402
from notifications.campaigns.compose import CampaignSpec, create_campaign  # noqa: E402
from notifications.campaigns.control import request_start  # noqa: E402
from notifications.send import send_message  # noqa: E402

ACCOUNT, TOKEN = "AC" + "b" * 32, "bench-token"


def database(kind: str, tmp: Path) -> tuple[str, Callable[[], None]]:
    """A fresh migrated database URL and its cleanup."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp / 'bench.db'}"
        upgrade(url)
        return url, lambda: None
    server = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
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


VOLUNTEERS = 40
URGENT_FANOUT = 3  # the default URGENT_FANOUT: volunteers offered an urgent case at once
URGENT_EVERY = 5  # with a campaign running, one case in five is a work injury (urgent)
CAMPAIGN_RATE = 200.0  # segments/s the campaign is throttled to (a fast domestic channel)


def new_case(i: int, *, mixed: bool = False) -> None:
    """Commit one case (a wages case; with `mixed`, every fifth a work injury) and enqueue
    its routing, as the intake does (an injury on the urgent queue)."""
    injury = mixed and i % URGENT_EVERY == 0
    with get_db().begin() as s:
        contact = Contact(phone=f"+86137{i:08d}", home_province="河南")
        s.add(contact)
        s.flush()
        case = Case(contact_id=contact.id,
                    category=CaseCategory.INJURY if injury else CaseCategory.WAGES,
                    work_city="深圳", work_province="广东", people_affected=1 + i % 5)
        s.add(case)
        s.flush()
        case.assign_number()
        case_id = case.id
    # As the intake publishes it: a case the worker said is an injury on the urgent queue.
    enqueue(route_case, case_id, queue=URGENT if injury else INTAKE)


def new_message(i: int) -> None:
    """Baseline: commit one queued SMS and enqueue its send task."""
    with get_db().begin() as s:
        mid = queue_sms(s, to=f"+86136{i:08d}", body="基线", purpose=Purpose.ALERT).id
    enqueue(send_message, mid, queue=SEND)


def latencies(purpose: Purpose, n: int, start_of: Callable[[Message], float],
              timeout: float = 120, unrouted: Callable[[], int] | None = None) -> list[float]:
    """Seconds from start_of(message) to its provider acceptance, once all n are accepted;
    stops at once when `unrouted()` says some will never come."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lost = unrouted() if unrouted else 0
        if lost:
            raise SystemExit(f"{lost} of {n} cases were escalated (no volunteer could take "
                             "them): the run would not measure routing")
        with get_db().begin() as s:
            rows = s.scalars(select(Message).where(
                Message.purpose == purpose, Message.status != MessageStatus.QUEUED,
                Message.status != MessageStatus.SENDING)).all()
            # An urgent case is offered to several volunteers at once: its first offer counts.
            first: dict[int, float] = {}
            for m in rows:
                key = m.case_id if purpose == Purpose.OFFER and m.case_id else -m.id
                done = m.updated_at.timestamp() - start_of(m)
                first[key] = min(done, first.get(key, done))
            if len(first) >= n:
                return sorted(first.values())
        time.sleep(0.5)
    raise SystemExit(f"only {len(rows)}/{n} {purpose} messages went out in {timeout}s")


def pct(values: list[float], q: float) -> float:
    """The q-th percentile in milliseconds."""
    return 1000 * statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def summary(values: list[float]) -> dict[str, float | int]:
    """n and p50/p95/p99 in milliseconds."""
    return {"n": len(values), **{f"p{q}_ms": round(pct(values, q), 2) for q in (50, 95, 99)}}


def report(name: str, values: list[float]) -> dict[str, float | int]:
    """Print p50/p95/p99 and return them."""
    out = summary(values)
    print(f"{name:<34} n={len(values):>4}  p50 {out['p50_ms']:7.1f} ms  "
          f"p95 {out['p95_ms']:7.1f} ms  p99 {out['p99_ms']:7.1f} ms")
    return out


def vm_hwm_mb(pid: int) -> float:
    """Peak resident memory of a process, in MB (VmHWM from /proc; 0 if it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def worker_peak_mb(proc: subprocess.Popen[bytes]) -> float:
    """The largest peak RSS among the worker's main process and its pool children."""
    try:
        kids = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    except OSError:
        kids = []
    return max([vm_hwm_mb(proc.pid), *(vm_hwm_mb(int(k)) for k in kids)])


@contextmanager
def scratch_redis() -> Iterator[str]:
    """BENCH_REDIS_URL (a scratch database, flushed) or a private redis-server."""
    given = os.environ.get("BENCH_REDIS_URL")
    if given:
        redis.Redis.from_url(given).flushdb()
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        server = EmbeddedRedis(tmp)
        try:
            yield server.start()
        finally:
            server.stop()


def main() -> None:
    """Run baseline then routing at the same rate; print both, their ratio, and the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rate", type=float, default=20)
    ap.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql")
    ap.add_argument("--campaign", type=int, default=0,
                    help="route while a campaign to this many recipients fans out")
    ap.add_argument("--shared-worker", action="store_true",
                    help="with --campaign: one worker for every queue, campaigns included")
    ap.add_argument("--urgent-worker", action="store_true",
                    help="also run a dedicated -Q urgent worker (one process)")
    ap.add_argument("--carrier-nice", type=int, default=CARRIER_NICE,
                    help="CPU priority of the fake Twilio's process (0: same as the workers)")
    ap.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    args = ap.parse_args()
    n = int(args.seconds * args.rate)
    with tempfile.TemporaryDirectory() as tmp, scratch_redis() as redis_url, \
            remote_carrier(args.carrier_nice) as carrier_url:
        url, cleanup = database(args.db, Path(tmp))
        cfg = {"DATABASE_URL": url, "REDIS_URL": redis_url, "HOTLINE_PROVIDER": "twilio",
               "TWILIO_API_URL": carrier_url, "TWILIO_ACCOUNT_SID": ACCOUNT,
               "TWILIO_AUTH_TOKEN": TOKEN, "HOTLINE_INSTANCE": str(Path(tmp) / "inst")}
        app = create_app(dict(cfg), instance_path=cfg["HOTLINE_INSTANCE"])
        log = open(Path(tmp) / "worker.log", "wb")  # noqa: SIM115 - closed below
        shared = bool(args.campaign and args.shared_worker)
        queues = "urgent,intake,send,campaigns" if shared else "urgent,intake,send"
        workers = [start_worker(queues, 2, "w1", cfg, log)]
        if args.campaign and not shared:
            # As the README runs it: bulk SMS at a lower CPU priority than routing.
            workers.append(start_worker("campaigns", 2, "bulk", cfg, log, nice=15))
        if args.urgent_worker:
            workers.append(start_worker("urgent", 1, "urgent", cfg, log))
        try:
            with app.app_context():
                result = run(n, args.rate, args.campaign)
            result.update(db=args.db, carrier_nice=args.carrier_nice,
                          worker_peak_rss_mb=round(worker_peak_mb(workers[0]), 1),
                          urgent_worker=args.urgent_worker, shared_worker=shared)
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                worker.wait(timeout=30)
            log.close()
            app.extensions["db"].engine.dispose()
            cleanup()
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))


# The carrier is another company's servers in production. Here it shares the two cores, so it
# runs in a process of its own at a lower CPU priority: busy answering a 200/s campaign it
# would otherwise take the cores from the route worker being measured. It still answers every
# offer at once when the route worker waits for it (a waiting process leaves the CPU free).
CARRIER_NICE = 10


@contextmanager
def remote_carrier(nice: int) -> Iterator[str]:
    """The fake Twilio server in a process of its own at `nice` CPU priority; its base URL."""
    code = ("import time; from devtools.fake_twilio import FakeTwilio; "
            f"print(FakeTwilio(account_sid={ACCOUNT!r}, auth_token={TOKEN!r})"
            f".start(port={free_port()}), flush=True); time.sleep(10**9)")
    niced = ["nice", "-n", str(nice)] if nice else []
    proc = subprocess.Popen([*niced, sys.executable, "-c", code], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url.startswith("http"):
            raise SystemExit(f"the fake Twilio did not start (exit {proc.poll()})")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def run(n: int, rate: float, campaign: int = 0) -> dict[str, Any]:
    """Warm up, measure the baseline, then case-to-offer latency; return the numbers."""
    # Room for every offer of the run (an urgent case is offered to several at once): a
    # volunteer at capacity would leave cases with no one to offer them to, escalated, and
    # the run would measure escalation, not routing.
    capacity = max(50, URGENT_FANOUT * n // VOLUNTEERS + 1)
    with get_db().begin() as s:
        for i in range(VOLUNTEERS):
            s.add(Volunteer(name=f"v{i}", phone=f"+86139{i:08d}", languages=["zh"],
                            skills=["wages"], regions=["深圳"], capacity=capacity, on_duty=True))
    paced(20, rate, lambda i: new_message(10_000_000 + i))  # warm the worker and pools
    latencies(Purpose.ALERT, 20, lambda m: m.created_at.timestamp())
    with get_db().begin() as s:
        s.query(Message).delete()
    started = time.perf_counter()
    paced(n, rate, new_message)
    base = latencies(Purpose.ALERT, n, lambda m: m.created_at.timestamp())
    base_elapsed = time.perf_counter() - started
    campaign_id = start_campaign(campaign) if campaign else None
    campaign_sent_before = campaign_progress(campaign_id)
    started = time.perf_counter()
    with MachineSampler() as machine:
        paced(n, rate, lambda i: new_case(i, mixed=bool(campaign)))
        with get_db().begin() as s:
            # An injury is urgent (routing marks it so; read here before routing may have run).
            created = {c.id: (c.created_at.timestamp(), c.category == CaseCategory.INJURY)
                       for c in s.scalars(select(Case))}
        offers = first_offers(n, created)
    elapsed = time.perf_counter() - started
    campaign_sent = campaign_progress(campaign_id) - campaign_sent_before
    print(f"\n{n} at {rate:g}/s, real Celery worker (2 processes), fake Twilio server"
          + (f", while a {campaign:,}-recipient campaign fans out" if campaign else ""))
    b = report("baseline: committed SMS → provider", base)
    r = report("case committed → offer SMS sent", [o.total for o in offers])
    # Where the time went: case committed → offer written (waiting for and running the route
    # task), then offer written → accepted by the provider (the send).
    parts = {"routed": report("  of which: case → offer written", [o.routed for o in offers]),
             "sent": report("  of which: offer written → sent", [o.total - o.routed
                                                                 for o in offers])}
    load = machine.summary()
    print(f"machine while routing: load average {load['load_average']}, "
          f"CPU busy {load['cpu_busy']}")
    out: dict[str, Any] = {
        "cases": n, "rate_per_s": rate,
        "routing": {**r, "msg_per_s": round(n / elapsed, 1), "parts": parts},
        "baseline": {**b, "msg_per_s": round(n / base_elapsed, 1)},
        "machine_while_routing": load}
    if campaign:
        out["urgent"] = report("urgent case → first offer SMS",
                               [o.total for o in offers if o.urgent])
        out["campaign"] = {"recipients": campaign, "rate_per_s": CAMPAIGN_RATE,
                           "sent_during_routing": campaign_sent,
                           "sent_per_s_during_routing": round(campaign_sent / elapsed, 1)}
        print(f"campaign sent {campaign_sent:,} texts while the cases were routed "
              f"({campaign_sent / elapsed:.1f}/s)")
    out["p50_ratio"] = round(float(r["p50_ms"]) / float(b["p50_ms"]), 2) if b["p50_ms"] else None
    print(f"ratio (p50 routing / p50 baseline): {out['p50_ratio']}")
    return out


@dataclass(frozen=True)
class FirstOffer:
    """One case's first offer: seconds from the case's commit to the offer row being written
    (`routed`) and to the provider accepting it (`total`); whether the case was urgent."""

    routed: float
    total: float
    urgent: bool


def first_offers(n: int, created: dict[int, tuple[float, bool]]) -> list[FirstOffer]:
    """The first offer of each of the `n` cases, once every case has one."""
    def start_of(m: Message) -> float:
        return created[m.case_id or 0][0]

    latencies(Purpose.OFFER, n, start_of, timeout=600, unrouted=unrouted_cases)
    with get_db().begin() as s:
        rows = s.scalars(select(Message).where(
            Message.purpose == Purpose.OFFER, Message.status != MessageStatus.QUEUED,
            Message.status != MessageStatus.SENDING)).all()
        first: dict[int, FirstOffer] = {}
        for m in rows:
            cid = m.case_id or 0
            offer = FirstOffer(m.created_at.timestamp() - start_of(m),
                               m.updated_at.timestamp() - start_of(m), created[cid][1])
            if cid not in first or offer.total < first[cid].total:
                first[cid] = offer
    assert len(first) == n
    return sorted(first.values(), key=lambda o: o.total)


def unrouted_cases() -> int:
    """Cases routing gave up on (escalated: no volunteer could take them)."""
    with get_db().begin() as s:
        return s.scalar(select(func.count()).select_from(Case).where(
            Case.status == CaseStatus.ESCALATED)) or 0


def start_campaign(recipients: int) -> int:
    """Import `recipients` contacts in bulk, create a campaign to all of them and start it;
    return its id once its first texts have gone out (the fan-out is under way)."""
    rows = [{"phone": f"+86158{i:08d}", "language": "zh", "name": f"工友{i}"}
            for i in range(recipients)]
    with get_db().begin() as s:
        for start in range(0, len(rows), 5000):
            s.execute(insert(Contact), rows[start:start + 5000])
    spec = CampaignSpec(name="bench notice", variants={
        "zh": "{name}您好，工友热线提醒：拖欠工资可拨打12333投诉。", "en": "Hi {name}: call 12333"},
        audience=Audience(), sender="+8610086000000", signature="工友热线",
        quiet_hours="00:00-00:00", rate_per_second=CAMPAIGN_RATE)
    with get_db().begin() as s:
        campaign_id = create_campaign(s, spec).id
    request_start(campaign_id)
    deadline = time.monotonic() + 600
    while campaign_progress(campaign_id) < 50 and time.monotonic() < deadline:
        time.sleep(0.5)
    return campaign_id


def campaign_progress(campaign_id: int | None) -> int:
    """Recipients of the campaign the provider has accepted so far (0 without one)."""
    if campaign_id is None:
        return 0
    with get_db().begin() as s:
        return s.scalar(select(func.count()).select_from(Recipient).where(
            Recipient.campaign_id == campaign_id,
            Recipient.status.not_in([RecipientStatus.PENDING,
                                             RecipientStatus.SENDING]))) or 0


if __name__ == "__main__":
    main()
