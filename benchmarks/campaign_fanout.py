"""Campaign pipeline benchmark: 400,000 recipients from CSV to the provider boundary.

    .venv/bin/python -m benchmarks.campaign_fanout            # 400,000 rows, 60 s throttle run
    .venv/bin/python -m benchmarks.campaign_fanout --small    # 20,000 rows, 10 s
    .venv/bin/python -m benchmarks.campaign_fanout --db sqlite --rows 2000 --json out.json

Measures, on real PostgreSQL (a scratch schema on BENCH_PG_URL) or SQLite (--db sqlite), and a
real Redis (BENCH_REDIS_URL, a scratch database that is flushed; else a private redis-server):
  1. CSV import rate (streaming, batched upserts) vs a per-row ORM insert baseline;
  2. fan-out rate through real Celery workers with a zero-latency provider, vs a baseline of
     one claim/send/record round trip per message (the single-message send task's pattern);
  3. peak memory (VmHWM) of the importer and of every worker process;
  4. fan-out through each real provider client to its fake server, Twilio beside Alibaba
     (benchmarks/provider_fanout.py), with Alibaba's rate over Twilio's;
  5. throttle accuracy: messages accepted by the fake Twilio server over a window at a
     configured rate (the fake answers 429 if we exceed it), vs the configured rate.
Goals: fan-out >= 1,000 msg/s, peak memory < 300 MB, throttle within 2 %, no 429s (an office's
400,000 service SMS go out in minutes from a small server, at the carrier's rate, never above).
Prints as it goes; the last line printed (and --json PATH) is the JSON of every number.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import redis  # noqa: E402
from sqlalchemy import create_engine, func, select, text, update  # noqa: E402

from benchmarks.provider_fanout import measure as measure_providers  # noqa: E402
from benchmarks.provider_fanout import readme_row  # noqa: E402
from devtools.embedded_redis import EmbeddedRedis  # noqa: E402
from devtools.fake_twilio import FakeTwilio  # noqa: E402
from hotline import create_app  # noqa: E402
from hotline.infra.db import get_db  # noqa: E402
from hotline.infra.migrate import upgrade  # noqa: E402
from models import (  # noqa: E402
    Campaign,
    CampaignStatus,
    Contact,
    InvalidTransition,
    Recipient,
)
from notifications.campaigns.audience import Audience  # noqa: E402
from notifications.campaigns.compose import CampaignSpec, create_campaign  # noqa: E402
from notifications.campaigns.control import cancel, request_start  # noqa: E402
from notifications.contact_import import import_contacts, rows_from_file  # noqa: E402

PG_SERVER = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# A private Redis per run (set in main): a shared one would let another run's workers take
# this run's tasks. BENCH_REDIS_URL overrides it.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华"
PROVINCES = ["河南", "四川", "湖南", "湖北", "安徽", "江西", "贵州", "广西"]
CITIES = ["东莞", "深圳", "广州", "佛山", "苏州", "杭州", "宁波", "珠海"]
SENDER = "+8610690000"
PROVIDER_ROWS = 20_000  # recipients of the fan-out through each provider's client (full size)


def vm_hwm_mb(pid: int | str = "self") -> float:
    """Peak resident memory of a process, in MB (VmHWM from /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def write_csv(path: Path, rows: int) -> None:
    """A realistic contact list: Chinese names, provinces, tags, ~1 % duplicates, ~0.5 % bad."""
    rng = random.Random(5)
    with path.open("w", encoding="utf-8") as out:
        out.write("手机号,姓名,语言,省份,城市,标签\n")
        for i in range(rows):
            number = f"13{rng.randint(5, 9)}{i:08d}"
            if i % 100 == 99:
                number = f"13{5 + (i - 1) % 5}{i - 1:08d}"  # not exactly the same: fine
            if i % 200 == 7:
                number = "12345"  # bad
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
            tags = ";".join(rng.sample(["construction", "factory", "training", "henan"], 2))
            out.write(f"{number},{name},{'zh' if i % 20 else 'en'},{rng.choice(PROVINCES)},"
                      f"{rng.choice(CITIES)},{tags}\n")


def scratch_schema() -> str:
    """A fresh, migrated PostgreSQL schema for this run; returns its URL."""
    schema = f"bench{os.getpid()}"
    engine = create_engine(PG_SERVER)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    engine.dispose()
    url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    upgrade(url)
    return url


def drop_schema(url: str) -> None:
    """Remove the scratch schema."""
    schema = url.rsplit("%3D", 1)[1]
    engine = create_engine(PG_SERVER)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def baseline_import(n: int) -> float:
    """Rows/s inserting contacts one ORM object and one flush at a time (the slow way)."""
    started = time.perf_counter()
    with get_db().begin() as session:
        for i in range(n):
            session.add(Contact(phone=f"+8617{i:09d}", name="基线", language="zh"))
            session.flush()
    return n / (time.perf_counter() - started)


def env_for(db_url: str, fake_url: str | None, **settings: str) -> dict[str, str]:
    """Environment of a worker process for this run."""
    env = {"DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "HOTLINE_NUMBER": SENDER,
           "TWILIO_ACCOUNT_SID": "AC" + "1" * 32, "TWILIO_AUTH_TOKEN": "bench-token",
           "HOTLINE_PROVIDER": "twilio" if fake_url else "console",
           "TWILIO_API_URL": fake_url or "", "PUBLIC_URL": "", **settings}
    return {**os.environ, **env}


def start_workers(module: str, env: dict[str, str], concurrency: int
                  ) -> subprocess.Popen[bytes]:
    """A real Celery worker (prefork) on the campaigns queue."""
    args = [sys.executable, "-m", "celery", "-A", module, "worker", "-Q", "campaigns",
            "-c", str(concurrency), "--loglevel", "WARNING", "--without-mingle",
            "--without-gossip", "--pool", "prefork"]
    log = open(Path(tempfile.gettempdir()) / f"bench-{module}.log", "ab")  # noqa: SIM115
    return subprocess.Popen(args, env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)


def worker_memory(proc: subprocess.Popen[bytes]) -> list[float]:
    """Peak MB of the worker's main process and each pool child."""
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [vm_hwm_mb(proc.pid), *(vm_hwm_mb(c) for c in children)]


def new_campaign(tag: str | None, rate: float) -> int:
    """A campaign to everyone (with `tag`), no quiet hours, at `rate` segments/s."""
    spec = CampaignSpec(name=f"bench {tag}", variants={
        "zh": "{name}您好，工友热线周六举办劳动法讲座，回复1报名", "en": "Hi {name}, training Sat"},
        audience=Audience(tags=[tag] if tag else []), sender=SENDER, signature="工友热线",
        quiet_hours="00:00-00:00", rate_per_second=rate, rsvp_keywords=["1"])
    with get_db().begin() as session:
        return create_campaign(session, spec).id


def wait_done(campaign_id: int, timeout: float) -> float:
    """Seconds until the campaign is DONE (fails loudly on timeout)."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        with get_db().begin() as session:
            status = session.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
        if status == CampaignStatus.DONE:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"campaign {campaign_id} not done after {timeout}s")


def baseline_fanout(campaign_id: int, n: int) -> float:
    """Msg/s sending one message per round trip: claim commit, provider call, record commit
    (the single-message send task's pattern, run in-process so no task overhead is counted)."""
    from benchmarks.null_provider import NullProvider
    from models import RecipientStatus as RS

    provider = NullProvider()
    with get_db().begin() as session:
        # Re-arm n sent rows for the baseline (a benchmark-only reset, not a lifecycle step).
        session.execute(update(Recipient).where(Recipient.id.in_(select(Recipient.id).where(
            Recipient.campaign_id == campaign_id).limit(n))).values(status=RS.PENDING,
                                                                    provider_sid=None))
        rows = session.execute(select(Recipient.id, Recipient.phone).where(
            Recipient.campaign_id == campaign_id, Recipient.status == RS.PENDING)).all()
    started = time.perf_counter()
    for rid, phone in rows:
        with get_db().begin() as session:
            session.execute(Recipient.transition(RS.SENDING, Recipient.id == rid))
        result = provider.send_sms(phone, "基线", from_=SENDER)
        with get_db().begin() as session:
            session.execute(Recipient.transition(RS.ACCEPTED, Recipient.id == rid,
                                                 provider_sid=result.sid + "b"))
    return len(rows) / (time.perf_counter() - started)


def measure_throttle(db_url: str, seconds: float, rate: float) -> dict[str, Any]:
    """Send at `rate` msg/s through the fake Twilio (which 429s above that) for `seconds`."""
    contacts = int(rate * seconds * 1.5) + 100
    with get_db().begin() as session:
        session.execute(text(
            "INSERT INTO contact_tags (contact_id, tag) SELECT id, 'throttle' FROM contacts "
            "WHERE language = 'zh' ORDER BY id LIMIT :n"), {"n": contacts})
    fake = FakeTwilio(account_sid="AC" + "1" * 32, auth_token="bench-token",
                      callbacks_enabled=False)
    fake.start()
    fake.set_rate_limit(SENDER, rate, burst=rate * 1.0 + 3)  # a little slack for jitter
    worker = start_workers("worker", env_for(db_url, fake.base_url), 2)
    try:
        cid = new_campaign("throttle", rate)
        request_start(cid)
        while not fake.messages:
            time.sleep(0.05)
        first = fake.messages[0]["date_created"]
        time.sleep(seconds + 3)
        with contextlib.suppress(InvalidTransition):  # a small run may have finished already
            cancel(cid)
        sent = [r for r in fake.requests if r["method"] == "POST"]
    finally:
        worker.terminate()
        worker.wait(30)
        fake.stop()
    ok = sorted(r["time"] for r in sent if r["status"] == 201)
    t0 = ok[0]
    in_window = sum(1 for t in ok if t0 <= t < t0 + seconds)
    burst = rate * 1.0
    expected = rate * seconds + burst
    steady = sum(1 for t in ok if t0 + 1 <= t < t0 + 1 + seconds - 2) / (seconds - 2)
    return {"first": first, "accepted_in_window": in_window, "expected": expected,
            "error_pct": 100 * (in_window - expected) / expected,
            "steady_rate": steady, "steady_error_pct": 100 * (steady - rate) / rate,
            "http_429": sum(1 for r in sent if r["status"] == 429),
            "429_at": [round(r["time"] - t0, 2) for r in sent if r["status"] == 429][:10]}


def main() -> None:
    """Run the benchmark, print the numbers as they come, then one JSON line of them all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="CI smoke size")
    parser.add_argument("--rows", type=int, default=None)
    parser.add_argument("--throttle-seconds", type=float, default=None)
    parser.add_argument("--throttle-rate", type=float, default=50.0)
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default="postgresql",
                        help="postgresql (scratch schema on BENCH_PG_URL) or sqlite")
    parser.add_argument("--json", type=Path, default=None, help="also write the JSON here")
    parser.add_argument("--providers-only", type=int, default=None, metavar="N",
                        help="only the fan-out through each provider client, N recipients")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # type: ignore[union-attr]
    rows = args.rows or (20_000 if args.small else 400_000)
    window = args.throttle_seconds or (10.0 if args.small else 60.0)
    global REDIS_URL
    private = None
    if not REDIS_URL:
        private = EmbeddedRedis(tempfile.mkdtemp(prefix="bench-redis-"))
        REDIS_URL = private.start()
    else:
        redis.Redis.from_url(REDIS_URL).flushdb()  # a scratch database (the runner's own)
    if args.db == "sqlite":
        db_url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-sqlite-')}/bench.db"
        upgrade(db_url)
    else:
        db_url = scratch_schema()
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "HOTLINE_NUMBER": SENDER,
                      "HOTLINE_PROVIDER": "console", "TWILIO_AUTH_TOKEN": "bench-token"},
                     instance_path=tempfile.mkdtemp(prefix="bench-"))
    try:
        with app.app_context():
            if args.providers_only:
                result = {"db": args.db, **run_providers(db_url, args.providers_only, args.db)}
            else:
                result = {"db": args.db, **run(db_url, rows, window, args.throttle_rate)}
    finally:
        app.extensions["db"].engine.dispose()
        if args.db == "postgresql":
            drop_schema(db_url)
        if private is not None:
            private.stop()
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False))


def print_providers(providers: dict[str, Any], db_url: str) -> None:
    """The provider fan-out's numbers, then its README table line as it is pasted."""
    tw, ali = providers["twilio"], providers["alibaba"]
    print(f"providers   {providers['audience']:,} recipients through each real client to its "
          f"fake server: Twilio {tw['msg_per_s']:,} msg/s ({tw['sent']:,} sent), Alibaba "
          f"{ali['msg_per_s']:,} msg/s ({ali['sent']:,} sent in {ali['api_calls']:,} calls) -> "
          f"Alibaba/Twilio x{providers['alibaba_over_twilio']}; worker CPU per message "
          f"Twilio {tw['worker_cpu_ms_per_msg']} ms, Alibaba {ali['worker_cpu_ms_per_msg']} ms")
    db = "sqlite" if db_url.startswith("sqlite") else "postgresql"
    command = " ".join(["python -m benchmarks.campaign_fanout", *sys.argv[1:]])
    providers["readme_row"] = readme_row(providers, db, command)
    print(f"README row: {providers['readme_row']}")


def run_providers(db_url: str, n: int, db: str) -> dict[str, Any]:
    """Only the fan-out through each provider client, over `n` imported contacts."""
    csv_path = Path(tempfile.mkdtemp(prefix="bench-")) / "contacts.csv"
    write_csv(csv_path, n * 11 // 10 + 50)  # 1 in 20 rows is English, a few are bad
    import_contacts(get_db(), rows_from_file(str(csv_path)), lambda _: None)
    providers = measure_providers(n, SENDER, db_url, env_for, start_workers, wait_done)
    print_providers(providers, db_url)
    return {"providers": providers}


def run(db_url: str, rows: int, window: float, rate: float) -> dict[str, Any]:
    """The measurements, printed as they come and returned as numbers."""
    csv_path = Path(tempfile.mkdtemp(prefix="bench-")) / "contacts.csv"
    write_csv(csv_path, rows)
    kind = "SQLite" if db_url.startswith("sqlite") else "PostgreSQL"
    print(f"campaign_fanout: {rows:,} CSV rows, {kind}, Redis {REDIS_URL}")
    errors: list[Any] = []
    started = time.perf_counter()
    summary = import_contacts(get_db(), rows_from_file(str(csv_path)), errors.append)
    elapsed = time.perf_counter() - started
    import_rate = rows / elapsed
    import_mem = vm_hwm_mb()
    base_rate = baseline_import(min(2000, rows))
    print(f"import      {rows:,} rows in {elapsed:.1f}s = {import_rate:,.0f} rows/s "
          f"(created {summary.created:,}, duplicates {summary.duplicates:,}, "
          f"rejected {summary.rejected:,}); per-row ORM baseline {base_rate:,.0f} rows/s "
          f"-> x{import_rate / base_rate:.1f}; importer peak {import_mem:.0f} MB")

    cid = new_campaign(None, 1_000_000.0)
    with get_db().begin() as session:
        audience = session.scalar(select(func.count()).select_from(Contact)) or 0
    env = env_for(db_url, None, CAMPAIGN_CHUNK_SIZE="500", CAMPAIGN_PARALLELISM="2",
                  CAMPAIGN_SEND_THREADS="1")
    worker = start_workers("benchmarks.null_provider_worker", env, 2)
    try:
        time.sleep(3)  # worker boot is not part of the pipeline
        request_start(cid)
        total = wait_done(cid, timeout=3600)
        memory = worker_memory(worker)
    finally:
        worker.terminate()
        worker.wait(30)
    with get_db().begin() as session:
        sent = session.scalar(select(func.count()).where(
            Recipient.campaign_id == cid, Recipient.provider_sid.is_not(None))) or 0
        began, materialized = session.execute(
            select(Campaign.started_at, Campaign.materialized_at).where(Campaign.id == cid)).one()
    materialize = materialized - began if began and materialized else None
    fan_rate = sent / total
    base_fan = baseline_fanout(cid, min(1000, sent))
    print(f"fan-out     {sent:,} of {audience:,} contacts sent in {total:.1f}s "
          f"(recipient rows written in {materialize}) = {fan_rate:,.0f} msg/s "
          f"(goal >= 1,000); one-round-trip-per-message baseline {base_fan:,.0f} msg/s "
          f"-> x{fan_rate / base_fan:.1f}")
    print(f"memory      worker processes peak {', '.join(f'{m:.0f}' for m in memory)} MB; "
          f"importer {import_mem:.0f} MB (goal < 300 MB each)")
    providers = measure_providers(min(PROVIDER_ROWS, max(200, rows // 20)), SENDER, db_url,
                                  env_for, start_workers, wait_done)
    print_providers(providers, db_url)
    throttle = measure_throttle(db_url, window, rate)
    print(f"throttle    {rate:.0f} msg/s for {window:.0f}s: {throttle['accepted_in_window']:,} "
          f"accepted vs {throttle['expected']:,.0f} expected (rate x time + burst) = "
          f"{throttle['error_pct']:+.2f}%; steady-state {throttle['steady_rate']:.2f} msg/s = "
          f"{throttle['steady_error_pct']:+.2f}% (goal within 2 %); "
          f"429s from provider: {throttle['http_429']} at {throttle['429_at']} s")
    return {
        "rows": rows, "audience": audience, "sent": sent, "import_errors": len(errors),
        "import": {"rows_per_s": round(import_rate, 1), "baseline_rows_per_s": round(base_rate, 1),
                   "ratio": round(import_rate / base_rate, 2),
                   "importer_peak_rss_mb": round(import_mem, 1),
                   "created": summary.created, "duplicates": summary.duplicates,
                   "rejected": summary.rejected},
        "fanout": {"msg_per_s": round(fan_rate, 1), "seconds": round(total, 2),
                   "baseline_msg_per_s": round(base_fan, 1),
                   "ratio": round(fan_rate / base_fan, 2),
                   "worker_peak_rss_mb": round(max(memory), 1),
                   "worker_peak_rss_mb_each": [round(m, 1) for m in memory]},
        "providers": providers,
        "throttle": {"rate_per_s": rate, "seconds": window,
                     **{k: (round(v, 3) if isinstance(v, float) else v)
                        for k, v in throttle.items() if k != "first"}},
    }


if __name__ == "__main__":
    main()
