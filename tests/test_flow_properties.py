"""Property tests for flow replies: whatever a worker texts or keys in, at whatever point of the
intake, the hotline answers with well-formed, short replies and never a server error."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
