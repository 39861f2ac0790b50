"""Understanding a worker's answer: keys, full-width digits, keywords, Chinese numerals, speech."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from functools import cache

import cn2an
import opencc

from ivr_flows.model import Choice, Node

# Words around a number that carry no value: "大约1万2千块钱左右" -> "1万2千".
NUMBER_NOISE = re.compile(
    r"(大约|大概|差不多|约|左右|多|块钱|块|元|圆|人民币|rmb|yuan|¥|个月|月|个人|人|个|名|"
    r"工友|people|persons?|months?|about|around|approx\.?|,|，|\s)", re.IGNORECASE)
CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
             "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
KEY_ONLY = re.compile(r"^\s*(?:按|选|第)?\s*([0-9*#])\s*(?:号|个|项)?\s*[.。、)]?\s*$")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def normalize(text: str) -> str:
    """NFKC (full-width digits and letters to ASCII), Traditional to Simplified, trimmed."""
    folded = unicodedata.normalize("NFKC", text or "").strip()
    return _t2s().convert(folded) if folded else ""


def spoken_key(text: str) -> str | None:
    """A single key said or typed: '1', '１', '一', '按二', '第3项'."""
    plain = normalize(text).lower().rstrip("。.!！")
    plain = "".join(CN_DIGITS.get(ch, ch) for ch in plain) if len(plain) <= 4 else plain
    match = KEY_ONLY.match(plain)
    return match.group(1) if match else None


def match_choice(node: Node, text: str) -> Choice | None:
    """The one choice whose key or keyword the answer names; None when none or ambiguous."""
    key = spoken_key(text)
    if key is not None:
        return node.choice_for_key(key)
    plain = normalize(text).lower()
    if not plain:
        return None
    # The longest matching word wins, so "不对" (no) beats the "对" (yes) inside it.
    best: dict[str, int] = {}
    for choice in node.choices:
        lengths = [len(w) for w in _all_words(choice) if _mentions(plain, w)]
        if lengths:
            best[choice.key] = max(lengths)
    if not best:
        return None
    top = max(best.values())
    winners = [key for key, length in best.items() if length == top]
    return node.choice_for_key(winners[0]) if len(winners) == 1 else None


def _all_words(choice: Choice) -> list[str]:
    words = [w for ws in choice.keywords.values() for w in ws]
    words += [w for ws in choice.speech.values() for w in ws]
    return words + list(choice.label.values())


def _mentions(plain: str, word: str) -> bool:
    word = normalize(word).lower()
    if not word:
        return False
    if word.isascii():  # whole English words only: "pay" must not match "payment"... or "repay"
        return re.search(rf"\b{re.escape(word)}\b", plain) is not None
    return word in plain


def parse_number(text: str) -> Decimal | None:
    """12000, '１２０００', '1.2万', '一万二', '12,000元', '3个月' as a number; None otherwise."""
    plain = NUMBER_NOISE.sub("", normalize(text).lower())
    if not plain or len(plain) > 30:
        return None
    try:
        return Decimal(plain)
    except InvalidOperation:
        pass
    try:
        value = cn2an.cn2an(plain, "smart")
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    number = Decimal(str(value))
    return number if number == number.to_integral_value() or "." in plain else number


def clean_text(text: str, max_length: int) -> str | None:
    """A free-text answer, whitespace-collapsed and cut to the column's length; None if empty."""
    collapsed = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text or "")).strip()
    collapsed = "".join(ch for ch in collapsed if _kept(ch))
    return collapsed[:max_length] or None


# Invisible format characters that hold emoji together (👨‍👩‍👧, 🏴 subdivision flags);
# other format characters (bidi overrides, zero-width spaces) are dropped.
EMOJI_JOINERS = frozenset("\u200c\u200d") | frozenset(map(chr, range(0xE0020, 0xE0080)))


def _kept(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] != "C" or category == "Cn" or ch in EMOJI_JOINERS
