"""The SMS-templates page registers a template and imports the carrier's review results, by
the code `hotline templates add` and `import` call (hotline.template_registry)."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from models import AuditAction, AuditLog, SmsTemplate, TemplateApproval, TemplateKind
from notifications.template_drafts import draft_header
from notifications.templates import hotline_texts, template_text
from tests.conftest import WebWorld
from tests.test_console_plain_words import words
from tests.test_templates_cli_web import add_template, run, templates
from tests.test_web_forms import logged_in

FIXED = {"hotline": "10086000000"}  # the test hotline number as dialled in China


def draft_text(purpose: str, language: str) -> str:
    """The template text the list to submit carries for one of the hotline's texts."""
    [item] = [t for t in hotline_texts(include_free_text=True)
              if t.purpose == purpose and t.language == language]
    return template_text(item.text, FIXED)


FOLLOWUP_ZH = draft_text("case_followup", "zh")
FOLLOWUP_EN = draft_text("case_followup", "en")
CAMPAIGN = "工友热线：${date}上午在服务站有免费讲座，欢迎参加。拒收请回复R"


def audit_entries(action: AuditAction) -> list[str | None]:
    """The details of the audit entries of one action."""
    with get_db().begin() as session:
        return list(session.scalars(select(AuditLog.detail).where(AuditLog.action == action)
                                    .order_by(AuditLog.id)))


def register(client: Any, token: str | None, lang: str = "zh", **fields: str) -> Any:
    """POST the register form (a valid Chinese template unless fields say otherwise)."""
    form = {"code": "SMS_100", "purpose": "", "kind": "notification", "signature": "工友热线",
            "text": FOLLOWUP_ZH, "organisation_id": "", "domains": "", **fields}
    if token is not None:
        form["csrf_token"] = token
    return client.post(f"/staff/templates/register?provider=alibaba&lang={lang}", data=form)


# --- registering ----------------------------------------------------------------------------

def test_a_chinese_template_is_registered_audited_and_listed(app: Flask,
                                                             web_world: WebWorld) -> None:
    client, token = logged_in(app, "admin")
    done = register(client, token, organisation_id=str(web_world.org_a))
    assert done.status_code == 303, done.get_data(as_text=True)
    [template] = templates()
    assert done.location.endswith(f"#template-{template.id}")
    assert (template.code, template.purpose, template.kind, template.approval,
            template.signature, template.text, template.organisation_id) == (
        "SMS_100", "case_followup", TemplateKind.NOTIFICATION, TemplateApproval.PENDING,
        "工友热线", FOLLOWUP_ZH, web_world.org_a)
    assert audit_entries(AuditAction.REGISTER_TEMPLATE) == ["registered SMS template SMS_100"]
    page = client.get(done.location.split("#")[0] + "&lang=zh").get_data(as_text=True)
    assert f'id="template-{template.id}"' in page
    shown = words(page)
    assert "模板SMS_100已登记。" in shown and "固始县服务站" in shown and "审核中" in shown
    audit = words(client.get("/staff/audit?lang=zh").get_data(as_text=True))
    assert "登记了短信模板" in audit and "登记了短信模板SMS_100" in audit


def test_english_and_campaign_templates_and_the_same_rules_as_the_command(
        app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "admin")
    assert register(client, token, "en", code="SMS_200", text=FOLLOWUP_EN,
                    approved="1").status_code == 303
    assert register(client, token, code="SMS_300", purpose="campaign", kind="promotional",
                    text=CAMPAIGN).status_code == 303
    # Windows line ends and spaces around a pasted text are not part of the template.
    assert register(client, token, "en", code="SMS_400", purpose="other",
                    text="  工友热线：${date}服务站休息。\r\n").status_code == 303
    by_code = {t.code: t for t in templates()}
    assert (by_code["SMS_200"].purpose, by_code["SMS_200"].approval) == (
        "case_followup", TemplateApproval.APPROVED)
    assert (by_code["SMS_300"].purpose, by_code["SMS_300"].kind) == (
        "campaign", TemplateKind.PROMOTIONAL)
    assert by_code["SMS_400"].text == "工友热线：${date}服务站休息。"
    en = words(client.get("/staff/templates/?provider=alibaba&lang=en").get_data(as_text=True))
    assert "Template SMS_400 is registered." in en
    # The command refuses what the page refuses, by the same function.
    cli = run(app, "templates", "add", "--code", "SMS_300", "--signature", "工友热线",
              "--text", CAMPAIGN, "--purpose", "campaign", "--kind", "promotional")
    assert cli.exit_code == 1 and "template SMS_300 is registered already" in cli.output
    cli = run(app, "templates", "add", "--code", "SMS_500", "--signature", "工友热线",
              "--text", FOLLOWUP_ZH, "--purpose", "nonsense")
    assert cli.exit_code == 1 and "unknown purpose nonsense" in cli.output
    cli = run(app, "templates", "add", "--code", "SMS_500", "--signature", "工友热线",
              "--text", FOLLOWUP_ZH)  # no --purpose: the text it carries says it
    assert cli.exit_code == 0, cli.output
    assert {t.code: t.purpose for t in templates()}["SMS_500"] == "case_followup"


BAD_INPUTS = [
    ({"code": "  "}, "请填写短信平台给的模板编号（例如SMS_123456789）"),
    ({"code": "SMS 1"}, "SMS 1不是有效的模板编号"),
    ({"code": "SMS_7"}, "模板SMS_7已经登记过了"),
    ({"kind": "promotional"}, "推广短信模板必须以“拒收请回复R”结尾"),
    ({"text": "【工友热线】已收到，已记入案件${number}。"}, "模板正文里不能有【】"),
    ({"text": ""}, "模板内容为空"),
    ({"signature": "广东省深圳市外来务工人员服务热线"}, "签名须为2到12个字，现在是16个字"),
    ({"signature": "【工友热线】"}, "签名不要带【】"),
    ({"purpose": "no_such_purpose"}, "未知用途：no_such_purpose"),
    ({"text": "工友热线：周六${date}见。"},
     "这个模板和热线发送的任何短信都对不上，请选择用途（群发活动或其他）"),
    ({"organisation_id": "999"}, "未知机构"),
    ({"organisation_id": "99999999999999999999999"}, "未知机构"),  # past 64 bits
    ({"organisation_id": "²"}, "未知机构"),
    ({"kind": "marketing"}, "未知模板类型：marketing"),
]


@pytest.mark.parametrize(("fields", "message"), BAD_INPUTS,
                         ids=[f"{m[:12]}-{i}" for i, (_, m) in enumerate(BAD_INPUTS)])
def test_a_refused_template_is_shown_again_as_typed(app: Flask, web_world: WebWorld,
                                                    fields: dict[str, str],
                                                    message: str) -> None:
    add_template("SMS_7", "case_opened", draft_text("case_opened", "zh"),
                 approval=TemplateApproval.PENDING)
    client, token = logged_in(app, "admin")
    typed = {"code": "SMS_100", "signature": "工友热线", "text": FOLLOWUP_ZH, **fields}
    resp = register(client, token, **fields)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400
    shown = words(html)
    assert message in shown and "模板没有登记，原因见表单中的提示。" in shown
    # What they typed is still in the form.
    code = typed["code"]
    assert f'name="code" value="{code}"' in html
    assert f'name="signature" value="{typed["signature"]}"' in html
    assert f'>{typed["text"]}</textarea>' in html
    assert [t.code for t in templates()] == ["SMS_7"]
    assert audit_entries(AuditAction.REGISTER_TEMPLATE) == []


def test_only_admins_register_or_import(app: Flask, web_world: WebWorld) -> None:
    add_template("SMS_7", "case_opened", draft_text("case_opened", "zh"),
                 approval=TemplateApproval.PENDING)
    with get_db().begin() as session:  # one office's own template
        session.get_one(SmsTemplate, templates()[0].id).organisation_id = web_world.org_a
    for user in ("staff_a", "staff_b", "vol_a"):
        client, token = logged_in(app, user)
        page = client.get("/staff/templates/?lang=zh")
        assert page.status_code == 403 and "SMS_7" not in page.get_data(as_text=True)
        assert register(client, token, organisation_id=str(web_world.org_a)).status_code == 403
        upload = client.post("/staff/templates/import", data={
            "csrf_token": token, "file": (io.BytesIO(results_csv([good_row("SMS_7")])),
                                          "r.csv")}, content_type="multipart/form-data")
        assert upload.status_code == 403
    anonymous = register(app.test_client(), None)
    assert anonymous.status_code in (302, 303, 400)
    [template] = templates()
    assert (template.code, template.approval, template.organisation_id) == (
        "SMS_7", TemplateApproval.PENDING, web_world.org_a)
    assert audit_entries(AuditAction.REGISTER_TEMPLATE) == []
    assert audit_entries(AuditAction.IMPORT_TEMPLATES) == []


def test_a_form_without_its_csrf_token_is_refused(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "admin")
    assert register(client, None).status_code == 400
    assert register(client, "forged").status_code == 400
    upload = client.post("/staff/templates/import", data={
        "file": (io.BytesIO(results_csv([good_row("SMS_1")])), "r.csv")},
        content_type="multipart/form-data")
    assert upload.status_code == 400
    assert templates() == [] and audit_entries(AuditAction.IMPORT_TEMPLATES) == []


# --- importing the carrier's results -------------------------------------------------------

def good_row(code: str, purpose: str = "case_followup", language: str = "zh",
             approval: str = "审核通过", **cells: str) -> dict[str, str]:
    """A filled-in row of the list to submit."""
    return {"用途代码": purpose, "语言": "中文", "模板类型": "通知", "签名": "工友热线",
            "模板内容": draft_text(purpose, language), "模板CODE": code, "审核状态": approval,
            **cells}


def results_csv(rows: list[dict[str, str]], encoding: str = "utf-8-sig") -> bytes:
    """The list to submit with the given rows, as a spreadsheet saves it."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=draft_header(), restval="")
    writer.writeheader()
    for row in rows:
        if row:
            writer.writerow(row)
        else:
            out.write(",,,,,,,,,,\r\n")  # a row left empty
    return out.getvalue().encode(encoding)


def upload(client: Any, token: str, raw: bytes, name: str = "审核结果.csv",
           **fields: str) -> Any:
    """POST a results file to the page."""
    return client.post("/staff/templates/import?provider=alibaba&lang=zh", data={
        "csrf_token": token, "file": (io.BytesIO(raw), name), **fields},
        content_type="multipart/form-data")


def rejected_rows(html: str) -> dict[int, str]:
    """The page's rejected rows: line -> reason."""
    table = html.split("id=\"rows-rejected\"")[1]
    return {int(line): " ".join(re.sub(r"<[^>]+>", " ", reason).split())
            for line, reason in re.findall(
                r"<tr><td>(\d+)</td><td>[^<]*</td><td>(.*?)</td></tr>", table)}


def test_good_rows_are_imported_and_every_bad_row_is_told(app: Flask,
                                                          web_world: WebWorld) -> None:
    add_template("SMS_OLD", "case_opened", draft_text("case_opened", "zh"),
                 approval=TemplateApproval.PENDING)
    client, token = logged_in(app, "admin")
    rows = [
        good_row("SMS_1"),                                            # line 2: added
        good_row("SMS_OLD", "case_opened"),                           # 3: updated
        good_row("SMS_2", "relay_notice", approval="好的"),            # 4: bad review word
        {},                                                           # 5: empty
        good_row("SMS 3", "relay_sent"),                              # 6: not a code
        good_row("SMS_4", 用途代码="no_such_text"),                     # 7: unknown purpose
        good_row("SMS_1", "offer"),                                   # 8: repeats line 2
        good_row("SMS_5", "relay_notice_sent", 模板内容=""),            # 9: no text
        good_row("", "duty_on"),                                      # 10: not submitted yet
        good_row("SMS_6", "duty_off", 签名="广东省深圳市外来务工人员服务热线"),  # 11
        good_row("SMS_7", "duty_on", 模板类型="验证码"),                  # 12: unknown kind
        good_row("SMS_8", "relay_sent", "en", approval="审核中"),       # 13: added, pending
    ]
    resp = upload(client, token, results_csv(rows), organisation_id=str(web_world.org_b))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200, html
    assert re.search(r'id="templates-added">2<', html) and re.search(
        r'id="templates-updated">1<', html)
    assert re.search(r'id="rows-skipped">2<', html) and re.search(
        r'id="rows-rejected">7<', html)
    assert rejected_rows(html) == {
        4: "审核状态“好的”无法识别（请填写审核通过、审核未通过或审核中）",
        6: "SMS 3不是有效的模板编号：最多40个字符，只能有英文字母、数字和下划线，例如SMS_123456789",
        7: "未知用途：no_such_text",
        8: "模板SMS_1在第2行已经出现过",
        9: "模板内容或签名为空",
        11: "签名须为2到12个字，现在是16个字",
        12: "未知模板类型：验证码",
    }
    by_code = {t.code: t for t in templates()}
    assert set(by_code) == {"SMS_1", "SMS_OLD", "SMS_8"}
    assert (by_code["SMS_1"].approval, by_code["SMS_1"].purpose,
            by_code["SMS_1"].organisation_id) == (
        TemplateApproval.APPROVED, "case_followup", web_world.org_b)
    assert by_code["SMS_OLD"].approval == TemplateApproval.APPROVED
    assert by_code["SMS_8"].approval == TemplateApproval.PENDING
    assert audit_entries(AuditAction.IMPORT_TEMPLATES) == [
        "SMS template reviews from 审核结果.csv: 2 added, 1 updated, 7 rejected"]
    audit = words(client.get("/staff/audit?lang=zh").get_data(as_text=True))
    assert "导入了短信模板审核结果" in audit
    assert "从审核结果.csv导入短信模板审核结果：新增2个，更新1个，拒绝7行" in audit


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gbk"])
def test_a_file_from_excel_in_any_of_its_encodings(app: Flask, web_world: WebWorld,
                                                   encoding: str) -> None:
    client, token = logged_in(app, "admin")
    raw = results_csv([good_row("SMS_1"), good_row("SMS_2", "case_opened", approval="")],
                      encoding)
    assert raw.startswith(b"\xef\xbb\xbf") == (encoding == "utf-8-sig")
    resp = upload(client, token, raw, approved="1")
    assert resp.status_code == 200 and 'id="templates-added">2<' in resp.get_data(as_text=True)
    assert [(t.code, t.approval) for t in templates()] == [
        ("SMS_1", TemplateApproval.APPROVED), ("SMS_2", TemplateApproval.APPROVED)]


def test_the_command_reads_the_same_files(app: Flask, tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(results_csv([good_row("SMS_1"), good_row("SMS_2", approval="好的")],
                                 "gbk"))
    result = run(app, "templates", "import", str(path))
    assert result.exit_code == 1
    assert "line 3: unknown review state 好的" in result.output
    assert "1 added, 0 updated, 0 skipped, 1 rejected" in result.output
    assert [t.code for t in templates()] == ["SMS_1"]  # the good row is kept


def test_a_file_that_cannot_be_imported_says_why(app: Flask, web_world: WebWorld) -> None:
    client, token = logged_in(app, "admin")
    cases = [
        (b"name,phone\r\nx,y\r\n", "文件里没有“签名、模板内容、模板CODE”这一列"),
        (b"", "请选择不超过4MB的CSV文件。"),
        ("用途代码,模板CODE\r\n".encode("utf-16"), "文件既不是UTF-8也不是GB18030文本"),
    ]
    for raw, message in cases:
        resp = upload(client, token, raw)
        assert resp.status_code == 400
        assert message in words(resp.get_data(as_text=True)), message
    sheet = upload(client, token, b"PK\x03\x04", name="审核结果.xlsx")
    assert sheet.status_code == 400 and "另存为" in words(sheet.get_data(as_text=True))
    assert templates() == [] and audit_entries(AuditAction.IMPORT_TEMPLATES) == []


# --- the page in Chinese -------------------------------------------------------------------

def test_the_page_reads_in_chinese_with_no_english_key(app: Flask, web_world: WebWorld) -> None:
    add_template("SMS_C", "campaign", CAMPAIGN, TemplateKind.PROMOTIONAL,
                 TemplateApproval.PENDING)
    client, token = logged_in(app, "admin")
    refused = register(client, token, code="SMS_9", kind="promotional", purpose="campaign",
                       text="周六讲座，欢迎参加")
    for html in (client.get("/staff/templates/?provider=alibaba&lang=zh").get_data(
            as_text=True), refused.get_data(as_text=True)):
        shown = words(html)
        assert "登记模板" in shown and "导入审核结果" in shown and "推广短信" in shown
        # The new sections (the gaps above show the hotline's English texts as they are sent).
        shown = words(html.split('id="register"')[1])
        for key in ("notification", "promotional", "campaign", "other", "pending",
                    "case_followup", "organisation", "purpose", "signature"):
            assert not re.search(rf"\b{key}\b", shown), key
        english = set(re.findall(r"[A-Za-z]{3,}", shown)) - {
            "SMS", "CSV", "CODE", "name", "number", "date", "UTF"}
        assert english == set(), english
