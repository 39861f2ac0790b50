"""Numbers as people and libraries write them are masked in every log line (Chinese landlines,
other countries' numbers); service numbers stay; the console provider logs no text and masked
numbers, and shows the text only on a setup that signs with the public demo token."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from hotline import create_app
from hotline.infra.config import DEMO_AUTH_TOKEN
from hotline.infra.log_privacy import scrub
from notifications.providers import MessageLookup, get_provider
from notifications.providers.console import ConsoleProvider
from tests.conftest import HOTLINE_NUMBER, app_config

WORKER = "+8613812345678"
WORDS = "老板拖欠我三个月工资一万二，车间主任刘强"


@pytest.mark.parametrize(("raw", "hidden", "shown"), [
    # Chinese landlines: area code, then 7 or 8 digits, however separated.
    ("call back 010-12345678", "12345678", "+86 10****5678"),
    ("电话010-12345678", "12345678", "+86 10****5678"),
    ("0755 2345 6789", "2345 6789", "+86 755****6789"),
    ("(0755)23456789", "23456789", "+86 755****6789"),
    ("(010) 6552 9988", "6552 9988", "+86 10****9988"),
    ("021-5555-1234", "5555-1234", "+86 21****1234"),
    ("(020)8765-4321", "8765-4321", "+86 20****4321"),
    ("0371-6789012", "6789012", "+86 37****9012"),
    ("0591-87654321.", "87654321", "+86 591****4321"),
    ("+86 21 5555 1234", "5555 1234", "+86 21****1234"),
    ("+86-10-12345678", "12345678", "+86 10****5678"),
    ("+86 (0)21 5555 1234", "5555 1234", "+86 21****1234"),
    ("86-21-55551234", "55551234", "+86 21****1234"),
    ("0086 10 1234 5678", "1234 5678", "+86 10****5678"),
    # Mobiles written with a trunk 0 or glued to Chinese text.
    ("手机013812345678", "13812345678", "+86 138****5678"),
    ("号码+8613812345678", "13812345678", "+86 138****5678"),
    # Other countries: E.164 with a plus, and China's international prefix 00.
    ("+1 (415) 555-0100", "555-0100", "+1 41****0100"),
    ("+44 20 7946 0958", "7946 0958", "+44 20****0958"),
    ("+852 2345 6789", "2345 6789", "+852 ****6789"),
    ("+886 2 2345 6789", "2345 6789", "+886 2****6789"),
    ("+7 (495) 123-45-67", "123-45-67", "+7 49****4567"),
    ("+33 1 23 45 67 89", "23 45 67", "+33 1****6789"),
    ("+49 30 12345678", "12345678", "+49 30****5678"),
    ("+60 12-345 6789", "345 6789", "+60 1****6789"),
    ("+880 1712-345678", "1712-345678", "+880 17****5678"),
    ("+63 917 123 4567", "123 4567", "+63 91****4567"),
    ("+84 91 234 56 78", "234 56 78", "+84 9****5678"),
    ("号码+14155550100", "4155550100", "+1 41****0100"),
    ("001-415-555-0100", "555-0100", "+1 41****0100"),
    ("00852 2345 6789", "2345 6789", "+852 ****6789"),
    ("0044 20 7946 0958", "7946 0958", "+44 20****0958"),
    ("008613812345678", "13812345678", "+86 138****5678"),
])
def test_numbers_are_masked(raw: str, hidden: str, shown: str) -> None:
    scrubbed = scrub(raw)
    assert hidden not in scrubbed and shown in scrubbed, scrubbed
    assert scrub(scrubbed) == scrubbed


@pytest.mark.parametrize("kept", [
    "400-810-5050", "400 810 5050", "4008105050", "800-820-8820", "拨打12333咨询", "95588",
    "12315", "2026-12-03 11:00:00,123", "2026-12-03T00:12:34.012345+00:00",
    "Task hotline.route_case[0e7b1c2a-0755-4f1e-9c3a-023456789012] succeeded in "
    "0.0213456789s: None", "redis://127.0.0.1:6379/0", "10.0.0.12:6379", "case 1001",
    "CA0213456789abcdef", "employer_key 0755", "amount 012000 yuan", "retry in 0.5s",
])
def test_service_numbers_times_and_ids_stay(kept: str) -> None:
    assert scrub(kept) == kept


@pytest.fixture
def shell_app(sqlite_url: str, tmp_path: Path) -> Iterator[Any]:
    """Build an app with the console provider and some configuration, in its context."""
    made: list[Flask] = []

    def build(**cfg: Any) -> Flask:
        base = app_config(sqlite_url, "http://127.0.0.1:9", HOTLINE_PROVIDER="console")
        base.pop("TWILIO_API_URL")
        application = create_app({**base, **cfg}, instance_path=str(tmp_path / "instance"))
        made.append(application)
        return application

    yield build
    for application in made:
        application.extensions["db"].engine.dispose()


@pytest.mark.parametrize(("cfg", "shown"), [
    ({}, False),  # the tests' own token: like production
    ({"TWILIO_AUTH_TOKEN": "a-real-looking-auth-token-0123456789"}, False),
    ({"TWILIO_AUTH_TOKEN": DEMO_AUTH_TOKEN}, True),  # `hotline demo`
    ({"TWILIO_AUTH_TOKEN": "", "TESTING": False, "PUBLIC_URL": ""}, True),  # a developer's shell
])
def test_texts_are_shown_only_where_no_real_worker_can_write(
        shell_app: Any, cfg: dict[str, Any], shown: bool) -> None:
    with shell_app(**cfg).app_context():
        provider = get_provider()
        assert isinstance(provider, ConsoleProvider) and provider.show_texts is shown


def test_the_console_logs_masked_numbers_and_no_text(
        shell_app: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with shell_app().app_context():
        provider = get_provider()
        assert isinstance(provider, MessageLookup)
        provider.send_sms(WORKER, WORDS, from_=HOTLINE_NUMBER)
        provider.start_call(WORKER, from_=HOTLINE_NUMBER, url="https://h.example/twilio/bridge/1")
        assert [m.body for m in provider.find_sms(WORKER)] == [WORDS]  # reconcile still works
    out = capfd.readouterr()
    logged = [r.getMessage() for r in caplog.records if r.name == "hotline.console"]
    assert logged == [
        f"SMS +86 100****0000 -> +86 138****5678: {len(WORDS)} characters, 1 segment(s), "
        "text not logged",
        "CALL +86 100****0000 -> +86 138****5678 (TwiML from https://h.example/twilio/bridge/1)"]
    everything = caplog.text + out.out + out.err
    assert WORDS not in everything and "刘强" not in everything
    assert "13812345678" not in everything


def test_the_demo_shows_the_text_on_standard_output_not_in_a_log_record(
        shell_app: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    with shell_app(TWILIO_AUTH_TOKEN=DEMO_AUTH_TOKEN).app_context():
        get_provider().send_sms(WORKER, WORDS, from_=HOTLINE_NUMBER)
    assert f"SMS {HOTLINE_NUMBER} -> {WORKER}: {WORDS}\n" in capfd.readouterr().out
    assert WORDS not in caplog.text and "13812345678" not in caplog.text


def test_no_logger_is_exempt_from_masking(shell_app: Any,
                                          caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    shell_app()  # installs the record factory, as every process of the hotline does
    logging.getLogger("hotline.console").info("SMS to %s", WORKER)
    assert caplog.records[-1].getMessage() == "SMS to +86 138****5678"
