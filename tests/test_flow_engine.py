"""The flow engine and its input parsing, without a database: tables of answers and walks."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ivr_flows.engine import Context, Reply, advance, start
from ivr_flows.fields import split_place
from ivr_flows.loader import default_flow
from ivr_flows.parse import match_choice, parse_number
from ivr_flows.sms import render_sms
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
    for text in ["1", "广东深圳", "不知道", "河南四川"]:  # two provinces: which one?
        advance(flow, state, Reply(text=text), sms_ctx())
    assert state.node == "home" and state.retries == 2
    turn = advance(flow, state, Reply(text="嗯"), sms_ctx())
    assert turn.fell_back and state.node == "employer" and "home_province" not in state.answers


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
