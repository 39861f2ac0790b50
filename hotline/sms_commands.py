"""Words a worker can text at any point: HELP, STOP (and TD/退订), START, STATUS 1024, EN/中文.

Only a whole message is a keyword ("STOP" inside a sentence is not), after folding full-width
letters and digits, case and trailing punctuation. Whether a text opts out is decided by the
one rule in hotline.optout (brackets, polite words, 回复TD退订 and the like included).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.consent import OPTED_OUT_BY_TEXT, SUBSCRIBED_BY_TEXT, give, withdraw
from hotline.optout import opt_in_core, opt_out_core
from hotline.replies import CATEGORY_NAMES, say
from models import Case, CaseStatus, Contact
from notifications.campaigns.replies import note_campaign_opt_out


class WorkerKeyword(enum.StrEnum):
    """A keyword a worker texts as the whole message (HELP, TD, 订阅, STATUS 1024, 中文)."""

    HELP = "help"
    STOP = "stop"
    START = "start"
    STATUS = "status"
    LANGUAGE = "language"


WORDS = {
    WorkerKeyword.HELP: {"HELP", "INFO", "帮助", "求助说明", "?", "？"},
}
# Latin letters, but the Chinese SMS convention (回复TD退订): answer in Chinese.
CHINESE_WORDS = frozenset({"TD"})
LANGUAGE_WORDS = {"EN": "en", "ENGLISH": "en", "IN ENGLISH": "en", "ENGLISH PLEASE": "en",
                  "英文": "en", "英语": "en", "用英文": "en", "用英语": "en", "切换英文": "en",
                  "中文": "zh", "ZH": "zh", "普通话": "zh", "CHINESE": "zh", "用中文": "zh",
                  "切换中文": "zh", "说中文": "zh", "汉语": "zh"}
STATUS = re.compile(r"^(STATUS|查询|查|进度)\s*#?\s*(\d{1,9})?$")
TRAILING = re.compile(r"[\s。.!！~]+$")

STATUS_WORDS = {
    "zh": {CaseStatus.NEW: "已收到，正在安排志愿者", CaseStatus.OFFERED: "正在联系志愿者",
           CaseStatus.ESCALATED: "已交工作人员处理", CaseStatus.ASSIGNED: "已有志愿者负责",
           CaseStatus.IN_PROGRESS: "志愿者正在处理", CaseStatus.RESOLVED: "已解决",
           CaseStatus.REFERRED: "已转交相关部门", CaseStatus.CLOSED: "已结案"},
    "en": {CaseStatus.NEW: "received; finding a volunteer",
           CaseStatus.OFFERED: "a volunteer is being asked",
           CaseStatus.ESCALATED: "with our staff", CaseStatus.ASSIGNED: "a volunteer has it",
           CaseStatus.IN_PROGRESS: "a volunteer is working on it",
           CaseStatus.RESOLVED: "resolved", CaseStatus.REFERRED: "referred to an agency",
           CaseStatus.CLOSED: "closed"},
}


@dataclass(frozen=True)
class ParsedKeyword:
    """A keyword and its argument (case number or language), and the word as written."""

    keyword: WorkerKeyword
    argument: str | None = None
    word: str = ""


@dataclass
class KeywordResult:
    """The reply to a keyword (None: say nothing) and the case it was about."""

    reply: str | None
    case: Case | None = None
    language: str | None = None


def parse_keyword(body: str) -> ParsedKeyword | None:
    """The keyword a whole message is, or None when it is something to say to the hotline."""
    stop = opt_out_core(body)  # the one opt-out rule (hotline.optout), also used at send time
    if stop is not None:
        return ParsedKeyword(WorkerKeyword.STOP, word="TD" if "TD" in stop.split() else stop)
    start = opt_in_core(body)  # 订阅, 重新订阅, 【订阅】, Start please (hotline.optout)
    if start is not None:
        return ParsedKeyword(WorkerKeyword.START, word=start)
    text = TRAILING.sub("", unicodedata.normalize("NFKC", body or "").strip()).upper()
    if not text or len(text) > 20:
        return None
    for keyword, words in WORDS.items():
        if text in words:
            return ParsedKeyword(keyword, word=text)
    if text in LANGUAGE_WORDS:
        return ParsedKeyword(WorkerKeyword.LANGUAGE, LANGUAGE_WORDS[text])
    match = STATUS.match(text)
    if match:
        return ParsedKeyword(WorkerKeyword.STATUS, match.group(2))
    return None


def run_keyword(session: Session, contact: Contact, parsed: ParsedKeyword, language: str
                ) -> KeywordResult:
    """Carry out a keyword for this worker; language switches are left to the conversation."""
    if parsed.word in CHINESE_WORDS:
        language = contact.language = "zh"
    if parsed.keyword == WorkerKeyword.HELP:
        return KeywordResult(say("worker_help", language))
    if parsed.keyword == WorkerKeyword.STOP:
        # Confirmed once: a second STOP gets no answer (it would cost them nothing but us a text).
        first = not contact.opted_out
        withdraw(session, contact, OPTED_OUT_BY_TEXT, f"replied {parsed.word}")
        if first:  # a TD answering a campaign counts in that campaign's report
            note_campaign_opt_out(session, contact)
        return KeywordResult(say("opted_out", language) if first else None)
    if parsed.keyword == WorkerKeyword.START:
        give(session, contact, SUBSCRIBED_BY_TEXT, f"replied {parsed.word}", opt_in=True)
        return KeywordResult(say("opted_in", language))
    if parsed.keyword == WorkerKeyword.STATUS:
        return case_status(session, contact, parsed.argument, language)
    return KeywordResult(None, language=parsed.argument)


def case_status(session: Session, contact: Contact, number: str | None, language: str
                ) -> KeywordResult:
    """The state of one of the worker's own cases in plain words (never someone else's)."""
    query = select(Case).where(Case.contact_id == contact.id)
    if number:
        query = query.where(Case.number == int(number))
    case = session.scalar(query.order_by(Case.id.desc()).limit(1))
    if case is None:
        key = "status_not_found" if number else "status_no_case"
        return KeywordResult(say(key, language, number=number or ""))
    names = CATEGORY_NAMES.get(language, CATEGORY_NAMES["zh"])
    words = STATUS_WORDS.get(language, STATUS_WORDS["zh"])[case.status]
    return KeywordResult(say("status_of_case", language, number=case.number,
                             category=names[case.category], state=words), case=case)
