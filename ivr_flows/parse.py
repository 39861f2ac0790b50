"""Understanding a worker's answer: keys, full-width digits, keywords, Chinese numerals, speech."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from functools import cache, lru_cache

import cn2an
import opencc
from lunardate import LunarDate

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


# --- Amounts, months, head counts, dates and yes/no in a worker's own words -------------------

CN_NUMERALS = "零〇一二两三四五六七八九十百千万亿壹贰叁肆伍陆柒捌玖拾佰仟"
# Arabic digits go on in Chinese only through a unit ("1万2", "3千5", "1.2万"): "4000一个月" is
# 4000 a month, not 4001.
_CN_RUN = rf"(?:[\d{CN_NUMERALS}]|\.(?=\d)|点(?=[\d{CN_NUMERALS}]))*"
NUMBER = re.compile(
    rf"(?:\d+(?:\.\d+)?(?:[十百千万亿拾佰仟]{_CN_RUN})?|[{CN_NUMERALS}]{_CN_RUN})"
    r"(?:[kw](?![a-z]))?")
# What follows 一 in words that count nothing: 一直, 一起, 一样, 一般, 一定, 一些, 一下, 一切,
# 一向, 一旦, 一会儿, 一边, 一路, 一点点 ("一点" alone may be one o'clock), 一大帮, 一大群, 一共.
ONE_IN_A_WORD = re.compile(r"直|起|样|般|定|些|下(?!午)|切|向|旦|会儿|边|路|点点|律|致|再|共|"
                           r"大[帮群堆批片半]")
# A unit after a rough count: 三十多万 (300,000 and more), 十几万, 二十来万, 一百多万.
ROUGH_SCALE = re.compile(r"^(多|来|余)?(万|千|百)")
SCALES = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10_000,
          "k": 1000, "w": 10_000}
# Two neighbouring digits before a unit are a range: 二三十 (20-30), 两三个 (2-3).
CN_RANGE = re.compile(r"^([一二两三四五六七八九])([二两三四五六七八九])([十百千万]?)$")
ENGLISH_NUMBERS = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "hundred": 100, "a couple of": 2, "a few": 3, "several": 3,
}
ENGLISH_NUMBER_VALUES = {**{word: str(value) for word, value in ENGLISH_NUMBERS.items()},
                         "a dozen": "12多", "dozen": "12多", "dozens": "24多"}
# One pass over the text, the longest word first ("a dozen" before "dozen").
ENGLISH_NUMBER = re.compile(r"\b(?:" + "|".join(
    re.escape(word) for word in sorted(ENGLISH_NUMBER_VALUES, key=len, reverse=True)) + r")\b")
ENGLISH_SCALE = re.compile(r"\b(\d+|" + "|".join(
    w for w in sorted(ENGLISH_NUMBERS, key=len, reverse=True) if " " not in w and w != "hundred")
    + r")\s+(thousand|hundred)\b")
THOUSANDS_SEPARATOR = re.compile(r"(?<=\d)[,，](?=\d{3}(?!\d))")
APPROX_BEFORE = re.compile(r"(大概|大约|约|差不多|将近|估计|可能|about|around|approx\w*|roughly|"
                           r"nearly|almost|more than|over)\s*$")
# ("十个左右", "5000块左右": a count word or the money before it.)
APPROX_AFTER = re.compile(r"^\s*(多|来|余|(?:个|名|人|块钱?|元)?\s*(?:左右|上下)|\+|or so|odd\b)")
# "3个月" is a count of months, "3月" the month of March.
UNIT_MONTHS = re.compile(r"^\s*(个多?半?月|多个月|个半月|[多整]?年(?![\d一二三四五六七八九十])|"
                         r"months?\b|mos?\b|years?\b)")
# A wage rate is no debt by itself ("月薪4000", "一个月4000", "一天两百", "每个月工资4500",
# "我一个月工资4500"; see owed_at_rate). ("欠我一个月工资4500" is a month owed: _rate_said.)
MONTHLY_PAY = r"的?(?:工资|薪水|工钱|收入)(?:是|有)?"
RATE_BEFORE = re.compile(rf"(?P<period>每个?月(?:{MONTHLY_PAY})?|(?:每|一)天{MONTHLY_PAY}|日工资|"
                         r"降到|降为|降成|减到|"
                         r"(?<![\d一二三四五六七八九十两个])"
                         rf"(一个月(?:{MONTHLY_PAY})?|月薪|月工资)|底薪|日薪|每天|一天|时薪|每小时|"
                         r"工资是|a month|per month|a day|per day)"
                         r"\s*(能|可以)?(挣|赚|拿|有)?\s*$")
# Owing said in the clause before "一个月工资": one month's wages owed, not a wage per month.
OWING = re.compile(r"(欠|拖|没|未|扣|差|少|押|压)[^，,。.；;！!]*$")
# ... or said after the sum: "4000一个月", "300块一天", "I earn 4000 a month".
RATE_AFTER = re.compile(r"^\s*(多|来)?\s*(元|块|yuan|rmb)?\s*(?P<period>一个月|每个?月|一天|每天|"
                        r"a month|per month|a day|per day|/month|/day|/个?月|/天|/日)")
# What a worker spent (on treatment, mostly) is no wage debt either: "垫了3000元", "医药费8000",
# "花了两万医药费", "paid 3000 for the hospital". It stays in their words on the case.
TREATMENT = r"(医药费|医疗费|药费|住院费|手术费|治疗费|看病|住院|手术)"
COST_BEFORE = re.compile(rf"({TREATMENT}|垫了|垫付了?|自己垫|花了|花掉了?|掏了|自己出了|paid|spent)"
                         r"\s*(了|都|共|一共|总共)?\s*$")
COST_AFTER = re.compile(rf"^\s*(多|来)?\s*(元|块|圆|rmb|yuan)?\s*(的)?\s*({TREATMENT}|"
                        r"for (the )?(hospital|treatment|medicine|doctor|surgery))")
# (Not after 少 / 没 / 未: "少发了1200" is what is owed.)
PAID_BEFORE = re.compile(r"(?<![少没未])(给了|只给|才给|只发了?|才发了?|发了|付了|赔了|补了|"
                         r"预支了?|借了|paid me|gave me|only got|got only|only received|"
                         r"only paid me)\s*$")
UNIT_PEOPLE = re.compile(r"^\s*(个|名|位)?\s*(多|来)?\s*(个|号)?\s*(人|工友|同事|老乡|兄弟|师傅|"
                         r"员工|people|persons?|workers?|colleagues|of us|guys)|"  # 300多号人
                         r"^\s*(名|位)\s*(?:$|[，,。.;；!！?？、])")  # "涉及工人约200名"
UNIT_OTHER = re.compile(r"^\s*(年|月|号|日|天|周|星期|礼拜|点|岁|楼|层|栋|路|次|个?小时|days?\b|"
                        r"weeks?\b|hours?\b|am\b|pm\b|-\d|/\d)")
MONEY_BEFORE = re.compile(r"(¥|￥|rmb|\$|工资|欠薪|欠了?我?们?|薪水|工钱|一共|共|总共|还有|"
                          r"还差)\s*$")
MONEY_AFTER = re.compile(r"^\s*(多|来)?\s*(元|块|圆|万|千|rmb|yuan|kuai)")
# A sum named as money other than the wages themselves: "押金1000也不退", "加班费3000",
# "2000的加班费". Owed besides the wages (a rate times the months unpaid, or a sum owed).
EXTRA_KINDS = (r"押金|保证金|加班费|奖金|年终奖|提成|补贴|经济补偿金?|补偿金?|赔偿金?|路费|车费|"
               r"伙食费|饭钱|住宿费|工具费|服装费|体检费|培训费|介绍费|违约金|overtime pay|deposit|"
               r"bonus")
EXTRA_NAMED_BEFORE = re.compile(rf"({EXTRA_KINDS})\s*(是|有|共|也|还有|一共|总共)?\s*$")
EXTRA_NAMED_AFTER = re.compile(rf"^\s*(多|来)?\s*(元|块钱?|yuan|rmb)?\s*(的)?\s*({EXTRA_KINDS})")


# Below this an answer is no wage debt: "1" is a menu key pressed by habit, "5块" a slip or a
# joke. Half a day's pay on a building site is well above it, so no real debt is lost.
MIN_AMOUNT = Decimal(50)
MAX_AMOUNT = Decimal(100_000_000)


@dataclass(frozen=True)
class Number:
    """A number found in text, with what it counts: 'month', 'people', 'money', 'rate' (a wage
    per month or day), 'paid' (what the boss gave), 'cost' (what the worker spent), 'weekday'
    (周五), 'other' or '' (nothing said)."""

    value: Decimal
    start: int
    end: int
    approximate: bool
    unit: str


@lru_cache(maxsize=256)
def plain_text(text: str) -> str:
    """Normalised, lower-cased, thousands separators gone, English number words as digits."""
    # Kept: one reading of a text asks for it several times (amounts, counts, dates, rates).
    # "俩" and "仨" are how people say "两个" and "三个" ("拖了俩月", "我们仨").
    plain = THOUSANDS_SEPARATOR.sub("", normalize(text).lower()).replace("俩", "两个")
    plain = plain.replace("仨", "三个")
    # "1w2", "1k5": 万 and 千 typed as letters, a digit after them ("1万2" is 12,000).
    plain = SCALE_LETTER.sub(lambda m: "万" if m.group() == "w" else "千", plain)
    # Counts typed in pinyin: "3 ge yue" (3个月), "liang ge yue", "wu ge ren".
    plain = PINYIN_COUNT.sub(_pinyin_count, plain)
    # "ten thousand", "five hundred": the count times its scale, before the words are digits.
    plain = ENGLISH_SCALE.sub(_scaled, plain)
    return ENGLISH_NUMBER.sub(lambda m: ENGLISH_NUMBER_VALUES[m.group()], plain)


SCALE_LETTER = re.compile(r"(?<=\d)[kw](?=\d)")
PINYIN_DIGITS = {"yi": "一", "liang": "两", "er": "二", "san": "三", "si": "四", "wu": "五",
                 "liu": "六", "qi": "七", "ba": "八", "jiu": "九", "shi": "十", "ban": "半"}
PINYIN_COUNT = re.compile(r"\b(\d+|" + "|".join(PINYIN_DIGITS) + r")\s*ge\s*(yue|ren)\b")


def _pinyin_count(found: re.Match[str]) -> str:
    count = PINYIN_DIGITS.get(found.group(1), found.group(1))
    return count + ("个月" if found.group(2) == "yue" else "个人")


def _scaled(found: re.Match[str]) -> str:
    count = found.group(1)
    value = int(count) if count.isdigit() else ENGLISH_NUMBERS[count]
    return str(value * (1000 if found.group(2) == "thousand" else 100))


@lru_cache(maxsize=256)
def numbers_in(text: str) -> tuple[Number, ...]:
    """Every number in a message, Chinese or Arabic, with its unit and whether it is rough."""
    plain = plain_text(text)
    found: list[Number] = []
    counted_to = 0  # the end of a unit read with the number before it ("十几万": 万)
    for match in NUMBER.finditer(plain):
        span, start, end = match.group(), match.start(), match.end()
        if start < counted_to:
            continue
        before, after = plain[max(0, start - 12):start], plain[end:end + 12]
        rough = before.endswith(("几", "上")) or after.startswith(("来", "多", "把"))
        if span[0] in "百千万亿佰仟" and not (span in "百千万" and rough):
            continue  # 千万 (by all means), 万一 (in case): words, not numbers
        if span == "一" and ONE_IN_A_WORD.match(after):
            continue  # 一直 (all along), 一起 (together), 一样: words, not one
        value, approx = _span_value("一" + span if span in "百千万" else span)
        if value is None:
            continue
        read_to = end  # where `after` starts
        if after.startswith("几"):  # 十几 about a dozen, 二十几 twenty-odd
            value, approx, after = value + (2 if value == 10 else 5), True, after[1:]
            read_to += 1
        elif before.endswith("几") and span[0] in "十百千万":  # 几十 a few tens, 几十万, 好几万
            value, approx = 3 * value, True
        elif span in "百千万":  # 上百 a hundred or so, 百来人, 万把块
            approx = True
        scale = ROUGH_SCALE.match(after)
        if scale and SCALES[scale.group(2)] > SCALES.get(span[-1], 1):
            # "三十多万", "十几万", "一百多万": the rough part comes before the unit it counts in
            value, approx = value * SCALES[scale.group(2)], approx or bool(scale.group(1))
            counted_to = read_to + scale.end()
        approx = approx or bool(APPROX_BEFORE.search(before) or APPROX_AFTER.search(after))
        # 周五, 星期三, 礼拜一: a day of the week, not five or three of anything (nor a bare
        # answer to how many)
        unit = "weekday" if re.search(r"(?:周|星期|礼拜)$", before) else _unit(before, after)
        # "一个月4000" and "4000一个月" say a wage per month, not one month
        # ... and "一个月只休一天", "一个月才发一次": how often, not how long
        # ... and "我一个月工资4500" a wage per month (not "欠我一个月工资4500": a month owed)
        rate = value == 1 and (
            re.match(r"\s*个月\s*(?:[\d一二三四五六七八九两]|只|才|休|能)", after)
            or re.search(r"(\d|元|块|\d[kw])\s*$", before)
            or (re.match(rf"\s*个月{MONTHLY_PAY}\s*[\d一二三四五六七八九两]", after)
                and not OWING.search(before)))
        if unit == "month" and (value >= 1900 or before.endswith("每") or rate):
            unit = "other"  # "2025年" is a year, "每个月" a rate
        elif unit in ("money", "") and (_rate_said(before) or RATE_AFTER.match(after)):
            unit = "rate"
        elif unit in ("money", "") and PAID_BEFORE.search(before):
            unit = "paid"  # "只给了两千块": what was paid, not what is owed
        elif unit in ("money", "") and (COST_BEFORE.search(before) or COST_AFTER.match(after)):
            unit = "cost"
        found.append(Number(value, start, read_to, approx, unit))  # "十几" ends past its 几
    for match in re.finditer(r"几\s*(个|名|位)", plain):
        if not any(n.start <= match.start() < n.end for n in found):
            found.append(Number(Decimal(3), match.start(), match.end(), True,
                                _unit("", plain[match.start() + 1:])))
    return tuple(sorted(found, key=lambda n: n.start))


def _rate_said(before: str) -> re.Match[str] | None:
    """The words of a wage rate said just before a sum ("月薪", "每个月工资"), if they are."""
    said = RATE_BEFORE.search(before)
    if said and said.group("period").startswith("一个月") and OWING.search(before[:said.start()]):
        return None  # "欠我一个月工资4500": one month's wages owed
    return said


def _span_value(span: str) -> tuple[Decimal | None, bool]:
    scale = {"k": 1000, "w": 10000}.get(span[-1], 1)
    body = span[:-1] if scale > 1 else span
    ranged = CN_RANGE.match(body)
    if ranged:
        low, high = (Decimal(CN_DIGITS[ch]) for ch in ranged.group(1, 2))
        unit = {"十": 10, "百": 100, "千": 1000, "万": 10000}.get(ranged.group(3), 1)
        return (low + high) / 2 * unit * scale, True
    try:
        value = Decimal(body) if re.fullmatch(r"\d+(\.\d+)?", body) else Decimal(
            str(cn2an.cn2an(body.replace("点", "."), "smart")))
    except (ValueError, KeyError, IndexError, TypeError, InvalidOperation):
        return None, False
    return value * scale, False


# A number that names something is no sum: "身份证号410…", "电话138…", "工号2031", "3号楼".
NAMING_BEFORE = re.compile(r"(身份证号?码?|证件号?码?|电话号?码?|手机号?码?|号码|卡号|账号|帐号|"
                           r"编号|工号|单号|车牌号?|房间号?|房号|\bqq号?|微信号?|\bid|\bno\.?|#)"
                           r"\s*(是|为|:)?\s*$")
NAMING_AFTER = re.compile(r"^[x*]")  # "410xxxxx", "138****": part of a masked id or number


def _unit(before: str, after: str) -> str:
    if NAMING_BEFORE.search(before) or NAMING_AFTER.match(after):
        return "other"
    if UNIT_MONTHS.match(after):
        return "month"
    if UNIT_PEOPLE.match(after):
        return "people"
    if (MONEY_AFTER.match(after) or MONEY_BEFORE.search(before)
            or EXTRA_NAMED_BEFORE.search(before[-8:]) or EXTRA_NAMED_AFTER.match(after)):
        return "money"
    return "other" if UNIT_OTHER.match(after) else ""


# A sum owed besides the main one, with what it is for: "还有加班费3000", "另外押金500",
# "plus 2000 overtime" (not "还有3000没给": that is what is still owed, the main sum).
EXTRA_BEFORE = re.compile(r"(还有|另外|另|加上|外加|再加上?)\s*[\u4e00-\u9fff]{0,6}?"
                          r"(费|钱|款|金|工资|补贴|奖金|补偿)\s*(是|有|共|也)?\s*$|\bplus\s*$")


def owed_besides(plain: str, sums: Sequence[Number]) -> list[Number]:
    """The sums among `sums` (found in `plain`) named as owed besides the main one: after
    还有 / 另外 / plus, or named as a deposit, overtime pay, a bonus and the like."""
    return [n for n in sums if EXTRA_BEFORE.search(plain[max(0, n.start - 12):n.start])
            or EXTRA_NAMED_BEFORE.search(plain[max(0, n.start - 8):n.start])
            or EXTRA_NAMED_AFTER.match(plain[n.end:n.end + 12])]


# What is left to pay once part was paid: "已经给了5000，还差7000", "付了一半，还欠8000",
# "paid 5000, still owes 7000". Only with a payment named, so "还差2000没给" alone is the sum.
LEFT_BEFORE = re.compile(r"(还差|还欠|还剩|剩下|剩余|还有)\s*(的|了)?\s*$|"
                         r"\bstill (owes?|owed)\s*(me|us)?\s*$")
PART_PAID = re.compile(r"(已经|先|只)?(给了|付了|发了|结了|拿到了|拿了|打了|转了)|\bpaid\b")


def owed_after_part_paid(plain: str, sums: Sequence[Number]) -> Decimal | None:
    """The sum still owed after part was paid, when `plain` says both ("老板欠我12000，已经给了
    5000，还差7000" is 7000); None otherwise."""
    left = [n for n in sums if LEFT_BEFORE.search(plain[max(0, n.start - 8):n.start])
            and PART_PAID.search(plain[:n.start])]
    return max(n.value for n in left) if left else None


# The worker's own share of what a group is owed: "一共欠了我们二十多万，我自己是一万二",
# "我的那份8000", "my share is 8000". The case is theirs, so that is the sum owed.
OWN_SHARE = re.compile(r"(我自己|我个人|我一个人|我本人|其中我|我的那?份|我这份|我那份|属于我的|"
                       r"我的部分|单我|光我|\bmy share|\bmy part|\bmine)\s*(的|就|也|还)?\s*"
                       r"(是|有|被欠了?|欠了?|占|\bis|\bwas)?\s*(了)?\s*$")


def own_share(plain: str, sums: Sequence[Number]) -> Decimal | None:
    """The sum among `sums` said to be the worker's own share of a group's, if one is."""
    own = [n.value for n in sums if OWN_SHARE.search(plain[max(0, n.start - 14):n.start])]
    return max(own) if own else None


# A sum agreed or written down, and less paid: "工资条上写的是5000，实际只发了3500" (1500 short),
# "说好的一万二，只给了八千".
AGREED_BEFORE = re.compile(r"(写的是|写着|写的|说好的?|说好是|谈好的?|讲好的?|应该是|应该发|本来是|"
                           r"本应|应发|合同上是?|约定的?|承诺的?|答应的?|agreed|promised)\s*"
                           r"(月薪|工资|底薪|每个?月|一个月|工钱)?\s*(是|的|有)?\s*$")


def short_of_agreed(plain: str, numbers: Sequence[Number]) -> Decimal | None:
    """What is short when the text names a sum agreed and a smaller one paid, else None."""
    agreed = [n for n in numbers if n.unit in ("money", "", "rate")
              and AGREED_BEFORE.search(plain[max(0, n.start - 14):n.start])]
    paid = [n for n in numbers if n.unit == "paid"]
    if len(agreed) != 1 or len(paid) != 1 or not agreed[0].start < paid[0].start:
        return None
    short = agreed[0].value - paid[0].value
    return short if MIN_AMOUNT <= short <= MAX_AMOUNT else None


# A sum owed for each month, listed: "3月2000，4月3000，5月3500" (8500 in all).
FOR_A_MONTH = re.compile(r"[\d一二三四五六七八九十]{1,2}\s*月份?\s*(的|工资|是)?\s*[:：]?\s*$")


def month_by_month(plain: str, numbers: Sequence[Number]) -> Decimal | None:
    """The total of sums listed month by month (two or more), else None."""
    listed = [n.value for n in numbers if n.unit in ("", "money")
              and MIN_AMOUNT <= n.value <= MAX_AMOUNT
              and FOR_A_MONTH.search(plain[max(0, n.start - 8):n.start])]
    return sum(listed, Decimal(0)) if len(listed) >= 2 else None


# A sum worked out in the text: "3个月×4000", "4000*3", "3 months x 4000", "4500+3000".
PRODUCT = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个月|months?|天|days?)?\s*(?:[x×*]|乘以?)\s*"
                     r"(\d+(?:\.\d+)?)")
ADDITION = re.compile(r"\d+(?:\.\d+)?(?:\s*[+＋加]\s*\d+(?:\.\d+)?)+")


def worked_out(text: str) -> Decimal | None:
    """The product or sum the worker wrote out ('3个月×4000', '4500+3000'), if it is a
    plausible sum owed."""
    plain = plain_text(text)  # (symbols kept: only a first text's reading drops them)
    if found := PRODUCT.search(plain):
        value = Decimal(found.group(1)) * Decimal(found.group(2))
    elif added := ADDITION.search(plain):
        value = sum((Decimal(n) for n in re.findall(r"\d+(?:\.\d+)?", added.group())),
                    Decimal(0))
    else:
        return None
    return value if MIN_AMOUNT <= value <= MAX_AMOUNT else None


def amount_in(numbers: Sequence[Number]) -> Decimal | None:
    """The amount owed among a message's numbers: money-marked first, else the largest bare."""
    sane = [n for n in numbers if MIN_AMOUNT <= n.value <= MAX_AMOUNT]
    money = [n for n in sane if n.unit == "money"] or [n for n in sane if n.unit == ""]
    return max(n.value for n in money) if money else None


# How long a wage rate counts for: "日薪300", "一天两百", "300 a day" are per day; "时薪25" per
# hour (no time in hours is read, so no sum); anything else ("月薪4500", "每个月4000", "工资是
# 5000") per month, as wages in China are mostly paid.
PER_DAY = re.compile(r"日薪|天|日工资|/日|day")
PER_HOUR = re.compile(r"时薪|小时|hour|/hr")
# Days worked or unpaid ("干了20天", "二十多天", "15 days"), not a time before or after
# something ("三天前", "3天后").
DAYS = re.compile(r"^\s*(多|来)?\s*(天|days?\b)(?!\s*(前|后|内|之内|以内|ago|later|before))")

# Weeks, as days are: "6 weeks", "三个星期" (not "两周前").
WEEKS = re.compile(r"^\s*(多|来)?\s*(个?星期|个?礼拜|周|weeks?\b)(?!\s*(前|后|ago|later))")
HALF_MONTH = re.compile(r"[\d一二两三四五六七八九十]\s*个半月")


def owed_at_rate(text: str, today: date | None = None, answer: bool = False) -> Decimal | None:
    """The wages a rate and the time it went unpaid come to, for a text naming no sum owed:
    '拖欠工资4个月，每月4500' is 18000, '一天两百，干了20天没给钱' 4000, '每月4500，从8月开始没发'
    (in December, given `today`) 18000. None unless exactly one rate and one such time are
    said (a rate per hour, or two rates, are the worker's to sum). `answer`: the text answers
    what is owed, so time worked said alone is the time unpaid (see months_unpaid)."""
    plain = plain_text(text)
    numbers = numbers_in(plain)
    rates = [n for n in numbers if n.unit == "rate"]
    if len(rates) != 1 or not MIN_AMOUNT <= rates[0].value <= MAX_AMOUNT:
        return None
    rate = rates[0]
    before, after = plain[max(0, rate.start - 12):rate.start], plain[rate.end:rate.end + 12]
    said = _rate_said(before)
    if said:
        words = (rate.start - len(before) + said.start(), rate.start)
    elif said := RATE_AFTER.match(after):
        words = (rate.end, rate.end + said.end())
    else:  # a rate read past a rough count's 几 ("十几块一天"): its period not placed
        return None
    period = said.group("period")
    if PER_HOUR.search(period):
        return None
    # Not the 一 of "一天两百": that is how the rate is said, not days worked.
    days = [n.value for n in numbers if n is not rate and DAYS.match(plain[n.end:])
            and not words[0] <= n.start < words[1]]
    if PER_DAY.search(period) or (period == "工资是" and days):
        time: Decimal | int | None = days[0] if len(days) == 1 else None
    else:  # the months, read without the rate and its own "一个月"
        start, end = min(words[0], rate.start), max(words[1], rate.end)
        rest = plain[:start] + " " * (end - start) + plain[end:]
        time = months_unpaid(rest, today, answer=answer)
        if time and HALF_MONTH.search(rest):
            time -= Decimal("0.5")  # months_in counts "两个半月" as 3 whole months
    # Part of each month's wage paid ("每个月只发1000生活费，一个月工资6000"): the rest is owed.
    monthly = [n.value for n in numbers if n.unit == "paid" and n.value < rate.value
               and re.search(r"每个?月", plain[max(0, n.start - 8):n.start])]
    each = rate.value - (monthly[0] if len(monthly) == 1 and not PER_DAY.search(period) else 0)
    owed = each * time if time else None
    return owed if owed is not None and MIN_AMOUNT <= owed <= MAX_AMOUNT else None


# A month's pay said first in a clause of its own, then the time unpaid: "工资4500，拖了三个月"
# is 4,500 a month (three months of 1,500 would be below any minimum wage in China); "拖欠
# 工资4500" and "三个月工资4500没给" are what is owed.
# A sum said as 工资 alone, with no time beside it ("工资4500", "工资4500没发"), is the sum owed:
# the worker texting about unpaid wages names what they are owed, and a monthly wage says so
# ("月薪4500", "每个月4500", "工资是4500": a rate, no sum). The confirmation shows the sum.
STATED_WAGE = re.compile(r"(?:^|[，,。.；;！!？?\s】\])）)])\s*(?:我的?|我们的?)?(?:月?工资|薪水)"
                         r"(?:是|有)?\s*$")
# (A space ends a clause too: "工资4500 干了三个月没拿到钱".)
CLAUSE_END = re.compile(r"\s*(?:元|块钱?)?\s*(?:[，,。.；;！!]|$)|\s*(?:元|块钱?)?\s+(?=\S)")


def _without_sums(plain: str, sums: Sequence[Number]) -> str:
    """`plain` with each of `sums` (found in it) blanked: no wage read as a number of months."""
    for n in sums:
        plain = plain[:n.start] + " " * (n.end - n.start) + plain[n.end:]
    return plain


def _is_stated_wage(plain: str, sums: Sequence[Number], amount: Decimal | None) -> bool:
    return any(n.value == amount and STATED_WAGE.search(plain[max(0, n.start - 10):n.start])
               and CLAUSE_END.match(plain[n.end:]) for n in sums)


def owed_in(text: str, plain: str, numbers: Sequence[Number], sums: Sequence[Number],
            today: date | None, rate_text: str | None, answer: bool = False) -> Decimal | None:
    """What the worker is owed, read from `numbers` (all found in `plain`) and `sums` (those
    that may be money): their own share of a group's sum, what is left after part was paid,
    what is short of a sum agreed, sums listed month by month or worked out, else the main
    sum; when none is named, a rate times the time unpaid read in `rate_text` (None: no rate
    counts), as is a month's pay said in a clause of its own ("工资4500，拖了三个月"); sums owed
    besides it ("还有加班费3000") added. `answer`: the text answers what is owed (time worked
    said alone is then the time unpaid)."""
    own = own_share(plain, sums)
    besides = [] if own else owed_besides(plain, sums)
    amount = (own or owed_after_part_paid(plain, sums) or short_of_agreed(plain, numbers)
              or month_by_month(plain, numbers) or worked_out(text)
              or amount_in([n for n in sums if n not in besides]))
    if amount is None and rate_text is not None:
        amount = owed_at_rate(rate_text, today, answer)  # "每月4500，拖欠4个月"
    elif rate_text is not None and today is not None and _is_stated_wage(plain, sums, amount):
        wage = [n for n in sums if n.value == amount]
        months = months_unpaid(_without_sums(plain, wage), today, answer=answer)
        amount = amount * months if amount is not None and months else amount
    more = [n.value for n in besides if MIN_AMOUNT <= n.value <= MAX_AMOUNT]
    return (amount or Decimal(0)) + sum(more, Decimal(0)) if more else amount


def parse_amount(text: str, today: date | None = None) -> Decimal | None:
    """12000, '12,000元', '¥12000', '1.2万', '1万2', '一万二', '八千块', '5k', '两万多' -> Decimal;
    a rate and its time ('每月4500，4个月'; '从8月开始' given `today`) as their product; None
    for no number or one too small to be wages owed ('1', '5块')."""
    numbers = numbers_in(text)  # found in plain_text(text)
    value = owed_in(text, plain_text(text), numbers, numbers, today, text, answer=True)
    if value is None or value != value.to_integral_value():
        return value.quantize(Decimal("0.01")) if value is not None else None
    return Decimal(int(value))


# What treatment cost a hurt worker: the sum asked for when the employer will not pay. Below
# this a reply is a menu key pressed by habit ("1"), not a bill; "nothing yet" is said in words.
MIN_COST = Decimal(10)
NOTHING_PAID = re.compile(r"^(一分钱?)?(都|也|还)?没(有)?(花|掏|垫|付|交)?(钱|过|了)?[。.!！]*$|"
                          r"^(还)?没(有)?(花|掏|垫|付)(?!多少)(什么)?钱?|^0+(元|块)?$|^零$|"
                          r"^(nothing|none|zero|no money|not yet|nothing yet)\b")


# A sum said as the whole of what was spent: "一共花了一万", "加起来两万", "20000 in total".
TOTAL_BEFORE = re.compile(r"(一共|总共|合计|总计|共计|加起来|算下来|all together|altogether|"
                          r"in total|total( of)?)\s*(都|也)?\s*(花了?|用了?|垫了?|是|有)?\s*$")
TOTAL_AFTER = re.compile(r"^\s*(多|来)?\s*(元|块|yuan|rmb)?\s*(in total|altogether|all together)")


def parse_cost(text: str) -> Decimal | None:
    """What the worker paid for treatment: '花了3千多', '五千', '¥800', '医药费8000，一共花了一万'
    (the total, 10000), '住院费一万五，药费三千' (both, 18000) -> Decimal; None with no sum in
    it. A sum the boss paid is not theirs."""
    sums = [n for n in numbers_in(text) if MIN_COST <= n.value <= MAX_AMOUNT]
    costs = [n for n in sums if n.unit == "cost"]
    if costs:
        return cost_total(plain_text(text), costs)
    found = [n.value for n in sums if n.unit in ("money", "")]
    return max(found) if found else None


def cost_total(plain: str, costs: Sequence[Number]) -> Decimal:
    """What several sums spent on treatment come to (`plain`: the text they were found in):
    the total the worker names, else the bills added up. A sum said twice
    ("医药费8000，8000都是我垫的") counts once, and one that is the others' sum is their total
    ("住院一万，药费两千，花了一万二")."""
    totals = [n.value for n in costs if TOTAL_BEFORE.search(plain[max(0, n.start - 10):n.start])
              or TOTAL_AFTER.match(plain[n.end:n.end + 20])]
    if totals:
        return max(totals)
    bills = sorted({n.value for n in costs})
    return bills[-1] if len(bills) > 2 and bills[-1] == sum(bills[:-1]) else sum(bills, Decimal(0))


def says_nothing_paid(text: str) -> bool:
    """'没花钱', '一分没花', '还没有', 'nothing yet', '0': the worker has paid nothing so far."""
    return bool(NOTHING_PAID.search(normalize(text).lower().strip()))


# Time still to come is not time unpaid: "老板说再干一个月就结账", "还要等两个月".
FUTURE_TIME = re.compile(r"(再|还要|还得)(干|做|等|过|待|上|工作)?\s*$")
HALF_YEAR = re.compile(r"(\d+(?:\.\d+)?)?\s*(年半|个半月|年|半年|个月半)")


def months_in(text: str, bare: bool = False) -> int | None:
    """Months stated in text ('三个月', '一年半', 'half a year'); a bare number counts if `bare`."""
    plain = plain_text(text).replace("half a year", "半年").replace("half year", "半年")
    # "a month" is one month, except after a sum, where it is a wage rate ("4000 a month").
    plain = re.sub(r"(\d\s*)?\b(a|an) (year|month)",
                   lambda m: m.group(0) if m.group(1) else f"1 {m.group(3)}", plain)
    numbers = numbers_in(plain)
    if re.search(r"(?<![\d一二两三四五六七八九十])半年", plain):
        return 6
    for number in numbers:
        after = plain[number.end:number.end + 20]
        if number.unit != "month" or FUTURE_TIME.search(
                plain[max(0, number.start - 4):number.start]):
            continue
        if re.match(r"\s*(年半|years? and a half)", after):
            return _sane_months(number.value * 12 + 6)
        if re.match(r"\s*([多整]?年|years?\b)", after):
            return _sane_months(number.value * 12)
        if number.unit == "month":
            extra = 1 if re.match(r"\s*个半月", after) else 0
            return _sane_months(number.value + extra)
    if bare and len(numbers) == 1 and (DAYS.match(plain[numbers[0].end:])
                                       or WEEKS.match(plain[numbers[0].end:])):
        # Asked the months, "40多天", "二十来天", "6 weeks": a month or more, at least one.
        # (In a first text, days worked at a day's rate are read with the rate: owed_at_rate.)
        days = numbers[0].value * (7 if WEEKS.match(plain[numbers[0].end:]) else 1)
        return max(1, int(days / 30 + Decimal("0.5")))
    if bare and len(numbers) == 1 and numbers[0].unit in ("", "other") and not re.match(
            r"\s*(月|年|号|日)", plain[numbers[0].end:]):  # "9月份的" names a month, counts none
        return _sane_months(numbers[0].value)
    return None


def _sane_months(value: Decimal) -> int | None:
    months = int(value + Decimal("0.5"))  # 两三个月 (2.5) -> 3
    return months if 1 <= months <= 240 else None


# A start, and that it goes on: "从8月开始", "去年十月到现在", "今年3月份以来", "since September".
SINCE = re.compile(r"(?:从|自从|自)?\s*(?P<when>[^，。,.;；!！?？从自]{1,12}?)\s*(?:份)?\s*"
                   r"(?:开始|起|到现在|到今天|至今|以来|以后|到目前)|"
                   r"\b(?:since|from)\s+(?P<en>(?:last\s+)?[a-z]{3,9}\.?(?:\s+\d{4})?)")
# A month as the start said more briefly: "6月后没发", "从3月份" (a clause's end after it). Only a
# month: "受伤后" and "昨天被辞退后" say when something happened, not since when.
_START_MONTH = r"(?:去年|今年)?\s*[\d一二三四五六七八九十]{1,3}\s*月"
SINCE_MONTH = re.compile(rf"(?:从|自从|自)\s*(?P<from>{_START_MONTH})\s*份?"
                         r"(?=\s*(?:$|[，,。.;；!！]))|"
                         rf"(?P<after>{_START_MONTH})\s*份?\s*(?:之后|后)")


# Since the Spring Festival, when wages are settled and the new year's work begins: "过完年就
# 没发", "年后一直没给", "春节以后", "开年到现在" (not "三年后", three years on).
AFTER_NEW_YEAR = re.compile(r"过完年|过了年|过年后|过年以后|过完春节|春节过后|春节后|春节以后|"
                            r"(?:过年|春节)(?:到现在|至今|以来|开始)|"
                            r"(?<![\d一二两三四五六七八九十几半明去前今])年后|开年以?后|开年到现在|"
                            r"(after|since) (the )?(chinese|lunar) new year|"
                            r"(after|since) (the )?spring festival")


# Pay promised for then: "过完年再结", "年后就发" (not "过完年就没发").
PROMISE = re.compile(r"^\s*(再|才|就|会|一定|马上)\s*(结|发|给|付|算)")


def spring_festival_before(today: date) -> date:
    """The last Spring Festival (the lunar new year's day) on or before `today`."""
    this_year = LunarDate(today.year, 1, 1).to_solar_date()
    return this_year if this_year <= today else LunarDate(today.year - 1, 1, 1).to_solar_date()


# From one month to another, both said: "2025年3月到2025年12月", "3月到8月", "3-6月".
MONTH_RANGE = re.compile(r"(?P<a>(?:\d{4}\s*年\s*)?[\d一二三四五六七八九十]{1,3})\s*(?:月份?)?\s*"
                         r"(?:(?:干|做|上班|工作)?\s*(?:到|至)|-|~|—|－)\s*"
                         r"(?P<b>(?:\d{4}\s*年\s*)?[\d一二三四五六七八九十]{1,3})\s*月")


# Months named one by one: "10月和11月的工资", "9月、10月、11月", "October and November".
_ONE_MONTH = (r"(?:[\d一二三四五六七八九十]{1,3}\s*月份?|\b(?:jan(?:uary)?|feb(?:ruary)?|"
              r"mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t|tember)?|oct(?:ober)?|"
              r"nov(?:ember)?|dec(?:ember)?)\b)")
# ("十月十一月", "10、11月": the months one after another, the first one's 月 left out.)
MONTH_LIST = re.compile(rf"(?<![\d一二三四五六七八九十])"
                        rf"(?:{_ONE_MONTH}|[\d一二三四五六七八九十]{{1,3}}(?=\s*[和、,，]))"
                        rf"(?:\s*(?:和|、|,|，|与|跟|及|and|&)?\s*{_ONE_MONTH})+")


def months_listed(plain: str) -> int | None:
    """How many months a text names one by one ("10月和11月": 2), None for fewer than two."""
    found = MONTH_LIST.search(plain)
    if found is None:
        return None
    named = re.findall(_ONE_MONTH + r"|^[\d一二三四五六七八九十]{1,3}", found.group())
    return len(set(re.sub(r"\s|份|月", "", m)[:3] for m in named)) if len(named) >= 2 else None


def months_between(plain: str, today: date) -> int | None:
    """The months from one named month to another, both counted ("3月到8月" is 6)."""
    found = MONTH_RANGE.search(plain)
    if found is None:
        return None
    a, b = found.group("a"), found.group("b")
    year_a = re.match(r"\d{4}", a)
    if year_a and not re.match(r"\d{4}", b):
        b = year_a.group() + "年" + b  # "2025年3月到12月": the same year
    start, end = parse_date(a + "月", today), parse_date(b + "月", today)
    if start is None or end is None:
        return None
    months = (end.year - start.year) * 12 + end.month - start.month
    months += 12 if months < 0 else 0  # "11月到2月": into the next year
    return months + 1 if months < 240 else None


def months_stated(text: str, today: date, bare: bool = False) -> int | None:
    """Months stated in text, counted ('三个月', '半年') or from a start it names to `today`
    ('从8月开始' in December: 4; '去年十月到现在' 14; 'since September'; '过完年就没发' the
    months since the Spring Festival). A count said beside a start wins: "去年十月开始上班，
    最近两个月没发" is two. A bare number counts if `bare`."""
    return _months_said(plain_text(text), today, bare)[0]


def _start_said(plain: str, today: date) -> tuple[re.Match[str], date] | None:
    """The words naming when the time began and that date, if `plain` names one."""
    for pattern in (SINCE, SINCE_MONTH):
        found = pattern.search(plain)
        when = next((g for g in found.groups() if g), None) if found else None
        start = parse_date(when, today) if found and when else None
        if found and start:
            return found, start
    festival = AFTER_NEW_YEAR.search(plain)
    if festival is None or PROMISE.match(plain[festival.end():]):
        return None  # "老板说过完年再结": a promise, no start
    return festival, spring_festival_before(today)


def _months_said(plain: str, today: date, bare: bool) -> tuple[int | None, int | None]:
    """(months stated, where the start they run from is said to end in `plain`: None when
    they are a count or a range said)."""
    if (between := months_between(plain, today) or months_listed(plain)) is not None:
        return between, None
    said = _start_said(plain, today)
    if said is None:
        return months_in(plain, bare), None
    found, start = said
    counted = months_in(plain[:found.start()] + "，" + plain[found.end():])
    if counted is not None:
        return counted, None
    months = (today.year - start.year) * 12 + today.month - start.month
    return (max(months, 1), found.end()) if months <= 240 else (None, None)


# How long the worker has worked there, or was pregnant ("怀孕7个月"): time worked, which is
# time unpaid only when the text says so.
TENURE = re.compile(r"(干了|做了|工作了|上班了|打工了?|来了|入职|干满|做满|干够|做够|怀孕|怀了)"
                    r"[^，。,.；;!！]{0,4}?(\d+|[一二两三四五六七八九十半几]+)\s*(多)?\s*"
                    r"(个多月|个月|年半|年)|"
                    r"\b(?:worked|been working|working)(?: (?:there|here))?(?: for)?\s+\d+\s*"
                    r"(?:months?|years?)\b")
# Nothing paid in all the time worked ("一分钱没给", "从来没发过工资", "只给了生活费"): the time
# worked is the time unpaid.
NOTHING_EVER = re.compile(r"一分钱?(都|也)?没|从来没(发|给|结)|从没(发|给|结)|"
                          r"只(给|发)(了|过)?(点|些)?生活费|never (been )?paid|got nothing|"
                          r"not (been )?paid (a cent|anything)|nothing paid")
# ... or said right after it: "干了三个月没拿到钱", "干了两个月，工资没发".
WORKED_UNPAID = re.compile(r"^\s*的?(活|工)?\s*[，,]?\s*(工资|工钱|钱)?\s*(都|也|还|却)?\s*"
                           r"(没有?|未|不)(发|给|结|拿|见|领|收)")
# Time worked and then no pay: "年后干了两个月就没发了" (paid for the two months).
THEN_UNPAID = re.compile(r"^\s*[，,]?\s*(就|后面|后来|之后|以后|然后|接着|再后来)\s*(就|也|都)?\s*"
                         r"(一直|再)?\s*(没有?|不|未)")
# Months paid: "只发了两个月", "才给过一个月的工资", "只发了3月的", "only got paid for 1 month"
# (not "没发了两个月", "haven't been paid for 2 months").
PAID_MONTHS = re.compile(r"(?<![没未不])(只|才|就|仅|已经|总共|一共)?(发|给|结|付|拿|领)(了|过)\s*"
                         r"(?:(?P<months>(\d+|[一二两三四五六七八九十几]+)\s*多?\s*个[多半]?月)|"
                         rf"(?P<named>{MONTH_LIST.pattern}|{_ONE_MONTH})\s*的)|"
                         r"\bonly (?:got |been |was |were )?paid(?: me| us)? for "
                         r"(?P<en>\d+ months?)\b")
# Said beside the time worked, a part of it: "干了三年，最近工资一直没发".
PART_OF_IT = re.compile(r"最近|近期|后面|后来|之后|以后|最后|这[几两\d]|上个?月|去年|今年|前年|"
                        r"[上下]半年")


def months_unpaid(text: str, today: date | None, bare: bool = False,
                  answer: bool = False) -> int | None:
    """Months the wages went unpaid, as the text says: a count ("做了半年，后面两个月没发" 2),
    from a start to `today` less the months paid ("从3月干到现在，只发了两个月" in December: 7)
    or worked and paid after it ("年后干了两个月就没发了": 8), or the time worked when none of
    it was paid ("干了三个月一分钱没拿到" 3) or less the months paid ("干了八个月，只发了三个月"
    5). `answer`: the text answers how long or how much, so time worked said alone is the time
    unpaid; a bare number counts if `bare`."""
    plain = plain_text(text)
    rest, worked = plain, None
    for found in TENURE.finditer(plain):
        worked = worked or found
        rest = rest[:found.start()] + " " * (found.end() - found.start()) + rest[found.end():]
    paid_said = PAID_MONTHS.search(rest)
    if paid_said:
        rest = rest[:paid_said.start()] + " " * len(paid_said.group()) + rest[paid_said.end():]
    paid = _months_paid(paid_said) if paid_said else None
    tenure = months_in(worked.group()) if worked else None
    # (A bare number is no answer beside time worked: "干了三个月一分钱没拿到" is not one.)
    bare = bare and worked is None and paid_said is None
    months, start_end = _months_said(rest, today, bare) if today else (months_in(rest, bare), None)
    if months is not None and start_end is None:
        return months  # a count said (the time worked and the months paid are none)
    if months is not None and start_end is not None:  # since a start
        if worked and tenure and worked.start() >= start_end and tenure < months:
            # Worked after the start: paid for that time and then not, or that time is it.
            if THEN_UNPAID.match(plain[worked.end():]):
                return months - tenure
            months = tenure
        return months - paid if paid and paid < months else months
    if worked and tenure:
        if paid and paid < tenure:
            return tenure - paid
        if (NOTHING_EVER.search(plain) or WORKED_UNPAID.match(plain[worked.end():])
                or (answer and not PART_OF_IT.search(rest))):
            return tenure
    return None


def _months_paid(said: re.Match[str]) -> int | None:
    if said.group("named"):
        return len(re.findall(_ONE_MONTH, said.group("named")))
    return months_in(said.group("months") or said.group("en"))


def parse_months(text: str) -> int | None:
    """'三个月' 3, '3', '半年' 6, '一年半' 18, '两个多月' 2, '3 months', 'half a year' -> months."""
    return months_in(text, bare=True)


ALONE = re.compile(r"^(就|只有|只是|只)?(我|俺)(一个人?|自己|一人|本人)?$|^(just|only) me$|"
                   r"^myself$|^(me|i) alone$|^(就|只有)?(我|俺)一个$")
WITH_OTHERS = re.compile(r"^(我|俺)(和|跟|与|同)|^me and\b")
# The writer and one other person named, no count: "我和我老婆", "我跟我弟", "me and my wife".
WITH_ONE = re.compile(r"^(我|俺)(和|跟|与|同)(我|俺)?的?(老婆|老公|爱人|媳妇|丈夫|妻子|弟弟?|哥哥?|"
                      r"姐姐?|妹妹?|儿子|女儿|爸爸?|妈妈?|父亲|母亲|老乡|表哥|表弟|堂哥|堂弟|"
                      r"同事|工友|朋友|师傅|徒弟|对象)[。.!！~]*$|"
                      r"^me and my (wife|husband|brother|sister|son|daughter|father|mother|"
                      r"friend)$")


def people_in(text: str, bare: bool = False) -> tuple[int, bool] | None:
    """Workers affected as stated ('五个人', '我和两个工友', '十几个人'); bare numbers if `bare`."""
    plain = re.sub(r"[。.!！,，~]+", "", plain_text(text)).strip() if bare else plain_text(text)
    if bare and ALONE.match(plain):
        return 1, False
    if bare and WITH_ONE.match(plain):
        return 2, False
    numbers = numbers_in(plain)
    counted = [n for n in numbers if n.unit == "people"]
    if not counted and bare and len(numbers) == 1 and (
            numbers[0].unit in ("", "other")
            or re.match(r"\s*(个|名|位)", plain[numbers[0].end:])):  # "一共七个" (not money)
        counted = list(numbers)
    if not counted:
        return None
    number = counted[0]
    # "我和两个工友": the two others plus the one writing; "我和老乡两个人" counts everyone.
    everyone = re.match(r"\s*(个|名|位)?\s*(多|来)?\s*(个)?\s*(人|people)", plain[number.end:])
    others = WITH_OTHERS.search(plain) is not None and not everyone
    count = int(number.value + Decimal("0.5")) + (1 if others else 0)
    return (count, number.approximate) if 1 <= count <= 100_000 else None


def parse_people(text: str) -> tuple[int, bool] | None:
    """'就我一个' (1, False), '5', '我和两个工友' (3, False), '十几个人' (12, True), 'a dozen'."""
    return people_in(text, bare=True)


CN_NUM = rf"(\d{{1,4}}|[{CN_NUMERALS}]{{1,6}})"  # bounded: no backtracking blow-up on long runs
FULL_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")
SHORT_DATE = re.compile(r"\s*(\d{1,2})\s*[./-]\s*(\d{1,2})\s*(?:号|日)?\s*")
MONTH_DAY = re.compile(rf"(?:(去年|今年|前年|明年)\s*|(\d{{4}})\s*年\s*)?{CN_NUM}\s*月(?:份)?\s*"
                       rf"(?:{CN_NUM}\s*[号日])?")
AGO = re.compile(rf"{CN_NUM}\s*(天|日|周|个?星期|个?礼拜|个月)\s*(前|以前|之前)|"
                 r"(\d+)\s*(day|week|month)s?\s+ago")
RELATIVE_DAYS = {"今天": 0, "today": 0, "今早": 0, "今晚": 0, "刚才": 0, "刚刚": 0, "前两天": 2,
                 "昨天": 1, "昨日": 1, "昨晚": 1,
                 "昨夜": 1, "yesterday": 1, "前天": 2, "前晚": 2, "大前天": 3, "上周": 7,
                 "上个星期": 7, "上星期": 7, "上礼拜": 7, "上个礼拜": 7, "last week": 7,
                 "上上周": 14, "上上个星期": 14, "上上个礼拜": 14, "半个月前": 15,
                 "this morning": 0, "this afternoon": 0, "this evening": 0, "tonight": 0,
                 "last night": 1, "a week ago": 7}
# A day of the month said alone: "28号", "3日", "二十八号".
DAY_OF_MONTH = re.compile(rf"\s*(?:就是|是|在)?\s*{CN_NUM}\s*[号日]\s*(?:那天|左右)?\s*|"
                          r"\s*(?:on\s+)?(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)\s*")
# A day of the week: "上周三", "上个礼拜五", "周一", "星期天", "上周末", "last Friday", "on Monday".
WEEKDAY = re.compile(r"(上上|上|这|本)?个?(?:周|星期|礼拜)([一二三四五六日天末])|"
                     r"\b(last|this|on)?\s*(mon|tues|wednes|thurs|fri|satur|sun)day\b")
WEEKDAYS_ZH = "一二三四五六日"
WEEKDAYS_EN = ("mon", "tues", "wednes", "thurs", "fri", "satur", "sun")
ENGLISH_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                  "dec")


def _count(text: str) -> int | None:
    try:
        value = int(text) if text.isdigit() else int(cn2an.cn2an(text, "smart"))
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return value


# Part of a month said after it: "上个月底", "10月中旬", "end of last month".
MONTH_PART = re.compile(r"^\s*(份)?\s*(底|末|尾|下旬|中旬|中|上旬|初|头)")
ENGLISH_MONTH_PART = re.compile(r"\b(end|middle|mid|beginning|start)\b(\s+of)?\s*$")


def _in_month(found: date | None, before: str, after: str) -> date | None:
    """The first day of a month moved to the part of it said ('底' its last day, '中' the
    15th, '下旬' the 25th); the date unchanged when no part is said."""
    if found is None:
        return None
    part = MONTH_PART.match(after)
    word = part.group(2) if part else ""
    if not word and (english := ENGLISH_MONTH_PART.search(before)):
        word = {"end": "底", "middle": "中", "mid": "中"}.get(english.group(1), "初")
    if word in ("底", "末", "尾"):
        following = (found.replace(day=28) + timedelta(days=4)).replace(day=1)
        return following - timedelta(days=1)
    if not word:
        return MonthOnly(found.year, found.month, 1)  # "上个月", "去年十月": no day said
    return found.replace(day={"下旬": 25, "中旬": 15, "中": 15}.get(word, found.day))


def _weekday(found: re.Match[str], today: date) -> date | None:
    """The day a weekday names: in the week said ("上周三" last week's Wednesday, "上周末" its
    Saturday), else the latest such day not after today ("周一", "last Friday")."""
    if found.group(2):
        day = "六" if found.group(2) == "末" else "日" if found.group(2) == "天" else found.group(2)
        index, week = WEEKDAYS_ZH.index(day), found.group(1)
    else:
        index, week = WEEKDAYS_EN.index(found.group(4)), found.group(3)
    monday = today - timedelta(days=today.weekday())
    if week in ("上", "上上"):
        return monday - timedelta(days=7 * len(week)) + timedelta(days=index)
    said = monday + timedelta(days=index)
    if week in ("这", "本", "this"):
        return said if said <= today else None
    if said > today or (week == "last" and said == today):
        said -= timedelta(days=7)
    return said


def _months_back(today: date, months: int, day: int = 1) -> date:
    index = today.year * 12 + today.month - 1 - months
    return date(index // 12, index % 12 + 1, 1) + timedelta(days=day - 1)


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


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


def parse_date(text: str, today: date) -> date | None:
    """When something happened: '昨天', '上个月', '3月5号', '去年十月', '两周前', '2026-11-20',
    'yesterday', '3 days ago'. Never after today; a month alone is a MonthOnly (its first
    day)."""
    plain = plain_text(text)
    found = _parse_date(plain, today)
    return found if found is not None and found <= today else None


def _parse_date(plain: str, today: date) -> date | None:
    if full := FULL_DATE.search(plain):
        return _safe_date(*(int(g) for g in full.groups()))
    if short := SHORT_DATE.fullmatch(plain):  # a whole answer "12.1", "11/28": month and day
        found = _safe_date(today.year, int(short.group(1)), int(short.group(2)))
        return found if found is None or found <= today else _safe_date(
            today.year - 1, found.month, found.day)
    if ago := AGO.search(plain):
        if ago.group(4):
            count = int(ago.group(4))
            unit = {"day": "天", "week": "周", "month": "个月"}[ago.group(5)]
        else:
            count, unit = _count(ago.group(1)) or 0, ago.group(2)
        if unit == "个月":
            return _months_back(today, count, min(today.day, 28))
        return today - timedelta(days=count * (1 if unit in ("天", "日") else 7))
    if md := MONTH_DAY.search(plain):
        month, day = _count(md.group(3)), _count(md.group(4)) if md.group(4) else 1
        if month is None or day is None:
            return None
        year = int(md.group(2)) if md.group(2) else (
            today.year - {"去年": 1, "前年": 2, "明年": -1}.get(md.group(1) or "", 0))
        found = _safe_date(year, month, day)
        if found and found > today and not (md.group(1) or md.group(2)):
            found = _safe_date(year - 1, month, day)  # "3月5号" said in January: last March
        return found if md.group(4) else _in_month(found, "", plain[md.end():])
    if weekday := WEEKDAY.search(plain):
        return _weekday(weekday, today)
    for word, days in sorted(RELATIVE_DAYS.items(), key=lambda kv: -len(kv[0])):
        if word in plain:
            return today - timedelta(days=days)
    if last := re.search(r"上个?月|last month", plain):
        start = _months_back(today, 1)
        if day_said := re.match(rf"\s*{CN_NUM}\s*[号日]", plain[last.end():]):
            said = _count(day_said.group(1))  # "上个月5号"
            return _safe_date(start.year, start.month, said) if said else None
        return _in_month(start, plain[:last.start()], plain[last.end():])
    # "去年年底" / "去年底": the last days of last year; a year alone says no day.
    last_year = re.search(r"去年|last year", plain)
    if last_year and (re.match(r"\s*年?\s*(底|末|尾)", plain[last_year.end():])
                      or ENGLISH_MONTH_PART.search(plain[:last_year.start()])):
        return date(today.year - 1, 12, 31)
    if AFTER_NEW_YEAR.search(plain):  # "过完年就走了": the Spring Festival, near enough
        return spring_festival_before(today)
    if this := re.search(r"这个月|本月|this month", plain):
        if day_said := re.match(rf"\s*{CN_NUM}\s*[号日]", plain[this.end():]):
            said = _count(day_said.group(1))  # "这个月3号"
            return _safe_date(today.year, today.month, said) if said else None
        # "这个月初": its first day; "这个月" alone only the month
        return _in_month(date(today.year, today.month, 1), plain[:this.start()], plain[this.end():])
    if bare_day := DAY_OF_MONTH.fullmatch(plain):
        # "28号" alone: the last 28th (this month's, or last month's if still to come).
        said = _count(bare_day.group(1) or bare_day.group(2))
        if said is None:
            return None
        found = _safe_date(today.year, today.month, said)
        if found is None or found > today:
            start = _months_back(today, 1)
            found = _safe_date(start.year, start.month, said)
        return found
    english = re.search(r"\b(" + "|".join(ENGLISH_MONTHS) + r")[a-z]*\.?\s*(\d{1,2})?\b", plain)
    day_first = re.search(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?("
                          + "|".join(ENGLISH_MONTHS) + r")[a-z]*\b", plain)
    if day_first:  # "28th November", "1 of May"
        found = _safe_date(today.year, ENGLISH_MONTHS.index(day_first.group(2)) + 1,
                           int(day_first.group(1)))
        return found if found is None or found <= today else _safe_date(
            today.year - 1, found.month, found.day)  # (no 29 February last year: none)
    if english:
        month, day = ENGLISH_MONTHS.index(english.group(1)) + 1, int(english.group(2) or 1)
        found = _safe_date(today.year, month, day)
        if found and found > today:
            found = _safe_date(today.year - 1, month, day)
        return found if english.group(2) else _in_month(found, plain[:english.start()], "")
    return None


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
