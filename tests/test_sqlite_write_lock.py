"""SQLite writers take turns on a file lock (hotline.infra.write_lock): nothing is lost, a
waiting writer goes on once the other has committed, and every way a transaction ends lets
the lock go."""

from __future__ import annotations

import fcntl
import gc
import multiprocessing
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from hotline.infra.db import Database

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file locks are POSIX here")


def fresh(tmp_path: Path) -> Database:
    """A SQLite file with one counter row."""
    db = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    with db.engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (id INTEGER PRIMARY KEY, n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (1, 0)"))
    return db


def lock_is_free(tmp_path: Path) -> bool:
    """Another open file can take the lock at once: nobody holds it."""
    fd = os.open(tmp_path / "lock.db-writer.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return True
    except BlockingIOError:
        return False
    finally:
        os.close(fd)


def count(db: Database) -> int:
    """The counter's value."""
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT n FROM counter")).scalar_one())


def bump(url: str, times: int) -> None:
    """Read, then write one more: loses updates unless writers take turns."""
    db = Database(url)
    for _ in range(times):
        with db.begin() as s:
            n = s.execute(text("SELECT n FROM counter WHERE id = 1")).scalar_one()
            s.execute(text("UPDATE counter SET n = :n WHERE id = 1"), {"n": n + 1})
    db.engine.dispose()


def test_two_processes_and_threads_lose_no_update(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    url = str(db.engine.url)
    with db.begin() as s:  # the parent wrote before forking: its children start afresh
        s.execute(text("UPDATE counter SET n = 0"))
    db.engine.dispose()  # no open SQLite connection crosses the fork
    context = multiprocessing.get_context("fork")
    procs = [context.Process(target=bump, args=(url, 150)) for _ in range(2)]
    threads = [threading.Thread(target=bump, args=(url, 100)) for _ in range(2)]
    for proc in procs:
        proc.start()
    for thread in threads:
        thread.start()
    for proc in procs:
        proc.join(60)
        assert proc.exitcode == 0
    for thread in threads:
        thread.join(60)
    assert count(db) == 2 * 150 + 2 * 100
    assert lock_is_free(tmp_path)


def test_a_waiting_writer_goes_on_after_the_commit(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    order: list[str] = []
    holding = threading.Event()

    def second() -> None:
        holding.wait(10)
        with db.begin() as s:
            s.execute(text("UPDATE counter SET n = n + 10"))  # begins: waits for the lock
            order.append("second wrote")

    waiter = threading.Thread(target=second)
    waiter.start()
    with db.begin() as s:
        s.execute(text("UPDATE counter SET n = n + 1"))
        holding.set()
        time.sleep(0.3)  # the other thread is waiting now
        order.append("first committing")
    waiter.join(30)
    assert order == ["first committing", "second wrote"]
    assert count(db) == 11


def test_every_end_of_a_transaction_lets_the_lock_go(tmp_path: Path) -> None:
    db = fresh(tmp_path)
    with db.begin() as s:
        s.execute(text("UPDATE counter SET n = 1"))
    assert lock_is_free(tmp_path)
    with pytest.raises(ValueError), db.begin() as s:  # rolled back
        s.execute(text("UPDATE counter SET n = 2"))
        raise ValueError
    assert lock_is_free(tmp_path)
    conn = db.engine.connect()  # a transaction begun and handed back to the pool unfinished
    conn.execute(text("UPDATE counter SET n = 3"))
    assert not lock_is_free(tmp_path)
    conn.close()
    assert lock_is_free(tmp_path)
    assert count(db) == 1


def test_a_session_dropped_unclosed_lets_the_lock_go_when_collected(tmp_path: Path) -> None:
    """A session nobody closed is rolled back by the garbage collector, through a new pool
    wrapper of its driver connection: that still lets the lock go (it once stayed held, and
    every later write of the process waited out the lock's 30-second timeout)."""
    db = fresh(tmp_path)
    session = db.sessions()
    session.execute(text("UPDATE counter SET n = 5"))
    session.info["itself"] = session  # a cycle: only the collector ends it
    assert not lock_is_free(tmp_path)
    del session
    gc.collect()
    assert lock_is_free(tmp_path)
    done = threading.Event()

    def write() -> None:
        with db.begin() as s:
            s.execute(text("UPDATE counter SET n = n + 1"))
        done.set()

    writer = threading.Thread(target=write)
    writer.start()
    assert done.wait(5), "a later writer waited for a lock nobody held"
    writer.join()
    assert count(db) == 1  # the dropped session's write was rolled back


def lock_files_open(tmp_path: Path) -> int:
    """This process's open handles on the lock file."""
    target = str(tmp_path / "lock.db-writer.lock")
    return sum(1 for fd in os.listdir("/proc/self/fd")
               if os.path.realpath(f"/proc/self/fd/{fd}") == target)


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc")
def test_the_lock_file_is_closed_with_its_engine(tmp_path: Path) -> None:
    """Each app opens the lock file once; dropping the app's engine closes it, so a process
    that makes many apps (a test run makes thousands) does not pile up open files."""
    fresh(tmp_path).engine.dispose()
    for _ in range(20):
        db = Database(f"sqlite:///{tmp_path / 'lock.db'}")
        with db.begin() as s:
            s.execute(text("UPDATE counter SET n = n + 1"))
        assert lock_files_open(tmp_path) >= 1
        db.engine.dispose()
        del db, s
        gc.collect()
    assert lock_files_open(tmp_path) == 0
    assert lock_is_free(tmp_path)
    again = Database(f"sqlite:///{tmp_path / 'lock.db'}")
    assert count(again) == 20
    again.engine.dispose()
