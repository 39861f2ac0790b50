"""End to end on real parts: signed webhook → real Celery worker on real Redis → real twilio
client → the fake Twilio server; and Redis down during the webhook, recovered by the sweeper.

On Twilio only (real worker processes are the slow part of the suite): the Alibaba twin of the
first is test_alibaba_e2e.py, and the intake itself runs on both in test_both_providers.py."""

from __future__ import annotations

import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import select

from devtools.embedded_redis import EmbeddedRedis
from devtools.fake_twilio import FakeTwilio
from hotline import create_app
from hotline.infra.db import get_db
from hotline.sweeper import sweep_now
from models import Case, CaseStatus, Message, MessageStatus, Purpose, Volunteer
from tests.conftest import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    HOTLINE_NUMBER,
    REDIS_URL,
    LiveServer,
    app_config,
    http_post_signed,
    sms_form,
    start_worker,
    stop_process,
    wait_until,
)

pytestmark = pytest.mark.e2e
VOLUNTEER = "+8613900000001"
WORKER = "+8613800138000"
# The rest of the SMS intake after the first text: category, place, home province, employer,
# amount, months, co-workers, still working there, confirm. The case is routed when the
# intake ends.
INTAKE_ANSWERS = ["1", "广东深圳", "1", "某某厂", "12000", "3", "1", "还在", "1"]


def add_volunteer() -> None:
    """One on-duty volunteer who speaks Mandarin."""
    with get_db().begin() as s:
        s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))


def worker_env(app: Flask, fake: FakeTwilio, public_url: str, redis_url: str) -> dict[str, str]:
    """Environment for a worker process configured like the app under test."""
    return {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": redis_url,
            "HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": fake.base_url,
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "PUBLIC_URL": public_url, "HOTLINE_NUMBER": HOTLINE_NUMBER,
            "HOTLINE_INSTANCE": app.instance_path}


@pytest.fixture
def live(app: Flask) -> Iterator[LiveServer]:
    """The app over real HTTP; PUBLIC_URL points at it so Twilio-style callbacks arrive."""
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    yield server
    server.stop()


def case_number(twiml: bytes) -> int:
    """The case number in the hotline's reply."""
    [message] = ET.fromstring(twiml).findall("Message")
    digits = "".join(ch for ch in (message.text or "") if ch.isdigit())
    return int(digits[:4])


def test_text_reaches_volunteer_and_accept_assigns(app: Flask, fake_twilio: FakeTwilio,
                                                   live: LiveServer) -> None:
    add_volunteer()
    app.config["SMS_READ_IN_WEBHOOK"] = False  # as deployed: the worker reads each text
    worker = start_worker(worker_env(app, fake_twilio, live.url, REDIS_URL))
    try:
        # a request with no facts in it: the scripted answers start at the category menu
        resp = http_post_signed(live.url + "/twilio/sms", sms_form(WORKER, "我需要帮助"))
        assert resp.status_code == 200 and not ET.fromstring(resp.content).findall("Message")
        [first] = wait_until(lambda: fake_twilio.messages_to(WORKER), timeout=60,
                             message="the answer to the first text, read by the worker")
        number = int("".join(ch for ch in first["body"] if ch.isdigit())[:4])
        # Sent one after another without waiting: the worker reads them in this order.
        for answer in INTAKE_ANSWERS:
            assert http_post_signed(live.url + "/twilio/sms",
                                    sms_form(WORKER, answer)).status_code == 200
        [offer] = wait_until(lambda: fake_twilio.messages_to(VOLUNTEER), timeout=60,
                             message="offer SMS at the fake Twilio server")
        assert offer["body"].startswith(f"新案件 #{number} 欠薪 深圳")
        assert offer["from"] == HOTLINE_NUMBER
        assert f"#{number}" in offer["body"] and f"Y{number}" in offer["body"]
        assert WORKER not in offer["body"] and WORKER[3:] not in offer["body"]

        def delivered() -> bool:
            with get_db().begin() as s:
                msg = s.scalar(select(Message).where(Message.purpose == Purpose.OFFER))
                return msg is not None and msg.status == MessageStatus.DELIVERED

        wait_until(delivered, timeout=30, message="delivery callbacks")
        assert http_post_signed(live.url + "/twilio/sms",
                                sms_form(VOLUNTEER, f"y {number}")).status_code == 200
        wait_until(lambda: [m for m in fake_twilio.messages_to(VOLUNTEER)
                            if "已分配给您" in m["body"]], timeout=60,
                   message="the volunteer told the case is theirs")
        answers = [m["body"] for m in fake_twilio.messages_to(WORKER)]
        assert len(answers) == 1 + len(INTAKE_ANSWERS)  # each text answered once
        with get_db().begin() as s:
            case = s.scalars(select(Case)).one()
            assert case.status == CaseStatus.ASSIGNED
            assert case.assigned_volunteer is not None
            assert case.assigned_volunteer.phone == VOLUNTEER
    finally:
        log = stop_process(worker)
        print(log[-5000:])  # shown by pytest when the test fails
    assert "Traceback" not in log, log


def free_port() -> int:
    """A loopback port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_redis_down_commits_case_and_sweeper_routes_it_later(
        db_url: str, fake_twilio: FakeTwilio, redis_client: redis_lib.Redis,
        tmp_path: Path) -> None:
    broker = EmbeddedRedis(tmp_path / "redis", port=free_port())  # not started: Redis is down
    # As deployed (texts read by a worker): with the queue down, the webhook reads each text
    # itself and answers in its response.
    app = create_app(app_config(db_url, fake_twilio.base_url, REDIS_URL=broker.url,
                                SWEEP_GRACE_SECONDS=0, SMS_READ_IN_WEBHOOK=""),
                     instance_path=str(tmp_path / "inst"))
    worker = None
    with app.app_context():
        add_volunteer()
        resp = app.test_client().post(
            "/twilio/sms", data=(form := sms_form(WORKER, "我需要帮助")),
            headers={"X-Twilio-Signature": _sign("https://hotline.example.org/twilio/sms",
                                                 form)})
        assert resp.status_code == 200
        number = case_number(resp.data)
        for answer in INTAKE_ANSWERS:
            f = sms_form(WORKER, answer)
            sig = _sign("https://hotline.example.org/twilio/sms", f)
            assert app.test_client().post("/twilio/sms", data=f, headers={
                "X-Twilio-Signature": sig}).status_code == 200
        with get_db().begin() as s:
            assert s.scalars(select(Case)).one().status == CaseStatus.NEW
        broker.start()  # Redis comes back
        try:
            assert sweep_now()["cases"] == 1
            worker = start_worker(worker_env(app, fake_twilio, "https://hotline.example.org",
                                             broker.url))
            [offer] = wait_until(lambda: fake_twilio.messages_to(VOLUNTEER), timeout=60,
                                 message="offer after Redis came back")
            assert f"#{number}" in offer["body"]
            assert sweep_now()["cases"] == 0  # routed: nothing left to sweep
        finally:
            if worker is not None:
                stop_process(worker)
            broker.stop()
    app.extensions["db"].engine.dispose()


def _sign(url: str, form: dict[str, str]) -> str:
    from twilio.request_validator import RequestValidator

    return str(RequestValidator(AUTH_TOKEN).compute_signature(url, form))
