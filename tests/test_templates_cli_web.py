"""Carrier templates as data the offices manage: `hotline templates` round trips, the admin
page, relays and campaigns on a carrier that sends only approved templates."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.cli.main import main
from hotline.infra.db import get_db
from hotline.volunteer_sms import VolunteerCommand, work_on_case
from models import Case, Contact, Purpose, SmsTemplate, TemplateApproval, TemplateKind, Volunteer
from models.campaign import Campaign, CampaignVariant
from notifications.campaigns.compose import CampaignNotReady, estimate
from notifications.campaigns.control import request_start
from notifications.templates import hotline_texts, template_text
from tests.conftest import WebWorld
from tests.test_relay_bridge import assigned_case
from tests.test_routing_support import outbound
from tests.test_web_case_edit import visible_text
from tests.test_web_forms import logged_in

WORKER = "+8613812345678"  # the worker of tests.test_relay_bridge.assigned_case


def run(app: Flask, *args: str, alibaba: bool = False) -> Any:
    """`hotline ...` in-process on the test database."""
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "HOTLINE_NUMBER": app.config["HOTLINE_NUMBER"],
           "HOTLINE_PROVIDER": "alibaba" if alibaba else "console",
           "ALIBABA_PUSH_SECRET": "s" * 32, "TWILIO_AUTH_TOKEN": app.config["TWILIO_AUTH_TOKEN"]}
    return CliRunner().invoke(main, list(args), env=env)


def templates() -> list[SmsTemplate]:
    """Every registered template, by code."""
    with get_db().begin() as s:
        rows = list(s.scalars(select(SmsTemplate).order_by(SmsTemplate.code)))
        s.expunge_all()
        return rows


ADD = ["templates", "add", "--code", "SMS_100", "--purpose", "case_followup",
       "--signature", "工友热线", "--text", "工友热线：已收到，已记入案件${number}。"]


def test_add_approve_reject_and_list(app: Flask) -> None:
    refused = run(app, "templates", "add", "--code", "SMS_1", "--purpose", "campaign", "--kind",
                  "promotional", "--signature", "工友热线", "--text", "周六讲座，欢迎参加")
    assert refused.exit_code == 1 and "拒收请回复R" in refused.output and templates() == []
    assert "2-12 characters" in run(app, *ADD[:-4], "--signature", "工", *ADD[-2:]).output
    added = run(app, *ADD)
    assert added.exit_code == 0 and "SMS_100: pending (number)" in added.output
    assert "registered already" in run(app, *ADD).output
    listed = run(app, "templates", "list").output
    assert "SMS_100\tpending\tnotification\tcase_followup" in listed
    gaps = len(hotline_texts())
    assert f"1 template(s); {gaps} text(s) without an approved template" in listed
    assert run(app, "templates", "approve", "SMS_100").output == "SMS_100: approved\n"
    assert f"{gaps - 1} text(s) without" in run(app, "templates", "list").output
    assert "工友热线：已收到，已记入案件1024。" not in run(app, "templates", "list").output
    run(app, "templates", "reject", "SMS_100")
    assert [t.approval for t in templates()] == [TemplateApproval.REJECTED]
    assert "no alibaba template SMS_9" in run(app, "templates", "approve", "SMS_9").output


def test_draft_then_import_covers_every_text(app: Flask, tmp_path: Path) -> None:
    drafts = tmp_path / "drafts.csv"
    result = run(app, "templates", "draft", "--signature", "工友热线", "--out", str(drafts))
    assert result.exit_code == 0, result.output
    with drafts.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    assert header[:5] == ["用途代码", "语言", "模板类型", "签名", "模板内容"]
    assert len(body) == len(hotline_texts(include_free_text=True)) + 1
    by_key = {(r[0], r[1]): r for r in body}
    assert by_key[("case_followup", "中文")][4] == "工友热线：已收到，已记入案件${number}。"
    notice = by_key[("relay_notice", "中文")][4]
    assert notice.startswith("工友热线：您有一条关于案件#${number}的新消息，请致电热线")
    assert "${hotline}" not in notice and "10086000000" in notice  # the number as fixed text
    assert by_key[("campaign", "中文")][2] == "推广" and by_key[("campaign", "中文")][4].endswith(
        "拒收请回复R")
    # The office fills in the codes the carrier gave (all but the campaign row) and imports.
    for i, row in enumerate(body[:-1]):
        row[9] = f"SMS_{i:04d}"
        row[10] = "审核通过" if i else "审核中"
    with drafts.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *body])
    imported = run(app, "templates", "import", str(drafts))
    assert imported.exit_code == 0, imported.output
    assert f"{len(body) - 1} added, 0 updated, 1 skipped" in imported.output
    first = body[0]
    assert f"1 text(s) without an approved template:\n  {first[0]} (zh)" in run(
        app, "templates", "list").output
    first[10] = ""
    with drafts.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, first])
    assert "0 added, 1 updated" in run(app, "templates", "import", str(drafts),
                                       "--approved").output
    assert "0 text(s) without" in run(app, "templates", "list").output


def add_template(code: str, purpose: str, text: str, kind: TemplateKind =
                 TemplateKind.NOTIFICATION, approval: TemplateApproval =
                 TemplateApproval.APPROVED) -> None:
    """Register an approved template directly."""
    with get_db().begin() as s:
        s.add(SmsTemplate(provider="alibaba", code=code, purpose=purpose, kind=kind, text=text,
                          signature="工友热线", approval=approval))


def test_the_admin_page_lists_gaps_and_records_reviews(app: Flask, web_world: WebWorld) -> None:
    add_template("SMS_7", "case_followup", "工友热线：已收到，已记入案件${number}。",
                 approval=TemplateApproval.PENDING)
    for user in ("staff_a", "vol_a"):
        client, _ = logged_in(app, user)
        assert client.get("/staff/templates/").status_code == 403
        assert client.post("/staff/templates/review", data={
            "template_id": "1", "action": "approve"}).status_code in (400, 403)
    client, token = logged_in(app, "admin")
    page = visible_text(client.get("/staff/templates/?lang=zh").get_data(as_text=True))
    assert "尚无已审核模板的短信" in page and "审核中" in page and "SMS_7" in page
    assert "工友热线：已收到您的求助，案件编号1024。" in page  # a gap, as it is sent
    assert "case_opened" not in page and "notification" not in page  # no English keys
    [template] = templates()
    done = client.post("/staff/templates/review", data={
        "template_id": str(template.id), "action": "approve", "csrf_token": token})
    assert done.status_code == 303
    assert templates()[0].approval == TemplateApproval.APPROVED
    page = visible_text(client.get("/staff/templates/?lang=zh").get_data(as_text=True))
    assert "已通过" in page and "工友热线：已收到，已记入案件1024。" not in page


def relay(number: int, vid: int, words: str) -> str:
    """A volunteer's 'R<number> words', handled as the SMS front door does."""
    with get_db().begin() as s:
        volunteer = s.get(Volunteer, vid)
        case = s.scalar(select(Case).where(Case.number == number))
        assert volunteer is not None and case is not None
        reply, _ = work_on_case(s, volunteer, VolunteerCommand("relay", number, words), "zh")
        return reply


def register_relay_templates() -> None:
    """The relay notice and the volunteer's two answers, as the draft writes them."""
    fixed = {"hotline": "10086000000"}
    for i, item in enumerate(t for t in hotline_texts() if t.language == "zh" and t.purpose in (
            "relay_notice", "relay_notice_sent", "relay_sent")):
        add_template(f"SMS_R{i}", item.purpose, template_text(item.text, fixed))


def test_a_relay_the_carrier_cannot_carry_becomes_a_notice(app: Flask) -> None:
    app.config["HOTLINE_PROVIDER"] = "alibaba"
    _case_id, number, vid, _phone = assigned_case()
    refused = relay(number, vid, "明天上午十点给您打电话")
    assert refused == f"短信平台还没有审核通过的模板，消息没有发给#{number}工友，请联系工作人员。"
    assert outbound(Purpose.RELAY, to=WORKER) == []
    register_relay_templates()
    told = relay(number, vid, "明天上午十点给您打电话")
    assert told.startswith("短信平台只能发送审核过的固定内容") and f"#{number}工友" in told
    [notice] = outbound(Purpose.RELAY, to=WORKER)
    assert notice.body == f"工友热线：您有一条关于案件#{number}的新消息，请致电热线10086000000。"
    add_template("SMS_F", "relay_to_worker", "工友热线（案件${number}）志愿者：${text}")
    assert relay(number, vid, "明天上午十点给您打电话") == f"已转告#{number}工友。"
    assert outbound(Purpose.RELAY, to=WORKER)[-1].body.endswith("志愿者：明天上午十点给您打电话")


def test_the_web_relay_tells_the_volunteer_about_the_notice(app: Flask,
                                                            web_world: WebWorld) -> None:
    app.config["HOTLINE_PROVIDER"] = "alibaba"
    register_relay_templates()
    client, token = logged_in(app, "vol_a")
    number = web_world.assigned_to_a
    sent = client.post(f"/inbox/cases/{number}/relay?lang=zh", data={
        "body": "我明天下午去工地找老板", "csrf_token": token}, follow_redirects=True)
    assert "您写的话没有原样发出" in sent.get_data(as_text=True)
    [notice] = outbound(Purpose.RELAY, to=web_world.worker_phone)
    assert "新消息" in notice.body and "工地" not in notice.body


CAMPAIGN_TEMPLATE = "工友热线：${name}您好，${date}上午在服务站有免费讲座，欢迎参加。拒收请回复R"


@pytest.fixture
def contacts(app: Flask) -> None:
    """Two workers to text, one with a name."""
    with get_db().begin() as s:
        s.add_all([Contact(phone="+8613900000011", name="张三"),
                   Contact(phone="+8613900000012")])


def test_a_campaign_from_a_template(app: Flask, contacts: None) -> None:
    app.config["HOTLINE_PROVIDER"] = "alibaba"
    add_template("SMS_C", "campaign", CAMPAIGN_TEMPLATE, TemplateKind.PROMOTIONAL)
    base = ["campaign", "create", "--name", "讲座"]
    missing = run(app, *base, "--template", "SMS_C", alibaba=True)
    assert "needs a value for date" in missing.output
    assert "no approved template SMS_X" in run(app, *base, "--template", "SMS_X",
                                              alibaba=True).output
    made = run(app, *base, "--template", "SMS_C", "--param", "date=周六", alibaba=True)
    assert made.exit_code == 0, made.output
    out = json.loads(made.output)
    assert out["problems"] == ["zh text uses {name} but 1 recipient(s) have none; add a "
                               "fallback like {name|...} or narrow the audience"]
    made = run(app, *base, "--template", "SMS_C", "--param", "date=周六", "--param", "name=工友",
               alibaba=True)
    out = json.loads(made.output)
    assert out["problems"] == [] and out["audience"] == 2
    with get_db().begin() as s:
        campaign = s.get(Campaign, out["id"])
        assert campaign is not None
        assert (campaign.signature, campaign.footer) == ("工友热线", False)
        body = s.scalar(select(CampaignVariant.body).where(
            CampaignVariant.campaign_id == campaign.id))
        assert body == ("工友热线：{name|工友}您好，周六上午在服务站有免费讲座，欢迎参加。"
                        "拒收请回复R")
        # The estimate renders each recipient's text as for any campaign: one UCS-2 segment.
        assert estimate(s, campaign)["segments"] == 2
    request_start(out["id"])  # an approved template carries it: it starts


def test_a_campaign_no_template_carries_cannot_start(app: Flask, contacts: None) -> None:
    app.config["HOTLINE_PROVIDER"] = "alibaba"
    add_template("SMS_C", "campaign", CAMPAIGN_TEMPLATE, TemplateKind.PROMOTIONAL)
    made = json.loads(run(app, "campaign", "create", "--name", "讲座", "--text",
                          "zh=周六讲座，欢迎参加", alibaba=True).output)
    assert made["problems"] == ["zh text matches no approved alibaba template: create the "
                                "campaign from one (--template CODE; hotline templates list) "
                                "and without the TD footer"]
    with pytest.raises(CampaignNotReady, match="matches no approved alibaba template"):
        request_start(made["id"])


def test_the_web_compose_form_offers_approved_templates(app: Flask,
                                                        web_world: WebWorld) -> None:
    app.config["HOTLINE_PROVIDER"] = "alibaba"
    add_template("SMS_C", "campaign", CAMPAIGN_TEMPLATE, TemplateKind.PROMOTIONAL)
    client, token = logged_in(app, "staff_a")
    form = client.get("/staff/campaigns/new?lang=zh").get_data(as_text=True)
    assert 'name="template"' in form and "SMS_C" in form and "已审核的模板" in form
    bad = client.post("/staff/campaigns/?lang=zh", data={
        "name": "讲座", "template": "SMS_C", "csrf_token": token})
    assert bad.status_code == 400 and "模板需要填写变量date" in bad.get_data(as_text=True)
    made = client.post("/staff/campaigns/", data={
        "name": "讲座", "template": "SMS_C", "template_params": "date=周六",
        "footer": "1", "csrf_token": token})
    assert made.status_code == 303
    with get_db().begin() as s:
        campaign = s.scalars(select(Campaign)).one()
        assert campaign.footer is False and campaign.signature == "工友热线"
        assert s.scalar(select(CampaignVariant.body)) == (
            "工友热线：{name}您好，周六上午在服务站有免费讲座，欢迎参加。拒收请回复R")
    app.config["HOTLINE_PROVIDER"] = "twilio"  # a Twilio office sees the form as before
    assert 'name="template"' not in client.get("/staff/campaigns/new").get_data(as_text=True)
