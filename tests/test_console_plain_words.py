"""Three console pages in plain words for office staff on phones: the volunteers list shows
shifts, languages and time zones as the edit form names them; a staff correction on a case's
timeline names its maker once; the SMS-templates page offers the list to submit to the
carrier as a download (what `hotline templates draft` writes), admins only and audited."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

import hotline.web.templates_admin
from hotline.infra.db import get_db
from models import AuditAction, AuditLog, Case, EventKind, User, Volunteer
from notifications.template_drafts import draft_header
from tests.conftest import WebWorld
from tests.test_templates_cli_web import add_template, run
from tests.test_web_case_edit import post_edit, visible_text
from tests.test_web_forms import logged_in


def words(html: str) -> str:
    """The page's visible words, spaces folded."""
    return " ".join(visible_text(html).split())


def page_words(client: Any, url: str) -> str:
    """GET a page (200) and return its visible words."""
    resp = client.get(url)
    assert resp.status_code == 200, url
    return words(resp.get_data(as_text=True))


# --- the volunteers list -------------------------------------------------------------------

SHIFTS = [{"days": [0, 1, 2, 3, 4], "start": "09:00", "end": "18:00"},
          {"days": [5], "start": "10:00", "end": "14:00"}]


def set_volunteer(volunteer_id: int, **values: Any) -> None:
    """Give a volunteer of the web world a fuller profile."""
    with get_db().begin() as session:
        volunteer = session.get(Volunteer, volunteer_id)
        assert volunteer is not None
        for key, value in values.items():
            setattr(volunteer, key, value)


def list_row(html: str, volunteer_id: int) -> str:
    """One volunteer's row of the list, as words."""
    match = re.search(rf'<tr id="volunteer-{volunteer_id}">(.*?)</tr>', html, re.S)
    assert match, f"no row for volunteer {volunteer_id}"
    return words(match.group(1))


@pytest.fixture
def profiled(web_world: WebWorld) -> WebWorld:
    """Volunteer A with weekly shifts, two languages, a dialect, two skills, and abroad."""
    set_volunteer(web_world.vol_a, shifts=SHIFTS, languages=["zh", "en"], dialects=["henan"],
                  skills=["wages", "injury"], timezone="Europe/London",
                  regions=["广东省", "深圳市"])
    return web_world


def test_the_volunteers_list_shows_shifts_as_the_edit_form_does_in_chinese(
        app: Flask, profiled: WebWorld) -> None:
    client, _ = logged_in(app, "staff_a")
    html = client.get("/staff/volunteers?lang=zh").get_data(as_text=True)
    row = list_row(html, profiled.vol_a)
    assert "周一至周五 09:00-18:00；周六 10:00-14:00" in row
    assert "中文，英文，河南话" in row and "欠薪，工伤" in row
    assert "广东省，深圳市" in row and "时区：英国" in row
    # None of the stored codes reaches the page.
    for code in ("一,二", "Europe/London", "henan", "wages", "injury", " zh", " en"):
        assert code not in row, code
    # A volunteer without shifts answers any time; one in China needs no time zone.
    other = list_row(html, profiled.vol_b)
    assert "随时" in other and "时区" not in other
    # How many cases each holds against their limit, in words (a bare "0/3" on a phone's
    # card, where the column heading is hidden, says nothing).
    assert re.search(r"在办 \d+ 件（上限 \d+ 件）", row) and "/" not in words(row)
    # One rule for both pages: the edit form shows the same words.
    edit = client.get(f"/staff/volunteers/{profiled.vol_a}/edit?lang=zh").get_data(as_text=True)
    assert ">周一至周五 09:00-18:00；周六 10:00-14:00</textarea>" in edit


def test_the_volunteers_list_in_english(app: Flask, profiled: WebWorld) -> None:
    client, _ = logged_in(app, "staff_a")
    row = list_row(client.get("/staff/volunteers?lang=en").get_data(as_text=True),
                   profiled.vol_a)
    assert "Mon-Fri 09:00-18:00; Sat 10:00-14:00" in row
    assert "Chinese, English, Henan dialect" in row and "unpaid wages" in row
    assert "Time zone: United Kingdom" in row
    assert re.search(r"\d+ of \d+ cases", row)
    assert "Europe/London" not in row and "henan" not in row


# --- a staff correction on the timeline ------------------------------------------------------

def correction_lines(html: str, marker: str) -> list[str]:
    """The timeline lines (one <li> each, in words) holding `marker`."""
    return [words(li) for li in re.findall(r'<li class="sys ev-note">(.*?)</li>', html, re.S)
            if marker in li]


def name_staff(username: str, display_name: str) -> None:
    """Give a staff account the name people know them by."""
    with get_db().begin() as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        user.display_name = display_name


def test_a_correction_names_its_maker_once(app: Flask, web_world: WebWorld) -> None:
    number = web_world.declined_by_a
    name_staff("staff_a", "李四")
    client, token = logged_in(app, "staff_a")
    assert post_edit(client, token, number, employer="东莞某电子厂",
                     amount_owed="15000").status_code == 303
    zh = client.get(f"/staff/cases/{number}?lang=zh").get_data(as_text=True)
    [employer] = correction_lines(zh, "用人单位")
    assert employer.endswith("工作人员 李四 把用人单位从“深圳某建筑公司”改为“东莞某电子厂”")
    assert employer.count("李四") == 1
    [amount] = correction_lines(zh, "被欠工资")
    assert amount.endswith("工作人员 李四 把被欠工资从“¥12,000”改为“¥15,000”")
    en = client.get(f"/staff/cases/{number}?lang=en").get_data(as_text=True)
    [employer] = correction_lines(en, "employer")
    assert employer.endswith("Staff 李四 changed employer from “深圳某建筑公司” to “东莞某电子厂”")
    assert employer.count("李四") == 1


def test_a_correction_stored_with_the_name_in_its_text_reads_once_too(
        app: Flask, web_world: WebWorld) -> None:
    """Rows written before: '李四 changed ...', the name also the entry's actor."""
    number = web_world.declined_by_a
    name_staff("staff_a", "李四")
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        case.log(EventKind.NOTE, "李四 changed months unpaid from “—” to “3”",
                 actor="user:staff_a", data={"edit": "months_unpaid", "by": "staff_a"})
        case.log(EventKind.NOTE, "李四 changed urgency from “normal” to “urgent”",
                 actor="user:staff_a", data={"edit": "urgency", "by": "staff_a"})
    client, _ = logged_in(app, "staff_a")
    zh = client.get(f"/staff/cases/{number}?lang=zh").get_data(as_text=True)
    [months] = correction_lines(zh, "欠薪月数")
    assert months.endswith("工作人员 李四 把欠薪月数从“—”改为“3”") and months.count("李四") == 1
    [urgency] = correction_lines(zh, "紧急程度")
    assert urgency.count("李四") == 1 and "changed" not in urgency
    en = client.get(f"/staff/cases/{number}?lang=en").get_data(as_text=True)
    [months] = correction_lines(en, "months unpaid")
    assert months.endswith("Staff 李四 changed months unpaid from “—” to “3”")
    # A note staff typed (no data) is their own words, kept whole.
    with get_db().begin() as session:
        case = session.scalar(select(Case).where(Case.number == number))
        assert case is not None
        case.log(EventKind.NOTE, "李四 changed the plan from “A” to “B”", actor="user:staff_a")
    assert "李四 changed the plan from “A” to “B”" in words(
        client.get(f"/staff/cases/{number}?lang=zh").get_data(as_text=True))


# --- the SMS-templates page: the list to submit ----------------------------------------------

def csv_rows(resp: Any) -> list[list[str]]:
    """A CSV download's rows (its BOM checked: Excel opens the Chinese as it is)."""
    text = resp.get_data(as_text=True)
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_templates_page_offers_the_list_to_submit(app: Flask, web_world: WebWorld,
                                                      tmp_path: Path) -> None:
    add_template("SMS_7", "case_followup", "工友热线：已收到，已记入案件${number}。")
    client, _ = logged_in(app, "admin")
    zh = page_words(client, "/staff/templates/?lang=zh")
    assert "下载申请表（表格文件）" in zh and "热线在短信平台的签名（2到12个字，不带【】）" in zh
    assert "hotline templates" not in zh and "命令" not in zh
    html = client.get("/staff/templates/?lang=zh").get_data(as_text=True)
    assert 'name="signature" value="工友热线"' in html  # the registered templates' signature
    en = page_words(client, "/staff/templates/?lang=en")
    assert "Download the list to submit (spreadsheet)" in en and "command" not in en

    resp = client.get("/staff/templates/drafts.csv?signature=工友热线&provider=alibaba")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "sms-template-drafts-alibaba" in resp.headers["Content-Disposition"]
    web = csv_rows(resp)
    assert web[0] == draft_header()
    # The same rows the command writes.
    out = tmp_path / "drafts.csv"
    assert run(app, "templates", "draft", "--signature", "工友热线", "--out",
               str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        assert web == list(csv.reader(handle))
    with get_db().begin() as session:
        [entry] = session.scalars(select(AuditLog).where(
            AuditLog.action == AuditAction.EXPORT_TEMPLATES)).all()
        assert entry.detail == f"SMS template drafts: {len(web) - 1} rows"
    audit = page_words(client, "/staff/audit?lang=zh")
    assert "下载了短信模板申请表" in audit and f"短信模板申请表：{len(web) - 1} 行" in audit


def test_a_signature_the_carrier_would_refuse_is_asked_again(app: Flask,
                                                            web_world: WebWorld) -> None:
    client, _ = logged_in(app, "admin")
    for bad in ("【工友热线】", "工", ""):
        resp = client.get(f"/staff/templates/drafts.csv?signature={bad}&lang=zh")
        assert resp.status_code == 303 and resp.location.endswith("#gaps")
        shown = page_words(client, "/staff/templates/?lang=zh")
        assert "请填写短信平台为热线批准的签名：2到12个字，不带【】。" in shown
    with get_db().begin() as session:
        assert session.scalars(select(AuditLog).where(
            AuditLog.action == AuditAction.EXPORT_TEMPLATES)).all() == []


def test_the_list_to_submit_is_formula_safe(app: Flask, web_world: WebWorld,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = hotline.web.templates_admin.draft_rows

    def with_a_formula(*args: Any, **kwargs: Any) -> list[dict[str, str]]:
        rows = real(*args, **kwargs)
        rows[0]["text"] = "=HYPERLINK(\"http://evil\",\"点我\")"
        return rows

    monkeypatch.setattr(hotline.web.templates_admin, "draft_rows", with_a_formula)
    client, _ = logged_in(app, "admin")
    rows = csv_rows(client.get("/staff/templates/drafts.csv?signature=工友热线"))
    assert rows[1][4] == "'=HYPERLINK(\"http://evil\",\"点我\")"


def test_only_admins_download_the_list(app: Flask, web_world: WebWorld) -> None:
    for user in ("staff_a", "vol_a"):
        client, _ = logged_in(app, user)
        resp = client.get("/staff/templates/drafts.csv?signature=工友热线")
        assert resp.status_code == 403, user
        assert "用途代码" not in resp.get_data(as_text=True)
    anonymous = app.test_client().get("/staff/templates/drafts.csv?signature=工友热线")
    assert anonymous.status_code in (302, 303, 401, 403)
    assert "用途代码" not in anonymous.get_data(as_text=True)
    with get_db().begin() as session:
        assert session.scalars(select(AuditLog).where(
            AuditLog.action == AuditAction.EXPORT_TEMPLATES)).all() == []
