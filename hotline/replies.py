"""Every text the hotline says by SMS, in Chinese and English, kept short (UCS-2: 70 a segment)."""

from __future__ import annotations

import re
from decimal import Decimal

from models import Case, CaseCategory

CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef]")
LATIN = re.compile(r"[A-Za-z]")

CATEGORY_NAMES = {
    "zh": {
        CaseCategory.UNKNOWN: "待分类", CaseCategory.WAGES: "欠薪", CaseCategory.INJURY: "工伤",
        CaseCategory.CONTRACT: "合同/辞退", CaseCategory.SOCIAL_INSURANCE: "社保",
        CaseCategory.OTHER_LEGAL: "法律援助", CaseCategory.COLLECTIVE: "集体欠薪",
    },
    "en": {
        CaseCategory.UNKNOWN: "unsorted", CaseCategory.WAGES: "unpaid wages",
        CaseCategory.INJURY: "work injury", CaseCategory.CONTRACT: "contract/dismissal",
        CaseCategory.SOCIAL_INSURANCE: "social insurance", CaseCategory.OTHER_LEGAL: "legal aid",
        CaseCategory.COLLECTIVE: "collective dispute",
    },
}

TEXTS = {
    "case_opened": {
        "zh": "工友热线：已收到您的求助，案件编号{number}。"
              "志愿者会尽快联系您，请保留工资条等证据。",
        "en": "Hotline: we got your message. Your case number is {number}. "
              "A volunteer will contact you soon.",
    },
    "case_followup": {
        "zh": "工友热线：已收到，已记入案件{number}。",
        "en": "Hotline: got it, added to case {number}.",
    },
    "offer_accepted": {
        "zh": "案件#{number}已分配给您，请尽快联系当事人。",
        "en": "Case #{number} is now yours. Please contact the worker soon.",
    },
    "offer_declined": {
        "zh": "已拒绝案件#{number}，谢谢告知。",
        "en": "You declined case #{number}. Thank you for telling us.",
    },
    "offer_not_yours": {
        "zh": "案件#{number}没有待您回复的邀请，未做任何更改。",
        "en": "Case #{number} has no open offer for you; nothing was changed.",
    },
    "volunteer_help": {
        "zh": "回复 Y+案件号 接受，N+案件号 拒绝，如 Y1024。",
        "en": "Reply Y + case number to accept, N + case number to decline, e.g. Y1024.",
    },
}


def detect_language(text: str, default: str = "zh") -> str:
    """Guess the reply language from the script of the worker's text."""
    if CJK.search(text or ""):
        return "zh"
    if LATIN.search(text or ""):
        return "en"
    return default


def say(key: str, lang: str, **fields: object) -> str:
    """The text `key` in `lang` (falling back to Chinese) with its fields filled in."""
    variants = TEXTS[key]
    return variants.get(lang, variants["zh"]).format(**fields)


def offer_text(case: Case, lang: str = "zh") -> str:
    """The offer SMS: case number, category, place, people, amount; never the worker's phone."""
    names = CATEGORY_NAMES.get(lang, CATEGORY_NAMES["zh"])
    place = case.work_city or case.work_province or ""
    amount = _amount(case.amount_owed)
    if lang == "en":
        parts = [f"New case #{case.number}", names[case.category], place,
                 f"{case.people_affected} people" if case.people_affected > 1 else "",
                 f"~¥{amount}" if amount else "",
                 f"Reply Y{case.number} to accept, N{case.number} to decline"]
    else:
        parts = [f"新案件 #{case.number}", names[case.category], place,
                 f"{case.people_affected}人" if case.people_affected > 1 else "",
                 f"约¥{amount}" if amount else "",
                 f"回复 Y{case.number} 接受 N{case.number} 拒绝"]
    return " ".join(p for p in parts if p)


def _amount(value: Decimal | None) -> str:
    if value is None:
        return ""
    return f"{value:.0f}" if value == value.to_integral_value() else f"{value:.2f}"
