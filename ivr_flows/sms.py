"""SMS renderer: a Turn as one short text; menus become a numbered list ('1欠薪 2工伤 …').

On a template carrier (Alibaba) an answer echoed back is one template variable, which the
carrier refuses past 35 characters: there a longer answer is cut to its first 30, between whole
graphemes, and "…" (the whole answer stays on the case).
"""

from __future__ import annotations

from flask import current_app, has_app_context

from hotline.translations import NP_, translate
from ivr_flows.engine import (
    FlowState,
    Turn,
    display_answers,
    own_words,
    prompt_text,
    sentence_gap,
    writes_chinese,
)
from ivr_flows.model import Flow, Node
from notifications.providers import requires_templates
from notifications.segments import count_segments, graphemes
from notifications.template_rules import MAX_VARIABLE_CHARS

# The engine's own words around a flow's questions (the gettext catalogue, context "sms").
SORRY = NP_("sms", "Sorry, I did not understand.")
REPLY_WITH = NP_("sms", "Reply with a number:")
MAX_SEGMENTS = 2  # a reply costs the hotline at most two SMS
ECHO_CLIPS = (24, 16, 12, 8, 5)  # ever shorter echoed answers, tried in turn
# A template carrier carries each echoed answer as one variable (Alibaba: at most 35
# characters): a longer one is cut to its first 30 and "…", so the worker still knows it.
CARRIER_ECHO_KEEP = 30
ELLIPSIS = "…"


def engine_words(lang: str, text: str) -> str:
    """One of the engine's own SMS words (SORRY, REPLY_WITH) in `lang`."""
    return translate(lang, text, "sms")


def carrier_limit() -> int | None:
    """The most characters one echoed answer may have on the app's carrier: a template
    carrier's variable limit; None where texts go as written (Twilio) or outside an app."""
    if not has_app_context():
        return None
    return (MAX_VARIABLE_CHARS if requires_templates(str(current_app.config.get(
        "HOTLINE_PROVIDER", ""))) else None)


def carrier_size(value: str) -> int:
    """Characters as a carrier may count them: UTF-16 units (an emoji beyond the BMP counts
    two), never fewer than Python's code points, so a value that fits here fits there."""
    return len(value.encode("utf-16-le")) // 2


def clip_graphemes(value: str, limit: int, keep: int | None = None) -> str:
    """`value` if it has at most `limit` characters, else its first whole graphemes within
    `keep` (limit - 1 by default) and "…" ("..." in ASCII words): an emoji sequence, flag or
    skin tone is never cut."""
    if carrier_size(value) <= limit:
        return value
    # "..." in plain ASCII words, so an English text does not turn UCS-2 for one character.
    mark = "..." if value.isascii() else ELLIPSIS
    budget = min(limit, keep + 1 if keep is not None else limit) - len(mark)
    kept: list[str] = []
    size = 0
    clusters = graphemes(value)
    for cluster in clusters:
        size += carrier_size(cluster)
        if size > budget:
            break
        kept.append(cluster)
    cut = "".join(kept)
    # Latin words are cut at a space when one is near ("Happy Prosperous" → "Happy…").
    after = clusters[len(kept)] if len(kept) < len(clusters) else ""
    if (cut[-1:] + after).isascii() and cut[-1:].isalnum() and after.isalnum() and (
            " " in cut[-12:]):
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip() + mark


def menu_lines(node: Node, language: str) -> str:
    """The choices of a menu as one compact numbered list."""
    if writes_chinese(language):
        return " ".join(f"{c.key}{c.label.get(language, c.value)}" for c in node.choices)
    return ", ".join(f"{c.key} {c.label.get(language, c.value)}" for c in node.choices)


def render_sms(flow: Flow, state: FlowState, turn: Turn, case_number: int | None,
               prefix: str = "") -> str:
    """The reply text for one step: a note, what was passed, then the question now waiting.

    A reply that echoes the worker's answers (the confirmation) can grow past MAX_SEGMENTS:
    a Chinese employer name in an English text makes it all UCS-2 (67 a part). Then the
    answers echoed are cut shorter until it fits (the full answers stay on the case). On a
    template carrier every answer echoed is a variable of its own, so each is first cut to
    the carrier's limit, always between whole graphemes."""
    limit = carrier_limit()
    text = compose_sms(flow, state, turn, case_number, prefix, limit=limit)
    # The worker's own words are shortened first; menu labels, dates and numbers only if
    # that is not enough.
    for clip, clip_all in [(c, False) for c in ECHO_CLIPS] + [(c, True) for c in ECHO_CLIPS]:
        if count_segments(text).segments <= MAX_SEGMENTS:
            break
        text = compose_sms(flow, state, turn, case_number, prefix, clip, clip_all, limit)
    return text


def compose_sms(flow: Flow, state: FlowState, turn: Turn, case_number: int | None,
                prefix: str = "", clip: int | None = None, clip_all: bool = False,
                limit: int | None = None) -> str:
    """One rendering of the reply, answers echoed cut to `clip` characters (None: whole;
    the worker's own words only unless `clip_all`), each to `limit` (a template carrier's
    variable) in any case."""
    lang = state.language
    number = str(case_number or "")
    parts = [prefix] if prefix else []
    if not turn.understood:
        parts.append(engine_words(lang, SORRY))
    parts += [sms_prompt(flow, node, state, number, clip, clip_all, limit)
              for node in turn.said]
    node = turn.waiting
    if node is not None:
        parts.append(sms_prompt(flow, node, state, number, clip, clip_all, limit))
        if node.type == "menu":
            parts.append(sentence_gap(lang).join([engine_words(lang, REPLY_WITH),
                                                  menu_lines(node, lang)]))
    return sentence_gap(lang).join(p for p in parts if p)


def sms_prompt(flow: Flow, node: Node, state: FlowState, number: str, clip: int | None,
               clip_all: bool, limit: int | None) -> str:
    """A node's SMS prompt filled in: as the engine words it (limit None: a carrier taking
    text as written), or with each answer echoed cut between graphemes to fit `limit`."""
    if limit is None:
        return prompt_text(flow, node, state, number, channel="sms", clip=clip,
                           clip_all=clip_all)
    lang = state.language
    texts = node.sms_prompt or node.prompt
    template = texts.get(lang) or texts.get(flow.languages[0], "")
    values = {}
    for name, value in display_answers(flow, state.answers, lang).items():
        value = clip_graphemes(value, limit, CARRIER_ECHO_KEEP)
        if clip is not None and (clip_all or own_words(name, state.answers)):
            value = clip_graphemes(value, clip)
        values[name] = value
    return template.format(case_number=number, **values)
