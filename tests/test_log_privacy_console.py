"""The console provider in real Celery worker processes, as `hotline demo` and a production
install that forgot HOTLINE_PROVIDER run it: the demo's worker log shows the text a newcomer is
meant to read; the other worker's log holds neither the number nor the words."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from devtools.embedded_redis import EmbeddedRedis
from hotline import create_app
from hotline.infra.config import DEMO_AUTH_TOKEN
from hotline.infra.db import get_db
from hotline.infra.queues import SEND, enqueue
from models import Direction, Message, MessageStatus, Purpose
from notifications.send import send_message
from tests.conftest import HOTLINE_NUMBER, start_worker, stop_process, wait_until, wipe

pytestmark = pytest.mark.e2e
WORKER = "+8613812345678"
WORDS = "王师傅您好，您的欠薪案件明天上午开庭"
TOKENS = {"demo": DEMO_AUTH_TOKEN, "production": "a-real-looking-auth-token-0123456789"}


def queue_text(mode: str) -> int:
    """A text to the worker, committed QUEUED and handed to this mode's worker."""
    with get_db().begin() as s:
        msg = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.QUEUED, from_number=HOTLINE_NUMBER, to_number=WORKER,
                      body=f"{WORDS}（{mode}）")
        s.add(msg)
        s.flush()
        message_id = msg.id
    assert enqueue(send_message, message_id, queue=SEND)
    return message_id


def sent(message_id: int) -> bool:
    """True once the worker recorded the console's 'sent'."""
    with get_db().begin() as s:
        msg = s.get(Message, message_id)
        return msg is not None and msg.status == MessageStatus.SENT


def test_the_demo_worker_shows_the_text_and_no_other_worker_logs_it(
        sqlite_url: str, tmp_path: Path) -> None:
    wipe(sqlite_url)
    brokers = {mode: EmbeddedRedis(tmp_path / mode / "redis") for mode in TOKENS}
    workers, logs = {}, {}
    try:
        for mode, token in TOKENS.items():
            env = {"DATABASE_URL": sqlite_url, "REDIS_URL": brokers[mode].start(),
                   "HOTLINE_PROVIDER": "console", "TWILIO_AUTH_TOKEN": token, "PUBLIC_URL": "",
                   "HOTLINE_NUMBER": HOTLINE_NUMBER, "HOTLINE_INSTANCE": str(tmp_path / mode)}
            workers[mode] = start_worker(env, log_dir=tmp_path / mode)
        for mode in TOKENS:
            app = create_app({"DATABASE_URL": sqlite_url, "REDIS_URL": brokers[mode].url,
                              "HOTLINE_PROVIDER": "console", "TESTING": True,
                              "HOTLINE_NUMBER": HOTLINE_NUMBER},
                             instance_path=str(tmp_path / mode / "app"))
            with app.app_context():
                message_id = queue_text(mode)
                wait_until(partial(sent, message_id), timeout=60, message=f"{mode} send")
            app.extensions["db"].engine.dispose()
    finally:
        for mode, worker in workers.items():
            logs[mode] = stop_process(worker)
        for broker in brokers.values():
            broker.stop()
    assert f"SMS {HOTLINE_NUMBER} -> {WORKER}: {WORDS}（demo）" in logs["demo"]
    production = logs["production"]
    assert "SMS +86 100****0000 -> +86 138****5678: " in production
    assert "text not logged" in production
    assert WORDS[:6] not in production and WORDS[-6:] not in production
    assert WORKER not in production and WORKER[3:] not in production
