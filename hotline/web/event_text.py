"""Timeline texts in the request's language: the system writes them in English (one language in
the database); the Chinese UI shows them through the ZH_EVENTS patterns, translated at render.

A worker's or volunteer's message and a staff or volunteer note are their own words: never
translated (nor is the auto reply, which is the text the worker received).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

from hotline.phones import mask_numbers_in
from hotline.replies import CATEGORY_NAMES
from hotline.web.catalogue_events_zh import TRANSLATED_GROUPS, ZH_EVENT_WORDS, ZH_EVENTS
from hotline.web.i18n import STATUS_NAMES_ZH, current_language

STATUS_GROUPS = frozenset({"old", "new", "status"})
# Intake answers as the flow store writes them: "category=wages, employer=某厂".
ANSWER = re.compile(r"(?:^|, )(?P<k>[a-z_]+)=(?P<v>.*?)(?=, [a-z_]+=|$)", re.DOTALL)
CATEGORY_ZH = {str(k): v for k, v in CATEGORY_NAMES["zh"].items()}


@cache
def event_patterns() -> list[tuple[re.Pattern[str], str]]:
    """ZH_EVENTS compiled once."""
    return [(re.compile(pattern, re.DOTALL), zh) for pattern, zh in ZH_EVENTS]


def event_text(event: object) -> str:
    """Jinja filter: a timeline entry's text in the request's language (English as stored)."""
    text = str(getattr(event, "text", "") or "")
    if str(getattr(event, "kind", "")) == "message_out":
        # Send notes name the recipient; rows written before they were masked at the
        # source must not show a full number either (volunteers read this timeline).
        text = mask_numbers_in(text)
    if current_language() != "zh" or not is_system_text(event):
        return text
    return zh_event(text) or text


def is_system_text(event: object) -> bool:
    """False for people's own words: messages in, auto replies, notes without system data."""
    kind = str(getattr(event, "kind", ""))
    if kind in ("message_in", "reply"):
        return False
    return kind != "note" or bool(getattr(event, "data", None))


@lru_cache(maxsize=4096)
def zh_event(text: str) -> str | None:
    """The Chinese form of a system event text; None if no pattern matches all of it."""
    for pattern, zh in event_patterns():
        match = pattern.fullmatch(text)
        if match:
            return zh.format(**{k: zh_group(k, v or "") for k, v in match.groupdict().items()})
    return None


def zh_group(name: str, value: str) -> str:
    """One matched part in Chinese: a status, a nested system text or word, answers, or as is."""
    if name in STATUS_GROUPS:
        return STATUS_NAMES_ZH.get(value, value)
    if name == "answers":
        return zh_answers(value)
    if name in TRANSLATED_GROUPS:
        return zh_word(value) or zh_event(value) or value
    return value


def zh_word(value: str) -> str | None:
    """A single known word (key, channel, field name, category) in Chinese."""
    return ZH_EVENT_WORDS.get(value) or CATEGORY_ZH.get(value)


def zh_answers(value: str) -> str:
    """'category=wages, employer=某厂' as '类别：欠薪，用人单位：某厂' (answers themselves kept)."""
    pairs = list(ANSWER.finditer(value))
    if not pairs or pairs[0].start() != 0:
        return value
    return "，".join(
        f"{ZH_EVENT_WORDS.get(m['k'], m['k'])}："
        f"{CATEGORY_ZH.get(m['v'], m['v']) if m['k'] == 'category' else m['v']}"
        for m in pairs)
