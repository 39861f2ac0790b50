"""Numbers in a worker's words: Arabic, full-width, Chinese (一万二, 三十多万, 十几个) and English
(twelve thousand), each with what it counts (months, people, money, a wage rate, a sum paid or
spent) and whether it is said roughly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import cn2an

from ivr_flows.parse import CN_DIGITS, normalize

# Words around a number that carry no value: "大约1万2千块钱左右" -> "1万2千".
NUMBER_NOISE = re.compile(
    r"(大约|大概|差不多|约|左右|多|块钱|块|元|圆|人民币|rmb|yuan|¥|个月|月|个人|人|个|名|"
    r"工友|people|persons?|months?|about|around|approx\.?|,|，|\s)", re.IGNORECASE)


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
# "我一个月工资4500"; see sums.owed_at_rate). ("欠我一个月工资4500" is a month owed: rate_said.)
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
    plain = normalize(text).lower()
    # "13 500": a space between thousands, as some phones and people write them; "12OOO": the
    # letter O typed for a zero, inside a number only.
    plain = SPACED_THOUSANDS.sub(lambda m: re.sub(r"\D", "", m.group()), plain)
    plain = LETTER_ZERO.sub(lambda m: m.group().replace("o", "0"), plain)
    plain = THOUSANDS_SEPARATOR.sub("", plain).replace("俩", "两个")
    plain = plain.replace("仨", "三个")
    # "1w2", "1k5": 万 and 千 typed as letters, a digit after them ("1万2" is 12,000).
    plain = SCALE_LETTER.sub(lambda m: "万" if m.group() == "w" else "千", plain)
    # Counts typed in pinyin: "3 ge yue" (3个月), "liang ge yue", "wu ge ren".
    plain = PINYIN_COUNT.sub(_pinyin_count, plain)
    # "ten thousand", "five hundred": the count times its scale, before the words are digits.
    plain = ENGLISH_SCALE.sub(_scaled, plain)
    return ENGLISH_NUMBER.sub(lambda m: ENGLISH_NUMBER_VALUES[m.group()], plain)


SCALE_LETTER = re.compile(r"(?<=\d)[kw](?=\d)")
# One space (or a thin one) between a number's thousands, each group of three: "13 500",
# "1 200 000" (not "3 500人" said of two counts: a sum of three digits exactly follows).
SPACED_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:[ \u00a0\u2009\u202f]\d{3})+(?![\d.])")
# The letter o typed for 0 after a digit, in a run ending the number: "12ooo", "1o5oo".
LETTER_ZERO = re.compile(r"(?<=\d)[o0]*o[o0\d]*(?![a-z])")
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
        elif unit in ("money", "") and (rate_said(before) or RATE_AFTER.match(after)):
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


def rate_said(before: str) -> re.Match[str] | None:
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
