"""End to end on Alibaba Cloud SMS, on real parts: a worker's text pushed as SmsUp by the fake
Alibaba server → the front door opens a case and its intake → the offer is texted to a
volunteer as an approved template through Alibaba's SDK and a real Celery worker on real Redis
→ the volunteer's "Y<case>" comes back as SmsUp → the case is theirs → delivery reports settle
every text."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import select

from devtools.fake_alibaba.server import FakeAlibaba
from hotline.infra.db import get_db
from models import (
    Case,
    CaseStatus,
    Direction,
    Message,
    MessageStatus,
    Purpose,
    SmsTemplate,
    TemplateKind,
    Volunteer,
)
from notifications.templates import carried, current_fixed, hotline_texts, template_text
from tests.alibaba_support import fake_alibaba  # noqa: F401
from tests.conftest import AUTH_TOKEN, REDIS_URL, LiveServer, start_worker, stop_process, wait_until
from tests.test_alibaba_provider import (  # noqa: F401
    PUSH_SECRET,
    WORKER,
    add_template,
    ali_app,
)
from tests.test_e2e import INTAKE_ANSWERS

pytestmark = pytest.mark.e2e
VOLUNTEER = "+8613900000001"


def worker_env(app: Flask, fake: FakeAlibaba, public_url: str) -> dict[str, str]:
    """A Celery worker configured like the app under test, sending through the fake Alibaba."""
    return {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": REDIS_URL,
            "HOTLINE_PROVIDER": "alibaba", "ALIBABA_ACCESS_KEY_ID": fake.access_key_id,
            "ALIBABA_ACCESS_KEY_SECRET": fake.access_key_secret,
            "ALIBABA_SMS_ENDPOINT": fake.base_url, "ALIBABA_PUSH_SECRET": PUSH_SECRET,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "PUBLIC_URL": public_url,
            "HOTLINE_NUMBER": app.config["HOTLINE_NUMBER"],
            "HOTLINE_INSTANCE": app.instance_path}


def register_hotline_texts(fake: FakeAlibaba) -> int:
    """Every text of the hotline's catalogue as an approved template, as an office would after
    `hotline templates draft` and the carrier's review (those the carrier refuses are left out,
    so their texts fail visibly)."""
    fixed = current_fixed()
    with get_db().begin() as s:
        known = set(s.scalars(select(SmsTemplate.text)))
    added = 0
    for i, item in enumerate(hotline_texts()):
        text = template_text(item.text, fixed)
        if text in known or item.kind != TemplateKind.NOTIFICATION:
            continue
        try:
            add_template(fake, f"SMS_{700000 + i}", text, item.purpose)
        except ValueError:  # the carrier's review refuses it
            continue
        known.add(text)
        added += 1
    return added


def register_intake_questions(fake: FakeAlibaba, number: int) -> int:
    """The intake's questions as templates (the case number a parameter): the catalogue's
    drafts (hotline_texts) hold the reply texts but not the intake flow's questions, so an
    office registers them from what its intake asks."""
    with get_db().begin() as s:
        bodies = s.scalars(select(Message.body).where(
            Message.direction == Direction.OUTBOUND, Message.purpose == Purpose.REPLY)).all()
        missing = [b for b in dict.fromkeys(bodies) if not carried(s, "alibaba", b, None)]
    for i, body in enumerate(missing):
        add_template(fake, f"SMS_{800000 + i}", body.replace(str(number), "${number}"),
                     "intake")
    return len(missing)


@pytest.fixture
def live(ali_app: Flask, fake_alibaba: FakeAlibaba) -> Iterator[LiveServer]:
    """The app over real HTTP, with the fake Alibaba pushing reports and replies to it."""
    server = LiveServer(ali_app)
    ali_app.config["PUBLIC_URL"] = server.url
    fake_alibaba.push_url = f"{server.url}/alibaba/{PUSH_SECRET}"
    yield server
    server.stop()


def outbound(purpose: Purpose, to: str) -> list[Message]:
    """Outbound messages of one purpose to one number, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(Message).where(
            Message.direction == Direction.OUTBOUND, Message.purpose == purpose,
            Message.to_number == to).order_by(Message.id)))


def test_worker_reply_to_case_offer_accept_and_reports(
        ali_app: Flask, fake_alibaba: FakeAlibaba, live: LiveServer) -> None:
    assert register_hotline_texts(fake_alibaba) > 20
    with get_db().begin() as s:
        s.add(Volunteer(name="张律师", phone=VOLUNTEER, languages=["zh"], on_duty=True))
    # The worker answers a text of ours: Alibaba pushes it as SmsUp, and each answer of the
    # intake is queued as a text of its own (Alibaba cannot answer inline).
    fake_alibaba.reply(WORKER, "我需要帮助")
    assert fake_alibaba.wait_for_pushes(10)
    for answer in INTAKE_ANSWERS:
        fake_alibaba.reply(WORKER, answer)
        assert fake_alibaba.wait_for_pushes(10)
    with get_db().begin() as s:
        opened = s.scalars(select(Case)).one()
        number, case_id = opened.number, opened.id
    assert number is not None
    # The catalogue's drafts carry the intake's questions too: none is left to register.
    assert register_intake_questions(fake_alibaba, number) == 0
    worker = start_worker(worker_env(ali_app, fake_alibaba, live.url))
    try:
        offer = wait_until(lambda: [m for m in fake_alibaba.sent_to(VOLUNTEER)
                                    if f"Y{number}" in m["text"]], timeout=60,
                           message="the offer at the fake Alibaba")[0]
        assert offer["text"].startswith(f"【工友热线】新案件 #{number} 欠薪 深圳")
        assert offer["params"]["number"] == str(number)
        assert WORKER[3:] not in offer["text"]
        # The volunteer accepts by replying to the offer.
        fake_alibaba.reply(VOLUNTEER, f"Y{number}")
        assert fake_alibaba.wait_for_pushes(10)

        def assigned() -> bool:
            with get_db().begin() as s:
                found = s.get(Case, case_id)
                return found is not None and found.status == CaseStatus.ASSIGNED

        wait_until(assigned, timeout=30, message="the case assigned to the volunteer")
        confirmation = wait_until(lambda: [m for m in fake_alibaba.sent_to(VOLUNTEER)
                                           if m is not offer and f"#{number}" in m["text"]
                                           and m["biz_id"] != offer["biz_id"]], timeout=60,
                                  message="the volunteer's confirmation")[0]
        assert confirmation["template_code"] != offer["template_code"]

        def settled() -> list[Message]:
            rows = [*outbound(Purpose.OFFER, VOLUNTEER), *outbound(Purpose.REPLY, VOLUNTEER),
                    *outbound(Purpose.REPLY, WORKER)]
            done = {MessageStatus.DELIVERED, MessageStatus.FAILED}
            return rows if rows and all(m.status in done for m in rows) else []

        rows = wait_until(settled, timeout=60, message="every text settled by its report")
    finally:
        log = stop_process(worker)
    with get_db().begin() as s:
        volunteer = s.scalar(select(Volunteer).where(Volunteer.phone == VOLUNTEER))
        case = s.get(Case, case_id)
        assert case is not None and volunteer is not None
        assert case.assigned_volunteer_id == volunteer.id
    [offer_row] = outbound(Purpose.OFFER, VOLUNTEER)
    assert offer_row.status == MessageStatus.DELIVERED
    assert offer_row.provider_sid == offer["biz_id"]
    # Every answer the worker got went out as a template and was delivered; anything the
    # catalogue could not carry would show here as failed, with its reason.
    failed = [(m.body, m.error_message) for m in rows if m.status != MessageStatus.DELIVERED]
    assert failed == [], failed
    assert len(outbound(Purpose.REPLY, WORKER)) >= len(INTAKE_ANSWERS)
    assert "Traceback" not in log, log[-3000:]
