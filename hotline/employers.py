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

from ivr_flows.fields import PROVINCES
from ivr_flows.parse import normalize

# Longest first: "有限责任公司" must go before "公司" leaves "有限责任".
SUFFIXES = sorted([
    "股份有限公司", "有限责任公司", "有限公司", "集团公司", "分公司", "公司", "集团",
    "工厂", "厂", "制品厂", "加工厂", "工地", "项目部", "项目", "工程队", "车间", "店",
    "coltd", "co", "ltd", "limited", "inc", "corp", "corporation", "company", "factory",
    "group",
], key=len, reverse=True)
# Administrative words that workers add or leave out: "深圳市" vs "深圳". Only a place name
# leads or ends an employer's name, so only there are they dropped (the name kept): a run of
# leading places (a province, or a 2-3 character city/county: 广东省深圳市宝安区 → 广东深圳宝安)
# and one trailing word (宏达工业园区 → 宏达工业园). Inside a name they are part of it:
# 园区物业 and 城市之光 stay whole, and so do 市政 (municipal works) and 市场 (market).
ADMIN = "(?:自治区|省|市(?!政|场)|区|县|镇)"
LEADING_PLACE = re.compile(
    "^(" + "|".join(sorted(PROVINCES, key=len, reverse=True)) + "|[\u4e00-\u9fff]{2,3})"
    + ADMIN + "(?=.)")
TRAILING_PLACE = re.compile("(?<=[\u4e00-\u9fff]{2})" + ADMIN + "$")
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
    return strip_places(text) or None


def strip_places(text: str) -> str:
    """Drop 省/市/区/县/镇 after leading place names and at the very end, nowhere else."""
    head, rest = "", text
    while (match := LEADING_PLACE.match(rest)) is not None:
        head, rest = head + match.group(1), rest[match.end():]
    return head + TRAILING_PLACE.sub("", rest)


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
