"""SMS renderer: a Turn as one short text; menus become a numbered list ('1欠薪 2工伤 …')."""

from __future__ import annotations

from ivr_flows.engine import FlowState, Turn, prompt_text
from ivr_flows.model import Flow, Node
from notifications.segments import count_segments

SORRY = {"zh": "没看懂您的回复。", "en": "Sorry, I did not understand."}
REPLY_WITH = {"zh": "回复数字：", "en": "Reply with a number: "}
SEPARATOR = {"zh": "", "en": " "}
MAX_SEGMENTS = 2  # a reply costs the hotline at most two SMS
ECHO_CLIPS = (24, 16, 12, 8, 5)  # ever shorter echoed answers, tried in turn


def menu_lines(node: Node, language: str) -> str:
    """The choices of a menu as one compact numbered list."""
    if language == "zh":
        return " ".join(f"{c.key}{c.label.get('zh', c.value)}" for c in node.choices)
    return ", ".join(f"{c.key} {c.label.get(language, c.value)}" for c in node.choices)


def render_sms(flow: Flow, state: FlowState, turn: Turn, case_number: int | None,
               prefix: str = "") -> str:
    """The reply text for one step: a note, what was passed, then the question now waiting.

    A reply that echoes the worker's answers (the confirmation) can grow past MAX_SEGMENTS:
    a Chinese employer name in an English text makes it all UCS-2 (67 a part). Then the
    answers echoed are cut shorter until it fits (the full answers stay on the case)."""
    text = compose_sms(flow, state, turn, case_number, prefix)
    # The worker's own words are shortened first; menu labels, dates and numbers only if
    # that is not enough.
    for clip, clip_all in [(c, False) for c in ECHO_CLIPS] + [(c, True) for c in ECHO_CLIPS]:
        if count_segments(text).segments <= MAX_SEGMENTS:
            break
        text = compose_sms(flow, state, turn, case_number, prefix, clip, clip_all)
    return text


def compose_sms(flow: Flow, state: FlowState, turn: Turn, case_number: int | None,
                prefix: str = "", clip: int | None = None, clip_all: bool = False) -> str:
    """One rendering of the reply, answers echoed cut to `clip` characters (None: whole;
    the worker's own words only unless `clip_all`)."""
    lang = state.language
    number = str(case_number or "")
    parts = [prefix] if prefix else []
    if not turn.understood:
        parts.append(SORRY.get(lang, SORRY["zh"]))
    parts += [prompt_text(flow, node, state, number, channel="sms", clip=clip,
                          clip_all=clip_all) for node in turn.said]
    node = turn.waiting
    if node is not None:
        parts.append(prompt_text(flow, node, state, number, channel="sms", clip=clip,
                                 clip_all=clip_all))
        if node.type == "menu":
            parts.append(REPLY_WITH.get(lang, REPLY_WITH["zh"]) + menu_lines(node, lang))
    return SEPARATOR.get(lang, "").join(p for p in parts if p)
