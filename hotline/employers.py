"""Employer names as workers type them, reduced to a key that finds the same employer.

"深圳市宏达电子有限公司", "深圳 宏达电子厂" and "深圳宏達電子廠" must meet: width and case
are folded (NFKC), Traditional characters become Simplified (OpenCC, as for flow answers),
spaces and punctuation are dropped, legal-form suffixes stripped, and what remains is
compared with rapidfuzz so a typo or a missing 市 still matches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz import fuzz, process

from ivr_flows.parse import normalize

# Longest first: "有限责任公司" must go before "公司" leaves "有限责任".
SUFFIXES = sorted([
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "分公司", "公司", "集团",
    "工厂", "厂", "制品厂", "加工厂", "工地", "项目部", "项目", "工程队", "车间", "店",
    "coltd", "co", "ltd", "limited", "inc", "corp", "corporation", "company", "factory",
    "group",
], key=len, reverse=True)
# Administrative words that workers add or leave out: "深圳市" vs "深圳".
ADMIN_WORDS = re.compile(r"(省|市|区|县|镇)(?=.)")
NOT_WORD = re.compile(r"[\W_]+", re.UNICODE)


def employer_key(name: str | None) -> str | None:
    """The comparable key of an employer name, or None when nothing meaningful is left."""
    text = normalize(name or "").casefold()  # NFKC, then Traditional -> Simplified
    text = NOT_WORD.sub("", text)
    changed = True
    while changed and text:
        changed = False
        for suffix in SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text, changed = text[: -len(suffix)], True
                break
    text = ADMIN_WORDS.sub("", text)
    return text or None


def same_employer(a: str | None, b: str | None, threshold: int) -> bool:
    """True when two keys are one employer: equal, or within the rapidfuzz threshold."""
    if not a or not b:
        return False
    return a == b or fuzz.ratio(a, b) >= threshold


def matching_keys(key: str, candidates: Iterable[str], threshold: int) -> set[str]:
    """The candidate keys that name the same employer as `key` (itself included)."""
    unique = list(set(candidates))
    found = process.extract(key, unique, scorer=fuzz.ratio, score_cutoff=threshold,
                            limit=None)
    return {match for match, _score, _index in found} | {key}
