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
from flask import Flask
from sqlalchemy import select

from devtools.demo import DEMO_PASSWORD, DEMO_STAFF, seed_accounts, seed_volunteers
from hotline.infra.db import get_db
from models import Case, Purpose, Role, User
from tests.conftest import ROOT, csrf_from
from tests.test_routing_support import add_case, outbound

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
    # The calls below talk to a volunteer live, which the flow offers only in office hours:
    # without this the test would pass by day and fail at night (China time).
    env = {**newcomer_env(tmp_path / "instance"), "OFFICE_HOURS": "always"}
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
                              "--wait", "60", "老板拖欠我三个月工资", "广东深圳",
                              "1", "某某电子厂", "12000", "5", "1", "1"], env=env, cwd=ROOT,
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
        # A call that asks for a volunteer and talks to the one rung: the case is theirs.
        live = simulate_call(env, "+8613700137001", "1,1,广东深圳,1,某某电子厂,12000,3,2,1,1,1,y")
        assert "case #1002: wages" in live, live
        assert "rings volunteer +8613900000001" in live  # Henan dialect, wages, 深圳
        assert "assigned to 张律师 +8613900000001" in live, live
        # A call that leaves a voicemail instead: routing offers it, and the call says to whom.
        left = simulate_call(env, "+8613700137002",
                             "1,1,广东东莞,2,宏达鞋厂,8000,2,1,2,1,2,老板跑了")
        assert "case #1003: wages, normal, 广东东莞, employer 宏达鞋厂" in left, left
        assert "offer to " in left and "#1003" in left.split("offer to ")[1], left
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


def simulate_call(env: dict[str, str], caller: str, keys: str) -> str:
    """`hotline simulate call` against the running demo; its whole output."""
    out = subprocess.run([HOTLINE, "simulate", "call", "--from", caller, "--keys", keys],
                         env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def start_demo(env: dict[str, str], port: int) -> tuple[subprocess.Popen[str], list[str]]:
    """A `hotline demo` process, once it says it is running (its lines so far)."""
    demo = subprocess.Popen([HOTLINE, "demo", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    assert demo.stdout is not None
    while time.monotonic() < deadline:
        line = demo.stdout.readline()
        lines.append(line)
        if "Ctrl-C stops everything" in line or demo.poll() is not None:
            break  # the whole welcome has been printed
    assert any("Hotline demo is running" in x for x in lines), "".join(lines)
    return demo, lines


def stop_demo(demo: subprocess.Popen[str]) -> str:
    """Ctrl-C the demo and return the rest of its output."""
    demo.send_signal(signal.SIGINT)
    rest, _ = demo.communicate(timeout=60)
    return rest


def test_a_second_demo_says_one_runs_and_leaves_it_alone(tmp_path: Path) -> None:
    env = newcomer_env(tmp_path / "instance")
    port = free_port()
    first, lines = start_demo(env, port)
    try:
        rest = "".join(lines)
        assert "staff on duty" in rest and "+8613700000001" in rest  # escalations reach someone
        state = (tmp_path / "instance" / "demo.json").read_bytes()
        for second_port in (port, free_port()):  # same port or another: same instance folder
            second = subprocess.run([HOTLINE, "demo", "--port", str(second_port)], env=env,
                                    cwd=ROOT, capture_output=True, text=True, timeout=60)
            assert second.returncode != 0
            said = second.stdout + second.stderr
            assert f"演示已在运行：http://127.0.0.1:{port}" in said, said
            assert f"The demo is already running: http://127.0.0.1:{port}" in said
            assert str(first.pid) in said and "Traceback" not in said
            assert "stopping the demo" not in said  # it started nothing, so stops nothing
        assert (tmp_path / "instance" / "demo.json").read_bytes() == state
        assert first.poll() is None
        assert requests.get(f"http://127.0.0.1:{port}/login", timeout=10).status_code == 200
    finally:
        rest = stop_demo(first)
    assert first.returncode == 0 and "demo stopped." in rest
    again, _ = start_demo(env, port)  # once it stopped, the next one starts
    assert stop_demo(again) and again.returncode == 0


def test_a_demo_on_a_port_in_use_says_so_before_starting_anything(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        out = subprocess.run([HOTLINE, "demo", "--port", str(port)],
                             env=newcomer_env(tmp_path / "instance"), cwd=ROOT,
                             capture_output=True, text=True, timeout=60)
    said = out.stdout + out.stderr
    assert out.returncode != 0 and "Traceback" not in said
    assert f"端口 {port} 已被其他程序占用" in said and f"--port {port + 1}" in said
    assert not (tmp_path / "instance" / "demo.json").exists()


def test_the_demo_staff_member_is_texted_when_a_case_escalates(app: Flask) -> None:
    """With the demo's accounts, an escalation reaches a person (not only the log)."""
    from hotline.escalation import escalate, staff_numbers

    app.config["STAFF_NUMBERS"] = []
    assert seed_volunteers(app) == 3 and seed_accounts(app) == 5
    assert seed_volunteers(app) == 0 and seed_accounts(app) == 0  # a restart adds nothing
    case_id, _ = add_case(phone="+8613800138000")
    with get_db().begin() as s:
        case = s.get(Case, case_id)
        assert case is not None
        assert staff_numbers(s, case) == [DEMO_STAFF[2]]
        [alert_id] = escalate(s, case, "no volunteer accepted after 3 tries")
    [alert] = outbound(Purpose.ALERT)
    assert (alert.id, alert.to_number) == (alert_id, DEMO_STAFF[2])
    with get_db().begin() as s:
        staff = s.scalar(select(User).where(User.username == DEMO_STAFF[0]))
        assert staff is not None and staff.role == Role.STAFF and staff.on_duty
        assert staff.check_password(DEMO_PASSWORD)
