"""A worker's first text read whole: problem, request, a question about the hotline itself or
pleasantry, and the facts it states."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr_flows.dates import parse_date, parse_months
from ivr_flows.parse import parse_yes_no, said_unsure
from ivr_flows.people import parse_people
from ivr_flows.places import resolve_place
from ivr_flows.sums import parse_amount
from ivr_flows.understand import Reading, facts_in, read_message, tables
from models import CaseCategory

TODAY = date(2026, 3, 2)

PLEASANTRIES = [
    "谢谢", "谢谢你", "谢谢你们！", "多谢", "感谢", "非常感谢🙏", "收到", "收到了", "好的", "好",
    "嗯嗯", "OK", "ok thanks", "Ok, thank you!", "thx", "👍", "🙏", "😊", "🙏🙏", "👍👍👍",
    "新年快乐", "春节快乐", "中秋快乐", "祝你们新年快乐🧧", "祝大家新年快乐，万事如意！", "过年好",
    "你好", "您好", "在吗", "在吗？", "哈哈", "辛苦了", "辛苦了！", "好的谢谢老师", "【谢谢】",
    "笑死了", "哈哈哈笑死我了", "钱到账了，谢谢志愿者", "谢谢律师！", "律师辛苦了", "社工你好",
    "Thanks!", "Happy new year", "Happy New Year!!", "hello", "Hi", "ＯＫ", "謝謝", "好的，知道了",
    "明白了，谢谢", "  ", "", "。。。", "~~", "谢谢🙏🙏🙏", "恭喜发财🧧", "Merry Christmas",
    "谢谢您的帮助", "谢谢你们的帮忙🙏", "工资拿到了，谢谢", "问题解决了，感谢！", "[微笑][强]",
    "3Q", "好嘞", "Thank you for your help!", "I got paid, thanks", "\u202e\u200b谢谢\x00",
    "谢谢你们帮我要回了工资！", "新年好！祝你们身体健康！", "你好在吗", "哦", "？",
    # news that the problem is over, in the worker's own order and words
    "工资已经拿到了，谢谢", "老板已经把钱给了，谢谢你们", "我已经拿到钱了", "钱到账了",
    "工资都到账了！！", "钱收到了，谢谢老师🙏", "老板把工资结清了，感谢", "拿到钱了",
    "包工头终于把工钱给了😭谢谢", "工资发下来了", "赔偿款打过来了，谢谢你们", "钱已经到手了",
    "我们的工资都要回来了，感谢你们的帮助", "公司把补偿金打给我了👍", "谢谢你们！老板今天发工资了",
    "I have been paid, thank you", "The boss paid us, thanks!", "Got my wages, thank you so much",
    "thank you so much for helping me get my money back",
    # done for now, or waiting for the volunteer's call (a common answer to a notice, too)
    "不用了谢谢", "好的，我知道了", "好的 我等电话", "谢谢，那我等你们电话", "收到，等通知",
    "不用了，问题解决了，谢谢", "no need anymore, thank you", "ok I will wait for your call",
    "有人吗？", "有人在吗", "老板已经一分不少都给了", "钱要回来了，太感谢了", "太好了，谢谢！",
    # thanks to someone by name and title
    "谢谢张律师", "谢谢王老师！", "谢谢你李社工🙏", "张律师辛苦了", "谢谢张律师，工资拿到了",
    "谢谢大姐",
]

# Close to such news, but a problem is still there: these are read, not thanked for.
NOT_OVER = [
    "工资还没拿到", "只拿到了一半工资，还欠五千", "钱一直没到账", "老板说下个月给钱", "老板不给钱",
    "别人都拿到了，我的还没拿到", "他们都拿到了，就我没有", "工资发了一半", "老板打了我",
    "老板只给了两千，还差八千", "老板给了我一巴掌", "收到辞退通知了", "我等了三个月工资都没发",
    "钱到账了，但是少了两千", "不用了，我要自己去仲裁", "已经拿到钱了，但是手还没好，医药费谁出",
    "我被辞退了，等通知", "I have not been paid", "boss never paid me", "they paid me half",
    "律师", "谢谢律师，老板还是不给钱", "张律师",  # 律师 alone is asking for one
    "王律师，老板还是不给钱",
]


@pytest.mark.parametrize("text", PLEASANTRIES, ids=[t[:40] or "empty" for t in PLEASANTRIES])
def test_pleasantries_open_no_case(text: str) -> None:
    reading = read_message(text, TODAY)
    assert reading.kind == "pleasantry" and not reading.opens_case and reading.answers == {}


@pytest.mark.parametrize("text", NOT_OVER)
def test_news_with_a_problem_left_is_no_pleasantry(text: str) -> None:
    assert read_message(text, TODAY).opens_case


REQUESTS = [
    ("我想咨询一下", {}), ("有个事想问", {}), ("can someone help me", {}), ("请问怎么办", {}),
    ("你好，我想问个问题", {}), ("I need help", {}), ("在吗？有事找你们", {}), ("不知道", {}),
    ("1", {}), ("我在东莞打工，想问点事", {"work_place": "东莞"}),
    ("我在华润万家超市上班", {"employer": "华润万家超市"}),
    ("我在厚街，想问点事", {"work_place": "厚街"}),
    ("My father died, I need to go home", {}),  # a death at home is no injury at work
    ("转人工", {}), ("人工客服", {}),  # asking for a person: no wages (人工 is also wages)
    ("老板打电话叫我回去上班", {}),  # a call, not a beating
    ("老板没给我回复", {}),  # 没给 alone names no wages
]


@pytest.mark.parametrize("text,answers", REQUESTS, ids=[r[0] for r in REQUESTS])
def test_requests_open_a_case_without_a_category(text: str, answers: dict[str, Any]) -> None:
    reading = read_message(text, TODAY)
    assert reading.kind == "request" and reading.opens_case
    assert reading.answers == answers


# Questions about the hotline itself, which it answers without a volunteer: a scam? real? who
# are you? what does it cost? Typos, dialect, full-width, 【】, emoji and greetings beside them.
ABOUT_US = [
    # when and where?
    "请问你们周末上班吗", "你们几点上班？", "晚上有人吗？", "你们办公地址在哪里", "你们在哪",
    # a scam?
    "你们是骗子吧", "你们是骗子吧？？？", "你们是不是骗子", "是骗子吗", "骗子！", "骗子😡",
    "又是骗子短信吧", "这是诈骗短信吗", "这是诈骗短信吗？", "诈骗的吧", "炸骗短信", "骗纸",
    "你们是骗人的把", "【你们是骗子吗】", "你们是骗子吧😂😂", "你們是騙子吧", "是不是传销",
    "广告吧", "你哋系唔系呃人㗎",
    # who sent this, and why to me?
    "谁给我发的短信", "怎么收到你们的短信", "为什么给我发短信？",
    # real, to be trusted?
    "真的假的？", "真的假的？？？", "真得假的", "是真的吗", "这个号码是真的吗", "靠谱吗", "靠普吗",
    "你们靠不靠谱", "可信吗", "正规吗？", "是政府的吗",
    # who, what?
    "你们是干什么的", "你们是干嘛的？", "你们是做什么的", "你们是谁", "你是谁啊", "哪位？",
    "你们是哪里的", "你们是什么机构", "你们是什么单位的", "恁是弄啥嘞", "你们是搞啥子的",
    "你哋係邊個", "为什么给我发短信", "你们怎么有我的电话", "这是什么意思",
    # what does it cost?
    "收费吗", "收不收费？", "要钱吗", "要不要钱", "免费吗", "是免费的吗", "要交钱吗", "怎么收费",
    "多少钱？",
    # with greetings and thanks
    "你好，请问你们是干什么的？", "您好，你们是哪个单位的", "在吗？你们是谁", "谢谢，收费吗",
    "新年快乐！你们是干嘛的", "你好🙏 请问这个靠谱吗", "ＨＥＬＬＯ，你们是谁？",
    # English
    "is this a scam", "Is this a scam??", "who are you", "Who is this?", "is this real",
    "Is this for real?", "are you legit", "Hi, who are you?", "is it free?",
    "How much does it cost?", "do I have to pay?", "scam?", "what is this", "What’s this?",
    "r u real", "ＷＨＯ ＡＲＥ ＹＯＵ？", "SPAM",
]


# Of those, the ones that ask when someone is there (answered with the office hours).
ASKS_WHEN = {"请问你们周末上班吗", "你们几点上班？", "晚上有人吗？"}
ABOUT_US += ["节假日上班吗", "过年上班吗😊", "什么时候能打电话？", "What are your hours?",
             "are you open on the weekend", "Are you open on Sunday?", "what time do you close"]
ASKS_WHEN |= set(ABOUT_US[-7:])


@pytest.mark.parametrize("text", ABOUT_US, ids=ABOUT_US)
def test_questions_about_the_hotline_open_no_case(text: str) -> None:
    reading = read_message(text, TODAY)
    assert reading.kind == "about_us" and not reading.opens_case and reading.answers == {}
    assert reading.asks_when is (text in ASKS_WHEN)


# A fraud the worker suffered, or a doubt said beside a problem: a problem, a case.
FRAUD_AND_DOUBTS_WITH_A_PROBLEM = [
    ("老板骗我签了假合同", "contract"), ("中介骗了我三千块押金", "contract"),
    ("被黑中介骗了", "other_legal"), ("被骗了", "other_legal"), ("我被中介骗了", "other_legal"),
    ("老板是骗子吧", "other_legal"), ("那个中介是骗子吗", "other_legal"),
    ("黑中介收费三千，是骗子吗", "other_legal"), ("老板是骗子，欠我三个月工资", "wages"),
    ("你们是不是骗子？我被欠了三个月工资", "wages"), ("真的假的？老板拖欠工资能要回来吗", "wages"),
    ("你们收费吗？我在工地摔伤了", "injury"), ("免费吗？公司不给交社保", "social_insurance"),
    ("你们是谁？我被辞退了", "contract"), ("is this a scam? my boss owes me 3000", "wages"),
    ("who are you? I was injured at work", "injury"), ("the agency is a scam, I was cheated",
                                                      "other_legal"),
]


@pytest.mark.parametrize("text,category", FRAUD_AND_DOUBTS_WITH_A_PROBLEM,
                         ids=[f[0] for f in FRAUD_AND_DOUBTS_WITH_A_PROBLEM])
def test_a_fraud_suffered_or_a_doubt_beside_a_problem_opens_a_case(text: str,
                                                                  category: str) -> None:
    reading = read_message(text, TODAY)
    assert reading.kind == "problem" and reading.opens_case
    assert reading.answers["category"] == category


@pytest.mark.parametrize("text", [
    "你们是骗子吧，我想咨询一下", "你们是干什么的？我需要帮助", "who are you? I need help",
    "这个厂靠谱吗", "你们是谁？有事想问", "我需要帮助"])
def test_a_doubt_beside_a_request_for_help_opens_a_case(text: str) -> None:
    assert read_message(text, TODAY).opens_case


WAGES, INJURY, CONTRACT = "wages", "injury", "contract"
INSURANCE, LEGAL, COLLECTIVE = "social_insurance", "other_legal", "collective"
D = Decimal
PROBLEMS: list[tuple[str, dict[str, Any]]] = [
    # wages
    ("老板拖欠我三个月工资，一共一万二",
     {"category": WAGES, "months_unpaid": 3, "amount_owed": D(12000)}),
    ("老板欠我工资", {"category": WAGES}),
    ("工资没发", {"category": WAGES}),
    ("工資沒發", {"category": WAGES}),  # Traditional characters
    ("三个月没发工资了", {"category": WAGES, "months_unpaid": 3}),
    ("欠薪8000元", {"category": WAGES, "amount_owed": D(8000)}),
    ("老板欠我12,000元", {"category": WAGES, "amount_owed": D(12000)}),
    ("老板跑路了，欠了我们工资", {"category": WAGES}),
    ("包工头不给钱", {"category": WAGES}),
    # Day labour paid by the day (日结): the days not paid are wages owed.
    ("干了十来天，日结的，最后几天没给", {"category": WAGES}),
    ("说好日结，三天没给了", {"category": WAGES}),
    ("日结的钱一直拖着", {"category": WAGES}),
    ("干了五天的钱没给", {"category": WAGES}),
    ("你好，老板不给钱", {"category": WAGES}),
    ("被辞退了还欠两个月工资",  # money owed outranks the dismissal
     {"category": WAGES, "months_unpaid": 2, "still_employed": False}),
    ("已经离职了，工资还没给", {"category": WAGES, "still_employed": False}),
    ("辞职了，老板扣着半年工资不给", {"category": WAGES, "months_unpaid": 6,
                                      "still_employed": False}),
    ("我还在上班，但老板两个多月没发工资", {"category": WAGES, "months_unpaid": 2,
                                             "still_employed": True}),
    ("上个月不干了，还欠我八千块", {"category": WAGES, "amount_owed": D(8000),
                                    "still_employed": False, "left_on": "2026-02"}),
    ("我在长安一家电子厂上班，老板欠我工资", {"category": WAGES}),  # a factory, unnamed
    # a workplace named by its trade alone is no employer's name: the intake asks for it
    ("我在电子厂上班，老板欠我工资", {"category": WAGES}),
    ("在装修公司做事，工资拖了两个月", {"category": WAGES, "months_unpaid": 2}),
    ("我在建筑工地干活，从脚手架上摔下来腿断了", {"category": INJURY, "injury_place": "工地"}),
    ("宏达建筑工程有限公司欠我工资", {"category": WAGES, "employer": "宏达建筑工程有限公司"}),
    ("老板说没钱，让我们等过年", {"category": WAGES}),
    ("They did not pay overtime", {"category": WAGES}),
    ("眼睛被铁屑扎了", {"category": INJURY}),
    ("老板说没钱给我看病", {"category": INJURY}),
    ("公司要我自己辞职", {"category": CONTRACT}),
    # a sum owed besides the main one, named with what it is for, is added to it
    ("月薪6000，欠了两个月，还有加班费3000",
     {"category": WAGES, "months_unpaid": 2, "amount_owed": D(15000)}),
    ("老板欠我8000，还有加班费3000", {"category": WAGES, "amount_owed": D(11000)}),
    ("老板欠我工资，还有加班费3000", {"category": WAGES, "amount_owed": D(3000)}),
    ("老板今天给了3000，还欠5000", {"category": WAGES, "amount_owed": D(5000)}),
    ("上海浦东一家物流公司欠我工资，每月6000，欠了两个半月",  # 2.5 months of 6000
     {"category": WAGES, "amount_owed": D(15000), "months_unpaid": 3, "work_place": "上海浦东"}),
    ("在苏州昆山的台资厂，工伤断了两根手指",
     {"category": INJURY, "work_place": "苏州昆山"}),  # where they work, not where hurt
    ("身份证被厂里扣了", {"category": CONTRACT}),
    ("老板打了我一巴掌", {"category": LEGAL}),
    ("包工头卷钱跑了", {"category": WAGES}),
    ("老板说年底一起结", {"category": WAGES}),
    ("公司倒闭了，老板失联", {"category": WAGES}),
    ("工资还差2000没给", {"category": WAGES, "amount_owed": D(2000)}),
    ("耳朵听不见了，厂里噪音太大", {"category": INJURY}),  # an occupational disease
    ("在工地上中暑晕倒了", {"category": INJURY, "injury_place": "工地"}),
    # A factory of a trade, a few words after 在, is where the worker was hurt.
    ("前天在东莞长安的五金厂被冲床压到手，两个手指断了，现在在医院",
     {"category": INJURY, "work_place": "东莞长安", "in_hospital": True,
      "injured_on": "2026-02-28", "injury_place": "五金厂"}),
    ("在鞋厂被机器夹伤了手", {"category": INJURY, "injury_place": "鞋厂"}),
    ("工地上摔伤了", {"category": INJURY, "injury_place": "工地"}),  # first, with no 在
    ("车间里被机器夹了手", {"category": INJURY, "injury_place": "车间"}),
    ("我在深圳一家电子厂上班的时候摔伤了",
     {"category": INJURY, "work_place": "深圳", "injury_place": "电子厂"}),
    ("我在东莞的鞋厂上班，受伤了", {"category": INJURY, "work_place": "东莞"}),  # where they work
    ("老板不让走，扣着身份证", {"category": CONTRACT}),
    ("晚上加班到两点，第二天还要上班", {"category": LEGAL}),  # working time, no word of pay
    ("天天加班，加班费也不给", {"category": WAGES}),
    ("东莞长安一家五金厂拖欠工资两个月", {"category": WAGES, "months_unpaid": 2,
                                      "work_place": "东莞长安"}),
    # A town named alone (东莞 and 中山 have no counties), and a place and a trade are no
    # employer's name.
    ("厚街鞋厂欠我两个月工资", {"category": WAGES, "months_unpaid": 2, "work_place": "厚街"}),
    ("在虎门做服装，老板跑了", {"category": WAGES, "work_place": "虎门"}),
    ("中山小榄的灯具厂，手被烫伤了", {"category": INJURY, "work_place": "中山小榄"}),
    ("凤岗宏达电子厂欠薪三个月", {"category": WAGES, "months_unpaid": 3, "work_place": "凤岗",
                             "employer": "宏达电子厂"}),
    ("老板一分钱都没给", {"category": WAGES}),
    ("我在深圳某某电子厂上班，老板三个月没发工资",
     {"category": WAGES, "months_unpaid": 3, "work_place": "深圳", "employer": "某某电子厂"}),
    ("在东莞长安镇某某五金厂干了三年，老板欠两个月工资",  # three years is tenure, not unpaid
     {"category": WAGES, "months_unpaid": 2, "work_place": "东莞长安镇",
      "employer": "某某五金厂"}),
    ("加班费一直不给", {"category": WAGES}),
    ("欠我一万二千五百块工资", {"category": WAGES, "amount_owed": D(12500)}),
    ("大概欠了1.5万", {"category": WAGES, "amount_owed": D(15000)}),
    ("【求助】老板欠薪😭😭", {"category": WAGES}),
    ("ｌａｏｂａｎ欠我５０００块", {"category": WAGES, "amount_owed": D(5000)}),
    ("The boss has not paid my wages for 3 months", {"category": WAGES, "months_unpaid": 3}),
    ("I work at ABC Electronics Co in Dongguan, they owe me 8000 yuan",
     {"category": WAGES, "amount_owed": D(8000), "work_place": "Dongguan",
      "employer": "ABC Electronics Co"}),
    ("my salary is unpaid", {"category": WAGES}),
    # collective: many workers of one employer
    ("我们三十多个工友都没拿到工资",
     {"category": COLLECTIVE, "people_affected": 30, "people_approximate": True}),
    ("全厂都被欠薪", {"category": COLLECTIVE}),
    ("3个月工资1万2，我们5个人",  # months, amount and head count kept apart
     {"category": COLLECTIVE, "months_unpaid": 3, "amount_owed": D(12000),
      "people_affected": 5, "people_approximate": False}),
    ("广东省东莞市某某鞋业有限公司欠我们40多人工资",
     {"category": COLLECTIVE, "people_affected": 40, "people_approximate": True,
      "work_place": "广东省东莞市", "employer": "某某鞋业有限公司"}),
    ("工地上二三十个人都没拿到工钱",
     {"category": COLLECTIVE, "people_affected": 25, "people_approximate": True}),
    ("我和两个工友的工资都没发",
     {"category": COLLECTIVE, "people_affected": 3, "people_approximate": False}),
    # The sum said roughly before its unit: 三十多万 is three hundred thousand, not thirty.
    ("老板欠了我们二十几个人半年的工资，一共三十多万，现在人都找不到了，怎么办啊？？",
     {"category": COLLECTIVE, "amount_owed": D(300000), "months_unpaid": 6,
      "people_affected": 25, "people_approximate": True}),
    ("包工头欠我十几万，拖了一年多了",
     {"category": WAGES, "amount_owed": D(120000), "months_unpaid": 12}),
    ("我们工地五十多个人被欠了一百多万",
     {"category": COLLECTIVE, "amount_owed": D(1000000), "people_affected": 50,
      "people_approximate": True}),
    ("all of us have not been paid", {"category": COLLECTIVE}),
    ("About 20 workers are owed wages",
     {"category": COLLECTIVE, "people_affected": 20, "people_approximate": True}),
    ("我和老乡两个人工资没发",  # two is not many
     {"category": WAGES, "people_affected": 2, "people_approximate": False}),
    # injury first, whatever else is said
    ("工地上摔伤了，老板不给医药费", {"category": INJURY, "employer_pays_treatment": False,
                                "injury_place": "工地"}),
    # the boss not paying for treatment, said the ways workers say it
    ("工地上摔伤了，老板不给看病", {"category": INJURY, "employer_pays_treatment": False,
                                "injury_place": "工地"}),
    ("手被机器夹伤了，老板不让看病", {"category": INJURY, "employer_pays_treatment": False}),
    ("摔断了腿，医药费都是自己垫付的", {"category": INJURY, "employer_pays_treatment": False}),
    ("【求助】脚砸伤了，老板不肯出医药费😭",
     {"category": INJURY, "employer_pays_treatment": False}),
    ("烫伤了，自己掏钱去的诊所", {"category": INJURY, "employer_pays_treatment": False}),
    ("I hurt my back and the boss refuses to pay for treatment",
     {"category": INJURY, "employer_pays_treatment": False}),
    # what a hurt worker spent on treatment is no wage debt; wages they are owed still are
    ("工地上摔伤了，老板不给看病，垫了3001元",
     {"category": INJURY, "employer_pays_treatment": False, "medical_costs": 3001,
      "injury_place": "工地"}),
    ("摔伤了自己垫付医药费5000",
     {"category": INJURY, "employer_pays_treatment": False, "medical_costs": 5000}),
    ("手指被机器压断了，花了两万医药费", {"category": INJURY, "medical_costs": 20000}),
    ("工伤，医药费8000老板不报销",
     {"category": INJURY, "employer_pays_treatment": False, "medical_costs": 8000}),
    ("腿摔断了，手术费三万，老板一分没出",
     {"category": INJURY, "employer_pays_treatment": False, "medical_costs": 30000}),
    ("摔伤了，医药费花了8000，老板只给了2000", {"category": INJURY, "medical_costs": 8000}),
    ("Injured at work, paid 3000 for hospital myself",
     {"category": INJURY, "medical_costs": 3000}),
    ("I had surgery after the accident, spent 20000 yuan",
     {"category": INJURY, "medical_costs": 20000}),
    ("受伤住院，老板欠我工资8000",
     {"category": INJURY, "in_hospital": True, "amount_owed": D(8000)}),
    ("住院花了1万多，老板还欠我两个月工资6000",
     {"category": INJURY, "in_hospital": True, "amount_owed": D(6000), "medical_costs": 10000}),
    # a number that names something (an ID, a phone, a staff number) is no sum owed
    ("我叫张三，身份证号410xxxxx，老板欠我工资", {"category": WAGES}),
    ("我的电话13800138000，老板欠我8000", {"category": WAGES, "amount_owed": D(8000)}),
    ("工号2031，欠薪5000", {"category": WAGES, "amount_owed": D(5000)}),
    ("手机号是138****5678，工资一直拖着不给", {"category": WAGES}),
    ("my ID is 4101234, boss owes me 3000rmb", {"category": WAGES, "amount_owed": D(3000)}),
    # where the worker is from, when they say it outright
    ("我是河南人，在深圳打工，老板欠我三个月工资",
     {"category": WAGES, "months_unpaid": 3, "work_place": "深圳", "home_province": "河南"}),
    ("老家四川的，工地老板欠钱不给", {"category": WAGES, "home_province": "四川"}),
    ("I'm from Henan, my boss owes me wages", {"category": WAGES, "home_province": "河南"}),
    ("在河南郑州打工，老板欠我工资", {"category": WAGES, "work_place": "河南郑州"}),
    ("我们十几个人的工资都没发", {"category": COLLECTIVE, "people_affected": 12,
                                 "people_approximate": True}),
    ("我在佛山的工地上摔伤了，腿骨折，住院花了一万二，都是自己垫的",
     {"category": INJURY, "work_place": "佛山", "in_hospital": True,
      "employer_pays_treatment": False, "medical_costs": 12000, "injury_place": "工地"}),
    # what they paid for treatment, written the ways workers write it
    ("【工伤】手被冲床压伤，医药费一万二都是我自己出的",
     {"category": INJURY, "medical_costs": 12000}),
    ("砸伤脚了😭看病花了两千多块，老板不管",
     {"category": INJURY, "employer_pays_treatment": False, "medical_costs": 2000}),
    ("摔伤了，住院费１５０００元自己垫的", {"category": INJURY, "in_hospital": True,
                                          "employer_pays_treatment": False,
                                          "medical_costs": 15000}),
    ("受伤了，药费花了50块", {"category": INJURY, "medical_costs": 50}),
    ("受伤了，医药费8000，一共花了一万", {"category": INJURY, "medical_costs": 10000}),
    ("Hurt my hand at the factory, I paid 4,500 yuan for the doctor",
     {"category": INJURY, "medical_costs": 4500, "injury_place": "factory"}),
    ("I fell from the scaffolding last Friday",  # (2 March 2026 is a Monday)
     {"category": INJURY, "injury_place": "scaffolding", "injured_on": "2026-02-27"}),
    ("my hand was crushed in a machine at the factory",
     {"category": INJURY, "injury_place": "factory"}),
    # treatment named: a hurt worker, whose wages owed are kept too
    ("欠我工资八千，老板说医药费他出",
     {"category": INJURY, "amount_owed": D(8000), "employer_pays_treatment": True}),
    ("手受伤了，医药费老板出，但是工资不给", {"category": INJURY, "employer_pays_treatment": True}),
    ("Injured at work, the boss pays for treatment", {"category": INJURY,
                                                       "employer_pays_treatment": True}),
    ("受伤住院了，公司付了医药费", {"category": INJURY, "in_hospital": True,
                            "employer_pays_treatment": True}),
    ("昨天在工地摔伤，现在住院",
     {"category": INJURY, "injured_on": "2026-03-01", "in_hospital": True,
      "injury_place": "工地"}),
    ("手指被机器压断了", {"category": INJURY}),
    ("3月1号从楼上掉下来，骨折了", {"category": INJURY, "injured_on": "2026-03-01"}),
    ("受伤了工资也没发", {"category": INJURY}),
    ("我得了尘肺病", {"category": INJURY}),
    ("I was injured at work yesterday", {"category": INJURY, "injured_on": "2026-03-01"}),
    ("I got hurt and the boss won't pay for treatment",
     {"category": INJURY, "employer_pays_treatment": False}),
    ("上周在广州工地出了事故", {"category": INJURY, "injured_on": "2026-02-23",
                                "work_place": "广州", "injury_place": "工地"}),
    # social insurance
    ("公司不给买社保", {"category": INSURANCE}),
    ("工资里扣了社保但没交", {"category": INSURANCE}),
    ("公司没给我买工伤保险", {"category": INSURANCE, "insurance_kind": "工伤"}),
    ("五险一金都没有", {"category": INSURANCE, "insurance_kind": "全部"}),
    ("养老保险断交了三个月", {"category": INSURANCE, "insurance_kind": "养老",
                              "insurance_months": 3}),
    # Two years worked and never paid: two years missing ("干了两年" alone is no months missing).
    ("干了两年，公司一直没交社保", {"category": INSURANCE, "insurance_months": 24}),
    ("干了两年，公司没交社保", {"category": INSURANCE}),
    ("您好，我是在昆山一家电子厂上班的，厂里已经两个月没发工资了，我们有一百多个人",
     {"category": COLLECTIVE, "months_unpaid": 2, "people_affected": 100,
      "people_approximate": True, "work_place": "昆山"}),  # "一家电子厂" names no employer
    ("包工头欠我们班组12个人的工钱，总共十八万，已经拖了半年",
     {"category": COLLECTIVE, "amount_owed": D(180000), "months_unpaid": 6,
      "people_affected": 12, "people_approximate": False}),
    ("我老公在工地上从架子上摔下来了，现在在医院，老板不管",
     {"category": INJURY, "in_hospital": True, "employer_pays_treatment": False,
      "injury_place": "工地"}),
    # Where it happened, said after 在 / 从, or on the way to or from work.
    ("在车间被机器压断了手指", {"category": INJURY, "injury_place": "车间"}),
    ("从脚手架上掉下来了", {"category": INJURY, "injury_place": "脚手架"}),
    ("送外卖的路上被车撞了", {"category": INJURY, "injury_place": "送外卖的路上"}),
    ("上周三在厂里被烫伤", {"category": INJURY, "injury_place": "厂里",
                          "injured_on": "2026-02-25"}),
    ("公司要把我调到外地，不去就让我辞职", {"category": CONTRACT}),
    ("hi i work in guangzhou factory, boss owe me 2 month salary 9000",
     {"category": WAGES, "amount_owed": D(9000), "months_unpaid": 2, "work_place": "Guangzhou"}),
    ("我去年在北京工地干活，包工头到现在还欠我两万八",
     {"category": WAGES, "amount_owed": D(28000), "work_place": "北京"}),
    ("我的手被机器压了，厂里只给了两千块", {"category": INJURY}),  # paid, not owed
    ("老板只给了一千，还欠我五千", {"category": WAGES, "amount_owed": D(5000)}),
    ("东莞的厂倒闭了，老板跑了，全厂三百多人没拿到工资",
     {"category": COLLECTIVE, "people_affected": 300, "people_approximate": True,
      "work_place": "东莞"}),
    ("The company never paid my social insurance", {"category": INSURANCE}),
    # contract
    # Let go: no longer there, so the intake does not ask whether they still work there.
    ("没签合同就被开除了", {"category": CONTRACT, "written_contract": False,
                    "still_employed": False}),
    ("我被辞退了，没有任何补偿", {"category": CONTRACT, "still_employed": False}),
    ("昨天被炒鱿鱼了", {"category": CONTRACT, "dismissed_on": "2026-03-01",
                 "still_employed": False}),
    ("厂里扣了我的身份证不还", {"category": CONTRACT}),
    ("入职交了押金，现在不退", {"category": CONTRACT}),
    ("I was fired without notice", {"category": CONTRACT, "still_employed": False}),
    # Still there: said so, or only pushed or threatened (the intake asks no day it ended).
    ("还在上班，公司一直不签劳动合同", {"category": CONTRACT, "still_employed": True,
                           "written_contract": False}),
    ("我在厂里干了一年多了，公司一直不给签合同，能要双倍工资吗",
     {"category": CONTRACT, "written_contract": False}),
    ("I still work there but they never gave me a contract",
     {"category": CONTRACT, "still_employed": True, "written_contract": False}),
    ("they told me to quit or they would fire me", {"category": CONTRACT}),
    ("工资从月薪7000降到4000，不同意就辞退我", {"category": CONTRACT}),
    ("老板说下个月开始不用来了", {"category": CONTRACT}),
    ("签了合同但是试用期被解雇", {"category": CONTRACT, "written_contract": True,
                      "still_employed": False}),
    # other legal
    ("被黑中介骗了钱", {"category": LEGAL}),
    ("想找个律师", {"category": LEGAL}),
    ("老板打人", {"category": LEGAL}),
    ("I need a lawyer", {"category": LEGAL}),
    ("我想申请劳动仲裁要回工资", {"category": WAGES}),  # arbitration for wages is wages
    # A wage rate is no sum owed by itself; with the time it went unpaid it is: the worker is
    # owed their product (shown to them at the confirmation, where they can correct it).
    ("每个月4000，欠了3个月", {"category": WAGES, "months_unpaid": 3, "amount_owed": D(12000)}),
    ("一个月4000块，老板欠了我两个月",
     {"category": WAGES, "months_unpaid": 2, "amount_owed": D(8000)}),
    ("月薪5000，欠薪三个月", {"category": WAGES, "months_unpaid": 3, "amount_owed": D(15000)}),
    ("拖欠工资4个月，每月4500", {"category": WAGES, "months_unpaid": 4, "amount_owed": D(18000)}),
    ("老板欠我三个月工资，一个月五千",
     {"category": WAGES, "months_unpaid": 3, "amount_owed": D(15000)}),
    ("每个月4000，3个月没发了", {"category": WAGES, "months_unpaid": 3, "amount_owed": D(12000)}),
    ("工资是5000，3个月没发", {"category": WAGES, "months_unpaid": 3, "amount_owed": D(15000)}),
    ("月薪４５００，拖了俩月", {"category": WAGES, "months_unpaid": 2, "amount_owed": D(9000)}),
    ("月薪4000，干了三年，老板欠我两个月工资",  # tenure is no time unpaid
     {"category": WAGES, "months_unpaid": 2, "amount_owed": D(8000)}),
    ("my boss owes me 3 months, 4000 a month",
     {"category": WAGES, "months_unpaid": 3, "amount_owed": D(12000)}),
    ("一天200，干了30天没给钱", {"category": WAGES, "amount_owed": D(6000)}),
    ("工资每天200，干了20天没给钱", {"category": WAGES, "amount_owed": D(4000)}),
    ("日薪300，做了15天，一分没拿到", {"category": WAGES, "amount_owed": D(4500)}),
    ("一天两百，干了二十天，老板跑了", {"category": WAGES, "amount_owed": D(4000)}),
    ("一天两百，三天前老板跑了", {"category": WAGES}),  # three days ago is no time worked
    ("时薪25，干了100个小时没给钱", {"category": WAGES}),  # hours are not read: no sum
    ("我一个月挣4000，被辞退没给赔偿", {"category": CONTRACT, "still_employed": False}),
    ("4000一个月，欠了三个月", {"category": WAGES, "months_unpaid": 3, "amount_owed": D(12000)}),
    ("一天能拿300，老板拖了两个月", {"category": WAGES, "months_unpaid": 2}),  # days unknown
    ("I earn 4000 a month and the boss owes me 8000",
     {"category": WAGES, "amount_owed": D(8000)}),
    ("they have not paid me for a month", {"category": WAGES, "months_unpaid": 1}),
    ("3月工资没发", {"category": WAGES}),  # March's wages: no count of months
    # From a month named to today (2 March 2026) is months unpaid; a count beside it wins.
    ("2025年10月到现在没发工资", {"category": WAGES, "months_unpaid": 5}),
    ("从去年十月开始就没发工资了", {"category": WAGES, "months_unpaid": 5}),
    ("老板从今年一月起就一直拖着工资", {"category": WAGES, "months_unpaid": 2}),
    ("去年十月开始上班，最近两个月没发工资", {"category": WAGES, "months_unpaid": 2}),
    ("haven't been paid since October", {"category": WAGES, "months_unpaid": 5}),
    ("每月4500，从8月开始就没发", {"category": WAGES, "months_unpaid": 7,  # a wage since a month
                               "amount_owed": D(31500)}),
    ("月薪6000，去年十月到现在一分没拿到", {"category": WAGES, "months_unpaid": 5,
                                     "amount_owed": D(30000)}),
    ("从2025开始没发工资", {"category": WAGES}),
    ("我的电话13800138000，老板欠我8000", {"category": WAGES, "amount_owed": D(8000)}),
    ("欠了2000", {"category": WAGES, "amount_owed": D(2000)}),
    ("老板欠我工资" * 300 + "在深圳", {"category": WAGES, "work_place": "深圳"}),  # long text
    ("工地上摔伤了" + "🙏" * 500, {"category": INJURY, "injury_place": "工地"}),
    # Pay held back till later, papers withheld, a beating, a worker shut in, a pension.
    ("每个月只发生活费，剩下的年底给", {"category": WAGES}),
    ("老板说干满一年才发工资", {"category": WAGES}),  # a year is the condition, not months owed
    ("工资出不来", {"category": WAGES}),
    # No employer: 离职后 is a time.
    ("离职后公司不给开离职证明", {"category": CONTRACT, "still_employed": False}),
    ("my employer took my passport", {"category": CONTRACT}),
    ("被车间主任打了", {"category": LEGAL}), ("保安打了我", {"category": LEGAL}),
    ("我朋友被困在厂里，不让出门", {"category": LEGAL}),
    ("想咨询一下退休金的问题", {"category": INSURANCE, "insurance_kind": "养老"}),
    ("养老金怎么领", {"category": INSURANCE, "insurance_kind": "养老"}),
    # Pregnant and sent away (no months unpaid, no employer "怀孕7个月公司"), a rider hit by a
    # car, fines, the hours, shut in by the guards (no employer "保安不让我们出厂").
    ("怀孕7个月公司让我走人", {"category": CONTRACT}),
    ("我在上海做外卖骑手，被车撞了，平台不管",
     {"category": INJURY, "work_place": "上海", "employer_pays_treatment": False}),
    ("快递公司罚款太多了", {"category": WAGES}),
    ("劳务派遣公司扣我们的工资", {"category": WAGES}),
    ("每天工作14个小时，一个月只休一天", {"category": LEGAL}),
    ("保安不让我们出厂门", {"category": LEGAL}),
    ("老板欠了我一万五千块钱，已经半年了",
     {"category": WAGES, "amount_owed": D(15000), "months_unpaid": 6}),
    ("我们班组12个人，工资拖了4个月了", {"category": COLLECTIVE, "months_unpaid": 4,
                                   "people_affected": 12, "people_approximate": False}),
    # A contractor gone, a factory moving away, a worker made to pay for a machine, a death.
    ("总包跑了，分包也不管", {"category": WAGES}),
    ("厂里说要搬到越南，把我们都辞了", {"category": CONTRACT, "still_employed": False}),
    ("老板让我赔机器的钱，扣了我三千", {"category": WAGES, "amount_owed": D(3000)}),
    ("工友在工地猝死", {"category": INJURY, "injury_place": "工地"}),
    ("工友干活时突然倒下了，送医院没抢救过来", {"category": INJURY, "in_hospital": True}),
    ("我爸去世了要回家，老板不给工资", {"category": WAGES}),  # a death at home: no injury
    # Cantonese (出粮 pay day, 人工 wages, 冇俾 not given, 走佬 ran off, 跌亲 fell and got hurt)
    # and northern speech (俺们 is "we": no employer "俺们工地").
    ("老细走佬咗，人工冇俾", {"category": WAGES}),
    ("老板冇出粮，两个月了", {"category": WAGES, "months_unpaid": 2}),
    ("公司唔出粮", {"category": WAGES}),
    ("老板拖粮三个月", {"category": WAGES, "months_unpaid": 3}),
    ("返工跌亲，脚断咗", {"category": INJURY}),
    ("俺们工地老板不给钱，中不中", {"category": WAGES}),
    # Hurt as workers say it: arc eye, a twisted back, a cut sewn up, a nail, metal in an eye.
    ("我是电焊工，眼睛被电焊打了", {"category": INJURY}),
    ("干活的时候腰扭了", {"category": INJURY}),
    ("手被割了一个大口子，缝了八针", {"category": INJURY}),
    ("在工地上被钉子扎穿了脚", {"category": INJURY, "injury_place": "工地"}),
    ("搬东西把腰闪了", {"category": INJURY}), ("眼睛进了铁屑", {"category": INJURY}),
    ("从梯子上摔下来", {"category": INJURY, "injury_place": "梯子"}),
    ("No contract, boss refuses to pay", {"category": WAGES}),
    ("The factory closed and nobody paid us", {"category": WAGES}),
    ("My husband died at the construction site",
     {"category": INJURY, "injury_place": "construction site"}),
    ("我想了解一下劳动法", {"category": LEGAL}),
    ("老板扣我身份证", {"category": CONTRACT}), ("老板扣我工资", {"category": WAGES}),
    # Not a cent in all the time worked: that time is the months unpaid. "都没发" alone is one
    # worker's wages (not at all), not a group's.
    ("我们十几个人在工地干了半年，包工头一分钱没给，上周跑了",
     {"category": COLLECTIVE, "months_unpaid": 6, "people_affected": 12,
      "people_approximate": True}),
    ("在这干了8个月，一分钱都没拿到", {"category": WAGES, "months_unpaid": 8}),
    ("干了三年，最近工资一直没发", {"category": WAGES}),  # recent: not three years
    ("一分钱都没拿到", {"category": WAGES}), ("工资都没发", {"category": WAGES}),
    ("大伙的工资都没结", {"category": COLLECTIVE}),
    ("我做了两个月，他们说试用期没有工资", {"category": WAGES}),
    # An accident on site: urgent, whoever is hurt.
    ("【急】工地塌了，压了好几个人，有人还在下面",
     {"category": INJURY, "people_affected": 3, "people_approximate": True}),
    ("车间爆炸了", {"category": INJURY}), ("厂里着火了，有工友被烧伤了", {"category": INJURY}),
    ("老板压了两个月工资", {"category": WAGES, "months_unpaid": 2}),  # 压 is held back here
    # After the law has spoken: still unpaid, enforcement, a firm closed down.
    ("打了官司，赢了，钱还是没拿到", {"category": WAGES}),
    ("申请了强制执行，半年了没动静", {"category": LEGAL}),
    ("工厂被查封了", {"category": WAGES}), ("老板破产了", {"category": WAGES}),
    # Part paid: what is left is what is owed.
    ("老板欠我12000，已经给了5000，还差7000", {"category": WAGES, "amount_owed": D(7000)}),
    ("boss paid 5000, still owes me 7000", {"category": WAGES, "amount_owed": D(7000)}),
    ("工资付了一半，还欠8000", {"category": WAGES, "amount_owed": D(8000)}),
    ("工资还差2000没给", {"category": WAGES, "amount_owed": D(2000)}),  # no payment named
    # Social insurance never paid, or paid only in part, in the time worked.
    ("公司一直没给我买社保，干了三年了", {"category": INSURANCE, "insurance_months": 36}),
    ("我在这个厂干了5年，老板从来没给交过社保", {"category": INSURANCE, "insurance_months": 60}),
    ("干了两年，社保只交了半年", {"category": INSURANCE, "insurance_months": 18}),
    ("社保只交了半年", {"category": INSURANCE}),  # months paid; those missing unknown
    ("干了三年，社保断了两年", {"category": INSURANCE, "insurance_months": 24}),
    # Money owed besides the wages, named as what it is: added to the wages.
    ("月薪5000，欠了两个月，押金1000也不退",
     {"category": WAGES, "amount_owed": D(11000), "months_unpaid": 2}),
    ("老板欠我工资8000，还有加班费2000", {"category": WAGES, "amount_owed": D(10000)}),
    ("欠我8000，加班费2000也没给", {"category": WAGES, "amount_owed": D(10000)}),
    ("每月4500，拖了3个月，加班费1500",
     {"category": WAGES, "amount_owed": D(15000), "months_unpaid": 3}),
    ("2000的加班费没给", {"category": WAGES, "amount_owed": D(2000)}),  # no year
    # The worker's own share of what a group is owed is the sum on their case.
    ("一共欠了我们二十多万，我自己是一万二", {"category": WAGES, "amount_owed": D(12000)}),
    ("我们工地一共被欠了50万，我的那份是8000", {"category": WAGES, "amount_owed": D(8000)}),
    ("押金1000也不退，一共欠我们二十多万，我自己是一万五",  # the share is all: nothing added
     {"category": WAGES, "amount_owed": D(15000)}),
    ("all of us are owed 200000, my share is 9000",
     {"category": COLLECTIVE, "amount_owed": D(9000)}),
    # 没发 / 没结 / 个月没给 with a sum or a time: wages.
    ("每个月3800，三个月没给了", {"category": WAGES, "amount_owed": D(11400), "months_unpaid": 3}),
    ("我们30个人，人均8000没发", {"category": COLLECTIVE, "amount_owed": D(8000),
                              "people_affected": 30, "people_approximate": False}),
    ("两个月没结了", {"category": WAGES, "months_unpaid": 2}),
    # Less paid than agreed or written down: the difference is owed.
    ("工资条上写的是5000，实际只发了3500", {"category": WAGES, "amount_owed": D(1500)}),
    ("说好的月薪6000，只发了4000", {"category": WAGES, "amount_owed": D(2000)}),
    ("说好的一万二，只给了八千", {"category": WAGES, "amount_owed": D(4000)}),
    ("i was promised 6000 a month but only got 4000",
     {"category": WAGES, "amount_owed": D(2000)}),
    ("Got injured on the site yesterday, boss wont pay hospital bills",
     {"category": INJURY, "employer_pays_treatment": False, "injured_on": "2026-03-01",
      "injury_place": "site"}),
    # How often is no count of months; severance not paid is a dismissal.
    ("每天干12个小时，一个月只休一天，加班费都没有", {"category": WAGES}),
    ("干了8年，公司搬走了，没有任何补偿", {"category": CONTRACT}),
    ("请问仲裁要钱吗", {"category": LEGAL}),  # what the law costs, not money owed
    ("Boss hasnt paid us for 3 months, there are 15 of us",
     {"category": COLLECTIVE, "months_unpaid": 3, "people_affected": 15,
      "people_approximate": False}),
    # Details said in the worker's order; contributions taken and not paid in; fees paid.
    ("工伤认定已经做了，公司不给赔偿", {"category": INJURY, "injury_claim_filed": True}),
    ("我老婆在服装厂做了五年，上个月被辞退了，没有任何补偿，合同也没签",
     {"category": CONTRACT, "written_contract": False, "dismissed_on": "2026-02",
      "still_employed": False}),
    ("公司每个月扣我们社保的钱，但是根本没交", {"category": INSURANCE}),
    ("我在美团送外卖，摔了一跤，膝盖骨裂，平台说我不是他们员工", {"category": INJURY}),
    ("我被狗咬了，在工地上", {"category": INJURY, "injury_place": "工地"}),
    ("入职的时候交了800块钱服装费和200体检费，干了一周就不让干了",
     {"category": CONTRACT, "amount_owed": D(1000), "still_employed": False}),
    ("被人打了，在工地上，包工头的人打的", {"category": LEGAL}),
    ("工资从月薪7000降到4000，不同意就让我走", {"category": CONTRACT}),  # a cut, no debt
    # From one month to another; sums listed month by month; 号人; a hire date is no dismissal.
    ("2025年3月到2025年12月的工资都没发，每个月4000",
     {"category": WAGES, "amount_owed": D(40000), "months_unpaid": 10}),
    ("老板欠我的钱是：3月2000，4月3000，5月3500", {"category": WAGES, "amount_owed": D(8500)}),
    ("我们工地300多号人，都是被拖欠工资的",
     {"category": COLLECTIVE, "people_affected": 300, "people_approximate": True}),
    ("从2026年1月1日入职，一直没签合同", {"category": CONTRACT, "written_contract": False}),
    # A month's pay said first in a clause, then the time unpaid, is a wage; after 欠 a debt.
    ("工资4500，拖了三个月，还有押金500没退",
     {"category": WAGES, "amount_owed": D(14000), "months_unpaid": 3}),
    ("工资8000，拖了两个月", {"category": WAGES, "amount_owed": D(16000), "months_unpaid": 2}),
    ("拖欠工资4500，三个月了", {"category": WAGES, "amount_owed": D(4500), "months_unpaid": 3}),
    ("三个月工资4500没给", {"category": WAGES, "amount_owed": D(4500), "months_unpaid": 3}),
    # Worked out in the text; a masked phone number is no sum.
    ("老板欠我3个月工资，4500*3=13500",
     {"category": WAGES, "amount_owed": D(13500), "months_unpaid": 3}),
    ("老板欠我4500+3000", {"category": WAGES, "amount_owed": D(7500)}),
    # Less paid than due, a developer gone, texts in pinyin.
    ("工资少发了1200", {"category": WAGES, "amount_owed": D(1200)}),
    ("我们十几个工友在烂尾楼干活，开发商跑了，总包说没收到钱",
     {"category": COLLECTIVE, "people_affected": 12, "people_approximate": True}),
    ("laoban qian wo gongzi", {"category": WAGES}), ("laoban pao le", {"category": WAGES}),
    ("wo gongshang le", {"category": INJURY}),
    # Time still to come is not time unpaid.
    ("老板说再干一个月就结账", {"category": WAGES}),
    ("老板说再干一个月就结账，已经三个月没发了", {"category": WAGES, "months_unpaid": 3}),
    # Time worked, then unpaid: all of it when nothing was paid, less the months paid, or the
    # count said beside it; time worked alone is no time unpaid.
    ("干了三个月一分钱没拿到", {"category": WAGES, "months_unpaid": 3}),
    ("干了3个多月，钱一分没见到", {"category": WAGES, "months_unpaid": 3}),
    ("在工地干了5个月，老板只给了生活费", {"category": WAGES, "months_unpaid": 5}),
    ("做了半年，后面两个月没发", {"category": WAGES, "months_unpaid": 2}),
    ("干了八个月，只发了三个月的", {"category": WAGES, "months_unpaid": 5}),
    ("只发了一个月，后面三个月都没发", {"category": WAGES, "months_unpaid": 3}),
    ("工资4500 干了三个月没拿到钱",
     {"category": WAGES, "amount_owed": D(13500), "months_unpaid": 3}),
    ("工资4500，干了两个月", {"category": WAGES, "amount_owed": D(4500)}),  # no word of unpaid
    ("worked 6 months, last 2 months unpaid", {"category": WAGES, "months_unpaid": 2}),
    ("I worked 3 months and got nothing", {"category": WAGES, "months_unpaid": 3}),
    # 工资 and a sum alone is the sum owed; "工资是" says the wage, a rate (no sum: asked).
    ("工资4500", {"category": WAGES, "amount_owed": D(4500)}),
    ("工资4500没发", {"category": WAGES, "amount_owed": D(4500)}),
    ("工资４５００元，老板一直拖着", {"category": WAGES, "amount_owed": D(4500)}),
    ("工资是4500", {"category": WAGES}),
    ("【求助】工资4500，三个月没发😭",
     {"category": WAGES, "amount_owed": D(13500), "months_unpaid": 3}),
    # A wage per month said the ways workers say it; one month's wages owed is no rate.
    ("我一个月工资4500，干了两个月没发",
     {"category": WAGES, "amount_owed": D(9000), "months_unpaid": 2}),
    ("每个月工资4500，欠了三个月",
     {"category": WAGES, "amount_owed": D(13500), "months_unpaid": 3}),
    ("欠我一个月工资4500", {"category": WAGES, "amount_owed": D(4500), "months_unpaid": 1}),
    ("老板欠我3个月工资 4500/月",
     {"category": WAGES, "amount_owed": D(13500), "months_unpaid": 3}),
    ("4k一个月，欠了俩月", {"category": WAGES, "amount_owed": D(8000), "months_unpaid": 2}),
    ("日工资三百，干了二十五天，一分没拿到", {"category": WAGES, "amount_owed": D(7500)}),
    ("老板每个月只发1000生活费，剩下的说年底给，一个月工资6000，已经8个月了",
     {"category": WAGES, "amount_owed": D(40000), "months_unpaid": 8}),  # 5000 a month short
    # 仨, 1w2, a rough sum that is no year, 约200名, pinyin counts.
    ("工资拖了仨月了", {"category": WAGES, "months_unpaid": 3}),
    ("欠我1w2", {"category": WAGES, "amount_owed": D(12000)}),
    ("加班费没给，大概2000多", {"category": WAGES, "amount_owed": D(2000)}),
    ("工资拖欠，涉及工人约200名",
     {"category": COLLECTIVE, "people_affected": 200, "people_approximate": True}),
    ("laoban qian wo 3 ge yue gongzi", {"category": WAGES, "months_unpaid": 3}),
    ("Laoban qian wo liang ge yue gongzi", {"category": WAGES, "months_unpaid": 2}),
    # Wages named, then not paid: wages, whatever else happened.
    ("一万五千块钱没给", {"category": WAGES, "amount_owed": D(15000)}),
    ("昨天被辞退了，这个月工资不给",
     {"category": WAGES, "still_employed": False, "left_on": "2026-03-01"}),
    ("被辞退后工资一直没结", {"category": WAGES, "still_employed": False}),
    ("老板扣了我身份证，不让走", {"category": CONTRACT}),
    ("刚才在厂里被砸到脚了",
     {"category": INJURY, "injured_on": "2026-03-02", "injury_place": "厂里"}),
]


@pytest.mark.parametrize("text,answers", PROBLEMS, ids=[p[0][:40] for p in PROBLEMS])
def test_problems_and_their_facts(text: str, answers: dict[str, Any]) -> None:
    reading = read_message(text, TODAY)
    assert reading.kind == "problem" and reading.opens_case
    assert reading.answers == answers
    assert CaseCategory(reading.answers["category"])  # a real category value


# Texted on 7 December 2026 (the Spring Festival was 17 February): the months since a start,
# less the time worked and paid after it, or the months paid.
DECEMBER = date(2026, 12, 7)
SINCE_A_START: list[tuple[str, dict[str, Any]]] = [
    ("年后干了两个月就没发了", {"category": WAGES, "months_unpaid": 8}),  # paid for two
    ("过完年干了一个月，后面就没发了", {"category": WAGES, "months_unpaid": 9}),
    ("年后干了两个月，一分钱没拿到", {"category": WAGES, "months_unpaid": 2}),  # all unpaid
    ("过完年来的，干到现在一分没给", {"category": WAGES, "months_unpaid": 10}),
    ("年后干了两个月就没发了，每月5000",
     {"category": WAGES, "months_unpaid": 8, "amount_owed": D(40000)}),
    ("工资一个月五千五，年后干了三个月就没发了",
     {"category": WAGES, "months_unpaid": 7, "amount_owed": D(38500)}),
    ("年后干了三个月，后来一直没发工资，一个月五千五",
     {"category": WAGES, "months_unpaid": 7, "amount_owed": D(38500)}),
    ("年后上班到现在，只发了两个月", {"category": WAGES, "months_unpaid": 8}),
    ("过完年到现在干了9个月，就发了4个月的", {"category": WAGES, "months_unpaid": 5}),
    ("春节后上班，只发了3月的工资", {"category": WAGES, "months_unpaid": 9}),
    ("从3月干到现在，只发了两个月", {"category": WAGES, "months_unpaid": 7}),
    ("从3月干到现在，只给了两个月工资", {"category": WAGES, "months_unpaid": 7}),
    ("从今年3月份干到11月份，工资一分没拿", {"category": WAGES, "months_unpaid": 9}),
    ("在这个厂做了快3年了，今年6月开始工资就拖着", {"category": WAGES, "months_unpaid": 6}),
    ("我是4月份进厂的，9月后就没发工资了", {"category": WAGES, "months_unpaid": 3}),
    ("去年10月后就没发了", {"category": WAGES, "months_unpaid": 14}),
    ("6月后没发工资", {"category": WAGES, "months_unpaid": 6}),
    ("5月~10月没发工资", {"category": WAGES, "months_unpaid": 6}),
    ("十月十一月的工资没发", {"category": WAGES, "months_unpaid": 2}),
    ("10、11月工资没发", {"category": WAGES, "months_unpaid": 2}),
    ("老板欠我3、4月的工资", {"category": WAGES, "months_unpaid": 2}),
    ("9月份的工资还没发", {"category": WAGES}),  # one month named: no count
    ("老板说过完年再结", {"category": WAGES}),  # a promise, no start
    ("I worked for 4 months, only got paid for 1 month",
     {"category": WAGES, "months_unpaid": 3}),
    # Months named as those whose pay is owed (2026-12-07 demo walk): in English one named
    # month is that month's pay; in Chinese two or more count (one alone, above, does not).
    ("hi, my boss fired me last week without any notice and didnt pay me for october",
     {"category": WAGES, "months_unpaid": 1, "still_employed": False,
      "left_on": "2026-11-30"}),
    ("haven't been paid for september and october", {"category": WAGES, "months_unpaid": 2}),
    ("no salary since august", {"category": WAGES, "months_unpaid": 4}),
    ("they owe me my november wages", {"category": WAGES, "months_unpaid": 1}),
    ("unpaid since March", {"category": WAGES, "months_unpaid": 9}),
    ("october salary not paid", {"category": WAGES, "months_unpaid": 1}),
    ("boss didn't pay october and november", {"category": WAGES, "months_unpaid": 2}),
    ("they still owe me for last month", {"category": WAGES, "months_unpaid": 1}),
    ("上个月和这个月的工资没发", {"category": WAGES, "months_unpaid": 2}),
    ("老板没发我10月和11月的工资", {"category": WAGES, "months_unpaid": 2}),
    ("上个月的工资没发", {"category": WAGES}),  # one month named in Chinese: no count
    ("10月入职，工资没发", {"category": WAGES}),  # a month named is no pay's
]


@pytest.mark.parametrize("text,answers", SINCE_A_START, ids=[p[0] for p in SINCE_A_START])
def test_months_since_a_start_less_those_paid(text: str, answers: dict[str, Any]) -> None:
    assert read_message(text, DECEMBER).answers == answers


def test_at_least_sixty_phrasings() -> None:
    assert len(PLEASANTRIES) + len(REQUESTS) + len(PROBLEMS) >= 60
    assert len(ABOUT_US) >= 60


def test_reading_is_frozen_and_defaults_to_today() -> None:
    reading = read_message("昨天在工地摔伤")
    assert reading.answers["injured_on"] == (date.today() - timedelta(days=1)).isoformat()
    with pytest.raises(AttributeError):
        reading.kind = "pleasantry"  # type: ignore[misc]
    assert Reading("pleasantry").opens_case is False


def test_word_tables_name_real_categories_in_a_full_precedence() -> None:
    known = {c.value for c in CaseCategory} - {"unknown"}
    table = tables()
    assert set(table.precedence) == known and len(table.precedence) == len(known)
    assert {category for _, category, _ in table.words} == known
    # A word in two categories would make the precedence, not the tables, decide silently.
    seen: dict[str, str] = {}
    for word, category, _ in table.words:
        assert seen.setdefault(word, category) == category, word


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(
    list("老板欠我工资三个月一万二千五百人在深圳广东东莞厂年月号昨天没有是不受伤谢谢🙏【】，。 ")
    + list("每天日薪块干了几多来住院费药一共花时")  # rates, bills and their totals
    + list("0123456789kKwW¥.,-/ abcdefghijklmnopqrstuvwxyz") + ["\u200b", "\x00", "ｓ", "１"]),
    max_size=60))
def test_any_text_reads_without_error(text: str) -> None:
    reading = read_message(text, TODAY)
    assert reading.kind in ("problem", "request", "about_us", "pleasantry")
    assert reading.opens_case == (reading.kind in ("problem", "request"))
    if not reading.opens_case:
        assert reading.answers == {}
    amount = reading.answers.get("amount_owed")
    assert amount is None or Decimal(50) <= amount
    place = resolve_place(text)
    assert place is None or (place.province and len(place.code) == 6 and len(place.said) <= 100)
    for parse in (parse_amount, parse_months, parse_people, parse_yes_no):
        parse(text)
    found = parse_date(text, TODAY)
    assert found is None or found <= TODAY


# A reply mid-intake is read for the facts it states about the problem already known.
FACTS = [
    ("已经离职了", "wages", {"still_employed": False}),
    ("已经离职了，上个月底走的", "wages", {"still_employed": False, "left_on": "2026-02-28"}),
    ("还在厂里干着呢", "collective", {"still_employed": True}),
    ("三个月没发了", "wages", {"months_unpaid": 3}),
    ("我们十几个人都没拿到", "collective", {"people_affected": 12, "people_approximate": True}),
    ("住院了，老板不管", "injury", {"in_hospital": True, "employer_pays_treatment": False}),
    ("医药费花了五千", "injury", {"medical_costs": 5000}),
    ("没签合同", "contract", {"written_contract": False}),
    ("I quit last month", "wages", {"still_employed": False, "left_on": "2026-02"}),
    ("谢谢", "wages", {}), ("好的👍", "injury", {}), ("1", "wages", {}), ("", "wages", {}),
    ("很久了", "injury", {}),
]


@pytest.mark.parametrize("text,category,facts", FACTS, ids=[f[0] or "empty" for f in FACTS])
def test_facts_a_reply_states_about_a_known_problem(text: str, category: str,
                                                    facts: dict[str, Any]) -> None:
    assert facts_in(text, category, TODAY) == facts


@pytest.mark.parametrize("text,unsure", [
    ("不记得了", True), ("记不清了", True), ("不知道具体多少", True), ("忘了", True),
    ("不晓得", True), ("I don't remember", True), ("no idea", True), ("Not sure", True),
    ("昨天", False), ("12000", False), ("知道", False), ("", False)])
def test_a_worker_saying_they_do_not_know(text: str, unsure: bool) -> None:
    assert said_unsure(text) is unsure
