"""`hotline demo`: the whole hotline on embedded defaults, on a machine with only Python."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from hotline.infra.queues import QUEUE_ORDER

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
    from hotline.infra.db import get_db
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
# The on-duty staff member: escalations and urgent alerts are texted to this phone
# (routing.staff_numbers picks on-duty staff with a phone), so no alert reaches nobody.
DEMO_STAFF = ("wang", "王值班", "+8613700000001")


def seed_accounts(app: Flask) -> int:
    """Web logins for the demo: an admin, an on-duty staff member with a phone, and one per
    demo volunteer; return how many were added."""
    from hotline.infra.db import get_db
    from models import Role, User, Volunteer

    added = 0
    with app.app_context(), get_db().begin() as session:
        staff_login, staff_name, staff_phone = DEMO_STAFF
        if session.scalar(select(User).where(User.username == staff_login)) is None:
            staff = User(username=staff_login, display_name=staff_name, role=Role.STAFF,
                         phone=staff_phone, on_duty=True)
            staff.set_password(DEMO_PASSWORD)
            session.add(staff)
            added += 1
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


class DemoRefused(Exception):
    """The demo cannot start here; the message says why and what to do, in both languages."""


def claim_instance(instance_path: str) -> IO[str]:
    """Hold the instance folder's demo lock for as long as this demo runs (the system drops
    it when the process dies, so a killed demo never blocks the next); raise DemoRefused
    naming the running demo when another holds it."""
    Path(instance_path).mkdir(parents=True, exist_ok=True)
    lock = (Path(instance_path) / "demo.lock").open("a+")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        pid = lock.read().strip() or "?"
        lock.close()
        raise DemoRefused(already_running(instance_path, pid)) from None
    lock.seek(0)
    lock.truncate()
    lock.write(str(os.getpid()))
    lock.flush()
    return lock


def already_running(instance_path: str, pid: str) -> str:
    """What a second `hotline demo` on the same instance folder says."""
    path = state_file(instance_path)
    url = json.loads(path.read_text()).get("url") if path.exists() else None
    if url is None:
        return (f"演示正在启动（进程 {pid}），请稍候再用它。\n"
                f"The demo is already starting (process {pid}); use that one.")
    return (f"演示已在运行：{url}（进程 {pid}）。可直接使用；要重新启动，请先在它的终端按 "
            "Ctrl-C 停止它，或换一个 HOTLINE_INSTANCE 目录。\n"
            f"The demo is already running: {url} (process {pid}). Use it, or stop it with "
            "Ctrl-C in its terminal first, or start another with a different HOTLINE_INSTANCE.")


def check_port(port: int) -> None:
    """Refuse, before anything starts, a port that something else already listens on."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            raise port_taken(port) from None


def port_taken(port: int) -> DemoRefused:
    """The refusal for a port another program holds."""
    return DemoRefused(f"端口 {port} 已被其他程序占用。请换一个端口，例如：hotline demo --port "
                       f"{port + 1}\nPort {port} is already in use by another program. Pick "
                       f"another, e.g. hotline demo --port {port + 1}")


def run_demo(port: int, provider: str) -> None:
    """Start Redis, the fake Twilio server, a worker and the web app; stop all on Ctrl-C."""
    from hotline import create_app
    from hotline.infra.config import LOCAL, set_role

    set_role(LOCAL)  # the demo is one machine by nature: its embedded parts need no settings
    probe = create_app({"HOTLINE_PROVIDER": "console"})
    instance = probe.instance_path
    try:
        lock = claim_instance(instance)
    except DemoRefused as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    try:
        check_port(port)
        serve_demo(instance, probe.config["DATABASE_URL"], port, provider)
    except DemoRefused as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(1) from None
    finally:
        lock.close()  # after the state file is gone: the next demo may start


def serve_demo(instance: str, database_url: str, port: int, provider: str) -> None:
    """Run every part of the demo on this instance folder (its lock held) until Ctrl-C."""
    from devtools.embedded_redis import EmbeddedRedis
    from devtools.fake_twilio import FakeTwilio
    from hotline import create_app
    from hotline.infra.config import embedded_redis_socket
    from hotline.infra.migrate import upgrade

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
                   DATABASE_URL=database_url)
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
        try:
            server = make_server("127.0.0.1", port, app, threaded=True)
        except OSError as exc:  # taken since check_port looked
            raise port_taken(port) from exc
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
    staff on duty    {DEMO_STAFF[1]} ({DEMO_STAFF[0]}), phone {DEMO_STAFF[2]}: escalations and
                     urgent cases (injury, collective) are texted to this phone
    web console      {state['url']}/login   admin: admin / {DEMO_PASSWORD}
                     staff: {DEMO_STAFF[0]} / {DEMO_PASSWORD}
                     volunteers (phone-sized inbox): zhang, li, anna / {DEMO_PASSWORD}

  In another terminal, text the hotline as a worker. The first text already says the
  problem and how long, so the intake asks the rest (place, home province 1 = 河南,
  employer, amount, co-workers, still working there 1 = yes, confirm):
    .venv/bin/hotline simulate sms --from +8613800138000 "老板拖欠我三个月工资" \\
        广东深圳 1 某某电子厂 12000 5 1 1
  A thank-you opens no case (it waits in the staff inbox):
    .venv/bin/hotline simulate sms --from +8613800138001 "谢谢"
  then accept the offer as the volunteer who got it (the command prints who):
    .venv/bin/hotline simulate sms --from +8613900000001 "Y 1001"
  or call the hotline (press keys, or script them with --keys); it prints the case the
  call opened and who it went to:
    .venv/bin/hotline simulate call --url {state['url']}

  Ctrl-C stops everything.
""", flush=True)
