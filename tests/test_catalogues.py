"""The gettext catalogues: every text the code marks is in messages.pot and translated in every
catalogue with the same placeholders; a new locale is one more catalogue.

The extraction runs Babel's own extractor with babel.cfg, as `pybabel extract` does, so a text
added to a template or a view without a translation fails here with the command that fixes it.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import opencc
import pytest
import yaml
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po
from flask import Flask

from hotline.replies import CATEGORY_NAMES as REPLY_CATEGORY_NAMES
from hotline.replies import REPLIES
from hotline.translations import DIRECTORY, catalogue_path, locales, translations
from hotline.web.english_texts import ERRORS, PLACEHOLDER
from hotline.web.event_text import EVENTS, localised, zh_event
from hotline.web.i18n import CATEGORY_NAMES, STATUS_NAMES
from ivr_flows import FlowError, FlowState, Turn, default_flow, load_flow
from ivr_flows.loader import FLOWS_DIR
from ivr_flows.sms import compose_sms
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in

ROOT = Path(__file__).resolve().parent.parent
FIX = ("run: pybabel extract -F babel.cfg -c TRANSLATORS: --sort-by-file "
       "-o hotline/translations/messages.pot . && "
       "pybabel update -i hotline/translations/messages.pot -d hotline/translations "
       "--ignore-obsolete, then translate the new entries")
# A translation may leave out a part the reader cannot use (the phone library's English
# explanation of why a number is not one); it never invents one.
LEFT_OUT = {"not a phone number: %(quoted)s (%(detail)s)": {"detail"},
            "message %(n)s refused": {"n"}}  # a Chinese auditor is not shown message ids
Key = tuple[str | None, str]
FLOW_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def extracted() -> dict[Key, str]:
    """(context, message id) -> where it is, for every text babel.cfg's extractors find."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg, "babel.cfg")
    found: dict[Key, str] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
            ROOT, method_map, options_map, keywords=DEFAULT_KEYWORDS):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found[(context, msgid)] = f"{filename}:{lineno}"
    return found


def read(path: Path) -> Catalog:
    """A .po or .pot file."""
    with path.open("rb") as po:
        return read_po(po)


def entries(catalog: Catalog) -> dict[Key, str]:
    """(context, message id) -> translation of a catalogue's current entries."""
    return {(m.context, str(m.id)): str(m.string or "") for m in catalog if m.id}


def placeholders(context: str | None) -> Callable[[str], set[str]]:
    """How a text names its fields: %(name)s, or {name} in a flow file's texts (the flow
    format fills them with str.format: ivr_flows.engine.prompt_text)."""
    if (context or "").startswith("flow:"):
        return flow_placeholders
    return lambda text: set(PLACEHOLDER.findall(text))


def flow_placeholders(text: str) -> set[str]:
    """The {name} fields of a flow file's text."""
    return set(FLOW_PLACEHOLDER.findall(text))


def problems(catalog: Catalog, wanted: set[Key]) -> list[str]:
    """What is wrong with `catalog` for the texts `wanted`: missing, empty, fuzzy entries and
    placeholders that differ from the message id's."""
    found = entries(catalog)
    out = [f"missing {k}" for k in sorted(wanted - set(found), key=str)]
    for m in catalog:
        if not m.id:
            continue
        key = (m.context, str(m.id))
        if key in wanted and (not m.string or m.fuzzy):
            out.append(f"{'fuzzy' if m.string else 'untranslated'} {key}")
        found_in = placeholders(m.context)
        names = found_in(str(m.id))
        if m.string and found_in(str(m.string)) != names - LEFT_OUT.get(str(m.id), set()):
            out.append(f"placeholders differ: {m.id!r} -> {m.string!r}")
        # Babel flags %(name)s texts so a translator's tool checks them; it has no flag for
        # a flow file's {name} ones, which the comparison above checks instead.
        if names and "python-format" not in m.flags and found_in is not flow_placeholders:
            out.append(f"no python-format flag: {m.id!r}")
        out += [f"{m.id!r}: {e}" for e in m.check(catalog)]
    return out


@pytest.fixture(scope="module")
def code_texts() -> dict[Key, str]:
    found = extracted()
    assert len(found) > 800  # the extractor really read the templates and the views
    return found


def test_the_template_holds_every_text_of_the_code(code_texts: dict[Key, str]) -> None:
    template = set(entries(read(DIRECTORY / "messages.pot")))
    new = {k: v for k, v in code_texts.items() if k not in template}
    assert not new, f"{FIX}: {new}"
    gone = template - set(code_texts)
    assert not gone, f"{FIX}: no longer in the code: {sorted(gone, key=str)}"


def test_every_catalogue_translates_every_text(code_texts: dict[Key, str]) -> None:
    assert "zh_Hans" in locales()
    for locale in locales()[1:]:
        found = problems(read(catalogue_path(locale)), set(code_texts))
        assert not found, f"{locale}: {FIX}:\n" + "\n".join(found)


def test_the_check_finds_a_missing_or_broken_translation(code_texts: dict[Key, str]) -> None:
    """Guard against a check that passes whatever the catalogue holds."""
    catalog = read(catalogue_path("zh_Hans"))
    catalog.delete("Log in")
    catalog["Case given to %(name)s."].string = "案件已分配给%(who)s。"
    followup = REPLIES["case_followup"]
    catalog.delete(followup, context="reply:case_followup")  # an SMS reply...
    catalog.delete("Labour arbitration time limit", context="legal:title")  # ...a legal rule's
    relay_sent = catalog.get(REPLIES["relay_sent"], context="reply:relay_sent")
    assert relay_sent is not None
    relay_sent.string = ""
    found = problems(catalog, set(code_texts))
    assert "missing (None, 'Log in')" in found
    assert any("placeholders differ: 'Case given to %(name)s.'" in p for p in found)
    assert f"missing ('reply:case_followup', {followup!r})" in found
    assert "missing ('legal:title', 'Labour arbitration time limit')" in found
    assert any(p.startswith("untranslated ('reply:relay_sent'") for p in found)


def test_placeholders_are_named_percent_ones(code_texts: dict[Key, str]) -> None:
    """`_("Case {number}", number=n)` would show the braces: gettext fills %(number)s."""
    braces = {k: where for k, where in code_texts.items()
              if re.search(r"\{\w+\}", k[1]) and "{name|" not in k[1]  # the campaign help
              and not (k[0] or "").startswith("flow:")}  # flow files: str.format
    assert not braces, f"write %(name)s, not {{name}}: {braces}"


def test_texts_without_placeholders_hold_no_percent_sign() -> None:
    """Templates format every text (`%` is a placeholder there) and views format only texts
    with values: a bare `%` would read differently in the two."""
    for (_, msgid), string in entries(read(catalogue_path("zh_Hans"))).items():
        if not PLACEHOLDER.search(msgid):
            assert "%" not in msgid + string, msgid


def test_every_placeholder_is_filled_in_every_language() -> None:
    values = {"n": 3, "name": "张三", "number": 1001}
    for locale in locales():
        catalogue = translations(locale)
        for (context, msgid) in entries(read(DIRECTORY / "messages.pot")):
            text = (catalogue.upgettext(context, msgid) if context
                    else catalogue.ugettext(msgid))
            names = PLACEHOLDER.findall(msgid)
            filled = text % {k: values.get(k, f"<{k}>") for k in names} if names else text
            assert "%(" not in filled, (locale, msgid)


def test_category_and_status_names_follow_the_reply_texts() -> None:
    """The console names categories as the replies do (the same catalogue entries)."""
    assert {k: v for k, v in CATEGORY_NAMES.items()} == REPLY_CATEGORY_NAMES["en"]
    zh = translations("zh_Hans")
    assert {k: zh.upgettext("category", v) for k, v in CATEGORY_NAMES.items()} == \
        REPLY_CATEGORY_NAMES["zh"]
    assert zh.upgettext("status", "in_progress") == "处理中"
    assert len(set(STATUS_NAMES)) == len(STATUS_NAMES)


def test_errors_and_timeline_texts_are_message_ids_with_chinese_forms() -> None:
    zh = translations("zh_Hans")
    for msgid in ERRORS:
        assert zh.ugettext(msgid) != msgid, msgid
    for msgid in EVENTS:
        words = re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", msgid))  # not "%(old)s → %(new)s"
        assert zh.upgettext("timeline", msgid) != msgid or not words, msgid
    assert zh_event("offered → escalated: no volunteer accepted after 3 tries") == \
        "已派单 → 待人工处理：派单3次无志愿者接受"


# --- a third language -------------------------------------------------------------------

def traditional_catalogue(directory: Path) -> None:
    """Translations for Cantonese readers: the Simplified catalogue through OpenCC (s2hk),
    written as one more catalogue beside a copy of the shipped ones."""
    shutil.copytree(DIRECTORY, directory, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    simplified = read(catalogue_path("zh_Hans"))
    convert = opencc.OpenCC("s2hk")
    hant = Catalog(locale="zh_Hant", domain="messages", project="hotline")
    for m in simplified:
        if m.id:
            hant.add(m.id, convert.convert(str(m.string)), flags=m.flags, context=m.context)
    path = catalogue_path("zh_Hant", directory)
    path.parent.mkdir(parents=True)
    with path.open("wb") as po:
        write_po(po, hant)


def test_a_third_language_is_one_more_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                app: Flask, web_world: WebWorld,
                                                code_texts: dict[Key, str]) -> None:
    traditional_catalogue(tmp_path)
    assert not problems(read(catalogue_path("zh_Hant", tmp_path)), set(code_texts))
    monkeypatch.setenv("HOTLINE_TRANSLATIONS", str(tmp_path))
    assert locales() == ("en", "zh_Hans", "zh_Hant")

    client = app.test_client()
    for ask in ({"query_string": {"lang": "zh_Hant"}},
                {"headers": {"Accept-Language": "zh-HK,zh;q=0.8"}}):
        page = client.get("/login", **ask).get_data(as_text=True)
        assert '<html lang="zh-Hant">' in page and "登錄" in page and "登录" not in page
    assert '<html lang="zh-Hans">' in client.get("/login?lang=zh").get_data(as_text=True)

    staff, _ = logged_in(app, "staff_a")
    dashboard = staff.get("/staff/?lang=zh_Hant").get_data(as_text=True)
    assert "總覽" in dashboard and "中文 (简体)" in dashboard and "English" in dashboard
    assert localised("case opened by SMS", "zh_Hant") == "工友通過短信立案"
    assert re.search(r"已派單 → 待人工處理", localised(
        "offered → escalated: no volunteer accepted after 3 tries", "zh_Hant") or "")


def test_a_third_language_reaches_the_intake_flow(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """A flow that lists the new language speaks it from the catalogue, menus and the engine's
    own words included; a text no catalogue has is named by the flow check. (The words a menu
    recognises are the flow's own, per language: written into the file here.)"""
    raw = yaml.safe_load((FLOWS_DIR / "intake.yaml").read_text(encoding="utf-8"))
    raw["languages"] = ["zh", "en", "zh_Hant"]
    convert = opencc.OpenCC("s2hk")
    for node in raw["nodes"].values():
        for choice in node.get("choices") or []:
            for words in (choice.get("keywords"), choice.get("speech")):
                if words and "zh" in words:
                    words["zh_Hant"] = [convert.convert(w) for w in words["zh"]]
    flow_file = tmp_path / "flows" / "intake.yaml"
    flow_file.parent.mkdir()
    flow_file.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    # Before its catalogue exists the language reads Simplified Chinese, as the replies do.
    assert load_flow(flow_file).node("category").prompt["zh_Hant"] == "您遇到什么问题？"
    # A question written in the file that no catalogue translates yet is named by the check.
    raw["nodes"]["category"]["prompt"] = "What went wrong at work?"
    untranslated = tmp_path / "flows" / "new.yaml"
    untranslated.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(FlowError) as missing:
        load_flow(untranslated)
    assert [p.split(":", 1)[1] for p in missing.value.problems] == [
        "category: prompt missing translation 'zh'",
        "category: prompt missing translation 'zh_Hant'"]

    traditional_catalogue(tmp_path / "catalogues")
    monkeypatch.setenv("HOTLINE_TRANSLATIONS", str(tmp_path / "catalogues"))
    flow = load_flow(flow_file)
    category = flow.node("category")
    assert category.prompt["zh_Hant"] == "您遇到什麼問題？"
    assert category.choices[0].label["zh_Hant"] == "欠薪"
    state = FlowState(node="category", language="zh_Hant")
    sms = compose_sms(flow, state, Turn(waiting=category, understood=False), 1024)
    assert sms.startswith("沒看懂您的回覆。您遇到什麼問題？回覆數字：1欠薪 2工傷"), sms
    assert "没" not in sms and "问题" not in sms


def test_the_shipped_flow_writes_english_and_leaves_the_rest_to_the_catalogues() -> None:
    """Every question and choice of the intake is one English text (its Chinese is in the
    catalogue, where a translator's tool finds it), except the language menu's keywords."""
    raw = yaml.safe_load((FLOWS_DIR / "intake.yaml").read_text(encoding="utf-8"))
    texts = [(node_id, key, value) for node_id, node in raw["nodes"].items()
             for key, value in [*((k, node.get(k)) for k in ("prompt", "sms_prompt")),
                                *(("label", c.get("label")) for c in node.get("choices") or [])]
             if value is not None]
    assert len(texts) > 90
    assert all(isinstance(v, str) and v.isascii() or "¥" in v for _, _, v in texts), [
        t for t in texts if not (isinstance(t[2], str) and t[2].isascii())]
    extracted_flow = {k for k in extracted() if (k[0] or "").startswith("flow:intake:")}
    assert ("flow:intake:category", "What is your problem?") in extracted_flow
    assert ("flow:intake:confirm_injury", "correct") in extracted_flow  # a shared choice list
    flow = default_flow()
    assert flow.node("category").prompt == {"zh": "您遇到什么问题？", "en": "What is your problem?"}


# --- the audit log's detail column ------------------------------------------------------

AUDIT_SAMPLES = [
    ('{"contacts": 1, "cases": 2, "messages": 5, "calls": 0, "events": 7, '
     '"recordings_deleted": 1, "recordings_kept_by_provider": 0}',
     "工友：1，案件：2，短信：5，案件记录：7，已删除的录音：1"),
    ("created staff account 王芳", "新建工作人员账号王芳"),
    ("disabled account zhang_s", "停用了账号zhang_s"),
    ("sorted as wages", "分类为欠薪"),
    ("changed employer, wages owed", "修改了用人单位，被欠工资"),
    ("名单.csv: 3 new, 1 updated, 2 rejected, consent recorded for 4",
     "名单.csv：新增3人，更新1人，拒绝2行，记录了4人的同意"),
    ("monthly report 2024-05", "2024-05月度报告"),
    ("cli opt-out list of 深圳站: 12 rows", "命令行导出深圳站的退订名单：12行"),
    ("not erased: the provider did not delete a recording", "未删除：电话服务商没有删除录音"),
]


def test_the_audit_log_reads_in_the_console_language(app: Flask, web_world: WebWorld) -> None:
    from hotline.infra.db import get_db
    from models import AuditAction, AuditLog, User

    with get_db().begin() as session:
        admin = session.query(User).filter_by(username="admin").one()
        session.add_all([AuditLog(user_id=admin.id, action=AuditAction.MANAGE_USER, detail=d)
                         for d, _ in AUDIT_SAMPLES]
                        + [AuditLog(user_id=admin.id, action=AuditAction.TRIAGE,
                                    detail="a detail no catalogue knows")])
    client, _ = logged_in(app, "admin")
    page = client.get("/staff/audit?lang=zh").get_data(as_text=True)
    for english, chinese in AUDIT_SAMPLES:
        assert f"<td>{chinese}</td>" in page, (english, chinese)
    table = page.split("<tbody>")[1]
    for english_word in ("recordings_deleted", "rejected", "account", "sorted as", "rows"):
        assert english_word not in table
    assert "a detail no catalogue knows" in page  # as written, not dropped
    english = client.get("/staff/audit?lang=en").get_data(as_text=True)
    assert "created staff account 王芳" in english
    assert "cases: 2, text messages: 5, timeline entries: 7, recordings deleted: 1" in english
