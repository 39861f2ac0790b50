"""Outside the demo and tests, a process missing what every host shares refuses to start,
naming each missing setting in one message, and makes nothing of a single machine on the way.

The real entry points run as subprocesses with only what each case gives them: the WSGI app
under gunicorn, `hotline serve`, a CLI command, `hotline db upgrade`. (Celery's worker and
beat: tests/test_one_clock.py.) The same decision, hotline.infra.config.missing_settings, is
checked in-process for each kind of process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hotline.infra.config import BEAT, CLI, DB, LOCAL, WEB, WORKER, missing_settings, read_settings
from tests.conftest import REDIS_URL, ROOT

BIN = Path(sys.executable).parent
HOTLINE, GUNICORN = str(BIN / "hotline"), str(BIN / "gunicorn")
# What a web host on real Twilio is given in production (README "Running it for real").
FULL = {"DATABASE_URL": "", "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "6f1c0d8e2b7a49d3a5c4e1f09b8d7c6a", "PUBLIC_URL": "https://hotline.example.org",
        "HOTLINE_PROVIDER": "twilio", "TWILIO_AUTH_TOKEN": "3c9d7e1f5a2b4c6d8e0f1a2b3c4d5e6f"}
NAMES = ("DATABASE_URL", "REDIS_URL", "PUBLIC_URL", "SECRET_KEY", "TWILIO_AUTH_TOKEN")
# This checkout's code, wherever the entry points were installed from.
BASE = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8",
        "PYTHONPATH": str(ROOT)}
SETTINGS = (*NAMES, "HOTLINE_SINGLE_MACHINE", "HOTLINE_INSTANCE", "TWILIO_API_URL",
            "ALIBABA_PUSH_SECRET")


def run(args: list[str], env: dict[str, str], cwd: Path = ROOT, timeout: float = 180
        ) -> subprocess.CompletedProcess[str]:
    """Run an entry point with only `env` (and PATH): nothing of this shell's settings."""
    return subprocess.run(args, env={**BASE, **env}, cwd=cwd, capture_output=True, text=True,
                          timeout=timeout)


def named(output: str) -> list[str]:
    """The settings a refusal lists, in its order ("  - NAME ...")."""
    return [line[4:].split(" ", 1)[0] for line in output.splitlines()
            if line.startswith("  - ")]


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def full(tmp_path: Path) -> dict[str, str]:
    """FULL with its own SQLite database and instance folder (a shared PostgreSQL stands in
    no differently here: nothing is migrated)."""
    return {**FULL, "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
            "HOTLINE_INSTANCE": str(tmp_path / "instance")}


def test_the_wsgi_app_given_nothing_names_every_setting_and_makes_nothing(tmp_path: Path
                                                                           ) -> None:
    instance = tmp_path / "instance"
    out = run([GUNICORN, "-w", "1", "-b", f"127.0.0.1:{free_port()}", "hotline:create_app()"],
              {"HOTLINE_INSTANCE": str(instance), "HOTLINE_PROVIDER": "twilio"})
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "the web app refuses to start" in text, text
    assert sorted(set(named(text))) == sorted(NAMES), text
    assert not (instance / "hotline.db").exists() and not (instance / "redis.sock").exists()


def test_hotline_serve_starts_with_every_setting(full: dict[str, str]) -> None:
    """The control: the same environment as every refusal below, nothing missing."""
    port = free_port()
    proc = subprocess.Popen([HOTLINE, "serve", "--port", str(port)], env={**BASE, **full},
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()[0]
        assert requests.get(f"http://127.0.0.1:{port}/healthz", timeout=5).json() == {
            "status": "ok"}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.parametrize(("drop", "change", "name"), [
    ("DATABASE_URL", {}, "DATABASE_URL"),
    ("REDIS_URL", {}, "REDIS_URL"),
    ("SECRET_KEY", {}, "SECRET_KEY"),
    ("PUBLIC_URL", {}, "PUBLIC_URL"),
    (None, {"PUBLIC_URL": "http://127.0.0.1:5000"}, "PUBLIC_URL"),  # Twilio cannot reach it
    ("TWILIO_AUTH_TOKEN", {}, "TWILIO_AUTH_TOKEN"),
    (None, {"TWILIO_AUTH_TOKEN": "demo-auth-token"}, "TWILIO_AUTH_TOKEN"),  # printed publicly
])
def test_hotline_serve_refuses_without_each_setting(
        full: dict[str, str], drop: str | None, change: dict[str, str], name: str) -> None:
    env = {k: v for k, v in {**full, **change}.items() if k != drop}
    out = run([HOTLINE, "serve", "--port", str(free_port())], env)
    assert out.returncode == 2, out.stdout + out.stderr
    assert "the web app refuses to start" in out.stderr, out.stderr
    assert named(out.stderr) == [name], out.stderr
    assert "Traceback" not in out.stderr
    instance = Path(full["HOTLINE_INSTANCE"])
    assert not (instance / "hotline.db").exists() and not (instance / "redis.sock").exists()


def test_a_cli_command_needs_the_shared_database_and_redis_only(tmp_path: Path) -> None:
    out = run([HOTLINE, "sweep"], {"HOTLINE_INSTANCE": str(tmp_path / "instance")})
    assert out.returncode == 2, out.stdout + out.stderr
    assert "hotline refuses to start" in out.stderr
    assert named(out.stderr) == ["DATABASE_URL", "REDIS_URL"], out.stderr
    assert not (tmp_path / "instance" / "hotline.db").exists()


def test_db_upgrade_needs_the_database_only_and_single_machine_opts_in(tmp_path: Path) -> None:
    """Without DATABASE_URL `hotline db upgrade` refuses; HOTLINE_SINGLE_MACHINE=1 migrates
    the SQLite file in the default instance folder: `instance/` of the working directory."""
    out = run([HOTLINE, "db", "upgrade"], {}, cwd=tmp_path)
    assert out.returncode == 2, out.stdout + out.stderr
    assert named(out.stderr) == ["DATABASE_URL"], out.stderr
    assert not (tmp_path / "instance" / "hotline.db").exists()
    out = run([HOTLINE, "db", "upgrade"], {"HOTLINE_SINGLE_MACHINE": "1"}, cwd=tmp_path)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (tmp_path / "instance" / "hotline.db").exists()


def test_single_machine_still_wants_a_secret_key_for_the_web(tmp_path: Path) -> None:
    """HOTLINE_SINGLE_MACHINE=1 stands for the shared database and Redis only: gunicorn's
    processes must still share one SECRET_KEY, or logins fail on all but one."""
    out = run([HOTLINE, "serve", "--port", str(free_port())],
              {"HOTLINE_SINGLE_MACHINE": "1", "HOTLINE_INSTANCE": str(tmp_path / "instance")})
    assert out.returncode == 2, out.stdout + out.stderr
    assert named(out.stderr) == ["SECRET_KEY"], out.stderr


REAL = {"HOTLINE_PROVIDER": "twilio", "PUBLIC_URL": "https://hotline.example.org",
        "TWILIO_AUTH_TOKEN": "3c9d7e1f5a2b4c6d8e0f1a2b3c4d5e6f", "SECRET_KEY": "s" * 32,
        "DATABASE_URL": "postgresql://hotline@db-host/hotline",
        "REDIS_URL": "redis://redis-host:6379/0"}


@pytest.mark.parametrize(("role", "given", "expected"), [
    (WEB, REAL, []),
    (WEB, {}, ["DATABASE_URL", "REDIS_URL", "SECRET_KEY"]),  # console: no Twilio settings
    (WEB, {**REAL, "PUBLIC_URL": ""}, ["PUBLIC_URL"]),
    (WEB, {**REAL, "HOTLINE_PROVIDER": "console", "PUBLIC_URL": "", "TWILIO_AUTH_TOKEN": ""},
     []),
    # Alibaba without a Twilio account starts; its push secret is required instead.
    (WEB, {**REAL, "HOTLINE_PROVIDER": "alibaba", "TWILIO_AUTH_TOKEN": ""},
     ["ALIBABA_PUSH_SECRET"]),
    (WEB, {**REAL, "HOTLINE_PROVIDER": "alibaba", "TWILIO_AUTH_TOKEN": "",
           "ALIBABA_PUSH_SECRET": "p" * 20}, []),
    (WEB, {"HOTLINE_SINGLE_MACHINE": "1", "SECRET_KEY": "s" * 32}, []),
    (WORKER, {**REAL, "SECRET_KEY": ""}, []),  # a worker signs no logins
    (BEAT, {"HOTLINE_PROVIDER": "twilio"}, ["DATABASE_URL", "REDIS_URL", "PUBLIC_URL"]),
    (CLI, {"SECRET_KEY": "", "HOTLINE_PROVIDER": "twilio"}, ["DATABASE_URL", "REDIS_URL"]),
    (DB, {}, ["DATABASE_URL"]),
    (LOCAL, {}, []),
])
def test_what_each_process_needs(monkeypatch: pytest.MonkeyPatch, role: str,
                                 given: dict[str, str], expected: list[str]) -> None:
    for key in SETTINGS:
        monkeypatch.delenv(key, raising=False)
    for key, value in given.items():
        monkeypatch.setenv(key, value)
    problems = missing_settings(read_settings(), role, dict(os.environ))
    assert [p.split(" ", 1)[0] for p in problems] == expected
