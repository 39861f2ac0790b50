"""The demo's console provider: nothing leaves the machine, the row and the log say what would."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.phones import mask_phone
from models import MessageStatus
from notifications.send import deliver
from tests.conftest import HOTLINE_NUMBER, app_config
from tests.test_send import TO, load, queued_message


@pytest.fixture
def console_app(db_url: str, fake_twilio: FakeTwilio, tmp_path: Path) -> Iterator[Flask]:
    """The hotline with HOTLINE_PROVIDER=console (the fake Twilio server must stay untouched)."""
    application = create_app(app_config(db_url, fake_twilio.base_url,
                                        HOTLINE_PROVIDER="console"),
                             instance_path=str(tmp_path / "instance"))
    with application.app_context():
        yield application
    application.extensions["db"].engine.dispose()


def test_console_send_is_recorded_and_logged_not_sent(
        console_app: Flask, fake_twilio: FakeTwilio, caplog: pytest.LogCaptureFixture) -> None:
    mid = queued_message(body="新案件 #1001 欠薪 深圳")
    with caplog.at_level(logging.INFO, logger="hotline.console"):
        assert deliver(mid) is None
        assert deliver(mid) is None  # a redelivered task sends nothing twice
    msg = load(mid)
    assert msg.status == MessageStatus.SENT  # not stuck in ACCEPTED waiting for callbacks
    assert msg.provider_sid is not None and msg.provider_sid.startswith("SMconsole")
    assert msg.segments == 1
    logged = [r.getMessage() for r in caplog.records if r.name == "hotline.console"]
    # The record carries no text and masked numbers (the demo shows the text: test_log_privacy).
    assert logged == [f"SMS {mask_phone(HOTLINE_NUMBER)} -> {mask_phone(TO)}: 15 characters, "
                      "1 segment(s), text not logged"]
    assert fake_twilio.requests == []  # nothing reached anything Twilio-shaped


def test_console_provider_finds_what_it_logged(console_app: Flask) -> None:
    from notifications.providers import MessageLookup, get_provider

    provider = get_provider()
    assert isinstance(provider, MessageLookup)
    sent = provider.send_sms(TO, "hello", from_="+8610000000000")
    assert [m.sid for m in provider.find_sms(TO)] == [sent.sid]
    found = provider.fetch_sms(sent.sid)
    assert found is not None and found.body == "hello"
    assert provider.fetch_sms("SMnope") is None
