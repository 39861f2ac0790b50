"""One clock for every host: the database's.

A time written by one process and compared by another (a claim, a lease, an expiry, a grace
period, a stall check) must come from one clock, or a host whose clock runs minutes ahead
resends what another host is still sending, or waits minutes for what is due. Hosts' own
clocks are still kept in step by NTP for logs; correctness no longer depends on it.

Rows take their created_at/updated_at from the database in the INSERT or UPDATE itself
(`models.base.DbNow` as the column default); `db_now` is for a time Python computes before
storing it (an expiry, a cut-off). Both are the same clock: on PostgreSQL the statement's
time (statement_timestamp(), see DbNow for why not now()), on SQLite 'now'.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from hotline.infra.db import get_db
from models.base import session_now

# session.info keys: a request that pins the clock reads it once (one round trip, one "now"
# for every rule it applies); a long-lived session (a worker's loop) is never pinned.
PINNED, PINNED_AT = "db_now_pinned", "db_now_at"


def pin_db_now(session: Session) -> None:
    """Make `db_now` read the database's clock once for the rest of this session's work."""
    session.info[PINNED] = True


def offer_db_now(session: Session, value: datetime) -> None:
    """`value`, a time the database has just written in this session's transaction, is its
    clock for a pinned session that has not read it yet (one round trip fewer)."""
    if session.info.get(PINNED) and session.info.get(PINNED_AT) is None:
        session.info[PINNED_AT] = value.astimezone(UTC)


def db_now(session: Session) -> datetime:
    """The database's current time (aware, UTC), read through the caller's session."""
    if not session.info.get(PINNED):
        return session_now(session)
    at = session.info.get(PINNED_AT)
    if at is None:
        at = session.info[PINNED_AT] = session_now(session)
    return at


def database_now() -> datetime:
    """`db_now` read in a short transaction of its own, for callers outside one."""
    with get_db().begin() as session:
        return db_now(session)
