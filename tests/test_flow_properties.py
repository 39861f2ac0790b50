"""Property tests for flow replies (whatever a worker texts or keys in, at whatever point of the
intake, the hotline answers with well-formed, short replies and never a server error) and for
the meaning of SMS keywords (STOP/TD/退订, START/订阅, HELP/帮助, STATUS/查询 + number)."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from hotline.infra.db import get_db
from hotline.sms_commands import WorkerKeyword, parse_keyword
from models import Contact
from notifications.segments import count_segments
from tests.conftest import sms_form
from tests.test_voice_webhook import Caller

FLOW = settings(max_examples=60, derandomize=True, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])
# What workers really send: digits (full-width too), menu words, amounts, names, noise.
REPLIES = st.one_of(
    st.sampled_from(["1", "２", "6", "0", "9", "对", "不对", "是", "否", "yes", "no", "EN", "中文",
                     "1.2万", "一万二", "三个月", "5人", "广东深圳", "某某厂", "", " ", "？",
                     "帮助", "HELP", "查询 1001", "😀😀", "工資", "#", "*"]),
    st.text(max_size=40),
)
_phones = itertools.count(100)


@FLOW
@given(texts=st.lists(REPLIES, min_size=1, max_size=10))
def test_any_sms_sequence_gets_short_wellformed_replies(app: Flask, post_signed: Any,
                                                         texts: list[str]) -> None:
    phone = f"+86137{next(_phones):08d}"
    for body in ["老板拖欠工资", *texts]:
        resp = post_signed("/twilio/sms", sms_form(phone, body))
        assert resp.status_code == 200, (body, resp.data)
        for message in ET.fromstring(resp.data).findall("Message"):
            assert message.text, body
            assert count_segments(message.text).segments <= 3, message.text


@FLOW
@given(keys=st.lists(st.one_of(st.text(alphabet="0123456789*#", max_size=4),
                               st.just("SILENCE")), min_size=1, max_size=10))
def test_any_key_sequence_keeps_the_call_going_or_ends_it_cleanly(
        app: Flask, post_signed: Any, keys: list[str]) -> None:
    caller = Caller(post_signed, sid=f"CA{next(_phones):032d}")
    for key in keys:
        waiting = any(caller.twiml.find(tag) is not None for tag in ("Gather", "Record", "Dial"))
        if not waiting:
            assert caller.twiml.find("Hangup") is not None or caller.twiml.find("Say") is not None
            return  # the call ended with words, not a loop
        if key == "SILENCE" and caller.twiml.find("Redirect") is not None:
            caller.silence()
        else:
            caller.keys(key)


# --- SMS keyword semantics (hotline.sms_commands) -----------------------------------------------
# Whatever the phone keyboard does to a keyword (case, full-width forms, spaces around it,
# a trailing full stop), the meaning must not change; inside a sentence it is not a command.
STOP_WORDS = ["STOP", "TD", "退订", "停止", "UNSUBSCRIBE"]
START_WORDS = ["START", "订阅"]
HELP_WORDS = ["HELP", "帮助"]
SPACE = st.text(alphabet=" \t\n\u3000", max_size=3)  # \u3000: the ideographic space
TRAILING = st.sampled_from(["", ".", "。", "!", "！", "~", " ."])


def full_width(text: str) -> str:
    """ASCII letters, digits and signs as their full-width forms (Chinese keyboards)."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


@st.composite
def typed(draw: st.DrawFn, word: str) -> str:
    """`word` as a worker might type it: any case, maybe full-width, spaces, a full stop."""
    cased = "".join(c.lower() if draw(st.booleans()) else c for c in word)
    shown = full_width(cased) if draw(st.booleans()) else cased
    return draw(SPACE) + shown + draw(TRAILING) + draw(SPACE)


KEYWORDS = settings(max_examples=300, derandomize=True, deadline=None)


@KEYWORDS
@given(st.sampled_from(STOP_WORDS).flatmap(typed))
def test_stop_words_in_any_form_opt_out(body: str) -> None:
    parsed = parse_keyword(body)
    assert parsed is not None and parsed.keyword == WorkerKeyword.STOP, repr(body)


@KEYWORDS
@given(st.sampled_from(START_WORDS).flatmap(typed))
def test_start_words_in_any_form_opt_in(body: str) -> None:
    parsed = parse_keyword(body)
    assert parsed is not None and parsed.keyword == WorkerKeyword.START, repr(body)


@KEYWORDS
@given(st.sampled_from(HELP_WORDS).flatmap(typed))
def test_help_words_in_any_form_ask_for_help(body: str) -> None:
    parsed = parse_keyword(body)
    assert parsed is not None and parsed.keyword == WorkerKeyword.HELP, repr(body)


@KEYWORDS
@given(st.sampled_from(["EN", "English", "英文", "用英文", "中文", "切换中文", "Chinese"])
       .flatmap(typed))
def test_language_words_in_any_form_switch_the_language(body: str) -> None:
    parsed = parse_keyword(body)
    assert parsed is not None and parsed.keyword == WorkerKeyword.LANGUAGE, repr(body)


@KEYWORDS
@given(word=st.sampled_from(["STATUS", "查询"]).flatmap(typed), number=st.integers(1, 10**9 - 1),
       gap=st.sampled_from(["", " ", "#", " #", "# ", "\u3000"]), wide=st.booleans())
def test_status_with_a_case_number_reads_the_number(word: str, number: int, gap: str,
                                                    wide: bool) -> None:
    digits = full_width(str(number)) if wide else str(number)
    body = word.rstrip(" \t\n\u3000.。!！~") + gap + digits
    parsed = parse_keyword(body)
    assert parsed is not None and parsed.keyword == WorkerKeyword.STATUS, repr(body)
    assert parsed.argument == str(number), repr(body)


@KEYWORDS
@given(word=st.sampled_from(STOP_WORDS + START_WORDS),
       # Polite words around an opt-out still opt out (hotline.optout): "please STOP", "我想退订".
       before=st.sampled_from(["why ", "不要", "别"]),
       after=st.sampled_from([" calling me", "了吗", "报纸", " paying me"]))
def test_a_keyword_inside_a_sentence_is_not_a_command(word: str, before: str, after: str
                                                      ) -> None:
    for body in (before + word, word + after, before + word + after):
        parsed = parse_keyword(body)
        assert parsed is None or parsed.keyword not in (WorkerKeyword.STOP,
                                                        WorkerKeyword.START), body


@FLOW
@given(stop=st.sampled_from(STOP_WORDS).flatmap(typed),
       start=st.sampled_from(START_WORDS).flatmap(typed))
def test_stop_then_start_by_sms_changes_the_workers_opt_out_state(
        app: Flask, post_signed: Any, stop: str, start: str) -> None:
    phone = f"+86137{next(_phones):08d}"
    assert post_signed("/twilio/sms", sms_form(phone, "老板拖欠工资")).status_code == 200
    assert post_signed("/twilio/sms", sms_form(phone, stop)).status_code == 200
    assert opted_out(phone), repr(stop)
    assert post_signed("/twilio/sms", sms_form(phone, start)).status_code == 200
    assert not opted_out(phone), repr(start)


def opted_out(phone: str) -> bool:
    """The worker's opt-out state in the database."""
    with get_db().begin() as s:
        return s.scalars(select(Contact).where(Contact.phone == phone)).one().opted_out
