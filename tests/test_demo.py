"""A newcomer's first five minutes: `hotline demo` on embedded defaults, then `simulate sms`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from hotline.demo import DEMO_PASSWORD
from tests.conftest import ROOT, csrf_from

pytestmark = pytest.mark.e2e
HOTLINE = str(Path(sys.executable).parent / "hotline")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def newcomer_env(instance: Path) -> dict[str, str]:
    """An environment with nothing configured: embedded SQLite and Redis, demo credentials."""
    keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return {**keep, "HOTLINE_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1"}


def test_demo_runs_on_embedded_defaults_and_stops_cleanly(tmp_path: Path) -> None:
    env = newcomer_env(tmp_path / "instance")
    port = free_port()
    demo = subprocess.Popen([HOTLINE, "demo", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        assert demo.stdout is not None
        while time.monotonic() < deadline:
            line = demo.stdout.readline()
            lines.append(line)
            if "Hotline demo is running" in line or demo.poll() is not None:
                break
        assert any("Hotline demo is running" in x for x in lines), "".join(lines)
        out = subprocess.run([HOTLINE, "simulate", "sms", "--from", "+8613800138000",
                              "--wait", "60", "老板拖欠我三个月工资", "1", "广东深圳",
                              "1", "某某电子厂", "12000", "3", "5", "1"], env=env, cwd=ROOT,
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
        assert "案件编号1001" in out.stdout
        assert "offer to" in out.stdout and "#1001" in out.stdout, out.stdout
        accept = subprocess.run([HOTLINE, "simulate", "sms", "--from",
                                 _offered_volunteer(out.stdout), "Y1001"], env=env, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert "已分配给您" in accept.stdout, accept.stdout + accept.stderr
        web = requests.Session()
        token = csrf_from(web.get(f"http://127.0.0.1:{port}/login", timeout=10).text)
        home = web.post(f"http://127.0.0.1:{port}/login", timeout=10, data={
            "username": "admin", "password": DEMO_PASSWORD, "csrf_token": token})
        assert home.status_code == 200 and "#1001" in web.get(
            f"http://127.0.0.1:{port}/staff/cases", timeout=10).text
    finally:
        demo.send_signal(signal.SIGINT)
        rest, _ = demo.communicate(timeout=60)
    assert demo.returncode == 0, rest
    assert "stopping the demo…" in rest and "demo stopped." in rest
    assert not (tmp_path / "instance" / "demo.json").exists()


def _offered_volunteer(output: str) -> str:
    """The volunteer's number from `offer to NAME +86…` in simulate's output."""
    line = next(x for x in output.splitlines() if x.startswith("offer to"))
    return next(tok for tok in line.split() if tok.startswith("+"))
