"""The real parts a benchmark runs on: gunicorn, a migrated database, a throwaway Redis."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text

from devtools.embedded_redis import EmbeddedRedis
from hotline.infra.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
GUNICORN_WORKERS = 2


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Gunicorn:
    """`gunicorn -w 2` serving an app factory on a loopback port, as production would."""

    def __init__(self, factory: str, env: dict[str, str], workdir: Path,
                 workers: int = GUNICORN_WORKERS) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = workdir / f"gunicorn-{self.port}.log"
        self._log = open(self.log_path, "wb")  # noqa: SIM115 - closed in stop()
        args = [sys.executable, "-m", "gunicorn", "-w", str(workers),
                "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
                "--timeout", "60", factory]
        self.process = subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env},
                                        stdout=self._log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Block until /healthz answers 200; raise with the server's log if it never does
        (a busy 2-core machine can take a minute to import the app in two workers)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()[-2000:]}")

    def stop(self) -> None:
        """Stop the master (it stops its workers)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def start_worker(queues: str, concurrency: int, name: str, cfg: dict[str, str],
                 log: Any, nice: int = 0) -> subprocess.Popen[bytes]:
    """A real Celery worker (prefork) consuming `queues`, at `nice` CPU priority."""
    niced = ["nice", "-n", str(nice)] if nice else []
    return subprocess.Popen(
        [*niced, sys.executable, "-m", "celery", "-A", "worker", "worker", "-Q", queues, "-c",
         str(concurrency), "-n", f"{name}@%h", "--without-mingle", "--without-gossip",
         "--loglevel", "WARNING"], env={**os.environ, **cfg}, cwd=ROOT, stdout=log,
        stderr=subprocess.STDOUT)


@contextmanager
def gunicorn(factory: str, env: dict[str, str], workdir: Path,
             workers: int = GUNICORN_WORKERS) -> Iterator[Gunicorn]:
    """A started, ready gunicorn (`workers` sync workers); stopped on exit."""
    server = Gunicorn(factory, env, workdir, workers)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    """A migrated SQLite file in `workdir`."""
    url = f"sqlite:///{workdir / 'bench.db'}"
    upgrade(url)
    yield url


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A migrated schema of its own on the PostgreSQL server, dropped afterwards."""
    schema = f"bench{os.getpid()}"
    engine = create_engine(server_url)
    with engine.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = f"{server_url}?options=-csearch_path%3D{schema}"
    try:
        upgrade(url)
        yield url
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        engine.dispose()


@contextmanager
def redis_server() -> Iterator[str]:
    """BENCH_REDIS_URL if set, else a throwaway redis-server on its own loopback port."""
    given = os.environ.get("BENCH_REDIS_URL")
    if given:
        yield given
        return
    with tempfile.TemporaryDirectory(prefix="bench-redis-") as tmp:
        server = EmbeddedRedis(tmp, port=free_port())
        try:
            yield server.start()
        finally:
            server.stop()
