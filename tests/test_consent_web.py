"""Consent on the web and for an auditor: the import form's consent source, the compose form's
"only workers who agreed" with the number it leaves out, and the consent log and opt-out list
as CSV — staff of one office never see another office's workers, no cell is a formula, each
download is audited — from the web (Chinese headers) and the CLI. SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from hotline.cli.main import main
from hotline.consent import give, withdraw
from hotline.infra.db import get_db
from models import AuditLog, Campaign, ConsentEvent, Contact, ContactOrganisation
from tests.conftest import WebWorld
from tests.test_web_contacts_import import upload
from tests.test_web_forms import logged_in

SHEET_A = "2026年春节返乡登记表，本人勾选同意"
HOSTILE = '=HYPERLINK("http://evil.example","点我")'
# name, phone, office, how they stand
PEOPLE = [("甲一", "+8613811110001", "a", "sheet"), ("甲二", "+8613811110002", "a", "stop"),
          ("甲三", "+8613811110003", "a", "texted"), ("乙一", "+8613822220001", "b", "hostile"),
          ("乙二", "+8613822220002", "b", "stop")]


@pytest.fixture
def people(web_world: WebWorld) -> dict[str, int]:
    """Workers of office A and office B with consent given, implied or withdrawn."""
    from hotline.consent import first_text

    orgs = {"a": web_world.org_a, "b": web_world.org_b}
    ids = {}
    with get_db().begin() as s:
        for name, phone, org, how in PEOPLE:
            contact = Contact(phone=phone, name=name)
            s.add(contact)
            s.flush()
            ids[name] = contact.id
            s.add(ContactOrganisation(contact_id=contact.id, organisation_id=orgs[org]))
            if how in ("sheet", "stop"):
                give(s, contact, SHEET_A, "imported from 名单.csv by staff wang, row 2")
            if how == "hostile":
                give(s, contact, HOSTILE, "imported from 名单.csv by staff li, row 3")
            if how == "texted":
                first_text(s, contact)
            if how == "stop":
                withdraw(s, contact, "opted out by text (STOP/退订)", "replied 退订")
    return ids


def rows_of(response: Any) -> list[list[str]]:
    """A CSV download as rows (the BOM Excel needs taken off)."""
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def exports_audited(action: str = "export_consent") -> list[str]:
    """The audit log's details of consent exports, oldest first."""
    with get_db().begin() as s:
        return list(s.scalars(select(AuditLog.detail).where(AuditLog.action == action)
                              .order_by(AuditLog.id)))


@pytest.mark.parametrize(("username", "sees"), [
    ("staff_a", {"+8613811110001", "+8613811110002", "+8613811110003"}),
    ("staff_b", {"+8613822220001", "+8613822220002"}),
    ("admin", {p for _, p, _, _ in PEOPLE}),
])
def test_consent_log_shows_only_the_offices_workers(
        app: Flask, people: dict[str, int], username: str, sees: set[str]) -> None:
    client, _ = logged_in(app, username)
    rows = rows_of(client.get("/staff/consent/log.csv"))
    assert rows[0] == ["时间", "手机号", "同意或撤回", "方式", "凭证"]
    assert {r[1] for r in rows[1:]} == sees  # full numbers: an auditor needs them
    by_phone: dict[str, list[list[str]]] = {}
    for row in rows[1:]:
        by_phone.setdefault(row[1], []).append(row)
    if "+8613811110002" in sees:  # gave on a sheet, then texted 退订
        assert [r[2:] for r in by_phone["+8613811110002"]] == [
            ["同意", SHEET_A, "工作人员wang从名单.csv导入（第2行）"],
            ["撤回同意", "短信回复退订", "回复“退订”"]]
        assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\+08:00", rows[1][0])
    if "+8613811110003" in sees:
        assert [r[2:] for r in by_phone["+8613811110003"]] == [
            ["同意", "给热线发过短信（可收服务通知）", "第一次给热线发短信"]]
    if "+8613822220001" in sees:  # a consent source that is a formula stays text
        assert by_phone["+8613822220001"][0][3] == "'" + HOSTILE
    assert exports_audited() == [f"consent log: {len(rows) - 1} rows"]


@pytest.mark.parametrize(("username", "sees"), [
    ("staff_a", ["+8613811110002"]), ("staff_b", ["+8613822220002"]),
    ("admin", ["+8613811110002", "+8613822220002"]),
])
def test_opt_out_list_shows_only_the_offices_workers(
        app: Flask, people: dict[str, int], username: str, sees: list[str]) -> None:
    client, _ = logged_in(app, username)
    rows = rows_of(client.get("/staff/consent/opt-outs.csv"))
    assert rows[0] == ["手机号", "退订时间", "退订方式", "凭证"]
    assert sorted(r[0] for r in rows[1:]) == sees
    assert all(r[2:] == ["短信回复退订", "回复“退订”"] for r in rows[1:])
    assert exports_audited() == [f"opt-out list: {len(sees)} rows"]
    page = client.get("/staff/consent/?lang=zh").get_data(as_text=True)
    assert f'id="opted-out">{len(sees)}个号码' in page and "审计日志" in page
    assert "/staff/consent/" in client.get("/staff/opt-outs").get_data(as_text=True)


def test_volunteers_cannot_export(app: Flask, people: dict[str, int]) -> None:
    client, _ = logged_in(app, "vol_a")
    for path in ("/staff/consent/", "/staff/consent/log.csv", "/staff/consent/opt-outs.csv"):
        assert client.get(path).status_code in (302, 403, 404)
    assert exports_audited() == []


def test_web_import_records_the_stated_consent(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    data = "手机号,姓名\n13800138001,王一\n13800138002,李二\n".encode()
    page = upload(client, token, data, filename="2026春节名单.csv", consent_source=SHEET_A)
    assert page.status_code == 200
    assert 'id="consent-recorded">2<' in page.get_data(as_text=True)
    with get_db().begin() as s:
        events = s.execute(select(Contact.phone, ConsentEvent.source, ConsentEvent.evidence)
                           .join(Contact, Contact.id == ConsentEvent.contact_id)
                           .order_by(Contact.phone)).all()
    assert [tuple(e) for e in events] == [
        ("+8613800138001", SHEET_A, "imported from 2026春节名单.csv by staff staff_a, row 2"),
        ("+8613800138002", SHEET_A, "imported from 2026春节名单.csv by staff staff_a, row 3")]
    plain = upload(client, token, "手机号\n13800138003\n".encode())  # no source: no consent
    assert plain.status_code == 200 and 'id="consent-recorded">0<' in plain.get_data(
        as_text=True)
    refused = upload(client, token, "手机号\n13800138004\n".encode(), consent_source="同" * 121)
    assert refused.status_code == 400
    with get_db().begin() as s:
        assert s.scalar(select(Contact).where(Contact.phone == "+8613800138004")) is None
        assert s.scalar(select(Contact.consent_at).where(
            Contact.phone == "+8613800138003")) is None


def test_compose_requiring_consent_says_how_many_it_leaves_out(
        app: Flask, people: dict[str, int]) -> None:
    client, token = logged_in(app, "staff_a")
    form = {"csrf_token": token, "name": "普法讲座", "text_zh": "{name|工友}您好，周六普法讲座",
            "footer": "1", "default_language": "zh", "price": "0.05", "quiet": "21:00-08:00"}
    plain = client.post("/staff/campaigns/estimate", data=form).get_data(as_text=True)
    assert 'id="audience-count">3<' in plain  # 甲一, 甲三 and web_world's worker
    form["require_consent"] = "1"
    fragment = client.post("/staff/campaigns/estimate?lang=zh", data=form).get_data(
        as_text=True)
    assert 'id="audience-count">1<' in fragment  # only 甲一 agreed explicitly
    assert "没有同意记录、不会收到的人数：2" in fragment
    created = client.post("/staff/campaigns/", data=form)
    assert created.status_code == 303
    page = client.get(created.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "Left out, no consent on record: 2" in page and "甲一您好" in page
    assert "甲三您好" not in page
    with get_db().begin() as s:
        assert s.scalars(select(Campaign)).one().audience["require_consent"] is True


def test_cli_exports_for_an_auditor(app: Flask, people: dict[str, int], tmp_path: Path) -> None:
    env = {"DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"]}
    log, opt_outs = tmp_path / "consent.csv", tmp_path / "opt-outs.csv"
    done = CliRunner().invoke(main, ["privacy", "consent-log", "--out", str(log),
                                     "--by", "admin"], env=env)
    assert done.exit_code == 0, done.output
    rows = list(csv.reader(log.open(encoding="utf-8", newline="")))
    assert rows[0] == ["at", "phone", "action", "source", "evidence"]
    assert len(rows) == 1 + 7 + 0  # 3 given + 2 withdrawn + 1 implied + 1 hostile
    assert ["+8613811110002", "withdrawn", "opted out by text (STOP/退订)", "replied 退订"] in [
        r[1:] for r in rows]
    assert ["+8613822220001", "given", "'" + HOSTILE, "imported from 名单.csv by staff li, row 3"
            ] in [r[1:] for r in rows]
    scoped = CliRunner().invoke(main, ["privacy", "opt-outs", "--out", str(opt_outs), "--by",
                                       "staff_b", "--organisation", "珠海市中心"], env=env)
    assert scoped.exit_code == 0, scoped.output
    rows = list(csv.reader(opt_outs.open(encoding="utf-8", newline="")))
    assert rows[0] == ["phone", "opted_out_at", "how", "evidence"]
    assert [r[0] for r in rows[1:]] == ["+8613822220002"]
    assert exports_audited() == ["cli consent log: 7 rows",
                                 "cli opt-out list of 珠海市中心: 1 rows"]
    nobody = CliRunner().invoke(main, ["privacy", "opt-outs", "--out", str(opt_outs), "--by",
                                       "vol_a"], env=env)
    assert nobody.exit_code != 0 and len(exports_audited()) == 2


def test_a_consent_column_too_long_is_reported_in_plain_chinese(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    data = f"手机号,同意来源\n13800138001,{'同' * 121}\n13800138002,普法讲座签到表勾选同意\n"
    page = upload(client, token, data.encode(), lang="zh").get_data(as_text=True)
    assert "同意接收短信的方式" in page and "同意来源超过120个字" in page
    assert 'id="consent-recorded">1<' in page
