"""A gettext-style catalogue: English text is the message id, Chinese is the translation.

Kept as data in `catalogue_zh.py` so a translator edits one file; no compile step (.mo) is needed.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Flask, g, request
from markupsafe import Markup

from hotline.replies import CATEGORY_NAMES
from hotline.web.catalogue_zh import ZH, ZH_ERRORS
from models import CaseCategory

LANGUAGES = ("zh", "en")
LANG_COOKIE = "lang"
STATUS_NAMES_ZH = {
    "new": "新案件", "offered": "已派单", "escalated": "待人工处理", "assigned": "已分配",
    "in_progress": "处理中", "resolved": "已解决", "referred": "已转介", "closed": "已结案",
    "pending": "待回复", "accepted": "已接受", "declined": "已拒绝", "expired": "已过期",
    "withdrawn": "已撤回",
    # a message's and a call's provider status (the timeline)
    "queued": "排队中", "sending": "发送中", "unknown": "结果未知", "sent": "已发送",
    "delivered": "已送达", "undelivered": "未送达", "failed": "失败", "received": "已收到",
    "ringing": "振铃中", "in-progress": "通话中", "completed": "已完成", "busy": "占线",
    "no-answer": "无人接听", "canceled": "已取消",
}


def current_language() -> str:
    """The UI language of this request: ?lang=, then the cookie, then Accept-Language."""
    cached: str | None = g.get("lang")
    if cached:
        return cached
    asked = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    lang = asked if asked in LANGUAGES else (
        request.accept_languages.best_match(LANGUAGES) or "zh")
    g.lang = lang
    return lang


def gettext(msgid: str, **values: Any) -> str:
    """Translate `msgid` to the request's language and fill in {placeholders}."""
    text = ZH.get(msgid, msgid) if current_language() == "zh" else msgid
    return text.format(**values) if values else text


@cache
def error_patterns() -> list[tuple[re.Pattern[str], str]]:
    """ZH_ERRORS compiled once."""
    return [(re.compile(pattern), zh) for pattern, zh in ZH_ERRORS]


def error_text(message: object) -> str:
    """An error made outside the web layer (a model, the CSV import, a merge) in the request's
    language: English as it is; in Chinese, every known English phrase in it translated."""
    text = str(message)
    if current_language() != "zh":
        return text
    for pattern, zh in error_patterns():
        text = pattern.sub(lambda match, zh=zh: fill(zh, match), text)  # type: ignore[misc]
    return text


def fill(zh: str, match: re.Match[str]) -> str:
    """The Chinese form with the English match's groups (statuses named in Chinese too)."""
    return zh.format(**{k: status_name(v) if k in ("old", "new", "status") else v
                        for k, v in match.groupdict().items()})


def category_name(category: CaseCategory | str) -> str:
    """A case category's human name in the request's language."""
    return CATEGORY_NAMES[current_language()].get(CaseCategory(category), str(category))


def category_label(value: str) -> str:
    """Like category_name, but an unknown value (a volunteer's free-text skill) is kept."""
    try:
        return category_name(CaseCategory(value))
    except ValueError:
        return value


def category_bars(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Category counts as chart rows, largest first."""
    return [(category_label(k), n) for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def weekday(index: int) -> str:
    """Day 0-6 (Monday first) as a short name."""
    return ("一二三四五六日"[index] if current_language() == "zh"
            else ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")[index])


def status_name(status: object) -> str:
    """A case or offer status's human name in the request's language."""
    value = str(status)
    if current_language() == "zh":
        return STATUS_NAMES_ZH.get(value, value)
    return value.replace("_", " ")


EVENT_NAMES = {
    "message_in": ("SMS in", "收到短信"), "message_out": ("SMS out", "发出短信"),
    "reply": ("auto reply", "自动回复"), "call": ("call", "电话"), "offer": ("offer", "派单"),
    "offer_answer": ("offer answer", "派单回复"), "status": ("status", "状态"),
    "routing": ("routing", "分派"), "note": ("note", "备注"), "transfer": ("transfer", "转交"),
    "collective": ("collective", "集体案件"), "survey": ("survey", "满意度"),
}


def event_name(kind: object) -> str:
    """A timeline entry kind's human name in the request's language."""
    en, zh = EVENT_NAMES.get(str(kind), (str(kind), str(kind)))
    return zh if current_language() == "zh" else en


def init_i18n(app: Flask) -> None:
    """Expose `_`, category and status names to templates; remember a ?lang= choice."""
    app.jinja_env.globals.update(_=gettext, category_name=category_name,
                                 status_name=status_name, current_language=current_language,
                                 category_bars=category_bars)
    app.jinja_env.filters.update(category_label=category_label, weekday=weekday,
                                 error_text=error_text)

    @app.after_request
    def remember_language(response: Any) -> Any:
        asked = request.args.get("lang")
        if asked in LANGUAGES:
            response.set_cookie(LANG_COOKIE, asked, max_age=365 * 86400, samesite="Lax",
                                httponly=True)
        return response


def nl2br(text: str) -> Markup:
    """Escape `text` and keep its line breaks (notes and SMS bodies)."""
    return Markup("<br>").join(Markup.escape(text).split("\n"))
