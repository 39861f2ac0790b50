"""SQLite writers take turns on a file lock, so a waiting process starts the moment the lock
is free instead of sleeping out SQLite's busy handler.

SQLite lets one writer in at a time; a second BEGIN IMMEDIATE is refused, and the driver's busy
handler retries it after 1, 2, 5, 10 … then 100 ms. With two web workers a text that arrived
while the other worker wrote slept far longer than the write it waited for: the webhook's p99
was ten times that of one worker. Here every write transaction of this app first takes an
exclusive lock on a file beside the database, polled every half millisecond, and lets it go when
the transaction ends; SQLite's own lock and busy timeout stay as they were, for other programs.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

try:
    import fcntl
except ImportError:  # Windows: SQLite's own busy handler alone
    fcntl = None  # type: ignore[assignment]

POLL_SECONDS = 0.0005


class WriteLock:
    """One writer at a time across processes (a file lock) and threads (a mutex)."""

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path, timeout
        self._mutex = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._owner: int | None = None  # the thread that took the lock
        self._holder: int | None = None  # id() of the driver connection holding the lock

    def _this_process(self) -> None:
        # A forked child (a Celery pool process) starts afresh: sharing its parent's open
        # file would share the lock itself, and it has none of its parent's transactions.
        if self._pid != os.getpid():
            self._mutex, self._owner, self._holder = threading.Lock(), None, None
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()

    def acquire(self) -> bool:
        """Wait for the lock (up to the timeout); False when not taken: this thread holds it
        already (a nested transaction waits in SQLite, as before) or the wait ran out."""
        if fcntl is None:
            return False
        try:
            self._this_process()
        except OSError:  # no lock file (a read-only folder): SQLite's own wait alone
            return False
        if self._owner == threading.get_ident():
            return False
        deadline = time.monotonic() + self.timeout
        if not self._mutex.acquire(timeout=self.timeout):
            return False
        try:
            fd = self._fd
            assert fd is not None
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        self._mutex.release()
                        return False
                    time.sleep(POLL_SECONDS)
        except OSError:
            self._mutex.release()
            return False
        self._owner = threading.get_ident()
        return True

    def take(self, connection: Any) -> None:
        """Take the lock for the transaction this pooled connection begins."""
        if self.acquire():
            self._holder = id(driver_connection(connection))

    def give_back(self, connection: Any) -> None:
        """Release the lock if this connection's transaction took it. Known by the driver's
        connection, not the pool's wrapper around it: a session dropped unclosed is rolled
        back by the garbage collector through a new wrapper, maybe in another thread."""
        if self._holder is not None and self._holder == id(driver_connection(connection)):
            self._holder = None
            self.release()

    def close(self) -> None:
        """Close this process's handle on the lock file (the engine is gone): an app made
        and dropped many times, as the tests do, would otherwise hold one file per app."""
        fd, self._fd = self._fd, None
        if fd is not None and self._pid == os.getpid():
            os.close(fd)  # closing also lets go of a lock still held by it
        self._pid = 0

    def release(self) -> None:
        """Let the next writer in."""
        if not self._mutex.locked():
            return
        if self._fd is not None and fcntl is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._owner = None
        self._mutex.release()


def driver_connection(connection: Any) -> Any:
    """The DBAPI connection behind SQLAlchemy's pooled one (or the connection itself)."""
    return getattr(connection, "dbapi_connection", None) or connection


def lock_for(database: str | None, timeout: float) -> WriteLock | None:
    """The write lock of a SQLite database file; None in memory (one connection, no rival)."""
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        return None
    return WriteLock(f"{database}-writer.lock", timeout)


def release_after_commit(dialect: Any, lock: WriteLock) -> None:
    """Let the lock go once a transaction's COMMIT or ROLLBACK has returned (the pool's
    rollback of a connection handed back included). SQLAlchemy's commit event comes before
    the COMMIT, and a writer let in then would meet SQLite's lock and its busy sleeps; so the
    engine's own dialect (one per engine) is wrapped."""
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(connection: Any) -> None:
        try:
            commit(connection)
        finally:
            lock.give_back(connection)

    def do_rollback(connection: Any) -> None:
        try:
            rollback(connection)
        finally:
            lock.give_back(connection)

    dialect.do_commit, dialect.do_rollback = do_commit, do_rollback
