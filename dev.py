#!/usr/bin/env python3
"""Set up and run the hotline with nothing but Python 3.11+.

    python3 dev.py demo     # create .venv, install, run the demo on embedded SQLite + Redis
    python3 dev.py test     # create .venv, install, start PostgreSQL/Redis if stopped, run tests

Uses only the standard library, so it runs before anything is installed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import venv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"

# Start commands for services that are installed but stopped (see the env docs of CI machines).
SERVICES = {
    "PostgreSQL": (5432, "pg_ctlcluster --skip-systemctl-redirect "
                         "$(ls /etc/postgresql) main start"),
    "Redis": (6379, "redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' "
                    "--appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log"),
}


def log(msg: str) -> None:
    """Print a progress line."""
    print(f"[dev] {msg}", flush=True)


def ensure_venv() -> None:
    """Create .venv and (re)install the project whenever pyproject.toml changes."""
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py may be run by an older python3
        sys.exit(f"Python 3.11+ is required; this is {sys.version.split()[0]}")
    if not PY.exists():
        log(f"creating virtual environment in {VENV}")
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}"
    if stamp.exists():
        return
    log("installing the hotline and its dependencies (first run takes a minute)")
    run([str(PY), "-m", "pip", "install", "-q", "--upgrade", "pip"])
    run([str(PY), "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"])
    for old in VENV.glob(".installed-*"):
        old.unlink()
    stamp.touch()


def run(cmd: list[str], **kw: Any) -> None:
    """Run a command, exiting with its code if it fails."""
    code = subprocess.call(cmd, cwd=ROOT, **kw)
    if code != 0:
        sys.exit(code)


def port_open(port: int) -> bool:
    """True when something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) == 0


def ensure_services() -> None:
    """Start PostgreSQL and Redis if installed but stopped; fail loudly if unreachable."""
    for name, (port, start) in SERVICES.items():
        if port_open(port):
            continue
        log(f"{name} is not listening on 127.0.0.1:{port}; trying: {start}")
        subprocess.call(start, shell=True, cwd=ROOT)
        for _ in range(60):
            if port_open(port):
                break
            time.sleep(0.5)
        else:
            sys.exit(f"[dev] {name} unreachable on 127.0.0.1:{port}. The tests need a real "
                     f"{name}; install and start it, then rerun.")
    log("PostgreSQL and Redis are up")


def ensure_browser() -> None:
    """Install Debian's Chromium (and a CJK font) for the browser tests when missing."""
    font = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    if Path("/usr/bin/chromium").exists() and font.exists():
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        # Playwright cannot download its own browser here; Debian's chromium is used instead.
        log("installing Debian's chromium and fonts-wqy-microhei for the browser tests")
        subprocess.call("apt-get update -qq && DEBIAN_FRONTEND=noninteractive "
                        "apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null",
                        shell=True)
    if not Path("/usr/bin/chromium").exists():
        sys.exit("[dev] the browser tests need Chromium: apt install chromium")


SUITE_LOCK = Path(tempfile.gettempdir()) / "hotline-test-suite.lock"
SUITE_WAIT_SECONDS = 45 * 60


@contextlib.contextmanager
def one_suite_at_a_time() -> Iterator[None]:
    """Hold the machine's test-suite lock while the suite runs.

    Two suites on one machine (a clone's CI beside another checkout's run) would share the
    Redis databases of their pytest workers and flush each other's queues: tests then fail or
    wait out their timeouts. The second run waits for the first instead (the lock dies with its
    process, so a killed run frees it)."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock, as before
        yield
        return
    with open(SUITE_LOCK, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            log(f"another test suite is running on this machine ({handle.read().strip()}); "
                "waiting for it to finish, as both would use the same Redis databases")
            deadline = time.monotonic() + SUITE_WAIT_SECONDS
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        sys.exit(f"[dev] the other test suite still runs after "
                                 f"{SUITE_WAIT_SECONDS // 60} min: stop it and run again")
                    time.sleep(2)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} in {ROOT}\n")
        handle.flush()
        yield


def test(args: list[str]) -> None:
    """Lint and type-check, then run the whole test suite against real PostgreSQL, Redis and
    SQLite."""
    ensure_venv()
    ensure_services()
    ensure_browser()
    run([str(BIN / "ruff"), "check", "."])
    # The whole project, tests and this file included (models and the carriers' packages
    # strictly: pyproject.toml). Its cache makes a rerun take seconds.
    run([str(BIN / "mypy"), "."])
    # One pytest worker per core, at most four: each worker has its own PostgreSQL schema and
    # Redis database (tests/conftest.py), and Redis has 16 databases.
    workers = ["-n", str(min(os.cpu_count() or 1, 4))] if "-n" not in args else []
    with one_suite_at_a_time():
        code = subprocess.call([str(PY), "-m", "pytest", "-q", "-p", "no:cacheprovider",
                                *workers, *args], cwd=ROOT)
    if code == 5:
        log("pytest collected no tests: that is a failure here")
        sys.exit(1)
    sys.exit(code)


def demo(args: list[str]) -> None:
    """Run `hotline demo` on embedded defaults."""
    ensure_venv()
    os.execv(str(BIN / "hotline"), [str(BIN / "hotline"), "demo", *args])


def main() -> None:
    """Dispatch `demo`, `test`, or any other `hotline` subcommand."""
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    command, args = sys.argv[1], sys.argv[2:]
    if command == "test":
        test(args)
    elif command == "demo":
        demo(args)
    else:
        ensure_venv()
        os.execv(str(BIN / "hotline"), [str(BIN / "hotline"), command, *args])


if __name__ == "__main__":
    main()
