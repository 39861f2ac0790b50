"""Database engine and sessions; SQLite gets BEGIN IMMEDIATE so two processes lose no writes."""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from flask import Flask, current_app
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from hotline.infra import write_lock
from models.base import remember_database_time

BUSY_TIMEOUT_SECONDS = 30  # how long a SQLite writer waits for another before it gives up
# A pooled PostgreSQL connection idle this long is pinged before use; one handed back
# moments ago is not (see _ping_after_idle).
PING_AFTER_IDLE_SECONDS = 2.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine; on SQLite, make every transaction BEGIN IMMEDIATE with WAL."""
    # A database error's text would otherwise repeat its parameters (a worker's number, text).
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_SECONDS}, **kwargs)
        _sqlite_immediate(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # JIT compilation only pays for long analytic queries; for a console's short ones it
    # cost 175-207 ms a statement once plans looked expensive. Kept with any options the URL
    # already passes (a search_path).
    given = make_url(url).query.get("options") or ""
    given = " ".join(given) if isinstance(given, tuple) else given
    options = f"{given} -c jit=off".strip()
    engine = create_engine(url, connect_args={"options": options}, **kwargs)
    _read_clock_on_connect(engine)
    _ping_after_idle(engine)
    return engine


def _ping_after_idle(engine: Engine) -> None:
    # pool_pre_ping pings on every checkout: a round trip per webhook, on a connection that
    # was handed back a few milliseconds before. A server restart or a killed backend happens
    # while a connection sits idle, so only one idle for a while is pinged (as pre-ping does
    # it: the dialect's own ping); a dead one is replaced before the request uses it. A
    # connection that dies in use fails that request, and SQLAlchemy then renews the pool.
    @event.listens_for(engine, "checkin")
    def _checkin(_dbapi_conn: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checkout(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return  # just connected, or back in the pool a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise DisconnectionError("idle connection found closed") from exc
            raise


def _read_clock_on_connect(engine: Engine) -> None:
    # Each new connection reads the database's clock, so a process's utcnow() follows it from
    # its first query on, before any code has asked db_now (models.base.utcnow).
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        asked = time.monotonic()
        with dbapi_conn.cursor() as cur:
            cur.execute("SELECT statement_timestamp()")
            row = cur.fetchone()
        dbapi_conn.rollback()  # hand the connection over idle, as the pool expects it
        if row and isinstance(row[0], datetime):
            remember_database_time(row[0], asked)


def _sqlite_immediate(engine: Engine) -> None:
    # The driver's implicit transactions let two writer processes silently lose updates
    # (read-then-update); BEGIN IMMEDIATE takes the write lock up front. See SQLAlchemy's
    # "Serializable isolation / Savepoints / Transactional DDL" recipe for pysqlite.
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_SECONDS * 1000}")
        cur.close()

    # Writers of this app queue on a file lock first (hotline.infra.write_lock): a waiting
    # process then starts as soon as the other's transaction ends, not after a busy sleep.
    lock = write_lock.lock_for(engine.url.database, BUSY_TIMEOUT_SECONDS)

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        if lock is not None:
            lock.take(conn.connection)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            if lock is not None:
                lock.give_back(conn.connection)
            raise

    if lock is not None:
        write_lock.release_after_commit(engine.dialect, lock)
        # The lock file stays open while the engine lives; closed with it.
        weakref.finalize(engine, lock.close)


class Database:
    """The engine and session factory of one app."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def begin(self) -> Iterator[Session]:
        """One transaction: commit on success, roll back on any exception."""
        with self.sessions.begin() as session:
            yield session

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded database."""
        return self.engine.dialect.name == "sqlite"


def init_db(app: Flask) -> Database:
    """Attach a Database to the app."""
    db = Database(app.config["DATABASE_URL"])
    app.extensions["db"] = db
    return db


def get_db() -> Database:
    """The current app's Database."""
    db: Database = current_app.extensions["db"]
    return db


def row_id(raw: str | None) -> int | None:
    """A row id typed in a form or a URL: an ASCII decimal of up to 9 digits as int, else None
    ('²' is no id, and one past 64 bits would make the database raise instead of finding
    nothing)."""
    if not raw or len(raw) > 9 or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)
