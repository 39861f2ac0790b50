"""When, and for how long: a date said ("昨天", "上个月底", "3月5号", "last Friday"), the months
a text states ("三个月", "半年", "从8月开始"), and the months wages went unpaid, less the time
worked and paid ("年后干了两个月就没发了").
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

import cn2an
from lunardate import LunarDate

from ivr_flows.numbers import CN_NUMERALS, numbers_in, plain_text
from ivr_flows.parse import MonthOnly

# Days worked or unpaid ("干了20天", "二十多天", "15 days"), not a time before or after
# something ("三天前", "3天后").
DAYS = re.compile(r"^\s*(多|来)?\s*(天|days?\b)(?!\s*(前|后|内|之内|以内|ago|later|before))")

# Weeks, as days are: "6 weeks", "三个星期" (not "两周前").
WEEKS = re.compile(r"^\s*(多|来)?\s*(个?星期|个?礼拜|周|weeks?\b)(?!\s*(前|后|ago|later))")


# Time still to come is not time unpaid: "老板说再干一个月就结账", "还要等两个月".
FUTURE_TIME = re.compile(r"(再|还要|还得)(干|做|等|过|待|上|工作)?\s*$")


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
        # (In a first text, days worked at a day's rate are read with the rate, in
        # sums.owed_at_rate.)
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


def last_lunar_month(month: int, today: date) -> date:
    """The first day of the last lunar `month` begun on or before `today` ("腊月" said in
    December 2026 is the 12th month of the lunar year before: 2026-01-19)."""
    for year in (today.year, today.year - 1, today.year - 2):
        start = LunarDate(year, month, 1).to_solar_date()
        if start <= today:
            return start
    return LunarDate(today.year - 2, month, 1).to_solar_date()


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


# Months named as those whose pay is owed: "上个月和这个月的工资没发" (2), "didn't pay me for
# October" (1), "they owe me my November wages", "October salary not paid". A month named
# alone says nothing of pay ("10月入职"): only beside the pay it is. One month named in Chinese
# counts none ("9月份的工资还没发" is often the first month unpaid of several: the volunteer
# asks); in English the pay is said to be that month's ("for October", "my November wages").
_NAMED_MONTH = rf"(?:{_ONE_MONTH}|上上个?月|上个?月|这个月|本月|\blast month|\bthis month)"
_NAMED_MONTHS = (rf"(?P<months>{_NAMED_MONTH}(?:\s*(?:和|、|,|，|与|跟|及|还有|以及|and|&)\s*"
                 rf"{_NAMED_MONTH})*)")
MONTH_WAGES = re.compile(
    rf"(?<![\d一二三四五六七八九十]){_NAMED_MONTHS}\s*份?\s*的?\s*(?:工资|工钱|薪水|薪资|人工|钱)|"
    r"\b(?:(?:didn'?t|did not|haven'?t|have not|hasn'?t|has not|not|never|no|wont|won'?t|"
    r"refuses? to|refused to)\s+(?:been\s+|yet\s+)?(?:pay|paid|get|got|received?)|owes?|owed|"
    r"unpaid|no (?:pay|salary|wages?))\s+(?:(?:me|us|him|her)\s+)?(?:for\s+|of\s+|in\s+)?"
    r"(?:(?:the|my|our)\s+)?(?:(?:wages?|salary|pay)\s+(?:for|of)\s+)?"
    + _NAMED_MONTHS.replace("?P<months>", "?P<en>") +
    r"|(?<!got )(?<!received )\b(?:my |our |the )?"
    + _NAMED_MONTHS.replace("?P<months>", "?P<wages>") +
    r"\s+(?:wages?|salary|pay)\b", re.IGNORECASE)


def months_of_wages(plain: str) -> int | None:
    """How many months a text names as those whose pay is owed ("上个月和这个月的工资没发" 2,
    "didn't pay me for October" 1), None for none (and for one named in Chinese)."""
    found = MONTH_WAGES.search(plain)
    if found is None:
        return None
    named = found.group("months") or found.group("en") or found.group("wages")
    months = len(set(re.sub(r"\s|份|月", "", m.lower())[:3]
                     for m in re.findall(_NAMED_MONTH, named, re.IGNORECASE)))
    return months if months >= 2 or (months == 1 and named.isascii()) else None


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
        return months_in(plain, bare) or months_of_wages(plain), None
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
                 "last night": 1, "a week ago": 7, "just now": 0, "earlier today": 0}
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
    if "腊月" in plain:  # the lunar year's 12th month: the last one begun by today
        return last_lunar_month(12, today)
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
