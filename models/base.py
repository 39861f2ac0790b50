"""Declarative base, naming convention and column helpers shared by every model."""

from __future__ import annotations

import enum
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import JSON, DateTime, Enum, MetaData, TypeDecorator, select
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Session, object_session
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

# Named constraints keep Alembic batch migrations on SQLite deterministic.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# The database's clock as this process last read it (session_now): its time then, and this
# host's monotonic clock then. Carried forward by the monotonic clock (never stepped by NTP or
# an operator), it makes every utcnow() in the code the database's time to within a round
# trip, on hosts whose wall clocks disagree by minutes.
_db_clock: tuple[datetime, float] | None = None


def host_clock() -> datetime:
    """This host's own wall clock, timezone-aware UTC (what utcnow falls back to)."""
    return datetime.now(UTC)


# The latest time utcnow has answered. A new reading of the database's clock is only as exact
# as its round trip, so it may put the time a few milliseconds before an answer already given;
# held still until the clock passes it, "give, then withdraw" is never stamped the other way
# round. A step back larger than HOLD_STILL is a real correction (a wrong clock) and is taken.
_last_now: datetime | None = None
HOLD_STILL = timedelta(seconds=2)


def utcnow() -> datetime:
    """The current time, timezone-aware UTC: the database's clock as last read by this
    process (session_now) carried forward; this host's clock until the database was read.
    Never earlier than the last answer by less than HOLD_STILL. Rows still take their stamps
    from the database itself (DbNow)."""
    global _last_now
    seen = _db_clock
    now = host_clock() if seen is None else seen[0] + timedelta(
        seconds=time.monotonic() - seen[1])
    last = _last_now
    if last is not None and last - HOLD_STILL < now < last:
        return last
    _last_now = now
    return now


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and always read back timezone-aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use models.base.utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class DbNow(FunctionElement[datetime]):
    """The database's current time as SQL: every stored time that another host compares
    (created_at, updated_at, an expiry) comes from one clock, whichever host wrote it.

    PostgreSQL: statement_timestamp(), the time the statement arrived. Not now(): that is
    the transaction's start, so a long transaction (a campaign chunk, a sweep) would write
    times seconds in the past, older than rows it has just read, and a grace period counted
    from them would end early. Not clock_timestamp(): rows inserted by one statement would
    differ by microseconds in an order nobody chose. Within one statement every row gets
    the same time; timelines order by id, so ties keep the order of writing.
    SQLite: 'now' is UTC to the millisecond; three zeros make it the six-digit form the
    driver stores Python datetimes in, so stored texts still compare in time order."""

    type = UTCDateTime()
    inherit_cache = True
    name = "db_now"


@compiles(DbNow)
def _db_now_default(element: DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    return "statement_timestamp()"


@compiles(DbNow, "sqlite")
def _db_now_sqlite(element: DbNow, compiler: SQLCompiler, **kw: Any) -> str:
    return "(strftime('%Y-%m-%d %H:%M:%f', 'now') || '000')"


def session_now(session: Session) -> datetime:
    """The database's current time (aware UTC), read through `session` (one round trip)."""
    before = time.monotonic()
    with session.no_autoflush:  # reading the time must not flush a half-built row
        value = session.scalar(select(DbNow()))
    assert isinstance(value, datetime)
    value = value.astimezone(UTC)
    if session.get_bind().dialect.name != "sqlite":  # SQLite's clock is this host's anyway
        remember_database_time(value, before)
    return value


def remember_database_time(value: datetime, asked_at: float) -> None:
    """Take `value`, the database's time read by a query sent at monotonic `asked_at`, as
    this process's clock (utcnow): the middle of the round trip is when it was read."""
    global _db_clock
    _db_clock = (value.astimezone(UTC), (asked_at + time.monotonic()) / 2)


def object_now(obj: object) -> datetime:
    """The database's current time through the session holding `obj` (this host's clock for
    an object in no session yet: it is written later, by whoever adds it)."""
    session = object_session(obj)
    return session_now(session) if session is not None else utcnow()


def str_enum(cls: type[enum.Enum]) -> Enum:
    """Store an enum by its lowercase value in a VARCHAR, portable across SQLite and PostgreSQL."""
    return Enum(
        cls,
        native_enum=False,
        length=20,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    """Base class of every table."""

    metadata = MetaData(naming_convention=NAMING)
    # A DbNow default or onupdate is computed by the database: read it back in the same
    # INSERT/UPDATE (RETURNING), so a row's times are there after the session closes
    # (sessions keep objects after commit) without another query.
    __mapper_args__ = {"eager_defaults": True}
    type_annotation_map: dict[Any, Any] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON(),
        list[str]: JSON(),
    }
