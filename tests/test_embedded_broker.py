"""REDIS_URL unset means the embedded Redis, inside `hotline demo` or where one machine is said."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from devtools.embedded_redis import EmbeddedRedis, ensure_embedded_redis
from hotline import create_app
from tests.conftest import ROOT
from tests.test_demo import newcomer_env

pytestmark = pytest.mark.e2e


def embedded_server(config: dict[str, object]) -> EmbeddedRedis:
    """A handle on the embedded server the config points at (without starting it)."""
    sock = Path(str(config["REDIS_URL"]).removeprefix("redis+socket://"))
    return EmbeddedRedis(sock.parent, socket_name=sock.name)


def test_ensure_embedded_redis_starts_once_and_is_reused(tmp_path: Path) -> None:
    app = create_app({"REDIS_URL": None}, instance_path=str(tmp_path / "instance"))
    assert app.config["REDIS_EMBEDDED"] is True
    started = ensure_embedded_redis(app.config)
    try:
        assert started is not None and started.is_up()
        assert ensure_embedded_redis(app.config) is None  # a second process reuses it
        assert embedded_server(app.config).client().ping()
    finally:
        assert started is not None
        started.stop()
    assert not embedded_server(app.config).is_up()


def test_configured_redis_is_never_replaced(tmp_path: Path) -> None:
    app = create_app({"REDIS_URL": "redis://127.0.0.1:6379/9"},
                     instance_path=str(tmp_path / "instance"))
    assert not app.config.get("REDIS_EMBEDDED")
    assert ensure_embedded_redis(app.config) is None


def test_celery_worker_without_redis_url_consumes_from_embedded_redis(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    env = {**newcomer_env(instance), "HOTLINE_SINGLE_MACHINE": "1"}  # one machine on purpose
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "worker", "worker", "-c", "1", "-P", "solo",
         "--without-mingle", "--without-gossip", "--loglevel", "INFO"],
        env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    app = create_app({"REDIS_URL": None}, instance_path=str(instance))
    server = embedded_server(app.config)
    try:
        deadline = time.monotonic() + 60
        replies: list[object] = []
        while time.monotonic() < deadline and not replies:
            if server.is_up():
                replies = app.extensions["celery"].control.ping(timeout=1.0)
            else:
                time.sleep(0.2)
        assert replies, (tmp_path / "worker.log").read_text(errors="replace")[-3000:]
    finally:
        worker.terminate()
        worker.wait(timeout=30)
        log.close()
    # The worker started the server, so its exit stops it: nothing left running behind.
    deadline = time.monotonic() + 10
    while server.is_up() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not server.is_up()
