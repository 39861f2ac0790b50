"""One clock for every host: the database's.

A time written by one process and compared by another (a claim, a lease, an expiry, a grace
period, a stall check) must come from one clock, or a host whose clock runs minutes ahead
resends what another host is still sending, or waits minutes for what is due. Hosts' own
clocks are still kept in step by NTP for logs; correctness no longer depends on it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from hotline.db import get_db

# SQLite's 'now' is UTC with milliseconds, in the text form UTCDateTime stores ('YYYY-MM-DD
# HH:MM:SS.fff'), so it compares correctly with stored values; SQLite is one machine anyway.
SQLITE_NOW = text("SELECT strftime('%Y-%m-%d %H:%M:%f', 'now')")


def db_now(session: Session) -> datetime:
    """The database's current time (aware, UTC): on PostgreSQL its transaction's now()."""
    if session.get_bind().dialect.name == "sqlite":
        raw = session.scalar(SQLITE_NOW)
        return datetime.fromisoformat(str(raw)).replace(tzinfo=UTC)
    value = session.scalar(select(func.now()))
    assert isinstance(value, datetime)
    return value.astimezone(UTC)


def database_now() -> datetime:
    """`db_now` read in a short transaction of its own, for callers outside one."""
    with get_db().begin() as session:
        return db_now(session)
