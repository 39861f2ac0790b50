"""The SMS and voice replies, the legal deadlines' texts, the error pages and the consent files
read from the gettext catalogues: the same words as before in Chinese and English, every text
found by `pybabel extract`, and a third language added as one catalogue with English where it
has no entry yet."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from flask import Flask

from hotline.legal_clocks import deadlines_for, load_rules
from hotline.replies import (
    CATEGORY_NAMES,
    REPLIES,
    TEXTS,
    languages,
    offer_text,
    say,
    str_format,
)
from hotline.translations import DIRECTORY, catalogue_path, locale_of, locales, translate
from models import Case, CaseCategory
from notifications.templates import SAMPLE_VALUES, template_text
from tests.conftest import WebWorld
from tests.test_catalogues import extracted

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(("key", "lang", "fields", "text"), [
    ("case_opened", "zh", {"number": 1024},
     "工友热线：已收到您的求助，案件编号1024。志愿者会尽快联系您。"),
    ("case_opened", "en", {"number": 1024},
     "Hotline: we got your message. Your case number is 1024. A volunteer will contact you "
     "soon."),
    ("staff_collective", "zh", {"count": 5, "employer": "深圳某建筑公司", "number": 1001},
     "工友热线紧急：5名工友反映「深圳某建筑公司」欠薪，已并为集体案件#1001"),
    ("bad_amount", "en", {"text": "一万二", "number": 1024},
     "Cannot read the amount '一万二'; write e.g. DONE 1024 12000"),
    ("bad_amount", "zh", {"text": "一万二", "number": 1024},
     "金额看不懂：一万二。请写数字，如 DONE 1024 12000"),
    ("deadline_reminder", "zh", {"number": 7, "days": 14},
     "提醒：案件#7已14天无进展，请联系工友，回复 R7 内容 或 DONE7。"),
    ("bridge_connecting", "en", {"number": 1024},
     "Hotline: connecting you to the worker of case 1024."),  # spoken, not texted
    ("campaign_footer", "zh", {}, "回复TD退订"),
    # a language without a catalogue reads Simplified Chinese, as the replies always did
    ("flow_language", "fr", {}, "好的，用中文。"),
    ("flow_language", "", {}, "好的，用中文。"),
    ("flow_language", "en-GB", {}, "OK, in English."),
])
def test_replies_say_what_they_said_before(key: str, lang: str, fields: dict[str, object],
                                           text: str) -> None:
    assert say(key, lang, **fields) == text


def test_an_unknown_reply_is_an_error() -> None:
    with pytest.raises(KeyError):
        say("no_such_reply", "zh")


def test_every_reply_reads_chinese_and_english_with_the_same_fields() -> None:
    assert languages()[:2] == ("zh", "en")
    for key in REPLIES:
        zh, en = TEXTS[key]["zh"], TEXTS[key]["en"]
        assert CJK.search(zh), key
        assert not CJK.search(en), key
        names = set(re.findall(r"\{(\w+)\}", en))
        assert set(re.findall(r"\{(\w+)\}", zh)) == names, key
        values = {name: SAMPLE_VALUES[name] for name in names}
        assert "%(" not in say(key, "zh", **values) + say(key, "en", **values), key


def test_the_carrier_template_of_a_reply_keeps_its_variables() -> None:
    """notifications.templates reads TEXTS in str.format syntax: the catalogue's %(name)s
    arrive as ${name}, a literal brace stays one."""
    assert template_text(TEXTS["offer_accepted"]["zh"]) == (
        "案件#${number}已分配给您，请尽快联系当事人。")
    assert template_text(TEXTS["bad_amount"]["en"]) == (
        "Cannot read the amount '${text}'; write e.g. DONE ${number} 12000")
    assert str_format("{x} 100%% %(n)s") == "{{x}} 100% {n}"


def test_categories_come_from_the_catalogue() -> None:
    assert CATEGORY_NAMES["zh"][CaseCategory.WAGES] == "欠薪"
    assert CATEGORY_NAMES["en"][CaseCategory.CONTRACT] == "contract/dismissal"
    assert CATEGORY_NAMES.get("fr", {}) == CATEGORY_NAMES["zh"]
    assert "fr" not in CATEGORY_NAMES and list(CATEGORY_NAMES)[:2] == ["zh", "en"]


def a_case(**fields: object) -> Case:
    """An unsaved wages case (the offer reads only its fields)."""
    values: dict[str, object] = {
        "number": 1024, "category": CaseCategory.WAGES, "work_city": "深圳市",
        "people_affected": 5, "amount_owed": Decimal("12000"), "details": {},
        "created_at": datetime(2026, 1, 5, tzinfo=UTC), **fields}
    return Case(**values)


def test_the_offer_is_assembled_from_catalogue_parts() -> None:
    assert offer_text(a_case(), "zh") == (
        "新案件 #1024 欠薪 深圳市 5人 约¥12000 回复 Y1024 接受 N1024 拒绝")
    assert offer_text(a_case(people_affected=1, amount_owed=None), "en") == (
        "New case #1024 unpaid wages 深圳市 Reply Y1024 to accept, N1024 to decline")


def test_legal_texts_come_from_the_catalogue() -> None:
    case = a_case(details={"left_on": "2025-08-01"})
    [wages] = deadlines_for(case, date(2026, 6, 15))
    assert wages.title("zh") == "欠薪劳动仲裁时效"
    assert wages.title("en") == "Unpaid wages arbitration time limit"
    assert wages.summary("zh") == "2026-08-01届满，还剩47天"
    for rule in load_rules():  # every rule's four texts have a Chinese translation
        for field in ("title", "short", "explanation", "needs_info"):
            assert CJK.search(rule.text(field, "zh")), (rule.id, field)


def test_pybabel_extract_finds_replies_legal_texts_and_error_pages() -> None:
    found = extracted()
    for key, msgid in REPLIES.items():
        assert (f"reply:{key}", msgid) in found, key
    for rule in load_rules():
        for field, msgid in rule.texts.items():
            assert found.get((f"legal:{field}", msgid), "").startswith(
                "hotline/legal_clocks.yaml:"), (rule.id, field)
    assert (None, "This page does not accept that kind of request.") in found
    assert ("consent", "replied %(word)s") in found


def test_error_pages_read_in_the_console_language(app: Flask) -> None:
    client = app.test_client()
    zh = client.get("/login?lang=zh_Hans&x=%00")
    assert zh.status_code == 400 and "请求无效，请返回重试。" in zh.get_data(as_text=True)
    en = client.get("/login?lang=en&x=%00")
    assert "This request is not valid. Go back and try again." in en.get_data(as_text=True)
    refused = client.delete("/login?lang=zh_Hans")
    assert refused.status_code == 405
    assert "此页面不接受这种操作。" in refused.get_data(as_text=True)


# --- a third language -------------------------------------------------------------------

HANT = {  # a translator's first few entries; everything else reads English until translated
    (None, "Log in"): "登入",
    (None, "Username"): "用戶名",
    ("reply:case_followup", REPLIES["case_followup"]): "工友熱線：已收到，已記入案件%(number)s。",
    ("reply:opted_out", REPLIES["opted_out"]):
        "已退訂群發短信。您的案件照常處理，回覆 訂閱 可恢復。",
    ("category", "unpaid wages"): "欠薪",
    ("offer", "New case #%(number)s"): "新案件 #%(number)s",
    ("legal:title", "Unpaid wages arbitration time limit"): "欠薪勞動仲裁時效",
}


def traditional_start(directory: Path) -> None:
    """The shipped catalogues copied to `directory` and a zh_Hant one holding only HANT."""
    shutil.copytree(DIRECTORY, directory, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    catalog = Catalog(locale="zh_Hant", domain="messages", project="hotline")
    for (context, msgid), string in HANT.items():
        catalog.add(msgid, string, context=context,
                    flags=["python-format"] if "%(" in msgid else [])
    path = catalogue_path("zh_Hant", directory)
    path.parent.mkdir(parents=True)
    with path.open("wb") as po:
        write_po(po, catalog)


def test_a_third_language_reads_its_catalogue_and_english_where_it_has_none(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app: Flask,
        web_world: WebWorld) -> None:
    traditional_start(tmp_path)
    monkeypatch.setenv("HOTLINE_TRANSLATIONS", str(tmp_path))
    assert locales() == ("en", "zh_Hans", "zh_Hant")
    assert [locale_of(tag) for tag in ("zh_Hant", "zh-HK", "yue", "zh", "en", "fr")] == [
        "zh_Hant", "zh_Hant", "zh_Hant", "zh_Hans", "en", "zh_Hans"]

    # SMS replies: a contact whose language is the new locale (or Cantonese) reads it...
    assert say("case_followup", "zh_Hant", number=1024) == "工友熱線：已收到，已記入案件1024。"
    assert say("case_followup", "yue", number=1024) == "工友熱線：已收到，已記入案件1024。"
    assert say("case_followup", "zh", number=1024) == "工友热线：已收到，已记入案件1024。"
    # ...and English for the replies not translated yet.
    assert say("case_opened", "zh_Hant", number=1024).startswith("Hotline: we got your message.")
    assert offer_text(a_case(), "zh_Hant") == (
        "新案件 #1024 欠薪 深圳市 5 people ~¥12000 Reply Y1024 to accept, N1024 to decline")
    [wages] = deadlines_for(a_case(details={"left_on": "2025-08-01"}), date(2026, 6, 15))
    assert wages.title("zh_Hant") == "欠薪勞動仲裁時效"
    assert wages.summary("zh_Hant") == "ends 2026-08-01, 47 days left"
    # The carrier templates and the opt-out check see the new language too.
    assert "zh_Hant" in languages() and TEXTS["case_followup"]["zh_Hant"] == (
        "工友熱線：已收到，已記入案件{number}。")
    assert "已退訂群發短信。您的案件照常處理，回覆 訂閱 可恢復。" in TEXTS["opted_out"].values()
    assert translate("zh_Hant", "Password") == "Password"

    # A console page: its entries in Traditional Chinese, English for the rest.
    page = app.test_client().get("/login?lang=zh_Hant").get_data(as_text=True)
    assert '<html lang="zh-Hant">' in page
    assert "登入" in page and "用戶名" in page and "Password" in page
    assert "登录" not in page and "密码" not in page
