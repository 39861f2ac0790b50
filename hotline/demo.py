"""`hotline demo`: the whole hotline on embedded defaults, on a machine with only Python."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from hotline.queues import QUEUE_ORDER

DEMO_TOKEN = "demo-auth-token"
DEMO_ACCOUNT = "AC" + "d" * 32
DEMO_VOLUNTEERS = [
    # name, phone, languages, skills, regions, home province
    ("张律师", "+8613900000001", ["zh", "henan"], ["wages", "contract", "collective"],
     ["广东", "深圳"], "河南"),
    ("李社工", "+8613900000002", ["zh", "cantonese"], ["injury", "social_insurance", "wages"],
     ["广东", "珠海"], "广东"),
    ("Anna Wu", "+8613900000003", ["en", "zh"], ["other_legal", "contract", "wages"],
     ["浙江", "杭州"], "江西"),
]


def state_file(instance_path: str) -> Path:
    """Where the running demo writes its URLs, so `hotline simulate` can find it."""
    return Path(instance_path) / "demo.json"


def seed_volunteers(app: Flask) -> int:
    """Add the demo volunteers (on duty) unless they exist; return how many were added."""
    from hotline.db import get_db
    from models import Volunteer
    from models.volunteer import canonical_dialect

    added = 0
    with app.app_context(), get_db().begin() as session:
        for name, phone, langs, skills, regions, home in DEMO_VOLUNTEERS:
            if session.scalar(select(Volunteer).where(Volunteer.phone == phone)) is None:
                # Routing profile: dialects are kept apart from the case languages (zh/en).
                dialects = [canonical_dialect(x) for x in langs if x not in ("zh", "en")]
                langs = [x for x in langs if x in ("zh", "en")]
                session.add(Volunteer(name=name, phone=phone, languages=langs, dialects=dialects,
                                      organisation_id=None, timezone="Asia/Shanghai",
                                      skills=skills,
                                      regions=regions, home_province=home, on_duty=True))
                added += 1
    return added


DEMO_PASSWORD = "hotline-demo-2026"  # printed on start; the demo is local to this machine
DEMO_LOGINS = [("admin", None), ("zhang", "+8613900000001"), ("li", "+8613900000002"),
               ("anna", "+8613900000003")]


def seed_accounts(app: Flask) -> int:
    """Web logins for the demo: one admin and one per demo volunteer; return how many added."""
    from hotline.db import get_db
    from models import Role, User, Volunteer

    added = 0
    with app.app_context(), get_db().begin() as session:
        for username, phone in DEMO_LOGINS:
            if session.scalar(select(User).where(User.username == username)) is not None:
                continue
            volunteer_id = session.scalar(select(Volunteer.id).where(Volunteer.phone == phone)
                                          ) if phone else None
            user = User(username=username, role=Role.VOLUNTEER if phone else Role.ADMIN,
                        volunteer_id=volunteer_id)
            user.set_password(DEMO_PASSWORD)
            session.add(user)
            added += 1
    return added


def start_worker(instance_path: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """A Celery worker with embedded beat, consuming every queue, urgent first."""
    args = [sys.executable, "-m", "celery", "-A", "worker", "worker", "-B",
            "-Q", ",".join(QUEUE_ORDER), "-c", "2", "--loglevel", "INFO",
            "-s", str(Path(instance_path) / "celerybeat-schedule")]
    root = Path(__file__).resolve().parent.parent
    # The worker's banner and its task log every 15 s would bury the welcome: they go to a
    # file the welcome names. Its own process group: the pool children and embedded beat
    # are stopped with it, and none outlives the demo.
    with worker_log(instance_path).open("ab") as log:
        return subprocess.Popen(args, env=env, cwd=root, start_new_session=True, stdout=log,
                                stderr=subprocess.STDOUT)


def worker_log(instance_path: str) -> Path:
    """Where the demo's Celery worker writes its log."""
    return Path(instance_path) / "worker.log"


def run_demo(port: int, provider: str) -> None:
    """Start Redis, the fake Twilio server, a worker and the web app; stop all on Ctrl-C."""
    from hotline import create_app
    from hotline.config import embedded_redis_socket
    from hotline.embedded_redis import EmbeddedRedis
    from hotline.migrate import upgrade
    from notifications.fake_twilio import FakeTwilio

    probe = create_app({"HOTLINE_PROVIDER": "console"})
    instance = probe.instance_path
    stack: list[Any] = []
    try:
        env = dict(os.environ)
        if not os.environ.get("REDIS_URL"):
            sock = Path(embedded_redis_socket(instance))
            redis = EmbeddedRedis(sock.parent, socket_name=sock.name)
            env["REDIS_URL"] = redis.start()
            stack.append(redis)
        public = f"http://127.0.0.1:{port}"
        env.update(PUBLIC_URL=public, TWILIO_AUTH_TOKEN=DEMO_TOKEN,
                   TWILIO_ACCOUNT_SID=DEMO_ACCOUNT, HOTLINE_INSTANCE=instance,
                   DATABASE_URL=probe.config["DATABASE_URL"])
        fake_url = None
        if provider == "fake":
            fake = FakeTwilio(account_sid=DEMO_ACCOUNT, auth_token=DEMO_TOKEN)
            fake_url = fake.start()
            stack.append(fake)
            env.update(HOTLINE_PROVIDER="twilio", TWILIO_API_URL=fake_url)
        else:
            env["HOTLINE_PROVIDER"] = "console"
        os.environ.update(env)
        app = create_app(instance_path=instance)
        upgrade(app.config["DATABASE_URL"])
        seeded = seed_volunteers(app)
        seed_accounts(app)
        worker = start_worker(instance, env)
        stack.append(worker)
        server = make_server("127.0.0.1", port, app, threaded=True)
        state = {"url": public, "auth_token": DEMO_TOKEN, "account_sid": DEMO_ACCOUNT,
                 "worker_log": str(worker_log(instance)),
                 "database_url": app.config["DATABASE_URL"], "redis_url": env["REDIS_URL"],
                 "fake_twilio_url": fake_url, "hotline_number": app.config["HOTLINE_NUMBER"]}
        state_file(instance).write_text(json.dumps(state, indent=2))
        print_welcome(state, seeded)
        signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
        # A shell starting us in the background (`hotline demo &`) ignores SIGINT for us;
        # the demo promises that Ctrl-C (or kill -INT) stops it, so take SIGINT back.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        server.serve_forever()
    except KeyboardInterrupt:  # while starting up (werkzeug's serve_forever swallows its own)
        print("\ninterrupted while starting", flush=True)
    finally:
        print("\nstopping the demo…", flush=True)
        for part in reversed(stack):
            stop_part(part)
        state_file(instance).unlink(missing_ok=True)
        print("demo stopped.")


def stop_part(part: Any) -> None:
    """Stop one started component (worker process, fake server or Redis)."""
    if isinstance(part, subprocess.Popen):
        if part.poll() is None:
            part.send_signal(signal.SIGTERM)  # Celery's warm shutdown: finish running tasks
            try:
                part.wait(timeout=15)
            except subprocess.TimeoutExpired:
                part.kill()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(part.pid, signal.SIGKILL)  # whatever of its group outlived it
    else:
        part.stop()


def print_welcome(state: dict[str, Any], seeded: int) -> None:
    """Tell the newcomer what is running and what to try next."""
    print(f"""
  Hotline demo is running.
    web / webhooks   {state['url']}   (Twilio would POST to {state['url']}/twilio/sms)
    database         {state['database_url']}
    redis            {state['redis_url']}
    provider         {"fake Twilio server at " + state['fake_twilio_url']
                      if state['fake_twilio_url'] else "console (SMS written to the worker log)"}
    worker log       {state['worker_log']}
    volunteers       {len(DEMO_VOLUNTEERS)} on duty ({seeded} added now)
    web console      {state['url']}/login   staff: admin / {DEMO_PASSWORD}
                     volunteers (phone-sized inbox): zhang, li, anna / {DEMO_PASSWORD}

  In another terminal, text the hotline as a worker and answer its intake questions
  (category 1 = unpaid wages, place, home province 1 = 河南, employer, amount, months,
  co-workers, confirm):
    .venv/bin/hotline simulate sms --from +8613800138000 "老板拖欠我三个月工资" \\
        1 广东深圳 1 某某电子厂 12000 3 5 1
  then accept the offer as the volunteer who got it (the command prints who):
    .venv/bin/hotline simulate sms --from +8613900000001 "Y 1001"
  or call the hotline (press keys, or script them with --keys):
    .venv/bin/hotline simulate call --url {state['url']}

  Ctrl-C stops everything.
""", flush=True)
