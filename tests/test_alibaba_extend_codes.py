"""Alibaba extend codes: each office's texts go out with its own SmsUpExtendCode, and a worker's
reply (SmsUp dest_code) lands on the case of the office whose text they answered, even when the
worker has a case in two offices; no code, or one no office has, falls back to the number.
Offices get their codes from `hotline volunteer org-extend-code`, which refuses what Alibaba
would not take and a code another office holds. On SQLite and PostgreSQL, through Alibaba's SDK
to the fake Alibaba server."""
# ruff: noqa: F811  (pytest fixtures imported from a sibling module are parameters here)

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from click.testing import CliRunner, Result
from flask import Flask
from sqlalchemy import select

from devtools.fake_alibaba.server import FakeAlibaba
from hotline import create_app
from hotline.cli.main import main
from hotline.infra.db import get_db
from models import (
    Campaign,
    CampaignStatus,
    CaseStatus,
    Contact,
    Direction,
    Message,
    Organisation,
    Recipient,
    SmsTemplate,
    TemplateApproval,
    TemplateKind,
)
from notifications.providers import get_provider
from notifications.providers.alibaba.push import to_alibaba
from tests.conftest import AUTH_TOKEN, app_config
from tests.provider_support import PUSH_SECRET, World, approve_drafts, fake_alibaba
from tests.test_routing_support import add_case, add_volunteer

__all__ = ["fake_alibaba"]
WORKER = "+8613800138077"


@pytest.fixture
def world(db_url: str, redis_client: redis_lib.Redis, tmp_path: Path,
          fake_alibaba: FakeAlibaba) -> Iterator[World]:
    """The hotline on Alibaba with every drafted template approved (as tests.provider_support
    sets up its Alibaba side)."""
    redis_client.flushdb()
    # As deployed: each reply stored with the office its code names, read by the worker
    # `push_reply` stands in for.
    config = app_config(db_url, "http://127.0.0.1:9", HOTLINE_PROVIDER="alibaba",
                        SMS_READ_IN_WEBHOOK="", ALIBABA_ACCESS_KEY_ID=fake_alibaba.access_key_id,
                        ALIBABA_ACCESS_KEY_SECRET=fake_alibaba.access_key_secret,
                        ALIBABA_SMS_ENDPOINT=fake_alibaba.base_url,
                        ALIBABA_PUSH_SECRET=PUSH_SECRET)
    application = create_app(config, instance_path=str(tmp_path / "instance"))
    with application.app_context():
        found = World("alibaba", application, application.test_client(),
                      fake_alibaba=fake_alibaba)
        assert approve_drafts(application, fake_alibaba, tmp_path) > 200
        yield found
    application.extensions["db"].engine.dispose()


def cli(app: Flask, *args: str) -> Result:
    """`hotline ...` in-process against the app's database."""
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "HOTLINE_NUMBER": app.config["HOTLINE_NUMBER"], "HOTLINE_PROVIDER": "alibaba",
           "ALIBABA_PUSH_SECRET": PUSH_SECRET, "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
           "ALIBABA_SMS_ENDPOINT": app.config["ALIBABA_SMS_ENDPOINT"]}
    return CliRunner().invoke(main, list(args), env=env)


def add_office(app: Flask, name: str, code: str | None) -> int:
    """An organisation (as `org-add` makes it) with its extend code set by the CLI."""
    assert cli(app, "volunteer", "org-add", name).exit_code == 0
    if code is not None:
        result = cli(app, "volunteer", "org-extend-code", name, code)
        assert result.exit_code == 0, result.output
    with get_db().begin() as s:
        found = s.scalar(select(Organisation.id).where(Organisation.name == name))
        assert found is not None
        return found


def office_code(name: str) -> str | None:
    """The extend code an organisation has now."""
    with get_db().begin() as s:
        return s.scalar(select(Organisation.sms_extend_code).where(Organisation.name == name))


def push_reply(world: World, item: dict[str, Any]) -> int:
    """An SmsUp item into the hotline's /up endpoint; the id of the inbound row it made."""
    response = world.client.post(f"/alibaba/{PUSH_SECRET}/up", json=[item])
    assert response.status_code == 200, response.data
    world.answer_arrived(WORKER)
    world.send_queued()
    with get_db().begin() as s:
        found = s.scalar(select(Message.id).where(
            Message.direction == Direction.INBOUND, Message.body == item["content"],
            Message.from_number == WORKER).order_by(Message.id.desc()).limit(1))
        assert found is not None
        return found


def case_of(message_id: int) -> int | None:
    """The case an inbound text landed on."""
    with get_db().begin() as s:
        row = s.get(Message, message_id)
        assert row is not None
        return row.case_id


def two_offices(world: World) -> dict[str, Any]:
    """Offices A (code 1001) and B (code 2002), a volunteer in each, and one worker with an
    assigned case in each (B's the newer, so number-only matching picks B)."""
    app = world.app
    office_a = add_office(app, "固始县服务站", "1001")
    office_b = add_office(app, "深圳中心", "2002")
    vol_a = add_volunteer(organisation_id=office_a, phone="+8613900077001")
    vol_b = add_volunteer(organisation_id=office_b, phone="+8613900077002")
    case_a, number_a = add_case(WORKER, organisation_id=office_a, status=CaseStatus.IN_PROGRESS,
                                assigned_volunteer_id=vol_a)
    case_b, number_b = add_case(WORKER, organisation_id=office_b, status=CaseStatus.IN_PROGRESS,
                                assigned_volunteer_id=vol_b)
    return {"a": case_a, "b": case_b, "number_a": number_a, "number_b": number_b}


def relay(world: World, volunteer: str, number: int) -> dict[str, Any]:
    """The case's volunteer texts the worker ("R<case> ..."); the text the worker got."""
    world.text(volunteer, f"R{number} 明天上午给您打电话，请带上工资条和考勤记录")
    sent = world.fake_alibaba.sent_to(WORKER) if world.fake_alibaba else []
    assert sent, "the relay reached the worker"
    return sent[-1]


def test_each_office_texts_with_its_code_and_replies_land_on_that_office_case(
        world: World) -> None:
    fake = world.fake_alibaba
    assert fake is not None
    cases = two_offices(world)
    to_a = relay(world, "+8613900077001", cases["number_a"])
    assert to_a["extend_code"] == "1001"
    assert f"#{cases['number_a']}" in to_a["text"]

    # The worker answers office A's text: the fake pushes the port it came from.
    item = fake.reply(WORKER, "好的，我明天上午有空")
    assert item["dest_code"] == "1001"
    assert case_of(push_reply(world, item)) == cases["a"]  # not B, the newer case
    # ...and A's volunteer is the one told (the forward carries A's code too).
    forwarded = fake.sent_to("+8613900077001")[-1]
    assert forwarded["extend_code"] == "1001"
    assert f"#{cases['number_a']}" in forwarded["text"]

    to_b = relay(world, "+8613900077002", cases["number_b"])
    assert to_b["extend_code"] == "2002"
    item = fake.reply(WORKER, "收到，谢谢您")
    assert item["dest_code"] == "2002"
    assert case_of(push_reply(world, item)) == cases["b"]

    # Scrolling back and answering A's text (the shell's control route names it by BizId),
    # after B's came in: still A's case.
    answer = fake.app.test_client().post("/_fake/reply", json={
        "phone": WORKER, "content": "工资条我找到了", "in_reply_to": to_a["biz_id"]})
    assert answer.status_code == 200, answer.data
    assert answer.get_json()["dest_code"] == "1001"
    assert case_of(push_reply(world, answer.get_json())) == cases["a"]
    refused = fake.app.test_client().post("/_fake/reply", json={
        "phone": WORKER, "content": "x", "in_reply_to": "no-such-biz-id"})
    assert refused.status_code == 400


@pytest.mark.parametrize("dest_code", ["", "9999", "10011", "001001", " "])
def test_no_code_or_an_unknown_one_matches_by_number(world: World, dest_code: str) -> None:
    cases = two_offices(world)
    item = {"phone_number": to_alibaba(WORKER), "send_time": "2026-12-03 10:15:07",
            "content": f"我想问一下进展{dest_code.strip()}", "sign_name": "工友热线",
            "dest_code": dest_code, "sequence_id": 88000000 + len(dest_code)}
    # The worker's most recent open case, as before extend codes.
    assert case_of(push_reply(world, item)) == cases["b"]


def test_an_office_without_code_sends_none_and_its_replies_match_by_number(
        world: World) -> None:
    fake = world.fake_alibaba
    assert fake is not None
    office = add_office(world.app, "法律援助中心", None)
    volunteer = add_volunteer(organisation_id=office, phone="+8613900077003")
    case_id, number = add_case(WORKER, organisation_id=office, status=CaseStatus.IN_PROGRESS,
                               assigned_volunteer_id=volunteer)
    sent = relay(world, "+8613900077003", number)
    assert sent["extend_code"] == ""  # no SmsUpExtendCode: the signature's own port
    with_code = [r for r in fake.requests if r["action"] == "SendSms"]
    assert with_code and all("SmsUpExtendCode" not in r["params"] for r in with_code)
    assert case_of(push_reply(world, fake.reply(WORKER, "好的"))) == case_id


def test_a_code_for_an_office_whose_worker_has_no_case_there_falls_back(world: World) -> None:
    cases = two_offices(world)
    add_office(world.app, "东莞站", "3003")
    item = {"phone_number": to_alibaba(WORKER), "send_time": "2026-12-03 10:16:07",
            "content": "请问东莞站在哪里", "sign_name": "工友热线", "dest_code": "3003",
            "sequence_id": 88100000}
    assert case_of(push_reply(world, item)) == cases["b"]


@pytest.mark.parametrize("code, why", [
    ("12a4", "ASCII digits 0-9 only"),
    ("１２３４", "ASCII digits 0-9 only"),  # full-width digits are not what Alibaba takes
    ("一二三", "ASCII digits 0-9 only"),
    ("-12", "ASCII digits 0-9 only"),
    ("12 34", "ASCII digits 0-9 only"),
    ("1234567890123", "at most 12"),
    ("   ", "empty"),
])
def test_bad_codes_are_refused_with_the_reason(world: World, code: str, why: str) -> None:
    add_office(world.app, "固始县服务站", "1001")
    result = cli(world.app, "volunteer", "org-extend-code", "固始县服务站", "--", code)
    assert result.exit_code == 2, result.output
    assert why in result.output
    assert office_code("固始县服务站") == "1001"  # unchanged


def test_codes_are_unique_trimmed_cleared_and_listed(world: World) -> None:
    app = world.app
    add_office(app, "固始县服务站", " 0571 ")
    assert office_code("固始县服务站") == "0571"
    add_office(app, "深圳中心", None)
    taken = cli(app, "volunteer", "org-extend-code", "深圳中心", "0571")
    assert taken.exit_code == 1
    assert "'固始县服务站'" in taken.output and "tell the two offices apart" in taken.output
    assert office_code("深圳中心") is None
    # Setting an office's own code again is no conflict.
    assert cli(app, "volunteer", "org-extend-code", "固始县服务站", "0571").exit_code == 0
    missing = cli(app, "volunteer", "org-extend-code", "不存在的站", "12")
    assert missing.exit_code == 1 and "no organisation named" in missing.output
    neither = cli(app, "volunteer", "org-extend-code", "深圳中心")
    assert neither.exit_code == 2 and "either a CODE or --clear" in neither.output
    both = cli(app, "volunteer", "org-extend-code", "深圳中心", "12", "--clear")
    assert both.exit_code == 2
    listed = cli(app, "volunteer", "org-list")
    assert "固始县服务站" in listed.output and "extend_code=0571" in listed.output
    assert "extend_code=-" in listed.output
    cleared = cli(app, "volunteer", "org-extend-code", "固始县服务站", "--clear")
    assert cleared.exit_code == 0 and "(none)" in cleared.output
    assert office_code("固始县服务站") is None
    # A cleared code is free for another office.
    assert cli(app, "volunteer", "org-extend-code", "深圳中心", "0571").exit_code == 0
    assert office_code("深圳中心") == "0571"


def test_a_campaign_text_carries_its_office_code_and_a_bare_one_none(world: World) -> None:
    fake = world.fake_alibaba
    assert fake is not None
    office = add_office(world.app, "固始县服务站", "1001")
    body = "您的案件#1024已受理，志愿者会尽快联系您。"
    fake.register_template("SMS_990001", "您的案件#${number}已受理，志愿者会尽快联系您。")
    with get_db().begin() as s:
        s.add(SmsTemplate(provider="alibaba", code="SMS_990001", purpose="test",
                          kind=TemplateKind.NOTIFICATION, signature="工友热线",
                          text="您的案件#${number}已受理，志愿者会尽快联系您。",
                          approval=TemplateApproval.APPROVED))
        contact = Contact(phone=WORKER)
        s.add(contact)
        s.flush()
        rows = []
        for org in (office, None):
            campaign = Campaign(name=f"通知{org}", sender="+8610086000000",
                                status=CampaignStatus.SENDING, signature="工友热线",
                                footer=False, organisation_id=org)
            s.add(campaign)
            s.flush()
            row = Recipient(campaign_id=campaign.id, contact_id=contact.id, phone=WORKER,
                            language="zh", timezone="Asia/Shanghai", body=body)
            s.add(row)
            s.flush()
            rows.append(row.id)
    provider = get_provider()
    for rid in rows:  # a campaign recipient's send names its row as ?r=<id>
        provider.send_sms(WORKER, body, from_="+8610086000000",
                          status_callback=f"https://hotline.example.org/c?r={rid}")
    assert [m["extend_code"] for m in fake.sent_to(WORKER)] == ["1001", ""]
    assert [m["out_id"] for m in fake.sent_to(WORKER)] == [f"r{rows[0]}", f"r{rows[1]}"]
