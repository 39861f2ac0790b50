"""The console's language: Flask-Babel with the gettext catalogues of hotline/translations.

English text is the message id; `_("Case %(number)s", number=n)` fills named placeholders.
The UI locale comes from ?lang=, then the cookie, then Accept-Language ("zh" is zh_Hans); a
locale is offered as soon as its catalogue exists.
"""

from __future__ import annotations

from typing import Any

import flask_babel
from babel import Locale
from babel.dates import get_timezone_location
from babel.support import NullTranslations
from flask import Flask, g, has_request_context, request
from markupsafe import Markup

from hotline.hours import days_words, hours_words
from hotline.replies import CATEGORIES
from hotline.translations import (
    DEFAULT_LOCALE,
    LANGUAGE_LOCALES,
    N_,
    NP_,
    locales,
    translations,
)
from ivr_flows.model import OfficeHours
from models import CaseCategory

LANG_COOKIE = "lang"
# What people and browsers ask for, mapped to a catalogue's locale (lower case, "-" or "_"):
# the same map as a contact's language.
ALIASES = LANGUAGE_LOCALES


# Shown from a variable: case, offer, message and call statuses (context "status")...
STATUS_NAMES = (NP_("status", "new"), NP_("status", "offered"), NP_("status", "escalated"),
                NP_("status", "assigned"), NP_("status", "in_progress"),
                NP_("status", "resolved"), NP_("status", "referred"), NP_("status", "closed"),
                NP_("status", "pending"), NP_("status", "accepted"), NP_("status", "declined"),
                NP_("status", "expired"), NP_("status", "withdrawn"), NP_("status", "queued"),
                NP_("status", "sending"), NP_("status", "unknown"), NP_("status", "sent"),
                NP_("status", "delivered"), NP_("status", "undelivered"), NP_("status", "failed"),
                NP_("status", "received"), NP_("status", "arrived"), NP_("status", "ringing"),
                NP_("status", "in-progress"), NP_("status", "completed"), NP_("status", "busy"),
                NP_("status", "no-answer"), NP_("status", "canceled"))
# ...campaign and recipient statuses, shown through _(status) on the campaign pages...
CAMPAIGN_STATUSES = (N_("draft"), N_("scheduled"), N_("sending"), N_("paused"), N_("done"),
                     N_("cancelled"), N_("pending"), N_("unknown"), N_("accepted"), N_("sent"),
                     N_("delivered"), N_("undelivered"), N_("failed"), N_("opted_out"))
# ...case categories: the entries the SMS replies name them by...
CATEGORY_NAMES = CATEGORIES
# ...the kinds of timeline entries...
EVENT_NAMES = {
    "message_in": NP_("event", "SMS in"), "message_out": NP_("event", "SMS out"),
    "reply": NP_("event", "auto reply"), "call": NP_("event", "call"),
    "offer": NP_("event", "offer"), "offer_answer": NP_("event", "offer answer"),
    "status": NP_("event", "status"), "routing": NP_("event", "routing"),
    "note": NP_("event", "note"), "transfer": NP_("event", "transfer"),
    "collective": NP_("event", "collective"), "survey": NP_("event", "survey"),
}
# ...and the days of the week, Monday first.
WEEKDAYS = (NP_("weekday", "Mon"), NP_("weekday", "Tue"), NP_("weekday", "Wed"),
            NP_("weekday", "Thu"), NP_("weekday", "Fri"), NP_("weekday", "Sat"),
            NP_("weekday", "Sun"))
# Weekly shifts, as the volunteer form and the volunteers list show them (shifts_text).
# The profile form shows a volunteer's shifts in the page's language and reads them back
# through models.volunteer.parse_shifts, which reads every form the entries below make (days
# as 周一..周日, 星期一..星期日, 礼拜一..礼拜天 or mon..sun; tests/test_volunteer_form_plain.py).
# TRANSLATORS: a day of a weekly shift as the volunteer form writes it and reads it back (周一).
# TRANSLATORS: between the items of a form field (dialects, shifts); the form reads ; ； 、 ，.
FORM_LIST_SEPARATOR = NP_("list", "; ")
# The time zones a volunteer picks from (stored as the zone's id): China first, then the
# places the hotline's volunteers answer from abroad. Any other zone (from a CSV import) is
# offered too while a volunteer has it.
TIMEZONES = (("Asia/Shanghai", N_("China (Beijing time)")),
             ("Asia/Hong_Kong", N_("Hong Kong")), ("Asia/Macau", N_("Macao")),
             ("Asia/Taipei", N_("Taipei")), ("Asia/Singapore", N_("Singapore")),
             ("Asia/Tokyo", N_("Japan")), ("Europe/London", N_("United Kingdom")),
             ("Europe/Berlin", N_("Central Europe (Berlin, Paris)")),
             ("America/New_York", N_("US East (New York)")),
             ("America/Los_Angeles", N_("US West (Los Angeles)")),
             ("Australia/Sydney", N_("Australia East (Sydney)")))


def supported(asked: str | None) -> str | None:
    """The catalogue locale for a language tag ("zh", "zh-TW", "zh_Hant", "en-US"), if any."""
    if not asked:
        return None
    tag = asked.strip().replace("_", "-").lower()
    by_lower = {loc.replace("_", "-").lower(): loc for loc in locales()}
    for candidate in (tag, ALIASES.get(tag, "").replace("_", "-").lower(), tag.split("-")[0]):
        if candidate in by_lower:
            return by_lower[candidate]
    base = ALIASES.get(tag.split("-")[0])  # zh-TW without a zh_Hant catalogue: zh_Hans
    return base if base in locales() else None


def ui_locale() -> str:
    """The catalogue locale of this request: ?lang=, then the cookie, then Accept-Language."""
    cached: str | None = g.get("lang")
    if cached:
        return cached
    locale = (supported(request.args.get("lang")) or supported(request.cookies.get(LANG_COOKIE))
              or next(filter(None, (supported(tag) for tag, _ in request.accept_languages)),
                      DEFAULT_LOCALE))
    g.lang = locale
    return locale


def other_languages() -> list[tuple[str, str]]:
    """(locale, its name in itself) for each locale the page can switch to: "English", "中文",
    or "中文 (繁體)" where two scripts of one language are offered."""
    offered = locales()
    names = []
    for locale in offered:
        if locale == ui_locale():
            continue
        language = Locale.parse(locale)
        same_language = [o for o in offered if o.split("_")[0] == language.language]
        name = language.display_name if len(same_language) > 1 else language.language_name
        names.append((locale, str(name)))
    return names


def current_language() -> str:
    """The request's language without its script ("zh" or "en"): picks content kept per
    language (reply texts, error pages)."""
    return ui_locale().split("_")[0]


def active_translations() -> NullTranslations:
    """The request's catalogue; English outside a request."""
    return translations(ui_locale()) if has_request_context() else NullTranslations()


class CatalogueDomain(flask_babel.Domain):
    """Flask-Babel's message domain, reading hotline/translations through its loader."""

    def get_translations(self) -> NullTranslations:
        """The catalogue of the request's locale."""
        return active_translations()


def gettext(msgid: str, **values: Any) -> str:
    """Translate `msgid` to the request's language and fill in its %(placeholders)s."""
    text = active_translations().ugettext(msgid)
    return text % values if values else text


def pgettext(context: str, msgid: str, **values: Any) -> str:
    """Translate `msgid` in `context` (a status, a category: short words that mean more than
    one thing) to the request's language."""
    text = active_translations().upgettext(context, msgid)
    return text % values if values else text


# Languages and spoken varieties by their code (models.volunteer.DIALECT_ALIASES' canonical
# keys), as a person names them (campaign texts, opt-outs, volunteers).
LANGUAGE_NAMES = {"zh": N_("Chinese"), "en": N_("English"),
                  "henan": N_("Henan dialect"), "jiangxi": N_("Jiangxi dialect"),
                  "cantonese": N_("Cantonese"), "sichuan": N_("Sichuan dialect"),
                  "hunan": N_("Hunan dialect"), "hakka": N_("Hakka"), "minnan": N_("Minnan"),
                  "guizhou": N_("Guizhou dialect"), "anhui": N_("Anhui dialect"),
                  "shandong": N_("Shandong dialect")}
def language_name(code: str) -> str:
    """A language code as a person names it in the request's language ("zh" -> 中文); a
    code without a name stays as it is."""
    name = LANGUAGE_NAMES.get(code)
    return gettext(name) if name else code


def category_name(category: CaseCategory | str) -> str:
    """A case category's human name in the request's language."""
    msgid = CATEGORY_NAMES.get(CaseCategory(category))
    return pgettext("category", msgid) if msgid else str(category)


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
    return pgettext("weekday", WEEKDAYS[index])


def days_text(days: list[int]) -> str:
    """A shift's days in the page's language: 'Mon-Fri', 'Sat, Sun' (周一至周五, 周六、周日)."""
    return days_words(days, pgettext)


def hours_text(hours: OfficeHours) -> str:
    """Office hours in the page's language: 'Mon-Sat 09:00-21:00' (周一至周六 09:00-21:00)."""
    return hours_words(hours, pgettext)


def shifts_text(shifts: list[dict[str, Any]] | None) -> str:
    """Shifts as the form shows them in the page's language, and reads them back:
    'Mon-Fri 09:00-18:00; Sat 10:00-14:00' (周一至周五 09:00-18:00；周六 10:00-14:00)."""
    return pgettext("list", FORM_LIST_SEPARATOR).join(
        f"{days_text(s['days'])} {s['start']}-{s['end']}" for s in shifts or [])


def timezone_name(zone: str) -> str:
    """A time zone a volunteer answers from, as a place in the page's language ("China
    (Beijing time)", 中国（北京时间）); one not offered on the form by Babel's name for it."""
    known = dict(TIMEZONES)
    if zone in known:
        return gettext(known[zone])
    try:
        return str(get_timezone_location(zone, locale=ui_locale()))
    except LookupError:
        return zone


def status_name(status: object) -> str:
    """A case, offer, message or call status's human name in the request's language."""
    value = str(status)
    translated = active_translations().upgettext("status", value)
    return value.replace("_", " ") if translated == value else translated


def event_name(kind: object) -> str:
    """A timeline entry kind's human name in the request's language."""
    msgid = EVENT_NAMES.get(str(kind))
    return pgettext("event", msgid) if msgid else str(kind)


def init_i18n(app: Flask) -> None:
    """Flask-Babel on `app` (`_`, `gettext`, `pgettext` in templates), category and status
    names for templates; remember a ?lang= choice."""
    babel = flask_babel.Babel(app, locale_selector=ui_locale, default_domain="messages")
    babel.domain_instance = CatalogueDomain()
    # Flask-Babel finds its domain through `g`, and an empty `g` reads as "no request": the
    # templates ask the request's catalogue directly (new-style: %(name)s filled, escaped).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: active_translations().ugettext(s),
        ngettext=lambda s, p, n: active_translations().ungettext(s, p, n),
        pgettext=lambda c, s: active_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: active_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(category_name=category_name, status_name=status_name,
                                 current_language=current_language, ui_locale=ui_locale,
                                 other_languages=other_languages,
                                 category_bars=category_bars, language_name=language_name,
                                 timezone_name=timezone_name)
    app.jinja_env.filters.update(category_label=category_label, weekday=weekday,
                                 shifts_text=shifts_text)

    @app.after_request
    def remember_language(response: Any) -> Any:
        asked = request.args.get("lang")
        if supported(asked):
            response.set_cookie(LANG_COOKIE, str(asked), max_age=365 * 86400, samesite="Lax",
                                httponly=True)
        return response


def nl2br(text: str) -> Markup:
    """Escape `text` and keep its line breaks (notes and SMS bodies)."""
    return Markup("<br>").join(Markup.escape(text).split("\n"))
