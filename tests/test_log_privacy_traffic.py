"""Real traffic through the processes production runs (gunicorn for the webhooks, a Celery
worker on Redis, the twilio client against the fake Twilio server), with database faults in
both processes and provider errors that quote the number; afterwards no log any process wrote
holds a worker's full number or words.

On PostgreSQL: its errors are the talkative ones ("Failing row contains (...)" quotes the whole
row, "Key (from_number)=(...)" the number); SQLite's are covered in-process by
tests/test_trust_log_privacy.py.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import text

from devtools.embedded_redis import EmbeddedRedis
from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.infra.db import get_db
from hotline.infra.queues import SEND, enqueue
from models import Direction, Message, MessageStatus, Purpose, Volunteer
from notifications.send import send_message
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    ROOT,
    app_config,
    http_post_signed,
    sms_form,
    start_worker,
    stop_process,
    wait_until,
    wipe,
)
from tests.test_e2e import INTAKE_ANSWERS

pytestmark = pytest.mark.e2e
VOLUNTEER = "+8613900000001"
# Who writes what, and what happens to it.
TEXTED = "+8613811110001"  # the whole SMS intake: case, routing, offer, callbacks
CHECK_FAULT = "+8613811110002"  # the web's insert breaks a CHECK constraint
UNIQUE_FAULT = "+8613811110003"  # the web's second insert breaks a unique index
UNREACHABLE = "+8613811110004"  # the provider refuses the number and quotes it
WORKER_FAULT = "+8613811110005"  # the provider refuses; the worker's update then breaks
LANDLINE = "+862155551234"  # staff text a landline: the provider refuses and quotes it
NUMBERS = [TEXTED, CHECK_FAULT, UNIQUE_FAULT, UNREACHABLE, WORKER_FAULT, LANDLINE, VOLUNTEER]
TEXTS = {
    TEXTED: "鸿运电子厂",  # the employer, answered during the intake
    CHECK_FAULT: "故障车间主任刘强打人了我的手指断了",
    UNIQUE_FAULT: "重复工地老板跑路了欠我们八个人的钱",
    UNREACHABLE: "王师傅您好关于您说的欠薪问题我们明天去厂里",
    WORKER_FAULT: "李姐您好您的补偿款仲裁开庭在下周三",
    LANDLINE: "张先生您好请转告您的工友来热线登记",
}
# Any full number as libraries print them: E.164, 86-prefixed, bare mobile, landline.
FULL_NUMBER = re.compile(r"(?<![0-9A-Za-z])(?:\+|00)?(?:86[ -]?)?(?:1[3-9]\d(?:[ -]?\d){8}|"
                         r"0?21[ -]?5555[ -]?1234)(?!\d)")


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Processes:
    """gunicorn and a Celery worker configured like production, each logging to a file."""

    def __init__(self, app: Flask, fake: FakeTwilio, folder: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {"DATABASE_URL": app.config["DATABASE_URL"],
                    "REDIS_URL": app.config["REDIS_URL"],
                    "HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": fake.base_url,
                    "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                    "PUBLIC_URL": self.url, "HOTLINE_NUMBER": HOTLINE_NUMBER,
                    "HOTLINE_INSTANCE": app.instance_path,
                    "SECRET_KEY": "log-privacy-traffic-test-secret"}
        self.web_log = folder / "gunicorn.log"
        with self.web_log.open("wb") as out:
            self.web = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{self.port}",
                 "--access-logfile", "-", "--log-level", "info", "hotline:create_app()"],
                cwd=ROOT, env={**os.environ, **self.env}, stdout=out, stderr=subprocess.STDOUT)
        self.folder = folder
        self.worker = start_worker(self.env, log_dir=folder)

    def wait_ready(self) -> None:
        """Until gunicorn answers its health check."""
        def up() -> bool:
            try:
                return requests.get(self.url + "/healthz", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, timeout=30, message="gunicorn up")

    def worker_log_text(self) -> str:
        """What the worker has written so far."""
        return "".join(p.read_text(errors="replace") for p in self.folder.glob("worker-*.log"))

    def stop(self) -> str:
        """Stop both; return everything they wrote."""
        if self.web.poll() is None:
            self.web.terminate()
            try:
                self.web.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait()
        worker_log = stop_process(self.worker)
        return self.web_log.read_text(errors="replace") + "\n" + worker_log


@pytest.fixture
def pg_app(pg_url: str, fake_twilio: FakeTwilio, tmp_path: Path) -> Iterator[Flask]:
    """The app on PostgreSQL (this process enqueues and checks the database), with a Redis of
    its own: no other test run on this machine can take or flush its tasks."""
    wipe(pg_url)
    broker = EmbeddedRedis(tmp_path / "redis")
    application = create_app(app_config(pg_url, fake_twilio.base_url, REDIS_URL=broker.start()),
                             instance_path=str(tmp_path / "instance"))
    try:
        with application.app_context():
            yield application
    finally:
        application.extensions["db"].engine.dispose()
        broker.stop()


FAULTS = [
    # The web's insert of a text holding 故障: PostgreSQL quotes the failing row.
    "ALTER TABLE messages ADD CONSTRAINT privacy_fault_check CHECK (body NOT LIKE '%故障%') "
    "NOT VALID",
    # A second text holding 重复 from the same number: PostgreSQL quotes the key, a number.
    "CREATE UNIQUE INDEX privacy_fault_unique ON messages (from_number) "
    "WHERE body LIKE '%重复%'",
    # The worker marking a send of 补偿 failed: the failing row again, in the other process.
    "ALTER TABLE messages ADD CONSTRAINT privacy_fault_worker CHECK "
    "(NOT (status = 'failed' AND body LIKE '%补偿%')) NOT VALID",
]


def staff_text(to: str) -> int:
    """A text from the office to `to`, committed QUEUED and handed to the worker."""
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=to,
                      body=TEXTS[to])
        s.add(msg)
        s.flush()
        message_id = msg.id
    assert enqueue(send_message, message_id, queue=SEND)
    return message_id


def status_of(message_id: int) -> MessageStatus:
    """A message's status now."""
    with get_db().begin() as s:
        msg = s.get(Message, message_id)
        assert msg is not None
        return msg.status


def test_no_number_or_words_in_any_log_the_processes_wrote(
        pg_app: Flask, fake_twilio: FakeTwilio, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with get_db().engine.begin() as conn:
        for statement in FAULTS:
            conn.execute(text(statement))
    with get_db().begin() as s:
        s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))
    for number, code in [(UNREACHABLE, 21211), (LANDLINE, 21211), (WORKER_FAULT, 21211)]:
        fake_twilio.fail_number(number, code)
    procs = Processes(pg_app, fake_twilio, tmp_path)
    logged = ""
    try:
        procs.wait_ready()

        def post(number: str) -> int:
            form = sms_form(number, TEXTS[number])
            return http_post_signed(procs.url + "/twilio/sms", form).status_code

        # The intake of tests/test_e2e.py, naming an employer of our own.
        for answer in ["我需要帮助", *INTAKE_ANSWERS[:3], TEXTS[TEXTED], *INTAKE_ANSWERS[4:]]:
            assert http_post_signed(procs.url + "/twilio/sms",
                                    sms_form(TEXTED, answer)).status_code == 200
        assert post(CHECK_FAULT) == 500
        assert [post(UNIQUE_FAULT), post(UNIQUE_FAULT)] == [200, 500]
        sends = {number: staff_text(number) for number in (UNREACHABLE, LANDLINE, WORKER_FAULT)}
        wait_until(lambda: fake_twilio.messages_to(VOLUNTEER), timeout=30,
                   message="the offer reached the volunteer")
        wait_until(lambda: all(status_of(sends[n]) == MessageStatus.FAILED
                               for n in (UNREACHABLE, LANDLINE)), timeout=30,
                   message="the refused sends recorded")
        wait_until(lambda: "privacy_fault_worker" in procs.worker_log_text(), timeout=30,
                   message="the worker's database fault")
        fake_twilio.wait_for_callbacks()
    finally:
        logged = procs.stop()
    assert status_of(sends[WORKER_FAULT]) == MessageStatus.SENDING  # its update was refused
    # Every fault and error was logged, with what it means.
    for evidence in ("privacy_fault_check", "privacy_fault_unique", "privacy_fault_worker",
                     "Invalid 'To' Phone Number", "POST /twilio/sms", "Traceback"):
        assert evidence in logged, evidence
    everything = logged + "\n" + caplog.text
    assert not FULL_NUMBER.findall(everything), FULL_NUMBER.findall(everything)
    for number in NUMBERS:
        for form in (number, number[1:], number[3:]):
            assert form not in everything, form
    for words in TEXTS.values():
        for piece in (words, words[:6], words[-6:]):
            assert piece not in everything, piece
    assert "+86 138****0004" in everything and "+86 21****1234" in everything
