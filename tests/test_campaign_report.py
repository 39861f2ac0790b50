"""What staff read about a campaign: the estimate before sending (segments and cost per
variant, computed by language group and cached on the draft), the report after it (opt-outs
that answered this campaign only, sign-ups, failures, cost) as CSV, and the CLI that shows
them (`campaign status`, `campaign report --csv`, `campaign send --follow` with a real worker)."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import update

from devtools.fake_twilio import FakeTwilio
from hotline.cli.main import main
from hotline.infra.db import get_db
from hotline.phones import mask_phone
from models import Campaign, CampaignStatus, Contact, ContactTag
from notifications.campaigns.audience import Audience
from notifications.campaigns.compose import CampaignSpec, cached_estimate, create_campaign, estimate
from notifications.campaigns.report import report
from tests.conftest import REDIS_URL, sms_form, start_worker, stop_process
from tests.test_campaign_send import add_contacts, new_campaign, phone, recipients, run
from tests.test_campaign_worker import worker_env

ZH = ("{name}您好，本周六上午九点在社区中心举办劳动合同培训，地址是工业区服务站二楼，"
      "请带身份证和劳动合同，欢迎参加，回复1报名")
EN = "Hi {name}, labour contract training on Saturday at 9 in the community centre."


@pytest.fixture(autouse=True)
def no_callbacks(fake_twilio: FakeTwilio) -> None:
    """PUBLIC_URL is not reachable from here."""
    fake_twilio.callbacks_enabled = False


def cli_env(app: Flask) -> dict[str, str]:
    """What `hotline` needs to reach the test database and Redis."""
    return {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": REDIS_URL}


def test_estimate_counts_segments_and_cost_per_variant(app: Flask) -> None:
    people = [("李", "zh"), ("李强", "zh"), ("欧阳娜娜娜娜娜", "zh"), ("Tom", "en"),
              ("王芳", "en"), ("Ana", "fr")]  # no French text: Ana gets the default (zh)
    with get_db().begin() as s:
        for i, (name, language) in enumerate(people):
            contact = Contact(phone=phone(i), name=name, language=language)
            s.add(contact)
            s.flush()
            s.add(ContactTag(contact_id=contact.id, tag="training"))
        cid = create_campaign(s, CampaignSpec(
            name="培训", variants={"zh": ZH, "en": EN}, audience=Audience(tags=["training"]),
            price_per_segment=Decimal("0.05"))).id
    with get_db().begin() as s:
        data = estimate(s, s.get_one(Campaign, cid))
    by_lang = {v["language"]: v for v in data["variants"]}
    # zh: 李 65, 李强 66, Ana 67 characters (1 segment each); 欧阳娜娜娜娜娜 71 (2 segments).
    assert {k: by_lang["zh"][k] for k in ("recipients", "segments", "min_segments",
                                          "max_segments", "encodings", "missing")} == {
        "recipients": 4, "segments": 5, "min_segments": 1, "max_segments": 2,
        "encodings": ["UCS-2"], "missing": 0}
    # en: GSM-7 for Tom (1 segment); a Chinese name turns it into UCS-2 (2 segments).
    assert (by_lang["en"]["recipients"], by_lang["en"]["segments"],
            by_lang["en"]["encodings"]) == (2, 3, ["GSM-7", "UCS-2"])
    assert Decimal(by_lang["zh"]["cost"]) == Decimal("0.25")
    assert Decimal(by_lang["en"]["cost"]) == Decimal("0.15")
    assert (data["recipients"], data["segments"], Decimal(data["cost"])) == (
        6, 8, Decimal("0.40"))


def test_draft_estimate_is_cached_on_the_campaign(app: Flask) -> None:
    add_contacts(3)
    cid = new_campaign()
    with get_db().begin() as s:
        first = cached_estimate(s, s.get_one(Campaign, cid))
    with get_db().begin() as s:  # a new contact joins; the cached figure stays until it ages
        s.add(Contact(phone=phone(90), name="新"))
    with get_db().begin() as s:
        campaign = s.get_one(Campaign, cid)
        assert campaign.estimate_cache == first and first["recipients"] == 3
        assert cached_estimate(s, campaign) == first
        campaign.estimate_cache = {**first, "computed_at": "2000-01-01T00:00:00+00:00"}
    with get_db().begin() as s:
        assert cached_estimate(s, s.get_one(Campaign, cid))["computed_at"] != first[
            "computed_at"]


def test_opt_outs_count_only_in_the_campaign_they_answered(
        app: Flask, post_signed: Any, fake_twilio: FakeTwilio) -> None:
    ids = add_contacts(3)
    first = new_campaign()
    run(first)
    post_signed("/twilio/sms", sms_form(phone(0), "TD"))  # answers the first campaign
    post_signed("/twilio/sms", sms_form(phone(0), "退订"))  # again: counted once
    with get_db().begin() as s:  # staff record an opt-out by phone: not this campaign's doing
        s.get_one(Contact, ids[1]).opt_out()
    second = new_campaign("第二条通知：{name}您好")
    run(second)  # goes to phone(2) only
    post_signed("/twilio/sms", sms_form(phone(2), "STOP"))  # answers the latest campaign
    with get_db().begin() as s:
        a, b = (report(s, s.get_one(Campaign, c)) for c in (first, second))
    assert (a["opted_out_after_send"], b["opted_out_after_send"]) == (1, 1)
    assert b["recipients"] == 1
    # An opt-out long after the reply window is not counted either.
    with get_db().begin() as s:
        s.execute(update(Contact).where(Contact.id == ids[2]).values(opted_out_at=None))
        s.execute(update(Campaign).values(reply_window_hours=0))
    post_signed("/twilio/sms", sms_form(phone(2), "TD"))
    with get_db().begin() as s:
        assert report(s, s.get_one(Campaign, second))["opted_out_after_send"] == 1


def test_report_csv_from_the_cli(app: Flask, post_signed: Any, fake_twilio: FakeTwilio,
                                 tmp_path: Path) -> None:
    add_contacts(4)
    fake_twilio.fail_number(phone(3), 21211)
    cid = new_campaign()
    run(cid)
    post_signed("/twilio/sms", sms_form(phone(0), "1"))  # signs up
    post_signed("/twilio/sms", sms_form(phone(1), "TD"))  # opts out
    out, per_person = tmp_path / "report.csv", tmp_path / "recipients.csv"
    result = CliRunner().invoke(main, ["campaign", "report", str(cid), "--csv", str(out),
                                       "--recipients", str(per_person)], env=cli_env(app))
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == ["metric", "value"]
    values = dict(rows[1:])
    assert {k: values[k] for k in ("recipients", "reached_provider", "delivered", "signups",
                                   "opted_out_before_send", "opted_out_after_send",
                                   "segments", "status:accepted", "status:failed",
                                   "error:21211:failed")} == {
        "recipients": "4", "reached_provider": "3", "delivered": "0", "signups": "1",
        "opted_out_before_send": "0", "opted_out_after_send": "1", "segments": "3",
        "status:accepted": "3", "status:failed": "1", "error:21211:failed": "1"}
    assert Decimal(values["cost"]) == Decimal("0.15") and values["delivery_rate"] == "0.0"
    assert json.loads(result.output)["signups"] == 1
    lines = list(csv.reader(per_person.read_text(encoding="utf-8").splitlines()))
    # Masked by default; a spreadsheet would read a cell starting with "+" as a formula, so the
    # masked number carries the apostrophe that keeps it text.
    assert len(lines) == 5 and lines[1][1] == "'" + mask_phone(phone(0))
    assert [line[3] for line in lines[1:]] == ["accepted"] * 3 + ["failed"]


@pytest.mark.e2e
def test_cli_send_follow_and_status_with_a_real_worker(app: Flask,
                                                       fake_twilio: FakeTwilio) -> None:
    add_contacts(6)
    cid = new_campaign()
    env = cli_env(app)
    status = CliRunner().invoke(main, ["campaign", "status", str(cid)], env=env)
    assert status.exit_code == 0 and json.loads(status.output)["status"] == "draft"
    worker = start_worker(worker_env(app, fake_twilio))
    try:
        result = CliRunner().invoke(main, ["campaign", "send", str(cid), "--follow"], env=env)
    finally:
        output = stop_process(worker)
    assert result.exit_code == 0, result.output + output[-2000:]
    assert f"campaign {cid}: sending" in result.output
    assert "accepted=6" in result.output and result.output.rstrip().endswith(
        f"campaign {cid}: done")
    data = json.loads(CliRunner().invoke(main, ["campaign", "status", str(cid)],
                                         env=env).output)
    assert (data["status"], data["total"], data["finished"], data["counts"]["accepted"]) == (
        "done", 6, 0, 6)
    assert sorted(m["to"] for m in fake_twilio.messages) == [phone(i) for i in range(6)]
    with get_db().begin() as s:
        assert s.get_one(Campaign, cid).status == CampaignStatus.DONE
    assert [str(r.status) for r in recipients(cid)].count("accepted") == 6


def test_estimate_with_case_numbers_counts_who_has_none(app: Flask) -> None:
    from models import Case, CaseStatus

    ids = add_contacts(3)
    with get_db().begin() as s:
        for contact_id in ids[:2]:
            case = Case(contact_id=contact_id, status=CaseStatus.IN_PROGRESS)
            s.add(case)
            s.flush()
            case.assign_number()
    cid = new_campaign("您的案件{case_number}有新进展")
    with get_db().begin() as s:
        [zh] = estimate(s, s.get_one(Campaign, cid))["variants"]
    assert (zh["recipients"], zh["missing"], zh["segments"]) == (3, 1, 2)
