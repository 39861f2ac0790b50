"""A worker's data: exported on request, erased on request (figures unchanged, nothing personal
left in any table, recordings deleted at the provider), and anonymised after retention."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import JSON, String, Text, select

from devtools.fake_twilio import FakeTwilio
from hotline.cli.main import main
from hotline.infra.db import get_db
from hotline.privacy import (
    RecordingNotDeleted,
    apply_retention,
    erase_contact,
    export_contact,
    find_contact,
)
from hotline.web.stats import monthly_report
from models import (
    AuditLog,
    Base,
    Call,
    CallStatus,
    Case,
    CaseCategory,
    CaseEvent,
    CaseStatus,
    ConsentEvent,
    Contact,
    Direction,
    EventKind,
    Message,
    Role,
    User,
    utcnow,
)
from models.campaign import Campaign, Recipient
from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, sms_form

PHONE = "+8613812345678"
NAME = "王小明"
EMPLOYER = "鸿运电子厂"
WORDS = ["老板拖欠我三个月工资，一共一万二", "我们车间主任叫刘强"]
SECRETS = [PHONE, "13812345678", NAME, EMPLOYER, *WORDS, "刘强", "长安镇乌沙村"]


def history(app: Flask, post_signed: Callable[..., Any], fake: FakeTwilio) -> dict[str, Any]:
    """A worker who texted (real webhook), called (a recording at the provider), was helped,
    recovered wages and answered the survey; plus another worker who must stay untouched."""
    for body in WORDS:
        assert post_signed("/twilio/sms", sms_form(PHONE, body)).status_code == 200
    recording = fake.add_recording()
    with get_db().begin() as s:
        contact = s.scalar(select(Contact).where(Contact.phone == PHONE))
        assert contact is not None
        contact.name = NAME
        case = Case(contact_id=contact.id, category=CaseCategory.WAGES, employer=EMPLOYER,
                    place_said="东莞长安镇乌沙村", work_province="广东", work_city="东莞",
                    amount_owed=Decimal("12000"), months_unpaid=3, summary=WORDS[0],
                    details={"still_employed": False, "left_on": "2026-10-01"},
                    voicemail_url=recording)
        s.add(case)
        s.flush()
        case.assign_number()
        s.add(Call(sid="CA" + "a" * 32, direction=Direction.INBOUND, status=CallStatus.COMPLETED,
                   from_number=PHONE, to_number="+8610086000000", recording_url=recording,
                   contact_id=contact.id, case_id=case.id))
        case.log(EventKind.MESSAGE_IN, WORDS[1], actor="worker")
        case.log(EventKind.NOTE, f"回电 {PHONE}，{NAME} 说 {EMPLOYER} 在长安镇乌沙村",
                 actor="staff:1")
        case.move_to(CaseStatus.ASSIGNED)
        case.move_to(CaseStatus.RESOLVED, note=f"{EMPLOYER} 已付清")
        case.amount_recovered = Decimal("12000")
        case.satisfaction = 5
        case.log(EventKind.SURVEY, "5", actor="worker", data={"satisfaction": 5, "text": "谢谢"})
        other = Contact(phone="+8613900000009", name="李四")
        s.add(other)
        s.flush()
        s.add(Case(contact_id=other.id, category=CaseCategory.INJURY, employer="某建筑公司"))
        campaign = Campaign(name="春节问候", sender="+8610086000000")
        s.add(campaign)
        s.flush()
        s.add(Recipient(campaign_id=campaign.id, contact_id=contact.id, phone=PHONE,
                        language="zh", timezone="Asia/Shanghai", body=f"{NAME}您好，新年快乐"))
        admin = User(username="boss", role=Role.ADMIN)
        admin.set_password("correct horse battery")
        s.add(admin)
        return {"recording": recording, "case_number": case.number}


def personal_hits(secrets: list[str]) -> list[str]:
    """Every table.column whose stored text still holds one of the secrets."""
    hits = []
    with get_db().begin() as s:
        for table in Base.metadata.sorted_tables:
            cols = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            for row in s.execute(select(*cols)).all() if cols else []:
                for col, value in zip(cols, row, strict=True):
                    text = json.dumps(value, ensure_ascii=False) if value is not None else ""
                    hits += [f"{table.name}.{col.name}: {x}" for x in secrets if x in text]
    return hits


def report_now(month: str) -> dict[str, Any]:
    """The monthly report's figures as a dict (admin scope: everything)."""
    with get_db().begin() as s:
        report = monthly_report(s, Case.id.is_not(None), month)
    return {k: v for k, v in vars(report).items()}


def this_month() -> str:
    """The report month of today (China time)."""
    return (utcnow() + timedelta(hours=8)).strftime("%Y-%m")


def test_erase_removes_everything_personal_and_keeps_the_figures(
        app: Flask, post_signed: Callable[..., Any], fake_twilio: FakeTwilio) -> None:
    made = history(app, post_signed, fake_twilio)
    assert personal_hits(SECRETS), "the history must hold personal data to begin with"
    before = report_now(this_month())
    assert before["wages_recovered"] == Decimal("12000") and before["satisfaction"] == {5: 1}

    with get_db().begin() as s:
        contact = find_contact(s, PHONE)
        assert contact is not None
        report = erase_contact(s, contact)
    assert report.recordings_deleted == 1 and report.cases == 2  # the texted one, the called one
    assert personal_hits(SECRETS) == []
    assert report_now(this_month()) == before
    # The recording is gone at the provider, not only here.
    audio = requests.get(made["recording"], auth=(ACCOUNT_SID, AUTH_TOKEN), timeout=5)
    assert audio.status_code == 404
    with get_db().begin() as s:
        other = s.scalar(select(Case).where(Case.employer == "某建筑公司"))
        assert other is not None and other.contact.name == "李四"
        erased = s.scalar(select(Contact).where(Contact.erased_at.is_not(None)))
        assert erased is not None and erased.opted_out and erased.phone.startswith("erased-")
        # Texting the hotline gave implied consent; erasure ends it, and the log says so.
        assert erased.consent_at is None and erased.consent_source is None
        log = s.scalars(select(ConsentEvent).where(ConsentEvent.contact_id == erased.id)
                        .order_by(ConsentEvent.id)).all()
        assert [(e.action, e.source) for e in log][-1] == ("withdrawn", "erased on request")
        assert all(e.evidence is None for e in log)
        case = s.scalar(select(Case).where(Case.number == made["case_number"]))
        assert case is not None and case.anonymised_at is not None
        assert case.category == CaseCategory.WAGES and case.amount_owed == Decimal("12000")
        statuses = s.scalars(select(CaseEvent.text).where(CaseEvent.case_id == case.id,
                                                          CaseEvent.kind == EventKind.STATUS))
        assert "assigned → resolved" in list(statuses)


def test_a_provider_that_fails_to_delete_leaves_nothing_half_erased(
        app: Flask, post_signed: Callable[..., Any], fake_twilio: FakeTwilio) -> None:
    history(app, post_signed, fake_twilio)
    fake_twilio.stop()  # the provider is unreachable
    with pytest.raises(RecordingNotDeleted), get_db().begin() as s:
        contact = find_contact(s, PHONE)
        assert contact is not None
        erase_contact(s, contact)
    with get_db().begin() as s:
        assert s.scalar(select(Contact).where(Contact.phone == PHONE)) is not None
    assert any(EMPLOYER in hit for hit in personal_hits([EMPLOYER]))


def cli(app: Flask, fake: FakeTwilio, *args: str) -> Any:
    """Run `hotline ...` against the test database and the fake Twilio."""
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "HOTLINE_PROVIDER": "twilio", "TWILIO_API_URL": fake.base_url,
           "TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    return CliRunner().invoke(main, list(args), env=env)


def test_cli_export_then_erase_is_audited(app: Flask, post_signed: Callable[..., Any],
                                          fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    history(app, post_signed, fake_twilio)
    out = tmp_path / "worker.json"
    result = cli(app, fake_twilio, "privacy", "export", "138 1234 5678", "--out", str(out),
                 "--by", "boss")
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["contact"]["phone"] == PHONE and data["contact"]["name"] == NAME
    assert {m["text"] for m in data["messages"]} >= set(WORDS)
    assert any(c["employer"] == EMPLOYER for c in data["cases"])
    assert data["bulk_sms_received"][0]["text"].startswith(NAME)

    result = cli(app, fake_twilio, "privacy", "erase", PHONE, "--by", "boss", "--yes")
    assert result.exit_code == 0, result.output
    assert "recordings_deleted 1" in result.output and PHONE not in result.output
    assert personal_hits(SECRETS) == []
    with get_db().begin() as s:
        actions = [str(a) for a in s.scalars(select(AuditLog.action).order_by(AuditLog.id))]
    assert actions == ["export_contact", "erase_contact"]


@pytest.mark.parametrize("args, says", [
    (["privacy", "erase", "not a number", "--by", "boss", "--yes"], "PHONE"),
    (["privacy", "erase", "+8613700000000", "--by", "boss", "--yes"], "no worker"),
    (["privacy", "erase", PHONE, "--by", "nobody", "--yes"], "--by"),
    (["privacy", "export", PHONE, "--out", "/dev/null", "--by", "nobody"], "--by"),
])
def test_cli_refuses_bad_requests_clearly(app: Flask, post_signed: Callable[..., Any],
                                          fake_twilio: FakeTwilio, args: list[str],
                                          says: str) -> None:
    history(app, post_signed, fake_twilio)
    result = cli(app, fake_twilio, *args)
    assert result.exit_code != 0 and says in result.output
    with get_db().begin() as s:
        assert s.scalar(select(Contact).where(Contact.phone == PHONE)) is not None


def test_staff_may_export_but_only_an_admin_may_erase(
        app: Flask, post_signed: Callable[..., Any], fake_twilio: FakeTwilio) -> None:
    history(app, post_signed, fake_twilio)
    with get_db().begin() as s:
        staff = User(username="clerk", role=Role.STAFF)
        staff.set_password("correct horse battery")
        s.add(staff)
    result = cli(app, fake_twilio, "privacy", "erase", PHONE, "--by", "clerk", "--yes")
    assert result.exit_code != 0 and "only an admin" in result.output


def test_export_on_a_dict_is_json_serialisable(app: Flask, post_signed: Callable[..., Any],
                                               fake_twilio: FakeTwilio) -> None:
    history(app, post_signed, fake_twilio)
    with get_db().begin() as s:
        contact = find_contact(s, PHONE)
        assert contact is not None
        text = json.dumps(export_contact(s, contact), ensure_ascii=False)
    assert WORDS[0] in text and "（已删除）" not in text


def test_retention_anonymises_old_cases_and_deletes_old_recordings(
        app: Flask, post_signed: Callable[..., Any], fake_twilio: FakeTwilio) -> None:
    made = history(app, post_signed, fake_twilio)
    now = utcnow()
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == made["case_number"]))
        assert case is not None
        case.move_to(CaseStatus.CLOSED)
        case.closed_at = now - timedelta(days=40)
    with get_db().begin() as s:  # closed 40 days ago, recording 0 days old: nothing yet
        assert apply_retention(s, now, 24, 90).as_dict()["cases"] == 0
    assert personal_hits([EMPLOYER])
    with get_db().begin() as s:  # 100 days later the recording goes, the case stays
        report = apply_retention(s, now + timedelta(days=100), 24, 90)
    assert report.recordings_deleted == 1 and report.cases == 0
    assert requests.get(made["recording"], auth=(ACCOUNT_SID, AUTH_TOKEN),
                        timeout=5).status_code == 404
    with get_db().begin() as s:
        assert s.scalar(select(Call.recording_url)) is None
    with get_db().begin() as s:  # 25 months after it closed the case is anonymised
        report = apply_retention(s, now + timedelta(days=31 * 25), 24, 90)
    assert report.cases == 1
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == made["case_number"]))
        assert case is not None and case.anonymised_at is not None
        assert (case.employer, case.summary, case.place_said, case.details) == (
            None, None, None, {})
        assert s.scalar(select(Message.body).where(Message.case_id == case.id)
                        .limit(1)) in (None, "")
        # The other worker's open case is untouched.
        assert s.scalar(select(Case).where(Case.employer == "某建筑公司")) is not None
