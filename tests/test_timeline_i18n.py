"""Timeline texts are stored in English and shown in Chinese in the Chinese console.

The unit tests read the code for every text the system writes on a timeline, so a new
event text without a message id in hotline/web/event_text.py (and its translation in the
catalogue) fails here.
"""

from __future__ import annotations

import ast
import itertools
import re
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.web.english_texts import PLACEHOLDER
from hotline.web.event_text import EVENTS, WORDS, event_patterns, zh_event
from models import (
    Call,
    CallStatus,
    Case,
    CaseCategory,
    CaseStatus,
    Direction,
    EventKind,
    Message,
    MessageStatus,
    Purpose,
)
from tests.conftest import WebWorld
from tests.test_web_forms import logged_in

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("hotline", "notifications", "ivr_flows", "models")
FILLER = "3"  # every placeholder: matches names (.+), numbers (\d+) and words (\w+) alike
# The people's own words on a timeline: never translated, so not collected.
PEOPLES_WORDS = {"MESSAGE_IN", "REPLY"}
# (function name, index of the positional argument holding a timeline text or a note in one)
TEXT_ARGS = {"escalate": 2, "end_flow": 3, "_log": 2, "text_workers": 3}


def templates(node: ast.expr) -> list[str] | None:
    """Every text `node` can build, placeholders filled; None if it is not built from literals
    (a variable: someone's own words, or a text collected where it is built)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        parts: list[list[str]] = []
        for value in node.values:
            part = templates(value) if isinstance(value, ast.Constant) else [FILLER]
            if part is None:
                return None
            parts.append(part)
        return ["".join(p) for p in itertools.product(*parts)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = templates(node.left), templates(node.right)
        return None if left is None or right is None else [a + b for a in left for b in right]
    if isinstance(node, ast.IfExp):
        body, orelse = templates(node.body), templates(node.orelse)
        return None if body is None or orelse is None else body + orelse
    if isinstance(node, ast.BoolOp):  # `note or "re-queued by staff"`: the literal side
        found = [t for v in node.values for t in (templates(v) or [])]
        return found or None
    return None


def event_texts_in_code() -> dict[str, str]:
    """Each timeline text (or note in one) the code writes, filled, and where it is written."""
    found: dict[str, str] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                for expr in text_arguments(node):
                    for text in templates(expr) or []:
                        if text:
                            found[text] = f"{path.relative_to(ROOT)}:{node.lineno}"  # type: ignore[attr-defined]
    return found


def text_arguments(node: ast.AST) -> list[ast.expr]:
    """The arguments of `node` that are timeline texts, if it is a call writing one."""
    if not isinstance(node, ast.Call):
        return []
    name = (node.func.attr if isinstance(node.func, ast.Attribute)
            else node.func.id if isinstance(node.func, ast.Name) else "")
    if name == "log" and len(node.args) >= 2:
        kind = node.args[0]
        if (isinstance(kind, ast.Attribute) and isinstance(kind.value, ast.Name)
                and kind.value.id == "EventKind" and kind.attr not in PEOPLES_WORDS):
            return [node.args[1]]
    if name == "move_to":
        return [k.value for k in node.keywords if k.arg == "note"]
    if name in TEXT_ARGS and len(node.args) > TEXT_ARGS[name]:
        return [node.args[TEXT_ARGS[name]]]
    return []


def send_notes() -> list[str]:
    """notifications/send.py builds its timeline note in a variable first (`note = ...`)."""
    tree = ast.parse((ROOT / "notifications" / "send.py").read_text(encoding="utf-8"))
    return [t for node in ast.walk(tree) if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "note" for t in node.targets)
            for t in templates(node.value) or []]


# Texts built elsewhere and put into an event text: urgent reasons, refusals, alert keys.
EXTRA_SAMPLES = ["3 workers affected", "urgent: 3 workers affected", "urgent: injury",
                 "satisfaction survey not sent: recipient opted out",
                 "not sent: recipient opted out and has not texted since",
                 "queue: 某机构 (work city 深圳 is in its region 深圳 宝安)",
                 "queue: 某机构 (DEFAULT_ORGANISATION)",
                 "queue: 某机构 (no organisation's region matches and no DEFAULT_ORGANISATION)"]

ENGLISH_LEFT = re.compile(r"[A-Za-z]{3,}")


def test_every_event_pattern_compiles_and_has_the_same_placeholders() -> None:
    assert len(event_patterns()) == len(EVENTS)
    for msgid, (compiled, _) in zip(EVENTS, event_patterns(), strict=True):
        assert set(PLACEHOLDER.findall(msgid)) == set(compiled.groupindex), msgid


def test_the_collector_finds_the_event_texts() -> None:
    """Guard against a collector that silently finds nothing."""
    found = event_texts_in_code()
    assert len(found) > 60
    for text in ("case opened by SMS", "round 3: offered to 3 of 3 eligible", "3 → 3: 3",
                 "accepted by 3", "re-queued by staff", "outcome: 3, recovered ¥3: 3",
                 "intake (3) 3", "volunteer → worker: 3", "incoming call (continues this case)"):
        assert text in found
    assert "send failed: 3" in send_notes()


@pytest.mark.parametrize("text", sorted(set(event_texts_in_code()) | set(send_notes())
                                        | set(EXTRA_SAMPLES)))
def test_every_event_text_of_the_code_has_a_chinese_form(text: str) -> None:
    zh = zh_event(text)
    assert zh is not None, f"no EVENTS message id for {text!r}"
    assert not ENGLISH_LEFT.search(zh.replace("STAFF_NUMBERS", "")), f"{text!r} -> {zh!r}"


@pytest.mark.parametrize(("english", "chinese"), [
    ("case opened by SMS", "工友通过短信立案"),
    ("new → offered", "新案件 → 已派单"),
    ("assigned → in_progress: volunteer contacted the worker",
     "已分配 → 处理中：志愿者已联系工友"),
    ("escalated → new: talked to the boss", "待人工处理 → 新案件：talked to the boss"),
    ("offered → escalated: no volunteer accepted after 3 tries",
     "已派单 → 待人工处理：派单3次无志愿者接受"),
    ("intake (sms) category=wages, employer=Acme, Ltd, people_affected=12",
     "问答（短信）：类别：欠薪，用人单位：Acme, Ltd，涉及人数：12"),
    ("round 1: offered to 3 of 5 eligible", "第1轮：派给5名合适志愿者中的3名"),
    ("accepted by 张律师", "张律师接受了派单"),
    ("sent to +86 138****8000 (1 segment(s), SM0123)", "已发送至+86 138****8000（1条，SM0123）"),
    ("send failed: Twilio error 21610", "发送失败：Twilio error 21610"),
    ("urgent: injury", "紧急：工伤"),
    ("queue: 某机构 (work province 广东 is in its region 广东)",
     "归入队列：某机构（务工省份广东在其服务地区广东内）"),
    ("transferred from 甲站 to 乙站: please call back", "从甲站转交到乙站：please call back"),
    ("transferred from (none) to 乙站: x", "从（无）转交到乙站：x"),
    ("no staff could be texted (staff_escalation): nobody is on duty with a phone and "
     "STAFF_NUMBERS is empty",
     "未能短信通知任何工作人员（转人工提醒）：没有留了手机号的在岗人员，热线也没有设置接收提醒的工作人员号码"),
    ("linked to collective case #1002", "已并入集体案件#1002"),
    ("reminder sent to 李律师: deadline_reminder", "已提醒李律师：超期提醒"),
    ("call ended (no-answer) at step 'employer'", "通话在“用人单位”一步结束（无人接听）"),
    ("outcome: resolved, recovered ¥3000: paid in full", "结果：已解决，追回¥3000：paid in full"),
    ("volunteer → worker: accepted by 张律师", "志愿者 → 工友：accepted by 张律师"),
])
def test_sample_texts_read_in_chinese(english: str, chinese: str) -> None:
    assert zh_event(english) == chinese


def test_free_text_without_a_pattern_is_left_alone() -> None:
    assert zh_event("the boss promised to pay on Friday") is None
    assert "urgent" in WORDS  # intake field names are words, not patterns


def test_the_chinese_case_page_shows_event_texts_in_chinese(app: Flask,
                                                            web_world: WebWorld) -> None:
    from hotline.escalation import mark_urgent_if_needed
    from hotline.web.casework import add_note
    from models import User

    number = web_world.assigned_to_a
    with get_db().begin() as s:
        case = s.scalar(select(Case).where(Case.number == number))
        assert case is not None
        staff = s.scalar(select(User).where(User.username == "staff_a"))
        assert staff is not None
        case.log(EventKind.STATUS, "case opened by SMS")
        worker_text = Message(direction=Direction.INBOUND, status=MessageStatus.RECEIVED,
                              from_number=web_world.worker_phone, to_number="+8610000",
                              body="accepted by boss, then nothing", case_id=case.id)
        sent = Message(direction=Direction.OUTBOUND, purpose=Purpose.RELAY,
                       status=MessageStatus.DELIVERED, from_number="+8610000",
                       to_number=web_world.worker_phone, body="您好", case_id=case.id)
        call = Call(sid="CAtimeline", direction=Direction.INBOUND, status=CallStatus.COMPLETED,
                    from_number=web_world.worker_phone, to_number="+8610000", case_id=case.id)
        s.add_all([worker_text, sent, call])
        s.flush()
        case.log(EventKind.MESSAGE_IN, worker_text.body, actor="worker",
                 message_id=worker_text.id)
        case.log(EventKind.ROUTING, "round 1: offered to 3 of 3 eligible",
                 data={"round": 1, "chosen": []})
        case.log(EventKind.OFFER_ANSWER, "accepted by 李律师", actor="volunteer:1")
        case.log(EventKind.MESSAGE_OUT, "sent to +86 138****8000 (1 segment(s), SMabc)",
                 message_id=sent.id, data={"status": "delivered"})
        case.log(EventKind.CALL, "incoming call", actor="worker", call_id=call.id)
        case.category = CaseCategory.INJURY
        assert mark_urgent_if_needed(case)
        case.move_to(CaseStatus.IN_PROGRESS, note="volunteer contacted the worker")
        # A staff note is a person's words, even when it reads like a system text.
        add_note(case, staff, "accepted by the employer's lawyer")

    client, _ = logged_in(app, "staff_a")
    page = client.get(f"/staff/cases/{number}?lang=zh").get_data(as_text=True)
    for chinese in ("工友通过短信立案", "第1轮：派给3名合适志愿者中的3名", "李律师接受了派单",
                    "已发送至+86 138****8000（1条，SMabc）", "紧急：工伤", "来电",
                    "已分配 → 处理中：志愿者已联系工友", "已送达", "已完成"):
        assert chinese in page, chinese
    for english in ("case opened by SMS", "round 1: offered", "accepted by 李律师",
                    "segment(s)", "urgent: injury", "incoming call", "assigned → in_progress",
                    "volunteer contacted the worker"):
        assert english not in page, english
    # People's own words stay as they wrote them.
    assert "accepted by boss, then nothing" in page
    assert "accepted by the employer&#39;s lawyer" in page

    english_page = client.get(f"/staff/cases/{number}?lang=en").get_data(as_text=True)
    for english in ("case opened by SMS", "round 1: offered to 3 of 3 eligible",
                    "accepted by 李律师", "urgent: injury",
                    "assigned → in progress: volunteer contacted the worker"):
        assert english in english_page, english
    assert "工友通过短信立案" not in english_page
