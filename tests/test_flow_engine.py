"""The flow engine and its input parsing, without a database: tables of answers and walks."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ivr_flows.engine import Context, FlowState, Reply, Turn, advance, start
from ivr_flows.fields import split_place
from ivr_flows.loader import default_flow
from ivr_flows.numbers import parse_number
from ivr_flows.parse import match_choice
from ivr_flows.sms import render_sms
from ivr_flows.voice import VoiceLinks, for_speech, render_voice
from notifications.segments import count_segments

NUMBERS = [
    ("12000", Decimal(12000)), ("１２０００", Decimal(12000)), ("1.2万", Decimal(12000)),
    ("一万二", Decimal(12000)), ("12,000元", Decimal(12000)), ("大约两万块左右", Decimal(20000)),
    ("3个月", Decimal(3)), ("三个月", Decimal(3)), ("5 people", Decimal(5)),
    ("0.5", Decimal("0.5")), ("abc", None), ("", None), ("老板跑了", None),
]


@pytest.mark.parametrize("text,expected", NUMBERS, ids=[n[0] or "empty" for n in NUMBERS])
def test_parse_number_table(text: str, expected: Decimal | None) -> None:
    assert parse_number(text) == expected


CATEGORY_ANSWERS = [
    ("1", "wages"), ("１", "wages"), ("一", "wages"), ("按二", "injury"), ("6", "collective"),
    ("工资没发", "wages"), ("工資沒發", "wages"),  # Traditional characters
    ("I was injured", "injury"), ("WAGES", "wages"), ("大家一起被欠", "collective"),
    ("9", None), ("12", None), ("你好", None), ("", None),
    ("受伤了工资也没发", None),  # two categories named: ambiguous, ask again
]


@pytest.mark.parametrize("text,expected", CATEGORY_ANSWERS,
                         ids=[c[0] or "empty" for c in CATEGORY_ANSWERS])
def test_category_menu_answers(text: str, expected: str | None) -> None:
    choice = match_choice(default_flow().node("category"), text)
    assert (choice.value if choice else None) == expected


def test_longest_keyword_wins_so_no_beats_yes() -> None:
    confirm = default_flow().node("confirm_wages")
    assert match_choice(confirm, "不对").value == "no"  # type: ignore[union-attr]
    assert match_choice(confirm, "对").value == "yes"  # type: ignore[union-attr]


@pytest.mark.parametrize("text,expected", [
    ("广东深圳", ("广东", "深圳")), ("广东省深圳市", ("广东", "深圳")),
    ("北京", ("北京", "北京")), ("广西壮族自治区南宁市", ("广西", "南宁")),
    ("东莞", ("广东", "东莞")), ("Guangdong Shenzhen", ("广东", "深圳")),
    ("zhejiang, hangzhou", ("浙江", "杭州")), ("Shenzhen", ("广东", "深圳")),
    ("shenzhen city", ("广东", "深圳")), ("Beijing", ("北京", "北京")),
    ("Henan Xinyang", ("河南", "信阳")), ("Henan", ("河南", None)),
    ("某某镇", (None, None)), ("1", (None, None)),  # names no place: the question is asked again
])
def test_split_place(text: str, expected: tuple[str | None, str | None]) -> None:
    assert split_place(text) == expected


def sms_ctx() -> Context:
    """An SMS context at a fixed moment."""
    return Context(channel="sms", now=datetime(2026, 3, 2, 4, 0, tzinfo=UTC))


def test_sms_walk_fills_answers_and_every_reply_is_short() -> None:
    flow = default_flow()
    state, turn = start(flow, sms_ctx(), "zh")
    assert turn.waiting is not None and turn.waiting.id == "category"  # language: voice only
    texts = [render_sms(flow, state, turn, 1001, "工友热线：已收到，案件编号1001。")]
    for answer in ["6", "广东东莞", "老家河南", "东莞某某鞋厂", "一万二", "３", "40人", "还在",
                   "1"]:
        turn = advance(flow, state, Reply(text=answer), sms_ctx())
        assert turn.understood, answer
        texts.append(render_sms(flow, state, turn, 1001))
    assert state.done
    assert state.answers == {"category": "collective", "urgent": True, "work_place": "广东东莞",
                             "work_province": "广东", "work_city": "东莞",
                             "home_province": "河南", "employer": "东莞某某鞋厂",
                             "amount_owed": "12000", "months_unpaid": 3,
                             "people_affected": 40, "people_approximate": False,
                             "still_employed": True}
    assert "1001" in texts[-1]
    assert max(count_segments(t).segments for t in texts) <= 2, texts


def test_bad_answers_reprompt_twice_then_fall_back() -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    first = advance(flow, state, Reply(text="随便"), sms_ctx())
    second = advance(flow, state, Reply(text="不知道"), sms_ctx())
    assert (first.understood, second.understood) == (False, False)
    assert state.node == "category" and state.retries == 2
    third = advance(flow, state, Reply(text="??"), sms_ctx())
    assert third.fell_back and state.node == "voicemail" and state.retries == 0
    last = advance(flow, state, Reply(text="老板欠我们三个月工资不给"), sms_ctx())
    assert state.done and last.answered == {"summary": "老板欠我们三个月工资不给"}


def test_number_out_of_range_is_not_an_answer() -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "en")
    for text in ["1", "Guangdong Shenzhen", "Hebei", "ACME"]:
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "amount"
    turn = advance(flow, state, Reply(text="-5"), sms_ctx())
    assert not turn.understood and state.node == "amount"
    turn = advance(flow, state, Reply(text="99999999999"), sms_ctx())
    assert not turn.understood


def voice_ctx(hour_utc: int, volunteer: bool) -> Context:
    """A voice context on Monday 2 March 2026 at `hour_utc` (Shanghai is UTC+8)."""
    return Context(channel="voice", now=datetime(2026, 3, 2, hour_utc, 0, tzinfo=UTC),
                   volunteer_available=lambda: volunteer)


@pytest.mark.parametrize("hour_utc,volunteer,waiting", [
    (2, True, "offer_transfer"),  # 10:00 in Shanghai, someone on duty: a live call offered
    (2, False, "voicemail"),  # office hours but nobody free
    (15, True, "voicemail"),  # 23:00 in Shanghai: after hours
])
def test_voice_after_confirm_transfer_or_voicemail(hour_utc: int, volunteer: bool,
                                                   waiting: str) -> None:
    flow = default_flow()
    ctx = voice_ctx(hour_utc, volunteer)
    state, turn = start(flow, ctx, "zh")
    assert turn.waiting is not None and turn.waiting.id == "language"
    answers = [Reply(digits="1"), Reply(digits="1"), Reply(speech="广东深圳"), Reply(digits="9"),
               Reply(speech="某某公司"), Reply(digits="5000"), Reply(digits="2"),
               Reply(digits="1"), Reply(digits="1"), Reply(digits="1")]
    for reply in answers:
        turn = advance(flow, state, reply, ctx)
    assert turn.waiting is not None and turn.waiting.id == waiting
    assert "finish" in [n.id for n in turn.said]


def test_transfer_not_answered_goes_to_voicemail() -> None:
    flow = default_flow()
    ctx = voice_ctx(2, True)
    state, _ = start(flow, ctx, "en")
    state.node = "transfer"
    turn = advance(flow, state, Reply(dial_status="no-answer"), ctx)
    assert turn.waiting is not None and turn.waiting.id == "voicemail"
    state.node = "transfer"
    turn = advance(flow, state, Reply(dial_status="completed"), ctx)
    assert state.done and [n.id for n in turn.said] == ["goodbye"]


@pytest.mark.parametrize("reply,province", [
    (Reply(digits="1"), "河南"), (Reply(text="8"), "贵州"),
    (Reply(speech="我老家是四川的"), "四川"), (Reply(text="我是河北人"), "河北"),
    (Reply(text="Jiangxi"), "江西"), (Reply(text="９"), "other"), (Reply(text="跳过"), "other"),
    # Not knowing or not wanting to say is an answer, not something to ask again.
    (Reply(text="不知道"), "other"), (Reply(text="不记得了"), "other"),
    (Reply(text="不想说。"), "other"), (Reply(text="【不清楚】"), "other"),
    (Reply(text="I don't know"), "other"), (Reply(text="rather not say"), "other"),
    (Reply(text="老家河南"), "河南"),
])
def test_home_province_by_key_keyword_or_free_text(reply: Reply, province: str) -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    for text in ["1", "广东深圳"]:
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "home"
    turn = advance(flow, state, reply, sms_ctx())
    assert turn.answered == {"home_province": province} and state.node == "employer"


def test_home_province_unclear_twice_moves_on_to_the_employer() -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    for text in ["1", "广东深圳", "嗯嗯", "河南四川"]:  # two provinces: which one?
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "home" and state.retries == 2
    turn = advance(flow, state, Reply(text="嗯"), sms_ctx())
    assert turn.fell_back and state.node == "employer" and "home_province" not in state.answers


@pytest.mark.parametrize("second", ["很多", "好多人", "一大帮"])
def test_many_said_twice_at_how_many_leaves_the_count_for_the_volunteer(second: str) -> None:
    """"很多" is asked once more (a number may come); said again, the count is left for the
    volunteer and the intake goes on (it was given up, and the worker asked to describe it)."""
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    for text in ["1", "广东深圳", "1", "某厂", "12000", "3"]:
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "people"
    first = advance(flow, state, Reply(text="很多"), sms_ctx())
    assert first.understood is False and state.node == "people"
    turn = advance(flow, state, Reply(text=second), sms_ctx())
    assert not turn.fell_back and state.node != "people" and "people_affected" not in state.answers
    assert "people_affected" in turn.unknown


def test_long_said_twice_at_how_many_months_leaves_them_for_the_volunteer() -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    for text in ["1", "广东深圳", "1", "某厂", "12000"]:
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "months"
    assert advance(flow, state, Reply(text="很久了"), sms_ctx()).understood is False
    turn = advance(flow, state, Reply(text="好长时间了"), sms_ctx())
    assert not turn.fell_back and state.node == "people" and "months_unpaid" in turn.unknown


def test_a_known_home_province_is_not_asked_again_unless_redone() -> None:
    flow = default_flow()
    known = Context(channel="sms", now=sms_ctx().now, home_known=True)
    state, _ = start(flow, known, "zh")
    for text in ["1", "广东深圳"]:
        advance(flow, state, Reply(text=text), known)
    assert state.node == "employer"
    for text in ["某厂", "12000", "3", "1", "1"]:
        advance(flow, state, Reply(text=text), known)
    assert state.node == "confirm_wages"
    advance(flow, state, Reply(text="不对"), known)  # the answers are wrong: all asked again
    assert state.node == "category" and "employer" not in state.answers
    for text in ["1", "广东深圳"]:
        advance(flow, state, Reply(text=text), known)
    assert state.node == "home"  # the home province may be what was wrong


@pytest.mark.parametrize("reply,waiting", [
    (Reply(digits="1"), "transfer"), (Reply(digits="2"), "voicemail"),
    (Reply(speech="我要留言"), "voicemail"),
])
def test_live_transfer_is_offered_not_imposed(reply: Reply, waiting: str) -> None:
    flow = default_flow()
    ctx = voice_ctx(2, True)
    state, _ = start(flow, ctx, "zh")
    state.node = "offer_transfer"
    turn = advance(flow, state, reply, ctx)
    assert turn.waiting is not None and turn.waiting.id == waiting


def test_silence_at_the_transfer_offer_ends_at_the_voicemail() -> None:
    flow = default_flow()
    ctx = voice_ctx(2, True)
    state, _ = start(flow, ctx, "zh")
    state.node = "offer_transfer"
    turns = [advance(flow, state, Reply(), ctx) for _ in range(3)]
    assert [t.understood for t in turns[:2]] == [False, False]
    assert turns[2].fell_back and turns[2].waiting is not None
    assert turns[2].waiting.id == "voicemail"


# --- the confirmation: each fact read back with its unit, or said in words to be unknown ---

SHENZHEN = {"work_place": "广东省深圳市", "work_province": "广东", "work_city": "深圳"}
DONGGUAN = {"work_place": "广东东莞", "work_province": "广东", "work_city": "东莞"}


@dataclass
class Confirm:
    """Answers at a confirmation and the words read back, per language; `voice` when the
    phone's prompt differs from the SMS one (the problem told on a recording)."""

    name: str
    node: str
    answers: dict[str, Any]
    zh: str
    en: str
    voice: dict[str, str] = field(default_factory=dict)


CONFIRMATIONS = [
    Confirm("wages, everything known", "confirm_wages",
            {"category": "wages", **SHENZHEN, "employer": "深圳宏达电子厂",
             "amount_owed": "12000", "months_unpaid": 3, "people_affected": 12,
             "people_approximate": True, "still_employed": True},
            "您说的是：欠薪，广东深圳，深圳宏达电子厂，欠12000元，3个月，约12人，还在那里做。",
            "You said: unpaid wages, Shenzhen, Hongda Electronics, ¥12000, 3 months, "
            "about 12 workers, still there."),
    Confirm("wages, the sum not known, left on a known day", "confirm_wages",
            {"category": "wages", **SHENZHEN, "employer": "深圳宏达电子厂", "months_unpaid": 3,
             "people_affected": 1, "people_approximate": False, "still_employed": False,
             "left_on": "2026-11-15"},
            "您说的是：欠薪，广东深圳，深圳宏达电子厂，欠款不清楚有多少元，3个月，1人，"
            "已于2026年11月15日离开。",
            "You said: unpaid wages, Shenzhen, Hongda Electronics, amount unknown, 3 months, "
            "1 worker, left on 15 Nov 2026."),
    Confirm("wages, the months not known, a sum with decimals", "confirm_wages",
            {"category": "wages", **DONGGUAN, "employer": "ACME Shoes", "amount_owed": "8500.5",
             "people_affected": 5, "still_employed": True},
            "您说的是：欠薪，广东东莞，ACME Shoes，欠8500.5元，不清楚欠了几个月，5人，还在那里做。",
            "You said: unpaid wages, Dongguan, ACME Shoes, ¥8500.5, months unknown, "
            "5 workers, still there."),
    Confirm("collective, nothing known past the employer, left on a day not known",
            "confirm_wages",
            {"category": "collective", "urgent": True, **DONGGUAN, "employer": "宏达建筑公司",
             "still_employed": False},
            "您说的是：很多工友被欠薪或紧急，广东东莞，宏达建筑公司，欠款不清楚有多少元，"
            "不清楚欠了几个月，不清楚有几个人被欠，已经离开。",
            "You said: many of us unpaid or urgent, Dongguan, Hongda Construction, amount unknown, "
            "months unknown, number of workers unknown, left the job."),
    Confirm("wages, no employer, head count and job never asked", "confirm_wages",
            {"category": "wages", **SHENZHEN, "amount_owed": "12000", "months_unpaid": 0},
            "您说的是：欠薪，广东深圳，不清楚是哪家公司，欠12000元，0个月，不清楚有几个人被欠，"
            "不清楚还在不在那里做。",
            "You said: unpaid wages, Shenzhen, employer unknown, ¥12000, 0 months, "
            "number of workers unknown, not known if still working there."),
    Confirm("wages on the phone, the employer kept as a recording", "confirm_wages",
            {"category": "wages", **SHENZHEN, "employer_recording": "https://x/RE1",
             "amount_owed": "20000", "months_unpaid": 6, "people_affected": 40,
             "still_employed": True},
            "您说的是：欠薪，广东深圳，（录音），欠20000元，6个月，40人，还在那里做。",
            "You said: unpaid wages, Shenzhen, (recorded), ¥20000, 6 months, "
            "40 workers, still there."),
    Confirm("injury, everything known", "confirm_injury",
            {"category": "injury", **DONGGUAN, "employer": "宏达鞋厂",
             "injured_on": "2026-11-05", "injury_place": "车间", "in_hospital": True,
             "employer_pays_treatment": False, "injury_claim_filed": False},
            "您说的是：工伤，广东东莞，宏达鞋厂，受伤日期2026年11月5日，地点车间，在住院，"
            "老板不出医药费，未申请工伤认定。",
            "You said: work injury, Dongguan, Hongda Shoes, injured 5 Nov 2026 at the workshop, "
            "in hospital, employer won't pay, no claim yet."),
    Confirm("injury, the day not remembered", "confirm_injury",
            {"category": "injury", **DONGGUAN, "employer": "宏达鞋厂",
             "injury_place": "the building site", "in_hospital": False,
             "employer_pays_treatment": True, "injury_claim_filed": True},
            "您说的是：工伤，广东东莞，宏达鞋厂，受伤日期不详，地点the building site，没有住院，"
            "老板出医药费，已申请工伤认定。",
            "You said: work injury, Dongguan, Hongda Shoes, injured on an unknown date at the "
            "building site, not in hospital, employer pays, claim filed."),
    Confirm("injury, only the employer known", "confirm_injury",
            {"category": "injury", **DONGGUAN, "employer": "宏达鞋厂"},
            "您说的是：工伤，广东东莞，宏达鞋厂，受伤日期不详，地点不详，不清楚有没有住院，"
            "不清楚老板出不出医药费，不清楚有没有申请工伤认定。",
            "You said: work injury, Dongguan, Hongda Shoes, injured on an unknown date at an "
            "unknown place, not known if in hospital, not known if the employer pays, not known "
            "if a claim was filed."),
    Confirm("contract, everything known", "confirm_contract",
            {"category": "contract", "work_place": "浙江杭州", "work_province": "浙江",
             "work_city": "杭州", "employer": "某服装厂", "still_employed": False,
             "dismissed_on": "2026-11-01", "written_contract": False},
            "您说的是：合同或辞退，浙江杭州，某服装厂；辞退或合同到期日期2026年11月1日；没签书面合同。",
            "You said: contract or dismissal, Hangzhou, Lihua Garments; dismissed or contract "
            "ended 1 Nov 2026; no written contract."),
    # "干了一年多了还不给签合同": still there, so no day it ended is asked or read back.
    Confirm("contract, still working there", "confirm_contract",
            {"category": "contract", "work_place": "浙江杭州", "work_province": "浙江",
             "work_city": "杭州", "employer": "某服装厂", "still_employed": True,
             "written_contract": False},
            "您说的是：合同或辞退，浙江杭州，某服装厂；还在那里做；没签书面合同。",
            "You said: contract or dismissal, Hangzhou, Lihua Garments; still there; "
            "no written contract."),
    Confirm("contract, the day and the contract not known", "confirm_contract",
            {"category": "contract", "work_place": "浙江杭州", "work_province": "浙江",
             "work_city": "杭州", "employer": "某服装厂"},
            "您说的是：合同或辞退，浙江杭州，某服装厂；不清楚还在不在那里做；不清楚有没有签书面合同。",
            "You said: contract or dismissal, Hangzhou, Lihua Garments; not known if still "
            "working there; not known if a contract was signed."),
    Confirm("social insurance, everything known", "confirm_insurance",
            {"category": "social_insurance", "work_place": "江苏苏州", "work_province": "江苏",
             "work_city": "苏州", "employer": "苏州某电子厂", "insurance_kind": "全部",
             "insurance_months": 24},
            "您说的是：社保，江苏苏州，苏州某电子厂，全都没交，24个月没交。",
            "You said: social insurance, Suzhou, Suzhou Electronics, none of them, "
            "unpaid for 24 months."),
    Confirm("social insurance, the months not known", "confirm_insurance",
            {"category": "social_insurance", "work_place": "江苏苏州", "work_province": "江苏",
             "work_city": "苏州", "employer": "苏州某电子厂", "insurance_kind": "医疗"},
            "您说的是：社保，江苏苏州，苏州某电子厂，医疗保险，不清楚几个月没交。",
            "You said: social insurance, Suzhou, Suzhou Electronics, medical, "
            "unpaid for unknown months."),
    Confirm("social insurance, neither the kind nor the months known", "confirm_insurance",
            {"category": "social_insurance", "work_place": "江苏苏州", "work_province": "江苏",
             "work_city": "苏州", "employer": "苏州某电子厂"},
            "您说的是：社保，江苏苏州，苏州某电子厂，不清楚哪种保险没交，不清楚几个月没交。",
            "You said: social insurance, Suzhou, Suzhou Electronics, which insurance unknown, "
            "unpaid for unknown months."),
    Confirm("other legal aid, the problem written", "confirm_other",
            {"category": "other_legal", "work_place": "上海", "work_province": "上海",
             "work_city": "上海", "summary": "老婆要离婚，孩子归谁？",
             "voicemail": "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1"},
            "您说的是：其他法律援助，上海（老婆要离婚，孩子归谁？）。",
            "You said: other legal aid, Shanghai (my wife wants a divorce, who keeps the child?).",
            {"zh": "您说的是：其他法律援助，上海，您的问题已录下。",
             "en": "You said: other legal aid, Shanghai, your problem is recorded."}),
    Confirm("other legal aid, neither the place nor the problem", "confirm_other",
            {"category": "other_legal"},
            "您说的是：其他法律援助，不清楚在哪里打工（没写具体问题）。",
            "You said: other legal aid, place of work unknown (no details written).",
            # On the phone the caller said nothing after the beep: not told it was recorded.
            {"zh": "您说的是：其他法律援助，不清楚在哪里打工，没有录到您说的问题。",
             "en": "You said: other legal aid, place of work unknown, nothing recorded about "
                   "the problem."}),
]
# An English-speaking worker answers in English.
IN_ENGLISH = {"广东省深圳市": "Shenzhen", "广东东莞": "Dongguan",
              "深圳宏达电子厂": "Hongda Electronics", "宏达建筑公司": "Hongda Construction",
              "宏达鞋厂": "Hongda Shoes", "车间": "the workshop",
              "浙江杭州": "Hangzhou", "某服装厂": "Lihua Garments", "江苏苏州": "Suzhou",
              "苏州某电子厂": "Suzhou Electronics", "上海": "Shanghai",
              "老婆要离婚，孩子归谁？": "my wife wants a divorce, who keeps the child?"}
# What a confirmation must never read: a dash for a fact, an empty one between separators,
# a placeholder left unfilled.
NEVER = ("—", "，，", ", ,", "（）", "()", "{", "None", "¥—", "欠元")


def answers_in(item: Confirm, language: str) -> dict[str, Any]:
    """The row's answers as a worker writing `language` gave them."""
    if language == "zh":
        return dict(item.answers)
    return {k: IN_ENGLISH.get(v, v) if isinstance(v, str) and k != "work_province"
            and k != "work_city" else v for k, v in item.answers.items()}


def confirmation_sms(item: Confirm, language: str) -> str:
    """The SMS a worker gets at the confirmation, without the numbered choices."""
    flow = default_flow()
    state = FlowState(node=item.node, language=language, answers=answers_in(item, language))
    text = render_sms(flow, state, Turn(waiting=flow.node(item.node)), 1001)
    menu = "回复数字：1正确 2重新填写" if language == "zh" else (
        " Reply with a number: 1 correct, 2 start again")
    assert text.endswith(menu), text
    return text.removesuffix(menu)


def confirmation_spoken(item: Confirm, language: str) -> str:
    """What the phone says at the confirmation (TwiML parsed as XML), without the keys."""
    flow = default_flow()
    state = FlowState(node=item.node, language=language, answers=answers_in(item, language))
    links = VoiceLinks(step_url="/step", silence_url="/silence", recording_callback="/rec",
                       caller_id="+861000000")
    root = ET.fromstring(str(render_voice(flow, state, Turn(waiting=flow.node(item.node)),
                                          links, 1001)))
    said = [s.text or "" for s in root.iter("Say")]
    assert len(said) == 1 and root.find("Gather/Say") is not None, said
    keys = "正确请按1。" if language == "zh" else " For correct, press 1."
    assert keys in said[0], said
    return said[0][:said[0].index(keys)]


@pytest.mark.parametrize("item", CONFIRMATIONS, ids=[c.name for c in CONFIRMATIONS])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_confirmation_reads_each_fact_in_words(item: Confirm, language: str) -> None:
    expected = item.zh if language == "zh" else item.en
    sms = confirmation_sms(item, language)
    spoken = confirmation_spoken(item, language)
    assert sms == expected
    # Spoken, a sum names the yuan ("12000 yuan"): an English voice reads "¥" as yen.
    assert spoken == for_speech(item.voice.get(language, expected), language)
    assert "¥" not in spoken
    assert not [w for w in NEVER for text in (sms, spoken) if w in text]


@pytest.mark.parametrize("node", ["confirm_wages", "confirm_injury", "confirm_contract",
                                  "confirm_insurance", "confirm_other"])
@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_confirmation_with_only_the_problem_known_has_no_dash(node: str, language: str
                                                                ) -> None:
    """Questions never asked in this run (a fallback, the phone hung up on) read as words."""
    category = {"confirm_wages": "wages", "confirm_injury": "injury",
                "confirm_contract": "contract", "confirm_insurance": "social_insurance",
                "confirm_other": "other_legal"}[node]
    item = Confirm("bare", node, {"category": category}, "", "")
    for text in (confirmation_sms(item, language), confirmation_spoken(item, language)):
        assert not [w for w in NEVER if w in text], text


# (language, the worker's texts from the problem on, words the confirmation must read)
NOT_REMEMBERED = [
    ("zh", ["1", "广东深圳", "河南", "宏达电子厂", "不记得了", "三个月", "就我一个", "还在"],
     ["欠款不清楚有多少元，3个月，1人，还在那里做。"], ["amount_owed"]),
    ("zh", ["1", "广东深圳", "河南", "宏达电子厂", "一万二", "记不清了", "不晓得", "还在"],
     ["欠12000元，不清楚欠了几个月，不清楚有几个人被欠，还在那里做。"],
     ["months_unpaid", "people_affected"]),
    ("zh", ["2", "广东东莞", "四川", "宏达鞋厂", "忘了", "车间", "1", "2", "5000", "2"],
     ["受伤日期不详，地点车间，在住院"], ["injured_on"]),
    ("zh", ["4", "江苏苏州", "安徽", "苏州某电子厂", "1", "说不好"],
     ["养老保险，不清楚几个月没交。"], ["insurance_months"]),
    ("en", ["1", "Shenzhen", "Sichuan", "ACME Shoes", "I don't know", "not sure", "3", "no",
            "can't remember"],
     ["ACME Shoes, amount unknown, months unknown, 3 workers, left the job."],
     ["amount_owed", "months_unpaid", "left_on"]),
    ("en", ["3", "Guangzhou", "Hunan", "Pearl Logistics", "no", "I forgot", "no"],
     ["Pearl Logistics; left the job; no written contract."], ["dismissed_on"]),
]


@pytest.mark.parametrize("language,texts,reads,unknown", NOT_REMEMBERED,
                         ids=[" ".join(n[1][4:6]) for n in NOT_REMEMBERED])
def test_what_the_worker_does_not_remember_reads_as_not_known(
        language: str, texts: list[str], reads: list[str], unknown: list[str]) -> None:
    """"不记得了" keeps no answer (the volunteer asks): the confirmation says it is not known,
    as for a question never asked."""
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), language)
    said_unknown: list[str] = []
    for text in texts:
        turn = advance(flow, state, Reply(text=text), sms_ctx())
        assert turn.understood, text
        said_unknown += turn.unknown
    assert turn.waiting is not None and turn.waiting.id.startswith("confirm_")
    assert said_unknown == unknown and not set(unknown) & set(state.answers)
    confirmation = render_sms(flow, state, turn, 1001)
    assert all(words in confirmation for words in reads), confirmation
    assert not [w for w in NEVER if w in confirmation], confirmation


@pytest.mark.parametrize("reply,stored", [
    ("2", None), ("１", None), ("#", None), ("。。", None), ("123", None),
    ("宏达电子厂", "宏达电子厂"), ("7天酒店", "7天酒店"), ("【富士康】", "富士康"),
    ("ACME Shoes", "ACME Shoes"), ("3号楼工地", "3号楼工地"),
])
def test_an_employer_must_be_a_name_not_a_key_pressed(reply: str, stored: str | None) -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    for text in ["1", "广东深圳", "1"]:
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "employer"
    advance(flow, state, Reply(text=reply), sms_ctx())
    if stored is None:
        assert state.node == "employer" and "employer" not in state.answers
    else:
        assert state.answers.get("employer", "").strip("【】") == stored
        assert state.node != "employer"


@pytest.mark.parametrize("reply,stored", [("2", None), ("１。", None), ("车间", "车间"),
                                          ("3号楼", "3号楼"), ("building site", "building site")])
def test_a_place_of_injury_must_be_a_name_not_a_key_pressed(reply: str, stored: str | None
                                                             ) -> None:
    flow = default_flow()
    state, _ = start(flow, sms_ctx(), "zh")
    state.node = "injury_place"
    advance(flow, state, Reply(text=reply), sms_ctx())
    assert state.answers.get("injury_place") == stored
    assert (state.node == "injury_place") == (stored is None)
