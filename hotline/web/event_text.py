"""Timeline texts in the request's language: the system writes them in English (one language in
the database); the console shows them translated at render through the catalogue.

Each system text is a message id of EVENTS (context "timeline"): its English side, with the
placeholders as the parts that vary, is also the pattern that recognises a stored text. A
worker's or volunteer's message and a staff or volunteer note are their own words: never
translated (nor is the auto reply, which is the text the worker received).
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from pathlib import Path

from flask import has_request_context

from hotline.legal_clocks import load_rules
from hotline.phones import mask_numbers_in
from hotline.translations import SOURCE_LOCALE, catalogue_directory, translations
from hotline.web.english_texts import PARTS, STATUS_PARTS, english_pattern
from hotline.web.i18n import CATEGORY_NAMES, NP_, ui_locale
from ivr_flows.store import NOT_KNOWN
from models import CaseCategory

# Placeholders whose value is translated again: a known word (a key, channel, field name,
# category) or a nested system text. Any other is kept as written (names, numbers, words).
TRANSLATED_PARTS = frozenset({"note", "reason", "why", "key", "channel", "node", "field",
                              "source", "choice", "was_word", "now_word"})
EVENT_PARTS = {**PARTS, "choice": "|".join(map(re.escape, (
    "category", "urgency", "approximate count", "still employed", "in hospital",
    "employer pays treatment", "injury claim filed", "written contract"))),
    "was_word": "[^”]*", "now_word": "[^”]*"}
# Intake answers as the flow store writes them: "category=wages, employer=某厂".
ANSWER = re.compile(r"(?:^|, )(?P<k>[a-z_]+)=(?P<v>.*?)(?=, [a-z_]+=|$)", re.DOTALL)
CONTEXT = "timeline"

# In the order they are tried: a text matching two (a status change with a note) takes the
# first. tests/test_timeline_i18n.py finds every timeline text the code writes and fails
# when none of these matches it.
EVENTS = (
    NP_("timeline", "volunteer → worker: %(text)s"),
    NP_("timeline", "staff → worker: %(text)s"),
    NP_("timeline", "case opened by SMS"),
    NP_("timeline", "case opened by phone call"),
    NP_("timeline", "case opened by phone call (a new problem; the worker's case #%(n)s "
                    "stays as it is)"),
    NP_("timeline", "%(old)s → %(new)s: %(note)s"),
    NP_("timeline", "%(old)s → %(new)s"),
    NP_("timeline", "assigned to %(name)s"),
    NP_("timeline", "no pending offers left"),
    NP_("timeline", "transfer"),
    NP_("timeline", "transferred to %(name)s"),
    NP_("timeline", "re-queued by staff"),
    NP_("timeline", "worked with collective case #%(n)s"),
    NP_("timeline", "with collective case #%(n)s"),
    NP_("timeline", "talked live with %(name)s"),
    NP_("timeline", "merged into #%(n)s"),
    NP_("timeline", "volunteer contacted the worker"),
    NP_("timeline", "no volunteer accepted after %(n)s tries"),
    NP_("timeline", "no eligible volunteer"),
    NP_("timeline", "no update %(n)s days after reminder"),
    NP_("timeline", "no staff could be texted (%(key)s): nobody is on duty with a phone and"
                    " STAFF_NUMBERS is empty"),
    # before the general form below, which would take it
    NP_("timeline", "urgent: routed while the intake goes on"),
    NP_("timeline", "urgent: %(reason)s"),
    NP_("timeline", "%(n)s workers affected"),
    NP_("timeline", "round %(round)s: offered to %(k)s of %(n)s eligible"),
    NP_("timeline", "queue: %(org)s (%(why)s)"),
    NP_("timeline", "work city %(place)s is in its region %(region)s"),
    NP_("timeline", "work province %(place)s is in its region %(region)s"),
    NP_("timeline", "no organisation's region matches and no DEFAULT_ORGANISATION"),
    NP_("timeline", "reassigned to %(name)s (#%(id)s) by staff"),
    NP_("timeline", "offered to %(name)s (#%(id)s), score %(score)s"),
    NP_("timeline", "declined by %(name)s"),
    NP_("timeline", "accepted by %(name)s"),
    NP_("timeline", "offer expired unanswered"),
    NP_("timeline", "transferred from %(source)s to %(to)s: %(text)s"),
    NP_("timeline", "collective dispute: %(n)s workers name %(employer)s"),
    NP_("timeline", "linked to collective case #%(n)s"),
    NP_("timeline", "case #%(n)s joined"),
    NP_("timeline", "satisfaction survey not sent: %(reason)s"),
    NP_("timeline", "satisfaction survey sent"),
    NP_("timeline", "satisfaction %(score)s/5"),
    NP_("timeline", "recipient opted out"),
    NP_("timeline", "recipient opted out and has not texted since"),
    NP_("timeline", "outcome: %(status)s, recovered ¥%(amount)s: %(text)s"),
    NP_("timeline", "outcome: %(status)s, recovered ¥%(amount)s"),
    NP_("timeline", "outcome: %(status)s: %(text)s"),
    NP_("timeline", "outcome: %(status)s"),
    NP_("timeline", "reminder sent to %(name)s: %(key)s"),
    NP_("timeline", "intake (%(channel)s): no usable answer, fallback"),
    NP_("timeline", "intake (%(channel)s) %(answers)s"),
    NP_("timeline", "understood from the first text: %(answers)s"),
    NP_("timeline", "intake finished by SMS"),
    NP_("timeline", "intake finished by phone"),
    NP_("timeline", "SMS intake ended unfinished (no reply for 24 h)"),
    NP_("timeline", "intake by phone ended: %(status)s"),
    NP_("timeline", "SMS intake resumed at '%(node)s'"),
    NP_("timeline", "case #%(n)s merged into this case: %(m)s message(s), %(c)s call(s), "
                    "%(e)s timeline entries moved"),
    NP_("timeline", "incoming call"),
    NP_("timeline", "incoming call (continues this case)"),
    NP_("timeline", "the worker called about a new problem: case #%(n)s"),
    NP_("timeline", "live transfer answered by %(name)s"),
    NP_("timeline", "call ended (%(status)s) at step '%(node)s'"),
    NP_("timeline", "recording ready (%(node)s)"),
    NP_("timeline", "%(field)s: said on a recording, not understood by speech recognition; "
                    "play it on the case page"),
    NP_("timeline", "%(name)s asked for a call to the worker"),
    NP_("timeline", "bridge call failed: %(error)s"),
    NP_("timeline", "hotline is ringing the volunteer"),
    NP_("timeline", "volunteer answered; dialling the worker"),
    NP_("timeline", "worker call %(status)s, %(s)ss"),
    NP_("timeline", "worker call %(status)s"),
    NP_("timeline", "forwarded to volunteer %(name)s"),
    NP_("timeline", "voicemail announced to volunteer %(name)s"),
    NP_("timeline", "not sent: %(reason)s"),
    NP_("timeline", "sent to %(to)s (%(n)s segment(s), %(sid)s)"),
    NP_("timeline", "provider busy (%(error)s); retrying in %(s)ss"),
    NP_("timeline", "outcome unknown (%(error)s); will be reconciled, not resent"),
    NP_("timeline", "send failed: %(error)s"),
    NP_("timeline", "send confirmed by the provider (%(sid)s, %(status)s)"),
    NP_("timeline", "offer SMS never reached the provider; not sent late"),
    NP_("timeline", "the provider never received this message; sending it again"),
    NP_("timeline", "case opened by staff"),
    NP_("timeline", "case opened by staff from a text in the inbox"),
    NP_("timeline", "a text from the inbox was added to this case"),
    NP_("timeline", "the worker wrote after the case was %(status)s; it stays as it is "
                    "until someone reopens it"),
    NP_("timeline", "reopened"),
    NP_("timeline", "reopened; its volunteer is not on duty"),
    NP_("timeline", "waiting for staff to sort: the worker has not said what the problem "
                    "is, so no volunteer is asked yet"),
    NP_("timeline", "sorted as %(key)s (was %(why)s)"),
    NP_("timeline", "sorted as %(key)s"),
    # a worker's words forwarded to the volunteer on a template carrier (notifications.worker_words)
    NP_("timeline", "the worker's text was not forwarded to the volunteer by SMS: %(reason)s"),
    NP_("timeline", "the carrier cannot carry the worker's words as written (%(why)s): the "
                    "volunteer was texted to read them in the hotline inbox"),
    NP_("timeline", "no approved %(provider)s template carries the forward or its notice "
                    "(hotline templates list shows what is missing)"),
    NP_("timeline", "longer than %(n)s characters"),
    # a staff correction of a case (hotline.web.case_edit): choices translated, words kept;
    # the timeline names who made it beside it (the entry's actor)
    # TRANSLATORS: follows the staff member's name (李四 把类别从“欠薪”改为“工伤”).
    NP_("timeline", "changed %(choice)s from “%(was_word)s” to “%(now_word)s”"),
    # TRANSLATORS: follows the staff member's name (李四 把被欠工资从“¥3,000”改为“¥5,000”).
    NP_("timeline", "changed %(field)s from “%(was)s” to “%(now)s”"),
    # legal-deadline reminders (hotline.legal_clocks); %(key)s is a rule's title
    NP_("timeline", "legal deadline reminder sent to staff (nobody holds the case): %(key)s"
                    " ends %(due)s (%(n)s days left)"),
    NP_("timeline", "legal deadline reminder sent to %(name)s: %(key)s ends %(due)s (%(n)s "
                    "days left)"),
    NP_("timeline", "legal deadline passed while the case was open: %(key)s ended %(due)s; "
                    "staff alerted"),
)

# Single words inside event texts: alert and reminder keys, channels, intake field names, and
# the field names and choices of a staff correction.
WORDS = (
    NP_("timeline", "empty"), NP_("timeline", "a link"), NP_("timeline", "words the carrier bans"),
    NP_("timeline", "symbols the carrier refuses"), NP_("timeline", "no approved template"),
    NP_("timeline", "staff_escalation"), NP_("timeline", "staff_transfer"),
    NP_("timeline", "staff_collective"), NP_("timeline", "deadline_reminder"),
    NP_("timeline", "monthly_reminder"), NP_("timeline", "staff_triage"),
    NP_("timeline", "staff_legal_deadline"), NP_("timeline", "staff_legal_deadline_passed"),
    NP_("timeline", "sms"), NP_("timeline", "voice"), NP_("timeline", "web"),
    NP_("timeline", "call"), NP_("timeline", "(none)"), NP_("timeline", "DEFAULT_ORGANISATION"),
    NP_("timeline", "language"), NP_("timeline", "category"), NP_("timeline", "work_place"),
    NP_("timeline", "work_province"), NP_("timeline", "work_city"), NP_("timeline", "employer"),
    NP_("timeline", "summary"), NP_("timeline", "amount_owed"), NP_("timeline", "months_unpaid"),
    NP_("timeline", "people_affected"), NP_("timeline", "voicemail"),
    NP_("timeline", "home_province"), NP_("timeline", "returning"),
    NP_("timeline", "live_transfer"), NP_("timeline", "urgent"),
    NP_("timeline", "still_employed"), NP_("timeline", "left_on"), NP_("timeline", "injured_on"),
    NP_("timeline", "injury_place"), NP_("timeline", "in_hospital"),
    NP_("timeline", "employer_pays_treatment"), NP_("timeline", "injury_claim_filed"),
    NP_("timeline", "medical_costs"), NP_("timeline", "treatment paid by the worker"),
    NP_("timeline", "not known"),
    NP_("timeline", "dismissed_on"), NP_("timeline", "written_contract"),
    NP_("timeline", "insurance_kind"), NP_("timeline", "insurance_months"),
    NP_("timeline", "urgency"), NP_("timeline", "normal"), NP_("timeline", "yes"),
    NP_("timeline", "no"), NP_("timeline", "province of work"), NP_("timeline", "city of work"),
    NP_("timeline", "wages owed"), NP_("timeline", "months unpaid"),
    NP_("timeline", "people affected"), NP_("timeline", "approximate count"),
    NP_("timeline", "still employed"), NP_("timeline", "date of leaving"),
    NP_("timeline", "date of injury"), NP_("timeline", "place of injury"),
    NP_("timeline", "in hospital"), NP_("timeline", "employer pays treatment"),
    NP_("timeline", "injury claim filed"), NP_("timeline", "date of dismissal"),
    NP_("timeline", "written contract"), NP_("timeline", "insurance"),
    NP_("timeline", "months of insurance"),
)
# How intake answers are joined: "category: unpaid wages, employer: Acme".
# TRANSLATORS: one intake answer on the timeline, a field name and what the worker said.
ANSWER_FORM = NP_("timeline", "%(field)s: %(answer)s")
# TRANSLATORS: what separates two intake answers on the timeline.
ANSWER_SEPARATOR = NP_("timeline", ", ")


@cache
def event_patterns() -> list[tuple[re.Pattern[str], str]]:
    """EVENTS as (English pattern, message id), compiled once."""
    return [(english_pattern(msgid, EVENT_PARTS), msgid) for msgid in EVENTS]


# A correction written before the timeline named its maker only once: "李四 changed ..." (the
# name is the entry's actor too, shown beside the text).
NAMED_EDIT = re.compile(r"\A.+? (?=changed .+ from “.*” to “.*”\Z)", re.DOTALL)


def event_text(event: object) -> str:
    """Jinja filter: a timeline entry's text in the request's language (English as stored)."""
    text = str(getattr(event, "text", "") or "")
    data = getattr(event, "data", None)
    if isinstance(data, dict) and data.get("edit") and not text.startswith("changed "):
        text = NAMED_EDIT.sub("", text, count=1)
    if str(getattr(event, "kind", "")) == "message_out":
        # Send notes name the recipient; rows written before they were masked at the
        # source must not show a full number either (volunteers read this timeline).
        text = mask_numbers_in(text)
    if not is_system_text(event):
        return text
    return localised(text, ui_locale() if has_request_context() else SOURCE_LOCALE) or text


def is_system_text(event: object) -> bool:
    """False for people's own words: messages in, auto replies, notes without system data."""
    kind = str(getattr(event, "kind", ""))
    if kind in ("message_in", "reply"):
        return False
    return kind != "note" or bool(getattr(event, "data", None))


def zh_event(text: str) -> str | None:
    """The Simplified Chinese form of a system event text; None if no message id matches."""
    return localised(text, "zh_Hans")


def localised(text: str, locale: str) -> str | None:
    """A system event text in `locale`; None if no message id matches all of it."""
    return localised_from(text, locale, catalogue_directory())


@lru_cache(maxsize=4096)
def localised_from(text: str, locale: str, directory: Path) -> str | None:
    """localised() with the catalogues of `directory` (cached per directory)."""
    catalogue = translations(locale, directory)
    for pattern, msgid in event_patterns():
        match = pattern.fullmatch(text)
        if match:
            return catalogue.upgettext(CONTEXT, msgid) % {
                k: part(locale, k, v or "") for k, v in match.groupdict().items()}
    return None


def part(locale: str, name: str, value: str) -> str:
    """One matched part translated: a status, a nested system text or word, answers, or as is."""
    if name in STATUS_PARTS:
        translated = translations(locale).upgettext("status", value)
        return value if translated == value else translated
    if name == "answers":
        return answers(locale, value)
    if name in TRANSLATED_PARTS:
        return word(locale, value) or localised(value, locale) or value
    return value


def word(locale: str, value: str) -> str | None:
    """A single known word (key, channel, field name, category, rule title) translated."""
    catalogue = translations(locale)
    for context, msgid in ((CONTEXT, value), ("category", category_msgid(value))):
        if msgid and catalogue.upgettext(context, msgid) != msgid:
            return catalogue.upgettext(context, msgid)
    return rule_titles(locale.split("_")[0]).get(value)


def category_msgid(value: str) -> str | None:
    """The category message id of a category's value ("wages") or English name."""
    if value in CATEGORY_NAMES.values():
        return value
    try:
        return CATEGORY_NAMES[CaseCategory(value)]
    except ValueError:
        return None


@cache
def rule_titles(language: str) -> dict[str, str]:
    """English legal rule title -> its title in `language` (the rules file holds its titles in
    each language it speaks; none for English itself)."""
    if language == SOURCE_LOCALE:
        return {}
    return {r.text("title", "en"): r.text("title", language) for r in load_rules()}


# Answers the timeline writes in English words, shown in the reader's language.
WORDED_ANSWERS = frozenset({"yes", "no", NOT_KNOWN})


def answers(locale: str, value: str) -> str:
    """'category=wages, employer=某厂' as 'category: unpaid wages, employer: 某厂' in the
    locale's words (the answers themselves kept)."""
    pairs = list(ANSWER.finditer(value))
    if not pairs or pairs[0].start() != 0:
        return value
    catalogue = translations(locale)
    form = catalogue.upgettext(CONTEXT, ANSWER_FORM)
    return catalogue.upgettext(CONTEXT, ANSWER_SEPARATOR).join(
        form % {"field": word(locale, m["k"]) or m["k"],
                "answer": (word(locale, m["v"]) or m["v"])
                if m["k"] == "category" or m["v"] in WORDED_ANSWERS else m["v"]}
        for m in pairs)
