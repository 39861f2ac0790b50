"""Every text the hotline says by SMS or voice, kept short (UCS-2: 70 characters a segment).

The English text is the message id of the gettext catalogues (hotline/translations, kept by
`pybabel extract/update`), each reply in context "reply:<key>"; `say(key, lang, **fields)`
translates it for a contact's language outside any request (hotline.translations.locale_of:
"zh" is Simplified Chinese, a language without a catalogue too) and fills in its %(name)s
fields. `TEXTS[key][lang]` is the same text in str.format syntax, for the carrier-template
catalogue (notifications.templates) and the opt-out check (hotline.optout).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from decimal import Decimal
from functools import lru_cache, partial
from typing import TypeVar

from hotline.legal_clocks import offer_note
from hotline.translations import NP_, locales, translate
from models import Case, CaseCategory

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")
CONTEXT = "reply:"
PERCENT = re.compile(r"%(?:\((\w+)\)s|%)")
T = TypeVar("T")


def R_(context: str, msgid: str) -> tuple[str, str]:  # noqa: N802 - a marker babel.cfg knows
    """A reply's key (its context without "reply:") and English text, marked for the catalogue."""
    return context.removeprefix(CONTEXT), msgid


REPLIES: dict[str, str] = dict([
    # To workers: their case, its progress and the end of it...
    R_("reply:case_opened",
       "Hotline: we got your message. Your case number is %(number)s. A volunteer will contact "
       "you soon."),
    R_("reply:case_followup", "Hotline: got it, added to case %(number)s."),
    R_("reply:status_of_case", "Case %(number)s (%(category)s): %(state)s."),
    R_("reply:status_not_found", "We found no case %(number)s of yours. Please check the number."),
    R_("reply:status_no_case", "You have no case yet. Text us your problem to open one."),
    R_("reply:worker_help",
       "Hotline: text us your problem to open a case. STATUS 1024 = progress, STOP = no bulk SMS, "
       "ZH = Chinese."),
    # ...texts that open no case (a greeting, thanks, a question about us) and texts after a
    # case was finished...
    R_("reply:pleasantry_new",
       "Hello, this is the workers' hotline. For unpaid wages, an injury at work or other "
       "problems, text us what happened, e.g. My boss owes me 3 months' pay."),
    R_("reply:pleasantry_known",
       "Hotline: thank you for your message, all the best! Text us any time you need help."),
    # A first text that asks who we are, whether we are a scam or real, what it costs.
    R_("reply:about_us",
       "This is the workers' hotline: volunteers help with unpaid wages, work injuries and "
       "more, all free. Text us what happened, e.g. My boss owes me 3 months' pay."),
    # ...a question about us that asks when someone is there ("周末上班吗", "晚上有人吗")...
    R_("reply:about_hours",
       "This is the workers' hotline: volunteers help with unpaid wages, work injuries and "
       "more, all free. Text us any time; volunteers answer the phone %(hours)s. Tell us what "
       "happened, e.g. My boss owes me 3 months' pay."),
    R_("reply:after_close_thanks",
       "Hotline: you are welcome, all the best! We told the volunteer of case %(number)s."),
    R_("reply:after_close_noted",
       "Hotline: got it; added to case %(number)s and its volunteer is told. For a new problem, "
       "just tell us what happened."),
    # ...the SMS intake's own lines (its questions are in the flow file)...
    R_("reply:flow_welcome", "Hotline: got it. Your case number is %(number)s."),
    R_("reply:flow_restart",
       "Hotline: your last sign-up was not finished; let us go on with case %(number)s."),
    R_("reply:flow_start_again",
       "Hotline: your last sign-up was not finished; let us start case %(number)s again."),
    R_("reply:flow_media", "Got your picture; it is kept as evidence."),
    R_("reply:flow_language", "OK, in English."),
    R_("reply:flow_passed_on", "Passed on to the volunteer on your case."),
    R_("reply:survey",
       "Hotline: case %(number)s is finished. Reply 1-5 to rate our help (5 = very good)."),
    R_("reply:survey_thanks", "Thank you for your rating! Text us any time you need help."),
    # ...bulk SMS: consent, the opt-out footer and answers to sign-up replies...
    R_("reply:opted_out",
       "You will get no more bulk SMS. Your case is not affected. Reply START to undo."),
    R_("reply:opted_in", "You will get hotline notices again. Reply STOP to stop."),
    R_("reply:campaign_footer", "Reply TD to opt out"),
    R_("reply:rsvp_signup", "You are signed up, thank you!"),
    R_("reply:rsvp_again", "You are already signed up."),
    R_("reply:rsvp_verified", "Thank you, your number is confirmed."),
    # ...and a volunteer's or staff member's own words passed on.
    R_("reply:relay_to_worker", "Hotline (case %(number)s) volunteer: %(text)s"),
    R_("reply:staff_to_worker", "Hotline (case %(number)s) staff: %(text)s"),
    # To volunteers: offers and how to answer them...
    R_("reply:offer_accepted", "Case #%(number)s is now yours. Please contact the worker soon."),
    R_("reply:offer_declined", "You declined case #%(number)s. Thank you for telling us."),
    R_("reply:offer_not_yours",
       "Case #%(number)s has no open offer for you; nothing was changed."),
    R_("reply:offer_taken",
       "Case #%(number)s was taken by another volunteer; no need to reply. Thanks!"),
    R_("reply:offer_withdrawn", "Case #%(number)s is finished; no need to reply. Thanks!"),
    R_("reply:collective_joined",
       "The worker of #%(number)s names the employer of collective case #%(lead)s; "
       "now yours too."),
    R_("reply:volunteer_help",
       "Reply Y + case number to accept, N + case number to decline, e.g. Y1024."),
    R_("reply:volunteer_commands",
       "Commands: Y1024 accept, N1024 decline, R1024 text = message the worker, CALL1024, "
       "DONE1024 amount, ON/OFF"),
    R_("reply:need_number", "Please add the case number, e.g. %(verb)s1024."),
    # ...being on duty...
    R_("reply:duty_on", "You are on duty and will get new cases. Reply OFF to stop."),
    R_("reply:duty_on_outside_shift",
       "You are on duty; cases come during your shifts only. Reply OFF to stop."),
    R_("reply:duty_off", "You are off duty; no new cases. Reply ON to start again."),
    # ...words between the worker and the volunteer (when a template carrier cannot carry the
    # worker's words as a variable, the volunteer gets worker_wrote_to_volunteer instead)...
    R_("reply:relay_empty",
       "Write the message after the number, e.g. R%(number)s I will call tomorrow"),
    R_("reply:relay_sent", "Sent to the worker of #%(number)s."),
    # ...and when the carrier sends only approved templates (Alibaba): what the worker gets
    # instead of a volunteer's free words, what the volunteer is told then, or that nothing
    # could be sent (%(hotline)s is written into the template when it is drafted)...
    R_("reply:relay_notice",
       "Hotline: you have a new message about case #%(number)s. Please call the hotline on "
       "%(hotline)s."),
    R_("reply:relay_notice_sent",
       "The SMS carrier only sends approved fixed texts, so your words could not go to the "
       "worker as written. The worker of #%(number)s was texted to call the hotline."),
    R_("reply:relay_refused",
       "The SMS carrier has no approved template for this yet; nothing was sent to the worker "
       "of #%(number)s. Please tell the staff."),
    R_("reply:worker_to_volunteer", "#%(number)s worker: %(text)s"),
    # What the worker confirmed at the end of the questions, forwarded in one text inside
    # worker_to_volunteer (the answers one by one were not).
    R_("reply:intake_answers_to_volunteer", "answered the questions: %(answers)s"),
    R_("reply:worker_wrote_to_volunteer",
       "#%(number)s: the worker sent a new message; read and answer it in your hotline inbox."),
    R_("reply:voicemail_to_volunteer",
       "#%(number)s: the worker left a voicemail; play it in your hotline inbox."),
    R_("reply:worker_wrote_after_close",
       "#%(number)s: the worker wrote again after the case was finished; see it in the hotline. "
       "To take it up again reply REOPEN %(number)s"),
    # ...calls through the hotline (bridge_*: spoken to the volunteer when the call connects)...
    R_("reply:call_started",
       "The hotline will call you now and connect you to the worker of #%(number)s."),
    R_("reply:call_unavailable",
       "Calls are not available now (no public URL configured); tell the staff."),
    R_("reply:bridge_connecting", "Hotline: connecting you to the worker of case %(number)s."),
    R_("reply:bridge_refused", "This case is not assigned to you. Goodbye."),
    # ...working a case: commands refused or done, the outcome...
    R_("reply:not_assigned", "Case #%(number)s is not assigned to you; nothing was changed."),
    R_("reply:cannot_change", "Case #%(number)s is %(status)s; nothing was changed."),
    R_("reply:outcome_recorded", "Case #%(number)s recorded as %(outcome)s. Thank you!"),
    R_("reply:bad_amount",
       "Cannot read the amount '%(text)s'; write e.g. DONE %(number)s 12000"),
    R_("reply:case_reopened", "Case #%(number)s is open again; please follow it up."),
    R_("reply:not_finished", "Case #%(number)s is still open; nothing to reopen."),
    # ...and reminders: a quiet case, a month without contact, a legal deadline.
    R_("reply:deadline_reminder",
       "Reminder: case #%(number)s has had no update for %(days)s days."),
    R_("reply:monthly_reminder",
       "Reminder: nobody has contacted the worker of #%(number)s for %(days)s days."),
    R_("reply:legal_deadline_reminder",
       "Reminder: case #%(number)s: %(title)s ends %(due)s (%(days)s days left). Please help the "
       "worker act in time."),
    R_("reply:legal_deadline_today",
       "URGENT: case #%(number)s: %(title)s ends today (%(due)s). Please act now."),
    # To staff: their duty, cases a person must see, legal deadlines nobody holds.
    R_("reply:staff_duty_on",
       "You are on duty: cases needing staff will be texted to you. Reply OFF to stop."),
    R_("reply:staff_duty_off", "You are off duty; no more case alerts. Reply ON to start again."),
    R_("reply:staff_escalation", "Hotline: case #%(number)s needs staff: %(reason)s"),
    R_("reply:staff_triage",
       "Hotline URGENT: case #%(number)s has no known problem yet; please sort it."),
    R_("reply:staff_collective",
       "Hotline URGENT: %(count)s workers name %(employer)s; collective case #%(number)s"),
    R_("reply:staff_transfer", "Hotline: case #%(number)s transferred from %(source)s: %(note)s"),
    R_("reply:staff_legal_deadline",
       "Hotline: nobody holds case #%(number)s; %(title)s ends %(due)s (%(days)s days left)."),
    R_("reply:staff_legal_deadline_passed",
       "Hotline: case #%(number)s: %(title)s ended %(due)s. Check whether the worker applied."),
])

# Case categories as the replies name them (the console's names are the same entries).
CATEGORIES = {
    CaseCategory.UNKNOWN: NP_("category", "unsorted"),
    CaseCategory.WAGES: NP_("category", "unpaid wages"),
    CaseCategory.INJURY: NP_("category", "work injury"),
    CaseCategory.CONTRACT: NP_("category", "contract/dismissal"),
    CaseCategory.SOCIAL_INSURANCE: NP_("category", "social insurance"),
    CaseCategory.OTHER_LEGAL: NP_("category", "legal aid"),
    CaseCategory.COLLECTIVE: NP_("category", "collective dispute"),
}
# The offer SMS is assembled from optional parts (offer_text), joined by spaces; its carrier
# template is offer_format.
OFFER_PARTS = {
    "new": NP_("offer", "New case #%(number)s"),
    "people": NP_("offer", "%(n)s people"),
    "amount": NP_("offer", "~¥%(amount)s"),
    "answer": NP_("offer", "Reply Y%(number)s to accept, N%(number)s to decline"),
}


def languages() -> tuple[str, ...]:
    """The languages the hotline writes in: "zh" and "en", then each further catalogue."""
    return ("zh", "en", *(loc for loc in locales() if loc not in ("en", "zh_Hans")))


class ByLanguage(Mapping[str, T]):
    """One thing in each language, made from the catalogues when asked: any language can be
    asked for (one without a catalogue reads Simplified Chinese); iterating gives languages()."""

    def __init__(self, make: Callable[[str], T]) -> None:
        self._make = make

    def __getitem__(self, lang: str) -> T:
        return self._make(lang)

    def __contains__(self, lang: object) -> bool:
        return lang in languages()

    def __iter__(self) -> Iterator[str]:
        return iter(languages())

    def __len__(self) -> int:
        return len(languages())


@lru_cache(maxsize=2048)  # catalogue texts are a fixed set
def str_format(catalogue_text: str) -> str:
    """A catalogue text in str.format syntax: %(name)s -> {name}, %% -> %, braces doubled."""
    escaped = catalogue_text.replace("{", "{{").replace("}", "}}")
    return PERCENT.sub(lambda m: "{" + m[1] + "}" if m[1] else "%", escaped)


def reply_format(key: str, lang: str) -> str:
    """Reply `key` in `lang` as str.format text."""
    return str_format(translate(lang, REPLIES[key], CONTEXT + key))


def category_names(lang: str) -> dict[CaseCategory, str]:
    """Every case category's name in `lang`."""
    return {category: translate(lang, name, "category")
            for category, name in CATEGORIES.items()}


TEXTS: dict[str, ByLanguage[str]] = {key: ByLanguage(partial(reply_format, key))
                                     for key in REPLIES}
CATEGORY_NAMES: ByLanguage[dict[CaseCategory, str]] = ByLanguage(category_names)


def detect_language(text: str, default: str = "zh") -> str:
    """Guess the reply language from the script of the worker's text."""
    if CJK.search(text or ""):
        return "zh"
    if LATIN.search(text or ""):
        return "en"
    return default


def say(key: str, lang: str, **fields: object) -> str:
    """The text `key` in `lang` (Simplified Chinese for a language without a catalogue, English
    for an entry its catalogue lacks) with its fields filled in."""
    if key not in REPLIES:
        raise KeyError(key)
    return reply_format(key, lang).format(**fields)


def offer_part(part: str, lang: str, **fields: object) -> str:
    """One part of the offer SMS in `lang`."""
    return offer_part_format(part, lang).format(**fields)


def offer_part_format(part: str, lang: str) -> str:
    """One part of the offer SMS in `lang`, as str.format text."""
    return str_format(translate(lang, OFFER_PARTS[part], "offer"))


def offer_format(lang: str) -> str:
    """The offer SMS as one carrier template: everything between the case number and the
    answer codes (category, place, people, amount, the legal note) is one {details} field."""
    return " ".join([offer_part_format("new", lang), "{details}",
                     offer_part_format("answer", lang)])


def offer_text(case: Case, lang: str = "zh", owed: Decimal | None = None) -> str:
    """The offer SMS: case number, category, place, people, amount (`owed` when given: a
    collective dispute's total); never the worker's phone."""
    place = case.work_city or case.work_province or ""
    amount = _amount(owed if owed is not None else case.amount_owed)
    parts = [offer_part("new", lang, number=case.number), CATEGORY_NAMES[lang][case.category],
             place,
             offer_part("people", lang, n=case.people_affected) if case.people_affected > 1
             else "",
             offer_part("amount", lang, amount=amount) if amount else "",
             offer_part("answer", lang, number=case.number)]
    parts.insert(-1, offer_note(case, lang, " ".join(p for p in parts if p)))
    return " ".join(p for p in parts if p)


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
