"""A volunteer's relayed words reach the worker as typed: the command is read folded (full-width
letters and digits), the message itself keeps its Chinese punctuation."""

from __future__ import annotations

import pytest

from hotline.volunteer_sms import parse_volunteer_command


@pytest.mark.parametrize("body, action, number, rest", [
    ("R1024 老板说：明天发工资！你放心？", "relay", 1024, "老板说：明天发工资！你放心？"),
    ("ｒ１０２４ 好的，（明天）到。", "relay", 1024, "好的，（明天）到。"),
    ("转告1024：请带上工资条、考勤表。", "relay", 1024, "请带上工资条、考勤表。"),
    ("R 1024: hi, see you at 3pm", "relay", 1024, "hi, see you at 3pm"),
    ("DONE 1024 １２０００ 已付清，谢谢", "resolved", 1024, "１２０００ 已付清，谢谢"),
    ("Ｙ１０２４", "accept", 1024, ""),
    ("y 1024！", "accept", 1024, "！"),
])
def test_relay_keeps_what_the_volunteer_typed(body: str, action: str, number: int,
                                              rest: str) -> None:
    cmd = parse_volunteer_command(body)
    assert cmd is not None
    assert (cmd.action, cmd.number, cmd.rest) == (action, number, rest)
