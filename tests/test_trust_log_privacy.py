"""Traffic with a database fault and provider errors leaves no worker's number or words in
the logs: neither in pytest's capture nor in a handler like the app's own."""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from devtools.fake_twilio import FakeTwilio
from hotline.infra.db import get_db
from hotline.infra.log_privacy import scrub
from notifications.send import deliver
from tests.conftest import sms_form
from tests.test_send import queued_message

WORKER = "+8613812345678"
WORDS = "故障老板拖欠我三个月工资一万二"
OTHER = "+8613987654321"
FULL_NUMBER = re.compile(r"(?<!\d)(?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d){8}(?!\d)")


@pytest.fixture
def app_handler() -> Iterator[io.StringIO]:
    """A handler on the root logger formatted like the app's (logging.basicConfig)."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    yield out
    root.removeHandler(handler)
    root.setLevel(old_level)


@pytest.fixture
def message_fault(app: Flask) -> Iterator[None]:
    """A real database error on inserting a message whose text holds 故障."""
    db = get_db()
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text(
                "CREATE TRIGGER trust_fault BEFORE INSERT ON messages "
                "WHEN NEW.body LIKE '%故障%' BEGIN SELECT RAISE(ABORT, 'fault injected'); END"))
        else:
            conn.execute(text(
                "CREATE OR REPLACE FUNCTION trust_fault() RETURNS trigger AS $$ BEGIN "
                "IF NEW.body LIKE '%故障%' THEN RAISE EXCEPTION 'fault injected'; END IF; "
                "RETURN NEW; END $$ LANGUAGE plpgsql"))
            conn.execute(text("CREATE TRIGGER trust_fault BEFORE INSERT ON messages "
                              "FOR EACH ROW EXECUTE FUNCTION trust_fault()"))
    yield
    with db.engine.begin() as conn:
        if db.is_sqlite:
            conn.execute(text("DROP TRIGGER trust_fault"))
        else:
            conn.execute(text("DROP TRIGGER trust_fault ON messages"))
            conn.execute(text("DROP FUNCTION trust_fault()"))


def test_no_number_or_words_in_logs(app: Flask, post_signed: Callable[..., Any],
                                    fake_twilio: FakeTwilio, message_fault: None,
                                    app_handler: io.StringIO,
                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: Flask logs the error
    # A database fault while recording the worker's text.
    assert post_signed("/twilio/sms", sms_form(WORKER, WORDS)).status_code == 500
    # Provider errors that quote the number.
    for code in (21211, 21614, 21610):
        fake_twilio.fail_number(OTHER, code)
        deliver(queued_message(to=OTHER, body="您的案件 #1001 " + WORDS[2:]))
    # Ordinary traffic.
    assert post_signed("/twilio/sms", sms_form(WORKER, "工资没发")).status_code == 200
    logging.getLogger("hotline.test").warning("worker %s wrote from 8613812345678", WORKER)
    logged = caplog.text + "\n" + app_handler.getvalue()
    assert "fault injected" in logged  # the fault was logged, with its traceback
    assert "Invalid 'To' Phone Number" in logged  # and the provider errors
    assert not FULL_NUMBER.findall(logged), FULL_NUMBER.findall(logged)
    for number in (WORKER, OTHER, WORKER[1:], WORKER[3:], OTHER[3:]):
        assert number not in logged
    assert WORDS not in logged and WORDS[2:] not in logged
    assert "+86 138****5678" in logged


@pytest.mark.parametrize(("raw", "hidden"), [
    ("Invalid 'To' Phone Number: +8613812345678", "13812345678"),
    ("to 13812345678.", "13812345678"),
    ("to 8613812345678", "13812345678"),
    ("to 008613812345678", "13812345678"),
    ("to +86 138 1234 5678", "138 1234 5678"),
    ("to +86-138-1234-5678", "138-1234-5678"),
    ("to 138-1234-5678", "138-1234-5678"),
    ("+14155550100 called", "4155550100"),
    ("[parameters: {'body': '老板欠薪', 'from_number': 'x'}]\n", "老板欠薪"),
    ("DETAIL:  Failing row contains (7, 老板欠薪, null).\n", "老板欠薪"),
    ("DETAIL:  Key (phone)=(worker-abc) already exists.", "worker-abc"),
])
def test_scrub_table(raw: str, hidden: str) -> None:
    assert hidden not in scrub(raw)


@pytest.mark.parametrize("kept", ["case 1001: 12000 yuan, 3 months", "2026-12-03 11:00:00,123",
                                  "SM0000000000000000000000000013800138000",
                                  "message 13 to case 1001"])
def test_scrub_keeps_what_is_not_personal(kept: str) -> None:
    assert scrub(kept) == kept
