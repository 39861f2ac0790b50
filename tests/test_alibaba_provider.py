"""The Alibaba Cloud SMS provider with Alibaba's own SDK against the fake Alibaba server: a send
becomes SendSms with the approved template's code, signature and parameters, its delivery report
settles the row, each class of error code lands where it should, and a text no approved
template carries is refused before sending, visibly."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import func, select

from devtools.fake_alibaba.server import FakeAlibaba
from hotline import create_app
from hotline.infra.config import load_config
from hotline.infra.db import get_db
from hotline.outbox import queue_sms
from models import (
    Case,
    CaseEvent,
    Contact,
    Message,
    MessageStatus,
    Purpose,
    SmsTemplate,
    TemplateApproval,
    TemplateKind,
    WebhookReceipt,
    utcnow,
)
from notifications.providers import (
    PermanentFailure,
    Throttled,
    TransientFailure,
    get_provider,
)
from notifications.providers.alibaba import AlibabaProvider
from notifications.providers.alibaba.errors import CODES, from_code
from notifications.reconcile import reconcile_messages
from notifications.send import deliver, status_callback_url
from tests.alibaba_support import ALIBABA_SIGNATURE, fake_alibaba  # noqa: F401
from tests.conftest import LiveServer, app_config, wait_until

PUSH_SECRET = "push-secret-0123456789abcdef"
WORKER = "+8613800138000"
VOLUNTEER = "+8613900000042"
# One notification template per text the tests send: (code, text, purpose).
TEMPLATES = [
    ("SMS_900001", "您的案件#${number}已受理，志愿者会尽快联系您。", "case_opened"),
    ("SMS_900002", "新案件 #${number} ${details} 回复 Y${number} 接受 N${number} 拒绝", "offer"),
]


def add_template(fake: FakeAlibaba, code: str, text: str, purpose: str = "test",
                 kind: TemplateKind = TemplateKind.NOTIFICATION) -> None:
    """Approve a template at the fake carrier and register it as the hotline's row."""
    fake.register_template(code, text, str(kind), ALIBABA_SIGNATURE)
    with get_db().begin() as s:
        s.add(SmsTemplate(provider="alibaba", code=code, purpose=purpose, kind=kind, text=text,
                          signature=ALIBABA_SIGNATURE, approval=TemplateApproval.APPROVED))


def alibaba_config(db_url: str, fake: FakeAlibaba, **extra: Any) -> dict[str, Any]:
    """The test configuration with the Alibaba provider pointed at the fake."""
    return app_config(db_url, "http://127.0.0.1:9", HOTLINE_PROVIDER="alibaba",
                      ALIBABA_ACCESS_KEY_ID=fake.access_key_id,
                      ALIBABA_ACCESS_KEY_SECRET=fake.access_key_secret,
                      ALIBABA_SMS_ENDPOINT=fake.base_url, ALIBABA_PUSH_SECRET=PUSH_SECRET,
                      **extra)


def alibaba_app(config: dict[str, Any], fake: FakeAlibaba, instance: Path) -> Iterator[Flask]:
    """The hotline with `config`, the test templates approved at the fake, in its app context
    (its database connections closed afterwards)."""
    application = create_app(config, instance_path=str(instance))
    with application.app_context():
        for code, text, purpose in TEMPLATES:
            add_template(fake, code, text, purpose)
        yield application
    application.extensions["db"].engine.dispose()


@pytest.fixture
def ali_app(db_url: str, fake_alibaba: FakeAlibaba,
            redis_client: redis_lib.Redis, tmp_path: Path) -> Iterator[Flask]:
    """The hotline on the parametrised database, sending through the fake Alibaba."""
    redis_client.flushdb()
    yield from alibaba_app(alibaba_config(db_url, fake_alibaba), fake_alibaba,
                           tmp_path / "instance")


@pytest.fixture
def pushed(ali_app: Flask, fake_alibaba: FakeAlibaba) -> Iterator[LiveServer]:
    """The app over real HTTP, and the fake pushing its reports and replies to it."""
    server = LiveServer(ali_app)
    ali_app.config["PUBLIC_URL"] = server.url
    fake_alibaba.push_url = f"{server.url}/alibaba/{PUSH_SECRET}"
    yield server
    server.stop()


def queued(body: str, to: str = WORKER, purpose: Purpose = Purpose.REPLY) -> int:
    """An outbound message row, as the hotline writes one before sending."""
    with get_db().begin() as s:
        return queue_sms(s, to=to, body=body, purpose=purpose).id


def message(message_id: int) -> Message:
    """A message row as committed."""
    with get_db().begin() as s:
        row = s.get(Message, message_id)
        assert row is not None
        return row


def test_send_is_the_approved_template_and_its_report_delivers_the_row(
        ali_app: Flask, fake_alibaba: FakeAlibaba, pushed: LiveServer) -> None:
    mid = queued("您的案件#1024已受理，志愿者会尽快联系您。")
    assert deliver(mid) is None
    [sent] = fake_alibaba.sent
    assert sent["phone"] == "13800138000" and sent["template_code"] == "SMS_900001"
    assert sent["sign_name"] == ALIBABA_SIGNATURE and sent["params"] == {"number": "1024"}
    assert sent["text"] == "【工友热线】您的案件#1024已受理，志愿者会尽快联系您。"
    assert sent["out_id"] == f"m{mid}"  # the row, for reports whose send answer was lost
    assert message(mid).provider_sid == sent["biz_id"]
    wait_until(lambda: message(mid).status == MessageStatus.DELIVERED, timeout=10,
               message="the SmsReport push")
    # The lookup after a crash sees the same text, as the hotline wrote it.
    provider = get_provider()
    assert isinstance(provider, AlibabaProvider)
    found = provider.fetch_sms(sent["biz_id"])
    assert found is not None and found.status == "delivered"
    assert found.body == message(mid).body
    [listed] = provider.find_sms(WORKER)
    assert listed.body == message(mid).body and listed.status == "delivered"


def test_a_text_no_template_carries_is_refused_before_sending_and_says_why(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    with get_db().begin() as s:
        contact = Contact(phone=WORKER, name="工友")
        s.add(contact)
        s.flush()
        case = Case(contact_id=contact.id)
        s.add(case)
        s.flush()
        mid = queue_sms(s, to=WORKER, body="老板明天上午在工地，您可以去找他。",
                        purpose=Purpose.RELAY, case=case, contact_id=contact.id).id
        case_id = case.id
    deliver(mid)
    row = message(mid)
    assert row.status == MessageStatus.FAILED
    assert row.error_message == "no approved template carries this text"
    assert fake_alibaba.sent == [] and fake_alibaba.requests == []
    with get_db().begin() as s:
        notes = s.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case_id)).all()
    assert any("no approved template" in n for n in notes), notes


# (code answered, HTTP status or None for Alibaba's HTTP 200 answer, what the row becomes)
ERROR_CASES = [
    ("isv.BUSINESS_LIMIT_CONTROL", None, MessageStatus.FAILED),  # caps lift in hours: see
    ("isv.DAY_LIMIT_CONTROL", None, MessageStatus.FAILED),  # test_alibaba_limits.py
    ("Throttling.User", 400, MessageStatus.QUEUED),
    ("isv.MOBILE_NUMBER_ILLEGAL", None, MessageStatus.FAILED),
    ("isv.SMS_TEMPLATE_ILLEGAL", None, MessageStatus.FAILED),
    ("isv.SMS_SIGNATURE_ILLEGAL", None, MessageStatus.FAILED),
    ("isv.TEMPLATE_MISSING_PARAMETERS", None, MessageStatus.FAILED),
    ("isv.PARAM_LENGTH_LIMIT", None, MessageStatus.FAILED),
    ("isv.BLACK_KEY_CONTROL_LIMIT", None, MessageStatus.FAILED),
    ("isv.AMOUNT_NOT_ENOUGH", None, MessageStatus.FAILED),
    ("SignatureDoesNotMatch", 400, MessageStatus.FAILED),
    ("isp.SYSTEM_ERROR", None, MessageStatus.UNKNOWN),
    ("ServiceUnavailable", 503, MessageStatus.UNKNOWN),
    ("InternalError", 500, MessageStatus.UNKNOWN),
]


@pytest.mark.parametrize(("code", "status", "becomes"), ERROR_CASES)
def test_each_error_code_class_through_the_sdk(
        ali_app: Flask, fake_alibaba: FakeAlibaba,
        code: str, status: int | None, becomes: MessageStatus) -> None:
    fake_alibaba.fail_next(code, status=status, action="SendSms")
    mid = queued("您的案件#1024已受理，志愿者会尽快联系您。")
    retry_in = deliver(mid)
    row = message(mid)
    assert row.status == becomes
    assert (retry_in is not None) == (becomes == MessageStatus.QUEUED)
    if becomes != MessageStatus.QUEUED:
        assert row.error_message is not None and code in row.error_message
        # Never the number or the words, whatever the SDK's own message carried.
        assert "13800138000" not in row.error_message and "1024" not in row.error_message
    assert fake_alibaba.sent == []


def test_unreachable_endpoint_is_not_sent_and_waits(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    ali_app.extensions["provider"] = AlibabaProvider(
        fake_alibaba.access_key_id, fake_alibaba.access_key_secret,
        endpoint="http://127.0.0.1:9", timeout=2)
    mid = queued("您的案件#1024已受理，志愿者会尽快联系您。")
    assert deliver(mid) is not None  # connection refused: nothing reached Alibaba
    assert message(mid).status == MessageStatus.QUEUED


@pytest.mark.parametrize(("code", "kind"), [
    *[(code, Throttled) for code, (k, _) in CODES.items() if k == "throttled"],
    *[(code, PermanentFailure) for code, (k, _) in CODES.items() if k == "permanent"],
    *[(code, TransientFailure) for code, (k, _) in CODES.items() if k in ("transient", "retry")],
    ("Throttling.Unheard", Throttled), ("isv.SOMETHING_NEW", PermanentFailure),
    ("isp.SOMETHING_NEW", TransientFailure),
])
def test_error_table(code: str, kind: type) -> None:
    error = from_code(code)
    assert type(error) is kind and code in str(error)
    if isinstance(error, TransientFailure):
        assert error.maybe_sent == (CODES.get(code, ("",))[0] != "retry")


def test_start_call_is_refused_plainly(ali_app: Flask) -> None:
    with pytest.raises(PermanentFailure, match="cannot place phone calls"):
        get_provider().start_call(WORKER, from_="+8610086000000", url="https://x/voice")


def test_push_secret_is_required_outside_tests_and_loopback(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    base = {"HOTLINE_PROVIDER": "alibaba", "TWILIO_AUTH_TOKEN": "a-real-looking-token-123",
            "ALIBABA_SMS_ENDPOINT": "dysmsapi.aliyuncs.com"}
    with pytest.raises(ValueError, match="ALIBABA_PUSH_SECRET"):
        load_config(str(tmp_path), base)
    with pytest.raises(ValueError, match="ALIBABA_PUSH_SECRET"):
        load_config(str(tmp_path), {**base, "ALIBABA_PUSH_SECRET": "short"})
    cfg = load_config(str(tmp_path), {**base, "ALIBABA_PUSH_SECRET": "x" * 24})
    assert cfg["HOTLINE_PROVIDER"] == "alibaba"
    # The demo: the fake on loopback, no public URL.
    local = {**base, "ALIBABA_SMS_ENDPOINT": "http://127.0.0.1:8766"}
    assert load_config(str(tmp_path), local)["ALIBABA_PUSH_SECRET"] is None
    with pytest.raises(ValueError, match="HOTLINE_PROVIDER"):
        load_config(str(tmp_path), {**base, "HOTLINE_PROVIDER": "tencent"})


def test_receipts_are_kept_per_report(ali_app: Flask, fake_alibaba: FakeAlibaba,
                                      pushed: LiveServer) -> None:
    ids = [queued(f"您的案件#{n}已受理，志愿者会尽快联系您。") for n in (1001, 1002)]
    for mid in ids:
        deliver(mid)
    wait_until(lambda: all(message(m).status == MessageStatus.DELIVERED for m in ids),
               timeout=10, message="both reports")
    with get_db().begin() as s:
        kinds = s.scalars(select(WebhookReceipt.kind)).all()
        assert kinds.count("alibaba-report") == 2
        assert s.scalar(select(func.count()).select_from(Message)) == 2


def test_a_send_whose_answer_was_lost_is_adopted_from_alibaba_not_sent_again(
        ali_app: Flask, fake_alibaba: FakeAlibaba) -> None:
    body = "您的案件#1024已受理，志愿者会尽快联系您。"
    went, lost = queued(body), queued(body.replace("1024", "1025"))
    # The worker died after Alibaba accepted the first text and before it wrote the answer;
    # the second never reached Alibaba.
    get_provider().send_sms(WORKER, body, from_="+8610086000000",
                            status_callback=status_callback_url(went))
    assert fake_alibaba.wait_for_pushes(5)  # the carrier's receipt is in
    with get_db().begin() as s:
        for mid in (went, lost):
            row = s.get(Message, mid)
            assert row is not None
            row.advance(MessageStatus.SENDING)
            row.advance(MessageStatus.UNKNOWN, error_message="timed out")
    later = utcnow() + timedelta(hours=1)
    assert reconcile_messages(later) == {"adopted": 1, "resent": 1, "dropped": 0,
                                         "unresolved": 0, "settled_meanwhile": 0}
    adopted = message(went)
    assert adopted.status == MessageStatus.DELIVERED
    assert (adopted.provider_sid or "").startswith(f"out:m{went}:")  # a lookup has no BizId
    assert message(lost).status == MessageStatus.QUEUED  # Alibaba never had it: sent again
    assert len(fake_alibaba.sent) == 1
    # The adopted row can still be asked about later (the lost-callback refresh).
    provider = get_provider()
    assert isinstance(provider, AlibabaProvider)
    found = provider.fetch_sms(adopted.provider_sid or "")
    assert found is not None and found.status == "delivered" and found.body == body
