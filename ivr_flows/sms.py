"""SMS renderer: a Turn as one short text; menus become a numbered list ('1欠薪 2工伤 …')."""

from __future__ import annotations

from ivr_flows.engine import FlowState, Turn, prompt_text
from ivr_flows.model import Flow, Node

SORRY = {"zh": "没看懂您的回复。", "en": "Sorry, I did not understand."}
REPLY_WITH = {"zh": "回复数字：", "en": "Reply with a number: "}
SEPARATOR = {"zh": "", "en": " "}


def menu_lines(node: Node, language: str) -> str:
    """The choices of a menu as one compact numbered list."""
    if language == "zh":
        return " ".join(f"{c.key}{c.label.get('zh', c.value)}" for c in node.choices)
    return ", ".join(f"{c.key} {c.label.get(language, c.value)}" for c in node.choices)


def render_sms(flow: Flow, state: FlowState, turn: Turn, case_number: int | None,
               prefix: str = "") -> str:
    """The reply text for one step: a note, what was passed, then the question now waiting."""
    lang = state.language
    number = str(case_number or "")
    parts = [prefix] if prefix else []
    if not turn.understood:
        parts.append(SORRY.get(lang, SORRY["zh"]))
    parts += [prompt_text(flow, node, state, number, channel="sms") for node in turn.said]
    node = turn.waiting
    if node is not None:
        parts.append(prompt_text(flow, node, state, number, channel="sms"))
        if node.type == "menu":
            parts.append(REPLY_WITH.get(lang, REPLY_WITH["zh"]) + menu_lines(node, lang))
    return SEPARATOR.get(lang, "").join(p for p in parts if p)
