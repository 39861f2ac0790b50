"""A worker's words made plain, and the answers read without counting: a key pressed or said,
a menu choice, yes or no, free text, and a date answer as it is kept.

Numbers are read in ivr_flows.numbers, sums owed and spent in ivr_flows.sums, dates and months
in ivr_flows.dates, head counts in ivr_flows.people.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from functools import cache, lru_cache

import opencc

from ivr_flows.model import Choice, Node

CN_DIGITS = {"零": "0", "〇": "0", "一": "1", "幺": "1", "二": "2", "两": "2", "三": "3",
             "四": "4", "五": "5", "六": "6", "七": "7", "八": "8", "九": "9"}
KEY_ONLY = re.compile(r"^\s*(?:按|选|第)?\s*([0-9*#])\s*(?:号|个|项)?\s*[.。、)]?\s*$")


@cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=256)
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


# --- How a date answer is kept (the date readers are in ivr_flows.dates) -------------------
# Here, not beside the readers: the case pages and the legal clocks read stored dates back and
# need nothing that reads words.

class MonthOnly(date):
    """A date of which only the month was said ("上个月", "去年十月"): its first day, written
    'YYYY-MM' so that no day the worker never said is read back to them."""

    def isoformat(self) -> str:
        """'2026-11': the month, no day."""
        return f"{self.year:04d}-{self.month:02d}"


def stored_date(value: object) -> tuple[date, bool] | None:
    """A date answer as kept: 'YYYY-MM-DD' (the day, False), or 'YYYY-MM' when only the month
    was said (its first day, True); None for anything else."""
    text = str(value or "").strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return date.fromisoformat(text), False
        if re.fullmatch(r"\d{4}-\d{2}", text):
            return date.fromisoformat(text + "-01"), True
    except ValueError:
        return None
    return None


# --- Yes, no, and not knowing --------------------------------------------------------------

# Slang and dialect too: 木有 / 米有 (没有 typed cute), 莫得 (Sichuan), 冇 / 唔系 (Cantonese);
# and ways of saying the job is over (赶出来了, 回老家了).
NO_WORDS = ("不是", "没有", "沒有", "没", "否", "不在", "不对", "不用", "不要", "不干了", "走了",
            "离职", "辞职", "辞工", "不会", "未", "不行", "木有", "米有", "莫得", "冇", "唔是",
            "唔系", "赶出来", "不让干", "不让我干", "回老家", "被辞退", "被开除", "被炒", "找工作",
            "在找工作", "nope", "no", "not", "n", "nah", "wrong", "incorrect", "left", "quit",
            "fired", "laid off", "离开", "出院")
UNSURE = re.compile(r"不太?知道|不太?清楚|不太?确定|不太?记得|记不清|记不得|忘了|忘记了|想不起|"
                    r"说不好|不一定|不晓得|搞不清|don'?t know|not sure|no idea|can'?t remember|"
                    r"don'?t remember|forgot")

# Words that hold a yes/no character without saying yes or no ("现在" holds 在, "但是" 是).
NOT_YES_NO = re.compile(r"现在|实在|存在|正在|所在|在哪|但是|还是|可是|要是|于是|总是|老是|是否|"
                        r"对方|对于|针对|面对|所有|有点|有些|好像|只好|最好|好多|银行|行业")
# Longer than the 没 they start with, so they win at its place: 没走 / 还没离职 is still there.
# "在" says yes only as "still there" ("在", "在的", "还在做"), not "在住院" asked whether the
# boss pays for treatment.
YES_WORDS = ("是", "对", "有", "还在", "在的", "在呢", "在啊", "在那", "在这", "在做", "在干",
             "在上班", "在职", "在岗", "在厂", "嗯", "好", "行", "可以", "签了", "签过", "没走",
             "没有走", "没离职", "没辞职", "没辞工", "没离开", "要得", "没错", "没问题", "当然",
             "申请了", "申请过", "提交了", "报了", "办了", "yes", "y", "yeah",
             "yep", "sure", "ok", "still", "correct", "right", "that's right", "thats right",
             "not left", "haven't left", "have not left", "didn't leave", "did not leave")


def said_unsure(text: str) -> bool:
    """'不记得了', '不知道', 'I don't remember': the worker does not know the answer."""
    return bool(UNSURE.search(normalize(text).lower()))


def parse_yes_no(text: str) -> bool | None:
    """是/对/有/还在/嗯/yes/1 -> True; 不是/没有/不在/走了/离职了/no/2 -> False; else None.
    The earliest word decides and 'no' words win at the same place, so 没有 never reads as 有."""
    key = spoken_key(text)
    if key in ("1", "2"):
        return key == "1"
    plain = NOT_YES_NO.sub("  ", normalize(text).lower())
    if plain.strip(" 。.!！~") == "在":
        return True
    if UNSURE.search(plain):
        return None
    best: tuple[int, int, bool] | None = None  # (position, -length, answer)
    for answer, words in ((False, NO_WORDS), (True, YES_WORDS)):
        for word in words:
            found = (re.search(rf"\b{word}\b", plain) if word.isascii()
                     else re.search(re.escape(word), plain))
            if found:
                rank = (found.start(), -len(word), answer)
                best = rank if best is None or rank[:2] < best[:2] else best
    if plain.startswith("不") and (best is None or best[0] > 0):
        return False  # "不" alone, or "不太清楚"? only when nothing earlier says otherwise
    return best[2] if best else None
