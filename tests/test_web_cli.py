"""`hotline users create`: the first admin, staff of an organisation, volunteer logins."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.cli.main import main
from hotline.infra.db import get_db
from models import Role, User
from tests.conftest import REDIS_URL, WebWorld, web_login


@pytest.fixture
def run(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    """A CLI runner whose app uses the test database."""
    monkeypatch.setenv("DATABASE_URL", app.config["DATABASE_URL"])
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("HOTLINE_INSTANCE", str(tmp_path / "cli"))
    return CliRunner()


def test_create_admin_who_can_log_in(app: Flask, run: CliRunner) -> None:
    result = run.invoke(main, ["users", "create", "--username", "boss", "--role", "admin"],
                        input="a long secret pw\na long secret pw\n")
    assert result.exit_code == 0, result.output
    with get_db().begin() as session:
        user = session.scalar(select(User).where(User.username == "boss"))
        assert user is not None and user.role == Role.ADMIN
        assert user.password_hash.startswith("scrypt:") and "a long secret" not in \
            user.password_hash
    assert web_login(app.test_client(), "boss", "a long secret pw").status_code == 302


@pytest.mark.parametrize(("args", "message"), [
    (["--role", "admin", "--password", "short"], "at least 10"),
    (["--role", "volunteer", "--password", "long enough pw"], "--volunteer-phone"),
    (["--role", "staff", "--password", "long enough pw", "--organisation", "nowhere"],
     "no organisation"),
    (["--role", "volunteer", "--password", "long enough pw", "--volunteer-phone",
      "13900009999"], "no volunteer"),
])
def test_bad_input_is_refused_clearly(app: Flask, run: CliRunner, args: list[str],
                                      message: str) -> None:
    result = run.invoke(main, ["users", "create", "--username", "x", *args])
    assert result.exit_code != 0 and message in result.output
    with get_db().begin() as session:
        assert session.scalar(select(User).where(User.username == "x")) is None


def test_staff_and_volunteer_accounts_link_up(app: Flask, run: CliRunner,
                                              web_world: WebWorld) -> None:
    staff = run.invoke(main, ["users", "create", "--username", "zhou", "--role", "staff",
                              "--organisation", "珠海市中心", "--password", "long enough pw"])
    assert staff.exit_code == 0, staff.output
    dup = run.invoke(main, ["users", "create", "--username", "zhou", "--role", "staff",
                            "--password", "long enough pw"])
    assert dup.exit_code != 0 and "already has an account" in dup.output
    vol = run.invoke(main, ["users", "create", "--username", "li2", "--role", "volunteer",
                            "--volunteer-phone", "139 0000 0001", "--password",
                            "long enough pw"])
    assert "already has an account" in vol.output  # vol_a's volunteer has a login already
    with get_db().begin() as session:
        zhou = session.scalar(select(User).where(User.username == "zhou"))
        assert zhou is not None and zhou.organisation_id == web_world.org_b


def test_new_password_and_sign_out_end_sessions(app: Flask, run: CliRunner,
                                                web_world: WebWorld) -> None:
    client = app.test_client()
    assert web_login(client, "staff_a").status_code == 302
    assert client.get("/staff/").status_code == 200
    short = run.invoke(main, ["users", "password", "staff_a", "--password", "short"])
    assert short.exit_code != 0 and "at least 10" in short.output
    assert client.get("/staff/").status_code == 200  # nothing changed
    result = run.invoke(main, ["users", "password", "staff_a"],
                        input="another long pw\nanother long pw\n")
    assert result.exit_code == 0, result.output
    assert client.get("/staff/").status_code == 302  # this session is over
    assert web_login(app.test_client(), "staff_a").status_code == 401  # old password
    fresh = app.test_client()
    assert web_login(fresh, "staff_a", "another long pw").status_code == 302
    result = run.invoke(main, ["users", "sign-out", "staff_a", "--disable"])
    assert result.exit_code == 0, result.output
    assert fresh.get("/staff/").status_code == 302
    assert web_login(app.test_client(), "staff_a", "another long pw").status_code == 401
    assert run.invoke(main, ["users", "sign-out", "nobody"]).exit_code != 0
