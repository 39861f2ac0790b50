"""Texts the code writes in English, shown in the reader's language: errors raised outside
the web layer (a model, the CSV import, a merge) and the audit log's details.

Each known English text is a message id whose placeholders become the parts that vary
(`english_pattern`); a text found in an error or an audit detail is replaced by its
translation with those parts filled in.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from functools import cache

from flask import Flask, has_request_context

from hotline.translations import N_, NP_, SOURCE_LOCALE, translations
from hotline.web.i18n import (
    category_label,
    gettext,
    language_name,
    pgettext,
    status_name,
    ui_locale,
)

# Errors made outside the web layer (a model, the CSV import, a merge) reach pages in English:
# each message id below is matched anywhere in such an error (its placeholders as the parts
# that vary, shaped by PARTS) and replaced by its translation.
ERRORS = (
    # case lifecycle (models.case.InvalidTransition, hotline.web.casework)
    N_("case %(n)s: %(old)s -> %(new)s is not allowed"),
    N_("case %(n)s is %(finished)s"),
    # merging (hotline.casework_merge)
    N_("case #%(n)s cannot be merged into itself"),
    N_("case #%(n)s is already closed"),
    N_("case #%(n)s is closed; merge into an open case"),
    N_("cases #%(a)s and #%(b)s are of different workers and not of the same collective "
       "dispute"),
    N_("case #%(n)s is the collective dispute of %(m)s case(s); merge case #%(s)s into it "
       "instead"),
    N_("case not found"),
    # consent (hotline.consent)
    N_("consent source longer than %(n)s characters"),
    # volunteer CSV import and profile form (hotline.volunteer_import, models.volunteer)
    N_("required column(s) missing"),
    N_("unknown column (known: %(columns)s)"),
    N_("same phone as line %(line)s"),
    N_("name is empty"),
    N_("unknown language %(quoted)s (zh, en, or a dialect in dialects)"),
    N_("unknown skill(s) %(skills)s; use %(known)s"),
    N_("capacity must be a whole number 1-%(max)s, not %(quoted)s"),
    N_("on_duty must be yes/no, not %(quoted)s"),
    N_("unknown time zone %(quoted)s (use e.g. Asia/Shanghai)"),
    N_("unknown day %(quoted)s (use mon..sun or 周一..周日)"),
    N_("shift %(quoted)s is not like 'mon-fri 09:00-18:00'"),
    N_("bad time %(time)s in shift %(quoted)s"),
    N_("empty phone number"),
    N_("phone number too long (%(n)s characters)"),
    N_("not a possible phone number: %(quoted)s"),
    N_("not a phone number: %(quoted)s (%(detail)s)"),
    N_("belongs to a volunteer of another organisation"),
    N_("must be blank or %(org)s"),
    N_("unknown organisation"),
    # reading CSV files (notifications.csv_rows)
    N_("the file is neither UTF-8 nor GB18030 text (byte %(b)s): save it as CSV (UTF-8) and "
       "try again"),
    N_("the file holds binary data (NUL bytes): is it an Excel .xlsx? save it as CSV (UTF-8) "
       "and try again"),
    N_("lines %(a)s-%(b)s read as one row: a quote (\") is not closed; fix it and import these "
       "lines again"),
    N_("binary data (NUL byte) in this row"),
    N_("unreadable CSV row: %(error)s"),
    # the contact importer (notifications.contact_import)
    N_("not a mainland China mobile number: %(number)s"),
    N_("not a valid phone number: %(number)s"),
    N_("not a mobile number (SMS cannot reach it): %(number)s"),
    N_("more fields than the header has columns"),
    N_("not a language code (zh, en, ...)"),
    N_("unknown time zone (e.g. Asia/Shanghai)"),
    N_("tag longer than %(n)s characters"),
    N_("longer than %(n)s characters"),
    N_("unreadable row"),
    N_("the file is empty (no header row)"),
    N_("unknown column %(quoted)s; known: %(columns)s"),
    N_("column %(quoted)s repeats %(other)s"),
    N_("no phone column (phone / 手机号)"),
    # composing and starting a campaign (notifications.campaigns.compose, .rendering): the
    # inner phrases first, so "<language> text: <phrase>" finds them translated
    N_("a campaign needs at least one text"),
    N_("unbalanced brace: write {{ or }} for a literal one"),
    N_("unknown placeholder(s) %(names)s; known: %(known)s"),
    N_("no text in the default language %(language)s"),
    N_("%(language)s text is longer than %(n)s characters"),
    N_("%(language)s text: %(error)s"),
    N_("the audience is empty"),
    N_("quiet hours must look like 21:00-08:00, not %(quoted)s"),
)
# The shape of each placeholder in an English text; any other is "one or more characters".
PARTS = {
    "n": r"-?\d+", "m": r"\d+", "a": r"\d+", "b": r"\d+", "s": r"\d+", "c": r"\d+",
    "e": r"\d+", "k": r"\d+", "id": r"\d+", "line": r"\d+", "max": r"\d+", "round": r"\d+",
    "old": r"[\w-]+", "new": r"[\w-]+", "status": r"[\w-]+",
    "finished": r"resolved|referred|closed",
    "score": r"-?[\d.]+", "amount": r"[\d.]+", "due": r"[\d-]+", "number": r"\S+",
    "quoted": r"'[^']*'|\"[^\"]*\"", "other": r"'[^']*'", "time": r"'[^']*'",
    "known": r"[a-z_, ]+", "text": ".*", "note": ".*", "error": ".*",
    # a language a campaign can be written in, never the end of an English word ("the")
    "language": r"(?<![A-Za-z])(?:zh|en)(?:_[A-Za-z]+)?",
}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
STATUS_PARTS = frozenset({"old", "new", "status", "finished"})


def english_pattern(msgid: str, parts: Mapping[str, str] = PARTS, *,
                    free: str = ".+?") -> re.Pattern[str]:
    """The regular expression matching the English texts `msgid` makes: its words as they are,
    each placeholder a named group of the shape in `parts` (else `free`; the last one greedy,
    so a search takes all of it)."""
    pieces, last = [], 0
    names = PLACEHOLDER.findall(msgid)
    for i, match in enumerate(PLACEHOLDER.finditer(msgid)):
        name = match[1]
        shape = parts.get(name) or (free.rstrip("?") if i == len(names) - 1 else free)
        pieces += [re.escape(msgid[last:match.start()].replace("%%", "%")),
                   f"(?P<{name}>{shape})"]
        last = match.end()
    pieces.append(re.escape(msgid[last:].replace("%%", "%")))
    return re.compile("".join(pieces), re.DOTALL)


@cache
def error_patterns() -> list[tuple[re.Pattern[str], str]]:
    """ERRORS as (English pattern, message id), compiled once."""
    return [(english_pattern(msgid), msgid) for msgid in ERRORS]


def error_text(message: object) -> str:
    """An error made outside the web layer in the request's language: English as it is;
    otherwise every known English phrase in it translated."""
    text = str(message)
    if not has_request_context() or ui_locale() == SOURCE_LOCALE:
        return text
    catalogue = translations(ui_locale())
    for pattern, msgid in error_patterns():
        translated = catalogue.ugettext(msgid)
        if translated != msgid:
            text = pattern.sub(lambda m, t=translated: fill(t, m), text)  # type: ignore[misc]
    return text


def fill(translated: str, match: re.Match[str]) -> str:
    """The translation with the English match's parts (statuses and languages named in the
    request's language too)."""
    return translated % {k: status_name(v) if k in STATUS_PARTS
                         else language_name(v) if k == "language" else v
                         for k, v in match.groupdict().items()}


# What the audit log's detail column says: the views and the CLI write it in English (one
# language in the database); an erasure writes its counts as JSON.
AUDIT_DETAILS = (
    NP_("audit", "monthly report %(month)s"),
    NP_("audit", "consent log: %(n)s rows"),
    NP_("audit", "opt-out list: %(n)s rows"),
    NP_("audit", "SMS template drafts: %(n)s rows"),
    NP_("audit", "SMS template reviews from %(file)s: %(added)s added, %(updated)s updated, "
                 "%(rejected)s rejected"),
    NP_("audit", "registered SMS template %(code)s"),
    NP_("audit", "cli %(what)s of %(org)s: %(n)s rows"),
    NP_("audit", "cli %(what)s: %(n)s rows"),
    NP_("audit", "own password changed"),
    NP_("audit", "created %(role)s account %(username)s"),
    NP_("audit", "changed account %(username)s"),
    NP_("audit", "new password for %(username)s"),
    NP_("audit", "enabled account %(username)s"),
    NP_("audit", "disabled account %(username)s"),
    NP_("audit", "%(file)s: %(created)s new, %(updated)s updated, %(rejected)s rejected, "
                 "consent recorded for %(consent)s"),
    NP_("audit", "%(file)s: %(created)s new, %(updated)s updated, %(rejected)s rejected"),
    NP_("audit", "sorted as %(category)s"),
    NP_("audit", "case opened from a text"),
    NP_("audit", "text added from the inbox"),
    NP_("audit", "text dismissed from the inbox"),
    NP_("audit", "changed %(fields)s"),
    NP_("audit", "web export"),
    NP_("audit", "cli export"),
    NP_("audit", "not erased: the provider did not delete a recording"),
)
AUDIT_PARTS = {**PARTS, "created": r"\d+", "updated": r"\d+", "rejected": r"\d+",
               "consent": r"\d+", "added": r"\d+", "code": r"[A-Za-z0-9_-]+",
               "month": r"\d{4}-\d{2}",
               "role": r"admin|staff|volunteer",
               "what": r"consent log|opt-out list", "username": r"\S+"}
CLI_EXPORTS = (NP_("audit", "consent log"), NP_("audit", "opt-out list"))
ROLE_NAMES = {"admin": N_("administrator"), "staff": N_("staff"), "volunteer": N_("volunteer")}
# The counts of an erasure (hotline.privacy.ErasureReport), one "what: how many" each.
ERASED_COUNTS = {
    "contacts": NP_("audit", "workers"), "cases": NP_("audit", "cases"),
    "messages": NP_("audit", "text messages"), "calls": NP_("audit", "phone calls"),
    "events": NP_("audit", "timeline entries"),
    "recordings_deleted": NP_("audit", "recordings deleted"),
    "recordings_kept_by_provider": NP_("audit", "recordings left at the provider"),
}
# TRANSLATORS: one count of an erasure in the audit log ("cases: 2").
ERASED_COUNT = NP_("audit", "%(what)s: %(n)s")
# TRANSLATORS: what separates the items of a list in a sentence ("cases: 2, calls: 1").
LIST_SEPARATOR = NP_("list", ", ")


@cache
def audit_patterns() -> list[tuple[re.Pattern[str], str]]:
    """AUDIT_DETAILS as (English pattern, message id), compiled once."""
    return [(english_pattern(msgid, AUDIT_PARTS), msgid) for msgid in AUDIT_DETAILS]


def audit_detail(detail: str | None) -> str:
    """Jinja filter: an audit entry's detail in the request's language (as written if it is no
    known text: a name, or a detail written before its text had a message id)."""
    text = detail or ""
    if text.startswith("{"):
        return erased_counts(text)
    for pattern, msgid in audit_patterns():
        match = pattern.fullmatch(text)
        if match:
            return pgettext("audit", msgid) % {k: audit_part(k, v)
                                               for k, v in match.groupdict().items()}
    return text


def audit_part(name: str, value: str) -> str:
    """One part of an audit detail in the request's language (names and numbers as they are)."""
    if name == "role":
        return gettext(ROLE_NAMES[value])
    if name == "what":
        return pgettext("audit", value)
    if name == "category":
        return category_label(value)
    if name == "fields":  # the timeline's words for a case's facts
        return pgettext("list", LIST_SEPARATOR).join(
            pgettext("timeline", word) for word in value.split(", "))
    return value


def erased_counts(text: str) -> str:
    """An erasure's counts ('{"cases": 2, "calls": 1}') as words; other JSON as it is."""
    try:
        counts = json.loads(text)
    except ValueError:
        return text
    if not isinstance(counts, dict):
        return text
    return pgettext("list", LIST_SEPARATOR).join(
        pgettext("audit", ERASED_COUNT) % {
            "what": pgettext("audit", ERASED_COUNTS[k]) if k in ERASED_COUNTS else k, "n": n}
        for k, n in counts.items() if n)


def register_filters(app: Flask) -> None:
    """The templates' `error_text` and `audit_detail` filters."""
    app.jinja_env.filters.update(error_text=error_text, audit_detail=audit_detail)
