"""Amounts, months, head counts, dates and yes/no as workers text them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ivr_flows.dates import parse_date, parse_months, spring_festival_before
from ivr_flows.fields import named, read_amount, read_medical_costs, read_months
from ivr_flows.parse import parse_yes_no, stored_date
from ivr_flows.people import parse_people
from ivr_flows.sums import parse_amount

AMOUNTS = [
    ("12000", 12000), ("12,000元", 12000), ("12，000元", 12000), ("¥12000", 12000),
    ("￥12000", 12000), ("１２０００", 12000), ("1.2万", 12000), ("1万2", 12000),
    ("1万2千", 12000), ("一万二", 12000), ("一万二千五", 12500), ("八千块", 8000),
    ("三千五", 3500), ("5k", 5000), ("5K", 5000), ("1.2w", 12000), ("两万多", 20000),
    ("大概一万", 10000), ("一共一万二", 12000), ("欠我6800元", 6800), ("壹万贰仟", 12000),
    ("大约1万2千块钱左右", 12000), ("老板欠我三千块钱", 3000), ("12345.5", Decimal("12345.50")),
    ("3个月工资1万2，我们5个人", 12000),  # neither the months nor the people
    ("around ten thousand", 10000), ("twelve thousand", 12000), ("five hundred", 500),
    # Worked out by the worker, or a sum besides the wages (as in a first text).
    ("4000*3", 12000), ("3个月×4000", 12000), ("3 months x 4000", 12000), ("4500+3000", 7500),
    ("8000+2000+500", 10500), ("工资8000，加班费2000", 10000), ("2万+", 20000),
    ("一共二十万，我自己是一万二", 12000), ("我的那份8000，工友们一共十几万", 8000),  # their share
    ("my share is 9000, all of us 200000", 9000),
    ("RMB 9000", 9000), ("about 8000 yuan", 8000), ("【一万二】🙏", 12000),
    ("几千块", 3000), ("好几万", 30000), ("万把块", 10000), ("七八千块", 7500), ("五六万", 55000),
    ("一万两千", 12000), ("15K", 15000), ("12000元整", 12000), ("RMB12,000", 12000),
    # The rough part before the unit it counts in: 三十多万 is 300,000 and more, not 30.
    ("三十多万", 300000), ("一共三十多万", 300000), ("30多万", 300000), ("十几万", 120000),
    ("欠了我十几万了", 120000), ("二十来万", 200000), ("十多万", 100000), ("十来万块", 100000),
    ("一百多万", 1000000), ("两千多万", 20000000), ("几十万", 300000), ("二十多万块钱", 200000),
    ("三十多万，我们5个人", 300000), ("5百多块", 500), ("3千多", 3000),
    # A rate and the time it went unpaid: their product; a rate alone is no debt.
    ("每月4500，4个月", 18000), ("月薪五千，欠了三个月", 15000), ("一天300，干了12天", 3600),
    ("4000 a month for 3 months", 12000), ("月薪5000", None), ("一天两百", None),
    ("时薪20，做了50个小时", None), ("两百来块一天，干了30天", 6000),
    ("十几块一天，干了20天", None),  # below a day's wage: not read as one
    ("电话13800138000", None),  # a phone number is no debt
    ("1", None), ("¥1", None), ("5块", None), ("30元", None),  # below the 50 yuan floor
    ("没有", None), ("不知道", None), ("", None), ("三个月", None), ("五个人", None),
    ("千万帮帮我", None), ("hello", None),
    ("给了7000，还差5000", 5000), ("已经给了一万，剩下的八千没给", 8000),  # what is left
    # 万 and 千 typed as letters before a digit; a rate said after a slash; 一共 counts nothing.
    ("1w2", 12000), ("1w5", 15000), ("1k5", 1500), ("1.5w", 15000), ("4500/月，3个月", 13500),
    ("4500元/月 欠了3个月", 13500), ("每个月工资4500，三个月", 13500), ("一共七千六", 7600),
    # 工资 and a sum is the sum owed; a wage said as one is a rate, no sum by itself.
    ("工资4500", 4500), ("工资４５００元", 4500), ("工资是4500", None), ("月薪4500", None),
    ("我一个月工资4500", None), ("欠我一个月工资4500", 4500),
    # Asked what is owed, the time worked said is the time unpaid; a count said wins.
    ("每月4500，干了两个月", 9000), ("月薪4000，干了三年，老板欠我两个月工资", 8000),
    ("我一个月工资4500，干了两个月没发", 9000), ("日工资三百，干了二十五天", 7500),
    # A space between thousands; the letter O typed for a zero, inside a number only.
    ("13 500", 13500), ("1 200 000", 1200000), ("12 000元", 12000), ("欠了13 500块", 13500),
    ("12OOO", 12000), ("12ooo元", 12000), ("1O5OO", 10500), ("5ok", None),
    # A range: its lower end, what the worker is surely owed (their words, the range, stay on
    # the timeline for the volunteer).
    ("15000-20000", 15000), ("一万五到两万", 15000), ("8000~10000块", 8000),
    ("老板欠我15000-20000", 15000), ("大概8000到10000吧", 8000),
]


@pytest.mark.parametrize("text,expected", AMOUNTS, ids=[a[0] or "empty" for a in AMOUNTS])
def test_parse_amount(text: str, expected: int | Decimal | None) -> None:
    assert parse_amount(text) == (Decimal(expected) if expected is not None else None)


@pytest.mark.parametrize("text,expected", [
    ("每个月5000，从9月到现在", 15000), ("一个月4500，8月开始就没发", 18000),
    ("月薪6000，去年十月到现在", 84000), ("每月4500，从8月开始，三个月了", 13500),
    ("一天200，从上个月开始", None),  # days unknown
    # A month's pay said alone in its clause, then the time unpaid (worked, or from a start).
    ("【求助】工资4500，三个月没发😭", 13500), ("工资4500 干了三个月没拿到钱", 13500),
    ("工资4500，干了两个月", 9000), ("年后干了两个月就没发了，每月5000", 40000),
    ("工资4500", 4500), ("工资4500没发", 4500),
])
def test_a_wage_since_a_month_is_what_is_owed(text: str, expected: int | None) -> None:
    """Asked the amount, a wage and the month it stopped being paid (today: 7 December)."""
    found = read_amount(text, date(2026, 12, 7))
    assert found == ({"amount_owed": str(expected)} if expected is not None else None)


# Asked what treatment has cost them so far (the employer will not pay): the sum they paid,
# not what the boss gave; "nothing yet" is 0, a word with no sum is no answer.
TREATMENT_COSTS = [
    ("5000", 5000), ("５０００元", 5000), ("一万二", 12000), ("花了3千多", 3000),
    ("两万多", 20000), ("¥800", 800), ("50块", 50), ("【医药费】八千😭", 8000),
    ("医药费8000，一共花了一万", 10000),  # the total, not eighteen thousand
    # Several bills are added up, unless one is their total or a sum is said twice.
    ("住院费一万五，药费三千", 18000), ("手术费两万，住院费五千，药费两千", 27000),
    ("住院一万，药费两千，花了一万二", 12000), ("医药费8000，8000都是我自己垫的", 8000),
    ("手术花了两万，后来看病又花了3千", 23000), ("住院费5000，药费1000，加起来6000", 6000),
    ("hospital 5000 and medicine 800, 5800 in total", 5800),
    ("老板只给了2000，我自己花了6000", 6000),  # what the boss paid is not theirs
    ("I paid 3000 yuan", 3000), ("about 2,500", 2500), ("spent 1.5k on the hospital", 1500),
    ("还没花钱", 0), ("一分没花", 0), ("一分钱都没花", 0), ("没有", 0), ("没花", 0), ("0", 0),
    ("０", 0), ("nothing yet", 0), ("none", 0), ("没花多少，几百块吧", 300),
    ("没花多少钱", None),  # "not much": a sum, not said
    ("不知道", None), ("1", None), ("2", None), ("没有钱看病", None), ("老板没出", None),
    ("", None), ("hello", None),
]


@pytest.mark.parametrize("text,expected", TREATMENT_COSTS,
                         ids=[c[0] or "empty" for c in TREATMENT_COSTS])
def test_read_treatment_costs(text: str, expected: int | None) -> None:
    found = read_medical_costs(text, date(2026, 12, 6))
    assert found == ({"medical_costs": expected} if expected is not None else None)


MONTHS = [
    ("三个月", 3), ("3个月", 3), ("3", 3), ("３", 3), ("三", 3), ("半年", 6), ("一年", 12),
    ("一年半", 18), ("两年", 24), ("两个多月", 2), ("两三个月", 3), ("一个半月", 2),
    ("快半年了", 6), ("half a year", 6), ("3 months", 3), ("two months", 2), ("a year", 12),
    ("欠了4个月了", 4), ("再干一个月就结，已经两个月了", 2),  # time to come is not unpaid
    ("去年到现在", None), ("不知道", None), ("", None), ("很久", None), ("0", None),
    ("一整年", 12), ("仨月", 3), ("3 ge yue", 3), ("liang ge yue", 2),
    ("12月份", None), ("3月份的", None), ("今年1月", None),  # a month named counts none
]


@pytest.mark.parametrize("text,expected", MONTHS, ids=[m[0] or "empty" for m in MONTHS])
def test_parse_months(text: str, expected: int | None) -> None:
    assert parse_months(text) == expected


# Asked how many months, a worker names when it began (today is 7 December 2026).
SINCE = [
    ("从8月开始", 4), ("8月到现在", 4), ("从去年十月到现在", 14), ("今年3月开始", 9),
    ("十月份以来", 2), ("2025年10月到现在", 14), ("上个月开始", 1), ("两个月前开始", 2),
    ("这个月开始", 1), ("since September", 3), ("from last september", 3),
    ("从8月开始，三个多月了", 3),  # a count said too wins
    ("去年年底到现在", 12),
    # Since the Spring Festival (17 February 2026): 10 months.
    ("从过年后", 10), ("过完年就没发", 10), ("年后一直没给", 10), ("春节以后", 10),
    ("从过年到现在", 10), ("after Chinese New Year", 10),
    # Asked the months, a worker may count days: a month or more, at least one.
    ("40多天", 1), ("二十来天", 1), ("50天", 2), ("6 weeks", 1), ("三个星期", 1),
    ("上周五", None), ("星期三", None),  # a day of the week counts no months
    # From one month to another, both counted.
    ("3月到8月", 6), ("2025年3月到12月", 10), ("11月到2月", 4), ("3-6月", 4),
    ("十月到十二月", 3), ("1-2个月", 2),  # (a count, not a range)
    # Months named one by one.
    ("10月和11月的工资", 2), ("9月、10月、11月", 3), ("October and November", 2),
    ("I am married and may lose my job", None),
    ("since Chinese New Year", 10), ("a year and a half", 18),
    # Time worked after the festival, then unpaid: the months since less those worked.
    ("年后干了两个月就没发了", 8), ("过完年干了一个月，后面就没发了", 9),
    ("年后干了两个月，一分钱没拿到", 2), ("年后就没发过工资", 10),
    ("过完年再结", None),  # a promise, no start
    # Time worked, less the months paid or all of it; a count said beside it wins.
    ("干了三个月一分钱没拿到", 3), ("干了3个多月，钱一分没见到", 3), ("干了三个月", 3),
    ("做了半年，后面两个月没发", 2), ("干了八个月，只发了三个月的", 5),
    ("从3月干到现在，只发了两个月", 7), ("从3月干到现在，只给了两个月工资", 7),
    ("干了三年，最近工资一直没发", None), ("干了两年，去年的工资还没结", None),
    ("干了三年，社保断了两年", 24), ("在这个厂做了快3年了，今年6月开始工资就拖着", 6),
    ("worked 6 months, last 2 months unpaid", 2),
    # A month as the start, said briefly; months named; one month named counts none.
    ("9月后", 3), ("从3月份", 9), ("6月份以后就没发过工资", 6), ("十月十一月", 2),
    ("10、11月", 2), ("9月份的工资还没发", None), ("12月份的工资没发", None),
    ("从今年3月份干到11月份", 9),
    # 腊月, the lunar year's 12th month: in December 2026, the one begun 2026-01-19.
    ("腊月开始就没发", 11), ("从腊月到现在", 11),
]


def test_the_spring_festival_is_the_lunar_new_year_before_today() -> None:
    assert spring_festival_before(date(2026, 12, 7)) == date(2026, 2, 17)
    assert spring_festival_before(date(2026, 2, 16)) == date(2025, 1, 29)
    assert read_months("过完年就没发", date(2026, 1, 10)) == {"months_unpaid": 12}


@pytest.mark.parametrize("text,expected", SINCE, ids=[m[0] for m in SINCE])
def test_months_from_a_start_to_today(text: str, expected: int | None) -> None:
    found = read_months(text, date(2026, 12, 7))
    assert found == ({"months_unpaid": expected} if expected is not None else None)


PEOPLE = [
    ("就我一个", (1, False)), ("我自己", (1, False)), ("只有我", (1, False)),
    ("我一个人", (1, False)), ("just me", (1, False)), ("5", (5, False)), ("五个人", (5, False)),
    ("5人", (5, False)), ("我和两个工友", (3, False)), ("我跟三个老乡", (4, False)),
    ("十几个人", (12, True)), ("二三十人", (25, True)), ("几十个", (30, True)),
    ("一百多人", (100, True)), ("三十多个工友", (30, True)), ("20多人", (20, True)),
    ("about 20", (20, True)), ("a dozen", (12, True)), ("around 40 workers", (40, True)),
    ("大概50人", (50, True)), ("几个工友", (3, True)), ("一两个", (2, True)),
    ("百来人", (100, True)), ("上百人", (100, True)), ("几百人", (300, True)),
    ("三四十个", (35, True)), ("十来个", (10, True)), ("我和老乡两个人", (2, False)),
    ("十几个", (12, True)), ("二十几个", (25, True)), ("十几个吧", (12, True)),  # 几 then 个
    ("我和我老婆", (2, False)), ("我跟我弟", (2, False)), ("me and my wife", (2, False)),
    ("我们仨", (3, False)), ("一共七个", (7, False)), ("十个左右", (10, True)),
    ("200名", (200, False)), ("约200名", (200, True)), ("wu ge ren", (5, False)),
    ("0", None), ("garbage", None), ("", None), ("不知道", None), ("😊", None),
]


@pytest.mark.parametrize("text,expected", PEOPLE, ids=[p[0] or "empty" for p in PEOPLE])
def test_parse_people(text: str, expected: tuple[int, bool] | None) -> None:
    assert parse_people(text) == expected


TODAY = date(2026, 3, 2)
DATES = [
    # A day of the month alone is the last such day; this month's day is this month's.
    ("28号", date(2026, 2, 28)), ("2号", date(2026, 3, 2)), ("就是1号那天", date(2026, 3, 1)),
    ("二十八日", date(2026, 2, 28)), ("这个月1号", date(2026, 3, 1)),
    ("on the 28th", date(2026, 2, 28)), ("the 1st", date(2026, 3, 1)),
    ("a week ago", date(2026, 2, 23)), ("this morning", TODAY), ("last night", date(2026, 3, 1)),
    ("昨天", date(2026, 3, 1)), ("前天", date(2026, 2, 28)), ("今天", TODAY),
    ("上周", date(2026, 2, 23)), ("上个月", date(2026, 2, 1)),
    ("3月1号", date(2026, 3, 1)), ("3月5号", date(2025, 3, 5)),  # after today: last year's
    ("3月5日", date(2025, 3, 5)), ("去年十月", date(2025, 10, 1)), ("10月份", date(2025, 10, 1)),
    ("今年1月", date(2026, 1, 1)), ("两周前", date(2026, 2, 16)), ("三天前", date(2026, 2, 27)),
    ("2026-01-20", date(2026, 1, 20)), ("2025年11月20日", date(2025, 11, 20)),
    ("2025年10月", date(2025, 10, 1)), ("2025年12月底", date(2025, 12, 31)),  # the year said
    ("2026年5月", None), ("明年3月", None),  # after today: not last year's May
    ("2025/11/20", date(2025, 11, 20)), ("yesterday", date(2026, 3, 1)),
    ("last month", date(2026, 2, 1)), ("3 days ago", date(2026, 2, 27)),
    ("两个月前", date(2026, 1, 2)), ("昨天在工地摔伤", date(2026, 3, 1)),
    # part of a month: its end, middle or start, the way workers date leaving a job
    ("上个月底", date(2026, 2, 28)), ("上个月底走的", date(2026, 2, 28)),
    ("上月中旬", date(2026, 2, 15)), ("上个月初", date(2026, 2, 1)),
    ("上个月5号", date(2026, 2, 5)), ("上个月十五号", date(2026, 2, 15)),
    ("上个月31号", None),  # February has no 31st
    ("去年10月底", date(2025, 10, 31)), ("十月中", date(2025, 10, 15)),
    ("去年年底", date(2025, 12, 31)), ("去年底就不让干了", date(2025, 12, 31)),
    ("１月底", date(2026, 1, 31)), ("2月下旬", date(2026, 2, 25)),
    ("end of last month", date(2026, 2, 28)), ("end of January", date(2026, 1, 31)),
    ("mid January", date(2026, 1, 15)), ("去年", None),
    # A day of the week (2 March 2026 is a Monday): in the week said, else the latest one.
    ("上周三", date(2026, 2, 25)), ("上个礼拜五", date(2026, 2, 27)), ("上周末", date(2026, 2, 28)),
    ("上上周二", date(2026, 2, 17)), ("周一", TODAY), ("星期天", date(2026, 3, 1)),
    ("礼拜六晚上在车间", date(2026, 2, 28)), ("这周三", None),  # not yet
    ("last Friday", date(2026, 2, 27)), ("on Monday", TODAY), ("last monday", date(2026, 2, 23)),
    ("昨晚", date(2026, 3, 1)), ("前晚", date(2026, 2, 28)), ("半个月前", date(2026, 2, 15)),
    ("上上周", date(2026, 2, 16)),
    # A bare month.day or month/day answer; a day before an English month.
    ("12.1", date(2025, 12, 1)), ("2/28", date(2026, 2, 28)), ("2.28号", date(2026, 2, 28)),
    ("13.1", None), ("28th February", date(2026, 2, 28)), ("1st of May", date(2025, 5, 1)),
    ("2026-11-20", None),  # never a future date
    ("刚才", TODAY), ("前两天", date(2026, 2, 28)), ("2-28", date(2026, 2, 28)),
    ("这个月初", date(2026, 3, 1)), ("这个月底", None),  # not yet
    ("你好", None), ("", None), ("不记得了", None),
]


@pytest.mark.parametrize("text,expected", DATES, ids=[d[0] or "empty" for d in DATES])
def test_parse_date(text: str, expected: date | None) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["29th February", "2/29", "2.29号", "2月29号"])
def test_29_february_said_before_it_comes_in_a_leap_year(text: str) -> None:
    """On 10 January 2028 the 29th of February is ahead, and last year had none: no date,
    no error (the worker is asked again)."""
    assert parse_date(text, date(2028, 1, 10)) is None


def test_parse_date_late_in_the_year() -> None:
    today = date(2026, 12, 3)
    assert parse_date("2026-11-20", today) == date(2026, 11, 20)
    assert parse_date("2026年11月20日", today) == date(2026, 11, 20)
    assert parse_date("12月5号", today) == date(2025, 12, 5)
    assert parse_date("11月份", today) == date(2026, 11, 1)


YES_NO = [
    ("没错", True), ("没问题", True), ("当然", True), ("申请了", True), ("还没申请", False),
    ("早就离开了", False), ("出院了", False), ("住过院，现在出院了", False), ("不太清楚", None),
    ("在的", True), ("在呢", True), ("在住院", None),  # asked whether the boss pays: no answer
    ("是", True), ("对", True), ("有", True), ("在", True), ("还在", True), ("嗯", True),
    ("是的", True), ("还在上班", True), ("yes", True), ("Yes!", True), ("ＹＥＳ", True),
    ("y", True), ("1", True), ("１", True),
    ("不是", False), ("没有", False), ("没", False), ("否", False), ("不在", False),
    ("走了", False), ("离职了", False), ("已经离职了", False), ("没有签", False), ("不", False),
    ("no", False), ("No.", False), ("n", False), ("2", False), ("没有了", False),
    ("现在不在那里了", False), ("对，现在还在", True), ("好像没有", False), ("不可以", False),
    ("不对", False), ("但是没签", False),
    # Still there said as a double negative; the job over said as what happened; slang.
    ("没走", True), ("还没走呢", True), ("没离职", True), ("没有走，还在做", True),
    ("没辞职呢", True), ("签过", True), ("要得", True),
    ("被赶出来了", False), ("我已经回老家了", False), ("老板不让干了", False),
    ("正在找工作", False), ("在找工作呢", False), ("早就不干了", False),
    ("木有", False), ("米有", False), ("莫得", False), ("冇", False), ("唔係", False),
    ("不晓得", None), ("联系不上老板", None),
    ("correct", True), ("that is right", True), ("I have not left", True),
    ("I haven't left yet", True), ("I left", False), ("I quit", False), ("I was fired", False),
    ("wrong", False), ("not correct", False), ("not right", False),
    ("不知道", None), ("hello", None), ("", None), ("😊", None), ("not sure", None),
]


@pytest.mark.parametrize("text,expected", YES_NO, ids=[y[0] or "empty" for y in YES_NO])
def test_parse_yes_no(text: str, expected: bool | None) -> None:
    assert parse_yes_no(text) is expected


NAMES_SAID = [
    ("好像叫什么精密五金", "精密五金"), ("公司叫宏发鞋业", "宏发鞋业"),
    ("是宏发鞋业吧", "宏发鞋业"), ("工厂的名字叫富士康", "富士康"),
    ("我记得叫华强电子", "华强电子"), ("在五金厂车间", "五金厂车间"), ("就在工地上", "工地上"),
    ("宏发鞋业", "宏发鞋业"),
    ("深圳市是诚电子有限公司", "深圳市是诚电子有限公司"),
    ("是宏达吧", "宏达"),
]

# Real answers to "老板或公司叫什么名字？" (walking the demo, 2026-12-07): a name, kept as said
# (brackets and an English lead-in off), or no name at all (None: asked again). A time is the
# worker answering the question before ("昨天下午": the intake keeps the date, ivr_flows.listen).
EMPLOYER_ANSWERS = [
    ("富士康", "富士康"), ("深圳市宏达电子有限公司", "深圳市宏达电子有限公司"),
    ("某某建筑劳务公司", "某某建筑劳务公司"), ("老王的装修队", "老王的装修队"),
    ("包工头姓李", "包工头姓李"), ("【比亚迪】", "比亚迪"), ("美团", "美团"),
    ("Foxconn", "Foxconn"), ("a restaurant called Happy Noodle", "Happy Noodle"),
    ("it's called Sunny Garments", "Sunny Garments"),
    ("ACME Shoes Ltd", "ACME Shoes Ltd"), ("May Textiles", "May Textiles"), ("万达", "万达"),
    ("好利来", "好利来"), ("美的", "美的"), ("长安汽车", "长安汽车"), ("三一重工", "三一重工"),
    ("五月花酒店", "五月花酒店"), ("东莞长安宏达厂", "东莞长安宏达厂"), ("上海宝冶", "上海宝冶"),
    ("一汽", "一汽"), ("前程无忧", "前程无忧"), ("顺丰", "顺丰"),
    # times: the question before answered
    ("昨天下午", None), ("上周五", None), ("前天晚上", None), ("3号", None), ("今天早上", None),
    ("刚才", None), ("昨天下午3点左右", None), ("前天晚上十点", None), ("11月30号晚上", None),
    ("上周五下午", None), ("上个月", None), ("12月1号", None), ("yesterday afternoon", None),
    ("last friday", None), ("just now", None), ("3 days ago", None), ("today", None),
    # sums, places, a yes or no, thanks, a question about us, emoji, a question mark
    ("8000", None), ("八千块", None), ("一万二左右", None), ("5000 yuan", None),
    ("东莞长安", None), ("在深圳宝安那边", None), ("广东省东莞市长安镇", None), ("Shenzhen", None),
    ("是的", None), ("是", None), ("对啊", None), ("没有", None), ("yes", None), ("Ok", None),
    ("谢谢", None), ("你们是谁", None), ("😭😭", None), ("？", None), ("不知道", None),
]


@pytest.mark.parametrize("said", ["不想说", "不方便说", "保密", "I'd rather not say"])
def test_an_employer_the_worker_will_not_name_is_no_name(said: str) -> None:
    assert named("employer")(said, date(2026, 12, 7)) is None


@pytest.mark.parametrize("said,name", EMPLOYER_ANSWERS, ids=[n[0] for n in EMPLOYER_ANSWERS])
def test_what_workers_answer_for_the_employer(said: str, name: str | None) -> None:
    assert named("employer")(said, date(2026, 12, 7)) == (
        {"employer": name} if name else None)


@pytest.mark.parametrize("said,place", [
    ("东莞长安", "东莞长安"), ("车间", "车间"), ("在工地上", "工地上"), ("昨天", None),
    ("是的", None), ("3000", None)])
def test_where_a_worker_was_hurt_may_be_a_place_but_not_a_time(said: str,
                                                               place: str | None) -> None:
    assert named("injury_place", True)(said, date(2026, 12, 7)) == (
        {"injury_place": place} if place else None)


@pytest.mark.parametrize("said,name", NAMES_SAID, ids=[n[0] for n in NAMES_SAID])
def test_a_name_said_with_a_hedge_or_lead_in_is_the_name(said: str, name: str) -> None:
    assert named("employer")(said, date(2026, 12, 7)) == {"employer": name}


def test_the_12th_lunar_month_is_the_last_one_begun() -> None:
    assert parse_date("腊月", date(2026, 12, 7)) == date(2026, 1, 19)
    assert parse_date("腊月", date(2027, 1, 20)) == date(2027, 1, 8)


def test_a_month_said_without_a_day_is_kept_as_the_month() -> None:
    """"上个月" is kept as '2026-02', so no day the worker never said is read back; a day said
    is kept as the day; either is read back from storage."""
    assert parse_date("上个月", TODAY).isoformat() == "2026-02"  # type: ignore[union-attr]
    assert parse_date("去年十月", TODAY).isoformat() == "2025-10"  # type: ignore[union-attr]
    assert parse_date("3月1号", TODAY).isoformat() == "2026-03-01"  # type: ignore[union-attr]
    assert parse_date("上个月底", TODAY).isoformat() == "2026-02-28"  # type: ignore[union-attr]
    assert stored_date("2026-02") == (date(2026, 2, 1), True)
    assert stored_date("2026-02-28") == (date(2026, 2, 28), False)
    assert stored_date("2026-13") is None and stored_date("上个月") is None
