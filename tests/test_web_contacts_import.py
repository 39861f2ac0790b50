"""Contacts imported from a CSV on the web: the CLI's importer and row report, scoped to the
staff member's office; broken rows reported with line and reason, spreadsheets refused."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import AuditLog, Contact, ContactOrganisation
from tests.conftest import WebWorld
from tests.test_web_case_edit import visible_text
from tests.test_web_forms import logged_in

CSV = (
    "手机号,姓名,语言,标签,务工城市\n"
    "13800138001,王一,中文,建筑;欠薪,东莞\n"  # line 2: imported
    "１３８００１３８００２,李二,zh,【春节】,深圳\n"  # line 3: full-width digits, imported
    "13800138001,王一,,电子厂,\n"  # line 4: same phone as line 2: merged
    "010-12345678,座机,zh,,\n"  # line 5: a landline, refused
    "13800138003,张三,klingon-xx,,\n"  # line 6: a language that is no code, refused
    '13800138004,"没关引号,zh,,\n'  # line 7: an open quote swallows the rest...
    "13800138005,赵五,zh,,\n"  # line 8: ...so this line is named in the report
)


def upload(client: Any, token: str, data: bytes, filename: str = "workers.csv",
           lang: str = "en", **fields: str) -> Any:
    """POST a file to the import form."""
    return client.post(f"/staff/contacts/import?lang={lang}", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename),
                             **fields})


def organisations_of(phone: str) -> set[int]:
    """The organisations a contact is recorded for."""
    with get_db().begin() as session:
        contact = session.scalar(select(Contact).where(Contact.phone == phone))
        if contact is None:
            return set()
        return set(session.scalars(select(ContactOrganisation.organisation_id).where(
            ContactOrganisation.contact_id == contact.id)))


def test_staff_import_into_their_office_and_see_every_rejected_row(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_a")
    form = client.get("/staff/contacts/import?lang=zh").get_data(as_text=True)
    assert "联系人将导入到固始县服务站" in form and 'name="organisation_id"' not in form
    # A staff member cannot pick another office by forging the field.
    resp = upload(client, token, CSV.encode(), organisation_id=str(web_world.org_b))
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert organisations_of("+8613800138001") == {web_world.org_a}
    assert organisations_of("+8613800138002") == {web_world.org_a}
    assert organisations_of("+8613800138003") == set()
    with get_db().begin() as session:
        merged = session.scalars(select(Contact).where(Contact.phone == "+8613800138001")).one()
        assert (merged.name, merged.language, merged.work_city) == ("王一", "zh", "东莞")
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td>", page)
    assert [line for line, _ in rows] == ["5", "6", "7"]
    assert "not a mainland China mobile number: +86 10****5678" in page  # masked
    assert "not a language code (zh, en, ...)" in page
    assert "lines 7-8 read as one row" in page
    assert "8613800138005" not in page  # numbers masked in the report as in the console
    chinese = upload(client, token, CSV.encode(), lang="zh").get_data(as_text=True)
    assert "第7至8行被读成了一行" in chinese and "不是语言代码" in chinese
    assert "手机号" in chinese and "被拒绝的行" in chinese
    words = set(re.findall(r"[A-Za-z]{3,}", visible_text(chinese))) - {
        "staff", "English", "CSV", "UTF", "Excel", "workers", "csv", "klingon"}
    assert not words, words
    with get_db().begin() as session:
        details = session.scalars(select(AuditLog.detail).where(
            AuditLog.action == "import_contacts")).all()
        assert details[0] == "workers.csv: 2 new, 0 updated, 3 rejected"


def test_an_excel_file_from_chinese_windows_is_read(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "staff_b")
    data = "手机号,姓名\n13900139001,陈六\n".encode("gb18030")
    assert upload(client, token, data).status_code == 200
    with get_db().begin() as session:
        assert session.scalars(select(Contact.name).where(
            Contact.phone == "+8613900139001")).one() == "陈六"
    assert organisations_of("+8613900139001") == {web_world.org_b}


@pytest.mark.parametrize(("data", "filename", "english", "chinese"), [
    (b"PK\x03\x04\x14\x00\x06\x00", "workers.xlsx", "spreadsheet, not a CSV", "这是电子表格"),
    (b"PK\x03\x04\x14\x00\x06\x00\x00\x00", "renamed.csv", "binary data", "二进制数据"),
    (b"\xff\xfe\xfa\xfb\xfc", "odd.csv", "neither UTF-8 nor GB18030", "既不是UTF-8"),
    (b"", "empty.csv", "at most 20 MB", "不超过20MB"),
    ("电话号码不对,姓名\n1,2\n".encode(), "header.csv", "unknown column", "未知列"),
    ("姓名\n王一\n".encode(), "nophone.csv", "no phone column", "没有手机号列"),
])
def test_files_that_are_not_csv_are_refused_clearly(app: Flask, web_world: WebWorld,
                                                     data: bytes, filename: str, english: str,
                                                     chinese: str) -> None:
    client, token = logged_in(app, "staff_a")
    for lang, words in (("en", english), ("zh", chinese)):
        resp = upload(client, token, data, filename, lang=lang)
        assert resp.status_code == 400 and words in resp.get_data(as_text=True), lang
    with get_db().begin() as session:
        assert session.scalars(select(Contact.phone)).all() == [web_world.worker_phone]


def test_admins_choose_the_office(app: Flask, web_world: WebWorld) -> None:
    admin, token = logged_in(app, "admin")
    assert 'name="organisation_id"' in admin.get("/staff/contacts/import").get_data(
        as_text=True)
    assert upload(admin, token, b"phone\n13700137001\n",
                  organisation_id=str(web_world.org_b)).status_code == 200
    assert organisations_of("+8613700137001") == {web_world.org_b}
    assert upload(admin, token, b"phone\n13700137002\n",
                  organisation_id="999").status_code == 400


def test_volunteers_and_forged_forms_cannot_import(app: Flask, web_world: WebWorld) -> None:
    volunteer, vtoken = logged_in(app, "vol_a")
    assert volunteer.get("/staff/contacts/import").status_code == 403
    assert upload(volunteer, vtoken, b"phone\n13700137003\n").status_code == 403
    staff, _ = logged_in(app, "staff_a")
    assert staff.post("/staff/contacts/import", content_type="multipart/form-data",
                      data={"file": (io.BytesIO(b"phone\n13700137004\n"), "a.csv")}
                      ).status_code == 400
    assert organisations_of("+8613700137003") == set()
    assert organisations_of("+8613700137004") == set()


def test_a_file_larger_than_a_webhook_is_imported(app: Flask, web_world: WebWorld) -> None:
    """The app caps requests at 1 MB (Twilio's webhooks); this form takes up to 20 MB, from
    staff only."""
    rows = "".join(f"1380{n:07d},{'工' * 40}\n" for n in range(12_000))
    data = ("手机号,姓名\n" + rows).encode()
    assert len(data) > 1024 * 1024
    staff, token = logged_in(app, "staff_a")
    resp = upload(staff, token, data, lang="zh")
    assert resp.status_code == 200 and "12000" in resp.get_data(as_text=True)
    assert organisations_of("+8613800011999") == {web_world.org_a}
    volunteer, vtoken = logged_in(app, "vol_a")
    assert upload(volunteer, vtoken, data).status_code == 413
