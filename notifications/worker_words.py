"""A worker's own words forwarded to their volunteer on a carrier that sends only templates.

"#1024工友：<words>" goes out as the approved worker_to_volunteer template only while the words
fit one template variable and the carrier's content rules (notifications.template_rules: at most
35 characters, no link, none of the subjects, symbols or 【】 a carrier refuses or garbles);
otherwise the volunteer is texted the approved notice "#1024工友发来新消息，请在热线收件箱查看和
回复。" and reads the words in the hotline inbox, as a volunteer's relay that cannot be templated
becomes relay_notice for the worker (notifications.templates.relay_body). Twilio carries the
words as written.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline.replies import say
from models import Case, EventKind, Volunteer
from notifications.template_rules import (
    BANNED_WORDS,
    MAX_VARIABLE_CHARS,
    SPECIAL_SYMBOLS,
    URL,
)
from notifications.templates import (
    Deliverable,
    NoTemplate,
    carried,
    configured_provider,
    requires_templates,
)

FORWARD = "worker_to_volunteer"
NOTICE = "worker_wrote_to_volunteer"


def unfit_words(text: str) -> str | None:
    """Why a carrier would refuse `text` as one template variable (in English, for the
    timeline), or None when it fits."""
    words = text.strip()
    if not words:
        return "empty"
    if len(words.encode("utf-16-le")) // 2 > MAX_VARIABLE_CHARS:  # UTF-16 units, as counted
        return f"longer than {MAX_VARIABLE_CHARS} characters"
    if URL.search(words):
        return "a link"
    if any(word in words for word in BANNED_WORDS):
        return "words the carrier bans"
    if any(ch in words for ch in SPECIAL_SYMBOLS + "【】"):
        return "symbols the carrier refuses"
    return None


def forward_body(session: Session, case: Case, language: str, text: str) -> Deliverable:
    """What the worker's `text` on `case` becomes for its volunteer on the configured carrier:
    "#N工友：text", or the notice to read it in the inbox; NoTemplate when neither can go."""
    body = say(FORWARD, language, number=case.number, text=text)
    provider = configured_provider()
    if not requires_templates(provider):
        return Deliverable(body)
    if unfit_words(text) is None and carried(session, provider, body, case.organisation_id):
        return Deliverable(body)
    notice = say(NOTICE, language, number=case.number)
    if not carried(session, provider, notice, case.organisation_id):
        raise NoTemplate(f"no approved {provider} template carries the forward or its notice "
                         "(hotline templates list shows what is missing)")
    return Deliverable(notice, fell_back=True)


def forward_text(session: Session, case: Case, volunteer: Volunteer, text: str) -> str | None:
    """The text to send the case's volunteer for the worker's `text`; None when the carrier
    can send nothing (written on the case's timeline, so staff see the volunteer was not
    told)."""
    try:
        found = forward_body(session, case, volunteer.reply_language, text)
    except NoTemplate as exc:
        case.log(EventKind.NOTE, f"the worker's text was not forwarded to the volunteer by "
                 f"SMS: {exc}")
        return None
    if found.fell_back:
        case.log(EventKind.NOTE, "the carrier cannot carry the worker's words as written "
                 f"({unfit_words(text) or 'no approved template'}): the volunteer was texted "
                 "to read them in the hotline inbox")
    return found.body
