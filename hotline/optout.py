"""The one opt-out rule: which texts mean "stop texting me", and what an opt-out stops.

A worker who texted STOP (or whose carrier reported them opted out, at send time or in a
status callback) gets no campaign SMS. Case messages (relays from their
volunteer or staff, the closing survey, confirmations) still reach them only if they have
texted us something other than an opt-out since: the worker who keeps writing about their case
wants the answers; one who only phoned, or only said STOP, hears nothing more by SMS. START
clears the opt-out altogether.

What counts as an opt-out (`is_opt_out`, used by inbound commands and by the send-time check):
the WHOLE message, once brackets, punctuation, spaces, full-width forms and case are folded
away and polite words around it are dropped (请/回复/麻烦 before, 谢谢/了/吧 after, PLEASE,
THANKS), is one of the opt-out words: Twilio's (STOP, UNSUBSCRIBE, CANCEL, END, QUIT, ...),
TD, 退订 and TD退订 (the Chinese SMS convention 回复TD退订), 取消订阅, 停止(发送), and plain
requests to stop sending such as 不要再发了 / 别再给我发短信了 / 不想收到短信 / stop texting me (a
worker who writes that means it; answering them with more bulk SMS would be harassment). A
sentence that merely contains the word in another sense is not one: 老板不退订金 (deposit),
退订单怎么办 (a cancelled order), "stop paying me", "when will it end".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, object_session

from hotline.consent import CARRIER_OPT_OUT, withdraw
from hotline.replies import TEXTS
from models import Contact, Direction, Message, Purpose, Recipient
from notifications.template_rules import PROMOTIONAL_OPT_OUT

# What the hotline answers to an opt-out, in every language.
OPT_OUT_CONFIRMATIONS = frozenset(TEXTS["opted_out"].values())

# The cores, written as folded: Latin upper-case words separated by one space, Chinese joined.
OPT_OUT_CORES = frozenset({
    "STOP", "STOPALL", "STOP ALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE",
    "OPTOUT", "OPT OUT", "TD", "TD 退订", "退订 TD", "退订", "退订短信", "短信退订",
    "取消订阅", "取消短信订阅", "停止", "停止发送", "停止发短信", "不要再发了", "不要再发",
    "别再发了", "别再发", "不要发了", "别发了", "不要再发短信了", "不要再发短信",
    "别再发短信了", "别再给我发了", "不要再给我发了", "别给我发短信了", "不要给我发短信了",
    "拒收", "拒收短信", "别再给我发短信", "不要再给我发短信", "别给我发短信", "不要给我发短信",
    "不想收到短信", "不想收短信", "不想再收到短信", "不要再发信息", "别再发信息", "不要发信息",
    "STOP SENDING", "STOP TEXTING", "STOP MESSAGING", "STOP TEXTING ME", "STOP SENDING ME",
    "NO MORE SMS", "NO MORE TEXTS", "NO MORE MESSAGES", "DONT TEXT ME", "DON T TEXT ME",
    "DO NOT TEXT ME",
    # the 回T退订 convention, typos of 退订, and "leave me alone" said of our texts
    "T", "T D", "退定", "推订", "退丁", "请勿打扰", "勿扰", "不要打扰我", "别打扰我", "别再打扰我",
    "拉黑", "不想再收到", "不想再收", "删除我的号码", "把我的号码删了", "不要发短信给我",
    "别发短信给我", "不要再发短信给我", "以后不要发短信给我", "以后别发了", "以后不要再发了",
})
# Polite words around the request: English as whole words, Chinese as a prefix or suffix.
LEADING_WORDS = frozenset({"PLEASE", "PLS", "PLZ", "REPLY", "OK", "OKAY", "HI", "HELLO"})
TRAILING_WORDS = frozenset({"PLEASE", "PLS", "PLZ", "THANKS", "THX", "THANK YOU", "THANKYOU",
                            "NOW", "OK"})
LEADING_ZH = ("回复", "回", "请帮我", "请", "麻烦", "帮我", "我要", "我想", "申请",
              "您好", "你好", "好的", "谢谢", "烦死了", "你们")
TRAILING_ZH = ("谢谢你", "谢谢您", "谢谢", "多谢", "谢了", "感谢",
               "了", "吧", "啦", "啊", "呀", "哦", "喔")
# A long message is something to say to the hotline, whatever words it holds.
MAX_FOLDED = 24
_NOT_WORD = re.compile(r"[\W_]+")
_SCRIPT_EDGE = re.compile(r"(?<=[A-Z0-9])(?=[^\sA-Z0-9])|(?<=[^\sA-Z0-9])(?=[A-Z0-9])")


def fold(text: str) -> str:
    """Full-width to ASCII, upper case, punctuation and brackets to spaces, Latin words apart."""
    folded = _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text or "").upper())
    return " ".join(_SCRIPT_EDGE.sub(" ", folded).split())


def _strip_once(core: str) -> str:
    """`core` without one polite word at its start or end (unchanged if it has none)."""
    for word in LEADING_WORDS:
        if core.startswith(word + " "):
            return core[len(word) + 1:]
    for word in TRAILING_WORDS:
        if core.endswith(" " + word):
            return core[:-len(word) - 1]
    for word in LEADING_ZH:
        if core.startswith(word) and len(core) > len(word):
            return core[len(word):].lstrip()
    for word in TRAILING_ZH:
        if core.endswith(word) and len(core) > len(word):
            return core[:-len(word)].rstrip()
    return core


# Words that opt out only where a provider's text offered them (Alibaba's promotional
# templates end 拒收请回复R): set around one inbound text by `provider_words`.
PROVIDER_OPT_OUT_WORDS: ContextVar[frozenset[str]] = ContextVar("provider_opt_out_words",
                                                               default=frozenset())


def offers_r(session: Session, phone: str, body: str, before: datetime | None = None) -> bool:
    """Whether "R" in this text can be an opt-out: it answers a promotional text that offered
    it (the latest we sent this worker, before `before` when given). Only a text short enough
    to be an opt-out at all (`opt_out_core`) costs the lookup."""
    core = fold(body)
    return "R" in core and len(core) <= MAX_FOLDED and answers_promotional(session, phone,
                                                                          before)


@contextmanager
def provider_words(offered: bool) -> Iterator[None]:
    """Around reading one inbound text: "R" opts out only where `offered` (`offers_r`)."""
    words = PROVIDER_OPT_OUT_WORDS.set(frozenset({"R"}) if offered else frozenset())
    try:
        yield
    finally:
        PROVIDER_OPT_OUT_WORDS.reset(words)


def answers_promotional(session: Session, phone: str, before: datetime | None = None) -> bool:
    """True when the latest text we sent this worker (before `before`) offered 回复R."""
    contact_id = session.scalar(select(Contact.id).where(Contact.phone == phone))
    if contact_id is None:
        return False
    sent_message = select(Message.body, Message.created_at).where(
        Message.contact_id == contact_id, Message.direction == Direction.OUTBOUND)
    sent_campaign = select(Recipient.body, Recipient.sent_at).where(
        Recipient.contact_id == contact_id, Recipient.sent_at.is_not(None))
    if before is not None:
        sent_message = sent_message.where(Message.created_at < before)
        sent_campaign = sent_campaign.where(Recipient.sent_at < before)
    last_message = session.execute(sent_message.order_by(Message.id.desc()).limit(1)).first()
    last_campaign = session.execute(
        sent_campaign.order_by(Recipient.sent_at.desc()).limit(1)).first()
    sent = [(_aware(row[1]), row[0] or "") for row in (last_message, last_campaign)
            if row is not None and row[1] is not None]
    return bool(sent) and PROMOTIONAL_OPT_OUT in max(sent)[1]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def opt_out_core(text: str) -> str | None:
    """The opt-out word a whole message comes down to ("TD", "退订", "STOP"...), or None."""
    core = fold(text)
    if not core or len(core) > MAX_FOLDED:
        return None
    while True:
        if core in OPT_OUT_CORES or core in PROVIDER_OPT_OUT_WORDS.get():
            return core
        shorter = _strip_once(core)
        if shorter == core or not shorter:
            return None
        core = shorter


def is_opt_out(text: str) -> bool:
    """True when the whole message asks us to stop texting (see the module docstring)."""
    return opt_out_core(text) is not None


# Asking to be texted again (START lifts an opt-out and records consent), folded and stripped
# of polite words the same way: 订阅, 【订阅】, 我要订阅, 请恢复订阅, 重新订阅, Start please.
OPT_IN_CORES = frozenset({
    "START", "UNSTOP", "SUBSCRIBE", "RESUBSCRIBE", "订阅", "恢复订阅", "重新订阅", "继续订阅",
    "订阅短信", "恢复短信", "重新订阅短信", "恢复接收", "恢复接收短信", "重新接收短信",
})


def opt_in_core(text: str) -> str | None:
    """The opt-in word a whole message comes down to ("订阅", "START"...), or None."""
    core = fold(text)
    if not core or len(core) > MAX_FOLDED:
        return None
    while core not in OPT_IN_CORES:
        shorter = _strip_once(core)
        if shorter == core or not shorter:
            return None
        core = shorter
    return core


OPTED_OUT = "recipient opted out"
NOT_TEXTED_SINCE = "recipient opted out and has not texted since"


def texted_since_opt_out(session: Session, contact: Contact) -> bool:
    """True when the worker sent us an SMS other than an opt-out command after opting out."""
    if contact.opted_out_at is None:
        return True
    bodies = session.scalars(select(Message.body).where(
        Message.contact_id == contact.id, Message.direction == Direction.INBOUND,
        Message.created_at >= contact.opted_out_at))
    return any(not is_opt_out(body or "") for body in bodies)


def opt_out_by_carrier(contact: Contact | None, evidence: str = "status callback") -> bool:
    """Opt the contact out: the provider says they unsubscribed at the carrier (their consent
    is withdrawn on record, in the contact's own transaction); True if it did."""
    if contact is None:
        return False
    session = object_session(contact)
    if session is None:
        contact.opt_out()
    else:
        withdraw(session, contact, CARRIER_OPT_OUT, evidence)
    return True


def refusal(session: Session, contact: Contact | None, purpose: Purpose,
            body: str | None = None) -> str | None:
    """Why a message of `purpose` must not go to this worker, or None when it may."""
    if contact is None or contact.opted_out_at is None:
        return None
    if purpose == Purpose.REPLY and body in OPT_OUT_CONFIRMATIONS:
        # The answer to the STOP itself: Twilio gives it inline, other carriers as a text.
        return None
    if purpose == Purpose.CAMPAIGN:
        return OPTED_OUT
    return None if texted_since_opt_out(session, contact) else NOT_TEXTED_SINCE
