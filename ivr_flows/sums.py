"""Sums in a worker's words: what they are owed (a sum, their share, what is left or short, a
wage times the time unpaid, sums besides the wages) and what treatment has cost them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from ivr_flows.dates import DAYS, months_unpaid
from ivr_flows.numbers import (
    EXTRA_NAMED_AFTER,
    EXTRA_NAMED_BEFORE,
    RATE_AFTER,
    Number,
    numbers_in,
    plain_text,
    rate_said,
)
from ivr_flows.parse import normalize

# Below this an answer is no wage debt: "1" is a menu key pressed by habit, "5块" a slip or a
# joke. Half a day's pay on a building site is well above it, so no real debt is lost.
MIN_AMOUNT = Decimal(50)
MAX_AMOUNT = Decimal(100_000_000)


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


# A sum said as a range: "15000-20000", "一万五到两万", "8000~10000块", "between 8000 and 10000".
RANGE_BETWEEN = re.compile(r"^\s*(?:元|块钱?|yuan|rmb)?\s*(?:-|~|～|—|－|到|至|and|to)\s*$")


def range_low(plain: str, sums: Sequence[Number]) -> Decimal | None:
    """The lower end of a sum said as a range, None when none is. A worker unsure of the
    exact sum names what they are surely owed first; the case keeps that (one amount, what a
    volunteer can stand behind), and their own words, the range, stay on the timeline."""
    ordered = sorted(sums, key=lambda n: n.start)
    for low, high in zip(ordered, ordered[1:], strict=False):
        if (RANGE_BETWEEN.match(plain[low.end:high.start]) and low.value >= MIN_AMOUNT
                and low.value < high.value <= low.value * 3):
            return low.value
    return None


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
    said = rate_said(before)
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
              or range_low(plain, [n for n in sums if n not in besides])
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
