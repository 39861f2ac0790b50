"""Shared fixtures: real PostgreSQL, real Redis and SQLite; the fake Twilio server; live servers.

PostgreSQL and Redis must be reachable: tests fail loudly rather than skip (see .ci/run).
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import redis as redis_lib
import requests
from flask import Flask
from sqlalchemy import create_engine, event, text
from twilio.request_validator import RequestValidator
from werkzeug.serving import BaseWSGIServer, make_server

from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.infra.migrate import upgrade
from models import Base

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# Each pytest process gets its own schema, so parallel runs (and helpers) never collide.
PG_SCHEMA = f"t{os.getpid()}"
PG_URL = f"{PG_SERVER}?options=-csearch_path%3D{PG_SCHEMA}"
# pytest-xdist workers (gw0, gw1...) each get their own Redis database: tests flush theirs.
# A run without workers (one test file while the suite runs) takes the last one, so it
# never flushes a worker's queues under it.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")
REDIS_DB = 9 + int(_WORKER.removeprefix("gw") or 0) if _WORKER else 15
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{REDIS_DB}")
AUTH_TOKEN = "test-auth-token-0123456789"
ACCOUNT_SID = "AC" + "1" * 32
PUBLIC_URL = "https://hotline.example.org"
HOTLINE_NUMBER = "+8610086000000"


def _reuse_url_builders() -> None:
    """Compile each URL rule's builder once per test run, not once per app.

    Werkzeug turns every rule into a Python function through the AST when an app is made
    (~90 % of `create_app`, ~0.1 s, and most tests make an app). The function depends only on
    the rule's text, defaults and converter types and reads the rule itself at call time, so
    one compiled function serves every app's copy of the same rule."""
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    compiled: dict[tuple[Any, ...], Any] = {}

    def reuse(self: Rule, append_unknown: bool = True) -> Any:
        key = (self.rule, append_unknown, tuple(self._trace),
               repr(sorted((self.defaults or {}).items())),
               tuple(sorted((k, type(v).__name__) for k, v in self._converters.items())))
        if key not in compiled:
            compiled[key] = compile_builder(self, append_unknown)
        return compiled[key]

    Rule._compile_builder = reuse  # type: ignore[method-assign]


_reuse_url_builders()


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """A freshly migrated PostgreSQL schema (fails, never skips, when PostgreSQL is down)."""
    engine = create_engine(PG_SERVER)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    except Exception as exc:  # pragma: no cover - environment problem
        pytest.fail(f"PostgreSQL at {PG_SERVER} unreachable: {exc}. Start it (see .ci/run).")
    upgrade(PG_URL)
    yield PG_URL
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated SQLite file shared by the session."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'hotline.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def redis_client() -> redis_lib.Redis:
    """The real Redis test database (fails, never skips, when Redis is down)."""
    client = redis_lib.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis_lib.RedisError as exc:  # pragma: no cover - environment problem
        pytest.fail(f"Redis at {REDIS_URL} unreachable: {exc}. Start it (see .ci/run).")
    return client


_ENGINES: dict[str, Any] = {}


def _engine(url: str) -> Any:
    """One engine per database URL for the whole run (a new connection per test is slow)."""
    if url not in _ENGINES:
        _ENGINES[url] = create_engine(url, pool_size=1, pool_pre_ping=True)
    return _ENGINES[url]


def wipe(url: str) -> None:
    """Delete every row and restart the ids (keeps the migrated schema).

    Only tables that hold rows are touched, with DELETE: on PostgreSQL, TRUNCATE of ~35 tables
    costs about a second per test (it rewrites every table's files), DELETE of a few rows does
    not."""
    engine = _engine(url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    probe = " UNION ALL ".join(
        f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM {name})" for name in tables)
    with engine.begin() as conn:
        used = {row[0] for row in conn.execute(text(probe))}
        for name in tables:  # children before parents
            if name in used:
                conn.execute(text(f"DELETE FROM {name}"))
        if engine.dialect.name == "postgresql":
            # Every sequence that moved, even for a table whose rows were rolled back.
            conn.execute(text(
                "SELECT setval(format('%I.%I', schemaname, sequencename), 1, false) "
                "FROM pg_sequences WHERE schemaname = current_schema() "
                "AND last_value IS NOT NULL"))
        else:
            conn.execute(text("DELETE FROM sqlite_sequence"))  # restart case numbers


@contextmanager
def database_at(database: str, revision: str, tmp_path: Path, name: str) -> Iterator[str]:
    """The URL of an empty database migrated only up to `revision` (to test the migration
    after it): a SQLite file, or a PostgreSQL schema of its own, dropped afterwards."""
    engine = create_engine(PG_SERVER)
    schema = f"{name}{os.getpid()}"
    if database == "sqlite":
        url = f"sqlite:///{tmp_path / f'{name}.db'}"
    else:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        url = f"{PG_SERVER}?options=-csearch_path%3D{schema}"
    upgrade(url, revision)
    try:
        yield url
    finally:
        if database == "postgresql":
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """Each test using it runs once on SQLite and once on PostgreSQL, starting empty."""
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    wipe(url)
    yield url


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """The project's Twilio-shaped server, with the test credentials."""
    with FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, callback_delay=0.01) as fake:
        yield fake


def app_config(db_url: str, fake_url: str, **extra: Any) -> dict[str, Any]:
    """The test configuration (the same keys the environment would give)."""
    cfg: dict[str, Any] = {
        "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL, "SECRET_KEY": "test",
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_API_URL": fake_url, "HOTLINE_NUMBER": HOTLINE_NUMBER,
        "PUBLIC_URL": PUBLIC_URL, "HOTLINE_PROVIDER": "twilio", "TESTING": True,
        # Most tests read the hotline's answer in the webhook's TwiML: the same reading as a
        # worker's (hotline.arrivals.read_sms), answered in the response. The deployed way
        # (stored, read by a worker, answered by SMS) is what `on_provider` worlds,
        # tests/test_sms_arrivals.py and tests/test_e2e.py run.
        "SMS_READ_IN_WEBHOOK": "1",
    }
    cfg.update(extra)
    return cfg


@pytest.fixture
def app(db_url: str, fake_twilio: FakeTwilio, redis_client: redis_lib.Redis,
        tmp_path: Path) -> Iterator[Flask]:
    """The hotline app on the parametrised database, real Redis and the fake Twilio server."""
    redis_client.flushdb()
    application = create_app(app_config(db_url, fake_twilio.base_url),
                             instance_path=str(tmp_path / "instance"))
    with application.app_context():
        yield application
    engine = application.extensions["db"].engine
    engine.dispose()
    if engine.dialect.name == "sqlite":
        no_transaction_left_open(str(engine.url.database))


def no_transaction_left_open(database: str) -> None:
    """Fail the test that left a SQLite write transaction open (a session never closed).

    Every transaction of the app holds the database's writer lock (hotline.infra.write_lock)
    until it ends; one left open would make every later test's writes wait out the lock's
    30-second timeout. A session dropped without closing is ended by the garbage collector:
    that is run first, and only a lock this process still holds after it fails the test (a
    worker process of the test's own may be finishing a transaction of its own)."""
    path = f"{database}-writer.lock"
    if not os.path.exists(path) or os.getpid() not in flock_holders(path):
        return
    gc.collect()
    if os.getpid() in flock_holders(path):
        pytest.fail("this test left a database transaction open (the SQLite writer lock is "
                    "still held by this process after it ended)")


def flock_holders(path: str) -> set[int]:
    """The processes holding an flock on `path`, as the kernel lists them (/proc/locks)."""
    st = os.stat(path)
    inode = f"{os.major(st.st_dev):02x}:{os.minor(st.st_dev):02x}:{st.st_ino}"
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:  # not Linux: no way to tell, nothing to report
        return set()
    return {int(fields[4]) for fields in (line.split() for line in lines)
            if len(fields) > 5 and fields[1] == "FLOCK" and fields[5] == inode}


@pytest.fixture
def post_signed(app: Flask) -> Callable[..., Any]:
    """POST a form to the app through the test client, signed like Twilio for PUBLIC_URL."""
    client = app.test_client()

    def post(path: str, form: dict[str, str], *, token: str = AUTH_TOKEN,
             signed_url: str | None = None, headers: dict[str, str] | None = None) -> Any:
        url = signed_url or (PUBLIC_URL + path)
        sig = RequestValidator(token).compute_signature(url, form)
        return client.post(path, data=form,
                           headers={"X-Twilio-Signature": sig, **(headers or {})})

    return post


def sms_form(from_: str, body: str, sid: str | None = None, **extra: str) -> dict[str, str]:
    """An inbound-SMS webhook form as Twilio sends it."""
    sid = sid or "SM" + os.urandom(16).hex()
    form = {"MessageSid": sid, "SmsSid": sid, "AccountSid": ACCOUNT_SID, "From": from_,
            "To": HOTLINE_NUMBER, "Body": body, "NumMedia": "0", "ApiVersion": "2010-04-01"}
    form.update(extra)
    return form


class LiveServer:
    """The app served over real HTTP in a thread, so Twilio-style callbacks can reach it."""

    def __init__(self, app: Flask) -> None:
        self.server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()


_WORKER_LOGS: dict[int, tuple[Path, IO[bytes]]] = {}
LOG_TAIL = 4000


def start_worker(env: dict[str, str], *extra: str, log_dir: Path | None = None
                 ) -> subprocess.Popen[bytes]:
    """A real `celery -A worker worker` process consuming from real Redis.

    Its output goes to a file in `log_dir` (default: a fresh temp dir), never to a pipe that
    nobody reads: a chatty worker would block once the pipe's buffer is full.
    """
    full = {**os.environ, **env}
    args = [sys.executable, "-m", "celery", "-A", "worker", "worker", "--loglevel", "INFO",
            "-Q", "urgent,intake,send,campaigns", "-c", "2", "--without-mingle",
            "--without-gossip", *extra]
    folder = log_dir or Path(tempfile.mkdtemp(prefix="celery-worker-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"worker-{time.monotonic_ns()}.log"
    log_file = open(path, "wb")  # noqa: SIM115 - closed in stop_process()
    proc = subprocess.Popen(args, env=full, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT)
    _WORKER_LOGS[proc.pid] = (path, log_file)
    return proc


def stop_process(proc: subprocess.Popen[bytes]) -> str:
    """Stop a child process and return what it printed (its tail is printed for failures)."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    logged = _WORKER_LOGS.pop(proc.pid, None)
    if logged is None:  # started elsewhere with a pipe
        return proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    path, log_file = logged
    log_file.close()
    out = path.read_text(errors="replace")
    # pytest shows a test's captured stdout only when it fails: the worker's last words.
    print(f"--- worker log {path} (last {LOG_TAIL} chars) ---\n{out[-LOG_TAIL:]}")
    return out


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """Every statement the app's engine executes inside the block."""
    seen: list[str] = []
    engine = app.extensions["db"].engine

    def record(*args: Any) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def wait_until(predicate: Callable[[], Any], timeout: float = 30.0, interval: float = 0.1,
               message: str = "condition") -> Any:
    """Poll `predicate` until it returns something truthy; fail the test on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout}s waiting for {message}")


def http_post_signed(url: str, form: dict[str, str], token: str = AUTH_TOKEN,
                     signed_url: str | None = None) -> requests.Response:
    """POST a signed webhook over real HTTP."""
    sig = RequestValidator(token).compute_signature(signed_url or url, form)
    return requests.post(url, data=form, headers={"X-Twilio-Signature": sig}, timeout=15)


# --- web UI: a small world of organisations, volunteers, accounts and cases --------------------
from dataclasses import dataclass  # noqa: E402

WEB_PASSWORD = "correct horse battery"


@dataclass
class WebWorld:
    """Ids and numbers of the web tests' world (see `web_world`)."""

    org_a: int
    org_b: int
    vol_a: int
    vol_b: int
    assigned_to_a: int  # org A, assigned to volunteer A
    offered_to_b: int  # org A, pending offer to volunteer B
    org_b_case: int  # org B, new
    declined_by_a: int  # org A, volunteer A declined the offer: no longer theirs
    worker_phone: str


@pytest.fixture
def web_world(app: Flask) -> WebWorld:
    """Two organisations; staff, admin and volunteer logins; four cases with different owners."""
    from werkzeug.security import generate_password_hash

    from hotline.infra.db import get_db
    from models import (
        Case,
        CaseCategory,
        CaseStatus,
        Contact,
        Offer,
        OfferStatus,
        Organisation,
        Role,
        User,
        Volunteer,
    )

    pw_hash = _web_password_hash(generate_password_hash)
    with get_db().begin() as s:
        org_a, org_b = Organisation(name="固始县服务站"), Organisation(name="珠海市中心")
        s.add_all([org_a, org_b])
        s.flush()
        vol_a = Volunteer(name="李律师", phone="+8613900000001", languages=["zh"],
                          organisation_id=org_a.id, on_duty=True, skills=["wages"])
        vol_b = Volunteer(name="王社工", phone="+8613900000002", languages=["zh"],
                          organisation_id=org_a.id, on_duty=True)
        s.add_all([vol_a, vol_b])
        s.flush()
        for name, role, org, vol in [("admin", Role.ADMIN, None, None),
                                     ("staff_a", Role.STAFF, org_a.id, None),
                                     ("staff_b", Role.STAFF, org_b.id, None),
                                     ("vol_a", Role.VOLUNTEER, org_a.id, vol_a.id),
                                     ("vol_b", Role.VOLUNTEER, org_a.id, vol_b.id)]:
            s.add(User(username=name, password_hash=pw_hash, role=role, organisation_id=org,
                       volunteer_id=vol))
        worker = Contact(phone="+8613812348000", name="张工友")
        s.add(worker)
        s.flush()
        cases = []
        for org, status, vol in [(org_a.id, CaseStatus.ASSIGNED, vol_a.id),
                                 (org_a.id, CaseStatus.OFFERED, None),
                                 (org_b.id, CaseStatus.NEW, None),
                                 (org_a.id, CaseStatus.NEW, None)]:
            case = Case(contact_id=worker.id, organisation_id=org, status=status,
                        assigned_volunteer_id=vol, category=CaseCategory.WAGES,
                        employer="深圳某建筑公司", work_province="广东省", work_city="深圳市",
                        amount_owed=12000, people_affected=1)
            s.add(case)
            s.flush()
            case.assign_number()
            cases.append(case)
        s.add(Offer(case_id=cases[1].id, volunteer_id=vol_b.id, status=OfferStatus.PENDING))
        s.add(Offer(case_id=cases[3].id, volunteer_id=vol_a.id, status=OfferStatus.DECLINED))
        n = [int(c.number or 0) for c in cases]
        return WebWorld(org_a.id, org_b.id, vol_a.id, vol_b.id, assigned_to_a=n[0],
                        offered_to_b=n[1], org_b_case=n[2], declined_by_a=n[3],
                        worker_phone=worker.phone)


_HASHES: dict[str, str] = {}


def _web_password_hash(make: Callable[[str], str]) -> str:
    """Hash WEB_PASSWORD once per process (scrypt is slow on purpose)."""
    if "pw" not in _HASHES:
        _HASHES["pw"] = make(WEB_PASSWORD)
    return _HASHES["pw"]


def csrf_from(html: str) -> str:
    """The CSRF token of the first form in a page."""
    import re

    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def web_login(client: Any, username: str, password: str = WEB_PASSWORD) -> Any:
    """Log a test client in through the real form (CSRF token included); return the response."""
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})
