"""The read-only flows page: each flow file as a tree, in words a staff member reads (no node
ids, types, keys or {placeholders} on the screen), with the `flows check` result."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from flask import Flask

from hotline.translations import translations
from hotline.web.staff_flows import Way, nest, tree_rows, view_of
from ivr_flows import loader
from ivr_flows.loader import FLOWS_DIR, check_all, default_flow
from tests.conftest import WebWorld
from tests.test_web_case_edit import visible_text
from tests.test_web_forms import logged_in

# Keys of the flow file a staff member must never have to read.
FILE_WORDS = ("next", "default", "office_hours", "volunteer_available", "home_known", "answer:",
              "fallback", "answered", "menu", "branch", "say", "voice", "sms", "SMS", "field",
              "choices", "goto", "{", "}", "→", "=")


def words(html: str) -> str:
    """The page's visible words, spaces folded (tags, attributes and styles left out)."""
    return " ".join(visible_text(html).split())


def tree_words(html: str) -> str:
    """The visible words of the flows themselves: the page's main part without the editor's
    "name in the file" box."""
    main = html[html.index("<main"):html.index("</main>")]
    return words(re.sub(r"<details class=\"flow-file\">.*?</details>", " ", main, flags=re.S))


def flows_page(app: Flask, lang: str) -> str:
    client, _ = logged_in(app, "staff_a")
    resp = client.get(f"/staff/flows/?lang={lang}")
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def test_the_chinese_page_reads_in_words(app: Flask, web_world: WebWorld) -> None:
    html = flows_page(app, "zh")
    text = tree_words(html)
    flow = default_flow()
    # No node id, no key of the file, no English word at all in what the page says.
    for node_id in flow.nodes:
        assert not re.search(rf"(?<![A-Za-z_]){node_id}(?![A-Za-z_])", text), node_id
    for key in FILE_WORDS:
        assert key not in text, key
    assert not re.findall(r"[A-Za-z]{2,}", text)
    # The ids stay for the file's editor, in anchors and titles only.
    assert 'id="intake.yaml-offer_transfer"' in html and "文件中的名称：welcome_back" in html
    # The Chinese prompts, placeholders named as the case pages name those fields.
    assert "您遇到什么问题？" in text and "What is your problem?" not in text
    assert "已登记。您的案件编号是 〔案件编号〕 。" in text
    assert "您说的是： 〔类别〕 ， 〔务工地〕 ， 〔用人单位〕 ， 〔被欠工资〕" in text
    assert "短信里写作： 被拖欠多少钱（元）？" in text
    # What each step is, where it runs and what it records.
    for said in ("请工友选择", "问数字", "问日期", "请工友说或写", "录音留言", "告诉工友",
                 "转接志愿者", "结束", "自动判断", "只在电话里", "只在短信里", "记入：用人单位",
                 "记入：语音留言 · 短信里记入：情况摘要"):
        assert said in text, said
    # Choices by digit and label; conditions in words.
    for said in ("按 1 / 回复 1：欠薪", "按 2 / 回复 2：工伤 紧急", "按 1：普通话",
                 "按 2：留言 ⟶", "重新填写 （清空已答的内容，全部重新问）",
                 "在工作时间（周一至周六 09:00-21:00） ⟶", "下班时间；其他情况 ⟶",
                 "有志愿者能接 ⟶", "已有案件的工友 ⟶",
                 "新工友；其他情况；发短信的工友（这一步只在电话里） ⟶",
                 "已经知道老家 ⟶", "如果〔类别〕是「其他法律援助」 ⟶",
                 "如果〔是否还在职〕是「已经离开」 ⟶", "回答「已经离开」后 ⟶",
                 "志愿者接听、通话结束后 ⟶", "20秒内没人接听时 ⟶", "↓ 然后",
                 "然后；重问2次仍不明白时", "看工友对〔类别〕的回答", "现在是不是工作时间？",
                 "（见上文）", "（见下文）", "流程文件已检查，没有问题。", "语言：中文、英文"):
        assert said in text, said
    # A stored choice value never stands for its label.
    for value in ("wages", "other_legal", "true", "false", "yes", "no"):
        assert value not in text, value


def test_the_english_page_reads_in_english(app: Flask, web_world: WebWorld) -> None:
    text = tree_words(flows_page(app, "en"))
    assert "What is your problem?" in text and "您遇到什么问题" not in text
    assert "Your case [case number] is registered and being handled." in text
    assert "By SMS: How much are you owed, in yuan?" in text
    for said in ("Asks to choose", "Decides on its own", "only on the phone", "only by SMS",
                 "Recorded as: employer", "Press or reply 1: unpaid wages", "Press 1: Mandarin",
                 "If [category] is “other legal aid” ⟶", "Outside office hours; otherwise ⟶",
                 "During office hours (Mon-Sat 09:00-21:00) ⟶", "A new worker",
                 "Nobody answered within 20 seconds ⟶", "(see above)",
                 "The flow file was checked: no problems."):
        assert said in text, said
    for key in ("office_hours", "welcome_back", "offer_transfer", "answer:", "{", "→", "=",
                "other_legal"):
        assert key not in text, key


def test_every_placeholder_and_field_of_the_intake_has_a_chinese_name() -> None:
    flow = default_flow()
    names = {n.field for n in flow.nodes.values() if n.field} | {
        n.sms_field for n in flow.nodes.values() if n.sms_field} | {
        n.on.removeprefix("answer:") for n in flow.nodes.values()
        if n.on and n.on.startswith("answer:")}
    for node in flow.nodes.values():
        for text in (*node.prompt.values(), *node.sms_prompt.values()):
            names |= {name for _, name, _, _ in string.Formatter().parse(text) if name}
    assert "case_number" in names and "employer" in names
    zh = translations("zh_Hans")
    for name in names - {"case_number"}:
        assert zh.upgettext("timeline", name) != name, name


def test_every_node_is_drawn_once(app: Flask) -> None:
    flow = default_flow()
    rows = tree_rows(flow)
    expanded = [r.node_id for r in rows if not r.repeat]
    assert sorted(expanded) == sorted(flow.nodes)
    # A link forward points at a node drawn further down; every row is in the tree once.
    for i, row in enumerate(rows):
        if row.ahead:
            assert row.node_id in [r.node_id for r in rows[i + 1:] if not r.repeat]

    def count(way: Way) -> int:
        return len(way.steps) + sum(count(w) for w in way.ways)
    assert count(nest(rows)) == len(rows)
    # A new worker's questions are drawn on the new worker's way, not inside a returning
    # caller's "go through it again".
    category = next(r for r in rows if r.node_id == "category" and not r.repeat)
    assert category.edge is not None and category.edge.source == "returning"


BROKEN = """name: bad
start: hello
nodes:
  hello:
    type: say
    prompt: {zh: "你好，{employer}", en: "hi {employer}"}
    next: nowhere
  lost:
    type: end
    prompt: {zh: 再见, en: bye}
"""


def test_broken_flow_shows_the_same_problems_as_flows_check(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(BROKEN, encoding="utf-8")
    view = view_of(bad)
    assert view.problems == check_all(tmp_path)[1] and view.problems
    assert [n.id for n in view.unreachable] == ["lost"]
    assert any(r.node is None and r.node_id == "nowhere" for r in view.rows)
    assert view_of(tmp_path / "missing.yaml").problems[0].endswith("cannot read: " + str(
        FileNotFoundError(2, "No such file or directory", str(tmp_path / "missing.yaml"))))


def test_a_flow_file_with_problems_still_shows_them_in_words(
        app: Flask, web_world: WebWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "bad.yaml").write_text(BROKEN, encoding="utf-8")
    monkeypatch.setattr(loader, "FLOWS_DIR", tmp_path)
    html = flows_page(app, "zh")
    text = words(html[html.index("<main"):html.index("</main>")])
    problems = check_all(tmp_path)[1]
    assert "检查发现这个流程文件有 2 个问题。" in text
    assert "以下给管理员在文件中改正，每一行写明文件名和出问题的步骤：" in text
    for problem in problems:  # kept as flows check prints them, for the file's editor
        assert problem.replace("'", "&#39;") in html
    assert "你好， 〔用人单位〕" in text and "文件里缺少这一步" in text
    assert "工友走不到的步骤（没有哪一步通向它们）" in text and "再见" in text
    assert "其他流程" in text and "bye" not in text


def test_flows_page_is_staff_only(app: Flask, web_world: WebWorld) -> None:
    vol, _ = logged_in(app, "vol_a")
    assert vol.get("/staff/flows/").status_code == 404
    assert app.test_client().get("/staff/flows/").status_code == 302


def test_the_shipped_flows_pass_their_check() -> None:
    assert not check_all(FLOWS_DIR)[1]
