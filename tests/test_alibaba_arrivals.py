"""Alibaba's pushed replies read as Twilio's texts are: each reply of a push kept unread with
the office its extend code names (one commit each), its reading queued, the answer texted back
once a worker reads it; a repeated push keeps nothing more; "R" answers the promotional text
sent before it came, whatever is sent while it waits; with Redis down the push reads its
replies itself. On SQLite and PostgreSQL."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib
from flask import Flask
from sqlalchemy import func, select

from devtools.embedded_redis import EmbeddedRedis
from devtools.fake_alibaba.server import FakeAlibaba
from hotline.arrivals import read_arrived_now
from hotline.infra.db import get_db
from models import Case, Contact, Direction, Message, MessageStatus, Organisation, Purpose
from tests.alibaba_support import fake_alibaba  # noqa: F401
from tests.test_alibaba_provider import (  # noqa: F401
    WORKER,
    ali_app,
    alibaba_app,
    alibaba_config,
)
from tests.test_alibaba_push import opted_out, outbound_replies, post, sent_before, up_item
from tests.test_e2e import free_port
from tests.test_sms_arrivals import waiting

OTHER = "+8613800138111"


@pytest.fixture
def queued(ali_app: Flask) -> Flask:
    """The Alibaba app as deployed: replies kept by the push, read by a worker."""
    ali_app.config["SMS_READ_IN_WEBHOOK"] = ""
    return ali_app


def inbound() -> list[Message]:
    """Every inbound text, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(Message).where(
            Message.direction == Direction.INBOUND).order_by(Message.id)))


def count(model: type) -> int:
    with get_db().begin() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_a_push_keeps_each_reply_unread_and_a_worker_reads_and_answers_them(
        queued: Flask, redis_client: redis_lib.Redis) -> None:
    with get_db().begin() as s:
        office = Organisation(name="深圳中心", sms_extend_code="2002")
        s.add(office)
        s.flush()
        office_id = office.id
    items = [up_item("老板拖欠我三个月工资", dest_code="2002"),
             up_item("广东深圳", dest_code="2002"),
             up_item("你们是骗子吧", phone="13800138111", dest_code="")]
    assert post(queued.test_client(), "up", items).status_code == 200
    kept = inbound()
    assert [m.status for m in kept] == [MessageStatus.ARRIVED] * 3
    assert [m.organisation_id for m in kept] == [office_id, office_id, None]
    assert count(Case) == 0 and count(Contact) == 0 and outbound_replies() == []
    assert waiting(redis_client) == 3  # one reading queued per reply
    # The push again (Alibaba did not hear our answer): nothing more is kept.
    assert post(queued.test_client(), "up", items).status_code == 200
    assert len(inbound()) == 3
    for message in kept:
        read_arrived_now(message.id)
    first, place, doubt = inbound()
    assert {m.status for m in (first, place, doubt)} == {MessageStatus.RECEIVED}
    assert first.case_id is not None and place.case_id == first.case_id  # in the order sent
    answers = {m.to_number: m.body for m in outbound_replies()}
    assert "案件编号" in answers[WORKER] or "省" in answers[WORKER]
    assert "工友热线" in answers[OTHER] and doubt.case_id is None
    with get_db().begin() as s:
        case = s.get(Case, first.case_id)
        assert case is not None and case.work_city == "深圳"
    assert len([m for m in outbound_replies() if m.to_number == WORKER]) == 2


def test_r_answers_the_promotional_text_sent_before_it_came(queued: Flask) -> None:
    sent_before("【工友热线】欠薪维权讲座本周六下午在服务站举行 拒收请回复R")
    assert post(queued.test_client(), "up", [up_item("R")]).status_code == 200
    [reply] = inbound()
    # While it waits unread, the hotline texts the worker something else (no R offered).
    with get_db().begin() as s:
        contact = s.scalar(select(Contact).where(Contact.phone == WORKER))
        assert contact is not None
        s.add(Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                      status=MessageStatus.DELIVERED, from_number="+8610086000000",
                      to_number=WORKER, body="李社工：明天上午给您打电话", contact_id=contact.id))
    assert not opted_out()
    read_arrived_now(reply.id)
    assert opted_out()


def test_an_r_that_answers_no_promotional_text_is_read_as_words(queued: Flask) -> None:
    sent_before("您的案件#1024已受理，志愿者会尽快联系您。")
    assert post(queued.test_client(), "up", [up_item("R")]).status_code == 200
    read_arrived_now(inbound()[0].id)
    assert not opted_out()


@pytest.fixture
def redis_down(db_url: str, fake_alibaba: FakeAlibaba, tmp_path: Path
               ) -> Iterator[Flask]:
    """The Alibaba app with its Redis never started."""
    broker = EmbeddedRedis(tmp_path / "redis", port=free_port())
    yield from alibaba_app(alibaba_config(db_url, fake_alibaba, REDIS_URL=broker.url,
                                          SMS_READ_IN_WEBHOOK=""), fake_alibaba, tmp_path / "inst")


def test_with_redis_down_the_push_reads_its_replies_itself(redis_down: Flask) -> None:
    assert post(redis_down.test_client(), "up", [up_item("老板拖欠我三个月工资")]
                ).status_code == 200
    [reply] = inbound()
    assert reply.status == MessageStatus.RECEIVED and count(Case) == 1
    [answer] = outbound_replies()
    assert "案件编号" in answer.body and answer.to_number == WORKER
