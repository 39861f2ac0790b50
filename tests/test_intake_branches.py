"""Each problem has its own questions: whole SMS conversations per branch through the real
webhook, voice walks per branch (TwiML parsed as XML), first texts that answer questions
already, answers that must make sense, the SMS fallback text and one timeline line per answer.

Runs on SQLite and PostgreSQL (the `app` fixture).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.web.event_text import localised
from models import CaseEvent, EventKind, Urgency
from tests.conftest import WebWorld
from tests.test_case_page import chat_of, page, visible
from tests.test_sms_flow_conversation import HELP_ME, the_case
from tests.test_sms_flow_conversation import twilio_text as sms
from tests.test_voice_webhook import NIGHT, Caller, says

# Words only one problem's questions use (the category menu's labels are not among them;
# nor "still working there", which wages and contract both ask).
MARKERS = {
    "wages": ["多少钱", "拖欠了几个月", "共几人被欠", "How much are you owed",
              "For how many months", "How many workers"],
    "injury": ["受的伤", "住院", "医药费", "工伤认定", "When were you injured", "hospital",
               "paying for treatment", "work-injury assessment"],
    "contract": ["被辞退或合同到期", "书面劳动合同", "When were you dismissed",
                 "written contract?"],
    "social_insurance": ["哪种保险没交", "几个月没交了", "Which insurance is unpaid",
                         "has it been unpaid"],
    "other_legal": ["写一下您遇到的问题", "describe your problem"],
}


def shanghai_today() -> date:
    """Today where the workers are: relative dates ('昨天') are read against it."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


@dataclass(frozen=True)
class DaysAgo:
    """A date `n` days before today in Shanghai, worked out when the test compares (the walks
    are built at import, and a run that crosses midnight in China would expect yesterday's)."""

    n: int

    def __eq__(self, other: object) -> bool:
        return other == (shanghai_today() - timedelta(days=self.n)).isoformat()

    def __hash__(self) -> int:
        return hash(self.n)


def days_ago(n: int) -> DaysAgo:
    """The ISO date `n` days before today in Shanghai, as of the comparison."""
    return DaysAgo(n)


@dataclass(frozen=True)
class LastMonthEnd:
    """The last day of the month before this one in Shanghai ("上个月底"), worked out when
    the test compares."""

    def __eq__(self, other: object) -> bool:
        return other == (shanghai_today().replace(day=1) - timedelta(days=1)).isoformat()

    def __hash__(self) -> int:
        return 0


@dataclass
class Walk:
    """One SMS conversation: (text, words its reply must hold) and the case it leaves."""

    name: str
    branch: str
    steps: list[tuple[str, str]]
    case: dict[str, Any]
    details: dict[str, Any] = field(default_factory=dict)


SMS_WALKS = [
    Walk("wages zh, the first text says how long and how much", "wages", [
        ("老板拖欠我三个月工资，一共一万二", "您在哪个省市打工"),
        ("广东省东莞市", "老家"), ("我是河南人", "公司"), ("东莞宏达鞋厂", "共几人被欠"),
        ("就我一个", "还在那里做工"), ("已经离职了", "哪天离开"),
        ("2026年11月15日", "欠薪，广东东莞，东莞宏达鞋厂，欠12000元，3个月，1人，"
                         "已于2026年11月15日离开"),
        ("对", "1001")],
        {"category": "wages", "amount_owed": Decimal(12000), "months_unpaid": 3,
         "people_affected": 1, "people_approximate": False, "work_province": "广东",
         "work_city": "东莞", "place_said": "广东省东莞市", "employer": "东莞宏达鞋厂"},
        {"still_employed": False, "left_on": "2026-11-15"}),
    Walk("wages en, amounts in words, a typo'd place", "wages", [
        ("Hello, I need help", "What is your problem"), ("1", "Which province and city"),
        ("shen zhen", "hometown"), ("Sichuan", "employer"), ("ACME Shoes Ltd", "How much"),
        ("8,000 yuan", "how many months"), ("half a year", "How many workers"),
        ("just me", "still working there"), ("yes", "unpaid wages, shen zhen, ACME Shoes Ltd, "
                                                  "¥8000, 6 months, 1 worker, still there"),
        ("correct", "1001")],
        {"category": "wages", "amount_owed": Decimal(8000), "months_unpaid": 6,
         "people_affected": 1, "work_province": "广东", "work_city": "深圳",
         "place_said": "shen zhen", "employer": "ACME Shoes Ltd"},
        {"still_employed": True}),
    Walk("collective zh, many facts in one text, an approximate head count", "wages", [
        ("老板欠我们十几个人两个月工资，深圳宏达电子厂", "老家"), ("9", "多少钱"),
        ("１２万", "还在那里做工"), ("还在", "很多工友被欠薪或紧急，广东深圳，宏达电子厂，"
                                        "欠120000元，2个月，约12人，还在那里做"),
        ("1", "1001")],
        {"category": "collective", "amount_owed": Decimal(120000), "months_unpaid": 2,
         "people_affected": 12, "people_approximate": True, "work_city": "深圳",
         "employer": "宏达电子厂", "urgency": Urgency.URGENT},
        {"still_employed": True}),
    Walk("injury zh, the first text names the place", "injury", [
        ("我在东莞的鞋厂上班，受伤了", "老家"), ("四川", "公司"), ("宏达鞋厂", "哪天受的伤"),
        ("昨天", "在哪里受的伤"), ("车间", "住院"), ("在医院", "医药费"),
        ("老板不管", "您自己垫付了多少医药费"), ("一万二", "工伤认定"),
        ("还没有", "在住院，老板不出医药费，已自付12000元，未申请工伤认定"), ("对", "1001")],
        {"category": "injury", "urgency": Urgency.URGENT, "work_city": "东莞",
         "employer": "宏达鞋厂", "amount_owed": None, "months_unpaid": None},
        {"injured_on": days_ago(1), "injury_place": "车间", "in_hospital": True,
         "employer_pays_treatment": False, "medical_costs": 12000,
         "injury_claim_filed": False}),
    Walk("injury zh, the first text says what treatment cost them", "injury", [
        ("【求助】在东莞工地摔断了腿，住院花了两万多，老板一分没出😭", "老家"),
        ("四川", "公司"), ("宏达建筑公司", "哪天受的伤"), ("前天", "工伤认定"),  # 工地: said
        ("没有", "工伤，广东东莞，宏达建筑公司，受伤日期"), ("对", "1001")],
        {"category": "injury", "urgency": Urgency.URGENT, "work_city": "东莞",
         "employer": "宏达建筑公司", "amount_owed": None, "months_unpaid": None},
        {"injured_on": days_ago(2), "injury_place": "工地", "in_hospital": True,
         "employer_pays_treatment": False, "injury_claim_filed": False,
         "medical_costs": 20000}),
    # A reply that answers a later question is kept and that question is not asked; the
    # one waiting is asked again, with no "did not understand".
    Walk("wages zh, the worker says they left when asked the amount", "wages", [
        ("老板欠我工资", "省市"), ("广东深圳", "老家"), ("河南", "公司"), ("宏达电子厂", "多少钱"),
        ("已经离职了，上个月底走的", "多少钱"), ("一万二", "几个月"), ("三个月", "几人"),
        ("就我一个", "欠薪，广东深圳，宏达电子厂，欠12000元，3个月，1人，已于"),
        ("对", "1001")],
        {"category": "wages", "amount_owed": Decimal(12000), "months_unpaid": 3},
        {"still_employed": False, "left_on": LastMonthEnd()}),
    Walk("injury zh, hospital and costs told when asked the day", "injury", [
        ("我受伤了", "省市"), ("广东东莞", "老家"), ("四川", "公司"), ("宏达鞋厂", "哪天受的伤"),
        ("住院了，老板不管，医药费花了五千", "哪天受的伤"), ("前天", "在哪里受的伤"),
        ("车间", "工伤认定"), ("没有", "在住院，老板不出医药费，已自付5000元，未申请工伤认定"),
        ("对", "1001")],
        {"category": "injury", "urgency": Urgency.URGENT},
        {"injured_on": days_ago(2), "injury_place": "车间", "in_hospital": True,
         "employer_pays_treatment": False, "injury_claim_filed": False, "medical_costs": 5000}),
    # A free answer that says more: the rest is kept and not asked; the employer asked for
    # is its name alone.
    Walk("wages zh, the employer's answer says the sum and months too", "wages", [
        ("老板欠我工资", "省市"), ("广东深圳", "老家"), ("河南", "公司"),
        ("深圳宏达电子厂，欠了一万二，三个月了", "几人"), ("就我一个", "还在那里做工"),
        ("还在", "欠薪，广东深圳，宏达电子厂，欠12000元，3个月，1人，还在那里做"),
        ("对", "1001")],
        {"employer": "宏达电子厂", "amount_owed": Decimal(12000), "months_unpaid": 3},
        {"still_employed": True}),
    Walk("wages zh, the place's answer names the employer and the hometown", "wages", [
        ("老板欠我工资", "省市"), ("在深圳宝安的宏达电子厂，老家河南", "多少钱"),
        ("12000", "几个月"), ("3", "几人"), ("1", "还在那里做工"), ("1", "宏达电子厂"),
        ("对", "1001")],
        {"employer": "宏达电子厂", "work_city": "深圳", "amount_owed": Decimal(12000),
         "dialect": "henan"},
        {"still_employed": True}),
    Walk("injury zh, the employer's answer says hospital and who pays", "injury", [
        ("我受伤了", "省市"), ("广东东莞", "老家"), ("四川", "公司"),
        ("宏达鞋厂，现在还在医院，医药费都是自己垫的", "哪天受的伤"), ("前天", "在哪里受的伤"),
        ("车间", "您自己垫付了多少医药费"), ("３０００多块吧😭", "工伤认定"),
        ("没有", "在住院，老板不出医药费，已自付3000元，未申请工伤认定"), ("对", "1001")],
        {"employer": "宏达鞋厂"},
        {"injured_on": days_ago(2), "injury_place": "车间", "in_hospital": True,
         "employer_pays_treatment": False, "medical_costs": 3000,
         "injury_claim_filed": False}),
    Walk("wages zh, answers that say more than asked", "wages", [
        ("老板欠我工资", "省市"), ("广东深圳", "老家"), ("河南", "公司"), ("宏达电子厂", "多少钱"),
        ("一万二，我们五个人", "几个月"), ("3", "还在那里做工"),
        ("上个月底就不干了", "欠薪，广东深圳，宏达电子厂，欠12000元，3个月，5人，已于"),
        ("对", "1001")],
        {"amount_owed": Decimal(12000), "months_unpaid": 3, "people_affected": 5},
        {"still_employed": False, "left_on": LastMonthEnd()}),
    Walk("injury zh, not in hospital and the boss paid nothing, in one reply", "injury", [
        ("我受伤了", "省市"), ("广东东莞", "老家"), ("四川", "公司"), ("宏达鞋厂", "哪天受的伤"),
        ("前天", "在哪里受的伤"), ("车间", "住院"),
        ("没有，老板一分钱没出", "您自己垫付了多少医药费"), ("还没花钱", "工伤认定"),
        ("没有", "没有住院，老板不出医药费，未申请工伤认定"), ("对", "1001")],
        {"category": "injury"},
        {"injured_on": days_ago(2), "injury_place": "车间", "in_hospital": False,
         "employer_pays_treatment": False, "medical_costs": 0,
         "injury_claim_filed": False}),
    # "不记得了", "不知道": the worker does not know; the intake goes on without it.
    Walk("injury zh, the day of the injury not remembered", "injury", [
        ("我受伤了", "省市"), ("广东东莞", "老家"), ("四川", "公司"), ("宏达鞋厂", "哪天受的伤"),
        ("不记得了", "在哪里受的伤"), ("车间", "住院"), ("1", "医药费"),
        ("2", "您自己垫付了多少医药费"), ("不知道", "工伤认定"), ("2", "受伤日期不详"),
        ("对", "1001")],
        {"category": "injury"},
        {"injury_place": "车间", "in_hospital": True, "employer_pays_treatment": False,
         "injury_claim_filed": False}),
    Walk("collective zh, sums and counts not known", "wages", [
        ("我们工地好多人被拖欠工资", "省市"), ("广东东莞", "老家"), ("四川", "公司"),
        ("宏达建筑公司", "多少钱"), ("不知道具体多少", "几个月"), ("记不清了", "几人"),
        ("不晓得", "还在那里做工"), ("已经不干了", "哪天离开"),
        ("去年年底", "宏达建筑公司，欠款不清楚有多少元，不清楚欠了几个月，不清楚有几个人被欠，"
                     "已于"),
        ("对", "1001")],
        {"amount_owed": None, "months_unpaid": None},
        {"still_employed": False, "left_on": f"{date.today().year - 1}-12-31"}),
    Walk("injury en, the day not remembered, the place told", "injury", [
        ("I was injured at work", "Which province"), ("Dongguan", "hometown"), ("9", "employer"),
        ("Hongda Shoes", "When were you injured"), ("I don't remember", "Where were you injured"),
        ("in the workshop", "hospital"), ("no", "treatment"),
        ("no", "paid for treatment so far"), ("about 2,500 yuan", "assessment"),
        ("no", "injured on an unknown date at in the workshop, not in hospital, employer won't "
               "pay (you paid ¥2500), no claim yet"), ("yes", "1001")],
        {"category": "injury"},
        {"injury_place": "in the workshop", "in_hospital": False,
         "employer_pays_treatment": False, "medical_costs": 2500,
         "injury_claim_filed": False}),
    Walk("injury en, an ISO date, yes/no in words", "injury", [
        ("I was injured at work", "Which province"), ("Dongguan", "hometown"),
        ("9", "employer"), ("Hongda Shoes", "When were you injured"),
        ("2026-11-20", "Where were you injured"), ("on the building site", "hospital"),
        ("no", "treatment"), ("yes they pay", "assessment"),
        ("yes", "work injury, Dongguan, Hongda Shoes, injured 20 Nov 2026 at on the building "
                "site, not in hospital, employer pays, claim filed"),
        ("yes", "1001")],
        {"category": "injury", "work_city": "东莞", "amount_owed": None},
        {"injured_on": "2026-11-20", "injury_place": "on the building site",
         "in_hospital": False, "employer_pays_treatment": True, "injury_claim_filed": True}),
    Walk("contract zh, full-width and Traditional characters", "contract", [
        ("被辭退了沒有補償", "省市"), ("浙江杭州", "老家"), ("湖南", "公司"),
        ("杭州某某服装厂", "被辞退或合同到期"), ("２０２６年１１月１日", "书面劳动合同"),
        ("没签", "合同或辞退，浙江杭州，杭州某某服装厂；辞退或合同到期日期2026年11月1日；"
                "没签书面合同"),
        ("正确", "1001")],
        {"category": "contract", "work_province": "浙江", "work_city": "杭州",
         "amount_owed": None, "people_affected": 1},
        {"still_employed": False, "dismissed_on": "2026-11-01", "written_contract": False}),
    Walk("contract en, by menu number", "contract", [
        (HELP_ME, "您遇到什么问题"), ("3", "省市"), ("Guangzhou", "老家"), ("5", "公司"),
        ("某某物流公司", "还在那家单位上班吗"), ("2", "被辞退"), ("1 Nov 2026", "书面劳动合同"),
        ("1", "签了书面合同"), ("1", "1001")],
        {"category": "contract", "work_city": "广州"},
        {"still_employed": False, "dismissed_on": "2026-11-01", "written_contract": True}),
    Walk("social insurance zh, a kind in free words", "social_insurance", [
        ("公司不给交社保", "省市"), ("江苏苏州", "老家"), ("安徽", "公司"),
        ("苏州某电子厂", "哪种保险没交"), ("五险一金一个都没交", "几个月没交了"),
        ("两年", "社保，江苏苏州，苏州某电子厂，全都没交，24个月没交"), ("1", "1001")],
        {"category": "social_insurance", "work_city": "苏州", "amount_owed": None},
        {"insurance_kind": "全部", "insurance_months": 24}),
    Walk("social insurance en, menu key then months", "social_insurance", [
        ("Hello, I need help", "What is your problem"), ("4", "Which province"),
        ("Guangdong Shenzhen", "hometown"), ("Henan", "employer"), ("Foxlink", "insurance"),
        ("2", "How many months"), ("18", "medical, unpaid for 18 months"), ("yes", "1001")],
        {"category": "social_insurance", "work_city": "深圳"},
        {"insurance_kind": "医疗", "insurance_months": 18}),
    Walk("other legal aid zh: no employer, the problem in the worker's words", "other_legal", [
        ("我想咨询离婚的问题", "您遇到什么问题"), ("5", "省市"), ("上海", "老家"),
        ("9", "写一下您遇到的问题"), ("老婆要离婚，孩子归谁？", "其他法律援助，上海（老婆要离婚"),
        ("对", "1001")],
        {"category": "other_legal", "work_city": "上海", "employer": None},
        {}),
]


@pytest.mark.parametrize("walk", SMS_WALKS, ids=[w.name for w in SMS_WALKS])
def test_sms_walk_asks_only_its_problems_questions(app: Flask, post_signed: Any,
                                                   walk: Walk) -> None:
    replies = []
    for body, expected in walk.steps:
        reply = sms(post_signed, body) or ""
        assert expected in reply, (body, reply)
        assert "没看懂" not in reply and "Sorry" not in reply, (body, reply)
        replies.append(reply)
    others = [m for branch, words in MARKERS.items() if branch != walk.branch for m in words]
    assert not [(m, r) for r in replies for m in others if m in r]
    if walk.branch != "other_legal":
        assert any(m in r for r in replies for m in MARKERS[walk.branch])
    else:  # a question about a divorce has no employer to name
        assert not [r for r in replies if "公司" in r or "employer" in r]
    case = the_case()
    for name, value in walk.case.items():
        assert getattr(case, name) == value, (name, getattr(case, name))
    assert case.details == walk.details
    if walk.branch == "other_legal":
        assert "孩子归谁" in (case.summary or "")


# (first text, the first question asked, what was understood from it)
PREFILLED = [
    ("老板拖欠我三个月工资，一共一万二", "省市",
     {"category": "wages", "months_unpaid": 3, "amount_owed": Decimal(12000)}),
    ("老闆欠我三個月工資😡🙏 怎麼辦？", "省市", {"category": "wages", "months_unpaid": 3}),
    ("【求助】工地老板欠我们十几个人两个月工资，深圳宏达电子厂", "老家",
     {"category": "collective", "months_unpaid": 2, "people_affected": 12,
      "people_approximate": True, "work_city": "深圳", "employer": "宏达电子厂"}),
    ("我在东莞的鞋厂上班，受伤了", "老家", {"category": "injury", "work_city": "东莞"}),
    ("我是河南人，在深圳打工，老板欠我三个月工资", "公司",
     {"category": "wages", "months_unpaid": 3, "work_city": "深圳", "dialect": "henan"}),
    ("公司不给交社保", "省市", {"category": "social_insurance"}),
    ("拖欠工资4个月，每月4500", "省市",  # a wage and the months unpaid: what is owed
     {"category": "wages", "months_unpaid": 4, "amount_owed": Decimal(18000)}),
    ("在长安一家电子厂打工，老板拖了俩月工资", "省市",  # a factory, unnamed: asked
     {"category": "wages", "months_unpaid": 2, "employer": None}),
    ("工资没发", "省市", {"category": "wages"}),
    # A town of 东莞 named alone is where the work is; a town and a trade are no employer.
    ("厚街鞋厂欠我两个月工资", "老家",
     {"category": "wages", "months_unpaid": 2, "work_city": "东莞", "employer": None}),
    ("我在塘厦，工资没发", "老家", {"category": "wages", "work_city": "东莞"}),
    ("I was injured at work", "Which province", {"category": "injury"}),
    ("请帮帮我", "您遇到什么问题", {"category": "unknown"}),
    # A deposit besides the wages, a share of a group's sum, time still to come.
    ("月薪5000，欠了两个月，押金1000也不退", "省市",
     {"category": "wages", "months_unpaid": 2, "amount_owed": Decimal(11000)}),
    ("一共欠了我们二十多万，我自己是一万二", "省市",
     {"category": "wages", "amount_owed": Decimal(12000)}),
    ("老板说再干一个月就结账", "省市", {"category": "wages", "months_unpaid": None}),
    # Where a hurt worker was: a factory of a trade is the place; not asked again.
    ("前天在东莞长安的五金厂被冲床压到手，两个手指断了，现在在医院", "老家",
     {"category": "injury", "work_city": "东莞"}),
]


@pytest.mark.parametrize("first,asked,known", PREFILLED, ids=[p[0] for p in PREFILLED])
def test_a_first_text_that_says_it_is_not_asked_again(app: Flask, post_signed: Any, first: str,
                                                      asked: str, known: dict[str, Any]) -> None:
    reply = sms(post_signed, first) or ""
    assert asked in reply and "1001" in reply, reply
    if known["category"] != "unknown":
        assert "您遇到什么问题" not in reply and "What is your problem" not in reply
    case = the_case()
    for name, value in known.items():
        assert getattr(case, name) == value, name
    with get_db().begin() as s:
        notes = [e.text for e in s.scalars(select(CaseEvent).where(
            CaseEvent.kind == EventKind.NOTE)) if "understood from the first text" in e.text]
    assert len(notes) == (0 if known["category"] == "unknown" else 1), notes
    if notes:
        assert f"category={known['category']}" in notes[0]


def test_prefilled_answers_are_read_back_and_never_asked(app: Flask, post_signed: Any) -> None:
    replies = [sms(post_signed, body) or "" for body in [
        "老板拖欠我三个月工资，一共一万二", "广东深圳", "河南", "某某电子厂", "3", "还在"]]
    assert not [r for r in replies if "多少钱" in r or "几个月" in r or "什么问题" in r]
    assert "欠薪，广东深圳，某某电子厂，欠12000元，3个月，3人，还在那里做" in replies[-1]
    # Wrong: everything is asked again, what the first text said too.
    assert "您遇到什么问题" in (sms(post_signed, "不对") or "")
    again = [sms(post_signed, body) or "" for body in ["1", "广东深圳", "河南", "某某电子厂"]]
    assert "老家" in again[1] and "多少钱" in again[3], again


# (question reached by these texts, a reply that is not an answer, the reply that is)
NOT_ANSWERS = [
    (["老板拖欠我三个月工资"], "1", "省市", "广东深圳"),
    (["老板拖欠我三个月工资"], "不知道", "省市", "河楠郑州"),  # a typo'd province is fine
    (["老板拖欠我三个月工资"], "长安", "省市", "东莞长安"),  # 东莞's town or 西安's district?
    (["老板拖欠我三个月工资"], "2", "省市", "虎门"),  # a town of 东莞 (no counties there)
    (["工资没发", "广东深圳", "河南", "某厂"], "1", "多少钱", "一万二"),
    (["工资没发", "广东深圳", "河南", "某厂"], "¥1", "多少钱", "¥12,000"),
    (["工资没发", "广东深圳", "河南", "某厂", "12000"], "很久了", "几个月", "半年"),
    (["工资没发", "广东深圳", "河南", "某厂", "12000", "3"], "很多", "几人", "十几个人"),
    (["我受伤了", "广东深圳", "河南", "某厂"], "很久了", "哪天", "前天"),
    # ("不记得了" is no failed answer: the question is left for the volunteer, see the walks.)
]


@pytest.mark.parametrize("before,bad,question,good", NOT_ANSWERS,
                         ids=[f"{n[2]}:{n[1]}" for n in NOT_ANSWERS])
def test_an_answer_that_makes_no_sense_is_asked_again(app: Flask, post_signed: Any,
                                                      before: list[str], bad: str,
                                                      question: str, good: str) -> None:
    for body in before:
        sms(post_signed, body)
    reply = sms(post_signed, bad) or ""
    assert reply.startswith("没看懂您的回复。") and question in reply, reply
    reply = sms(post_signed, good) or ""
    assert "没看懂" not in reply and question not in reply, reply


@pytest.mark.parametrize("said,employer,read_back", [
    ("不知道公司名字，只知道老板姓王", "王老板", "王老板"),  # all the worker knows
    ("没有名字", None, "不清楚是哪家公司"), ("不记得了", None, "不清楚是哪家公司"),
    ("宏达电子厂", "宏达电子厂", "宏达电子厂"),
    # A name said with a hedge or a lead-in is the name.
    ("好像叫什么精密五金", "精密五金", "精密五金"), ("公司叫宏发鞋业", "宏发鞋业", "宏发鞋业"),
    ("是宏发鞋业吧", "宏发鞋业", "宏发鞋业"), ("工厂的名字叫富士康", "富士康", "富士康"),
    ("叫什么来着，想不起来了", None, "不清楚是哪家公司"),
    ("不知道，就知道是个包工头", None, "不清楚是哪家公司"),  # 个 is no surname
    ("不知道，李总", "李总", "李总"),
])
def test_an_employer_the_worker_cannot_name_is_left_for_the_volunteer(
        app: Flask, post_signed: Any, said: str, employer: str | None, read_back: str) -> None:
    """Asked the employer, "没有名字" or "不记得了" is not stored as its name (nor asked again
    as not understood): the intake goes on, and the confirmation says it is not known."""
    for body in ["老板欠我三个月工资", "广东深圳", "河南"]:
        sms(post_signed, body)
    reply = sms(post_signed, said) or ""
    assert "没看懂" not in reply and "多少钱" in reply, reply
    confirm = [sms(post_signed, body) or "" for body in ["12000", "5", "1"]][-1]
    assert f"广东深圳，{read_back}，欠12000元" in confirm, confirm
    assert the_case().employer == employer


def test_a_wage_and_the_months_unpaid_answer_how_much_is_owed(app: Flask,
                                                              post_signed: Any) -> None:
    for body in ["工资没发", "广东深圳", "河南", "某某电子厂"]:
        sms(post_signed, body)
    reply = sms(post_signed, "每个月4500，欠了4个月") or ""
    assert "没看懂" not in reply and "几个月" not in reply and "几人" in reply, reply
    case = the_case()
    assert (case.amount_owed, case.months_unpaid) == (Decimal(18000), 4)
    confirm = [sms(post_signed, body) or "" for body in ["1", "1"]][-1]
    assert "欠18000元，4个月" in confirm, confirm


@pytest.mark.parametrize("agreed", ["没错", "没问题", "对的"])
def test_the_confirmation_agreed_in_words_registers_the_case(app: Flask, post_signed: Any,
                                                              agreed: str) -> None:
    """"没错" is "correct" (its 没 once read it as no, and the worker was asked it all again);
    the months since the Spring Festival and days counted as months are read on the way."""
    for body in ["过完年就没发工资", "广东深圳", "河南", "宏达电子厂", "一万二", "我和我老婆"]:
        reply = sms(post_signed, body) or ""
    assert "还在那里做工" in reply, reply
    asked = sms(post_signed, "早就离开了") or ""
    assert "哪天离开的" in asked, asked
    confirm = sms(post_signed, "过完年就走了") or ""
    assert "您说的是" in confirm and "2人" in confirm, confirm
    done = sms(post_signed, agreed) or ""
    assert "已登记" in done and "重新" not in done, done
    assert the_case().people_affected == 2


def test_a_month_said_without_a_day_is_read_back_as_the_month(app: Flask,
                                                               post_signed: Any) -> None:
    """"上个月" is read back as the month, not its 1st (a day the worker never said, over which
    they might start the intake again), and kept so on the case."""
    for body in ["被公司辞退了", "广东深圳", "河南", "宏达电子厂", "上个月"]:
        sms(post_signed, body)
    confirm = sms(post_signed, "没签") or ""
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    last = today.replace(day=1) - timedelta(days=1)
    assert f"辞退或合同到期日期{last.year}年{last.month}月；" in confirm, confirm
    assert the_case().details["dismissed_on"] == f"{last.year:04d}-{last.month:02d}"


def test_several_bills_are_what_treatment_cost(app: Flask, post_signed: Any) -> None:
    for body in ["我受伤了", "广东深圳", "河南", "某某五金厂", "前天", "车间", "1", "2"]:
        reply = sms(post_signed, body) or ""
    assert "垫付了多少医药费" in reply, reply
    sms(post_signed, "住院费一万五，药费三千")
    assert the_case().details.get("medical_costs") == 18000


def test_answers_that_make_sense_are_stored_normalised(app: Flask, post_signed: Any) -> None:
    for body in ["工资没发", "河楠郑州", "河南", "某厂", "¥12,000", "半年", "十几个人"]:
        sms(post_signed, body)
    case = the_case()
    assert (case.place_said, case.work_province, case.work_city) == ("河楠郑州", "河南", "郑州")
    assert (case.amount_owed, case.months_unpaid) == (Decimal(12000), 6)
    assert (case.people_affected, case.people_approximate) == (12, True)


@pytest.mark.parametrize("lang,first,bad,sorry,fallback,done", [
    ("zh", HELP_ME, ["不知道", "随便你们", "说不清楚"], "没看懂",
     "我们没能看懂您的回复", "志愿者会发短信或打电话联系您"),
    ("en", "Hello, I need help", ["dunno", "no idea", "not sure"], "Sorry",
     "We could not understand your reply", "A volunteer will text or call you"),
])
def test_sms_worker_not_understood_gets_a_text_not_a_phone_goodbye(
        app: Flask, post_signed: Any, lang: str, first: str, bad: list[str], sorry: str,
        fallback: str, done: str) -> None:
    sms(post_signed, first)
    replies = [sms(post_signed, body) or "" for body in bad]
    assert sorry in replies[0] and sorry in replies[1]
    assert fallback in replies[2]
    last = sms(post_signed, "老板跑了，厂也关了" if lang == "zh" else "The boss ran away") or ""
    assert done in last
    for phone_words in ["回电", "再见", "call you back", "Goodbye"]:
        assert phone_words not in last and phone_words not in replies[2]


# --- the confirmation: each fact with its unit, or in words when the worker does not know ---

ZH_MENU, EN_MENU = "回复数字：1正确 2重新填写", " Reply with a number: 1 correct, 2 start again"
# What a confirmation never reads: a dash for a fact, an empty one between separators.
NEVER = ("—", "，，", ", ,", "（）", "欠元", "¥ ")
SMS_CONFIRMATIONS = [
    ("wages zh, everything known",
     ["老板拖欠我三个月工资，一共一万二", "广东深圳", "河南", "宏达电子厂", "5", "还在"],
     "您说的是：欠薪，广东深圳，宏达电子厂，欠12000元，3个月，5人，还在那里做。" + ZH_MENU),
    ("wages zh, the sum not known",
     ["老板欠我工资", "广东深圳", "河南", "宏达电子厂", "不知道具体多少", "三个月", "就我一个",
      "还在"],
     "您说的是：欠薪，广东深圳，宏达电子厂，欠款不清楚有多少元，3个月，1人，还在那里做。"
     + ZH_MENU),
    ("wages zh, many unpaid: months, head count and the day they left not remembered",
     ["我们工地好多人被拖欠工资", "广东东莞", "四川", "宏达建筑公司", "十二万", "记不清了",
      "不晓得", "已经不干了", "不记得了"],
     "您说的是：欠薪，广东东莞，宏达建筑公司，欠120000元，不清楚欠了几个月，不清楚有几个人被欠，"
     "已经离开。" + ZH_MENU),
    ("injury zh, the day not remembered, in hospital or not unclear",
     ["我受伤了", "广东东莞", "四川", "宏达鞋厂", "不记得了", "车间", "说不清", "说不清",
      "说不清", "2", "不知道", "2"],
     "您说的是：工伤，广东东莞，宏达鞋厂，受伤日期不详，地点车间，不清楚有没有住院，"
     "老板不出医药费，未申请工伤认定。" + ZH_MENU),
    ("social insurance zh, the months not known",
     ["公司不给交社保", "江苏苏州", "安徽", "苏州某电子厂", "2", "不记得了"],
     "您说的是：社保，江苏苏州，苏州某电子厂，医疗保险，不清楚几个月没交。" + ZH_MENU),
    ("wages en, the sum not known",
     ["Hello, I need help", "1", "Shenzhen", "Sichuan", "ACME Shoes", "I don't know", "3",
      "just me", "yes"],
     "You said: unpaid wages, Shenzhen, ACME Shoes, amount unknown, 3 months, 1 worker, "
     "still there." + EN_MENU),
    ("wages en, months and head count not known",
     ["Hello, I need help", "1", "Shenzhen", "Sichuan", "ACME Shoes", "8,000 yuan", "not sure",
      "no idea", "yes"],
     "You said: unpaid wages, Shenzhen, ACME Shoes, ¥8000, months unknown, number of workers "
     "unknown, still there." + EN_MENU),
    ("contract en, the day not remembered",
     ["Hello, I need help", "3", "Guangzhou", "Hunan", "Pearl Logistics", "no", "I forgot",
      "no"],
     "You said: contract or dismissal, Guangzhou, Pearl Logistics; left the job; "
     "no written contract." + EN_MENU),
]


@pytest.mark.parametrize("texts,confirmation", [c[1:] for c in SMS_CONFIRMATIONS],
                         ids=[c[0] for c in SMS_CONFIRMATIONS])
def test_the_sms_confirmation_reads_what_is_known_and_what_is_not(
        app: Flask, post_signed: Any, texts: list[str], confirmation: str) -> None:
    replies = [sms(post_signed, body) or "" for body in texts]
    assert replies[-1] == confirmation, replies[-1]
    assert not [w for w in NEVER if w in replies[-1]]
    assert "1001" in (sms(post_signed, "1") or "")


# (language key, answers after the problem's key as in VOICE_WALKS, what the phone says back)
VOICE_CONFIRMATIONS = [
    ("1", [("keys", "1"), ("speech", "广东省深圳市"), ("keys", "1"), ("speech", "深圳某某电子厂"),
           ("keys", "12000"), ("keys", "3"), ("keys", "40"), ("keys", "1")],
     "您说的是：欠薪，广东深圳，深圳某某电子厂，欠12000元，3个月，40人，还在那里做。"),
    ("1", [("keys", "1"), ("speech", "广东省深圳市"), ("keys", "1"), ("speech", "深圳某某电子厂"),
           ("speech", "不知道"), ("keys", "3"), ("speech", "记不清了"), ("keys", "1")],
     "您说的是：欠薪，广东深圳，深圳某某电子厂，欠款不清楚有多少元，3个月，不清楚有几个人被欠，"
     "还在那里做。"),
    ("1", [("keys", "2"), ("speech", "广东东莞"), ("keys", "2"), ("speech", "宏达鞋厂"),
           ("silence", ""), ("speech", "车间"), ("keys", "1"), ("keys", "2"), ("keys", "8000"),
           ("keys", "2")],
     "您说的是：工伤，广东东莞，宏达鞋厂，受伤日期不详，地点车间，在住院，老板不出医药费，"
     "已自付8000元，未申请工伤认定。"),
    ("1", [("keys", "4"), ("speech", "江苏苏州"), ("keys", "4"), ("speech", "苏州某电子厂"),
           ("keys", "1"), ("speech", "不知道")],
     "您说的是：社保，江苏苏州，苏州某电子厂，养老保险，不清楚几个月没交。"),
    ("2", [("keys", "1"), ("speech", "Shenzhen"), ("keys", "2"), ("speech", "ACME Shoes"),
           ("keys", "8000"), ("speech", "I don't remember"), ("keys", "3"), ("keys", "1")],
     "You said: unpaid wages, Shenzhen, ACME Shoes, 8000 yuan, months unknown, 3 workers, "
     "still there."),
    ("2", [("keys", "3"), ("speech", "Hangzhou"), ("keys", "3"), ("speech", "Lihua Garments"),
           ("keys", "2"), ("silence", ""), ("keys", "2")],
     "You said: contract or dismissal, Hangzhou, Lihua Garments; left the job; "
     "no written contract."),
]


def play(caller: Caller, how: str, value: str) -> ET.Element:
    """One answer on the phone: keys pressed, words said, or silence."""
    if how == "keys":
        return caller.keys(value)
    if how == "speech":
        return caller.answer(SpeechResult=value, Confidence="0.9")
    return caller.silence()


@pytest.mark.parametrize("language,answers,spoken", VOICE_CONFIRMATIONS,
                         ids=[v[2][:24] for v in VOICE_CONFIRMATIONS])
def test_the_phone_reads_back_each_fact_and_never_a_dash(
        app: Flask, post_signed: Any, language: str, answers: list[tuple[str, str]],
        spoken: str) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    caller = Caller(post_signed)
    heard = says(caller.keys(language))
    for how, value in answers:
        twiml = play(caller, how, value)
        heard += says(twiml)
    keys = "正确请按1。" if language == "1" else " For correct, press 1."
    confirmation = twiml.find("Gather/Say")
    assert confirmation is not None and confirmation.text == spoken + keys + (
        "重新填写请按2。" if language == "1" else " For start again, press 2."), says(twiml)
    assert not [(w, h) for h in heard for w in NEVER if w in h]


def test_each_answer_is_on_the_timeline_once(app: Flask, post_signed: Any) -> None:
    for body in ["老板拖欠我三个月工资", "广东深圳", "河南", "宏达鞋厂", "12000", "5", "还在",
                 "1"]:
        sms(post_signed, body)
    with get_db().begin() as s:
        notes = [e.text for e in s.scalars(select(CaseEvent).where(
            CaseEvent.kind == EventKind.NOTE))]
    for answer in ["category=wages", "months_unpaid=3", "work_place=广东深圳",
                   "home_province=河南", "employer=宏达鞋厂", "amount_owed=12000",
                   "people_affected=5", "still_employed=yes"]:
        assert len([n for n in notes if answer in n]) == 1, (answer, notes)


# --- the phone: the same branches, keys and speech ---

VOICE_WALKS = [
    ("wages", [("keys", "1"), ("speech", "广东省深圳市"), ("keys", "1"),
               ("speech", "深圳某某电子厂"), ("keys", "12000"), ("keys", "3"), ("keys", "40"),
               ("keys", "2"), ("speech", "十月三十一号")],
     {"amount_owed": Decimal(12000), "months_unpaid": 3, "people_affected": 40},
     {"still_employed": False, "left_on": "2025-10-31"}),  # the last 31 October before NIGHT
    # The employer's name said with the sum and the months: neither is asked.
    ("wages", [("keys", "1"), ("speech", "广东省深圳市"), ("keys", "1"),
               ("speech", "深圳宏达电子厂，欠了我一万二，三个月了"), ("keys", "40"), ("keys", "1")],
     {"amount_owed": Decimal(12000), "months_unpaid": 3, "people_affected": 40,
      "employer": "宏达电子厂"},
     {"still_employed": True}),
    ("injury", [("keys", "2"), ("speech", "广东东莞"), ("keys", "2"), ("speech", "宏达鞋厂"),
                ("speech", "昨天"), ("speech", "车间"), ("keys", "1"), ("keys", "2"),
                ("speech", "花了一万二左右"), ("keys", "2")],
     {"amount_owed": None, "months_unpaid": None, "urgency": Urgency.URGENT},
     {"injured_on": "2026-03-02", "injury_place": "车间", "in_hospital": True,
      "employer_pays_treatment": False, "medical_costs": 12000, "injury_claim_filed": False}),
    ("contract", [("keys", "3"), ("speech", "浙江杭州"), ("keys", "3"), ("speech", "某服装厂"),
                  ("keys", "2"), ("silence", ""), ("keys", "2")],  # no date: moved on at once
     {"amount_owed": None}, {"still_employed": False, "written_contract": False}),
    ("social_insurance", [("keys", "4"), ("speech", "江苏苏州"), ("keys", "4"),
                          ("speech", "苏州某电子厂"), ("keys", "1"), ("keys", "24")],
     {"amount_owed": None}, {"insurance_kind": "养老", "insurance_months": 24}),
]


@pytest.mark.parametrize("branch,answers,fields,details", VOICE_WALKS,
                         ids=[w[0] for w in VOICE_WALKS])
def test_voice_walk_asks_only_its_problems_questions(
        app: Flask, post_signed: Any, branch: str, answers: list[tuple[str, str]],
        fields: dict[str, Any], details: dict[str, Any]) -> None:
    # Dates are read against the call's clock: NIGHT is 3 March 2026, 00:00 in Shanghai.
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    caller = Caller(post_signed)
    heard = says(caller.keys("1"))  # Mandarin
    for how, value in answers:
        twiml = play(caller, how, value)
        assert "对不起" not in "".join(says(twiml)), (value, says(twiml))
        heard += says(twiml)
    confirmation = heard[-1]
    assert confirmation.startswith("您说的是：") and "正确请按1" in confirmation
    heard += says(caller.keys("1"))
    assert any("下班时间" in h for h in heard) and caller.twiml.find("Record") is not None
    others = [m for b, words in MARKERS.items() if b != branch for m in words]
    assert not [(m, h) for h in heard for m in others if m in h]
    case = the_case()
    for name, value in fields.items():
        assert getattr(case, name) == value, name
    assert case.details == details


def test_voice_other_legal_records_the_problem_and_no_second_voicemail(
        app: Flask, post_signed: Any) -> None:
    app.config["FLOW_CLOCK"] = lambda: NIGHT
    caller = Caller(post_signed)
    for digits in ["1", "5"]:
        caller.keys(digits)
    caller.answer(SpeechResult="上海", Confidence="0.9")
    twiml = caller.keys("9")
    assert "嘀声后简单说说您遇到的问题" in says(twiml)[0] and twiml.find("Record") is not None
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE9"
    twiml = caller.answer(RecordingUrl=url, RecordingDuration="40")
    assert "您的问题已录下" in says(twiml)[0]
    twiml = caller.keys("1")
    # Already said on the recording: the after-hours message, then goodbye, no second beep.
    assert twiml.find("Record") is None and twiml.find("Hangup") is not None
    assert "回电" in says(twiml)[-1]
    case = the_case()
    assert (case.category, case.voicemail_url, case.employer) == ("other_legal", url, None)


def test_a_question_the_worker_could_not_answer_is_folded_into_the_intake(
        app: Flask, post_signed: Any, web_world: WebWorld) -> None:
    """"不记得了" answered the question (it moved the intake on): on the case page it sits in
    the folded intake exchange with the other answers, not loose in the conversation, and
    the exchange says the worker did not know, in the reader's language."""
    for body in ["我受伤了", "广东东莞", "四川", "宏达鞋厂", "不记得了", "车间", "1", "2", "3000",
                 "2", "对"]:
        sms(post_signed, body)
    number = 1005  # after web_world's four cases
    assert the_case(number).details.get("injury_place") == "车间"  # the walk's case
    html = page(app, "admin", f"/staff/cases/{number}?lang=zh")
    bubbles = re.findall(r'<div class="bubble">(.*?)</div>', chat_of(html), re.DOTALL)
    assert "不记得了" not in {b.strip() for b in bubbles}, bubbles
    assert "我受伤了" in {b.strip() for b in bubbles}  # the worker's own words stay
    transcript = page(app, "admin", f"/staff/cases/{number}/intake?lang=zh")
    assert "不记得了" in visible(transcript)
    # Its timeline note, in the reader's words.
    assert localised("intake (sms) injured_on=not known, in_hospital=yes", "zh_Hans") == \
        "问答（短信）：受伤日期：工友不清楚，是否住院：是"
