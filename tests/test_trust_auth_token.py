"""The public demo token signs webhooks only in tests and on the demo's own loopback address;
anything that faces the world refuses to start without a real TWILIO_AUTH_TOKEN."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from twilio.request_validator import RequestValidator

from hotline import create_app
from hotline.infra.config import DEMO_AUTH_TOKEN, load_config
from tests.conftest import REDIS_URL, sms_form

ENV = ("TWILIO_AUTH_TOKEN", "PUBLIC_URL", "HOTLINE_PROVIDER", "TWILIO_API_URL", "TESTING",
       "ALIBABA_PUSH_SECRET", "ALIBABA_SMS_ENDPOINT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No Twilio setting inherited from the shell running the tests."""
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


REFUSED: list[dict[str, Any]] = [
    {"PUBLIC_URL": "https://hotline.example.org"},
    {"PUBLIC_URL": "https://hotline.example.org", "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN},
    {"PUBLIC_URL": "https://hotline.example.org", "TWILIO_AUTH_TOKEN": ""},
    {"PUBLIC_URL": "http://203.0.113.7:5000"},
    {"PUBLIC_URL": "http://127.0.0.1.evil.example:5000"},
    {"HOTLINE_PROVIDER": "twilio"},
    {"HOTLINE_PROVIDER": "twilio", "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN},
    {"HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": "https://api.twilio.com",
     "PUBLIC_URL": "http://127.0.0.1:5000"},
]
STARTS: list[dict[str, Any]] = [
    {},  # a shell on the office machine: `hotline users ...`, `hotline simulate ...`
    {"PUBLIC_URL": "http://127.0.0.1:5000", "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN},  # demo
    {"PUBLIC_URL": "http://localhost:5000", "HOTLINE_PROVIDER": "twilio",
     "TWILIO_API_URL": "http://127.0.0.1:8765", "TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN},
    {"PUBLIC_URL": "https://hotline.example.org", "TWILIO_AUTH_TOKEN": "a" * 32},
    {"PUBLIC_URL": "https://hotline.example.org", "TESTING": True},
]


@pytest.mark.parametrize("settings", REFUSED)
def test_refuses_to_start_without_a_real_token(tmp_path: Path, settings: dict[str, Any]
                                               ) -> None:
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        load_config(str(tmp_path), settings)
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        create_app(settings, instance_path=str(tmp_path))


@pytest.mark.parametrize("settings", STARTS)
def test_starts_in_tests_the_demo_and_with_a_real_token(tmp_path: Path,
                                                        settings: dict[str, Any]) -> None:
    cfg = load_config(str(tmp_path), settings)
    assert cfg["TWILIO_AUTH_TOKEN"] == (settings.get("TWILIO_AUTH_TOKEN") or DEMO_AUTH_TOKEN)


@pytest.fixture
def local_app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    """An app as a developer's shell starts it: no token, no PUBLIC_URL, console texts."""
    app = create_app({"DATABASE_URL": db_url, "REDIS_URL": REDIS_URL},
                     instance_path=str(tmp_path / "instance"))
    with app.app_context():
        yield app
    app.extensions["db"].engine.dispose()


def post_demo_signed(app: Flask, remote: str) -> int:
    """An inbound SMS signed with the public demo token, arriving from `remote`."""
    form = sms_form("+8613800138000", "老板欠我工资")
    url = "http://localhost/twilio/sms"
    signature = RequestValidator(DEMO_AUTH_TOKEN).compute_signature(url, form)
    response = app.test_client().post("/twilio/sms", data=form, headers={
        "X-Twilio-Signature": signature}, environ_base={"REMOTE_ADDR": remote})
    return response.status_code


def test_demo_token_signs_only_loopback_webhooks(local_app: Flask) -> None:
    assert local_app.config["TWILIO_AUTH_TOKEN"] == DEMO_AUTH_TOKEN
    for remote in ("203.0.113.5", "10.0.0.8", "192.168.1.20", "2001:db8::1"):
        assert post_demo_signed(local_app, remote) == 403, remote
    assert post_demo_signed(local_app, "127.0.0.1") == 200


# An office in mainland China on Alibaba Cloud SMS, with no Twilio account at all.
ALIBABA_OFFICE = {"HOTLINE_PROVIDER": "alibaba", "PUBLIC_URL": "https://hotline.example.cn",
                  "ALIBABA_PUSH_SECRET": "s" * 24}


def test_an_office_on_alibaba_starts_without_a_twilio_account(tmp_path: Path) -> None:
    assert load_config(str(tmp_path), ALIBABA_OFFICE)["TWILIO_AUTH_TOKEN"] is None


def test_without_a_twilio_account_every_twilio_webhook_is_refused(db_url: str,
                                                                  tmp_path: Path) -> None:
    app = create_app({**ALIBABA_OFFICE, "DATABASE_URL": db_url, "REDIS_URL": REDIS_URL},
                     instance_path=str(tmp_path / "instance"))
    form = sms_form("+8613800138000", "老板欠我工资")
    signature = RequestValidator(DEMO_AUTH_TOKEN).compute_signature(
        "https://hotline.example.cn/twilio/sms", form)
    with app.app_context():
        # Signed for the public URL with the public demo token, even arriving from the
        # machine itself (a proxy): nothing is Twilio's without a Twilio account.
        for remote in ("127.0.0.1", "203.0.113.5"):
            response = app.test_client().post("/twilio/sms", data=form, headers={
                "X-Twilio-Signature": signature}, environ_base={"REMOTE_ADDR": remote})
            assert response.status_code == 403, remote
    app.extensions["db"].engine.dispose()
